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
                                          const Shape& weight_shape, const std::string& input,
                                          const std::string& output) {
  std::ostringstream code;
  code << output << " = torch.nn.functional.conv_transpose2d(" << input << ", weight, " << (has_bias ? "bias" : "None")
       << ", stride=" << python_pair(params.stride) << ", padding=" << python_pair(params.padding)
       << ", output_padding=" << python_pair(params.output_padding) << ", groups=" << params.groups
       << ", dilation=" << python_pair(params.dilation) << ")";
  code << "  # " << input << ": " << shape_to_string(input_shape) << ", weight: " << shape_to_string(weight_shape);
  try {
    const ConvTranspose2dGeometry g = validate_conv_transpose2d(input_shape, weight_shape, std::nullopt, params);
    code << " -> " << output << ": " << shape_to_string(g.output_shape());
  } catch (const std::exception&) {
    code << " (invalid: see the error)";
  }
  return code.str();
}

}  // namespace convt
