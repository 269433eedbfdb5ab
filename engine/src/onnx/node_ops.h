// The executor's ops, one function per ONNX op type. Private to engine/src/onnx/.
#pragma once

#include <convt/onnx.h>

#include <string>
#include <vector>

namespace convt::onnx::detail {

struct NodeContext {
  const Node& node;
  std::vector<const Value*> inputs;  // nullptr for an omitted optional input
  const std::string& backend;
  int64_t opset = 0;

  // Input `index`, which must be present: otherwise an error naming the node and `what`.
  const Value& input(size_t index, const char* what) const;
  const Value* optional_input(size_t index) const { return index < inputs.size() ? inputs[index] : nullptr; }
  // "Resize node 'up1'"
  std::string label() const { return node.op_type + " node '" + node.name + "'"; }
  [[noreturn]] void refuse(const std::string& what, const std::string& parameter = "") const;
};

using OpFunction = std::vector<Value> (*)(const NodeContext&);

// The function for a default-domain op type, or nullptr when unsupported.
OpFunction find_op(const std::string& op_type);

// A value's exact integers (integer tensors) or its floats that are whole numbers (shape-like inputs may be float).
std::vector<int64_t> integer_list(const NodeContext& context, const Value& value, const char* what);
Value float_value(Tensor tensor);
Value integer_value(const Shape& shape, std::vector<int64_t> integers);

std::vector<Value> run_resize(const NodeContext& context);
std::vector<Value> run_upsample(const NodeContext& context);

}  // namespace convt::onnx::detail
