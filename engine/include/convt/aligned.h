// Storage that starts on a cache line. The fast kernels read and write 64 bytes at a time (an AVX-512 vector, or a
// line's worth of AVX2), so a buffer whose first float lies on a 64-byte boundary keeps every such access at a
// multiple of 16 floats within one line. malloc aligns to 16 bytes only, and a large std::vector<float> began 16
// bytes into its first page: each 64-byte store into it then touched two lines, and the stores of a batch-1 layer's
// 32 MB weight gradient took half again as long (bench/RESULTS.md, the Intel Xeon's second session of 2026-12-03).
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace convt {

inline constexpr std::size_t kCacheLineBytes = 64;

template <class T>
struct CacheLineAllocator {
  using value_type = T;

  CacheLineAllocator() = default;
  template <class U>
  CacheLineAllocator(const CacheLineAllocator<U>&) noexcept {}

  T* allocate(std::size_t count) {
    if (count > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(::operator new(count * sizeof(T), std::align_val_t{kCacheLineBytes}));
  }
  void deallocate(T* pointer, std::size_t) noexcept { ::operator delete(pointer, std::align_val_t{kCacheLineBytes}); }

  template <class U>
  bool operator==(const CacheLineAllocator<U>&) const noexcept {
    return true;
  }
};

// Floats on a cache line: a Tensor's storage and the CPU backend's packed operands.
using AlignedFloats = std::vector<float, CacheLineAllocator<float>>;

}  // namespace convt
