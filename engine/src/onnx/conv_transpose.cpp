// ONNX's ConvTranspose attributes resolved to the engine's parameters (MATH.md, "ONNX ConvTranspose"): pads as
// begin and end per axis, output_shape overriding pads, auto_pad's split, and the PyTorch call that does the same
// when one exists.
#include <convt/error.h>
#include <convt/onnx.h>
#include <convt/pytorch_export.h>
#include <convt/shape.h>

#include <limits>

namespace convt::onnx {
namespace {

__extension__ using wide_int = __int128;  // exact size arithmetic for any int64 attribute

[[noreturn]] void refuse(const Node& node, const std::string& what, const std::string& parameter = "") {
  throw_invalid("ConvTranspose node '" + node.name + "': " + what, parameter);
}

const char* rank_name(size_t spatial_axes) {
  return spatial_axes == 1 ? "1-D" : spatial_axes == 3 ? "3-D" : "this rank of";
}

// An attribute with one value per spatial axis (or 2 per axis for pads); absent gives `fallback` for each.
std::vector<int64_t> per_axis(const Node& node, const std::string& key, size_t count, int64_t fallback) {
  std::vector<int64_t> values = node.ints_attribute(key);
  if (values.empty()) return std::vector<int64_t>(count, fallback);
  if (values.size() != count)
    refuse(node, "attribute '" + key + "' has " + std::to_string(values.size()) + " values; a 2-D ConvTranspose needs " +
                     std::to_string(count),
           key);
  for (const int64_t v : values)
    if (v > (int64_t{1} << 31) || v < -(int64_t{1} << 31))
      refuse(node, "attribute '" + key + "' value " + std::to_string(v) + " is too large", key);
  return values;
}

std::string pad_text(int axis, int64_t begin, int64_t end) {
  return (axis == 0 ? "top " : "left ") + std::to_string(begin) + (axis == 0 ? ", bottom " : ", right ") +
         std::to_string(end);
}

// Why no single F.conv_transpose2d call does this, or "" when one does (then `equivalent` holds it). PyTorch crops
// p from both ends and adds output_padding op' < max(s, d) at the end: p = begin, op' = op + begin - end.
std::string pytorch_equivalent(const ConvTransposeResolution& r, ConvTranspose2dParams& equivalent) {
  if (r.leading.h || r.leading.w) return "the output starts before the full result (a negative begin pad)";
  equivalent = r.params;
  equivalent.padding_end.reset();
  const IntPair end = r.params.end_padding();
  for (int axis = 0; axis < 2; ++axis) {
    const int64_t begin = r.params.padding[axis];
    const int64_t extra = r.params.output_padding[axis] + begin - end[axis];
    if (extra < 0) return "asymmetric padding (" + pad_text(axis, begin, end[axis]) + ")";
    if (extra >= r.params.stride[axis] && extra >= r.params.dilation[axis])
      return "output_padding " + std::to_string(extra) + " on the " + (axis == 0 ? "height" : "width") +
             " axis would need to be below the stride or the dilation";
    (axis == 0 ? equivalent.output_padding.h : equivalent.output_padding.w) = extra;
  }
  return "";
}

}  // namespace

ConvTransposeResolution resolve_conv_transpose(const Node& node, const Shape& input_shape, const Shape& weight_shape) {
  if (weight_shape.size() != 4 || input_shape.size() != 4) {
    const size_t rank = weight_shape.size() != 4 ? weight_shape.size() : input_shape.size();
    refuse(node,
           std::string("only 2-D ConvTranspose is supported, but this one is ") +
               rank_name(rank >= 2 ? rank - 2 : 0) + " (input " + shape_to_string(input_shape) + ", weight " +
               shape_to_string(weight_shape) + ")",
           "kernel_shape");
  }
  ConvTransposeResolution r;
  r.kernel = {weight_shape[2], weight_shape[3]};
  r.input_size = {input_shape[2], input_shape[3]};
  const std::vector<int64_t> kernel_shape = node.ints_attribute("kernel_shape");
  if (!kernel_shape.empty() && kernel_shape.size() != 2)
    refuse(node, std::string("only 2-D ConvTranspose is supported, but kernel_shape has ") +
                     std::to_string(kernel_shape.size()) + " values (" + rank_name(kernel_shape.size()) + ")",
           "kernel_shape");
  if (!kernel_shape.empty() && (kernel_shape[0] != r.kernel.h || kernel_shape[1] != r.kernel.w))
    refuse(node, "kernel_shape [" + std::to_string(kernel_shape[0]) + ", " + std::to_string(kernel_shape[1]) +
                     "] does not match the weight " + shape_to_string(weight_shape),
           "kernel_shape");

  const std::vector<int64_t> strides = per_axis(node, "strides", 2, 1);
  const std::vector<int64_t> dilations = per_axis(node, "dilations", 2, 1);
  const std::vector<int64_t> output_padding = per_axis(node, "output_padding", 2, 0);
  std::vector<int64_t> pads = per_axis(node, "pads", 4, 0);
  std::vector<int64_t> output_shape = node.ints_attribute("output_shape");
  if (output_shape.size() == 4) output_shape.erase(output_shape.begin(), output_shape.begin() + 2);  // [N, C, H, W]
  if (!output_shape.empty() && output_shape.size() != 2)
    refuse(node, "attribute 'output_shape' has " + std::to_string(output_shape.size()) +
                     " values; a 2-D ConvTranspose needs 2", "output_shape");
  r.auto_pad = node.string_attribute("auto_pad", "NOTSET");
  if (r.auto_pad != "NOTSET" && r.auto_pad != "SAME_UPPER" && r.auto_pad != "SAME_LOWER" && r.auto_pad != "VALID")
    refuse(node, "auto_pad '" + r.auto_pad + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID", "auto_pad");
  const int64_t groups = node.int_attribute("group", 1);
  for (int axis = 0; axis < 2; ++axis) {
    if (strides[axis] < 1) refuse(node, "strides must be >= 1", "stride");
    if (dilations[axis] < 1) refuse(node, "dilations must be >= 1", "dilation");
    if (output_padding[axis] < 0) refuse(node, "output_padding must be >= 0", "output_padding");
    if (r.auto_pad == "NOTSET" && output_shape.empty() && (pads[axis] < 0 || pads[axis + 2] < 0))
      refuse(node, "pads must be >= 0", "padding");
  }

  r.from_output_shape = !output_shape.empty();
  int64_t begin[2], end[2];
  for (int axis = 0; axis < 2; ++axis) {
    const int64_t i = r.input_size[axis], k = r.kernel[axis];
    // The full result's size before any crop: s*(i - 1) + op + (k - 1)*d + 1 (exact in 128 bits).
    const wide_int full = static_cast<wide_int>(strides[axis]) * (i - 1) + output_padding[axis] +
                          static_cast<wide_int>(k - 1) * dilations[axis] + 1;
    if (full > (int64_t{1} << 40)) refuse(node, "the output size exceeds 2^40 on an axis", "output_size");
    if (r.from_output_shape || r.auto_pad == "SAME_UPPER" || r.auto_pad == "SAME_LOWER") {
      const int64_t target = r.from_output_shape ? output_shape[axis] : i * strides[axis];
      if (target < 1) refuse(node, "output_shape must be >= 1 on each axis", "output_shape");
      const int64_t total = static_cast<int64_t>(full) - target;
      // SAME_LOWER puts the larger half at the begin; SAME_UPPER and NOTSET (the oracle of libonnx-testdata) at
      // the end. t/2 truncates toward zero, so a negative total extends the end (MATH.md).
      const int64_t half = total / 2;
      begin[axis] = r.auto_pad == "SAME_LOWER" ? total - half : half;
      end[axis] = total - begin[axis];
    } else if (r.auto_pad == "VALID") {
      begin[axis] = end[axis] = 0;
    } else {
      begin[axis] = pads[axis];
      end[axis] = pads[axis + 2];
    }
  }

  ConvTranspose2dParams& p = r.params;
  p.stride = {strides[0], strides[1]};
  p.dilation = {dilations[0], dilations[1]};
  p.groups = groups;
  // A negative end crop is more output at the end (output_padding); a negative begin crop is bias-only rows
  // before the full result, which the executor adds (`leading`).
  p.output_padding = {output_padding[0] + std::max<int64_t>(0, -end[0]),
                      output_padding[1] + std::max<int64_t>(0, -end[1])};
  p.padding = {std::max<int64_t>(0, begin[0]), std::max<int64_t>(0, begin[1])};
  p.padding_end = IntPair{std::max<int64_t>(0, end[0]), std::max<int64_t>(0, end[1])};
  r.leading = {std::max<int64_t>(0, -begin[0]), std::max<int64_t>(0, -begin[1])};

  if (groups < 1) refuse(node, "group must be >= 1", "groups");
  try {
    const ConvTranspose2dGeometry g = validate_conv_transpose2d(input_shape, weight_shape, std::nullopt, p);
    r.in_channels = g.in_channels;
    r.out_channels = g.out_channels;
    r.output_size = {g.out_h + r.leading.h, g.out_w + r.leading.w};
  } catch (const Error& e) {
    throw Error(e.kind(), "ConvTranspose node '" + node.name + "': " + e.what(), e.parameter());
  }
  if (r.from_output_shape && (r.output_size.h != output_shape[0] || r.output_size.w != output_shape[1]))
    refuse(node, "output_shape does not fit: got " + std::to_string(r.output_size.h) + " x " +
                     std::to_string(r.output_size.w), "output_shape");

  ConvTranspose2dParams equivalent;
  const std::string why_not = pytorch_equivalent(r, equivalent);
  r.has_pytorch_call = why_not.empty();
  r.pytorch_call = r.has_pytorch_call
                       ? pytorch_conv_transpose2d_call(equivalent, node.inputs.size() > 2 && !node.inputs[2].empty(),
                                                       input_shape, weight_shape)
                       : "no single F.conv_transpose2d call: " + why_not;
  return r;
}

}  // namespace convt::onnx
