// Short runs of floats copied without a library call: GCC turns a copy of run-time size into a call to memcpy,
// which for the few dozen bytes of a packed row costs more than the copy itself.
#pragma once

#include <cstdint>
#include <cstring>

namespace convt::cpu {

// Copies a run of floats 4 at a time (a 16-byte memcpy is one load and one store), the last 4 overlapping the
// previous copy; shorter runs one by one.
inline void copy_run(const float* source, int64_t length, float* destination) {
  if (length < 4) {
    for (int64_t i = 0; i < length; ++i) destination[i] = source[i];
    return;
  }
  for (int64_t i = 0; i + 4 <= length; i += 4) std::memcpy(destination + i, source + i, 4 * sizeof(float));
  if (length % 4 != 0) std::memcpy(destination + length - 4, source + length - 4, 4 * sizeof(float));
}

}  // namespace convt::cpu
