// The fast conv_transpose2d: one strided correlation per output phase (phase_geometry.h), so no multiply ever
// meets an inserted zero and no col2im buffer exists. Phases without taps (k < s, or dilation sharing a factor
// with the stride) still write their outputs: the bias alone.
#include <convt/cpu.h>

#include "../common/phase_geometry.h"
#include "strided_correlation.h"

#include <convt/error.h>
#include <convt/shape.h>

namespace convt::cpu {
namespace {

AxisPlan phase_axis(int64_t r, int64_t output, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation) {
  const phase::AxisPhase outputs = phase::axis_phase(r, output, stride, padding);
  AxisPlan axis;
  axis.q_begin = outputs.q_begin;
  axis.count = outputs.count;
  axis.out_stride = stride;
  axis.out_base = outputs.out_base;
  axis.in_stride = 1;
  for (int64_t k = 0; k < kernel; ++k)
    if (phase::tap_in_phase(k, r, stride, dilation)) {
      axis.tap_kernel.push_back(k);
      axis.tap_offset.push_back(phase::tap_offset(k, r, stride, dilation));
    }
  return axis;
}

}  // namespace

void conv_transpose2d_cpu_into(const Tensor& input, const Tensor& weight, const Tensor* bias,
                               const ConvTranspose2dParams& params, Tensor& output) {
  const ConvTranspose2dGeometry g = validate_conv_transpose2d(
      input.shape(), weight.shape(), bias ? std::optional<Shape>(bias->shape()) : std::nullopt, params);
  if (output.shape() != g.output_shape())
    throw_invalid(std::string("conv_transpose2d_cpu_into: output of shape ") + shape_to_string(output.shape()) +
                  " does not match the expected " + shape_to_string(g.output_shape()));
  const ConvShape shape{g.batch,        g.groups, g.in_channels, g.in_h, g.in_w, g.out_channels, g.out_h, g.out_w,
                        g.in_channels_per_group, g.out_channels_per_group, g.kernel_h, g.kernel_w};
  std::vector<CorrelationPlan> plans;
  for (int64_t ry = 0; ry < params.stride.h; ++ry) {
    const AxisPlan y = phase_axis(ry, g.out_h, g.kernel_h, params.stride.h, params.padding.h, params.dilation.h);
    if (y.count == 0) continue;
    for (int64_t rx = 0; rx < params.stride.w; ++rx) {
      AxisPlan x = phase_axis(rx, g.out_w, g.kernel_w, params.stride.w, params.padding.w, params.dilation.w);
      if (x.count > 0) plans.push_back({y, std::move(x)});
    }
  }
  run_correlations(plans, shape, input.data(), weight.data(), WeightLayout::Transposed, bias ? bias->data() : nullptr,
                   output.data());
}

Tensor conv_transpose2d_cpu(const Tensor& input, const Tensor& weight, const Tensor* bias,
                            const ConvTranspose2dParams& params) {
  Tensor output(validate_conv_transpose2d(input.shape(), weight.shape(),
                                          bias ? std::optional<Shape>(bias->shape()) : std::nullopt, params)
                    .output_shape());
  conv_transpose2d_cpu_into(input, weight, bias, params, output);
  return output;
}

}  // namespace convt::cpu
