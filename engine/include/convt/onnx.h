// ONNX models: import (through Debian's libonnx), ConvTranspose with ONNX's exact semantics, and a graph executor
// for the ops that upsampling paths use. The loaded model is our own plain structure, so nothing outside
// engine/src/onnx/ sees protobuf. A model file is hostile until checked: every size, offset and path is checked
// before it is used, and every failure is a convt::Error with one line naming the file, the tensor or the node.
#pragma once

#include <convt/params.h>
#include <convt/tensor.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace convt::onnx {

// The oldest default-domain opset we accept (ConvTranspose's and Upsample's semantics settle at 7).
inline constexpr int64_t kMinimumOpset = 7;

// A tensor value flowing through a graph. Arithmetic is float32; integer tensors (shape-like inputs such as
// Resize's sizes or Reshape's shape) also keep their exact values in `integers`.
struct Value {
  Tensor tensor;                                 // float32 data; its shape is the value's shape ([] for a scalar)
  std::optional<std::vector<int64_t>> integers;  // set when the ONNX element type is an integer type
  int32_t element_type = 1;                      // onnx::TensorProto::DataType of the source (1 = FLOAT)

  const Shape& shape() const { return tensor.shape(); }
};

// "float32", "float16", "int64", ... for the ONNX element type number.
const char* element_type_name(int32_t element_type);

struct Attribute {
  enum class Kind { Float, Int, String, Tensor, Floats, Ints, Strings, Other };
  Kind kind = Kind::Other;
  float f = 0.0f;
  int64_t i = 0;
  std::string s;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::optional<Value> tensor;  // Kind::Tensor (Constant's value)
};

struct Node {
  std::string name;    // the node's name, or "<op_type>_<index>" when the file leaves it empty
  std::string op_type;
  std::string domain;  // "" or "ai.onnx" for the default domain
  std::vector<std::string> inputs;   // "" marks an omitted optional input
  std::vector<std::string> outputs;
  std::map<std::string, Attribute> attributes;

  const Attribute* attribute(const std::string& key) const;
  // Typed lookups with defaults; a present attribute of the wrong kind is an error naming the node.
  int64_t int_attribute(const std::string& key, int64_t fallback) const;
  float float_attribute(const std::string& key, float fallback) const;
  std::string string_attribute(const std::string& key, const std::string& fallback) const;
  std::vector<int64_t> ints_attribute(const std::string& key) const;  // empty when absent
};

// A declared dimension: a number, or a symbolic name such as "N" (value -1), or unknown (value -1, name "").
struct Dim {
  int64_t value = -1;
  std::string symbol;
  bool known() const { return value >= 0; }
};

struct ValueInfo {
  std::string name;
  int32_t element_type = 0;  // 0 when undeclared
  bool has_shape = false;
  std::vector<Dim> dims;
  // "[1, 64, 8, 8]", "[N, 3, 32, 32]" or "?" when the shape is unknown.
  std::string shape_text() const;
  // The declared shape with symbolic or unknown dimensions replaced by `fill` (1 for a random batch).
  std::optional<Shape> concrete_shape(int64_t fill = 1) const;
};

struct Model {
  std::string path;  // as given to load_model
  int64_t ir_version = 0;
  int64_t opset = 0;  // of the default domain
  std::string producer;  // "pytorch 1.13.1"
  std::vector<ValueInfo> inputs;   // graph inputs that need feeding (initializers already removed)
  std::vector<ValueInfo> outputs;
  std::map<std::string, ValueInfo> value_info;  // shapes from ONNX shape inference (and the file), by name
  std::vector<Node> nodes;                      // in the file's (checked topological) order
  std::map<std::string, Value> initializers;

  // The shape inference knows for `name` (an input, an initializer, or a node output), when fully known.
  std::optional<Shape> known_shape(const std::string& name) const;
  const Node* find_node(const std::string& name) const;
};

// Reads and checks a model: a regular file under the size limit, protobuf that parses, onnx::checker, a default
// opset >= 7, every initializer (raw or typed; float32, float16, bfloat16, float64 and the integer types) with
// exactly as many bytes as its dims need, external data only from regular files inside the model's folder,
// topological order, no dangling names. Then runs ONNX shape inference to fill value_info.
Model load_model(const std::string& path);
// The same from bytes already in memory; external data is resolved against `folder` (empty: refused).
Model parse_model(const std::string& bytes, const std::string& name, const std::string& folder);

// A serialized onnx.TensorProto (the backend tests' input_0.pb / output_0.pb), as a feed or an expected output.
Value read_tensor_pb(const std::string& path);
Value parse_tensor_pb(const std::string& bytes, const std::string& name);
// A graph feed from FILE: ".pb" is a TensorProto, anything else must be .npy.
Value read_feed(const std::string& path);

// ---- ConvTranspose ----

// A ConvTranspose node's attributes resolved against its input and weight shapes, per ONNX's rules.
struct ConvTransposeResolution {
  ConvTranspose2dParams params;  // padding = pads begin, padding_end = pads end (always set)
  IntPair kernel{1, 1};
  int64_t in_channels = 0, out_channels = 0;
  IntPair input_size{0, 0}, output_size{0, 0};
  // Rows and columns before the full output, which hold only the bias: SAME_LOWER with an output_shape larger than
  // the full result gives a negative begin pad (a negative end pad is more output_padding).
  IntPair leading{0, 0};
  std::string auto_pad;  // "NOTSET", "SAME_UPPER", "SAME_LOWER" or "VALID"
  bool from_output_shape = false;
  // "F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=0, groups=1, dilation=1)" or
  // "no single F.conv_transpose2d call: asymmetric padding (top 1, bottom 2)".
  std::string pytorch_call;
  bool has_pytorch_call = false;
};

// Resolves a 2-D ConvTranspose. Refuses 1-D and 3-D kernels ("only 2-D ConvTranspose is supported"), bad
// attribute lengths, output_shape that does not fit, and pads that would leave an empty output, naming the node.
ConvTransposeResolution resolve_conv_transpose(const Node& node, const Shape& input_shape, const Shape& weight_shape);

// ---- the executor ----

// The op types the executor runs (default domain).
const std::vector<std::string>& supported_ops();

struct RunOptions {
  std::string backend = "auto";  // every conv-family node runs on this backend through the engine's ops
  bool keep_intermediates = false;
  // Stop after the node with this name has run (its inputs and outputs are kept); empty: run the whole graph.
  std::string stop_after;
  // Called after each node: (nodes done, node count). May be empty.
  std::function<void(size_t, size_t)> progress;
  const std::atomic<bool>* cancel = nullptr;  // polled between nodes; set -> convt::Error "cancelled"
};

struct RunResult {
  // The graph outputs, in the model's order.
  std::vector<std::pair<std::string, Tensor>> outputs;
  // Every node output (and the feeds), by name, when keep_intermediates; otherwise empty.
  std::map<std::string, Value> values;
  // Per node, in order: the node's name and the shapes of its outputs.
  std::vector<std::pair<std::string, std::vector<Shape>>> node_shapes;
};

// Runs the graph. Every graph input needs a feed (by name) with its declared element count and rank; a feed
// naming no graph input, an unsupported op, a missing input value and a wrong shape are errors naming the node.
RunResult run_model(const Model& model, const std::map<std::string, Value>& feeds, const RunOptions& options = {});

// Each feed must name a graph input and fit its declared rank and fixed dimensions (symbolic ones take any size);
// otherwise InvalidArgument naming the input (and the inputs there are).
void check_given_feeds(const Model& model, const std::map<std::string, Value>& feeds);

// A feed for every graph input with a concrete declared shape: seeded U(-1, 1) floats. Symbolic dims become 1.
// Refused, naming the input, when a dimension is unknown and not symbolic.
std::map<std::string, Value> random_feeds(const Model& model, uint64_t seed);

// The ConvTranspose nodes' names in graph order.
std::vector<std::string> conv_transpose_nodes(const Model& model);

// The file name a tensor named `name` is written under: characters outside [A-Za-z0-9._-] become '_', and names
// that would be "", "." or ".." (or start with '.') get a leading '_', so a path never leaves its folder.
std::string safe_file_name(const std::string& name);

}  // namespace convt::onnx
