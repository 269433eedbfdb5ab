// What the fast CPU backend's microkernels reach with nothing else to do: each runs on operands that stay in L1,
// on every thread at once, with no packing, no stores to the output and no other work between calls. This is a
// second measurement next to the suites' "% of peak" column: bench/fma_peak's chains hold everything in registers,
// while a GEMM's microkernel also loads A and B on every K step. A pass can at best reach this ceiling, less the
// time it spends outside the microkernel. Prints one JSON object:
//   {"level", "threads", "kc", "gflops": {"<shape> packed": ..., "<shape> A in place": ..., ...}}
// Each figure is the best of 3 timed runs (calls enough for 0.2 s at 100 GFLOP/s per thread), after a warm-up, the
// slowest thread's time counting. A kernel whose sums are wrong is not timed, and the program then exits with 1.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <convt/aligned.h>

#include "cpu/microkernels.h"

namespace {

using convt::cpu::MicroKernel;

// K steps per call: the packed GEMMs' K blocks are 128 to 512 long; at 128 a tall tile's A (6 KB) and B (16 KB)
// stay in a 32 KB L1.
constexpr int64_t kKc = 128;
constexpr double kSecondsPerRun = 0.2;

// One thread's operands, on cache lines as the backend's packed panels are.
struct Operands {
  // A and the input hold kA, B kB: every element of C after one call from zero is kc * kA * kB, exactly.
  static constexpr float kA = 0.5f, kB = 0.25f;
  explicit Operands(const MicroKernel& kernel)
      : a(static_cast<size_t>(kKc * kernel.mr), kA), b(static_cast<size_t>(kKc * kernel.nr), kB),
        c(static_cast<size_t>(kernel.mr * kernel.nr), 0.0f), input(static_cast<size_t>(kKc + kernel.mr), kA) {
    // A in place (run_rows): row m is pixel m, and K step k the float k after it, as consecutive taps of one
    // input row would be.
    for (int64_t m = 0; m < kernel.mr; ++m) rows[m] = input.data() + m;
    for (int64_t k = 0; k < kKc; ++k) offset[k] = k;
  }
  convt::AlignedFloats a, b, c, input;
  const float* rows[convt::cpu::kMaxMr] = {};
  int64_t offset[kKc] = {};
};

enum class Form { Packed, AInPlace };

void run_calls(const MicroKernel& kernel, Form form, Operands& o, int64_t calls) {
  for (int64_t i = 0; i < calls; ++i) {
    if (form == Form::Packed)
      kernel.run(kKc, o.a.data(), o.b.data(), o.c.data());
    else
      kernel.run_rows(kKc, o.rows, o.offset, o.b.data(), o.c.data());
  }
}

// Whether one call from C = 0 gives every element of C its exact sum: a kernel that skipped work would time fast.
bool computes_right(const MicroKernel& kernel, Form form) {
  Operands o(kernel);
  run_calls(kernel, form, o, 1);
  const float want = static_cast<float>(kKc) * Operands::kA * Operands::kB;
  return std::all_of(o.c.begin(), o.c.end(), [want](float v) { return v == want; });
}

// GFLOP/s of `kernel` in `form` on `threads` threads, best of 3 runs; 0 when the kernel's sums are wrong.
double measure(const MicroKernel& kernel, Form form, int threads) {
  if (!computes_right(kernel, form)) {
    std::fprintf(stderr, "kernel_ceiling: the %ldx%ld kernel's sums are wrong (%s); not timed\n",
                 static_cast<long>(kernel.mr), static_cast<long>(kernel.nr),
                 form == Form::Packed ? "packed" : "A in place");
    return 0;
  }
  const double flops_per_call = 2.0 * static_cast<double>(kKc * kernel.mr * kernel.nr);
  // Calls for ~kSecondsPerRun at 100 GFLOP/s per thread, the order of any current core's peak.
  const auto calls = static_cast<int64_t>(kSecondsPerRun * 100e9 / flops_per_call);
  double best = 0;
  for (int run = 0; run < 3; ++run) {
    double slowest = 0;
#pragma omp parallel num_threads(threads) reduction(max : slowest)
    {
      Operands operands(kernel);
      run_calls(kernel, form, operands, calls / 10);  // warm-up: the clock ramps, the vector units wake
#pragma omp barrier
      const auto start = std::chrono::steady_clock::now();
      run_calls(kernel, form, operands, calls);
      slowest = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (operands.c[0] == 42.0f) std::printf(" ");  // uses the sums, so that no call can be left out
    }
    best = std::max(best, flops_per_call * static_cast<double>(calls) * threads / slowest * 1e-9);
  }
  return best;
}

std::string shape_of(const MicroKernel& kernel) {
  return std::to_string(kernel.mr) + "x" + std::to_string(kernel.nr);
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : omp_get_max_threads();
  if (threads < 1) {
    std::fprintf(stderr, "kernel_ceiling: threads must be at least 1, got '%s'\n", argv[1]);
    return 1;
  }
  const MicroKernel& wide = convt::cpu::active_microkernel();
  // The packed GEMMs' tiles (the wide and, where the level has one, the tall), and the input-in-place GEMM's, which
  // broadcasts A from the input through an offset per K step.
  std::vector<std::pair<std::string, double>> figures;
  figures.emplace_back(shape_of(wide) + " packed", measure(wide, Form::Packed, threads));
  if (wide.tall) figures.emplace_back(shape_of(*wide.tall) + " packed", measure(*wide.tall, Form::Packed, threads));
  figures.emplace_back(shape_of(wide) + " A in place", measure(wide, Form::AInPlace, threads));
  std::printf("{\"level\": \"%s\", \"threads\": %d, \"kc\": %ld, \"gflops\": {", wide.name, threads,
              static_cast<long>(kKc));
  for (size_t i = 0; i < figures.size(); ++i)
    std::printf("%s\"%s\": %.1f", i ? ", " : "", figures[i].first.c_str(), figures[i].second);
  std::printf("}}\n");
  const bool all_right = std::all_of(figures.begin(), figures.end(), [](const auto& f) { return f.second > 0; });
  return all_right ? 0 : 1;
}
