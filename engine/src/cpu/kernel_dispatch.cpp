// Run-time choice of the microkernel from what the CPU reports (cpuid via __builtin_cpu_supports), and of the
// packed GEMMs' gathers from its vendor (__builtin_cpu_is).
#include "microkernels.h"

#include <convt/error.h>

#include <atomic>

namespace convt::cpu {
namespace {

std::atomic<const MicroKernel*> g_forced{nullptr};
std::atomic<KernelPath> g_forced_path{KernelPath::Automatic};
std::atomic<VectorGathers> g_forced_gathers{VectorGathers::Automatic};

bool supports(const std::string& level) {
  if (level == "avx512") return __builtin_cpu_supports("avx512f");
  if (level == "avx2") return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return level == "generic";
}

const MicroKernel& kernel_for(const std::string& level) {
  if (level == "avx512") return microkernel_avx512();
  if (level == "avx2") return microkernel_avx2();
  return microkernel_generic();
}

}  // namespace

std::vector<std::string> supported_kernel_levels() {
  std::vector<std::string> levels;
  for (const char* level : {"avx512", "avx2", "generic"})
    if (supports(level)) levels.push_back(level);
  return levels;
}

const MicroKernel& active_microkernel() {
  if (const MicroKernel* forced = g_forced.load()) return *forced;
  static const MicroKernel& best = kernel_for(supported_kernel_levels().front());
  return best;
}

std::string active_kernel_level() { return active_microkernel().name; }

const MicroKernel& kernel_for_rows(const MicroKernel& kernel, int64_t rows) {
  // With 12 rows as the only tiles, layers of 32 and 64 output channels (big_small, unet64) ran 0.80 to 0.92 times
  // as fast; from 256 rows up the packed GEMMs ran 1.05 to 1.15 times faster.
  constexpr int64_t kTallRowsAtLeast = 128;
  if (!kernel.tall || rows < kTallRowsAtLeast) return kernel;
  const auto padding = [rows](int64_t mr) { return (rows + mr - 1) / mr * mr - rows; };
  // No more than a thirty-second of the rows wasted beyond what the kernel's own tiles waste.
  return padding(kernel.tall->mr) <= padding(kernel.mr) + rows / 32 ? *kernel.tall : kernel;
}

void force_kernel_level(const std::string& level) {
  if (level.empty()) {
    g_forced.store(nullptr);
    return;
  }
  if (level != "avx512" && level != "avx2" && level != "generic")
    throw_invalid("unknown CPU kernel level '" + level + "': expected avx512, avx2 or generic");
  if (!supports(level)) throw_invalid("CPU kernel level '" + level + "' is not supported by this processor");
  g_forced.store(&kernel_for(level));
}

void force_kernel_path(KernelPath path) { g_forced_path.store(path); }

KernelPath forced_kernel_path() { return g_forced_path.load(); }

void force_vector_gathers(VectorGathers choice) { g_forced_gathers.store(choice); }

bool prefers_vector_gathers() {
  switch (g_forced_gathers.load()) {
    case VectorGathers::Always: return true;
    case VectorGathers::Never: return false;
    default: break;
  }
  static const bool intel = __builtin_cpu_is("intel");
  return intel;
}

}  // namespace convt::cpu
