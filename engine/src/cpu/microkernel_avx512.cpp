// AVX-512 microkernel: 8 output channels x 32 pixels, 16 zmm accumulators; each k step is 2 loads of B,
// 8 broadcasts of A and 16 FMAs, enough independent chains to keep both FMA ports busy.
#include "microkernels.h"

#include <immintrin.h>

namespace convt::cpu {
namespace {

#include "thin_kernel_impl.h"

constexpr int64_t kMr = 8, kNr = 32;

// `a_at(k, m)` is where A's element (k, m) is: packed, or in place in a weight's rows (run_rows).
template <bool kAccumulate, typename AAt>
void register_block(int64_t kc, AAt a_at, const float* b, float* c, int64_t ldc) {
  __m512 acc[kMr][2];
  for (int64_t m = 0; m < kMr; ++m) acc[m][0] = acc[m][1] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(b + k * kNr);
    const __m512 b1 = _mm512_loadu_ps(b + k * kNr + 16);
    for (int64_t m = 0; m < kMr; ++m) {
      const __m512 am = _mm512_set1_ps(*a_at(k, m));
      acc[m][0] = _mm512_fmadd_ps(am, b0, acc[m][0]);
      acc[m][1] = _mm512_fmadd_ps(am, b1, acc[m][1]);
    }
  }
  for (int64_t m = 0; m < kMr; ++m) {
    float* row = c + m * ldc;
    _mm512_storeu_ps(row, kAccumulate ? _mm512_add_ps(_mm512_loadu_ps(row), acc[m][0]) : acc[m][0]);
    _mm512_storeu_ps(row + 16, kAccumulate ? _mm512_add_ps(_mm512_loadu_ps(row + 16), acc[m][1]) : acc[m][1]);
  }
}

void run(int64_t kc, const float* a, const float* b, float* c) {
  register_block<true>(kc, [a](int64_t k, int64_t m) { return a + k * kMr + m; }, b, c, kNr);
}

void run_store(int64_t kc, const float* a, const float* b, float* c, int64_t ldc) {
  register_block<false>(kc, [a](int64_t k, int64_t m) { return a + k * kMr + m; }, b, c, ldc);
}

template <bool kAccumulate>
void run_rows(int64_t kc, const float* const* rows, const int64_t* offset, const float* b, float* c) {
  register_block<kAccumulate>(kc, [rows, offset](int64_t k, int64_t m) { return rows[m] + offset[k]; }, b, c, kNr);
}

// Runs are short (a row of one phase), so masked 16-lane copies beat memcpy calls by a wide margin.
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

}  // namespace

const MicroKernel& microkernel_avx512() {
  static const MicroKernel kernel{"avx512", kMr, kNr, run, run_rows<true>, run_rows<false>, run_store, thin_rows,
                                  thin_dots, pack_rows, nullptr, nullptr, nullptr, nullptr};
  return kernel;
}

}  // namespace convt::cpu
