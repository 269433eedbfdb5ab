// The fast conv2d: a single strided correlation (in_stride = stride, taps at k*d - p), on the same packing and
// microkernels as the transposed conv.
#include <convt/cpu.h>

#include "strided_correlation.h"
#include "thin_groups.h"

#include <convt/shape.h>

namespace convt::cpu {

void conv2d_cpu_into(const Tensor& input, const Tensor& weight, const Tensor* bias, const Conv2dParams& params,
                     Tensor& output) {
  const Conv2dGeometry g = validate_conv2d(input.shape(), weight.shape(),
                                           bias ? std::optional<Shape>(bias->shape()) : std::nullopt, params);
  check_output_shape("conv2d_cpu_into", output.shape(), g.output_shape());
  const ConvShape shape{g.batch,        g.groups, g.in_channels, g.in_h, g.in_w, g.out_channels, g.out_h, g.out_w,
                        g.in_channels_per_group, g.out_channels_per_group, g.kernel_h, g.kernel_w};
  const std::vector<CorrelationPlan> plans{
      {strided_axis(g.out_h, g.kernel_h, params.stride.h, params.padding.h, params.dilation.h),
       strided_axis(g.out_w, g.kernel_w, params.stride.w, params.padding.w, params.dilation.w)}};
  const auto run = use_thin_path(g.in_channels_per_group, g.out_channels_per_group) ? thin_correlations : run_correlations;
  run(plans, shape, input.data(), weight.data(), WeightLayout::Forward, bias ? bias->data() : nullptr, output.data());
}

Tensor conv2d_cpu(const Tensor& input, const Tensor& weight, const Tensor* bias, const Conv2dParams& params) {
  Tensor output(validate_conv2d(input.shape(), weight.shape(), bias ? std::optional<Shape>(bias->shape()) : std::nullopt,
                                params)
                    .output_shape());
  conv2d_cpu_into(input, weight, bias, params, output);
  return output;
}

}  // namespace convt::cpu
