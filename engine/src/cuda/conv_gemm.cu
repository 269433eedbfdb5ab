// Launches of the implicit-GEMM kernels, one launch per output phase with the groups on grid z. The per-thread
// steps (tile loads, FP32 register tile, stores) are in common/phase_gemm.h, which the CPU tests run through a
// block emulator; what is here is the order of those steps, the barriers, and the TF32 tensor-core variant.
#include "conv_gather.cuh"
#include "conv_gemm.cuh"
#include "cuda_check.h"

#include "../common/phase_gemm.h"

#include <mma.h>

#include <algorithm>

namespace convt::cuda {
namespace {

constexpr int kBlockK = 8;
constexpr int64_t kMaxGridYZ = 65535;

// The outputs of phases without taps get the bias alone: the whole output starts as the bias (or zero).
__global__ void fill_with_bias_kernel(float* __restrict__ output, const float* __restrict__ bias, int64_t total,
                                      int64_t plane, int64_t channels) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    output[i] = bias ? bias[(i / plane) % channels] : 0.0f;
}

template <int BlockM, int BlockN>
__global__ void __launch_bounds__(256) fp32_gemm_kernel(const float* __restrict__ input,
                                                       const float* __restrict__ weight, const float* __restrict__ bias,
                                                       float* __restrict__ output, phase::GemmProblem p,
                                                       int64_t group_base, int64_t m_base) {
  __shared__ phase::GemmTiles<BlockM, BlockN, kBlockK> tiles;
  const int thread = threadIdx.x;
  const int64_t group = group_base + blockIdx.z;
  const int64_t m0 = m_base + static_cast<int64_t>(blockIdx.y) * BlockM, n0 = static_cast<int64_t>(blockIdx.x) * BlockN;
  const phase::GemmPixel column_pixel = phase::gemm_pixel(p, n0 + thread % BlockN);
  phase::Fp32Accumulator<BlockM, BlockN> acc{};
  const int64_t k_size = p.k_size();
  for (int64_t k0 = 0; k0 < k_size; k0 += kBlockK) {
    phase::gemm_load_tiles<BlockM, BlockN, kBlockK, 256>(p, input, weight, group, m0, k0, thread, column_pixel, tiles);
    __syncthreads();
    phase::fp32_accumulate(tiles, thread, acc);
    __syncthreads();
  }
  phase::fp32_store(p, bias, output, group, m0, n0, thread, acc);
}

// TF32: a 64 x 64 block tile on 4 warps, each owning 32 x 32 as 2 x 2 WMMA 16x16x8 fragments. The tiles are
// loaded by the same code as the FP32 kernel; each warp's results go through a 16 x 16 shared scratch to the
// scattered phase outputs.
constexpr int kTf32Threads = 128, kTf32Block = 64;

__global__ void __launch_bounds__(kTf32Threads) tf32_gemm_kernel(const float* __restrict__ input,
                                                                const float* __restrict__ weight,
                                                                const float* __restrict__ bias,
                                                                float* __restrict__ output, phase::GemmProblem p,
                                                                int64_t group_base, int64_t m_base) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  using namespace nvcuda;
  using Tiles = phase::GemmTiles<kTf32Block, kTf32Block, kBlockK>;
  __shared__ __align__(32) Tiles tiles;
  __shared__ __align__(32) float scratch[kTf32Threads / 32][16 * 16];
  const int thread = threadIdx.x, warp = thread / 32, lane = thread % 32;
  const int warp_m = (warp / 2) * 32, warp_n = (warp % 2) * 32;
  const int64_t group = group_base + blockIdx.z;
  const int64_t m0 = m_base + static_cast<int64_t>(blockIdx.y) * kTf32Block, n0 = static_cast<int64_t>(blockIdx.x) * kTf32Block;
  const phase::GemmPixel column_pixel = phase::gemm_pixel(p, n0 + thread % kTf32Block);

  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[2][2];
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.0f);
  const int64_t k_size = p.k_size();
  for (int64_t k0 = 0; k0 < k_size; k0 += kBlockK) {
    phase::gemm_load_tiles<kTf32Block, kTf32Block, kBlockK, kTf32Threads>(p, input, weight, group, m0, k0, thread,
                                                                          column_pixel, tiles);
    __syncthreads();
    // tiles.a[k][m] is A (M x K) in column-major order; tiles.b[k][n] is B (K x N) in row-major order.
    wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::col_major> a[2];
    wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> b[2];
    for (int i = 0; i < 2; ++i) {
      wmma::load_matrix_sync(a[i], &tiles.a[0][warp_m + 16 * i], Tiles::kLeadA);
      for (int e = 0; e < a[i].num_elements; ++e) a[i].x[e] = wmma::__float_to_tf32(a[i].x[e]);
    }
    for (int j = 0; j < 2; ++j) {
      wmma::load_matrix_sync(b[j], &tiles.b[0][warp_n + 16 * j], Tiles::kLeadB);
      for (int e = 0; e < b[j].num_elements; ++e) b[j].x[e] = wmma::__float_to_tf32(b[j].x[e]);
    }
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      wmma::store_matrix_sync(scratch[warp], acc[i][j], 16, wmma::mem_row_major);
      __syncwarp();
      phase::store_fragment(p, bias, output, group, m0 + warp_m + 16 * i, n0 + warp_n + 16 * j, lane, scratch[warp]);
      __syncwarp();
    }
#else
  // The host never launches this below sm_80 (conv_transpose2d_cuda checks the device first).
  __trap();
#endif
}

unsigned blocks(int64_t size, int64_t block) { return static_cast<unsigned>((size + block - 1) / block); }

// Grid y and z are limited to 65535 blocks: output channels (y) and groups (z) go in chunks.
struct Chunk {
  int64_t group_base, m_base;
  unsigned groups, m_blocks;
};

template <typename Launch>
void for_each_chunk(const phase::GemmProblem& p, int64_t groups, int64_t block_m, Launch launch) {
  const int64_t m_blocks = (p.m_size() + block_m - 1) / block_m;
  for (int64_t group_base = 0; group_base < groups; group_base += kMaxGridYZ)
    for (int64_t m_block = 0; m_block < m_blocks; m_block += kMaxGridYZ)
      launch(Chunk{group_base, m_block * block_m, static_cast<unsigned>(std::min(kMaxGridYZ, groups - group_base)),
                   static_cast<unsigned>(std::min(kMaxGridYZ, m_blocks - m_block))});
}

// Smaller tiles where the GEMM is thin (few output channels per group, or few pixels per phase), so fewer lanes
// compute padding.
template <int BlockM, int BlockN>
void launch_fp32(const float* input, const float* weight, const float* bias, float* output, const phase::GemmProblem& p,
                 int64_t groups) {
  for_each_chunk(p, groups, BlockM, [&](const Chunk& c) {
    const dim3 grid(blocks(p.n_size(), BlockN), c.m_blocks, c.groups);
    fp32_gemm_kernel<BlockM, BlockN><<<grid, 256>>>(input, weight, bias, output, p, c.group_base, c.m_base);
  });
}

template <int BlockM>
void launch_fp32_for_n(const float* input, const float* weight, const float* bias, float* output,
                       const phase::GemmProblem& p, int64_t groups) {
  if (p.n_size() >= 2048)
    launch_fp32<BlockM, 128>(input, weight, bias, output, p, groups);
  else
    launch_fp32<BlockM, 64>(input, weight, bias, output, p, groups);
}

void launch_phase(const float* input, const float* weight, const float* bias, float* output,
                  const phase::GemmProblem& p, int64_t groups, GemmMath math) {
  if (math == GemmMath::Tf32) {
    for_each_chunk(p, groups, kTf32Block, [&](const Chunk& c) {
      const dim3 grid(blocks(p.n_size(), kTf32Block), c.m_blocks, c.groups);
      tf32_gemm_kernel<<<grid, kTf32Threads>>>(input, weight, bias, output, p, c.group_base, c.m_base);
    });
  } else if (p.m_size() <= 32) {
    launch_fp32_for_n<32>(input, weight, bias, output, p, groups);
  } else if (p.m_size() <= 64) {
    launch_fp32_for_n<64>(input, weight, bias, output, p, groups);
  } else {
    launch_fp32_for_n<128>(input, weight, bias, output, p, groups);
  }
  CONVT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void conv_transpose2d_gemm(const float* input, const float* weight, const float* bias, float* output,
                           const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params, GemmMath math) {
  const phase::GemmLaunchPlan plan = phase::plan_gemm_launches(g, params);
  if (!plan.fits) {  // a reduction of 2^31 terms or more: rare enough for the simple kernel
    conv_transpose2d_gather(input, weight, bias, output, g, params);
    return;
  }
  if (plan.fill_with_bias) {
    const int64_t total = g.batch * g.out_channels * g.out_h * g.out_w;
    if (total == 0) return;
    const int64_t fill_blocks = std::min<int64_t>((total + 255) / 256, 1 << 20);
    fill_with_bias_kernel<<<static_cast<unsigned>(fill_blocks), 256>>>(output, bias, total, g.out_h * g.out_w,
                                                                       g.out_channels);
    CONVT_CUDA_CHECK(cudaGetLastError());
  }
  for (const phase::GemmProblem& p : plan.phases) launch_phase(input, weight, bias, output, p, g.groups, math);
}

}  // namespace convt::cuda
