// The reference ops: plain loops that follow the definitions in MATH.md, accumulate in double, and are the
// oracle every fast path is tested against. PyTorch-compatible argument order and semantics. They are called by
// their own names; the entry points in ops.h run the selected backend instead.
#pragma once

#include <convt/params.h>
#include <convt/tensor.h>

#include <optional>

namespace convt {

// y[n, g*Cog + co, oy, ox] = bias[..] + sum over ci in group g, ky, kx of x[n, g*Cig + ci, iy, ix] * w[g*Cig + ci, co, ky, kx]
// where oy = iy*s - p + ky*d. input [N, C_in, H, W] or unbatched [C_in, H, W]; weight [C_in, C_out/groups, kH, kW].
Tensor conv_transpose2d_reference(const Tensor& input, const Tensor& weight, const Tensor* bias,
                                  const ConvTranspose2dParams& params);

// Forward convolution (cross-correlation, as PyTorch): weight [C_out, C_in/groups, kH, kW].
Tensor conv2d_reference(const Tensor& input, const Tensor& weight, const Tensor* bias, const Conv2dParams& params);

// The gradients of a loss L with respect to a conv's input, weight and bias, given grad_output = dL/dy (the forward
// output's shape). grad_bias is set when the layer has a bias.
struct ConvGradients {
  Tensor grad_input;   // the input's shape (3-D for unbatched input)
  Tensor grad_weight;  // the weight's shape
  std::optional<Tensor> grad_bias;  // [C_out]
};

// conv_transpose2d's backward, every parameter as in the forward. grad_input equals conv2d(grad_output, weight)
// with the same stride, padding, dilation and groups; grad_weight reduces x * grad_output over the batch and pixels.
// A grad_output of another shape is refused, naming the expected one (parameter "grad_output").
ConvGradients conv_transpose2d_backward_reference(const Tensor& input, const Tensor& weight, bool with_bias,
                                                  const Tensor& grad_output, const ConvTranspose2dParams& params);

// conv2d's backward. grad_input equals conv_transpose2d(grad_output, weight) with the output_padding that gives back
// the input's size.
ConvGradients conv2d_backward_reference(const Tensor& input, const Tensor& weight, bool with_bias,
                                        const Tensor& grad_output, const Conv2dParams& params);

// F.interpolate for 4-D [N, C, H, W] input: nearest, or bilinear with align_corners false/true, by size or by
// scale factor (recompute_scale_factor left at its default, as PyTorch does).
Tensor interpolate_reference(const Tensor& input, const InterpolateParams& params);

// interpolate's backward: the gradient with respect to an input of `input_shape`, given grad_output of the forward
// output's shape (refused otherwise, naming it). Uses the forward's own indices and weights.
Tensor interpolate_backward_reference(const Tensor& grad_output, const Shape& input_shape, const InterpolateParams& params);

// F.pixel_shuffle: [N, C*r*r, H, W] -> [N, C, H*r, W*r] (or unbatched 3-D), y[n, c, h*r + i, w*r + j] =
// x[n, c*r*r + i*r + j, h, w], PyTorch's channel order. pixel_unshuffle is its inverse, and each is the other's
// backward (both only move elements).
Tensor pixel_shuffle_reference(const Tensor& input, int64_t upscale_factor);
Tensor pixel_unshuffle_reference(const Tensor& input, int64_t downscale_factor);

// F.relu, F.leaky_relu(negative_slope), torch.tanh (None: a copy), and the backward grad_output * f'(input), with
// PyTorch's conventions (relu's derivative is 0 at 0, leaky_relu's is the slope there; tanh's is 1 - tanh(x)^2).
Tensor activation_reference(const Tensor& input, Activation activation, float negative_slope);
Tensor activation_backward_reference(const Tensor& input, const Tensor& grad_output, Activation activation,
                                     float negative_slope);

// F.mse_loss and F.l1_loss with reduction "mean", and their gradients with respect to `input` (for a loss scaled
// by 1): 2 (x - t) / numel, and sign(x - t) / numel with sign(0) = 0, as PyTorch.
double mse_loss_reference(const Tensor& input, const Tensor& target);
Tensor mse_loss_backward_reference(const Tensor& input, const Tensor& target);
double l1_loss_reference(const Tensor& input, const Tensor& target);
Tensor l1_loss_backward_reference(const Tensor& input, const Tensor& target);

}  // namespace convt
