// Portable microkernel: plain loops the compiler may vectorise for the baseline ISA.
#include "microkernels.h"

namespace convt::cpu {
namespace {

#include "thin_kernel_impl.h"

constexpr int64_t kMr = 4, kNr = 16;

// `a_at(k, m)` is where A's element (k, m) is: packed, or in place in a weight's rows (run_rows); `b_at(k, n)` where
// B's is: packed, or in place in the input's padded planes (run_in_place).
template <bool kAccumulate, typename AAt, typename BAt>
void register_block(int64_t kc, AAt a_at, BAt b_at, float* c, int64_t ldc) {
  float acc[kMr][kNr] = {};
  for (int64_t k = 0; k < kc; ++k)
    for (int64_t m = 0; m < kMr; ++m)
      for (int64_t n = 0; n < kNr; ++n) acc[m][n] += *a_at(k, m) * *b_at(k, n);
  for (int64_t m = 0; m < kMr; ++m)
    for (int64_t n = 0; n < kNr; ++n) c[m * ldc + n] = kAccumulate ? c[m * ldc + n] + acc[m][n] : acc[m][n];
}

auto packed_b(const float* b) {
  return [b](int64_t k, int64_t n) { return b + k * kNr + n; };
}

void run(int64_t kc, const float* a, const float* b, float* c) {
  register_block<true>(kc, [a](int64_t k, int64_t m) { return a + k * kMr + m; }, packed_b(b), c, kNr);
}

void run_store(int64_t kc, const float* a, const float* b, float* c, int64_t ldc) {
  register_block<false>(kc, [a](int64_t k, int64_t m) { return a + k * kMr + m; }, packed_b(b), c, ldc);
}

template <bool kAccumulate>
void run_b_rows(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc) {
  register_block<kAccumulate>(kc, [a](int64_t k, int64_t m) { return a + k * kMr + m; },
                              [b, ldb](int64_t k, int64_t n) { return b + k * ldb + n; }, c, ldc);
}

template <bool kAccumulate>
void run_rows(int64_t kc, const float* const* rows, const int64_t* offset, const float* b, float* c) {
  if (!offset)
    return register_block<kAccumulate>(kc, [rows](int64_t k, int64_t m) { return rows[m] + k; }, packed_b(b), c, kNr);
  register_block<kAccumulate>(kc, [rows, offset](int64_t k, int64_t m) { return rows[m] + offset[k]; }, packed_b(b),
                              c, kNr);
}

void run_in_place(int64_t kc, const float* const* rows, const int64_t* a_offset, const float* const* segments,
                  const int64_t* b_offset, float* c) {
  register_block<true>(
      kc, [rows, a_offset](int64_t k, int64_t m) { return rows[m] + a_offset[k]; },
      [segments, b_offset](int64_t k, int64_t n) {
        return segments[n / kInPlaceSegment] + b_offset[k] + n % kInPlaceSegment;
      },
      c, kNr);
}

}  // namespace

void pack_rows(const Run* runs, int64_t count, const float* channel, int64_t channel_stride, int64_t channels,
               float* row, int64_t row_stride) {
  auto copy = [](const Run& run, const float* source, float* destination) {
    for (int32_t i = 0; i < run.length; ++i) destination[i] = run.source < 0 ? 0.0f : source[i * run.step];
  };
  pack_rows_with(copy, runs, count, channel, channel_stride, channels, row, row_stride);
}

void add_runs(const float* c, const OutputRun* runs, int64_t count, uint32_t inside, int64_t step, float* plane) {
  for_each_run_inside(c, runs, count, inside, plane,
                      [step](const OutputRun& run, uint32_t bits, const float* source, float* out) {
                        add_run_by_floats(run, bits, source, step, out);
                      });
}

const MicroKernel& microkernel_generic() {
  static const MicroKernel kernel{"generic", kMr, kNr, run, run_rows<true>, run_rows<false>, run_store,
                                  run_b_rows<true>, run_b_rows<false>, thin_rows, thin_dots, pack_rows, nullptr,
                                  run_in_place, nullptr, nullptr, nullptr, nullptr, add_runs, nullptr, nullptr,
                                  nullptr, nullptr, nullptr, 8, 0, 2};
  return kernel;
}

}  // namespace convt::cpu
