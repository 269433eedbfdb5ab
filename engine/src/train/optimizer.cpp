// torch.optim.SGD and torch.optim.Adam as PyTorch's single-tensor implementation computes them in float32, so a
// trajectory started from the same weights follows PyTorch's to float rounding.
#include <convt/error.h>
#include <convt/train.h>

#include "name_list.h"

#include <cmath>

namespace convt {

std::span<const char* const> optimizer_names() {
  static constexpr const char* names[] = {"sgd", "adam"};
  return names;
}

OptimizerKind parse_optimizer(const std::string& name) {
  const int index = find_name(optimizer_names(), name);
  if (index < 0) throw_invalid("unknown optimizer '" + name + "': expected " + list_names(optimizer_names()), "optimizer");
  return static_cast<OptimizerKind>(index);
}

const char* to_string(OptimizerKind kind) { return optimizer_names()[static_cast<size_t>(kind)]; }

std::span<const char* const> loss_names() {
  static constexpr const char* names[] = {"mse", "l1"};  // LossKind's order
  return names;
}

LossKind parse_loss(const std::string& name) {
  const int index = find_name(loss_names(), name);
  if (index < 0) throw_invalid("unknown loss '" + name + "': expected " + list_names(loss_names()), "loss");
  return static_cast<LossKind>(index);
}

void validate(const OptimizerSpec& spec) {
  auto finite_in = [](double value, double low, double high) { return std::isfinite(value) && value >= low && value <= high; };
  if (!finite_in(spec.lr, 0, 1e6) || spec.lr == 0)
    throw_invalid("lr " + std::to_string(spec.lr) + " is invalid: the learning rate must be positive and finite", "lr");
  if (!finite_in(spec.momentum, 0, 1) || spec.momentum >= 1)
    throw_invalid("momentum " + std::to_string(spec.momentum) + " is invalid: it must be in [0, 1)", "momentum");
  if (!finite_in(spec.beta1, 0, 1) || spec.beta1 >= 1 || !finite_in(spec.beta2, 0, 1) || spec.beta2 >= 1)
    throw_invalid("Adam's betas must be in [0, 1)", "betas");
  if (!finite_in(spec.eps, 0, 1) || spec.eps == 0) throw_invalid("Adam's eps must be positive and small", "eps");
}

void Optimizer::step(std::vector<NamedTensor>& parameters, const std::vector<Tensor>& gradients) {
  if (gradients.size() != parameters.size())
    throw_invalid("the optimiser got " + std::to_string(gradients.size()) + " gradients for " +
                  std::to_string(parameters.size()) + " parameters");
  if (first_moment_.empty()) {
    for (const auto& p : parameters) {
      first_moment_.emplace_back(p.value.shape());
      if (spec_.kind == OptimizerKind::Adam) second_moment_.emplace_back(p.value.shape());
    }
  }
  ++steps_;
  const float lr = static_cast<float>(spec_.lr);
  for (size_t i = 0; i < parameters.size(); ++i) {
    Tensor& param = parameters[i].value;
    const Tensor& grad = gradients[i];
    if (grad.shape() != param.shape())
      throw_invalid("gradient of '" + parameters[i].name + "' has shape " + shape_to_string(grad.shape()) +
                    ", the parameter " + shape_to_string(param.shape()));
    Tensor& m = first_moment_[i];
    const int64_t n = param.numel();
    if (spec_.kind == OptimizerKind::Sgd) {
      const float momentum = static_cast<float>(spec_.momentum);
      for (int64_t j = 0; j < n; ++j) {
        float direction = grad[j];
        if (spec_.momentum != 0) {
          m[j] = steps_ == 1 ? grad[j] : m[j] * momentum + grad[j];  // the buffer starts as a copy of the gradient
          direction = m[j];
        }
        param[j] += -lr * direction;
      }
      continue;
    }
    // Adam: m lerps toward g, v = b2 v + (1 - b2) g^2, p -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps).
    Tensor& v = second_moment_[i];
    const float one_minus_beta1 = static_cast<float>(1 - spec_.beta1), beta2 = static_cast<float>(spec_.beta2);
    const float one_minus_beta2 = static_cast<float>(1 - spec_.beta2), eps = static_cast<float>(spec_.eps);
    const double bias_correction1 = 1 - std::pow(spec_.beta1, static_cast<double>(steps_));
    const double bias_correction2 = 1 - std::pow(spec_.beta2, static_cast<double>(steps_));
    const float step_size = static_cast<float>(spec_.lr / bias_correction1);
    const float bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
    for (int64_t j = 0; j < n; ++j) {
      m[j] = m[j] + one_minus_beta1 * (grad[j] - m[j]);
      v[j] = v[j] * beta2 + one_minus_beta2 * (grad[j] * grad[j]);
      const float denom = std::sqrt(v[j]) / bias_correction2_sqrt + eps;
      param[j] += -step_size * m[j] / denom;
    }
  }
}

}  // namespace convt
