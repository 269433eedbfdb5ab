// Scoped settings of the fast CPU backend for its tests: each restores the automatic choice however a test ends.
#pragma once

#include <convt/cpu.h>

#include <omp.h>

#include <string>
#include <utility>
#include <vector>

namespace convt::testing {

struct KernelLevel {  // forces one microkernel level
  explicit KernelLevel(const std::string& level) { cpu::force_kernel_level(level); }
  ~KernelLevel() { cpu::force_kernel_level(""); }
};

struct Threads {  // sets OpenMP's thread count
  explicit Threads(int count) : saved(omp_get_max_threads()) { omp_set_num_threads(count); }
  ~Threads() { omp_set_num_threads(saved); }
  int saved;
};

struct PathForced {  // forces one GEMM, the direct kernels or the columns on every layer
  explicit PathForced(cpu::KernelPath path) { cpu::force_kernel_path(path); }
  ~PathForced() { cpu::force_kernel_path(cpu::KernelPath::Automatic); }
};

struct GathersForced {  // forces the packed GEMMs' choice of gathers, whatever the processor
  explicit GathersForced(cpu::VectorGathers choice) { cpu::force_vector_gathers(choice); }
  ~GathersForced() { cpu::force_vector_gathers(cpu::VectorGathers::Automatic); }
};

// Runs `run(setting)` under every kernel level this machine supports and 1, 2 and 3 threads, the setting named for
// test traces ("avx512, 2 threads").
template <typename Run>
void each_level_and_thread_count(Run run) {
  for (const std::string& level : cpu::supported_kernel_levels())
    for (const int threads : {1, 2, 3}) {
      KernelLevel forced(level);
      Threads scoped(threads);
      run(level + ", " + std::to_string(threads) + " threads");
    }
}

// Every path a layer can take, named for test traces: every fast-path test runs each on the same cases (the
// columns serve conv_transpose2d's passes and the scatter GEMM its forward; other ops keep their automatic choice
// under them).
inline const std::vector<std::pair<std::string, cpu::KernelPath>>& all_paths() {
  static const std::vector<std::pair<std::string, cpu::KernelPath>> paths{
      {"gemm", cpu::KernelPath::Gemm},
      {"gemm, input in place", cpu::KernelPath::GemmInPlace},
      {"direct", cpu::KernelPath::Direct},
      {"columns", cpu::KernelPath::Columns},
      {"scatter gemm", cpu::KernelPath::ScatterGemm}};
  return paths;
}

}  // namespace convt::testing
