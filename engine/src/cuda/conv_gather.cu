// Why a gather: each output element sums its own terms in a fixed order, so the result is deterministic and
// needs no atomics. Phase-aware: for output row oy only the taps with (ky*d) mod s == (oy + p) mod s can land
// (phase_geometry.h), and each of those reads input row q + offset with no division per tap.
#include "conv_gather.cuh"
#include "cuda_check.h"

#include "../common/phase_geometry.h"

namespace convt::cuda {
namespace {

struct TransposedArgs {
  int64_t batch, in_channels, in_h, in_w, out_channels, out_h, out_w, kernel_h, kernel_w;
  int64_t in_per_group, out_per_group;
  int64_t stride_h, stride_w, padding_h, padding_w, dilation_h, dilation_w;
};

__global__ void conv_transpose2d_gather_kernel(const float* __restrict__ input, const float* __restrict__ weight,
                                               const float* __restrict__ bias, float* __restrict__ output,
                                               TransposedArgs a) {
  const int64_t total = a.batch * a.out_channels * a.out_h * a.out_w;
  for (int64_t index = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; index < total;
       index += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t ox = index % a.out_w;
    const int64_t oy = (index / a.out_w) % a.out_h;
    const int64_t co = (index / (a.out_w * a.out_h)) % a.out_channels;
    const int64_t n = index / (a.out_w * a.out_h * a.out_channels);
    const int64_t group = co / a.out_per_group, co_local = co % a.out_per_group;
    const int64_t ry = (oy + a.padding_h) % a.stride_h, rx = (ox + a.padding_w) % a.stride_w;
    const int64_t qy = (oy + a.padding_h - ry) / a.stride_h, qx = (ox + a.padding_w - rx) / a.stride_w;
    float sum = bias ? bias[co] : 0.0f;
    for (int64_t ci = 0; ci < a.in_per_group; ++ci) {
      const int64_t channel = group * a.in_per_group + ci;
      const float* plane = input + (n * a.in_channels + channel) * a.in_h * a.in_w;
      const float* kernel = weight + (channel * a.out_per_group + co_local) * a.kernel_h * a.kernel_w;
      for (int64_t ky = 0; ky < a.kernel_h; ++ky) {
        if (!phase::tap_in_phase(ky, ry, a.stride_h, a.dilation_h)) continue;
        const int64_t iy = qy + phase::tap_offset(ky, ry, a.stride_h, a.dilation_h);
        if (iy < 0 || iy >= a.in_h) continue;
        for (int64_t kx = 0; kx < a.kernel_w; ++kx) {
          if (!phase::tap_in_phase(kx, rx, a.stride_w, a.dilation_w)) continue;
          const int64_t ix = qx + phase::tap_offset(kx, rx, a.stride_w, a.dilation_w);
          if (ix < 0 || ix >= a.in_w) continue;
          sum = fmaf(plane[iy * a.in_w + ix], kernel[ky * a.kernel_w + kx], sum);
        }
      }
    }
    output[index] = sum;
  }
}

struct ForwardArgs {
  int64_t batch, in_channels, in_h, in_w, out_channels, out_h, out_w, kernel_h, kernel_w;
  int64_t in_per_group, out_per_group;
  int64_t stride_h, stride_w, padding_h, padding_w, dilation_h, dilation_w;
};

__global__ void conv2d_gather_kernel(const float* __restrict__ input, const float* __restrict__ weight,
                                     const float* __restrict__ bias, float* __restrict__ output, ForwardArgs a) {
  const int64_t total = a.batch * a.out_channels * a.out_h * a.out_w;
  for (int64_t index = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; index < total;
       index += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t ox = index % a.out_w;
    const int64_t oy = (index / a.out_w) % a.out_h;
    const int64_t co = (index / (a.out_w * a.out_h)) % a.out_channels;
    const int64_t n = index / (a.out_w * a.out_h * a.out_channels);
    const int64_t group = co / a.out_per_group;
    float sum = bias ? bias[co] : 0.0f;
    for (int64_t ci = 0; ci < a.in_per_group; ++ci) {
      const float* plane = input + (n * a.in_channels + group * a.in_per_group + ci) * a.in_h * a.in_w;
      const float* kernel = weight + (co * a.in_per_group + ci) * a.kernel_h * a.kernel_w;
      for (int64_t ky = 0; ky < a.kernel_h; ++ky) {
        const int64_t iy = oy * a.stride_h - a.padding_h + ky * a.dilation_h;
        if (iy < 0 || iy >= a.in_h) continue;
        for (int64_t kx = 0; kx < a.kernel_w; ++kx) {
          const int64_t ix = ox * a.stride_w - a.padding_w + kx * a.dilation_w;
          if (ix < 0 || ix >= a.in_w) continue;
          sum = fmaf(plane[iy * a.in_w + ix], kernel[ky * a.kernel_w + kx], sum);
        }
      }
    }
    output[index] = sum;
  }
}

constexpr int kThreads = 256;

int blocks_for(int64_t total) {
  const int64_t blocks = (total + kThreads - 1) / kThreads;
  return static_cast<int>(blocks < 65535 * 16 ? (blocks > 0 ? blocks : 1) : 65535 * 16);  // grid-stride loop covers the rest
}

}  // namespace

void conv_transpose2d_gather(const float* input, const float* weight, const float* bias, float* output,
                             const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& p) {
  const TransposedArgs args{g.batch,    g.in_channels, g.in_h,      g.in_w,      g.out_channels, g.out_h,
                            g.out_w,    g.kernel_h,    g.kernel_w,  g.in_channels_per_group, g.out_channels_per_group,
                            p.stride.h, p.stride.w,    p.padding.h, p.padding.w, p.dilation.h,   p.dilation.w};
  const int64_t total = g.batch * g.out_channels * g.out_h * g.out_w;
  if (total == 0) return;
  conv_transpose2d_gather_kernel<<<blocks_for(total), kThreads>>>(input, weight, bias, output, args);
  CONVT_CUDA_CHECK(cudaGetLastError());
}

void conv2d_gather(const float* input, const float* weight, const float* bias, float* output, const Conv2dGeometry& g,
                   const Conv2dParams& p) {
  const ForwardArgs args{g.batch,    g.in_channels, g.in_h,      g.in_w,      g.out_channels, g.out_h,
                         g.out_w,    g.kernel_h,    g.kernel_w,  g.in_channels_per_group, g.out_channels_per_group,
                         p.stride.h, p.stride.w,    p.padding.h, p.padding.w, p.dilation.h,   p.dilation.w};
  const int64_t total = g.batch * g.out_channels * g.out_h * g.out_w;
  if (total == 0) return;
  conv2d_gather_kernel<<<blocks_for(total), kThreads>>>(input, weight, bias, output, args);
  CONVT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace convt::cuda
