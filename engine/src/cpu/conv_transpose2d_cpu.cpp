// The fast conv_transpose2d: one strided correlation per output phase (phase_geometry.h), so no multiply ever
// meets an inserted zero and no col2im buffer exists. Phases without taps (k < s, or dilation sharing a factor
// with the stride) get no correlation: the output is filled with the bias first, and only phases with taps run.
#include <convt/cpu.h>

#include "../common/phase_geometry.h"
#include "columns.h"
#include "parallel_threshold.h"
#include "scatter_gemm.h"
#include "strided_correlation.h"
#include "thin_groups.h"

#include <convt/error.h>
#include <convt/shape.h>

#include <algorithm>
#include <memory>
#include <optional>

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
  const phase::AxisTaps taps = phase::axis_taps(r, kernel, stride, dilation);
  for (int64_t t = 0; t < taps.count; ++t) {
    axis.tap_kernel.push_back(taps.first_kernel + t * taps.kernel_step);
    axis.tap_offset.push_back(taps.first_offset + t * taps.offset_step);
  }
  return axis;
}

// The phases with taps on both axes, in a fixed order (ry major) that depends on the kernel, stride and dilation
// only, so packed panels line up with the plans whatever the input size. Phases with taps but no outputs (a
// small input) are kept as empty plans for the same reason.
std::vector<CorrelationPlan> phase_plans(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params) {
  std::vector<CorrelationPlan> plans;
  for (int64_t ry : phase::phases_with_taps(g.kernel_h, params.stride.h, params.dilation.h))
    for (int64_t rx : phase::phases_with_taps(g.kernel_w, params.stride.w, params.dilation.w))
      plans.push_back({phase_axis(ry, g.out_h, g.kernel_h, params.stride.h, params.padding.h, params.dilation.h),
                       phase_axis(rx, g.out_w, g.kernel_w, params.stride.w, params.padding.w, params.dilation.w)});
  return plans;
}

// Outputs in phases without taps receive only the bias (or zero); exactly those are written here, once, so the
// correlations and this fill together write every output once.
void fill_tapless_outputs(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params, const Tensor* bias,
                          Tensor& output) {
  const std::vector<int64_t> rows = phase::phases_with_taps(g.kernel_h, params.stride.h, params.dilation.h);
  const std::vector<int64_t> cols = phase::phases_with_taps(g.kernel_w, params.stride.w, params.dilation.w);
  if (static_cast<int64_t>(rows.size()) == params.stride.h && static_cast<int64_t>(cols.size()) == params.stride.w) return;
  auto has_taps = [](int64_t size, int64_t padding, int64_t stride, const std::vector<int64_t>& phases) {
    std::vector<char> mask(static_cast<size_t>(size));
    for (int64_t o = 0; o < size; ++o)
      mask[static_cast<size_t>(o)] = std::binary_search(phases.begin(), phases.end(), (o + padding) % stride);
    return mask;
  };
  const std::vector<char> row_taps = has_taps(g.out_h, params.padding.h, params.stride.h, rows);
  const std::vector<char> col_taps = has_taps(g.out_w, params.padding.w, params.stride.w, cols);
  const int64_t planes = g.batch * g.out_channels, width = g.out_w;
#pragma omp parallel for schedule(static) num_threads(threads_for_work(static_cast<double>(planes * g.out_h * width)))
  for (int64_t plane = 0; plane < planes; ++plane) {
    const float value = bias ? (*bias)[plane % g.out_channels] : 0.0f;
    float* out = output.data() + plane * g.out_h * width;
    for (int64_t oy = 0; oy < g.out_h; ++oy) {
      float* row = out + oy * width;
      if (!row_taps[static_cast<size_t>(oy)]) {
        std::fill(row, row + width, value);
        continue;
      }
      for (int64_t ox = 0; ox < width; ++ox)
        if (!col_taps[static_cast<size_t>(ox)]) row[ox] = value;
    }
  }
}

ConvShape conv_shape(const ConvTranspose2dGeometry& g) {
  return {g.batch,        g.groups, g.in_channels, g.in_h, g.in_w, g.out_channels, g.out_h, g.out_w,
          g.in_channels_per_group, g.out_channels_per_group, g.kernel_h, g.kernel_w};
}

ConvTranspose2dGeometry checked_geometry(const Tensor& input, const Shape& weight_shape, const Tensor* bias,
                                         const ConvTranspose2dParams& params, const Tensor& output) {
  const ConvTranspose2dGeometry g = validate_conv_transpose2d(
      input.shape(), weight_shape, bias ? std::optional<Shape>(bias->shape()) : std::nullopt, params);
  check_output_shape("conv_transpose2d_cpu", output.shape(), g.output_shape());
  return g;
}

}  // namespace

struct PackedWeight {
  Shape weight_shape;
  ConvTranspose2dParams params;
  PackedPanels panels;
  // Thin groups take the direct kernels, which read the weight as it is: a copy of it instead of panels.
  std::optional<Tensor> thin_weight;
};

std::shared_ptr<const PackedWeight> pack_conv_transpose2d_weight(const Tensor& weight,
                                                                 const ConvTranspose2dParams& params) {
  validate_params(params);
  if (weight.dim() != 4)
    throw_invalid("conv_transpose2d: weight of shape " + shape_to_string(weight.shape()) +
                  " is invalid: expected a 4-D weight [C_in, C_out/groups, kH, kW]", "weight");
  // The taps do not depend on the input size: any input with a valid output will do. The smallest one keeps the
  // stand-in output small whatever the stride: (i - 1)*s >= 2p - d*(k - 1) makes the output at least 1.
  auto smallest_input = [](int64_t kernel, int64_t stride, int64_t padding, int64_t dilation) {
    return 1 + phase::ceil_div(std::max<int64_t>(0, 2 * padding - dilation * (kernel - 1)), stride);
  };
  const ConvTranspose2dGeometry g = validate_conv_transpose2d(
      {1, weight.size(0), smallest_input(weight.size(2), params.stride.h, params.padding.h, params.dilation.h),
       smallest_input(weight.size(3), params.stride.w, params.padding.w, params.dilation.w)},
      weight.shape(), std::nullopt, params);
  auto packed = std::make_shared<PackedWeight>();
  packed->weight_shape = weight.shape();
  packed->params = params;
  if (use_thin_path(g.in_channels_per_group, g.out_channels_per_group))
    packed->thin_weight = weight;
  else
    packed->panels = pack_panels(phase_plans(g, params), conv_shape(g), weight.data(), WeightLayout::Transposed);
  return packed;
}

void conv_transpose2d_cpu_into(const Tensor& input, const Tensor& weight, const Tensor* bias,
                               const ConvTranspose2dParams& params, Tensor& output) {
  const ConvTranspose2dGeometry g = checked_geometry(input, weight.shape(), bias, params, output);
  if (use_columns_forward(g, params))
    return conv_transpose2d_columns(g, params, input.data(), weight.data(), bias ? bias->data() : nullptr,
                                    output.data());
  const std::vector<CorrelationPlan> plans = phase_plans(g, params);
  const bool thin = use_thin_path(g.in_channels_per_group, g.out_channels_per_group);
  if (use_scatter_gemm(g, params, thin, phase_gemm_input(plans, conv_shape(g))))
    return conv_transpose2d_scatter_gemm(g, params, input.data(), weight.data(), bias ? bias->data() : nullptr,
                                         output.data());
  fill_tapless_outputs(g, params, bias, output);
  const auto run = thin ? thin_correlations : run_correlations;
  run(plans, conv_shape(g), input.data(), weight.data(), WeightLayout::Transposed, bias ? bias->data() : nullptr,
      output.data());
}

void conv_transpose2d_cpu_into(const Tensor& input, const PackedWeight& weight, const Tensor* bias,
                               const ConvTranspose2dParams& params, Tensor& output) {
  if (!(params == weight.params))
    throw_invalid("conv_transpose2d_cpu: the weight was packed for other parameters; pack it again");
  if (weight.thin_weight) return conv_transpose2d_cpu_into(input, *weight.thin_weight, bias, params, output);
  const ConvTranspose2dGeometry g = checked_geometry(input, weight.weight_shape, bias, params, output);
  fill_tapless_outputs(g, params, bias, output);
  run_correlations_packed(phase_plans(g, params), conv_shape(g), input.data(), weight.panels,
                          bias ? bias->data() : nullptr, output.data());
}

Tensor conv_transpose2d_cpu(const Tensor& input, const Tensor& weight, const Tensor* bias,
                            const ConvTranspose2dParams& params) {
  Tensor output(validate_conv_transpose2d(input.shape(), weight.shape(),
                                          bias ? std::optional<Shape>(bias->shape()) : std::nullopt, params)
                    .output_shape());
  conv_transpose2d_cpu_into(input, weight, bias, params, output);
  return output;
}

Tensor conv_transpose2d_cpu(const Tensor& input, const PackedWeight& weight, const Tensor* bias,
                            const ConvTranspose2dParams& params) {
  Tensor output(validate_conv_transpose2d(input.shape(), weight.weight_shape,
                                          bias ? std::optional<Shape>(bias->shape()) : std::nullopt, params)
                    .output_shape());
  conv_transpose2d_cpu_into(input, weight, bias, params, output);
  return output;
}

}  // namespace convt::cpu
