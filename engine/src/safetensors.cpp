// .safetensors: an 8-byte little-endian header length, a JSON header {"name": {"dtype", "shape",
// "data_offsets": [begin, end]}, "__metadata__": {...}}, then the data, offsets relative to its start. Nothing in
// the file is trusted: lengths, offsets, shape products and overlaps are all checked before any byte is used.
// A file is never read whole: only its header and the one tensor asked for (a model file may be far larger than
// the memory budget), through RegularFile, so only regular files are read.
#include <convt/error.h>
#include <convt/io.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>

namespace convt {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // the format's own limit is 100 MB

// Exactly `length` bytes from `offset` of the file or of the bytes in memory, or an ErrorKind::Io error.
using ReadAt = std::function<void(uint64_t offset, char* out, uint64_t length)>;

struct Parsed {
  uint64_t data_start = 0;
  struct Entry {
    SafetensorsEntry info;
    uint64_t begin = 0, end = 0;
  };
  std::vector<Entry> entries;
};

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw_io("invalid .safetensors file '" + path + "': " + what);
}

uint64_t item_size(const std::string& dtype) {
  if (dtype == "F32") return 4;
  if (dtype == "F16" || dtype == "BF16") return 2;
  if (dtype == "F64") return 8;
  if (dtype == "I64" || dtype == "U64") return 8;
  if (dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "I16" || dtype == "U16") return 2;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL" || dtype == "F8_E4M3" || dtype == "F8_E5M2") return 1;
  return 0;
}

// Reads and checks the header of a `file_size`-byte file; the data is left where it is.
Parsed parse(const ReadAt& read_at, uint64_t file_size, const std::string& path) {
  Parsed parsed;
  if (file_size < 8) fail(path, "the file is shorter than its 8-byte header length");
  unsigned char length_bytes[8];
  read_at(0, reinterpret_cast<char*>(length_bytes), 8);
  uint64_t header_length = 0;
  for (int i = 7; i >= 0; --i) header_length = (header_length << 8) | length_bytes[i];
  if (header_length > kMaxHeaderBytes) fail(path, "the header claims " + std::to_string(header_length) + " bytes (over 100 MB)");
  if (header_length > file_size - 8)
    fail(path, "truncated: the header claims " + std::to_string(header_length) + " bytes, the file has " +
                   std::to_string(file_size - 8) + " after the length");
  parsed.data_start = 8 + header_length;
  const uint64_t data_size = file_size - parsed.data_start;
  std::string header_text(static_cast<size_t>(header_length), '\0');
  read_at(8, header_text.data(), header_length);

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(header_text);
  } catch (const std::exception& e) {
    fail(path, std::string("the header is not valid JSON (") + e.what() + ")");
  }
  if (!header.is_object()) fail(path, "the header is not a JSON object");
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") continue;
    if (!value.is_object() || !value.contains("dtype") || !value.contains("shape") || !value.contains("data_offsets") ||
        !value["dtype"].is_string() || !value["shape"].is_array() || !value["data_offsets"].is_array() ||
        value["data_offsets"].size() != 2)
      fail(path, "tensor '" + name + "' lacks a string dtype, a shape list or two data_offsets");
    Parsed::Entry entry;
    entry.info.name = name;
    entry.info.dtype = value["dtype"].get<std::string>();
    for (const auto& d : value["shape"]) {
      if (!d.is_number_unsigned()) fail(path, "tensor '" + name + "' has a shape entry that is not a non-negative integer");
      const uint64_t dim = d.get<uint64_t>();
      if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) fail(path, "tensor '" + name + "' has a dimension that overflows");
      entry.info.shape.push_back(static_cast<int64_t>(dim));
    }
    for (const auto& o : value["data_offsets"])
      if (!o.is_number_unsigned()) fail(path, "tensor '" + name + "' has data_offsets that are not non-negative integers");
    entry.begin = value["data_offsets"][0].get<uint64_t>();
    entry.end = value["data_offsets"][1].get<uint64_t>();
    if (entry.begin > entry.end || entry.end > data_size)
      fail(path, "tensor '" + name + "' has data_offsets [" + std::to_string(entry.begin) + ", " + std::to_string(entry.end) +
                     "] outside the " + std::to_string(data_size) + "-byte data");
    const uint64_t size = item_size(entry.info.dtype);
    if (size == 0) fail(path, "tensor '" + name + "' has unknown dtype '" + entry.info.dtype + "'");
    int64_t numel = 0;
    try {
      numel = shape_numel(entry.info.shape);
    } catch (const Error&) {
      fail(path, "tensor '" + name + "' has a shape " + shape_to_string(entry.info.shape) + " whose size overflows");
    }
    if (static_cast<uint64_t>(numel) > std::numeric_limits<uint64_t>::max() / size ||
        static_cast<uint64_t>(numel) * size != entry.end - entry.begin)
      fail(path, "tensor '" + name + "' (" + entry.info.dtype + " " + shape_to_string(entry.info.shape) + ") needs " +
                     (static_cast<uint64_t>(numel) > std::numeric_limits<uint64_t>::max() / size
                          ? std::string("more than 2^64")
                          : std::to_string(static_cast<uint64_t>(numel) * size)) +
                     " bytes, its data_offsets give " + std::to_string(entry.end - entry.begin));
    parsed.entries.push_back(std::move(entry));
  }
  // File order is data order (the JSON object's keys come back sorted); tensors may not share bytes.
  std::stable_sort(parsed.entries.begin(), parsed.entries.end(),
                   [](const Parsed::Entry& a, const Parsed::Entry& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < parsed.entries.size(); ++i)
    if (parsed.entries[i].begin < parsed.entries[i - 1].end)
      fail(path, "tensors '" + parsed.entries[i - 1].info.name + "' and '" + parsed.entries[i].info.name + "' overlap");
  return parsed;
}

// The file's own reader: exactly the bytes asked for, or an I/O error when the file has shrunk since it was opened.
ReadAt file_reader(const RegularFile& file) {
  return [&file](uint64_t offset, char* out, uint64_t length) {
    if (file.read_at(offset, out, length) != length)
      fail(file.path(), "truncated: the file ended while reading bytes " + std::to_string(offset) + " to " +
                            std::to_string(offset + length) + " (was it changed while being read?)");
  };
}

// A reader of bytes already in memory (their size was checked by parse()).
ReadAt memory_reader(const std::string& bytes) {
  return [&bytes](uint64_t offset, char* out, uint64_t length) {
    std::memcpy(out, bytes.data() + offset, static_cast<size_t>(length));
  };
}

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1Fu, mantissa = h & 0x3FFu;
  uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int shift = 0;
      uint32_t m = mantissa;
      while (!(m & 0x400u)) {
        m <<= 1;
        ++shift;
      }
      bits = sign | ((127 - 15 - shift + 1) << 23) | ((m & 0x3FFu) << 13);
    }
  } else if (exponent == 0x1F) {
    bits = sign | 0x7F800000u | (mantissa << 13);  // inf or NaN
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

}  // namespace

// Defined below the public functions that share it.
static Tensor read_parsed(const Parsed& parsed, const ReadAt& read_at, const std::string& path, const std::string& name);

std::optional<std::pair<std::string, std::string>> split_safetensors_spec(const std::string& spec) {
  const std::string marker = ".safetensors:";
  const size_t at = spec.find(marker);
  if (at == std::string::npos) return std::nullopt;
  return std::make_pair(spec.substr(0, at + marker.size() - 1), spec.substr(at + marker.size()));
}

bool is_safetensors_path(const std::string& path) {
  const std::string suffix = ".safetensors";
  return path.size() > suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<SafetensorsEntry> list_safetensors(const std::string& path) {
  const RegularFile file(path);
  std::vector<SafetensorsEntry> list;
  for (const auto& e : parse(file_reader(file), file.size(), path).entries) list.push_back(e.info);
  return list;
}

std::optional<Tensor> read_matching_bias(const std::string& path, const std::string& weight_name) {
  const std::string suffix = ".weight";
  if (weight_name.size() <= suffix.size() ||
      weight_name.compare(weight_name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return std::nullopt;
  const std::string bias_name = weight_name.substr(0, weight_name.size() - suffix.size()) + ".bias";
  const RegularFile file(path);
  const ReadAt read_at = file_reader(file);
  const Parsed parsed = parse(read_at, file.size(), path);
  for (const auto& e : parsed.entries)
    if (e.info.name == bias_name) return read_parsed(parsed, read_at, path, bias_name);
  return std::nullopt;
}


Tensor read_safetensors(const std::string& path, const std::string& name) {
  const RegularFile file(path);
  const ReadAt read_at = file_reader(file);
  return read_parsed(parse(read_at, file.size(), path), read_at, path, name);
}

std::vector<std::pair<std::string, Tensor>> read_all_safetensors(const std::string& path) {
  const RegularFile file(path);
  const ReadAt read_at = file_reader(file);
  const Parsed parsed = parse(read_at, file.size(), path);
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& e : parsed.entries) tensors.emplace_back(e.info.name, read_parsed(parsed, read_at, path, e.info.name));
  return tensors;
}

std::string encode_safetensors(const std::vector<std::pair<std::string, const Tensor*>>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name.empty() || name == "__metadata__" || header.contains(name))
      throw_invalid("cannot write tensor name '" + name + "' to .safetensors: empty, reserved or repeated");
    const uint64_t bytes = static_cast<uint64_t>(tensor->numel()) * 4;
    header[name] = {{"dtype", "F32"}, {"shape", tensor->shape()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the format pads the header with spaces to an 8-byte boundary
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((text.size() >> (8 * i)) & 0xFF);
  out += text;
  out.reserve(out.size() + offset);
  for (const auto& [name, tensor] : tensors) {
    static_assert(sizeof(float) == 4);
    // The engine runs on little-endian machines only (x86-64, aarch64), so the floats are already in file order.
    out.append(reinterpret_cast<const char*>(tensor->data()), static_cast<size_t>(tensor->numel()) * 4);
  }
  return out;
}

std::vector<SafetensorsEntry> list_safetensors_bytes(std::string bytes, const std::string& file_name) {
  std::vector<SafetensorsEntry> list;
  for (const auto& e : parse(memory_reader(bytes), bytes.size(), file_name).entries) list.push_back(e.info);
  return list;
}

Tensor read_safetensors_bytes(std::string bytes, const std::string& file_name, const std::string& name) {
  const ReadAt read_at = memory_reader(bytes);
  return read_parsed(parse(read_at, bytes.size(), file_name), read_at, file_name, name);
}

static Tensor read_parsed(const Parsed& parsed, const ReadAt& read_at, const std::string& path, const std::string& name) {
  const Parsed::Entry* found = nullptr;
  std::string four_d;
  for (const auto& e : parsed.entries) {
    if (e.info.name == name) found = &e;
    if (e.info.shape.size() == 4) four_d += (four_d.empty() ? "" : ", ") + e.info.name;
  }
  if (!found) fail(path, "no tensor named '" + name + "'" + (four_d.empty() ? "" : "; its 4-D tensors are: " + four_d));
  const std::string& dtype = found->info.dtype;
  if (dtype != "F32" && dtype != "F16" && dtype != "BF16" && dtype != "F64")
    fail(path, "tensor '" + name + "' has dtype " + dtype + "; only F32, F16, BF16 and F64 convert to float32");
  Tensor tensor(found->info.shape);  // checked against the memory budget before any data is read
  // The data in chunks, converted as they come: the raw bytes are never held whole next to the tensor. The dtype
  // is resolved once, not per element, and F32 chunks are copied whole.
  enum class Kind { F32, F64, F16, BF16 } const kind =
      dtype == "F32" ? Kind::F32 : dtype == "F64" ? Kind::F64 : dtype == "F16" ? Kind::F16 : Kind::BF16;
  const uint64_t item = item_size(dtype);
  const int64_t chunk_items = static_cast<int64_t>((uint64_t{1} << 20) / item);
  std::string chunk;
  for (int64_t first = 0; first < tensor.numel(); first += chunk_items) {
    const int64_t count = std::min<int64_t>(chunk_items, tensor.numel() - first);
    chunk.resize(static_cast<size_t>(count) * item);
    read_at(parsed.data_start + found->begin + static_cast<uint64_t>(first) * item, chunk.data(), chunk.size());
    float* out = tensor.data() + first;
    const char* data = chunk.data();
    switch (kind) {
      case Kind::F32: std::memcpy(out, data, chunk.size()); break;
      case Kind::F64:
        for (int64_t i = 0; i < count; ++i) {
          double value;
          std::memcpy(&value, data + i * 8, 8);
          out[i] = static_cast<float>(value);
        }
        break;
      case Kind::F16:
      case Kind::BF16:
        for (int64_t i = 0; i < count; ++i) {
          uint16_t half;
          std::memcpy(&half, data + i * 2, 2);
          if (kind == Kind::F16) {
            out[i] = half_to_float(half);
          } else {
            const uint32_t bits = static_cast<uint32_t>(half) << 16;  // bfloat16 is the top half of a float32
            std::memcpy(&out[i], &bits, 4);
          }
        }
        break;
    }
  }
  return tensor;
}

}  // namespace convt
