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

struct ThinPathForced {  // forces the GEMM or the direct kernels on every layer
  explicit ThinPathForced(cpu::ThinPath path) { cpu::force_thin_path(path); }
  ~ThinPathForced() { cpu::force_thin_path(cpu::ThinPath::Automatic); }
};

// Both paths a layer can take, named for test traces: every fast-path test runs each on the same cases.
inline const std::vector<std::pair<std::string, cpu::ThinPath>>& both_paths() {
  static const std::vector<std::pair<std::string, cpu::ThinPath>> paths{{"gemm", cpu::ThinPath::Gemm},
                                                                        {"direct", cpu::ThinPath::Direct}};
  return paths;
}

}  // namespace convt::testing
