// Private to engine/src/onnx/: onnx::TensorProto to convt::onnx::Value, in two steps so that a model can be
// checked whole before any external file is read. plan_tensor() checks everything a tensor declares (element
// type, dims, how many values its data holds, where its external data lies) without reading external data;
// read_tensor() then converts, reading only the checked byte range.
#pragma once

#include <convt/error.h>
#include <convt/onnx.h>

#include <google/protobuf/message_lite.h>
#include <onnx/onnx_pb.h>

#include <climits>
#include <cstdint>
#include <string>

namespace convt::onnx::detail {

// Protobuf cannot parse a message over INT_MAX bytes; larger models keep their weights in external data.
inline constexpr uint64_t kMaxProtobufBytes = INT_MAX;

// Where a tensor sits, for error messages and for resolving its external data.
struct TensorSite {
  std::string file;    // the model or .pb file as the caller named it: "model.onnx"
  std::string what;    // "initializer 'conv.weight'", "node 'c0' attribute 'value'", "tensor 'x'"
  std::string folder;  // the folder external data is resolved against; empty: external data is refused
};

// A name from the file, quoted for a one-line message: control characters escaped (\n, \x01), and cut
// after 120 bytes, so a hostile name can neither break the line nor flood it.
std::string quoted(const std::string& name);

// Parses a whole message from bytes (at most kMaxProtobufBytes); false when they are not one.
bool parse_protobuf(const std::string& bytes, google::protobuf::MessageLite& message);

// One line naming the file and the tensor: "model.onnx: initializer 'w' <rest>".
[[noreturn]] void fail_tensor(ErrorKind kind, const TensorSite& site, const std::string& rest);

// A tensor whose declaration has been checked; nothing has been read from external files yet.
struct TensorPlan {
  Shape shape;
  int64_t numel = 0;
  int32_t element_type = 0;
  uint64_t memory_bytes = 0;  // what the converted Value holds: float32 values, plus int64 ones for integer types
  bool external = false;
  std::string external_path;  // resolved (symlinks followed) and inside the folder
  uint64_t offset = 0, length = 0;
};

// Checks the tensor's element type, dims, data (exactly as many values as the dims need, in one field that
// suits the type) and memory, and for external data its location, offset and length against the file.
TensorPlan plan_tensor(const ::onnx::TensorProto& tensor, const TensorSite& site);

// Only the external data's location (relative, inside the folder, a regular file): for tensors that are checked
// but never converted (subgraphs, functions), so that nothing ever looks outside the model's folder.
void check_external_location(const ::onnx::TensorProto& tensor, const TensorSite& site);

// Converts a planned tensor, reading external data (only its checked byte range) when it has any.
Value read_tensor(const ::onnx::TensorProto& tensor, const TensorPlan& plan, const TensorSite& site);

// A whole regular file, refused before any byte is read when it has more than kMaxProtobufBytes bytes (or more
// than the memory budget allows). `kind` ("an ONNX model", "a TensorProto") is for the message.
std::string read_protobuf_file(const std::string& path, const std::string& kind);

}  // namespace convt::onnx::detail
