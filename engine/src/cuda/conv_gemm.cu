// Why this shape: each output phase (phase_geometry.h) is a GEMM C[co, pixel] = A[co, k] * B[k, pixel] with
// k = (ci, tap_y, tap_x), A read straight from the PyTorch-layout weight and B gathered from the input (zeros
// outside it), so no zero is ever inserted and nothing is materialised. A 64x64 block tile with K steps of 16
// in shared memory, 4x4 outputs per thread, FP32 FMAs (exact, like PyTorch with TF32 disabled).
#include "conv_gemm.cuh"
#include "cuda_check.h"

#include "../common/phase_geometry.h"

#include <vector>

namespace convt::cuda {
namespace {

constexpr int kBlockM = 64, kBlockN = 64, kBlockK = 16, kThreads = 256, kMaxTaps = 32;

struct PhaseArgs {
  // Shapes
  int64_t batch, in_channels, in_h, in_w, out_channels, out_h, out_w, kernel_h, kernel_w;
  int64_t in_per_group, out_per_group, group;
  // This phase: q ranges, output mapping, taps.
  int64_t q_begin_y, count_y, out_base_y, stride_y;
  int64_t q_begin_x, count_x, out_base_x, stride_x;
  int taps_y, taps_x;
  int tap_kernel_y[kMaxTaps], tap_offset_y[kMaxTaps], tap_kernel_x[kMaxTaps], tap_offset_x[kMaxTaps];
};

__global__ void __launch_bounds__(kThreads) phase_gemm_kernel(const float* __restrict__ input,
                                                              const float* __restrict__ weight,
                                                              const float* __restrict__ bias,
                                                              float* __restrict__ output, PhaseArgs a) {
  __shared__ float a_tile[kBlockK][kBlockM];
  __shared__ float b_tile[kBlockK][kBlockN];
  const int64_t m_total = a.out_per_group;
  const int64_t n_total = a.batch * a.count_y * a.count_x;
  const int64_t k_total = a.in_per_group * a.taps_y * a.taps_x;
  const int64_t m0 = static_cast<int64_t>(blockIdx.y) * kBlockM, n0 = static_cast<int64_t>(blockIdx.x) * kBlockN;
  const int thread = threadIdx.x;
  const int tm = (thread / 16) * 4, tn = (thread % 16) * 4;  // this thread's 4x4 outputs in the block tile

  float acc[4][4];
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) acc[i][j] = 0.0f;

  const int64_t taps = static_cast<int64_t>(a.taps_y) * a.taps_x;
  const int64_t kernel_taps = a.kernel_h * a.kernel_w;
  for (int64_t k0 = 0; k0 < k_total; k0 += kBlockK) {
    // Each thread loads 4 elements of each tile (16 x 64 = 1024 = 4 x 256).
    for (int e = thread; e < kBlockK * kBlockM; e += kThreads) {
      const int kk = e / kBlockM, mm = e % kBlockM;
      const int64_t k = k0 + kk, m = m0 + mm;
      float value = 0.0f;
      if (k < k_total && m < m_total) {
        const int64_t ci = k / taps, t = k % taps;
        const int64_t tap = static_cast<int64_t>(a.tap_kernel_y[t / a.taps_x]) * a.kernel_w + a.tap_kernel_x[t % a.taps_x];
        value = weight[((a.group * a.in_per_group + ci) * a.out_per_group + m) * kernel_taps + tap];
      }
      a_tile[kk][mm] = value;
    }
    for (int e = thread; e < kBlockK * kBlockN; e += kThreads) {
      const int kk = e / kBlockN, nn = e % kBlockN;
      const int64_t k = k0 + kk, n = n0 + nn;
      float value = 0.0f;
      if (k < k_total && n < n_total) {
        const int64_t ci = k / taps, t = k % taps;
        const int64_t b = n / (a.count_y * a.count_x), rest = n % (a.count_y * a.count_x);
        const int64_t iy = a.q_begin_y + rest / a.count_x + a.tap_offset_y[t / a.taps_x];
        const int64_t ix = a.q_begin_x + rest % a.count_x + a.tap_offset_x[t % a.taps_x];
        if (iy >= 0 && iy < a.in_h && ix >= 0 && ix < a.in_w)
          value = input[((b * a.in_channels + a.group * a.in_per_group + ci) * a.in_h + iy) * a.in_w + ix];
      }
      b_tile[kk][nn] = value;
    }
    __syncthreads();
    for (int kk = 0; kk < kBlockK; ++kk) {
      float a_values[4], b_values[4];
      for (int i = 0; i < 4; ++i) a_values[i] = a_tile[kk][tm + i];
      for (int j = 0; j < 4; ++j) b_values[j] = b_tile[kk][tn + j];
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(a_values[i], b_values[j], acc[i][j]);
    }
    __syncthreads();
  }

  for (int i = 0; i < 4; ++i) {
    const int64_t m = m0 + tm + i;
    if (m >= m_total) continue;
    const int64_t co = a.group * a.out_per_group + m;
    const float start = bias ? bias[co] : 0.0f;
    for (int j = 0; j < 4; ++j) {
      const int64_t n = n0 + tn + j;
      if (n >= n_total) continue;
      const int64_t b = n / (a.count_y * a.count_x), rest = n % (a.count_y * a.count_x);
      const int64_t oy = (a.q_begin_y + rest / a.count_x) * a.stride_y + a.out_base_y;
      const int64_t ox = (a.q_begin_x + rest % a.count_x) * a.stride_x + a.out_base_x;
      output[((b * a.out_channels + co) * a.out_h + oy) * a.out_w + ox] = start + acc[i][j];
    }
  }
}

// The taps of phase r on one axis, as (kernel index, input offset) lists.
int phase_taps(int64_t r, int64_t kernel, int64_t stride, int64_t dilation, int* kernel_index, int* offset) {
  int count = 0;
  for (int64_t k = 0; k < kernel; ++k)
    if (phase::tap_in_phase(k, r, stride, dilation)) {
      if (count == kMaxTaps) throw_invalid("conv_transpose2d (cuda gemm): more than 32 taps in one phase", "weight");
      kernel_index[count] = static_cast<int>(k);
      offset[count] = static_cast<int>(phase::tap_offset(k, r, stride, dilation));
      ++count;
    }
  return count;
}

}  // namespace

void conv_transpose2d_gemm(const float* input, const float* weight, const float* bias, float* output,
                           const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& p) {
  for (int64_t ry = 0; ry < p.stride.h; ++ry)
    for (int64_t rx = 0; rx < p.stride.w; ++rx) {
      const phase::AxisPhase py = phase::axis_phase(ry, g.out_h, p.stride.h, p.padding.h);
      const phase::AxisPhase px = phase::axis_phase(rx, g.out_w, p.stride.w, p.padding.w);
      if (py.count == 0 || px.count == 0) continue;
      PhaseArgs a{};
      a.batch = g.batch, a.in_channels = g.in_channels, a.in_h = g.in_h, a.in_w = g.in_w;
      a.out_channels = g.out_channels, a.out_h = g.out_h, a.out_w = g.out_w;
      a.kernel_h = g.kernel_h, a.kernel_w = g.kernel_w;
      a.in_per_group = g.in_channels_per_group, a.out_per_group = g.out_channels_per_group;
      a.q_begin_y = py.q_begin, a.count_y = py.count, a.out_base_y = py.out_base, a.stride_y = p.stride.h;
      a.q_begin_x = px.q_begin, a.count_x = px.count, a.out_base_x = px.out_base, a.stride_x = p.stride.w;
      a.taps_y = phase_taps(ry, g.kernel_h, p.stride.h, p.dilation.h, a.tap_kernel_y, a.tap_offset_y);
      a.taps_x = phase_taps(rx, g.kernel_w, p.stride.w, p.dilation.w, a.tap_kernel_x, a.tap_offset_x);
      const int64_t pixels = g.batch * py.count * px.count;
      const dim3 grid(static_cast<unsigned>((pixels + kBlockN - 1) / kBlockN),
                      static_cast<unsigned>((g.out_channels_per_group + kBlockM - 1) / kBlockM));
      for (int64_t group = 0; group < g.groups; ++group) {
        a.group = group;
        // A phase with no taps (k < s, or gcd(s, d) > 1) has k_total = 0: the kernel writes the bias alone.
        phase_gemm_kernel<<<grid, kThreads>>>(input, weight, bias, output, a);
        CONVT_CUDA_CHECK(cudaGetLastError());
      }
    }
}

}  // namespace convt::cuda
