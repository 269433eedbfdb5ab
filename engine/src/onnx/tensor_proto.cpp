// onnx::TensorProto to Value: initializers, Constant values and .pb tensor files. Every count, offset and path a
// tensor declares is checked (plan_tensor) before anything is allocated or any external file is read
// (read_tensor), so a hostile file gets a one-line refusal, never a crash or an unbounded allocation.
#include "proto_convert.h"

#include <convt/io.h>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>
#include <vector>

namespace convt::onnx {
namespace detail {
namespace {

namespace fs = std::filesystem;
using ::onnx::TensorProto;

// What we need to know about an element type to check and convert its data.
struct ElementInfo {
  uint64_t width = 0;           // bytes per value in raw_data
  const char* typed_field = "";  // the repeated field that holds typed values
  bool integer = false;         // kept exactly in Value::integers
  int64_t min = 0, max = 0;     // the values an integer type can hold (uint64 is capped at int64's maximum)
};

std::optional<ElementInfo> element_info(int32_t type) {
  constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
  switch (type) {
    case TensorProto::FLOAT: return ElementInfo{4, "float_data"};
    case TensorProto::DOUBLE: return ElementInfo{8, "double_data"};
    case TensorProto::FLOAT16: return ElementInfo{2, "int32_data"};
    case TensorProto::BFLOAT16: return ElementInfo{2, "int32_data"};
    case TensorProto::INT8: return ElementInfo{1, "int32_data", true, INT8_MIN, INT8_MAX};
    case TensorProto::UINT8: return ElementInfo{1, "int32_data", true, 0, UINT8_MAX};
    case TensorProto::INT16: return ElementInfo{2, "int32_data", true, INT16_MIN, INT16_MAX};
    case TensorProto::UINT16: return ElementInfo{2, "int32_data", true, 0, UINT16_MAX};
    case TensorProto::INT32: return ElementInfo{4, "int32_data", true, INT32_MIN, INT32_MAX};
    case TensorProto::BOOL: return ElementInfo{1, "int32_data", true, 0, 1};
    case TensorProto::INT64: return ElementInfo{8, "int64_data", true, std::numeric_limits<int64_t>::min(), kInt64Max};
    case TensorProto::UINT32: return ElementInfo{4, "uint64_data", true, 0, UINT32_MAX};
    case TensorProto::UINT64: return ElementInfo{8, "uint64_data", true, 0, kInt64Max};
    default: return std::nullopt;  // string, complex, undefined, and types newer than ONNX 1.12
  }
}

std::string values_text(int64_t count) { return std::to_string(count) + (count == 1 ? " value" : " values"); }

// "dims [64, 3, 4, 4] (3072 values)"
std::string dims_text(const TensorPlan& plan) {
  return "dims " + shape_to_string(plan.shape) + " (" + values_text(plan.numel) + ")";
}

[[noreturn]] void fail_external(ErrorKind kind, const TensorSite& site, const std::string& location,
                                const std::string& rest) {
  throw Error(kind, site.file + ": external data " + quoted(location) + " of " + site.what + " " + rest);
}

ElementInfo checked_element_info(const TensorProto& tensor, const TensorSite& site) {
  const std::optional<ElementInfo> info = element_info(tensor.data_type());
  if (!info)
    fail_tensor(ErrorKind::InvalidArgument, site,
                "has element type " + std::string(element_type_name(tensor.data_type())) + " (" +
                    std::to_string(tensor.data_type()) +
                    "), which cannot be loaded (float32, float16, bfloat16, float64 and integer types can)");
  return *info;
}

// The dims as a Shape, with the element count; negative dims and counts past int64 are refused.
void check_dims(const TensorProto& tensor, const TensorSite& site, TensorPlan& plan) {
  plan.shape.assign(tensor.dims().begin(), tensor.dims().end());
  for (const int64_t d : plan.shape)
    if (d < 0)
      fail_tensor(ErrorKind::InvalidArgument, site, "has a negative dimension in dims " + shape_to_string(plan.shape));
  try {
    plan.numel = shape_numel(plan.shape);
  } catch (const Error& error) {  // keep its kind, but say which tensor
    throw Error(error.kind(), site.file + ": " + site.what + ": " + error.what());
  }
}

// The converted value's bytes, refused up front when one tensor alone is over the memory budget.
void check_memory(const ElementInfo& info, const TensorSite& site, TensorPlan& plan) {
  const uint64_t per_value = sizeof(float) + (info.integer ? sizeof(int64_t) : 0);
  const uint64_t budget = memory_budget_bytes();
  const uint64_t numel = static_cast<uint64_t>(plan.numel);
  if (numel <= budget / per_value) {
    plan.memory_bytes = numel * per_value;
    return;
  }
  const std::string bytes = numel <= std::numeric_limits<uint64_t>::max() / per_value
                                ? std::to_string(numel * per_value)
                                : "more than " + std::to_string(std::numeric_limits<uint64_t>::max());
  throw Error(ErrorKind::OutOfMemoryBudget,
              site.file + ": " + site.what + " of shape " + shape_to_string(plan.shape) + " would need " + bytes +
                  " bytes, over the memory budget of " + std::to_string(budget) +
                  " bytes (set CONVT_MEMORY_BUDGET to change it)");
}

// The repeated fields that hold values, with their lengths (raw_data is handled apart).
std::vector<std::pair<const char*, int64_t>> typed_fields(const TensorProto& tensor) {
  std::vector<std::pair<const char*, int64_t>> fields;
  if (tensor.float_data_size()) fields.emplace_back("float_data", tensor.float_data_size());
  if (tensor.int32_data_size()) fields.emplace_back("int32_data", tensor.int32_data_size());
  if (tensor.int64_data_size()) fields.emplace_back("int64_data", tensor.int64_data_size());
  if (tensor.double_data_size()) fields.emplace_back("double_data", tensor.double_data_size());
  if (tensor.uint64_data_size()) fields.emplace_back("uint64_data", tensor.uint64_data_size());
  if (tensor.string_data_size()) fields.emplace_back("string_data", tensor.string_data_size());
  return fields;
}

// Data inside the message: one field that suits the type, with exactly as many values as the dims need.
void check_inline_data(const TensorProto& tensor, const ElementInfo& info, const TensorSite& site,
                       const TensorPlan& plan) {
  const auto fields = typed_fields(tensor);
  const std::string type = element_type_name(plan.element_type);
  if (tensor.has_raw_data()) {
    if (!fields.empty())
      fail_tensor(ErrorKind::InvalidArgument, site,
                  "has data in both raw_data and " + std::string(fields.front().first) + "; only one is allowed");
    const uint64_t bytes = tensor.raw_data().size();
    if (bytes % info.width != 0 || bytes / info.width != static_cast<uint64_t>(plan.numel)) {
      const uint64_t whole = bytes / info.width;
      const std::string held = bytes % info.width == 0
                                   ? std::to_string(whole) + " " + type + (whole == 1 ? " value" : " values")
                                   : "not a whole number of " + type + " values";
      fail_tensor(ErrorKind::InvalidArgument, site,
                  "has " + dims_text(plan) + " but " + std::to_string(bytes) + " bytes of raw data (" + held + ")");
    }
    return;
  }
  if (fields.size() > 1)
    fail_tensor(ErrorKind::InvalidArgument, site,
                "has data in both " + std::string(fields[0].first) + " and " + fields[1].first +
                    "; only one is allowed");
  const int64_t count = fields.empty() ? 0 : fields.front().second;
  if (!fields.empty() && std::string(fields.front().first) != info.typed_field)
    fail_tensor(ErrorKind::InvalidArgument, site,
                "keeps its " + type + " values in " + fields.front().first + "; they belong in " + info.typed_field +
                    " or raw_data");
  if (count != plan.numel)
    fail_tensor(ErrorKind::InvalidArgument, site,
                "has " + dims_text(plan) + " but " + values_text(count) + " in " + info.typed_field);
}

// "12345" -> 12345; nullopt for anything but plain decimal digits that fit int64 (no sign, no spaces).
std::optional<uint64_t> parse_non_negative(const std::string& text) {
  if (text.empty() || text.size() > 19 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() ||
      value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return std::nullopt;
  return value;
}

struct ExternalEntries {
  std::string location;
  std::optional<uint64_t> offset, length;
};

ExternalEntries external_entries(const TensorProto& tensor, const TensorSite& site) {
  ExternalEntries entries;
  bool has_location = false;
  std::vector<std::string> seen;
  for (const auto& entry : tensor.external_data()) {
    if (std::find(seen.begin(), seen.end(), entry.key()) != seen.end())
      fail_tensor(ErrorKind::InvalidArgument, site, "has external_data key " + quoted(entry.key()) + " twice");
    seen.push_back(entry.key());
    if (entry.key() == "location") {
      entries.location = entry.value();
      has_location = true;
    } else if (entry.key() == "offset" || entry.key() == "length") {
      const std::optional<uint64_t> number = parse_non_negative(entry.value());
      if (!number)
        fail_tensor(ErrorKind::InvalidArgument, site,
                    "has external data " + entry.key() + " " + quoted(entry.value()) +
                        ", which is not a non-negative integer");
      (entry.key() == "offset" ? entries.offset : entries.length) = number;
    }
    // Other keys ("checksum") do not change which bytes are read.
  }
  if (!has_location || entries.location.empty())
    fail_tensor(ErrorKind::InvalidArgument, site, "is stored externally but names no location");
  return entries;
}

// Whether `target` lies strictly inside `folder` (both canonical), by whole path components.
bool is_inside(const fs::path& folder, const fs::path& target) {
  const auto [in_folder, in_target] = std::mismatch(folder.begin(), folder.end(), target.begin(), target.end());
  return in_folder == folder.end() && in_target != target.end();
}

// The file an external location names, after the rules: relative, no "..", inside the model's folder once every
// symlink is followed, and a regular file. Returns the resolved path; nothing is opened.
fs::path resolve_location(const std::string& location, const TensorSite& site) {
  if (site.folder.empty())
    fail_external(ErrorKind::InvalidArgument, site, location,
                  "cannot be read: external data needs the model's folder (load the model from its file)");
  if (location.find('\0') != std::string::npos)
    fail_external(ErrorKind::InvalidArgument, site, location, "has a NUL character in its name");
  const fs::path relative(location);
  if (relative.is_absolute() || relative.has_root_path())
    fail_external(ErrorKind::InvalidArgument, site, location,
                  "is an absolute path; external data must be relative to the model's folder");
  for (const fs::path& part : relative)
    if (part == "..") fail_external(ErrorKind::InvalidArgument, site, location, "leaves the model's folder ('..')");
  std::error_code error;
  const fs::path folder = fs::weakly_canonical(fs::path(site.folder), error);
  if (error)
    throw_io(site.file + ": cannot resolve the model's folder " + quoted(site.folder) + ": " + error.message());
  const fs::path target = fs::weakly_canonical(folder / relative, error);
  if (error) fail_external(ErrorKind::Io, site, location, "cannot be resolved: " + error.message());
  // A symlink inside the folder may still point anywhere: what counts is where it leads.
  if (!is_inside(folder, target))
    fail_external(ErrorKind::InvalidArgument, site, location,
                  "leaves the model's folder (it resolves to " + quoted(target.string()) + ")");
  const fs::file_status status = fs::status(target, error);
  if (!fs::exists(status)) fail_external(ErrorKind::Io, site, location, "cannot be read: no such file");
  if (!fs::is_regular_file(status)) fail_external(ErrorKind::Io, site, location, "is not a regular file");
  return target;
}

// External data: location resolved, and offset and length inside the file, covering exactly the dims' bytes.
void plan_external(const TensorProto& tensor, const ElementInfo& info, const TensorSite& site, TensorPlan& plan) {
  const auto fields = typed_fields(tensor);
  if (tensor.has_raw_data() || !fields.empty())
    fail_tensor(ErrorKind::InvalidArgument, site,
                std::string("is stored externally but also has data in ") +
                    (tensor.has_raw_data() ? "raw_data" : fields.front().first));
  const ExternalEntries entries = external_entries(tensor, site);
  const fs::path target = resolve_location(entries.location, site);
  std::error_code error;
  const uint64_t size = fs::file_size(target, error);
  if (error) fail_external(ErrorKind::Io, site, entries.location, "cannot be read: " + error.message());
  const std::string file_text = "the " + std::to_string(size) + "-byte file";
  plan.offset = entries.offset.value_or(0);
  if (plan.offset > size)
    fail_external(ErrorKind::InvalidArgument, site, entries.location,
                  "starts at offset " + std::to_string(plan.offset) + ", past the end of " + file_text);
  plan.length = entries.length.value_or(size - plan.offset);  // no length: the rest of the file
  const uint64_t numel = static_cast<uint64_t>(plan.numel);
  // Compared by division: numel * width could overflow for hostile dims.
  if (plan.length % info.width != 0 || plan.length / info.width != numel) {
    const std::string need = numel <= std::numeric_limits<uint64_t>::max() / info.width
                                 ? std::to_string(numel * info.width)
                                 : "more than " + std::to_string(std::numeric_limits<uint64_t>::max());
    fail_external(ErrorKind::InvalidArgument, site, entries.location,
                  "has length " + std::to_string(plan.length) + " bytes, but " + dims_text(plan) + " of " +
                      element_type_name(plan.element_type) + " need " + need + " bytes");
  }
  if (plan.length > size - plan.offset)
    fail_external(ErrorKind::InvalidArgument, site, entries.location,
                  "has offset " + std::to_string(plan.offset) + " and length " + std::to_string(plan.length) +
                      ", which end past the end of " + file_text);
  plan.external = true;
  plan.external_path = target.string();
}

// ---- conversion ----

float half_to_float(uint32_t bits) {
  const float sign = (bits & 0x8000u) ? -1.0f : 1.0f;
  const int exponent = static_cast<int>((bits >> 10) & 0x1Fu);
  const uint32_t mantissa = bits & 0x3FFu;
  if (exponent == 0) return sign * std::ldexp(static_cast<float>(mantissa), -24);  // zero and subnormals, exact
  if (exponent == 31) {  // inf, or NaN with its payload kept in the top of float32's mantissa
    return std::bit_cast<float>((bits & 0x8000u) << 16 | 0x7F800000u | mantissa << 13);
  }
  return std::bit_cast<float>((bits & 0x8000u) << 16 | static_cast<uint32_t>(exponent - 15 + 127) << 23 |
                              mantissa << 13);
}

// bfloat16 is the top half of a float32.
float bfloat16_to_float(uint32_t bits) { return std::bit_cast<float>(bits << 16); }

template <size_t Width>
uint64_t load_little_endian(const char* p) {
  uint64_t bits = 0;
  for (size_t b = 0; b < Width; ++b) bits |= static_cast<uint64_t>(static_cast<uint8_t>(p[b])) << (8 * b);
  return bits;
}

// Writes decoded values into a Value, refusing integers its element type cannot hold.
class Sink {
 public:
  Sink(Value& value, const ElementInfo& info, const TensorSite& site)
      : out_(value.tensor.data()), integers_(value.integers ? value.integers->data() : nullptr), info_(info),
        site_(site), type_(element_type_name(value.element_type)) {}

  void put_float(int64_t index, float v) { out_[index] = v; }

  void put_integer(int64_t index, int64_t v) {
    if (v < info_.min || v > info_.max) refuse(index, std::to_string(v));
    integers_[index] = v;
    out_[index] = static_cast<float>(v);
  }

  // For unsigned sources (uint64_data, raw uint64), whose values may lie past int64.
  void put_unsigned(int64_t index, uint64_t v) {
    if (v > static_cast<uint64_t>(info_.max)) refuse(index, std::to_string(v));
    put_integer(index, static_cast<int64_t>(v));
  }

  // float16 and bfloat16 bit patterns from int32_data.
  uint32_t half_bits(int64_t index, int32_t v) const {
    if (v < 0 || v > 0xFFFF) refuse(index, std::to_string(v));
    return static_cast<uint32_t>(v);
  }

 private:
  [[noreturn]] void refuse(int64_t index, const std::string& v) const {
    const std::string what = info_.max == std::numeric_limits<int64_t>::max() && info_.min == 0
                                 ? " (convt keeps integers exactly up to int64's maximum)"
                                 : "";
    fail_tensor(ErrorKind::InvalidArgument, site_,
                "holds " + v + " at index " + std::to_string(index) + ", which is not a " + type_ + " value" + what);
  }

  float* out_;
  int64_t* integers_;
  const ElementInfo& info_;
  const TensorSite& site_;
  std::string type_;
};

// `count` little-endian values starting at element `first` of the tensor.
void decode_raw(const char* bytes, int64_t first, int64_t count, int32_t type, Sink& sink) {
  const auto each = [&](auto width_tag, auto put) {
    constexpr size_t width = decltype(width_tag)::value;
    for (int64_t i = 0; i < count; ++i)
      put(first + i, load_little_endian<width>(bytes + static_cast<size_t>(i) * width));
  };
  using W1 = std::integral_constant<size_t, 1>;
  using W2 = std::integral_constant<size_t, 2>;
  using W4 = std::integral_constant<size_t, 4>;
  using W8 = std::integral_constant<size_t, 8>;
  switch (type) {
    case TensorProto::FLOAT:
      return each(W4{},
                  [&](int64_t i, uint64_t b) { sink.put_float(i, std::bit_cast<float>(static_cast<uint32_t>(b))); });
    case TensorProto::DOUBLE:
      return each(W8{},
                  [&](int64_t i, uint64_t b) { sink.put_float(i, static_cast<float>(std::bit_cast<double>(b))); });
    case TensorProto::FLOAT16:
      return each(W2{}, [&](int64_t i, uint64_t b) { sink.put_float(i, half_to_float(static_cast<uint32_t>(b))); });
    case TensorProto::BFLOAT16:
      return each(W2{}, [&](int64_t i, uint64_t b) { sink.put_float(i, bfloat16_to_float(static_cast<uint32_t>(b))); });
    case TensorProto::INT8:
      return each(W1{}, [&](int64_t i, uint64_t b) { sink.put_integer(i, static_cast<int8_t>(b)); });
    case TensorProto::INT16:
      return each(W2{}, [&](int64_t i, uint64_t b) { sink.put_integer(i, static_cast<int16_t>(b)); });
    case TensorProto::INT32:
      return each(W4{}, [&](int64_t i, uint64_t b) { sink.put_integer(i, static_cast<int32_t>(b)); });
    case TensorProto::INT64:
      return each(W8{}, [&](int64_t i, uint64_t b) { sink.put_integer(i, static_cast<int64_t>(b)); });
    case TensorProto::UINT8:
    case TensorProto::BOOL:
      return each(W1{}, [&](int64_t i, uint64_t b) { sink.put_unsigned(i, b); });
    case TensorProto::UINT16:
      return each(W2{}, [&](int64_t i, uint64_t b) { sink.put_unsigned(i, b); });
    case TensorProto::UINT32:
      return each(W4{}, [&](int64_t i, uint64_t b) { sink.put_unsigned(i, b); });
    case TensorProto::UINT64:
      return each(W8{}, [&](int64_t i, uint64_t b) { sink.put_unsigned(i, b); });
    default:
      return;  // plan_tensor admitted only the types above
  }
}

// Values from the typed field that check_inline_data found to hold exactly numel of them.
void decode_typed(const TensorProto& tensor, int64_t count, Sink& sink) {
  switch (tensor.data_type()) {
    case TensorProto::FLOAT:
      for (int64_t i = 0; i < count; ++i) sink.put_float(i, tensor.float_data(static_cast<int>(i)));
      return;
    case TensorProto::DOUBLE:
      for (int64_t i = 0; i < count; ++i)
        sink.put_float(i, static_cast<float>(tensor.double_data(static_cast<int>(i))));
      return;
    case TensorProto::FLOAT16:
      for (int64_t i = 0; i < count; ++i)
        sink.put_float(i, half_to_float(sink.half_bits(i, tensor.int32_data(static_cast<int>(i)))));
      return;
    case TensorProto::BFLOAT16:
      for (int64_t i = 0; i < count; ++i)
        sink.put_float(i, bfloat16_to_float(sink.half_bits(i, tensor.int32_data(static_cast<int>(i)))));
      return;
    case TensorProto::INT64:
      for (int64_t i = 0; i < count; ++i) sink.put_integer(i, tensor.int64_data(static_cast<int>(i)));
      return;
    case TensorProto::UINT32:
    case TensorProto::UINT64:
      for (int64_t i = 0; i < count; ++i) sink.put_unsigned(i, tensor.uint64_data(static_cast<int>(i)));
      return;
    default:  // the int32_data types
      for (int64_t i = 0; i < count; ++i) sink.put_integer(i, tensor.int32_data(static_cast<int>(i)));
      return;
  }
}

// Reads the planned byte range in chunks, so the raw bytes never need a second full-size buffer.
void read_external(const TensorPlan& plan, const ElementInfo& info, const TensorSite& site, const std::string& location,
                   Sink& sink) {
  std::optional<RegularFile> file;
  try {
    file.emplace(plan.external_path);
  } catch (const Error& error) {
    fail_external(error.kind(), site, location, std::string("cannot be read: ") + error.what());
  }
  if (file->size() < plan.offset + plan.length)
    fail_external(ErrorKind::Io, site, location, "is shorter than when it was checked (was it changed?)");
  constexpr uint64_t kChunkBytes = uint64_t{1} << 20;  // a multiple of every element width
  std::vector<char> chunk(static_cast<size_t>(std::min(kChunkBytes, plan.length)));
  for (uint64_t done = 0; done < plan.length;) {
    const uint64_t want = std::min<uint64_t>(chunk.size(), plan.length - done);
    if (file->read_at(plan.offset + done, chunk.data(), want) != want)
      fail_external(ErrorKind::Io, site, location, "ended early (was it changed while being read?)");
    decode_raw(chunk.data(), static_cast<int64_t>(done / info.width), static_cast<int64_t>(want / info.width),
               plan.element_type, sink);
    done += want;
  }
}

std::string external_location(const TensorProto& tensor) {
  for (const auto& entry : tensor.external_data())
    if (entry.key() == "location") return entry.value();
  return "";
}

bool is_external(const TensorProto& tensor) {
  return tensor.has_data_location() && tensor.data_location() == TensorProto::EXTERNAL;
}

}  // namespace

std::string quoted(const std::string& name) {
  constexpr size_t kMaxShown = 120;
  std::string text = "'";
  for (size_t i = 0; i < name.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c == '\n') {
      text += "\\n";
    } else if (c < 0x20 || c == 0x7F) {
      static const char* const kHex = "0123456789abcdef";
      text += "\\x";
      text += kHex[c >> 4];
      text += kHex[c & 0xF];
    } else {
      text += static_cast<char>(c);
    }
  }
  if (name.size() > kMaxShown) text += "...";
  return text + "'";
}

bool parse_protobuf(const std::string& bytes, google::protobuf::MessageLite& message) {
  if (bytes.size() > kMaxProtobufBytes) return false;
  google::protobuf::io::ArrayInputStream stream(bytes.data(), static_cast<int>(bytes.size()));
  google::protobuf::io::CodedInputStream coded(&stream);
  coded.SetTotalBytesLimit(static_cast<int>(kMaxProtobufBytes));
  return message.ParseFromCodedStream(&coded) && coded.ConsumedEntireMessage();
}

void fail_tensor(ErrorKind kind, const TensorSite& site, const std::string& rest) {
  throw Error(kind, site.file + ": " + site.what + " " + rest);
}

TensorPlan plan_tensor(const TensorProto& tensor, const TensorSite& site) {
  TensorPlan plan;
  plan.element_type = tensor.data_type();
  const ElementInfo info = checked_element_info(tensor, site);
  if (tensor.has_segment())
    fail_tensor(ErrorKind::InvalidArgument, site, "is one segment of a larger tensor, which is not supported");
  check_dims(tensor, site, plan);
  // The data before the memory: a file whose dims outgrow its data is told so, not sent to the budget.
  if (is_external(tensor))
    plan_external(tensor, info, site, plan);
  else
    check_inline_data(tensor, info, site, plan);
  check_memory(info, site, plan);
  return plan;
}

void check_external_location(const TensorProto& tensor, const TensorSite& site) {
  if (is_external(tensor)) resolve_location(external_entries(tensor, site).location, site);
}

Value read_tensor(const TensorProto& tensor, const TensorPlan& plan, const TensorSite& site) {
  const ElementInfo info = checked_element_info(tensor, site);
  Value value;
  value.element_type = plan.element_type;
  value.tensor = Tensor(plan.shape);  // plan_tensor checked the memory budget
  if (info.integer) value.integers.emplace(static_cast<size_t>(plan.numel));
  Sink sink(value, info, site);
  if (plan.external)
    read_external(plan, info, site, external_location(tensor), sink);
  else if (tensor.has_raw_data())
    decode_raw(tensor.raw_data().data(), 0, plan.numel, plan.element_type, sink);
  else
    decode_typed(tensor, plan.numel, sink);
  return value;
}

std::string read_protobuf_file(const std::string& path, const std::string& kind) {
  const RegularFile file(path);
  if (file.size() > kMaxProtobufBytes)
    throw_io("cannot read '" + path + "' as " + kind + ": the file has " + std::to_string(file.size()) +
             " bytes, over protobuf's limit of " + std::to_string(kMaxProtobufBytes) +
             " bytes for one message (large weights belong in external data)");
  const uint64_t budget = memory_budget_bytes();
  if (file.size() > budget)
    throw Error(ErrorKind::OutOfMemoryBudget, "cannot read '" + path + "': the file has " +
                                                  std::to_string(file.size()) + " bytes, over the memory budget of " +
                                                  std::to_string(budget) +
                                                  " bytes (set CONVT_MEMORY_BUDGET to change it)");
  std::string bytes(static_cast<size_t>(file.size()), '\0');
  if (file.read_at(0, bytes.data(), bytes.size()) != bytes.size())
    throw_io("cannot read '" + path + "': the file ended early (was it changed while being read?)");
  return bytes;
}

}  // namespace detail

Value parse_tensor_pb(const std::string& bytes, const std::string& name) {
  if (bytes.size() > detail::kMaxProtobufBytes)
    throw_io(name + ": " + std::to_string(bytes.size()) + " bytes, over protobuf's limit of " +
             std::to_string(detail::kMaxProtobufBytes) + " bytes for one message");
  ::onnx::TensorProto proto;
  if (!detail::parse_protobuf(bytes, proto))
    throw_io(name + ": not a serialized ONNX TensorProto (protobuf parse failed)");
  // A .pb file has no model folder to hold external data, so external data is refused.
  const detail::TensorSite site{name, proto.name().empty() ? "tensor" : "tensor " + detail::quoted(proto.name()), ""};
  const detail::TensorPlan plan = detail::plan_tensor(proto, site);
  return detail::read_tensor(proto, plan, site);
}

Value read_tensor_pb(const std::string& path) {
  return parse_tensor_pb(detail::read_protobuf_file(path, "a TensorProto"), path);
}

Value read_feed(const std::string& path) {
  std::string extension = std::filesystem::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".pb") return read_tensor_pb(path);
  Value value;
  value.tensor = read_npy(path);  // .npy holds float32 or float64, both read as float32
  value.element_type = ::onnx::TensorProto::FLOAT;
  return value;
}

}  // namespace convt::onnx
