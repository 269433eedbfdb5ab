// The CUDA gather kernels' per-element work, host/device, so the CPU tests compute every output element through
// exactly this code. Each output element sums its own terms in a fixed order: deterministic, no atomics.
#pragma once

#include "phase_geometry.h"

#include <math.h>

#include <cstdint>

namespace convt::phase {

// Shapes and parameters of either op, flattened for a kernel argument.
struct GatherProblem {
  int64_t batch = 0, in_channels = 0, in_h = 0, in_w = 0, out_channels = 0, out_h = 0, out_w = 0;
  int64_t kernel_h = 0, kernel_w = 0, in_per_group = 0, out_per_group = 0;
  int64_t stride_h = 1, stride_w = 1, padding_h = 0, padding_w = 0, dilation_h = 1, dilation_w = 1;

  CONVT_HOST_DEVICE int64_t output_count() const { return batch * out_channels * out_h * out_w; }
};

// From a validated ConvTranspose2dGeometry or Conv2dGeometry and its params (host side).
template <typename Geometry, typename Params>
inline GatherProblem make_gather_problem(const Geometry& g, const Params& p) {
  return {g.batch,    g.in_channels, g.in_h,      g.in_w,      g.out_channels, g.out_h,
          g.out_w,    g.kernel_h,    g.kernel_w,  g.in_channels_per_group,     g.out_channels_per_group,
          p.stride.h, p.stride.w,    p.padding.h, p.padding.w, p.dilation.h,   p.dilation.w};
}

struct OutputCoord {
  int64_t image, channel, oy, ox;
};

CONVT_HOST_DEVICE inline OutputCoord output_coord(const GatherProblem& a, int64_t index) {
  return {index / (a.out_w * a.out_h * a.out_channels), (index / (a.out_w * a.out_h)) % a.out_channels,
          (index / a.out_w) % a.out_h, index % a.out_w};
}

// conv_transpose2d output element `index` (NCHW order). Phase-aware: only the taps of the output's phase can
// land, and each reads input q + offset without a division per tap.
CONVT_HOST_DEVICE inline float conv_transpose2d_element(const GatherProblem& a, const float* input,
                                                        const float* weight, const float* bias, int64_t index) {
  const OutputCoord o = output_coord(a, index);
  const int64_t group = o.channel / a.out_per_group, co_local = o.channel % a.out_per_group;
  const int64_t ry = (o.oy + a.padding_h) % a.stride_h, rx = (o.ox + a.padding_w) % a.stride_w;
  const int64_t qy = (o.oy + a.padding_h - ry) / a.stride_h, qx = (o.ox + a.padding_w - rx) / a.stride_w;
  const AxisTaps taps_y = axis_taps(ry, a.kernel_h, a.stride_h, a.dilation_h);
  const AxisTaps taps_x = axis_taps(rx, a.kernel_w, a.stride_w, a.dilation_w);
  float sum = bias ? bias[o.channel] : 0.0f;
  for (int64_t ci = 0; ci < a.in_per_group; ++ci) {
    const int64_t channel = group * a.in_per_group + ci;
    const float* plane = input + (o.image * a.in_channels + channel) * a.in_h * a.in_w;
    const float* kernel = weight + (channel * a.out_per_group + co_local) * a.kernel_h * a.kernel_w;
    for (int64_t ty = 0; ty < taps_y.count; ++ty) {
      const int64_t iy = qy + taps_y.first_offset + ty * taps_y.offset_step;
      if (iy < 0 || iy >= a.in_h) continue;
      const int64_t ky = taps_y.first_kernel + ty * taps_y.kernel_step;
      for (int64_t tx = 0; tx < taps_x.count; ++tx) {
        const int64_t ix = qx + taps_x.first_offset + tx * taps_x.offset_step;
        if (ix < 0 || ix >= a.in_w) continue;
        const int64_t kx = taps_x.first_kernel + tx * taps_x.kernel_step;
        sum = fmaf(plane[iy * a.in_w + ix], kernel[ky * a.kernel_w + kx], sum);
      }
    }
  }
  return sum;
}

// conv2d output element `index` (NCHW order), weight [C_out, C_in/groups, kH, kW].
CONVT_HOST_DEVICE inline float conv2d_element(const GatherProblem& a, const float* input, const float* weight,
                                              const float* bias, int64_t index) {
  const OutputCoord o = output_coord(a, index);
  const int64_t group = o.channel / a.out_per_group;
  float sum = bias ? bias[o.channel] : 0.0f;
  for (int64_t ci = 0; ci < a.in_per_group; ++ci) {
    const float* plane = input + (o.image * a.in_channels + group * a.in_per_group + ci) * a.in_h * a.in_w;
    const float* kernel = weight + (o.channel * a.in_per_group + ci) * a.kernel_h * a.kernel_w;
    for (int64_t ky = 0; ky < a.kernel_h; ++ky) {
      const int64_t iy = o.oy * a.stride_h - a.padding_h + ky * a.dilation_h;
      if (iy < 0 || iy >= a.in_h) continue;
      for (int64_t kx = 0; kx < a.kernel_w; ++kx) {
        const int64_t ix = o.ox * a.stride_w - a.padding_w + kx * a.dilation_w;
        if (ix < 0 || ix >= a.in_w) continue;
        sum = fmaf(plane[iy * a.in_w + ix], kernel[ky * a.kernel_w + kx], sum);
      }
    }
  }
  return sum;
}

}  // namespace convt::phase
