// The engine's ops as a user calls them: PyTorch's functional signatures, run by the default backend ("auto"
// unless set_default_backend says otherwise, backend.h), falling back per op when a backend declines a call.
// The references, called by their own names, are in reference.h.
#pragma once

#include <convt/backend.h>
#include <convt/params.h>
#include <convt/reference.h>
#include <convt/tensor.h>

#include <optional>

namespace convt {

// conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation). Ints convert to pairs.
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias = std::nullopt,
                        IntPair stride = 1, IntPair padding = 0, IntPair output_padding = 0, int64_t groups = 1,
                        IntPair dilation = 1);

// conv2d(input, weight, bias, stride, padding, dilation, groups).
Tensor conv2d(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias = std::nullopt,
              IntPair stride = 1, IntPair padding = 0, IntPair dilation = 1, int64_t groups = 1);

// The backward passes, split as torch.nn.grad does: grad_input needs the input's shape and the weight,
// grad_weight the input and the weight's shape. grad_output must have the forward output's shape.
Tensor conv_transpose2d_grad_input(const Shape& input_shape, const Tensor& weight, const Tensor& grad_output,
                                   const ConvTranspose2dParams& params);
WeightGradients conv_transpose2d_grad_weight(const Tensor& input, const Shape& weight_shape, const Tensor& grad_output,
                                             bool with_bias, const ConvTranspose2dParams& params);
Tensor conv2d_grad_input(const Shape& input_shape, const Tensor& weight, const Tensor& grad_output,
                         const Conv2dParams& params);
WeightGradients conv2d_grad_weight(const Tensor& input, const Shape& weight_shape, const Tensor& grad_output,
                                   bool with_bias, const Conv2dParams& params);

// Both halves at once (each may run on a different backend when one declines).
ConvGradients conv_transpose2d_backward(const Tensor& input, const Tensor& weight, bool with_bias,
                                        const Tensor& grad_output, const ConvTranspose2dParams& params);
ConvGradients conv2d_backward(const Tensor& input, const Tensor& weight, bool with_bias, const Tensor& grad_output,
                              const Conv2dParams& params);

// F.interpolate and its backward (see interpolate_reference for the modes).
Tensor interpolate(const Tensor& input, const InterpolateParams& params);
Tensor interpolate_backward(const Tensor& grad_output, const Shape& input_shape, const InterpolateParams& params);

// Output size of interpolate for one axis (floor(input * scale) when scaling), validated.
IntPair interpolate_output_size(const Shape& input_shape, const InterpolateParams& params);

Tensor pixel_shuffle(const Tensor& input, int64_t upscale_factor);
Tensor pixel_unshuffle(const Tensor& input, int64_t downscale_factor);

Tensor activation(const Tensor& input, Activation activation, float negative_slope = 0.01f);
Tensor activation_backward(const Tensor& input, const Tensor& grad_output, Activation activation,
                           float negative_slope = 0.01f);

double mse_loss(const Tensor& input, const Tensor& target);
Tensor mse_loss_backward(const Tensor& input, const Tensor& target);
double l1_loss(const Tensor& input, const Tensor& target);
Tensor l1_loss_backward(const Tensor& input, const Tensor& target);

}  // namespace convt
