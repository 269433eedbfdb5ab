// The .npy format (numpy's NEP 1): magic "\x93NUMPY", version, header length, a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with spaces, then the raw data.
// The parser trusts nothing in the file: every length, shape product and byte count is checked before use.
#include <convt/error.h>
#include <convt/io.h>

#include <bit>
#include <cctype>
#include <cstring>
#include <limits>

namespace convt {
namespace {

static_assert(std::endian::native == std::endian::little, "the .npy code copies little-endian data as is");

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  Shape shape;
};

class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& name) : text_(text), name_(name) {}

  NpyHeader parse() {
    NpyHeader header;
    bool have_descr = false, have_order = false, have_shape = false;
    skip_space();
    expect('{');
    for (;;) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = parse_string();
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr") {
        header.descr = parse_string();
        have_descr = true;
      } else if (key == "fortran_order") {
        header.fortran_order = parse_bool();
        have_order = true;
      } else if (key == "shape") {
        header.shape = parse_shape();
        have_shape = true;
      } else {
        fail("unexpected key '" + key + "' in the header");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      skip_space();
      if (peek() != '}') fail("expected ',' or '}' in the header");
    }
    if (!have_descr || !have_order || !have_shape)
      fail("the header lacks one of 'descr', 'fortran_order' and 'shape'");
    return header;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw_io("invalid .npy file '" + name_ + "': " + what); }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "' in the header");
    ++pos_;
  }
  std::string parse_string() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string in the header");
    ++pos_;
    const size_t end = text_.find(quote, pos_);
    if (end == std::string_view::npos) fail("unterminated string in the header");
    std::string value(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return value;
  }
  bool parse_bool() {
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail("'fortran_order' must be True or False");
  }
  Shape parse_shape() {
    Shape shape;
    expect('(');
    for (;;) {
      skip_space();
      if (peek() == ')') {
        ++pos_;
        return shape;
      }
      if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("the shape must be a tuple of non-negative integers");
      int64_t value = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        const int digit = peek() - '0';
        if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) fail("a shape dimension overflows int64");
        value = value * 10 + digit;
        ++pos_;
      }
      if (peek() == 'L') ++pos_;  // Python 2 long suffix
      shape.push_back(value);
      skip_space();
      if (peek() == ',') ++pos_;
      else if (peek() != ')') fail("expected ',' or ')' in the shape");
    }
  }

  std::string_view text_;
  const std::string& name_;
  size_t pos_ = 0;
};

uint32_t read_le(std::string_view bytes, size_t offset, size_t width) {
  uint32_t value = 0;
  for (size_t i = 0; i < width; ++i) value |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  return value;
}

}  // namespace

Tensor parse_npy(std::string_view bytes, const std::string& name) {
  auto fail = [&](const std::string& what) { throw_io("invalid .npy file '" + name + "': " + what); };
  if (bytes.size() < kMagicSize + 2 || std::memcmp(bytes.data(), kMagic, kMagicSize) != 0)
    fail("it does not start with the .npy magic string \\x93NUMPY");
  const int major = static_cast<unsigned char>(bytes[6]);
  if (major < 1 || major > 3) fail("unsupported .npy format version " + std::to_string(major));
  const size_t length_width = major == 1 ? 2 : 4;
  const size_t header_start = kMagicSize + 2 + length_width;
  if (bytes.size() < header_start) fail("the file is truncated inside its preamble");
  const size_t header_length = read_le(bytes, kMagicSize + 2, length_width);
  if (header_length > bytes.size() - header_start) fail("the file is truncated inside its header");
  const NpyHeader header = HeaderParser(bytes.substr(header_start, header_length), name).parse();

  size_t item_size = 0;
  if (header.descr == "<f4") item_size = 4;
  else if (header.descr == "<f8") item_size = 8;
  else if (header.descr == ">f4" || header.descr == ">f8")
    fail("big-endian data ('" + header.descr + "') is not supported; save it little-endian ('<f4' or '<f8')");
  else
    fail("dtype '" + header.descr + "' is not supported; expected float32 ('<f4') or float64 ('<f8')");
  if (header.fortran_order) fail("Fortran-order arrays are not supported; save a C-order array (np.ascontiguousarray)");

  int64_t numel = 0;
  try {
    numel = shape_numel(header.shape);
  } catch (const Error&) {
    fail("the header shape " + shape_to_string(header.shape) + " has more elements than can be counted");
  }
  const size_t data_size = bytes.size() - header_start - header_length;
  const uint64_t expected = static_cast<uint64_t>(numel);
  if (expected > std::numeric_limits<uint64_t>::max() / item_size)
    fail("truncated data: the header shape " + shape_to_string(header.shape) + " (" + header.descr +
         ") needs more than 2^64 bytes, the file holds " + std::to_string(data_size));
  if (expected * item_size > data_size)
    fail("truncated data: the header shape " + shape_to_string(header.shape) + " (" + header.descr + ") needs " +
         std::to_string(expected * item_size) + " bytes, the file holds " + std::to_string(data_size));
  if (expected * item_size != data_size)
    fail("the header shape " + shape_to_string(header.shape) + " disagrees with the file size: expected " +
         std::to_string(expected * item_size) + " data bytes, found " + std::to_string(data_size));

  Tensor tensor(header.shape);
  const char* data = bytes.data() + header_start + header_length;
  float* out = tensor.data();
  for (int64_t i = 0; i < numel; ++i) {
    if (item_size == 4) {
      std::memcpy(&out[i], data + 4 * i, 4);
    } else {
      double value;
      std::memcpy(&value, data + 8 * i, 8);
      out[i] = static_cast<float>(value);
    }
  }
  return tensor;
}

Tensor read_npy(const std::string& path) { return parse_npy(read_file(path), path); }

std::string encode_npy(const Tensor& tensor) {
  std::string shape = "(";
  for (size_t i = 0; i < tensor.shape().size(); ++i) shape += std::to_string(tensor.shape()[i]) + ", ";
  if (tensor.shape().size() > 1) shape.resize(shape.size() - 2);
  else if (tensor.shape().size() == 1) shape.resize(shape.size() - 1);  // "(3,)"
  shape += ")";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so magic + version + length + header + '\n' is a multiple of 64, as numpy does.
  const size_t preamble = kMagicSize + 2 + 2;
  while ((preamble + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';

  std::string bytes(kMagic, kMagicSize);
  bytes += static_cast<char>(1);
  bytes += static_cast<char>(0);
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>((header.size() >> 8) & 0xff);
  bytes += header;
  bytes.append(reinterpret_cast<const char*>(tensor.data()), static_cast<size_t>(tensor.numel()) * sizeof(float));
  return bytes;
}

void write_npy(const std::string& path, const Tensor& tensor) { write_file_atomically(path, encode_npy(tensor)); }

}  // namespace convt
