// AVX2 + FMA microkernel: 6 output channels x 16 pixels, 12 ymm accumulators.
#include "microkernels.h"

#include <immintrin.h>

#include <algorithm>

namespace convt::cpu {
namespace {

#include "thin_kernel_impl.h"
#include "tile_stores_impl.h"

constexpr int64_t kMr = 6, kNr = 16;

// Twelve named accumulators, not an array: GCC 12 keeps an __m256 array in memory and stores every accumulator
// back to the stack on every k step (measured: a third of the peak on the bench layers), while named values stay
// in registers (12 accumulators + 2 B rows + 1 broadcast = 15 of the 16 ymm registers). `a_at(k, m)` is where A's
// element (k, m) is: packed, or in place in a weight's rows (run_rows). `b_at(k, half)` is where B's row k has its
// 8 floats `half`: packed, or in place in the input's padded planes (run_in_place).
template <bool kAccumulate, typename AAt, typename BAt>
void register_block(int64_t kc, AAt a_at, BAt b_at, float* c, int64_t ldc) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b_at(k, 0)), b1 = _mm256_loadu_ps(b_at(k, 1));
    __m256 am = _mm256_broadcast_ss(a_at(k, 0));
    c00 = _mm256_fmadd_ps(am, b0, c00), c01 = _mm256_fmadd_ps(am, b1, c01);
    am = _mm256_broadcast_ss(a_at(k, 1));
    c10 = _mm256_fmadd_ps(am, b0, c10), c11 = _mm256_fmadd_ps(am, b1, c11);
    am = _mm256_broadcast_ss(a_at(k, 2));
    c20 = _mm256_fmadd_ps(am, b0, c20), c21 = _mm256_fmadd_ps(am, b1, c21);
    am = _mm256_broadcast_ss(a_at(k, 3));
    c30 = _mm256_fmadd_ps(am, b0, c30), c31 = _mm256_fmadd_ps(am, b1, c31);
    am = _mm256_broadcast_ss(a_at(k, 4));
    c40 = _mm256_fmadd_ps(am, b0, c40), c41 = _mm256_fmadd_ps(am, b1, c41);
    am = _mm256_broadcast_ss(a_at(k, 5));
    c50 = _mm256_fmadd_ps(am, b0, c50), c51 = _mm256_fmadd_ps(am, b1, c51);
  }
  const __m256 rows[kMr][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int64_t m = 0; m < kMr; ++m) {
    float* row = c + m * ldc;
    _mm256_storeu_ps(row, kAccumulate ? _mm256_add_ps(_mm256_loadu_ps(row), rows[m][0]) : rows[m][0]);
    _mm256_storeu_ps(row + 8, kAccumulate ? _mm256_add_ps(_mm256_loadu_ps(row + 8), rows[m][1]) : rows[m][1]);
  }
}

// B packed: row k's 16 floats one after another.
auto packed_b(const float* b) {
  return [b](int64_t k, int64_t half) { return b + k * kNr + 8 * half; };
}

void run(int64_t kc, const float* a, const float* b, float* c) {
  register_block<true>(kc, [a](int64_t k, int64_t m) { return a + k * kMr + m; }, packed_b(b), c, kNr);
}

void run_store(int64_t kc, const float* a, const float* b, float* c, int64_t ldc) {
  register_block<false>(kc, [a](int64_t k, int64_t m) { return a + k * kMr + m; }, packed_b(b), c, ldc);
}

// B's row k read where it lies, ldb floats after row k - 1.
template <bool kAccumulate>
void run_b_rows(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc) {
  register_block<kAccumulate>(kc, [a](int64_t k, int64_t m) { return a + k * kMr + m; },
                              [b, ldb](int64_t k, int64_t half) { return b + k * ldb + 8 * half; }, c, ldc);
}

// Each A element broadcast from its own row: one offset load per k step more than the packed kernel.
template <bool kAccumulate>
void run_rows(int64_t kc, const float* const* rows, const int64_t* offset, const float* b, float* c) {
  const float* const r[kMr] = {rows[0], rows[1], rows[2], rows[3], rows[4], rows[5]};
  if (!offset)
    return register_block<kAccumulate>(kc, [&r](int64_t k, int64_t m) { return r[m] + k; }, packed_b(b), c, kNr);
  register_block<kAccumulate>(kc, [&r, offset](int64_t k, int64_t m) { return r[m] + offset[k]; }, packed_b(b), c,
                              kNr);
}

// Neither operand packed: A as in run_rows, and B's two halves 8 contiguous floats each from their own segment.
void run_in_place(int64_t kc, const float* const* rows, const int64_t* a_offset, const float* const* segments,
                  const int64_t* b_offset, float* c) {
  const float* const r[kMr] = {rows[0], rows[1], rows[2], rows[3], rows[4], rows[5]};
  const float* const low = segments[0];
  const float* const high = segments[1];
  register_block<true>(
      kc, [&r, a_offset](int64_t k, int64_t m) { return r[m] + a_offset[k]; },
      [low, high, b_offset](int64_t k, int64_t half) { return (half == 0 ? low : high) + b_offset[k]; }, c, kNr);
}

// Eight floats of a run, every kStep-th from `source`, never reading past the run's last element (a run can end
// at the end of a tensor). Step 2, a strided correlation's, is two loads and two lane permutes: the even elements
// of [0, 8) and of [7, 15) (the second load starts one early, so that it ends on element 14).
template <int kStep>
__m256 eight(const float* source) {
  if constexpr (kStep == 1) {
    return _mm256_loadu_ps(source);
  } else {
    const __m256 low = _mm256_permutevar8x32_ps(_mm256_loadu_ps(source), _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6));
    const __m256 high =
        _mm256_permutevar8x32_ps(_mm256_loadu_ps(source + 7), _mm256_setr_epi32(1, 3, 5, 7, 1, 3, 5, 7));
    return _mm256_blend_ps(low, high, 0xF0);
  }
}

// Lanes [0, n) of a mask (none when n <= 0).
__m256i first_lanes(int32_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// A run shorter than 8, loaded through masks that stop at its last element (masked-off lanes are never read, so
// nothing past the run can fault). A small image's rows make many of these: at stride 2 with padding 1, half of
// the taps of an 8-pixel row read 7 pixels, one at a time in a scalar loop before.
template <int kStep>
void copy_short_run(const float* source, int32_t length, float* destination) {
  __m256 values;
  if constexpr (kStep == 1) {
    values = _mm256_maskload_ps(source, first_lanes(length));
  } else {
    // As eight<2>, with each load cut at the run's last element, kStep * (length - 1).
    const int32_t last = kStep * (length - 1);
    const __m256 low = _mm256_permutevar8x32_ps(_mm256_maskload_ps(source, first_lanes(std::min(last + 1, 8))),
                                                _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6));
    const __m256 high = _mm256_permutevar8x32_ps(_mm256_maskload_ps(source + 7, first_lanes(last - 6)),
                                                 _mm256_setr_epi32(1, 3, 5, 7, 1, 3, 5, 7));
    values = _mm256_blend_ps(low, high, 0xF0);
  }
  store_first(values, length, destination);
}

// A run of zeros (taps that fall outside the input), with the same stores: std::fill called memset for each.
void zero_run(int32_t length, float* destination) {
  const __m256 zero = _mm256_setzero_ps();
  if (length < 8) {
    store_first(zero, length, destination);
    return;
  }
  for (int32_t i = 0; i + 8 <= length; i += 8) _mm256_storeu_ps(destination + i, zero);
  if (length % 8 != 0) _mm256_storeu_ps(destination + length - 8, zero);
}

// A run, 8 floats at a time; the last 8 of a run of at least 8 overlap the previous store, so no run ends in a
// scalar loop.
template <int kStep>
void copy_run(const float* source, int32_t length, float* destination) {
  if (length < 8) {
    copy_short_run<kStep>(source, length, destination);
    return;
  }
  for (int32_t i = 0; i + 8 <= length; i += 8) _mm256_storeu_ps(destination + i, eight<kStep>(source + i * kStep));
  if (length % 8 != 0)
    _mm256_storeu_ps(destination + length - 8, eight<kStep>(source + (length - 8) * kStep));
}

void store_pixel_major_pair(const float* c0, const float* c1, int64_t first, int64_t floats, int64_t channels,
                            float* out, int64_t out_plane) {
  store_pixel_major_pair_impl<kMr, kNr>(c0, c1, first, floats, channels, out, out_plane);
}

void store_pixel_major(const float* c, int64_t channels, float* out, int64_t out_plane) {
  store_pixel_major_impl<kMr, kNr>(c, channels, out, out_plane);
}

// Lanes whose bit of `bits` is set, as a mask for maskload and maskstore: lane i tests lane_bits[i].
inline __m256i lanes_of(uint32_t bits, __m256i lane_bits) {
  return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(static_cast<int32_t>(bits)), lane_bits), lane_bits);
}

// The scatter GEMM's additions with masked 8-lane loads and stores, as the AVX-512 level's at half the width: at
// stride 2, 4 pixels spread over the even lanes, each added to every other float of 8.
void add_runs(const float* c, const OutputRun* runs, int64_t count, uint32_t inside, int64_t step, float* plane) {
  const __m256i pixel_bits = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  // The odd lanes test a bit that 4 pixels never set.
  const __m256i even_lane_bits = _mm256_setr_epi32(1, 1 << 30, 2, 1 << 30, 4, 1 << 30, 8, 1 << 30);
  const __m256i spread = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
  for_each_run_inside(c, runs, count, inside, plane, [&](const OutputRun& run, uint32_t bits, const float* source,
                                                         float* out) {
    if (step == 1) {
      for (int32_t i = 0; i < run.length; i += 8) {
        const __m256i lanes = lanes_of(bits >> i & 0xFFu, pixel_bits);
        const __m256 sum = _mm256_add_ps(_mm256_maskload_ps(out + i, lanes), _mm256_maskload_ps(source + i, lanes));
        _mm256_maskstore_ps(out + i, lanes, sum);
      }
    } else if (step == 2) {
      for (int32_t i = 0; i < run.length; i += 4) {
        const uint32_t pixels = bits >> i & 0xFu;
        const __m256i lanes = lanes_of(pixels, even_lane_bits);
        const __m256 values =
            _mm256_permutevar8x32_ps(_mm256_maskload_ps(source + i, lanes_of(pixels, pixel_bits)), spread);
        _mm256_maskstore_ps(out + 2 * i, lanes, _mm256_add_ps(_mm256_maskload_ps(out + 2 * i, lanes), values));
      }
    } else {
      add_run_by_floats(run, bits, source, step, out);
    }
  });
}

// pack_rows with vector copies for the two common steps: 1 (a transposed conv's phases) and 2 (grad_input and
// conv2d at stride 2, where a plain loop copied one float at a time).
void pack_rows(const Run* runs, int64_t count, const float* channel, int64_t channel_stride, int64_t channels,
               float* row, int64_t row_stride) {
  auto copy = [](const Run& run, const float* source, float* destination) {
    if (run.source < 0)
      zero_run(run.length, destination);
    else if (run.step == 1)
      copy_run<1>(source, run.length, destination);
    else if (run.step == 2)
      copy_run<2>(source, run.length, destination);
    else
      for (int32_t i = 0; i < run.length; ++i) destination[i] = source[i * run.step];
  };
  pack_rows_with(copy, runs, count, channel, channel_stride, channels, row, row_stride);
}

}  // namespace

// No gather_rows: AVX2's gathers were not measured on the Zen 3 this level is tuned on, so B is gathered through
// the zero-padded copy, one float at a time, as before.
const MicroKernel& microkernel_avx2() {
  static const MicroKernel kernel{"avx2", kMr, kNr, run, run_rows<true>, run_rows<false>, run_store,
                                  run_b_rows<true>, run_b_rows<false>, thin_rows, thin_dots, pack_rows, nullptr,
                                  run_in_place, store_pixel_major_pair, store_pixel_major,
                                  store_channel_major_pair_run_impl, nullptr, add_runs, nullptr, nullptr, nullptr,
                                  nullptr, nullptr, 8, 0, 2};
  return kernel;
}

}  // namespace convt::cpu
