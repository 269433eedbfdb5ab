// The plain model structure's helpers: typed attribute lookups, shapes as text, and safe file names.
#include <convt/error.h>
#include <convt/onnx.h>

namespace convt::onnx {
namespace {

[[noreturn]] void wrong_kind(const Node& node, const std::string& key, const char* expected) {
  throw_invalid(node.op_type + " node '" + node.name + "': attribute '" + key + "' must be " + expected, key);
}

}  // namespace

const char* element_type_name(int32_t element_type) {
  switch (element_type) {
    case 1: return "float32";
    case 2: return "uint8";
    case 3: return "int8";
    case 4: return "uint16";
    case 5: return "int16";
    case 6: return "int32";
    case 7: return "int64";
    case 8: return "string";
    case 9: return "bool";
    case 10: return "float16";
    case 11: return "float64";
    case 12: return "uint32";
    case 13: return "uint64";
    case 14: return "complex64";
    case 15: return "complex128";
    case 16: return "bfloat16";
    default: return "undefined";
  }
}

const Attribute* Node::attribute(const std::string& key) const {
  const auto found = attributes.find(key);
  return found == attributes.end() ? nullptr : &found->second;
}

int64_t Node::int_attribute(const std::string& key, int64_t fallback) const {
  const Attribute* a = attribute(key);
  if (!a) return fallback;
  if (a->kind != Attribute::Kind::Int) wrong_kind(*this, key, "an int");
  return a->i;
}

float Node::float_attribute(const std::string& key, float fallback) const {
  const Attribute* a = attribute(key);
  if (!a) return fallback;
  if (a->kind != Attribute::Kind::Float) wrong_kind(*this, key, "a float");
  return a->f;
}

std::string Node::string_attribute(const std::string& key, const std::string& fallback) const {
  const Attribute* a = attribute(key);
  if (!a) return fallback;
  if (a->kind != Attribute::Kind::String) wrong_kind(*this, key, "a string");
  return a->s;
}

std::vector<int64_t> Node::ints_attribute(const std::string& key) const {
  const Attribute* a = attribute(key);
  if (!a) return {};
  if (a->kind != Attribute::Kind::Ints) wrong_kind(*this, key, "a list of ints");
  return a->ints;
}

std::string ValueInfo::shape_text() const {
  if (!has_shape) return "?";
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) text += ", ";
    text += dims[i].known() ? std::to_string(dims[i].value) : (dims[i].symbol.empty() ? "?" : dims[i].symbol);
  }
  return text + "]";
}

std::optional<Shape> ValueInfo::concrete_shape(int64_t fill) const {
  if (!has_shape) return std::nullopt;
  Shape shape;
  for (const Dim& dim : dims) {
    if (dim.known())
      shape.push_back(dim.value);
    else if (!dim.symbol.empty())
      shape.push_back(fill);
    else
      return std::nullopt;
  }
  return shape;
}

std::optional<Shape> Model::known_shape(const std::string& name) const {
  if (const auto init = initializers.find(name); init != initializers.end()) return init->second.shape();
  for (const ValueInfo& input : inputs)
    if (input.name == name) {
      if (!input.has_shape) return std::nullopt;
      Shape shape;
      for (const Dim& dim : input.dims) {
        if (!dim.known()) return std::nullopt;
        shape.push_back(dim.value);
      }
      return shape;
    }
  const auto info = value_info.find(name);
  if (info == value_info.end() || !info->second.has_shape) return std::nullopt;
  Shape shape;
  for (const Dim& dim : info->second.dims) {
    if (!dim.known()) return std::nullopt;
    shape.push_back(dim.value);
  }
  return shape;
}

const Node* Model::find_node(const std::string& name) const {
  for (const Node& node : nodes)
    if (node.name == name) return &node;
  return nullptr;
}

std::vector<std::string> conv_transpose_nodes(const Model& model) {
  std::vector<std::string> names;
  for (const Node& node : model.nodes)
    if (node.op_type == "ConvTranspose") names.push_back(node.name);
  return names;
}

std::string safe_file_name(const std::string& name) {
  std::string safe;
  safe.reserve(name.size() + 1);
  for (const char c : name) {
    const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                         c == '_' || c == '-';
    safe += allowed ? c : '_';
  }
  // "", ".", ".." and hidden names would not be plain files in the folder (or not visible ones).
  if (safe.empty() || safe.front() == '.') safe.insert(safe.begin(), '_');
  return safe;
}

}  // namespace convt::onnx
