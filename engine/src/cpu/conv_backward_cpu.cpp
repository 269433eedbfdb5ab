// The fast backward passes of both convolutions, each reduced to a kernel the forward already has or to the
// weight-gradient GEMM (weight_gradient.h):
// - conv_transpose2d's grad_input is one strided correlation of grad_output with the same weight, read as a conv2d
//   weight [C_in, C_out/g]: grad_input[iy] = sum over ky of grad_output[iy*s - p + ky*d] * w. Its plan has the
//   transposed conv's input size, so an output_padding >= stride (extra rows no input reaches) needs no crop.
// - conv2d's grad_input is the phase-decomposed conv_transpose2d with the output_padding that restores the input.
#include <convt/cpu.h>
#include <convt/shape.h>

#include "columns.h"
#include "strided_correlation.h"
#include "thin_groups.h"
#include "weight_gradient.h"

namespace convt::cpu {
void conv_transpose2d_grad_input_cpu_into(const Tensor& weight, const Tensor& grad_output,
                                          const ConvTranspose2dParams& params, Tensor& grad_input) {
  const ConvTranspose2dGeometry g = validate_conv_transpose2d(grad_input.shape(), weight.shape(), std::nullopt, params);
  validate_grad_output("conv_transpose2d", g.output_shape(), grad_output.shape());
  if (use_columns_path(g, params))
    return conv_transpose2d_grad_input_columns(g, params, weight.data(), grad_output.data(), grad_input.data());
  // The correlation reads grad_output (C_out channels) and writes grad_input (C_in channels).
  const ConvShape shape{g.batch,   g.groups, g.out_channels, g.out_h, g.out_w, g.in_channels, g.in_h, g.in_w,
                        g.out_channels_per_group, g.in_channels_per_group, g.kernel_h, g.kernel_w};
  const std::vector<CorrelationPlan> plans{
      {strided_axis(g.in_h, g.kernel_h, params.stride.h, params.padding.h, params.dilation.h),
       strided_axis(g.in_w, g.kernel_w, params.stride.w, params.padding.w, params.dilation.w)}};
  const auto run = use_thin_path(g.in_channels_per_group, g.out_channels_per_group) ? thin_correlations : run_correlations;
  run(plans, shape, grad_output.data(), weight.data(), WeightLayout::Forward, nullptr, grad_input.data());
}

namespace {

// One operand of the weight-gradient GEMM: its data and its [channels, height, width] per sample (the geometry's,
// so unbatched 3-D tensors count as a batch of one).
struct Operand {
  const float* data;
  int64_t channels, h, w;
};

// Both ops' weight gradients are one reduction of `a` (summed over its pixels) against `b` (read at the strided,
// dilated taps); the bias gradient sums grad_output (one of the two). Shapes are checked by the caller.
void weight_and_bias_gradient(int64_t batch, int64_t groups, Operand a, Operand b, Operand grad_output, IntPair kernel,
                              IntPair stride, IntPair padding, IntPair dilation, Tensor& grad_weight, Tensor* grad_bias) {
  WeightGradientProblem problem;
  problem.batch = batch, problem.groups = groups;
  problem.a_channels = a.channels, problem.a_h = a.h, problem.a_w = a.w;
  problem.b_channels = b.channels, problem.b_h = b.h, problem.b_w = b.w;
  problem.kernel_h = kernel.h, problem.kernel_w = kernel.w;
  problem.stride = stride, problem.padding = padding, problem.dilation = dilation;
  const auto gradient = use_thin_weight_gradient(a.channels / groups, b.channels / groups, kernel.h * kernel.w)
                            ? thin_weight_gradient
                            : weight_gradient;
  gradient(problem, a.data, b.data, grad_weight.data());
  if (grad_bias)
    bias_gradient(grad_output.data, batch, grad_output.channels, grad_output.h * grad_output.w, grad_bias->data());
}

}  // namespace

void conv_transpose2d_grad_weight_cpu_into(const Tensor& input, const Tensor& grad_output,
                                           const ConvTranspose2dParams& params, Tensor& grad_weight, Tensor* grad_bias) {
  const ConvTranspose2dGeometry g = validate_conv_transpose2d(input.shape(), grad_weight.shape(), std::nullopt, params);
  validate_grad_output("conv_transpose2d", g.output_shape(), grad_output.shape());
  if (grad_bias) check_output_shape("conv_transpose2d_grad_weight_cpu_into: grad_bias", grad_bias->shape(), {g.out_channels});
  if (use_columns_path(g, params)) {
    conv_transpose2d_grad_weight_columns(g, params, input.data(), grad_output.data(), grad_weight.data());
    if (grad_bias) bias_gradient(grad_output.data(), g.batch, g.out_channels, g.out_h * g.out_w, grad_bias->data());
    return;
  }
  // A (summed over its pixels) is the input, B (read at the strided taps) grad_output.
  const Operand x{input.data(), g.in_channels, g.in_h, g.in_w}, dy{grad_output.data(), g.out_channels, g.out_h, g.out_w};
  weight_and_bias_gradient(g.batch, g.groups, x, dy, dy, {g.kernel_h, g.kernel_w}, params.stride, params.padding,
                           params.dilation, grad_weight, grad_bias);
}

void conv2d_grad_input_cpu_into(const Tensor& weight, const Tensor& grad_output, const Conv2dParams& params,
                                Tensor& grad_input) {
  const Conv2dGeometry g = validate_conv2d(grad_input.shape(), weight.shape(), std::nullopt, params);
  validate_grad_output("conv2d", g.output_shape(), grad_output.shape());
  conv_transpose2d_cpu_into(grad_output, weight, nullptr, conv2d_grad_input_params(g, params), grad_input);
}

void conv2d_grad_weight_cpu_into(const Tensor& input, const Tensor& grad_output, const Conv2dParams& params,
                                 Tensor& grad_weight, Tensor* grad_bias) {
  const Conv2dGeometry g = validate_conv2d(input.shape(), grad_weight.shape(), std::nullopt, params);
  validate_grad_output("conv2d", g.output_shape(), grad_output.shape());
  if (grad_bias) check_output_shape("conv2d_grad_weight_cpu_into: grad_bias", grad_bias->shape(), {g.out_channels});
  // The roles swap: A is grad_output, B (read at the strided taps) the input.
  const Operand x{input.data(), g.in_channels, g.in_h, g.in_w}, dy{grad_output.data(), g.out_channels, g.out_h, g.out_w};
  weight_and_bias_gradient(g.batch, g.groups, dy, x, dy, {g.kernel_h, g.kernel_w}, params.stride, params.padding,
                           params.dilation, grad_weight, grad_bias);
}

Tensor conv_transpose2d_grad_input_cpu(const Shape& input_shape, const Tensor& weight, const Tensor& grad_output,
                                       const ConvTranspose2dParams& params) {
  validate_conv_transpose2d(input_shape, weight.shape(), std::nullopt, params);  // before allocating input_shape
  Tensor grad_input(input_shape);
  conv_transpose2d_grad_input_cpu_into(weight, grad_output, params, grad_input);
  return grad_input;
}

WeightGradients conv_transpose2d_grad_weight_cpu(const Tensor& input, const Shape& weight_shape,
                                                 const Tensor& grad_output, bool with_bias,
                                                 const ConvTranspose2dParams& params) {
  const ConvTranspose2dGeometry g = validate_conv_transpose2d(input.shape(), weight_shape, std::nullopt, params);
  WeightGradients grads{Tensor(weight_shape), std::nullopt};
  if (with_bias) grads.grad_bias = Tensor({g.out_channels});
  conv_transpose2d_grad_weight_cpu_into(input, grad_output, params, grads.grad_weight,
                                        grads.grad_bias ? &*grads.grad_bias : nullptr);
  return grads;
}

Tensor conv2d_grad_input_cpu(const Shape& input_shape, const Tensor& weight, const Tensor& grad_output,
                             const Conv2dParams& params) {
  validate_conv2d(input_shape, weight.shape(), std::nullopt, params);
  Tensor grad_input(input_shape);
  conv2d_grad_input_cpu_into(weight, grad_output, params, grad_input);
  return grad_input;
}

WeightGradients conv2d_grad_weight_cpu(const Tensor& input, const Shape& weight_shape, const Tensor& grad_output,
                                       bool with_bias, const Conv2dParams& params) {
  const Conv2dGeometry g = validate_conv2d(input.shape(), weight_shape, std::nullopt, params);
  WeightGradients grads{Tensor(weight_shape), std::nullopt};
  if (with_bias) grads.grad_bias = Tensor({g.out_channels});
  conv2d_grad_weight_cpu_into(input, grad_output, params, grads.grad_weight, grads.grad_bias ? &*grads.grad_bias : nullptr);
  return grads;
}

}  // namespace convt::cpu
