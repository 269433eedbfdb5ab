// The fast backward passes of both convolutions, each reduced to a kernel the forward already has or to the
// weight-gradient GEMM (weight_gradient.h):
// - conv_transpose2d's grad_input is one strided correlation of grad_output with the same weight, read as a conv2d
//   weight [C_in, C_out/g]: grad_input[iy] = sum over ky of grad_output[iy*s - p + ky*d] * w. Its plan has the
//   transposed conv's input size, so an output_padding >= stride (extra rows no input reaches) needs no crop.
// - conv2d's grad_input is the phase-decomposed conv_transpose2d with the output_padding that restores the input.
#include <convt/cpu.h>
#include <convt/shape.h>

#include "strided_correlation.h"
#include "weight_gradient.h"

namespace convt::cpu {
void conv_transpose2d_grad_input_cpu_into(const Tensor& weight, const Tensor& grad_output,
                                          const ConvTranspose2dParams& params, Tensor& grad_input) {
  const ConvTranspose2dGeometry g = validate_conv_transpose2d(grad_input.shape(), weight.shape(), std::nullopt, params);
  validate_grad_output("conv_transpose2d", g.output_shape(), grad_output.shape());
  // The correlation reads grad_output (C_out channels) and writes grad_input (C_in channels).
  const ConvShape shape{g.batch,   g.groups, g.out_channels, g.out_h, g.out_w, g.in_channels, g.in_h, g.in_w,
                        g.out_channels_per_group, g.in_channels_per_group, g.kernel_h, g.kernel_w};
  const std::vector<CorrelationPlan> plans{
      {strided_axis(g.in_h, g.kernel_h, params.stride.h, params.padding.h, params.dilation.h),
       strided_axis(g.in_w, g.kernel_w, params.stride.w, params.padding.w, params.dilation.w)}};
  run_correlations(plans, shape, grad_output.data(), weight.data(), WeightLayout::Forward, nullptr, grad_input.data());
}

void conv_transpose2d_grad_weight_cpu_into(const Tensor& input, const Tensor& grad_output,
                                           const ConvTranspose2dParams& params, Tensor& grad_weight, Tensor* grad_bias) {
  const ConvTranspose2dGeometry g = validate_conv_transpose2d(input.shape(), grad_weight.shape(), std::nullopt, params);
  validate_grad_output("conv_transpose2d", g.output_shape(), grad_output.shape());
  if (grad_bias) check_output_shape("conv_transpose2d_grad_weight_cpu_into: grad_bias", grad_bias->shape(), {g.out_channels});
  WeightGradientProblem problem;
  problem.batch = g.batch, problem.groups = g.groups;
  problem.a_channels = g.in_channels, problem.a_h = g.in_h, problem.a_w = g.in_w;
  problem.b_channels = g.out_channels, problem.b_h = g.out_h, problem.b_w = g.out_w;
  problem.kernel_h = g.kernel_h, problem.kernel_w = g.kernel_w;
  problem.stride = params.stride, problem.padding = params.padding, problem.dilation = params.dilation;
  weight_gradient(problem, input.data(), grad_output.data(), grad_weight.data());
  if (grad_bias) bias_gradient(grad_output.data(), g.batch, g.out_channels, g.out_h * g.out_w, grad_bias->data());
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
  WeightGradientProblem problem;
  problem.batch = g.batch, problem.groups = g.groups;
  problem.a_channels = g.out_channels, problem.a_h = g.out_h, problem.a_w = g.out_w;
  problem.b_channels = g.in_channels, problem.b_h = g.in_h, problem.b_w = g.in_w;
  problem.kernel_h = g.kernel_h, problem.kernel_w = g.kernel_w;
  problem.stride = params.stride, problem.padding = params.padding, problem.dilation = params.dilation;
  weight_gradient(problem, grad_output.data(), input.data(), grad_weight.data());
  if (grad_bias) bias_gradient(grad_output.data(), g.batch, g.out_channels, g.out_h * g.out_w, grad_bias->data());
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
