// The sizes of a core's caches, as the C library reads them from the processor, for the blocking decisions that
// depend on them.
#pragma once

#include <unistd.h>

#include <cstdint>

namespace convt::cpu {

// One core's L2 in bytes; 512 KB (a Zen 3's, the smallest of our machines) where the library does not say.
inline int64_t l2_bytes_per_core() {
  static const int64_t bytes = [] {
    const long reported = sysconf(_SC_LEVEL2_CACHE_SIZE);
    return reported > 0 ? static_cast<int64_t>(reported) : int64_t{512} << 10;
  }();
  return bytes;
}

}  // namespace convt::cpu
