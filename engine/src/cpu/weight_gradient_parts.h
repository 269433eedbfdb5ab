// What the weight gradient's two GEMMs share (weight_gradient.h): the sizes, A packed in blocks of channels, and
// where padded B's elements lie. Private to weight_gradient.cpp (B packed) and weight_gradient_in_place.cpp (B read
// in place).
#pragma once

#include "../common/phase_geometry.h"
#include "microkernels.h"
#include "padded_planes.h"
#include "weight_gradient.h"

#include <convt/aligned.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace convt::cpu {

constexpr int64_t kWeightGradientKc = 512;  // pixels per chunk: a packed block of either operand stays near L1

// C[a, j] = sum over pixels P of A[a, P] * Bt[j, P] for one group: M = CAg, N = CBg * kH * kW, K = every pixel.
struct GradientSizes {
  int64_t m = 0, n = 0, k = 0, taps = 0, k_chunks = 0;
};

inline GradientSizes gradient_sizes(const WeightGradientProblem& p) {
  GradientSizes z;
  z.m = p.a_channels / p.groups;
  z.taps = p.kernel_h * p.kernel_w;
  z.n = p.b_channels / p.groups * z.taps;
  z.k = p.batch * p.a_h * p.a_w;
  z.k_chunks = phase::ceil_div(z.k, kWeightGradientKc);
  return z;
}

// Each pixel of a chunk's offset into padded B, where a column's offset (b_column_offset) is added. Every task
// decodes every chunk it sums, so the pixels are stepped through, not divided out one by one.
inline void decode_chunk(const WeightGradientProblem& p, const PaddedPlanes& b, int64_t k0, int64_t kc,
                         int64_t* b_pixel) {
  int64_t n = k0 / (p.a_h * p.a_w), y = k0 / p.a_w % p.a_h, x = k0 % p.a_w;
  for (int64_t k = 0; k < kc; ++k) {
    b_pixel[k] = (n * p.b_channels * b.height + y * p.stride.h) * b.row + x * p.stride.w;
    if (++x < p.a_w) continue;
    x = 0;
    if (++y < p.a_h) continue;
    y = 0;
    ++n;
  }
}

// Where column j = (channel, ky, kx) of group `group` reads padded B, from a pixel's offset.
inline int64_t b_column_offset(const WeightGradientProblem& p, const PaddedPlanes& b, int64_t taps, int64_t group,
                               int64_t j) {
  const int64_t channel = j / taps, tap = j % taps, ky = tap / p.kernel_w, kx = tap % p.kernel_w;
  return ((group * (p.b_channels / p.groups) + channel) * b.height + ky * p.dilation.h - p.padding.h + b.pad_top) *
             b.row +
         kx * p.dilation.w - p.padding.w + b.pad_left;
}

// Packed A, shared by every task: per group and K chunk, `blocks` blocks of `width` channels, each [k][width], the
// blocks kc*width floats apart, packed tight for the chunk's own kc (as B's blocks are): blocks a whole chunk apart
// put a batch-1 layer's 16-pixel blocks 32 KB apart, on the same few cache sets, and its weight gradient took 1.3
// times as long.
inline int64_t a_block_at(const GradientSizes& z, int64_t group, int64_t chunk, int64_t block, int64_t kc,
                          int64_t width, int64_t blocks) {
  return ((group * z.k + chunk * kWeightGradientKc) * blocks + block * kc) * width;
}

// Block `block` of group g's A for one chunk, as [k][width] (width at most kMaxNr); zero past M. The pixels go in
// pieces of up to kPackPieces within one image: channel by channel, each piece's floats are read from one line or
// two and written width floats apart within a few KB. Reading every channel pixel by pixel put width streams a plane
// apart on the same cache sets: with 32 channels of 16 KB planes, that packing took 18% of big_small's
// grad_weight.
inline void pack_a(const MicroKernel& kernel, const WeightGradientProblem& p, const GradientSizes& z, const float* a,
                   int64_t group, int64_t chunk, int64_t block, int64_t width, float* destination) {
  constexpr int64_t kPackPieces = 16;
  const int64_t a_plane = p.a_h * p.a_w, k0 = chunk * kWeightGradientKc;
  const int64_t kc = std::min(kWeightGradientKc, z.k - k0), rows = std::min(width, z.m - block * width);
  const float* first_channel = a + (group * z.m + block * width) * a_plane;
  for (int64_t k = 0; k < kc;) {
    const int64_t image = (k0 + k) / a_plane, rest = (k0 + k) % a_plane;
    const int64_t count = std::min({kPackPieces, kc - k, a_plane - rest});
    const float* pixels = first_channel + image * p.a_channels * a_plane + rest;
    float* packed = destination + k * width;
    if (kernel.pack_transposed) {
      kernel.pack_transposed(pixels, a_plane, rows, count, packed, width);
      k += count;
      continue;
    }
    for (int64_t m = 0; m < rows; ++m) {
      // Each channel's lines two pieces on are asked for: A is read once, from memory.
      __builtin_prefetch(pixels + m * a_plane + 2 * kPackPieces);
      for (int64_t i = 0; i < count; ++i) packed[i * width + m] = pixels[m * a_plane + i];
    }
    for (int64_t i = 0; i < count; ++i)
      for (int64_t m = rows; m < width; ++m) packed[i * width + m] = 0.0f;
    k += count;
  }
}

// Every block of A for every group and chunk, at a_block_at, split over the threads of the enclosing parallel region
// (a worksharing loop: every thread of the region must call it). Packed once per call, before any task runs: each
// task packing the A it reads packed all of it once per column range (a quarter of sr_k4s4's grad-weight went
// there).
inline void pack_a_blocks(const MicroKernel& kernel, const WeightGradientProblem& p, const GradientSizes& z,
                          const float* a, int64_t width, int64_t blocks, float* packed) {
  const int64_t pieces = p.groups * z.k_chunks * blocks;
#pragma omp for schedule(static)
  for (int64_t piece = 0; piece < pieces; ++piece) {
    const int64_t group = piece / (z.k_chunks * blocks), chunk = piece / blocks % z.k_chunks, block = piece % blocks;
    const int64_t kc = std::min(kWeightGradientKc, z.k - chunk * kWeightGradientKc);
    pack_a(kernel, p, z, a, group, chunk, block, width,
           packed + a_block_at(z, group, chunk, block, kc, width, blocks));
  }
}

// B read in place (weight_gradient_in_place.cpp): the GEMM's roles swap, C[j, a] = sum over P of Bt[j, P] * A[a,
// P], with A packed in blocks of kernel.nr channels and the microkernel reading Bt where it lies in padded B.
// Whether a problem takes it (or the path a test forced), and the pass itself, on `threads` threads.
// `z` is gradient_sizes(p).
bool weight_gradient_reads_b_in_place(const WeightGradientProblem& p, const GradientSizes& z,
                                      const MicroKernel& kernel, int threads);
// Whether the pass, reading B in place, pads B itself in windows, each task the rows of its channels that one K
// chunk reads, rather than reading a copy of all of B padded first (when some tap reaches outside B). The windows
// stay in L1 and L2, and the next chunk's lines are asked for from memory while a chunk is multiplied, so B crosses
// memory once rather than three times. Taken when every K chunk lies in one image and each task's columns span at
// least two channels of B on average (fewer, and tasks sharing a channel each copy it).
bool weight_gradient_pads_b_windows(const WeightGradientProblem& p, const GradientSizes& z, const MicroKernel& kernel,
                                    int threads);
// `packed_a` is the calling thread's buffer for A, kept between calls. `b` is B padded, or, when `windows_of` is B
// itself, only the geometry of the windows each task pads of it (their columns and pad_left; every K chunk must
// then lie in one image).
void weight_gradient_b_in_place(const WeightGradientProblem& p, const GradientSizes& z, const MicroKernel& kernel,
                                const float* a, const PaddedPlanes& b, const float* windows_of, int threads,
                                AlignedFloats& packed_a, float* grad_weight);

}  // namespace convt::cpu
