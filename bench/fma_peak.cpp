// The machine's measured fp32 FMA peak: independent FMA chains in registers (no memory traffic), per thread, for
// the widest vectors the CPU runs. Prints one JSON object: {"isa", "threads", "gflops"}.
#include <immintrin.h>
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace {

constexpr long kIterations = 200'000'000;

// 12 accumulators cover FMA latency x ports on current cores; 2 flops per lane per FMA.
double avx512_thread() {
  __m512 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (long it = 0; it < kIterations / 16; ++it)
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  float sink = 0;
  for (int i = 0; i < 12; ++i) sink += _mm512_reduce_add_ps(acc[i]);
  return sink;
}

double avx2_thread() {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (long it = 0; it < kIterations / 8; ++it)
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  float lanes[8], sink = 0;
  for (int i = 0; i < 12; ++i) {
    _mm256_storeu_ps(lanes, acc[i]);
    for (float v : lanes) sink += v;
  }
  return sink;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : omp_get_max_threads();
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const long lanes = avx512 ? 16 : 8;
  double sink = 0;
  const auto start = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
  sink += avx512 ? avx512_thread() : avx2_thread();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double flops = 2.0 * 12.0 * static_cast<double>(kIterations / lanes) * static_cast<double>(lanes) * threads;
  if (sink == 42.0) std::printf(" ");  // keeps the chains from being optimised away
  std::printf("{\"isa\": \"%s\", \"threads\": %d, \"gflops\": %.1f}\n", avx512 ? "avx512" : "avx2", threads,
              flops / seconds * 1e-9);
  return 0;
}
