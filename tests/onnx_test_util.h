// Building tiny ONNX models in tests with ONNX's own protobuf classes: an empty model, graph inputs and outputs,
// nodes. Shared by the loader's tests and `convt model`'s end-to-end tests.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace convt::onnx_testing {

// A model with an empty graph, the default domain at `opset`.
inline ::onnx::ModelProto empty_model(int64_t opset = 13, int64_t ir_version = 7) {
  ::onnx::ModelProto model;
  model.set_ir_version(ir_version);
  model.set_producer_name("convt-test");
  model.set_producer_version("1.0");
  auto* import = model.add_opset_import();
  import->set_domain("");
  import->set_version(opset);
  model.mutable_graph()->set_name("graph");
  return model;
}

// A graph input or output of element type `type` (float32 by default); a negative entry in `dims` becomes the
// symbol "N".
inline void add_value(google::protobuf::RepeatedPtrField<::onnx::ValueInfoProto>* list, const std::string& name,
                      const std::vector<int64_t>& dims, int32_t type = ::onnx::TensorProto::FLOAT) {
  auto* info = list->Add();
  info->set_name(name);
  auto* tensor_type = info->mutable_type()->mutable_tensor_type();
  tensor_type->set_elem_type(type);
  auto* shape = tensor_type->mutable_shape();
  for (const int64_t d : dims) {
    auto* dim = shape->add_dim();
    if (d >= 0)
      dim->set_dim_value(d);
    else
      dim->set_dim_param("N");
  }
}

inline ::onnx::NodeProto* add_node(::onnx::GraphProto& graph, const std::string& op_type,
                                   const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
                                   const std::string& name = "") {
  ::onnx::NodeProto* node = graph.add_node();
  node->set_op_type(op_type);
  node->set_name(name);
  for (const auto& input : inputs) node->add_input(input);
  for (const auto& output : outputs) node->add_output(output);
  return node;
}

}  // namespace convt::onnx_testing
