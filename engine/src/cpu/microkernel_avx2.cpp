// AVX2 + FMA microkernel: 6 output channels x 16 pixels, 12 ymm accumulators.
#include "microkernels.h"

#include <immintrin.h>

namespace convt::cpu {
namespace {

#include "thin_kernel_impl.h"

constexpr int64_t kMr = 6, kNr = 16;

// Twelve named accumulators, not an array: GCC 12 keeps an __m256 array in memory and stores every accumulator
// back to the stack on every k step (measured: a third of the peak on the bench layers), while named values stay
// in registers (12 accumulators + 2 B rows + 1 broadcast = 15 of the 16 ymm registers).
template <bool kAccumulate>
void run_packed(int64_t kc, const float* a, const float* b, float* c, int64_t ldc) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b + k * kNr), b1 = _mm256_loadu_ps(b + k * kNr + 8);
    const float* ak = a + k * kMr;
    __m256 am = _mm256_broadcast_ss(ak + 0);
    c00 = _mm256_fmadd_ps(am, b0, c00), c01 = _mm256_fmadd_ps(am, b1, c01);
    am = _mm256_broadcast_ss(ak + 1);
    c10 = _mm256_fmadd_ps(am, b0, c10), c11 = _mm256_fmadd_ps(am, b1, c11);
    am = _mm256_broadcast_ss(ak + 2);
    c20 = _mm256_fmadd_ps(am, b0, c20), c21 = _mm256_fmadd_ps(am, b1, c21);
    am = _mm256_broadcast_ss(ak + 3);
    c30 = _mm256_fmadd_ps(am, b0, c30), c31 = _mm256_fmadd_ps(am, b1, c31);
    am = _mm256_broadcast_ss(ak + 4);
    c40 = _mm256_fmadd_ps(am, b0, c40), c41 = _mm256_fmadd_ps(am, b1, c41);
    am = _mm256_broadcast_ss(ak + 5);
    c50 = _mm256_fmadd_ps(am, b0, c50), c51 = _mm256_fmadd_ps(am, b1, c51);
  }
  const __m256 rows[kMr][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int64_t m = 0; m < kMr; ++m) {
    float* row = c + m * ldc;
    _mm256_storeu_ps(row, kAccumulate ? _mm256_add_ps(_mm256_loadu_ps(row), rows[m][0]) : rows[m][0]);
    _mm256_storeu_ps(row + 8, kAccumulate ? _mm256_add_ps(_mm256_loadu_ps(row + 8), rows[m][1]) : rows[m][1]);
  }
}

void run(int64_t kc, const float* a, const float* b, float* c) { run_packed<true>(kc, a, b, c, kNr); }
void run_store(int64_t kc, const float* a, const float* b, float* c, int64_t ldc) { run_packed<false>(kc, a, b, c, ldc); }

// The same register blocking with each A element broadcast from its own row: one offset load per k step and six
// broadcasts, as many loads as the packed kernel's plus one.
void run_rows(int64_t kc, const float* const* rows, const int64_t* offset, const float* b, float* c) {
  const float *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3], *r4 = rows[4], *r5 = rows[5];
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b + k * kNr), b1 = _mm256_loadu_ps(b + k * kNr + 8);
    const int64_t o = offset[k];
    __m256 am = _mm256_broadcast_ss(r0 + o);
    c00 = _mm256_fmadd_ps(am, b0, c00), c01 = _mm256_fmadd_ps(am, b1, c01);
    am = _mm256_broadcast_ss(r1 + o);
    c10 = _mm256_fmadd_ps(am, b0, c10), c11 = _mm256_fmadd_ps(am, b1, c11);
    am = _mm256_broadcast_ss(r2 + o);
    c20 = _mm256_fmadd_ps(am, b0, c20), c21 = _mm256_fmadd_ps(am, b1, c21);
    am = _mm256_broadcast_ss(r3 + o);
    c30 = _mm256_fmadd_ps(am, b0, c30), c31 = _mm256_fmadd_ps(am, b1, c31);
    am = _mm256_broadcast_ss(r4 + o);
    c40 = _mm256_fmadd_ps(am, b0, c40), c41 = _mm256_fmadd_ps(am, b1, c41);
    am = _mm256_broadcast_ss(r5 + o);
    c50 = _mm256_fmadd_ps(am, b0, c50), c51 = _mm256_fmadd_ps(am, b1, c51);
  }
  const __m256 out[kMr][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int64_t m = 0; m < kMr; ++m) {
    _mm256_storeu_ps(c + m * kNr, _mm256_add_ps(_mm256_loadu_ps(c + m * kNr), out[m][0]));
    _mm256_storeu_ps(c + m * kNr + 8, _mm256_add_ps(_mm256_loadu_ps(c + m * kNr + 8), out[m][1]));
  }
}

}  // namespace

const MicroKernel& microkernel_avx2() {
  static const MicroKernel kernel{"avx2", kMr, kNr, run, run_rows, run_store, thin_rows, thin_dots, pack_row_portable};
  return kernel;
}

}  // namespace convt::cpu
