#include <convt/error.h>
#include <convt/tensor.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <numbers>
#include <sstream>

namespace convt {
namespace {

constexpr uint64_t kDefaultMemoryBudget = 8ull << 30;

// "4G", "512M", "1000" -> bytes; 0 when the text is not a size.
uint64_t parse_byte_size(const char* text) {
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  if (end == text || !(value > 0)) return 0;
  double scale = 1;
  switch (*end) {
    case 'k': case 'K': scale = 1024.0; break;
    case 'm': case 'M': scale = 1024.0 * 1024; break;
    case 'g': case 'G': scale = 1024.0 * 1024 * 1024; break;
    case '\0': break;
    default: return 0;
  }
  return static_cast<uint64_t>(value * scale);
}

uint64_t budget_from_environment() {
  const char* text = std::getenv("CONVT_MEMORY_BUDGET");
  const uint64_t parsed = text ? parse_byte_size(text) : 0;
  return parsed ? parsed : kDefaultMemoryBudget;
}

std::atomic<uint64_t>& budget_override() {
  static std::atomic<uint64_t> value{0};
  return value;
}

// SplitMix64: tiny, well-mixed, and identical everywhere, which <random>'s distributions are not.
class SeededGenerator {
 public:
  explicit SeededGenerator(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1) with 53 random bits.
  double next_unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

}  // namespace

std::string shape_to_string(const Shape& shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << ']';
  return out.str();
}

int64_t shape_numel(const Shape& shape) {
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0) throw_invalid("shape " + shape_to_string(shape) + " has a negative dimension");
    if (d != 0 && numel > std::numeric_limits<int64_t>::max() / d)
      throw Error(ErrorKind::OutOfMemoryBudget,
                  "shape " + shape_to_string(shape) + " has more elements than can be counted (int64 overflow)");
    numel *= d;
  }
  return numel;
}

uint64_t shape_bytes(const Shape& shape) {
  const uint64_t numel = static_cast<uint64_t>(shape_numel(shape));
  if (numel > std::numeric_limits<uint64_t>::max() / sizeof(float))
    throw Error(ErrorKind::OutOfMemoryBudget, "shape " + shape_to_string(shape) + " needs more than 2^64 bytes");
  return numel * sizeof(float);
}

uint64_t memory_budget_bytes() {
  const uint64_t overridden = budget_override().load();
  if (overridden) return overridden;
  static const uint64_t from_environment = budget_from_environment();
  return from_environment;
}

void set_memory_budget_bytes(uint64_t bytes) { budget_override().store(bytes); }

void check_memory_budget(const Shape& shape, const std::string& what) {
  const uint64_t bytes = shape_bytes(shape);
  const uint64_t budget = memory_budget_bytes();
  if (bytes > budget)
    throw Error(ErrorKind::OutOfMemoryBudget,
                what + " of shape " + shape_to_string(shape) + " would need " + std::to_string(bytes) +
                    " bytes, over the memory budget of " + std::to_string(budget) +
                    " bytes (set CONVT_MEMORY_BUDGET to change it)");
}

NonFiniteCount count_nonfinite(const Tensor& tensor) {
  NonFiniteCount count;
  for (int64_t i = 0; i < tensor.numel(); ++i) {
    count.nan += std::isnan(tensor[i]) ? 1 : 0;
    count.inf += std::isinf(tensor[i]) ? 1 : 0;
  }
  return count;
}

Tensor::Tensor(Shape shape) : shape_(std::move(shape)) {
  check_memory_budget(shape_, "tensor");
  data_.assign(static_cast<size_t>(shape_numel(shape_)), 0.0f);
}

Tensor Tensor::zeros(const Shape& shape) { return Tensor(shape); }

Tensor Tensor::ones(const Shape& shape) { return full(shape, 1.0f); }

Tensor Tensor::full(const Shape& shape, float value) {
  Tensor t(shape);
  for (float& v : t.data_) v = value;
  return t;
}

Tensor Tensor::arange(const Shape& shape) {
  Tensor t(shape);
  for (size_t i = 0; i < t.data_.size(); ++i) t.data_[i] = static_cast<float>(i);
  return t;
}

Tensor Tensor::randn(const Shape& shape, uint64_t seed, float mean, float stddev) {
  Tensor t(shape);
  SeededGenerator gen(seed);
  // Box-Muller, both outputs used.
  for (size_t i = 0; i < t.data_.size(); i += 2) {
    const double u1 = 1.0 - gen.next_unit();  // (0, 1]: log is finite
    const double u2 = gen.next_unit();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    t.data_[i] = static_cast<float>(mean + stddev * radius * std::cos(angle));
    if (i + 1 < t.data_.size()) t.data_[i + 1] = static_cast<float>(mean + stddev * radius * std::sin(angle));
  }
  return t;
}

Tensor Tensor::uniform(const Shape& shape, uint64_t seed, float low, float high) {
  Tensor t(shape);
  SeededGenerator gen(seed);
  for (float& v : t.data_) v = static_cast<float>(low + (static_cast<double>(high) - low) * gen.next_unit());
  return t;
}

Tensor Tensor::from_data(const Shape& shape, const std::vector<float>& data) {
  if (static_cast<int64_t>(data.size()) != shape_numel(shape))
    throw_invalid("Tensor::from_data: shape " + shape_to_string(shape) + " needs " +
                  std::to_string(shape_numel(shape)) + " values, got " + std::to_string(data.size()));
  check_memory_budget(shape, "tensor");
  Tensor t;
  t.shape_ = shape;
  t.data_.assign(data.begin(), data.end());
  return t;
}

int64_t Tensor::size(int64_t d) const {
  const int64_t rank = dim();
  const int64_t index = d < 0 ? d + rank : d;
  if (index < 0 || index >= rank)
    throw_invalid("dimension " + std::to_string(d) + " is out of range for a tensor of shape " +
                  shape_to_string(shape_));
  return shape_[static_cast<size_t>(index)];
}

std::vector<int64_t> Tensor::strides() const {
  std::vector<int64_t> result(shape_.size(), 1);
  for (int64_t i = dim() - 2; i >= 0; --i)
    result[static_cast<size_t>(i)] = result[static_cast<size_t>(i + 1)] * shape_[static_cast<size_t>(i + 1)];
  return result;
}

Tensor Tensor::reshaped(const Shape& shape) const {
  if (shape_numel(shape) != numel())
    throw_invalid("cannot reshape a tensor of shape " + shape_to_string(shape_) + " to " + shape_to_string(shape));
  Tensor t;
  t.shape_ = shape;
  t.data_ = data_;
  return t;
}

}  // namespace convt
