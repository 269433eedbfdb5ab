// Scratch buffers that the fast CPU kernels keep between calls (thread_local, or the calling thread's): they only
// ever grow, so a call neither faults in fresh pages nor zeroes memory it is about to overwrite.
#pragma once

#include <cstdint>
#include <vector>

namespace convt::cpu {

template <typename T, typename Allocator>
void at_least(std::vector<T, Allocator>& buffer, int64_t size) {
  if (static_cast<int64_t>(buffer.size()) < size) buffer.resize(static_cast<size_t>(size));
}

}  // namespace convt::cpu
