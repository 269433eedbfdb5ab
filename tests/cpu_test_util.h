// Scoped settings of the fast CPU backend for its tests: each restores the automatic choice however a test ends.
#pragma once

#include <convt/cpu.h>

#include <omp.h>

#include <string>

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

}  // namespace convt::testing
