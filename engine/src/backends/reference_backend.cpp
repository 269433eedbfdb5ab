// The reference backend: every op, by the plain double-accumulating loops of reference.h. It is the end of every
// fallback chain, so it declines nothing. Its grad functions reuse the full backward references, which need the
// factor the pass does not use only for its shape: a zero tensor stands in for it.
#include "registry.h"

#include <convt/reference.h>
#include <convt/shape.h>
#include <convt/stack.h>

namespace convt::backends {
namespace {

class ReferenceBackend final : public Backend {
 public:
  std::string name() const override { return "reference"; }
  Availability availability() const override { return {true, "plain double-accumulating loops (the oracle)"}; }
  Support supports(const OpRequest&) const override { return Support::yes(); }

  Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor* bias,
                          const ConvTranspose2dParams& params) const override {
    return conv_transpose2d_reference(input, weight, bias, params);
  }
  Tensor conv_transpose2d_grad_input(const Shape& input_shape, const Tensor& weight, const Tensor& grad_output,
                                     const ConvTranspose2dParams& params) const override {
    validate_conv_transpose2d(input_shape, weight.shape(), std::nullopt, params);
    return conv_transpose2d_backward_reference(Tensor::zeros(input_shape), weight, false, grad_output, params).grad_input;
  }
  WeightGradients conv_transpose2d_grad_weight(const Tensor& input, const Shape& weight_shape, const Tensor& grad_output,
                                               bool with_bias, const ConvTranspose2dParams& params) const override {
    validate_conv_transpose2d(input.shape(), weight_shape, std::nullopt, params);
    ConvGradients g = conv_transpose2d_backward_reference(input, Tensor::zeros(weight_shape), with_bias, grad_output, params);
    return {std::move(g.grad_weight), std::move(g.grad_bias)};
  }
  Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor* bias, const Conv2dParams& params) const override {
    return conv2d_reference(input, weight, bias, params);
  }
  Tensor conv2d_grad_input(const Shape& input_shape, const Tensor& weight, const Tensor& grad_output,
                           const Conv2dParams& params) const override {
    validate_conv2d(input_shape, weight.shape(), std::nullopt, params);
    return conv2d_backward_reference(Tensor::zeros(input_shape), weight, false, grad_output, params).grad_input;
  }
  WeightGradients conv2d_grad_weight(const Tensor& input, const Shape& weight_shape, const Tensor& grad_output,
                                     bool with_bias, const Conv2dParams& params) const override {
    validate_conv2d(input.shape(), weight_shape, std::nullopt, params);
    ConvGradients g = conv2d_backward_reference(input, Tensor::zeros(weight_shape), with_bias, grad_output, params);
    return {std::move(g.grad_weight), std::move(g.grad_bias)};
  }
  Tensor interpolate(const Tensor& input, const InterpolateParams& params) const override {
    return interpolate_reference(input, params);
  }
  Tensor interpolate_backward(const Tensor& grad_output, const Shape& input_shape,
                              const InterpolateParams& params) const override {
    return interpolate_backward_reference(grad_output, input_shape, params);
  }
  Tensor pixel_shuffle(const Tensor& input, int64_t upscale_factor) const override {
    return pixel_shuffle_reference(input, upscale_factor);
  }
  Tensor pixel_unshuffle(const Tensor& input, int64_t downscale_factor) const override {
    return pixel_unshuffle_reference(input, downscale_factor);
  }
  Tensor activation(const Tensor& input, Activation activation, float negative_slope) const override {
    return activation_reference(input, activation, negative_slope);
  }
  Tensor activation_backward(const Tensor& input, const Tensor& grad_output, Activation activation,
                             float negative_slope) const override {
    return activation_backward_reference(input, grad_output, activation, negative_slope);
  }
  double loss(LossKind loss, const Tensor& input, const Tensor& target) const override {
    return loss == LossKind::Mse ? mse_loss_reference(input, target) : l1_loss_reference(input, target);
  }
  Tensor loss_backward(LossKind loss, const Tensor& input, const Tensor& target) const override {
    return loss == LossKind::Mse ? mse_loss_backward_reference(input, target) : l1_loss_backward_reference(input, target);
  }
};

}  // namespace

const Backend& reference() {
  static const ReferenceBackend backend;
  return backend;
}

}  // namespace convt::backends
