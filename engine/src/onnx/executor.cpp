// The graph executor: checks the feeds against the declared inputs, then runs the nodes in the file's (checked)
// topological order, freeing each value after its last reader unless intermediates are kept.
#include "onnx/node_ops.h"

#include <convt/error.h>

#include <algorithm>
#include <unordered_map>

namespace convt::onnx {
namespace {

void check_all_fed(const Model& model, const std::map<std::string, Value>& feeds) {
  for (const ValueInfo& input : model.inputs)
    if (!feeds.count(input.name))
      throw_invalid("graph input '" + input.name + "' " + input.shape_text() + " has no value; give it with --input " +
                        input.name + "=FILE (.npy or .pb)", "input");
}

// How many nodes (and graph outputs) still read each name, so a value can be dropped after its last reader.
std::unordered_map<std::string, int64_t> reader_counts(const Model& model) {
  std::unordered_map<std::string, int64_t> readers;
  for (const Node& node : model.nodes)
    for (const std::string& name : node.inputs)
      if (!name.empty()) ++readers[name];
  for (const ValueInfo& output : model.outputs) readers[output.name] += 1 << 30;  // never dropped
  return readers;
}

}  // namespace

void check_given_feeds(const Model& model, const std::map<std::string, Value>& feeds) {
  std::string names;
  for (const ValueInfo& input : model.inputs) names += (names.empty() ? "'" : ", '") + input.name + "'";
  for (const auto& [name, value] : feeds) {
    const auto declared = std::find_if(model.inputs.begin(), model.inputs.end(),
                                       [&](const ValueInfo& input) { return input.name == name; });
    if (declared == model.inputs.end())
      throw_invalid("the model has no input named '" + name + "'" +
                        (names.empty() ? std::string(": it takes no inputs") : "; its inputs: " + names),
                    "input");
    if (!declared->has_shape) continue;
    bool fits = declared->dims.size() == value.shape().size();
    for (size_t i = 0; fits && i < declared->dims.size(); ++i)
      fits = !declared->dims[i].known() || declared->dims[i].value == value.shape()[i];
    if (!fits)
      throw_invalid("input '" + name + "' has shape " + shape_to_string(value.shape()) + ", but the model declares " +
                        declared->shape_text(), "input");
  }
}

RunResult run_model(const Model& model, const std::map<std::string, Value>& feeds, const RunOptions& options) {
  check_given_feeds(model, feeds);
  check_all_fed(model, feeds);
  if (!options.stop_after.empty() && !model.find_node(options.stop_after))
    throw_invalid(model.path + " has no node named '" + options.stop_after + "'", "node");
  std::unordered_map<std::string, Value> live(feeds.begin(), feeds.end());
  std::unordered_map<std::string, int64_t> readers = reader_counts(model);
  auto lookup = [&](const std::string& name) -> const Value* {
    if (const auto found = live.find(name); found != live.end()) return &found->second;
    if (const auto init = model.initializers.find(name); init != model.initializers.end()) return &init->second;
    return nullptr;
  };

  RunResult result;
  if (options.keep_intermediates) result.values.insert(feeds.begin(), feeds.end());
  for (size_t index = 0; index < model.nodes.size(); ++index) {
    if (options.cancel && options.cancel->load()) throw_invalid("cancelled", "cancel");
    const Node& node = model.nodes[index];
    const bool default_domain = node.domain.empty() || node.domain == "ai.onnx";
    const detail::OpFunction op = default_domain ? detail::find_op(node.op_type) : nullptr;
    if (!op)
      throw_invalid("node '" + node.name + "': op " + (default_domain ? "" : node.domain + ".") + node.op_type +
                        " is not supported (supported: the ops of upsampling paths; see convt model inspect)",
                    "op");
    detail::NodeContext context{node, {}, options.backend, model.opset};
    for (const std::string& name : node.inputs) {
      const Value* value = name.empty() ? nullptr : lookup(name);
      if (!name.empty() && !value)
        throw_invalid("node '" + node.name + "' reads '" + name + "', which has no value", "input");
      context.inputs.push_back(value);
    }
    std::vector<Value> outputs;
    try {
      outputs = op(context);
    } catch (const Error& e) {
      const std::string message = e.what();
      const std::string label = context.label();
      throw Error(e.kind(), message.rfind(label, 0) == 0 ? message : label + ": " + message, e.parameter());
    }
    const bool stop_here = node.name == options.stop_after;
    if (stop_here)
      for (size_t i = 0; i < node.inputs.size(); ++i)
        if (context.inputs[i]) result.values[node.inputs[i]] = *context.inputs[i];
    std::vector<Shape> shapes;
    for (size_t i = 0; i < node.outputs.size() && i < outputs.size(); ++i) {
      if (node.outputs[i].empty()) continue;
      shapes.push_back(outputs[i].shape());
      if (options.keep_intermediates || stop_here) result.values[node.outputs[i]] = outputs[i];
      live[node.outputs[i]] = std::move(outputs[i]);
    }
    result.node_shapes.emplace_back(node.name, std::move(shapes));
    for (const std::string& name : node.inputs)
      if (!name.empty() && --readers[name] == 0) live.erase(name);
    if (options.progress) options.progress(index + 1, model.nodes.size());
    if (stop_here) return result;
  }
  for (const ValueInfo& output : model.outputs) {
    const Value* value = lookup(output.name);
    if (!value) throw_invalid("graph output '" + output.name + "' was not produced", "output");
    result.outputs.emplace_back(output.name, value->tensor);
  }
  return result;
}

std::map<std::string, Value> random_feeds(const Model& model, uint64_t seed) {
  std::map<std::string, Value> feeds;
  for (const ValueInfo& input : model.inputs) {
    const std::optional<Shape> shape = input.concrete_shape(1);
    if (!shape)
      throw_invalid("graph input '" + input.name + "' has no fixed shape (" + input.shape_text() +
                        "); give it with --input " + input.name + "=FILE", "input");
    const bool integer_type = input.element_type >= 2 && input.element_type <= 7 && input.element_type != 1;
    if (integer_type)
      throw_invalid("graph input '" + input.name + "' holds " + element_type_name(input.element_type) +
                        " values (a shape or sizes), which random data cannot stand for; give it with --input " +
                        input.name + "=FILE", "input");
    check_memory_budget(*shape, "graph input '" + input.name + "'");
    feeds[input.name] = detail::float_value(Tensor::uniform(*shape, seed++, -1.0f, 1.0f));
  }
  return feeds;
}

}  // namespace convt::onnx
