// AVX-512 microkernels, three tile shapes of one level:
// - wide: 8 output channels x 32 pixels, 16 zmm accumulators; each k step is 2 loads of B, 8 broadcasts of A and
//   16 FMAs, enough independent chains to keep both FMA ports busy.
// - narrow: 8 x 16 pixels, for calls whose few pixels would leave half of a 32-pixel tile empty (a batch-1 layer's
//   4x4 phases have 16 pixels each). One B vector a step gives only 8 chains, so even and odd k steps sum into
//   accumulators of their own, added at the end: 16 chains again.
// - tall: 12 x 32, 24 accumulators, for the packed GEMMs of calls with many rows (MicroKernel::tall). Each float of
//   B, read from L2, serves 12 FMAs rather than 8: on the Intel Xeon a tile streaming B from L2 ran at 90% of the
//   FMA peak against 82% for the wide one.
#include "microkernels.h"

#include <immintrin.h>

#include <algorithm>

namespace convt::cpu {
namespace {

#define CONVT_THIN_WIDE_LANES 16
#include "thin_kernel_impl.h"
#include "tile_stores_impl.h"

constexpr int64_t kMr = 8, kTallMr = 12;
constexpr int64_t kStreamedChannels = 32;  // MicroKernel::streamed_channels
// MicroKernel::columns_forward_pixels: at 16 pixels (latency, gen_first) the columns GEMM was 1.4 to 1.5 times
// faster than streaming the phase GEMM's narrow tiles; at 64 (b1_mid), 0.92.
constexpr int64_t kColumnsForwardPixels = 16;
// MicroKernel::scatter_in_per_out: with its additions as vectors (add_runs), the scatter GEMM beat the phase GEMM
// at C_in = C_out too: progan's forward 1.03 to 1.04 times faster, seg_k4s2's 1.04 to 1.07, c96's (128 to 96
// channels) 1.11 to 1.13. (AVX2's level, on the same machine, kept 2: c96 ran 0.85 times as fast at 1.)
constexpr int64_t kScatterInPerOut = 1;
// How many K steps ahead run_b_rows asks for B's lines. Each K step reads a different row (a weight's, 32 KB apart
// in latency's), so the hardware prefetchers never see a stream, and the out-of-order window alone left the weight
// coming at 20 GB/s. Asking for the lines of the same columns 8 rows on made the columns GEMM of gen_first's forward
// 1.14 and latency's 1.09 times faster than asking for the lines two column blocks along the same row (16 rows on:
// 1.05 and 1.03; 4: 1.02 and 1.02).
constexpr int64_t kBRowsAhead = 8;
// How many K steps ahead the packed kernels ask for B's lines. A task's packed B (up to 8 tiles of 512 K steps) lies
// in L2, and on the Intel Xeon (AVX-512) the L1 prefetchers did not keep up with it: a tile read from L2 ran at 78%
// of the FMA peak without asking and 84% with it (kc 256; kc 128: 66% and 82%).
constexpr int64_t kPackedBAhead = 16;

// `a_at(k, m)` is where A's element (k, m) is: packed, or in place in a weight's rows (run_rows). `b_at(k, v)` is
// B's row k, vector v of kVectors: packed, or in place in a weight's rows (run_b_rows). (No run_in_place here:
// reading B's 8-pixel segments into zmm halves made b1_mid's grad-input 1.3 to 1.4 times slower than packing them,
// with either tile shape.)
//
// One k step into one set of accumulators: a plain function over the array, fully unrolled, rather than a lambda
// holding it by reference. GCC 12 then keeps every accumulator in a register (with the lambda it stored them all to
// the stack and loaded them back around every call's stores of C).
template <int64_t kRows, int64_t kVectors, typename AAt, typename BAt>
inline __attribute__((always_inline)) void k_step(int64_t k, AAt a_at, BAt b_at, __m512 (&acc)[kRows][kVectors]) {
  __m512 b[kVectors];
#pragma GCC unroll 2
  for (int64_t v = 0; v < kVectors; ++v) b[v] = b_at(k, v);
#pragma GCC unroll 16
  for (int64_t m = 0; m < kRows; ++m) {
    const __m512 am = _mm512_set1_ps(*a_at(k, m));
#pragma GCC unroll 2
    for (int64_t v = 0; v < kVectors; ++v) acc[m][v] = _mm512_fmadd_ps(am, b[v], acc[m][v]);
  }
}

template <int64_t kRows, int64_t kVectors, bool kAccumulate, typename AAt, typename BAt>
void register_block(int64_t kc, AAt a_at, BAt b_at, float* c, int64_t ldc) {
  __m512 even[kRows][kVectors], odd[kRows][kVectors];
#pragma GCC unroll 16
  for (int64_t m = 0; m < kRows; ++m)
#pragma GCC unroll 2
    for (int64_t v = 0; v < kVectors; ++v) even[m][v] = odd[m][v] = _mm512_setzero_ps();
  int64_t k = 0;
  if constexpr (kVectors == 1)
    for (; k + 2 <= kc; k += 2) {
      k_step<kRows, kVectors>(k, a_at, b_at, even);
      k_step<kRows, kVectors>(k + 1, a_at, b_at, odd);
    }
  for (; k < kc; ++k) k_step<kRows, kVectors>(k, a_at, b_at, even);
#pragma GCC unroll 16
  for (int64_t m = 0; m < kRows; ++m) {
    float* row = c + m * ldc;
#pragma GCC unroll 2
    for (int64_t v = 0; v < kVectors; ++v) {
      __m512 sum = even[m][v];
      if constexpr (kVectors == 1) sum = _mm512_add_ps(sum, odd[m][v]);
      if constexpr (kAccumulate) sum = _mm512_add_ps(_mm512_loadu_ps(row + 16 * v), sum);
      _mm512_storeu_ps(row + 16 * v, sum);
    }
  }
}

// One tile shape: kRows rows of A, kVectors zmm of pixels per row of B.
template <int64_t kRows, int64_t kVectors>
struct Shape {
  static constexpr int64_t kNr = 16 * kVectors;

  static auto packed_a(const float* a) {
    return [a](int64_t k, int64_t m) { return a + k * kRows + m; };
  }
  static auto packed_b(const float* b) {
    return [b](int64_t k, int64_t v) {
      __builtin_prefetch(b + (k + kPackedBAhead) * kNr + 16 * v);
      return _mm512_loadu_ps(b + k * kNr + 16 * v);
    };
  }

  static void run(int64_t kc, const float* a, const float* b, float* c) {
    register_block<kRows, kVectors, true>(kc, packed_a(a), packed_b(b), c, kNr);
  }

  static void run_store(int64_t kc, const float* a, const float* b, float* c, int64_t ldc) {
    register_block<kRows, kVectors, false>(kc, packed_a(a), packed_b(b), c, ldc);
  }

  template <bool kAccumulate>
  static void run_b_rows(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc) {
    register_block<kRows, kVectors, kAccumulate>(
        kc, packed_a(a),
        [b, ldb](int64_t k, int64_t v) {
          __builtin_prefetch(b + (k + kBRowsAhead) * ldb + 16 * v);
          return _mm512_loadu_ps(b + k * ldb + 16 * v);
        },
        c, ldc);
  }

  template <bool kAccumulate>
  static void run_rows(int64_t kc, const float* const* rows, const int64_t* offset, const float* b, float* c) {
    // Without offsets, one load fewer per K step: grad_input's weight rows read this way ran 1.03 to 1.12 times
    // faster on the Intel Xeon.
    if (!offset)
      return register_block<kRows, kVectors, kAccumulate>(
          kc, [rows](int64_t k, int64_t m) { return rows[m] + k; }, packed_b(b), c, kNr);
    register_block<kRows, kVectors, kAccumulate>(
        kc, [rows, offset](int64_t k, int64_t m) { return rows[m] + offset[k]; }, packed_b(b), c, kNr);
  }
};

// Runs are short (a row of one phase), so masked 16-lane copies beat memcpy calls by a wide margin. (Runs at step 2,
// grad_input's and conv2d's at stride 2, copied as vectors too made no measurable difference to progan's and
// seg_k4s2's grad_input: that packing, 14% of either, waits on its loads from L2 and L3, not on the copies.)
void pack_rows(const Run* runs, int64_t count, const float* channel, int64_t channel_stride, int64_t channels,
               float* row, int64_t row_stride) {
  auto copy = [](const Run& run, const float* source, float* destination) {
    if (run.source >= 0 && run.step != 1) {
      for (int32_t i = 0; i < run.length; ++i) destination[i] = source[i * run.step];
      return;
    }
    for (int32_t done = 0; done < run.length; done += 16) {
      const int32_t lanes = run.length - done < 16 ? run.length - done : 16;
      const __mmask16 mask = static_cast<__mmask16>((1u << lanes) - 1u);
      const __m512 values = run.source < 0 ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(mask, source + done);
      _mm512_mask_storeu_ps(destination + done, mask, values);
    }
  };
  pack_rows_with(copy, runs, count, channel, channel_stride, channels, row, row_stride);
}

// Masked 16-lane gathers: a lane whose source is -1 reads nothing and stays zero. Against gathering one float at a
// time through a zero-padded copy of the input, made first: b1_mid's grad_input 1.18 to 1.23 times faster, its
// forward 1.06 to 1.13, gen_first's grad_input 1.13 (best medians of 7 alternating rounds).
template <int64_t kNr>
void gather_rows(const int32_t* source, int64_t taps, const float* channel, int64_t channel_stride, int64_t channels,
                 float* rows) {
  for (int64_t c = 0; c < channels; ++c, channel += channel_stride)
    for (int64_t tap = 0; tap < taps; ++tap, rows += kNr)
#pragma GCC unroll 2
      for (int64_t v = 0; v < kNr; v += 16) {
        const __m512i index = _mm512_loadu_si512(source + tap * kNr + v);
        const __mmask16 inside = _mm512_cmpge_epi32_mask(index, _mm512_setzero_si512());
        _mm512_storeu_ps(rows + v, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), inside, index, channel, 4));
      }
}

// The wide tile's stores: input-in-place tiles are [8 pixels][32 channels], packed-GEMM tiles [8 channels][32
// pixels]. odd48's forward ran 1.19 times faster with the pair store. The store of a tile alone (store_pixel_major,
// a vector of 8 pixels per channel) made big_small's grad_input 1.12 times slower than the element-by-element loop
// while the output began 16 bytes into a cache line; with tensors on a line, it made the grad-inputs of big_small,
// g2, odd48, grouped, s3 and dil3 1.04 to 1.10 times faster, their forwards 0.99 to 1.09.
constexpr int64_t kWideNr = 32;

// Rows 0-15 of a 16x16 block, transposed in place: pairs of rows unpacked, then 4-float columns gathered, then
// 128-bit lanes twice.
inline void transpose16(__m512 (&r)[16]) {
  // The zero-masked forms, all lanes kept: the plain ones leave GCC 12 warning of an uninitialized operand.
  constexpr __mmask16 kAll = 0xFFFF;
  __m512 a[16], b[16];
  for (int i = 0; i < 8; ++i) {
    a[2 * i] = _mm512_maskz_unpacklo_ps(kAll, r[2 * i], r[2 * i + 1]);
    a[2 * i + 1] = _mm512_maskz_unpackhi_ps(kAll, r[2 * i], r[2 * i + 1]);
  }
  // b[4g + c]: in each 128-bit lane L, rows 4g to 4g + 3 of column 4L + c.
  for (int g = 0; g < 4; ++g) {
    b[4 * g] = _mm512_maskz_shuffle_ps(kAll, a[4 * g], a[4 * g + 2], 0x44);
    b[4 * g + 1] = _mm512_maskz_shuffle_ps(kAll, a[4 * g], a[4 * g + 2], 0xEE);
    b[4 * g + 2] = _mm512_maskz_shuffle_ps(kAll, a[4 * g + 1], a[4 * g + 3], 0x44);
    b[4 * g + 3] = _mm512_maskz_shuffle_ps(kAll, a[4 * g + 1], a[4 * g + 3], 0xEE);
  }
  for (int c = 0; c < 4; ++c) {
    const __m512 low01 = _mm512_maskz_shuffle_f32x4(kAll, b[c], b[4 + c], 0x44);
    const __m512 high01 = _mm512_maskz_shuffle_f32x4(kAll, b[c], b[4 + c], 0xEE);
    const __m512 low23 = _mm512_maskz_shuffle_f32x4(kAll, b[8 + c], b[12 + c], 0x44);
    const __m512 high23 = _mm512_maskz_shuffle_f32x4(kAll, b[8 + c], b[12 + c], 0xEE);
    r[c] = _mm512_maskz_shuffle_f32x4(kAll, low01, low23, 0x88);
    r[4 + c] = _mm512_maskz_shuffle_f32x4(kAll, low01, low23, 0xDD);
    r[8 + c] = _mm512_maskz_shuffle_f32x4(kAll, high01, high23, 0x88);
    r[12 + c] = _mm512_maskz_shuffle_f32x4(kAll, high01, high23, 0xDD);
  }
}

// MicroKernel::pack_transposed as 16x16 transposes: 16 channels' pixels in, each pixel's 16 channels out. Element
// by element (and two pieces ahead asked for, as here), the packing took 15% of big_small's grad_weight, and 13% this
// way: the copy waits on A, read once from memory. Timed, big_small's grad_weight 1.04 to 1.06, unet64's 1.00 to
// 1.01 (best and median of 7 alternating rounds).
void pack_transposed(const float* source, int64_t source_stride, int64_t rows, int64_t count, float* destination,
                     int64_t width) {
  const auto pixels = static_cast<__mmask16>((1u << count) - 1u);
  for (int64_t first = 0; first < width; first += 16) {
    __m512 block[16];
    for (int64_t m = 0; m < 16; ++m) {
      const int64_t channel = first + m;
      if (channel >= rows) {
        block[m] = _mm512_setzero_ps();
        continue;
      }
      const float* row = source + channel * source_stride;
      __builtin_prefetch(row + 32);
      block[m] = _mm512_maskz_loadu_ps(pixels, row);
    }
    transpose16(block);
    const auto lanes = static_cast<__mmask16>(width - first >= 16 ? 0xFFFFu : (1u << (width - first)) - 1u);
    for (int64_t i = 0; i < count; ++i) _mm512_mask_storeu_ps(destination + i * width + first, lanes, block[i]);
  }
}

// A whole pair of tiles in one output row (8 pixels of each phase, 16 floats a channel) as 16x16 transposes whose
// rows take the two phases' pixels in turn, so each channel's 16 floats come out interleaved, one vector to store;
// any other run takes the shared 8-lane stores. The stores' share of unet64's forward fell from 12.5 to 11%, of
// big_small's from 14 to 11% (perf samples); timed in a noisy phase, best of 3 to 5 alternating rounds 1.02 to 1.04
// and 1.03 to 1.11 (their medians 0.84 to 0.98 and 0.95 to 1.15).
void store_pixel_major_pair(const float* c0, const float* c1, int64_t first, int64_t floats, int64_t channels,
                            float* out, int64_t out_plane) {
  if (first != 0 || floats != 2 * kMr) {
    store_pixel_major_pair_impl<kMr, kWideNr>(c0, c1, first, floats, channels, out, out_plane);
    return;
  }
  static_assert(2 * kMr == 16, "two phases' pixels make the 16 rows of a transpose");
  for (int64_t block = 0; block < channels; block += 16) {
    __m512 rows[16];
    for (int64_t j = 0; j < kMr; ++j) {
      rows[2 * j] = _mm512_loadu_ps(c0 + j * kWideNr + block);
      rows[2 * j + 1] = _mm512_loadu_ps(c1 + j * kWideNr + block);
    }
    transpose16(rows);
    for (int64_t i = 0; i < std::min<int64_t>(16, channels - block); ++i)
      _mm512_storeu_ps(out + (block + i) * out_plane, rows[i]);
  }
}

void store_pixel_major(const float* c, int64_t channels, float* out, int64_t out_plane) {
  store_pixel_major_impl<kMr, kWideNr>(c, channels, out, out_plane);
}

// The phase GEMM's tiles stored a run at a time: contiguous runs (a stride-1 layer) as masked vector copies, runs
// every other float (a stride-2 phase) as 8 floats spread over the even lanes of a vector and stored under a mask
// that leaves the other phase's floats alone. One float at a time, store_tile took 11 to 13% of seg_k4s2's forward
// and of a 1x1 layer's on the Intel Xeon.
void store_run(const float* c, int64_t ldc, int64_t rows, int64_t length, int64_t step, float* out,
               int64_t out_plane) {
  const __m512i spread = _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
  for (int64_t m = 0; m < rows; ++m) {
    const float* source = c + m * ldc;
    float* row = out + m * out_plane;
    // The output rows two channels on are asked for (to write), as store_tile did.
    if (m + 2 < rows) {
      __builtin_prefetch(row + 2 * out_plane, 1);
      __builtin_prefetch(row + 2 * out_plane + (length - 1) * step, 1);
    }
    if (step == 1) {
      for (int64_t i = 0; i < length; i += 16) {
        const auto mask = static_cast<__mmask16>((1u << std::min<int64_t>(16, length - i)) - 1u);
        _mm512_mask_storeu_ps(row + i, mask, _mm512_maskz_loadu_ps(mask, source + i));
      }
    } else {
      for (int64_t i = 0; i < length; i += 8) {
        const auto lanes = static_cast<unsigned>(std::min<int64_t>(8, length - i));
        const __m512 values = _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << lanes) - 1u), source + i);
        const auto even_lanes = static_cast<__mmask16>(0x5555u & ((1u << (2 * lanes - 1)) - 1u));
        _mm512_mask_storeu_ps(row + 2 * i, even_lanes, _mm512_maskz_permutexvar_ps(even_lanes, spread, values));
      }
    }
  }
}

// The low 8 bits of `bits` spread to the even bits of 16: a mask of the even lanes of a vector.
inline __mmask16 even_lanes_of(uint32_t bits) {
  uint32_t x = bits & 0xFFu;
  x = (x | (x << 4)) & 0x0F0Fu;
  x = (x | (x << 2)) & 0x3333u;
  x = (x | (x << 1)) & 0x5555u;
  return static_cast<__mmask16>(x);
}

// Adds `values` (pixel i in lane i, for the pixels set in `pixels`: 16 at step 1, 8 at step 2) into out[i * step]:
// at step 2 spread over the even lanes, each added to every other float of 16.
inline void add_pixels(__m512 values, __mmask16 pixels, int64_t step, float* out) {
  const __m512i spread = _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
  const __mmask16 lanes = step == 1 ? pixels : even_lanes_of(pixels);
  if (step != 1) values = _mm512_maskz_permutexvar_ps(lanes, spread, values);
  _mm512_mask_storeu_ps(out, lanes, _mm512_add_ps(_mm512_maskz_loadu_ps(lanes, out), values));
}

// The scatter GEMM's additions as masked vector operations (add_pixels), 16 pixels at a time at stride 1, 8 at
// stride 2. Element by element (a load, an add and a store each, and a bit test) they took 23% of gan_k4s2b's
// forward.
void add_runs(const float* c, const OutputRun* runs, int64_t count, uint32_t inside, int64_t step, float* plane) {
  for_each_run_inside(c, runs, count, inside, plane, [step](const OutputRun& run, uint32_t bits,
                                                            const float* source, float* out) {
    if (step != 1 && step != 2) {
      add_run_by_floats(run, bits, source, step, out);
      return;
    }
    const int32_t per_vector = step == 1 ? 16 : 8;
    for (int32_t i = 0; i < run.length; i += per_vector) {
      const auto pixels = static_cast<__mmask16>(bits >> i & (step == 1 ? 0xFFFFu : 0xFFu));
      add_pixels(_mm512_maskz_loadu_ps(pixels, source + i), pixels, step, out + step * i);
    }
  });
}

// add_run_pairs (MicroKernel): the two rows' pixels summed in registers, b's loaded one pixel back, and added to
// the output as add_runs does, over the run's length + 1 outputs (b's last lands one past a's).
void add_run_pairs(const float* a, const float* b, const OutputRun* runs, int64_t count, uint32_t inside_a,
                   uint32_t inside_b, int64_t step, float* plane) {
  for (int64_t r = 0; r < count; ++r) {
    const OutputRun& run = runs[r];
    // Bit i: whether output i of the run takes a's pixel i, and b's pixel i - 1.
    const uint64_t a_bits = run_inside_bits(run, inside_a);
    const uint64_t b_bits = uint64_t{run_inside_bits(run, inside_b)} << 1;
    if ((a_bits | b_bits) == 0) continue;
    // b's pixel i - 1 for output i: from one float before the run's first (never read: bit 0 of b_bits is clear).
    const float* from_a = a + run.first;
    const float* from_b = b + run.first - 1;
    float* out = plane + run.offset;
    if (step == 1 || step == 2) {
      const int32_t per_vector = step == 1 ? 16 : 8;
      for (int32_t i = 0; i <= run.length; i += per_vector) {
        const uint32_t vector_mask = step == 1 ? 0xFFFFu : 0xFFu;
        const auto take_a = static_cast<__mmask16>(a_bits >> i & vector_mask);
        const auto take_b = static_cast<__mmask16>(b_bits >> i & vector_mask);
        if ((take_a | take_b) == 0) continue;
        const __m512 sum = _mm512_add_ps(_mm512_maskz_loadu_ps(take_a, from_a + i),
                                         _mm512_maskz_loadu_ps(take_b, from_b + i));
        add_pixels(sum, static_cast<__mmask16>(take_a | take_b), step, out + step * i);
      }
      continue;
    }
    for (int32_t i = 0; i <= run.length; ++i) {
      if ((a_bits >> i & 1u) == 0 && (b_bits >> i & 1u) == 0) continue;
      float sum = 0.0f;
      if (a_bits >> i & 1u) sum += from_a[i];
      if (b_bits >> i & 1u) sum += from_b[i];
      out[i * step] += sum;
    }
  }
}

// add_kernel_row (MicroKernel): 16 outputs of a run at a time, from 8 pixels of each tap's row. The even taps' sum
// fills the even lanes and the odd taps' the odd lanes, so each output line takes one load and store per kernel row
// (under a full mask inside the output), where pairs of taps (add_run_pairs) took two, each masked to half.
void add_kernel_row(const float* c, int64_t row_stride, const uint32_t* inside, int64_t taps, const OutputRun* runs,
                    int64_t count, float* plane) {
  const float* rows[4] = {c, c + row_stride, c + 2 * row_stride, c + 3 * row_stride};
  // Lane 2i of the result from lane i of `even`, lane 2i + 1 from lane i of `odd`.
  const __m512i interleave = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  for (int64_t r = 0; r < count; ++r) {
    const OutputRun& run = runs[r];
    // Per tap t, bit i: whether output 2i + t % 2 takes that tap's pixel i (pixel i - 1 for taps 2 and 3).
    uint64_t bits[4] = {0, 0, 0, 0};
    for (int64_t t = 0; t < taps; ++t) bits[t] = uint64_t{run_inside_bits(run, inside[t])} << (t / 2);
    if ((bits[0] | bits[1] | bits[2] | bits[3]) == 0) continue;
    float* out = plane + run.offset;
    // Output pairs 0 to length: pixels -1 to length - 1 of taps 2 and 3.
    for (int32_t i = 0; i <= run.length; i += 8) {
      __mmask16 take[4];
      for (int64_t t = 0; t < 4; ++t) take[t] = static_cast<__mmask16>(bits[t] >> i & 0xFFu);
      if ((take[0] | take[1] | take[2] | take[3]) == 0) continue;
      // Taps 2 and 3 read from one pixel back (their bit 0 is clear where that is before the run).
      __m512 even = _mm512_maskz_loadu_ps(take[0], rows[0] + run.first + i);
      __m512 odd = _mm512_maskz_loadu_ps(take[1], rows[1] + run.first + i);
      even = _mm512_add_ps(even, _mm512_maskz_loadu_ps(take[2], rows[2] + run.first + i - 1));
      if (taps > 3) odd = _mm512_add_ps(odd, _mm512_maskz_loadu_ps(take[3], rows[3] + run.first + i - 1));
      const uint32_t evens = take[0] | take[2], odds = take[1] | take[3];
      const auto lanes = static_cast<__mmask16>(
          (evens & odds) == 0xFFu ? 0xFFFFu : even_lanes_of(evens) | (even_lanes_of(odds) << 1));
      add_pixels(_mm512_permutex2var_ps(even, interleave, odd), lanes, 1, out + 2 * i);
    }
  }
}

// The narrow tile is only streamed (kernel_for_call), whose tiles are stored element by element: no tile stores.
// The tall tile serves only packed GEMMs (kernel_for_rows), whose tiles are channel-major: no pixel-major stores.
template <int64_t kRows, int64_t kVectors>
MicroKernel kernel_of(const MicroKernel* narrow, const MicroKernel* tall) {
  using S = Shape<kRows, kVectors>;
  const bool wide = S::kNr == kWideNr;
  return MicroKernel{"avx512",
                     kRows,
                     S::kNr,
                     S::run,
                     S::template run_rows<true>,
                     S::template run_rows<false>,
                     S::run_store,
                     S::template run_b_rows<true>,
                     S::template run_b_rows<false>,
                     thin_rows,
                     thin_dots,
                     pack_rows,
                     gather_rows<S::kNr>,
                     nullptr,
                     wide && kRows == kMr ? store_pixel_major_pair : nullptr,
                     wide && kRows == kMr ? store_pixel_major : nullptr,
                     wide ? store_channel_major_pair_run_impl : nullptr,
                     store_run,
                     add_runs,
                     add_run_pairs,
                     add_kernel_row,
                     pack_transposed,
                     narrow,
                     tall,
                     kStreamedChannels,
                     kColumnsForwardPixels,
                     kScatterInPerOut,
                     true,
                     true};
}

}  // namespace

const MicroKernel& microkernel_avx512() {
  static const MicroKernel narrow = kernel_of<kMr, 1>(nullptr, nullptr);
  static const MicroKernel tall = kernel_of<kTallMr, 2>(nullptr, nullptr);
  static const MicroKernel kernel = kernel_of<kMr, 2>(&narrow, &tall);
  return kernel;
}

}  // namespace convt::cpu
