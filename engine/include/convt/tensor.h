// Tensor: float32, contiguous row-major (NCHW for 4-D), owning. Deliberately small: the engine's ops take
// typed parameter structs and plain tensors, and the fast backends work on raw pointers.
#pragma once

#include "aligned.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace convt {

using Shape = std::vector<int64_t>;

// "[1, 3, 8, 8]"
std::string shape_to_string(const Shape& shape);

// Number of elements, with a clear error when the product overflows int64 or a dimension is negative.
int64_t shape_numel(const Shape& shape);

// The byte size a float32 tensor of this shape needs; throws when it overflows.
uint64_t shape_bytes(const Shape& shape);

// Every tensor allocation is checked against this budget first, so a size that would exhaust memory is refused
// up front with the number of bytes it would need. Default 8 GiB; CONVT_MEMORY_BUDGET (bytes, or with a
// K/M/G suffix) in the environment overrides it, and set_memory_budget_bytes overrides both.
uint64_t memory_budget_bytes();
void set_memory_budget_bytes(uint64_t bytes);
// Throws ErrorKind::OutOfMemoryBudget naming `what`, the shape and the bytes needed when over the budget.
void check_memory_budget(const Shape& shape, const std::string& what);

class Tensor;

// NaN and infinite values in a tensor: reported to the user rather than silently drawn or written.
struct NonFiniteCount {
  int64_t nan = 0, inf = 0;
  bool any() const { return nan || inf; }
};
NonFiniteCount count_nonfinite(const Tensor& tensor);

class Tensor {
 public:
  Tensor() = default;
  // Zero-filled tensor of the given shape (checked against the memory budget).
  explicit Tensor(Shape shape);

  static Tensor zeros(const Shape& shape);
  static Tensor ones(const Shape& shape);
  static Tensor full(const Shape& shape, float value);
  // 0, 1, 2, ... in row-major order.
  static Tensor arange(const Shape& shape);
  // Seeded fills: the same seed gives the same values on every platform (own generator, not <random>'s
  // implementation-defined distributions).
  static Tensor randn(const Shape& shape, uint64_t seed, float mean = 0.0f, float stddev = 1.0f);
  static Tensor uniform(const Shape& shape, uint64_t seed, float low = 0.0f, float high = 1.0f);
  // Copies `data` into the tensor's own storage, which starts on a cache line (aligned.h).
  static Tensor from_data(const Shape& shape, const std::vector<float>& data);

  const Shape& shape() const { return shape_; }
  int64_t dim() const { return static_cast<int64_t>(shape_.size()); }
  // size(-1) is the last dimension, as in PyTorch.
  int64_t size(int64_t d) const;
  int64_t numel() const { return static_cast<int64_t>(data_.size()); }
  bool empty() const { return data_.empty(); }
  // Contiguous strides in elements.
  std::vector<int64_t> strides() const;

  float* data() { return data_.data(); }
  const float* data() const { return data_.data(); }
  float& operator[](int64_t i) { return data_[static_cast<size_t>(i)]; }
  float operator[](int64_t i) const { return data_[static_cast<size_t>(i)]; }

  // Element access for 4-D tensors (n, c, h, w); bounds are the caller's responsibility.
  float& at(int64_t n, int64_t c, int64_t h, int64_t w) { return data_[offset4(n, c, h, w)]; }
  float at(int64_t n, int64_t c, int64_t h, int64_t w) const { return data_[offset4(n, c, h, w)]; }

  // Same data, new shape with the same number of elements.
  Tensor reshaped(const Shape& shape) const;

 private:
  size_t offset4(int64_t n, int64_t c, int64_t h, int64_t w) const {
    return static_cast<size_t>(((n * shape_[1] + c) * shape_[2] + h) * shape_[3] + w);
  }

  Shape shape_;
  AlignedFloats data_;  // on a cache line (aligned.h)
};

}  // namespace convt
