// The ops.h entry points: each asks dispatch() for the default backend's chain and records what declined.
#include <convt/error.h>
#include <convt/ops.h>
#include <convt/shape.h>

namespace convt {
namespace {

thread_local std::vector<std::string> t_last_fallbacks;

const Backend& backend_for(const OpRequest& request) {
  Dispatch chosen = dispatch(default_backend(), request);
  t_last_fallbacks = std::move(chosen.declined);
  return *chosen.backend;
}

const Backend& backend_for(Op op) { return backend_for(OpRequest{op, std::monostate{}}); }

// A backward pass as its two halves, each dispatched on its own; the fallbacks of both are kept, in order.
template <typename InputHalf, typename WeightHalf>
ConvGradients both_halves(const InputHalf& input_half, const WeightHalf& weight_half) {
  Tensor grad_input = input_half();
  std::vector<std::string> declined = t_last_fallbacks;
  WeightGradients weight_grads = weight_half();
  t_last_fallbacks.insert(t_last_fallbacks.begin(), declined.begin(), declined.end());
  return {std::move(grad_input), std::move(weight_grads.grad_weight), std::move(weight_grads.grad_bias)};
}

}  // namespace

const std::vector<std::string>& last_fallbacks() { return t_last_fallbacks; }

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias, IntPair stride,
                        IntPair padding, IntPair output_padding, int64_t groups, IntPair dilation) {
  const ConvTranspose2dParams params{stride, padding, output_padding, dilation, groups};
  return backend_for(OpRequest{Op::ConvTranspose2d, params}).conv_transpose2d(input, weight, bias ? &*bias : nullptr, params);
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias, IntPair stride,
              IntPair padding, IntPair dilation, int64_t groups) {
  const Conv2dParams params{stride, padding, dilation, groups};
  return backend_for(OpRequest{Op::Conv2d, params}).conv2d(input, weight, bias ? &*bias : nullptr, params);
}

Tensor conv_transpose2d_grad_input(const Shape& input_shape, const Tensor& weight, const Tensor& grad_output,
                                   const ConvTranspose2dParams& params) {
  require_symmetric_padding("conv_transpose2d_grad_input", params);
  return backend_for(OpRequest{Op::ConvTranspose2dGradInput, params})
      .conv_transpose2d_grad_input(input_shape, weight, grad_output, params);
}

WeightGradients conv_transpose2d_grad_weight(const Tensor& input, const Shape& weight_shape, const Tensor& grad_output,
                                             bool with_bias, const ConvTranspose2dParams& params) {
  require_symmetric_padding("conv_transpose2d_grad_weight", params);
  return backend_for(OpRequest{Op::ConvTranspose2dGradWeight, params})
      .conv_transpose2d_grad_weight(input, weight_shape, grad_output, with_bias, params);
}

Tensor conv2d_grad_input(const Shape& input_shape, const Tensor& weight, const Tensor& grad_output,
                         const Conv2dParams& params) {
  return backend_for(OpRequest{Op::Conv2dGradInput, params}).conv2d_grad_input(input_shape, weight, grad_output, params);
}

WeightGradients conv2d_grad_weight(const Tensor& input, const Shape& weight_shape, const Tensor& grad_output,
                                   bool with_bias, const Conv2dParams& params) {
  return backend_for(OpRequest{Op::Conv2dGradWeight, params})
      .conv2d_grad_weight(input, weight_shape, grad_output, with_bias, params);
}

ConvGradients conv_transpose2d_backward(const Tensor& input, const Tensor& weight, bool with_bias,
                                        const Tensor& grad_output, const ConvTranspose2dParams& params) {
  return both_halves([&] { return conv_transpose2d_grad_input(input.shape(), weight, grad_output, params); },
                     [&] { return conv_transpose2d_grad_weight(input, weight.shape(), grad_output, with_bias, params); });
}

ConvGradients conv2d_backward(const Tensor& input, const Tensor& weight, bool with_bias, const Tensor& grad_output,
                              const Conv2dParams& params) {
  return both_halves([&] { return conv2d_grad_input(input.shape(), weight, grad_output, params); },
                     [&] { return conv2d_grad_weight(input, weight.shape(), grad_output, with_bias, params); });
}

Tensor interpolate(const Tensor& input, const InterpolateParams& params) {
  return backend_for(OpRequest{Op::Interpolate, params}).interpolate(input, params);
}

Tensor interpolate_backward(const Tensor& grad_output, const Shape& input_shape, const InterpolateParams& params) {
  return backend_for(OpRequest{Op::InterpolateBackward, params}).interpolate_backward(grad_output, input_shape, params);
}

Tensor pixel_shuffle(const Tensor& input, int64_t upscale_factor) {
  return backend_for(Op::PixelShuffle).pixel_shuffle(input, upscale_factor);
}

Tensor pixel_unshuffle(const Tensor& input, int64_t downscale_factor) {
  return backend_for(Op::PixelUnshuffle).pixel_unshuffle(input, downscale_factor);
}

Tensor activation(const Tensor& input, Activation activation, float negative_slope) {
  return backend_for(Op::Activation).activation(input, activation, negative_slope);
}

Tensor activation_backward(const Tensor& input, const Tensor& grad_output, Activation activation, float negative_slope) {
  return backend_for(Op::ActivationBackward).activation_backward(input, grad_output, activation, negative_slope);
}

double mse_loss(const Tensor& input, const Tensor& target) {
  return backend_for(Op::Loss).loss(LossKind::Mse, input, target);
}

Tensor mse_loss_backward(const Tensor& input, const Tensor& target) {
  return backend_for(Op::LossBackward).loss_backward(LossKind::Mse, input, target);
}

double l1_loss(const Tensor& input, const Tensor& target) {
  return backend_for(Op::Loss).loss(LossKind::L1, input, target);
}

Tensor l1_loss_backward(const Tensor& input, const Tensor& target) {
  return backend_for(Op::LossBackward).loss_backward(LossKind::L1, input, target);
}

}  // namespace convt
