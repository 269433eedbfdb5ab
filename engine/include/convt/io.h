// File input/output. Writes are atomic: the bytes go to a temporary file in the destination's directory which is
// then renamed over the destination, so an existing file is either replaced whole or left untouched.
#pragma once

#include <convt/tensor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace convt {

// Reads a .npy array: float32 or float64 (converted to float32), little-endian, C order, any number of
// dimensions. Anything else (Fortran order, big-endian, other dtypes, truncated data, a shape that disagrees with
// the file size) is an ErrorKind::Io error naming the file and the problem.
Tensor read_npy(const std::string& path);

// Parses .npy bytes already in memory; `name` is used in error messages.
Tensor parse_npy(std::string_view bytes, const std::string& name);

// Serialises a tensor as a version 1.0 '<f4' C-order .npy.
std::string encode_npy(const Tensor& tensor);

// Writes a tensor as .npy atomically.
void write_npy(const std::string& path, const Tensor& tensor);

// ---- .safetensors (JSON header + raw little-endian data; F32, F16, BF16 and F64 converted to float32) ----------

struct SafetensorsEntry {
  std::string name;
  std::string dtype;  // "F32", "F16", "BF16", "F64", or another the file declares (which cannot be loaded)
  Shape shape;
};

// Every tensor the file declares, in the order of its data, after checking the header and every offset against the file.
// ErrorKind::Io names the file and the problem (truncated header, bad JSON, offsets past the end, a byte range that
// disagrees with the shape and dtype, overlapping tensors).
std::vector<SafetensorsEntry> list_safetensors(const std::string& path);

// Whether `path` names a .safetensors file (by its suffix, with a name before it): what the loaders, workspaces
// and the app use to tell a model file from a .npy.
bool is_safetensors_path(const std::string& path);

// "model.safetensors:decoder.up1.weight" -> {"model.safetensors", "decoder.up1.weight"}; nullopt otherwise.
std::optional<std::pair<std::string, std::string>> split_safetensors_spec(const std::string& spec);

// One tensor, converted to float32; ErrorKind::Io when the name is missing (listing the 4-D tensors) or its dtype
// is not a float type.
Tensor read_safetensors(const std::string& path, const std::string& name);
// A model keeps a layer's bias next to its weight: for weight NAME.weight, the tensor NAME.bias of the same file,
// or nullopt when the name does not end in .weight or the file has no such tensor. Reads the file once.
std::optional<Tensor> read_matching_bias(const std::string& path, const std::string& weight_name);

// Every tensor of the file by name, in the order of its data, each converted to float32 (the header is read once).
std::vector<std::pair<std::string, Tensor>> read_all_safetensors(const std::string& path);

// A float32 .safetensors file holding `tensors` in the given order (names must be distinct and non-empty).
std::string encode_safetensors(const std::vector<std::pair<std::string, const Tensor*>>& tensors);

// The same from bytes already in memory; `file_name` is used in error messages (the fuzz targets use these).
std::vector<SafetensorsEntry> list_safetensors_bytes(std::string bytes, const std::string& file_name);
Tensor read_safetensors_bytes(std::string bytes, const std::string& file_name, const std::string& name);

// Replaces `path` with `bytes` atomically (temp file in the same directory, flush, rename).
void write_file_atomically(const std::string& path, std::string_view bytes);

// Reads a whole file (through RegularFile); ErrorKind::Io when it cannot. A file larger than the memory budget is
// refused before any byte is read, as ErrorKind::OutOfMemoryBudget naming the file and its size.
std::string read_file(const std::string& path);

// A regular file opened for reading: the one place the engine opens a path it reads (read_file, .npy,
// .safetensors, images, workspaces). Only regular files are read (symlinks are followed): a directory, character
// device, block device, FIFO or socket is refused at once, as ErrorKind::Io,
//   cannot read '/dev/zero': not a regular file (a character device)
// The path is checked with stat(), opened non-blocking (so a FIFO swapped in after the check cannot block) and the
// opened descriptor is checked again with fstat(), so what is read is the regular file that was checked.
class RegularFile {
 public:
  explicit RegularFile(const std::string& path);
  ~RegularFile();
  RegularFile(const RegularFile&) = delete;
  RegularFile& operator=(const RegularFile&) = delete;

  const std::string& path() const { return path_; }
  // The size fstat() reported when the file was opened.
  uint64_t size() const { return size_; }
  // Up to `length` bytes from `offset` into `out`; fewer only at the end of the file. ErrorKind::Io when a read fails.
  uint64_t read_at(uint64_t offset, char* out, uint64_t length) const;

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

}  // namespace convt
