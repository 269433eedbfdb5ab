#include <convt/pytorch_export.h>
#include <convt/shape.h>

#include <sstream>

namespace convt {
namespace {

std::string python_pair(const IntPair& pair) {
  if (pair.h == pair.w) return std::to_string(pair.h);
  return "(" + std::to_string(pair.h) + ", " + std::to_string(pair.w) + ")";
}

}  // namespace

std::string pytorch_conv_transpose2d_call(const ConvTranspose2dParams& params, bool has_bias, const Shape& input_shape,
                                          const Shape& weight_shape, const PytorchNames& names) {
  const std::string& input = names.input;
  const std::string& output = names.output;
  std::ostringstream code;
  code << output << " = torch.nn.functional.conv_transpose2d(" << input << ", " << names.weight << ", "
       << (has_bias ? names.bias : "None")
       << ", stride=" << python_pair(params.stride) << ", padding=" << python_pair(params.padding)
       << ", output_padding=" << python_pair(params.output_padding) << ", groups=" << params.groups
       << ", dilation=" << python_pair(params.dilation) << ")";
  code << "  # " << input << ": " << shape_to_string(input_shape) << ", " << names.weight << ": "
       << shape_to_string(weight_shape);
  try {
    const ConvTranspose2dGeometry g = validate_conv_transpose2d(input_shape, weight_shape, std::nullopt, params);
    code << " -> " << output << ": " << shape_to_string(g.output_shape());
  } catch (const std::exception&) {
    code << " (invalid: see the error)";
  }
  return code.str();
}

std::string pytorch_stack_code(const Shape& input_shape, const std::vector<StackLayerShape>& layers) {
  std::string code = "import torch\nimport torch.nn.functional as F\n";
  Shape shape = input_shape;
  for (size_t i = 0; i < layers.size(); ++i) {
    const StackLayerShape& layer = layers[i];
    const std::string number = std::to_string(i + 1);
    PytorchNames names{i == 0 ? "x" : "h" + std::to_string(i), i + 1 == layers.size() ? "y" : "h" + number, "w" + number,
                       "b" + number};
    code += pytorch_conv_transpose2d_call(layer.params, layer.has_bias, shape, layer.weight_shape, names) + "\n";
    const std::string& y = names.output;
    if (layer.activation == Activation::ReLU) code += y + " = F.relu(" + y + ")\n";
    if (layer.activation == Activation::LeakyReLU)
      code += y + " = F.leaky_relu(" + y + ", " + (std::ostringstream() << layer.negative_slope).str() + ")\n";
    if (layer.activation == Activation::Tanh) code += y + " = torch.tanh(" + y + ")\n";
    try {
      shape = validate_conv_transpose2d(shape, layer.weight_shape, std::nullopt, layer.params).output_shape();
    } catch (const std::exception&) {
      shape = {};  // later layers are annotated as invalid too
    }
  }
  return code;
}

}  // namespace convt
