// AVX2 + FMA microkernel: 6 output channels x 16 pixels, 12 ymm accumulators.
#include "microkernels.h"

#include <immintrin.h>

namespace convt::cpu {
namespace {

constexpr int64_t kMr = 6, kNr = 16;

void run(int64_t kc, const float* a, const float* b, float* c) {
  __m256 acc[kMr][2];
  for (int64_t m = 0; m < kMr; ++m) acc[m][0] = acc[m][1] = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b + k * kNr);
    const __m256 b1 = _mm256_loadu_ps(b + k * kNr + 8);
    for (int64_t m = 0; m < kMr; ++m) {
      const __m256 am = _mm256_broadcast_ss(a + k * kMr + m);
      acc[m][0] = _mm256_fmadd_ps(am, b0, acc[m][0]);
      acc[m][1] = _mm256_fmadd_ps(am, b1, acc[m][1]);
    }
  }
  for (int64_t m = 0; m < kMr; ++m) {
    _mm256_storeu_ps(c + m * kNr, _mm256_add_ps(_mm256_loadu_ps(c + m * kNr), acc[m][0]));
    _mm256_storeu_ps(c + m * kNr + 8, _mm256_add_ps(_mm256_loadu_ps(c + m * kNr + 8), acc[m][1]));
  }
}

}  // namespace

const MicroKernel& microkernel_avx2() {
  static const MicroKernel kernel{"avx2", kMr, kNr, run, pack_row_portable};
  return kernel;
}

}  // namespace convt::cpu
