// The training loop: forward, loss, backward, optimiser step, and the metrics a learner watches (loss, PSNR, the
// checkerboard score of the output and of the input gradient).
#include <convt/error.h>
#include <convt/io.h>
#include <convt/ops.h>
#include <convt/train.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace convt {
namespace {

Tensor loss_gradient(LossKind loss, const Tensor& output, const Tensor& target) {
  return loss == LossKind::Mse ? mse_loss_backward(output, target) : l1_loss_backward(output, target);
}

// Low-resolution pixels next to the border whose feature-layer values saw the zero padding.
int64_t feature_border(const UpsamplerSpec& spec) { return spec.hidden > 0 ? 1 : 0; }

}  // namespace

namespace {

double psnr_of_mse(double mse) {
  if (std::isnan(mse)) return mse;  // a diverged model has no PSNR, not an infinite one
  return mse > 0 ? 10.0 * std::log10(1.0 / mse) : std::numeric_limits<double>::infinity();
}

}  // namespace

double psnr(const Tensor& output, const Tensor& target) { return psnr_of_mse(mse_loss(output, target)); }

ArtifactScore output_artifact_score(const UpsamplerSpec& spec, const Tensor& output) {
  const int64_t f = spec.factor, k = spec.kernel, features = f * feature_border(spec);
  switch (spec.kind) {
    case UpsamplerKind::Deconv: {
      // Output o is fully covered once every tap can reach it: k - 1 - p from the top, k - 1 - p + op from the
      // bottom (the transposed conv's own rule), plus what the feature layer's padding touched.
      const ConvTranspose2dParams p = deconv_params(k, f);
      const int64_t low = std::max<int64_t>(0, k - 1 - p.padding.h) + features;
      const int64_t high = std::max<int64_t>(0, k - 1 - p.padding.h + p.output_padding.h) + features;
      return artifact_score_in_region(output, f, p.padding, low, high);
    }
    case UpsamplerKind::Subpixel: {
      // Whole low-resolution pixels, so the measured region holds every phase equally often.
      const int64_t border = f * ((k - 1) / 2) + features;
      return artifact_score_in_region(output, f, 0, border, border);
    }
    case UpsamplerKind::ResizeConv: {
      // The conv's padding reaches (k-1)/2 pixels in; bilinear resizing clamps at the edge for about f/2 more.
      const int64_t border = (k - 1) / 2 + features + (spec.resize == InterpolateMode::Bilinear ? f : 0);
      return artifact_score_in_region(output, f, 0, border, border);
    }
  }
  return {};
}

ArtifactScore input_gradient_artifact_score(const UpsamplerSpec& spec, const Tensor& grad_input) {
  // The gradient reaching input pixel i sums the taps of the outputs it feeds; near the border some are cropped.
  const int64_t border = (spec.kernel + spec.factor - 1) / spec.factor + feature_border(spec);
  return artifact_score_in_region(grad_input, spec.factor, 0, border, border);
}

bool diverged(const StepRecord& record) { return !std::isfinite(record.loss) || record.loss > kDivergedLoss; }

uint64_t training_bytes(const UpsamplerSpec& spec, const Shape& target_shape) {
  validate(spec);
  if (target_shape.size() != 4) throw_invalid("the training target must be [1, C, H, W]");
  const double f = static_cast<double>(spec.factor), high = static_cast<double>(shape_numel(target_shape));
  const double low_pixels = high / static_cast<double>(target_shape[1]) / (f * f);
  const double C = static_cast<double>(spec.hidden > 0 ? spec.hidden : spec.channels);
  double parameters = 0;
  for (const auto& [name, shape] : parameter_shapes(spec)) parameters += static_cast<double>(shape_numel(shape));
  // Each activation is held once and its gradient once: target, input, output, difference, loss gradient;
  // the features (before and after the ReLU); resize-conv's resized features or subpixel's unshuffled output.
  double floats = 6 * high + 2 * low_pixels * static_cast<double>(spec.channels) + 4 * C * low_pixels;
  if (spec.kind == UpsamplerKind::ResizeConv) floats += 2 * C * low_pixels * f * f;
  if (spec.kind == UpsamplerKind::Subpixel) floats += 2 * high;
  floats += 4 * parameters;  // the parameters, their gradients and Adam's two moments
  // The convolutions pack their operands (im2col panels up to the layer's input times its kernel taps).
  floats += C * low_pixels * f * f * static_cast<double>(spec.kernel * spec.kernel);
  const double bytes = 4 * floats;
  return bytes >= 1.8e19 ? std::numeric_limits<uint64_t>::max() : static_cast<uint64_t>(bytes);
}

void check_training_budget(const UpsamplerSpec& spec, const Shape& target_shape, int64_t contenders) {
  // In double: training_bytes saturates rather than wrap, and so does this product.
  const double bytes = static_cast<double>(training_bytes(spec, target_shape)) * static_cast<double>(std::max<int64_t>(1, contenders));
  if (bytes > static_cast<double>(memory_budget_bytes()))
    throw Error(ErrorKind::OutOfMemoryBudget,
                "training a " + std::string(to_string(spec.kind)) + " model on " + shape_to_string(target_shape) +
                    " needs about " + std::to_string(static_cast<uint64_t>(std::min(bytes, 1.8e19))) +
                    " bytes, over the memory budget of " + std::to_string(memory_budget_bytes()) +
                    " bytes (CONVT_MEMORY_BUDGET)",
                "image");
}

Trainer::Trainer(TrainingData data, const TrainConfig& config)
    : data_(std::move(data)), config_(config), optimizer_(config.optimizer) {
  validate(config_.model);
  validate(config_.optimizer);
  const Shape& target = data_.target.shape();
  if (target.size() != 4 || target[1] != config_.model.channels)
    throw_invalid("the target has shape " + shape_to_string(target) + ", but the model makes " +
                      std::to_string(config_.model.channels) + " channel(s)",
                  "color");
  if (target[2] % config_.model.factor || target[3] % config_.model.factor)
    throw_invalid("the target's size " + std::to_string(target[2]) + "x" + std::to_string(target[3]) +
                      " is not a multiple of the factor " + std::to_string(config_.model.factor),
                  "crop");
  if (data_.input.shape() != Shape{target[0], target[1], target[2] / config_.model.factor, target[3] / config_.model.factor})
    throw_invalid("the training input has shape " + shape_to_string(data_.input.shape()) +
                  ": expected the target pooled by the factor");
  check_training_budget(config_.model, target);
  model_ = init_model(config_.model, config_.init);
}

StepRecord Trainer::record(const ForwardPass& pass, const Tensor* grad_input, const ArtifactScore* output_score) const {
  StepRecord record;
  record.step = steps_done();
  const double mse = mse_loss(pass.output, data_.target);  // one pass for the MSE loss and the PSNR both
  record.loss = config_.loss == LossKind::Mse ? mse : l1_loss(pass.output, data_.target);
  record.psnr = psnr_of_mse(mse);
  // A diverged output (NaN or infinite values) has no phase structure to measure: NaN, not a reassuring 0.
  if (!std::isfinite(record.loss)) record.artifact_score = std::numeric_limits<double>::quiet_NaN();
  else record.artifact_score = output_score ? output_score->score : output_artifact_score(config_.model, pass.output).score;
  if (grad_input) record.input_gradient_artifact_score = input_gradient_artifact_score(config_.model, *grad_input).score;
  return record;
}

StepRecord Trainer::step() {
  const ForwardPass pass = forward(model_, data_.input);
  const Tensor grad_output = loss_gradient(config_.loss, pass.output, data_.target);
  ModelGradients gradients = backward(model_, data_.input, pass, grad_output, config_.input_gradient_score);
  const StepRecord before = record(pass, config_.input_gradient_score ? &gradients.input : nullptr);
  optimizer_.step(model_.parameters, gradients.parameters);
  return before;
}

StepRecord Trainer::measure() const {
  const ForwardPass pass = forward(model_, data_.input);
  if (!config_.input_gradient_score) return record(pass, nullptr);
  const Tensor grad_output = loss_gradient(config_.loss, pass.output, data_.target);
  const ModelGradients gradients = backward(model_, data_.input, pass, grad_output, true);
  return record(pass, &gradients.input);
}

std::vector<StepRecord> Trainer::run(int64_t steps, int64_t log_every,
                                     const std::function<void(int64_t, int64_t)>& progress) {
  if (steps < 0) throw_invalid("steps " + std::to_string(steps) + " is invalid: it must be 0 or more", "steps");
  if (log_every < 1) throw_invalid("log-every " + std::to_string(log_every) + " is invalid: it must be 1 or more", "log_every");
  std::vector<StepRecord> history;
  for (int64_t i = 0; i < steps; ++i) {
    StepRecord record = step();
    if (i % log_every == 0) history.push_back(std::move(record));
    if (progress) progress(i + 1, steps);
  }
  history.push_back(measure());  // step `steps`, after the last update
  return history;
}

TrainerView Trainer::view() const {
  TrainerView view;
  view.step = steps_done();
  const ForwardPass pass = forward(model_, data_.input);
  const Tensor grad_output = loss_gradient(config_.loss, pass.output, data_.target);
  view.input_gradient = backward(model_, data_.input, pass, grad_output, true).input;
  view.difference = Tensor(pass.output.shape());
  for (int64_t i = 0; i < pass.output.numel(); ++i) view.difference[i] = pass.output[i] - data_.target[i];
  view.score = output_artifact_score(config_.model, pass.output);
  view.input_gradient_score = input_gradient_artifact_score(config_.model, view.input_gradient);
  view.record = record(pass, nullptr, &view.score);
  view.record.input_gradient_artifact_score = view.input_gradient_score.score;
  view.output = pass.output;
  view.kernel_phases = kernel_phases(model_);
  return view;
}

void save_parameters(const std::string& path, const UpsamplerModel& model) {
  std::vector<std::pair<std::string, const Tensor*>> tensors;
  for (const auto& p : model.parameters) tensors.emplace_back(p.name, &p.value);
  write_file_atomically(path, encode_safetensors(tensors));
}

}  // namespace convt
