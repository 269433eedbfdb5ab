// The CUDA implicit-GEMM kernels' whole per-thread logic, host/device, so the CPU test suite runs it too: it
// emulates a thread block by calling these steps for every thread between the points where the kernel
// synchronises (tests/test_cuda_kernel_logic.cpp). Only the launch and __syncthreads stay in the .cu files.
//
// One output phase (phase_geometry.h) of one group is a GEMM C[m, n] = sum_k A[m, k] * B[k, n]:
//   m = output channel within the group,
//   n = (image, q_y, q_x), the phase's output pixels,
//   k = (input channel within the group, tap row, tap column) over the phase's taps only,
// with A read from the PyTorch-layout weight [C_in, C_out/groups, kH, kW] and B gathered from the input
// (zero outside it), so no zero is inserted and nothing is materialised.
#pragma once

#include "phase_geometry.h"

#include <convt/params.h>
#include <convt/shape.h>

#include <math.h>

#include <climits>
#include <cstdint>
#include <vector>

namespace convt::phase {

struct GemmProblem {
  int64_t batch = 0, in_channels = 0, in_h = 0, in_w = 0;
  int64_t out_channels = 0, out_h = 0, out_w = 0;
  int64_t kernel_h = 0, kernel_w = 0, in_per_group = 0, out_per_group = 0;
  int64_t stride_h = 1, stride_w = 1;
  AxisPhase rows, cols;  // the phase's output rows and columns
  AxisTaps taps_h, taps_w;

  CONVT_HOST_DEVICE int64_t m_size() const { return out_per_group; }
  CONVT_HOST_DEVICE int64_t n_size() const { return batch * rows.count * cols.count; }
  CONVT_HOST_DEVICE int64_t k_size() const { return in_per_group * taps_h.count * taps_w.count; }
};

// The problem of phase (ry, rx); host side, from a validated geometry.
inline GemmProblem make_gemm_problem(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params, int64_t ry,
                                     int64_t rx) {
  GemmProblem p;
  p.batch = g.batch, p.in_channels = g.in_channels, p.in_h = g.in_h, p.in_w = g.in_w;
  p.out_channels = g.out_channels, p.out_h = g.out_h, p.out_w = g.out_w;
  p.kernel_h = g.kernel_h, p.kernel_w = g.kernel_w;
  p.in_per_group = g.in_channels_per_group, p.out_per_group = g.out_channels_per_group;
  p.stride_h = params.stride.h, p.stride_w = params.stride.w;
  p.rows = axis_phase(ry, g.out_h, params.stride.h, params.padding.h);
  p.cols = axis_phase(rx, g.out_w, params.stride.w, params.padding.w);
  p.taps_h = axis_taps(ry, g.kernel_h, params.stride.h, params.dilation.h);
  p.taps_w = axis_taps(rx, g.kernel_w, params.stride.w, params.dilation.w);
  return p;
}

// What the launcher runs: one GEMM per phase with taps on both axes and some outputs (at most min(k, s) phases
// per axis, whatever the stride), after filling the whole output with the bias when some phase has no taps (k < s,
// or gcd(s, d) > 1): those outputs receive nothing else.
struct GemmLaunchPlan {
  std::vector<GemmProblem> phases;
  bool fill_with_bias = false;
  bool fits = true;  // every K below 2^31 (gemm_reduction's 32-bit arithmetic); otherwise use the gather kernel
};

inline GemmLaunchPlan plan_gemm_launches(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params) {
  GemmLaunchPlan plan;
  const std::vector<int64_t> rows = phases_with_taps(g.kernel_h, params.stride.h, params.dilation.h);
  const std::vector<int64_t> cols = phases_with_taps(g.kernel_w, params.stride.w, params.dilation.w);
  plan.fill_with_bias = static_cast<int64_t>(rows.size()) < params.stride.h || static_cast<int64_t>(cols.size()) < params.stride.w;
  for (int64_t ry : rows)
    for (int64_t rx : cols) {
      const GemmProblem p = make_gemm_problem(g, params, ry, rx);
      if (p.n_size() > 0 && p.m_size() > 0) plan.phases.push_back(p);
      if (p.k_size() > INT32_MAX) plan.fits = false;
    }
  return plan;
}

// One column n of the GEMM: an output pixel of the phase, or none past the end.
struct GemmPixel {
  bool valid = false;
  int64_t image = 0, qy = 0, qx = 0;
};

CONVT_HOST_DEVICE inline GemmPixel gemm_pixel(const GemmProblem& p, int64_t n) {
  GemmPixel pixel;
  if (n < 0 || n >= p.n_size()) return pixel;
  const int64_t per_image = p.rows.count * p.cols.count, rest = n % per_image;
  pixel.valid = true;
  pixel.image = n / per_image;
  pixel.qy = p.rows.q_begin + rest / p.cols.count;
  pixel.qx = p.cols.q_begin + rest % p.cols.count;
  return pixel;
}

// One row k of the GEMM: (input channel within the group, tap row, tap column). 32-bit division, which is several
// times cheaper on a GPU than 64-bit: the launcher only plans problems whose K fits (plan_gemm_launches).
struct GemmReduction {
  int32_t channel, tap_y, tap_x;
};

CONVT_HOST_DEVICE inline GemmReduction gemm_reduction(const GemmProblem& p, int64_t k) {
  const int32_t taps_w = static_cast<int32_t>(p.taps_w.count);
  const int32_t taps = static_cast<int32_t>(p.taps_h.count) * taps_w, k32 = static_cast<int32_t>(k);
  const int32_t t = k32 % taps;
  return {k32 / taps, t / taps_w, t % taps_w};
}

// A[m, k] (zero past the ends, so partial tiles need no special case).
CONVT_HOST_DEVICE inline float gemm_weight(const GemmProblem& p, const float* weight, int64_t group, int64_t m,
                                           int64_t k) {
  if (m >= p.m_size() || k >= p.k_size()) return 0.0f;
  const GemmReduction r = gemm_reduction(p, k);
  const int64_t ky = p.taps_h.first_kernel + r.tap_y * p.taps_h.kernel_step;
  const int64_t kx = p.taps_w.first_kernel + r.tap_x * p.taps_w.kernel_step;
  const int64_t ci = r.channel;
  return weight[(((group * p.in_per_group + ci) * p.out_per_group + m) * p.kernel_h + ky) * p.kernel_w + kx];
}

// B[k, n] for the pixel of column n (zero outside the input or past the ends).
CONVT_HOST_DEVICE inline float gemm_input(const GemmProblem& p, const float* input, int64_t group, int64_t k,
                                          const GemmPixel& pixel) {
  if (!pixel.valid || k >= p.k_size()) return 0.0f;
  const GemmReduction r = gemm_reduction(p, k);
  const int64_t iy = pixel.qy + p.taps_h.first_offset + r.tap_y * p.taps_h.offset_step;
  const int64_t ix = pixel.qx + p.taps_w.first_offset + r.tap_x * p.taps_w.offset_step;
  const int64_t ci = r.channel;
  if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w) return 0.0f;
  return input[((pixel.image * p.in_channels + group * p.in_per_group + ci) * p.in_h + iy) * p.in_w + ix];
}

// Writes C[m, n] plus the bias to its place in the NCHW output; nothing past the ends.
CONVT_HOST_DEVICE inline void gemm_store(const GemmProblem& p, const float* bias, float* output, int64_t group,
                                         int64_t m, const GemmPixel& pixel, float sum) {
  if (!pixel.valid || m >= p.m_size()) return;
  const int64_t channel = group * p.out_per_group + m;
  const int64_t oy = pixel.qy * p.stride_h + p.rows.out_base, ox = pixel.qx * p.stride_w + p.cols.out_base;
  output[((pixel.image * p.out_channels + channel) * p.out_h + oy) * p.out_w + ox] = (bias ? bias[channel] : 0.0f) + sum;
}

// The shared-memory tiles of one K step: A stored k-major (a[k][m]) and B as b[k][n]. The +4 keeps rows 16-byte
// multiples (what WMMA loads need) without making every row start on the same bank.
template <int BlockM, int BlockN, int BlockK>
struct GemmTiles {
  static constexpr int kLeadA = BlockM + 4, kLeadB = BlockN + 4;
  float a[BlockK][kLeadA];
  float b[BlockK][kLeadB];
};

// Every thread of a block of `Threads` loads its share of the A and B tiles for K step k0. Thread t always loads
// column t % BlockN of B, so its pixel (`column_pixel`, for n0 + t % BlockN) is decoded once per block, not per
// element; A and B stores are consecutive in m and n across a warp.
template <int BlockM, int BlockN, int BlockK, int Threads>
CONVT_HOST_DEVICE inline void gemm_load_tiles(const GemmProblem& p, const float* input, const float* weight,
                                              int64_t group, int64_t m0, int64_t k0, int thread,
                                              const GemmPixel& column_pixel, GemmTiles<BlockM, BlockN, BlockK>& tiles) {
  static_assert(Threads % BlockM == 0 && Threads % BlockN == 0, "a thread keeps one column of each tile");
  for (int kk = thread / BlockM; kk < BlockK; kk += Threads / BlockM)
    tiles.a[kk][thread % BlockM] = gemm_weight(p, weight, group, m0 + thread % BlockM, k0 + kk);
  for (int kk = thread / BlockN; kk < BlockK; kk += Threads / BlockN)
    tiles.b[kk][thread % BlockN] = gemm_input(p, input, group, k0 + kk, column_pixel);
}

// The exact-FP32 kernel's register tile: 256 threads as 16 x 16, thread (ty, tx) owning rows ty + 16 i and
// columns tx + 16 j, so a warp's shared-memory reads are broadcasts (A) or 16 consecutive words (B).
template <int BlockM, int BlockN>
struct Fp32Accumulator {
  static constexpr int kRows = BlockM / 16, kCols = BlockN / 16;
  float sum[kRows][kCols];
};

template <int BlockM, int BlockN, int BlockK>
CONVT_HOST_DEVICE inline void fp32_accumulate(const GemmTiles<BlockM, BlockN, BlockK>& tiles, int thread,
                                              Fp32Accumulator<BlockM, BlockN>& acc) {
  const int ty = thread / 16, tx = thread % 16;
  for (int kk = 0; kk < BlockK; ++kk) {
    float a[Fp32Accumulator<BlockM, BlockN>::kRows], b[Fp32Accumulator<BlockM, BlockN>::kCols];
    for (int i = 0; i < Fp32Accumulator<BlockM, BlockN>::kRows; ++i) a[i] = tiles.a[kk][ty + 16 * i];
    for (int j = 0; j < Fp32Accumulator<BlockM, BlockN>::kCols; ++j) b[j] = tiles.b[kk][tx + 16 * j];
    for (int i = 0; i < Fp32Accumulator<BlockM, BlockN>::kRows; ++i)
      for (int j = 0; j < Fp32Accumulator<BlockM, BlockN>::kCols; ++j) acc.sum[i][j] = fmaf(a[i], b[j], acc.sum[i][j]);
  }
}

template <int BlockM, int BlockN>
CONVT_HOST_DEVICE inline void fp32_store(const GemmProblem& p, const float* bias, float* output, int64_t group,
                                         int64_t m0, int64_t n0, int thread, const Fp32Accumulator<BlockM, BlockN>& acc) {
  const int ty = thread / 16, tx = thread % 16;
  for (int j = 0; j < Fp32Accumulator<BlockM, BlockN>::kCols; ++j) {
    const GemmPixel pixel = gemm_pixel(p, n0 + tx + 16 * j);
    for (int i = 0; i < Fp32Accumulator<BlockM, BlockN>::kRows; ++i)
      gemm_store(p, bias, output, group, m0 + ty + 16 * i, pixel, acc.sum[i][j]);
  }
}

// The TF32 kernel's epilogue: one warp writes a 16 x 16 result fragment (row-major in `fragment`, rows from m0,
// columns from n0), lane l taking elements l, l + 32, ...
CONVT_HOST_DEVICE inline void store_fragment(const GemmProblem& p, const float* bias, float* output, int64_t group,
                                             int64_t m0, int64_t n0, int lane, const float* fragment) {
  for (int e = lane; e < 16 * 16; e += 32)
    gemm_store(p, bias, output, group, m0 + e / 16, gemm_pixel(p, n0 + e % 16), fragment[e]);
}

}  // namespace convt::phase
