// The reference ops: plain loops that follow the definitions in MATH.md, accumulate in double, and are the
// oracle every fast path is tested against. PyTorch-compatible argument order and semantics.
#pragma once

#include <convt/params.h>
#include <convt/tensor.h>

#include <optional>

namespace convt {

// y[n, g*Cog + co, oy, ox] = bias[..] + sum over ci in group g, ky, kx of x[n, g*Cig + ci, iy, ix] * w[g*Cig + ci, co, ky, kx]
// where oy = iy*s - p + ky*d. input [N, C_in, H, W] or unbatched [C_in, H, W]; weight [C_in, C_out/groups, kH, kW].
Tensor conv_transpose2d_reference(const Tensor& input, const Tensor& weight, const Tensor* bias,
                                  const ConvTranspose2dParams& params);

// PyTorch's functional signature: conv_transpose2d(input, weight, bias, stride, padding, output_padding,
// groups, dilation). Ints convert to equal pairs. Runs the reference backend.
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias = std::nullopt,
                        IntPair stride = 1, IntPair padding = 0, IntPair output_padding = 0, int64_t groups = 1,
                        IntPair dilation = 1);

// Forward convolution (cross-correlation, as PyTorch): weight [C_out, C_in/groups, kH, kW].
Tensor conv2d_reference(const Tensor& input, const Tensor& weight, const Tensor* bias, const Conv2dParams& params);

// PyTorch's order: conv2d(input, weight, bias, stride, padding, dilation, groups).
Tensor conv2d(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias = std::nullopt,
              IntPair stride = 1, IntPair padding = 0, IntPair dilation = 1, int64_t groups = 1);

// ---- Backward passes (references: plain loops in double) ----------------------------------------------------

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

// F.pixel_shuffle: [N, C*r*r, H, W] -> [N, C, H*r, W*r] (or unbatched 3-D), y[n, c, h*r + i, w*r + j] =
// x[n, c*r*r + i*r + j, h, w], PyTorch's channel order. pixel_unshuffle is its inverse, and each is the other's
// backward (both only move elements).
Tensor pixel_shuffle_reference(const Tensor& input, int64_t upscale_factor);
Tensor pixel_unshuffle_reference(const Tensor& input, int64_t downscale_factor);

// F.mse_loss and F.l1_loss with reduction "mean", and their gradients with respect to `input` (for a loss scaled
// by 1): 2 (x - t) / numel, and sign(x - t) / numel with sign(0) = 0, as PyTorch.
double mse_loss_reference(const Tensor& input, const Tensor& target);
Tensor mse_loss_backward_reference(const Tensor& input, const Tensor& target);
double l1_loss_reference(const Tensor& input, const Tensor& target);
Tensor l1_loss_backward_reference(const Tensor& input, const Tensor& target);

// F.interpolate for 4-D [N, C, H, W] input: nearest, or bilinear with align_corners false/true, by size or by
// scale factor (recompute_scale_factor left at its default, as PyTorch does).
Tensor interpolate(const Tensor& input, const InterpolateParams& params);

// interpolate's backward: the gradient with respect to an input of `input_shape`, given grad_output of the forward
// output's shape (refused otherwise, naming it). Uses the forward's own indices and weights.
Tensor interpolate_backward_reference(const Tensor& grad_output, const Shape& input_shape, const InterpolateParams& params);

// Output size of interpolate for one axis (floor(input * scale) when scaling), validated.
IntPair interpolate_output_size(const Shape& input_shape, const InterpolateParams& params);

}  // namespace convt
