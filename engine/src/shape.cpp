#include <convt/error.h>
#include <convt/shape.h>

#include <limits>
#include <sstream>

namespace convt {
namespace {

// 128-bit intermediates make the size formulas exact for any int64 parameters a hostile file or flag can give.
__extension__ using wide_int = __int128;

// Largest spatial size we accept from the formula; anything bigger is refused long before allocation anyway,
// and staying far below int64's range keeps every later product exact.
constexpr wide_int kMaxAxisSize = int64_t{1} << 40;

std::string pair_text(const char* name, const IntPair& value) { return std::string(name) + "=" + to_string(value); }

const char* axis_name(int axis) { return axis == 0 ? "height" : "width"; }

bool has_zero_dim(const Shape& shape, size_t from) {
  for (size_t i = from; i < shape.size(); ++i)
    if (shape[i] == 0) return true;
  return false;
}

// Spatial parameters are capped so every index product in the ops (k*d, i*s, o+p) fits in int64.
constexpr int64_t kMaxSpatialParameter = (int64_t{1} << 31) - 1;

void check_not_huge(const char* op, const char* name, const IntPair& value) {
  if (value.h > kMaxSpatialParameter || value.w > kMaxSpatialParameter)
    throw_invalid(std::string(op) + ": " + pair_text(name, value) + ": " + name + " is too large; each value must be < 2^31",
                  name);
}

void check_positive_pair(const char* op, const char* name, const IntPair& value, const char* what) {
  check_not_huge(op, name, value);
  if (value.h < 1 || value.w < 1)
    throw_invalid(std::string(op) + ": " + pair_text(name, value) + ": non-positive " + what +
                      " is not supported; " + name + " must be >= 1 on each axis",
                  name);
}

void check_non_negative_pair(const char* op, const char* name, const IntPair& value) {
  check_not_huge(op, name, value);
  if (value.h < 0 || value.w < 0)
    throw_invalid(std::string(op) + ": " + pair_text(name, value) + ": negative " + name +
                      " is not supported; " + name + " must be >= 0 on each axis",
                  name);
}

// Spatial input dims and channels must be >= 1; a zero batch is allowed (the output is empty, as in PyTorch).
void check_input_shape(const char* op, const Shape& input_shape) {
  if (input_shape.size() != 3 && input_shape.size() != 4)
    throw_invalid(std::string(op) + ": input of shape " + shape_to_string(input_shape) +
                  " is invalid: expected 3-D (unbatched) or 4-D (batched) input", "input");
  for (int64_t d : input_shape)
    if (d < 0) throw_invalid(std::string(op) + ": input shape " + shape_to_string(input_shape) + " is negative", "input");
  if (has_zero_dim(input_shape, input_shape.size() - 3))
    throw_invalid(std::string(op) + ": input of shape " + shape_to_string(input_shape) +
                  " has a zero-sized channel or spatial dimension", "input");
}

void check_weight_shape(const char* op, const Shape& weight_shape, const char* layout) {
  if (weight_shape.size() != 4)
    throw_invalid(std::string(op) + ": weight of shape " + shape_to_string(weight_shape) +
                  " is invalid: expected a 4-D weight " + layout, "weight");
  for (int64_t d : weight_shape)
    if (d < 1)
      throw_invalid(std::string(op) + ": weight of shape " + shape_to_string(weight_shape) +
                    " is invalid: every dimension must be >= 1", "weight");
}

// Batch, channels and spatial size of a validated 3-D (unbatched) or 4-D input.
struct InputDims {
  bool batched;
  int64_t batch, channels, h, w;
};

InputDims input_dims(const Shape& input_shape) {
  const bool batched = input_shape.size() == 4;
  const size_t c = batched ? 1 : 0;
  return {batched, batched ? input_shape[0] : 1, input_shape[c], input_shape[c + 1], input_shape[c + 2]};
}

void check_output_bytes(const char* op, const Shape& output_shape) {
  try {
    check_memory_budget(output_shape, "output");
  } catch (const Error& e) {
    throw Error(e.kind(), std::string(op) + ": " + e.what(), "output_size");
  }
}

}  // namespace

std::string to_string(const IntPair& pair) {
  if (pair.h == pair.w) return std::to_string(pair.h);
  return "(" + std::to_string(pair.h) + ", " + std::to_string(pair.w) + ")";
}

std::string TransposedAxisSize::formula() const {
  std::ostringstream out;
  out << "(" << input << "-1)*" << stride;
  if (padding_end)
    out << " - " << padding << " - " << *padding_end;
  else
    out << " - 2*" << padding;
  out << " + " << dilation << "*(" << kernel << "-1) + " << output_padding << " + 1 = " << output;
  return out.str();
}

const char* TransposedAxisSize::symbolic() { return "(i-1)*s - 2*p + d*(k-1) + op + 1"; }
const char* TransposedAxisSize::symbolic_asymmetric() { return "(i-1)*s - p_begin - p_end + d*(k-1) + op + 1"; }

TransposedAxisSize transposed_axis_size(int64_t input, int64_t kernel, int64_t stride, int64_t padding,
                                        int64_t output_padding, int64_t dilation) {
  TransposedAxisSize axis = transposed_axis_size(input, kernel, stride, padding, padding, output_padding, dilation);
  axis.padding_end.reset();
  return axis;
}

TransposedAxisSize transposed_axis_size(int64_t input, int64_t kernel, int64_t stride, int64_t padding_begin,
                                        int64_t padding_end, int64_t output_padding, int64_t dilation) {
  TransposedAxisSize axis{input, stride, padding_begin, padding_end, dilation, kernel, output_padding, 0};
  const wide_int o = static_cast<wide_int>(input - 1) * stride - static_cast<wide_int>(padding_begin) -
                     static_cast<wide_int>(padding_end) + static_cast<wide_int>(dilation) * (kernel - 1) +
                     output_padding + 1;
  if (o > kMaxAxisSize)
    throw Error(ErrorKind::OutOfMemoryBudget,
                "conv_transpose2d: calculated output size per axis exceeds 2^40 (input " + std::to_string(input) +
                    ", kernel " + std::to_string(kernel) + ", stride " + std::to_string(stride) + ", dilation " +
                    std::to_string(dilation) + "); no memory could hold it");
  axis.output = o < std::numeric_limits<int64_t>::min() / 2 ? std::numeric_limits<int64_t>::min() / 2
                                                             : static_cast<int64_t>(o);
  return axis;
}

int64_t conv_axis_size(int64_t input, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation) {
  const wide_int span = static_cast<wide_int>(input) + static_cast<wide_int>(2) * padding -
                        static_cast<wide_int>(dilation) * (kernel - 1) - 1;
  if (span < 0) return 0;
  const wide_int o = span / stride + 1;
  return o > kMaxAxisSize ? static_cast<int64_t>(kMaxAxisSize) : static_cast<int64_t>(o);
}

Shape ConvTranspose2dGeometry::output_shape() const {
  if (batched) return {batch, out_channels, out_h, out_w};
  return {out_channels, out_h, out_w};
}

double ConvTranspose2dGeometry::useful_flops() const {
  return 2.0 * static_cast<double>(batch) * static_cast<double>(in_channels) * static_cast<double>(in_h) *
         static_cast<double>(in_w) * static_cast<double>(out_channels_per_group) * static_cast<double>(kernel_h) *
         static_cast<double>(kernel_w);
}

Shape Conv2dGeometry::output_shape() const {
  if (batched) return {batch, out_channels, out_h, out_w};
  return {out_channels, out_h, out_w};
}

void validate_params(const ConvTranspose2dParams& params) {
  const char* op = "conv_transpose2d";
  check_positive_pair(op, "stride", params.stride, "stride");
  check_positive_pair(op, "dilation", params.dilation, "dilation");
  check_non_negative_pair(op, "padding", params.padding);
  check_non_negative_pair(op, "output_padding", params.output_padding);
  if (params.padding_end) check_non_negative_pair(op, "padding_end", *params.padding_end);
  // ONNX's ConvTranspose (padding_end set) has no upper bound on output_padding; PyTorch's has this one.
  for (int axis = 0; axis < 2 && !params.padding_end; ++axis) {
    const int64_t op_value = params.output_padding[axis];
    const int64_t s = params.stride[axis];
    const int64_t d = params.dilation[axis];
    if (op_value >= s && op_value >= d) {
      const std::string name = axis_name(axis);
      throw_invalid(std::string(op) + ": " + pair_text("output_padding", params.output_padding) +
                    ": output padding must be smaller than either stride or dilation, but got output_padding_" +
                    name + "=" + std::to_string(op_value) + " with stride_" + name + "=" + std::to_string(s) +
                    " and dilation_" + name + "=" + std::to_string(d), "output_padding");
    }
  }
  if (params.groups < 1)
    throw_invalid(std::string(op) + ": groups=" + std::to_string(params.groups) +
                  ": non-positive groups is not supported; groups must be >= 1", "groups");
}

void require_symmetric_padding(const char* op, const ConvTranspose2dParams& params) {
  if (params.asymmetric())
    throw_invalid(std::string(op) + ": " + pair_text("padding", params.padding) + " with " +
                      pair_text("padding_end", *params.padding_end) +
                      ": the backward passes support only symmetric padding (PyTorch's)",
                  "padding_end");
}

void validate_params(const Conv2dParams& params) {
  const char* op = "conv2d";
  check_positive_pair(op, "stride", params.stride, "stride");
  check_positive_pair(op, "dilation", params.dilation, "dilation");
  check_non_negative_pair(op, "padding", params.padding);
  if (params.groups < 1)
    throw_invalid(std::string(op) + ": groups=" + std::to_string(params.groups) +
                  ": non-positive groups is not supported; groups must be >= 1", "groups");
}

ConvTranspose2dGeometry validate_conv_transpose2d(const Shape& input_shape, const Shape& weight_shape,
                                                  const std::optional<Shape>& bias_shape,
                                                  const ConvTranspose2dParams& params) {
  const char* op = "conv_transpose2d";
  check_input_shape(op, input_shape);
  check_weight_shape(op, weight_shape, "[C_in, C_out/groups, kH, kW]");
  validate_params(params);

  ConvTranspose2dGeometry g;
  const InputDims dims = input_dims(input_shape);
  g.batched = dims.batched;
  g.batch = dims.batch;
  g.in_channels = dims.channels;
  g.in_h = dims.h;
  g.in_w = dims.w;
  g.groups = params.groups;
  g.kernel_h = weight_shape[2];
  g.kernel_w = weight_shape[3];

  if (weight_shape[0] % params.groups != 0)
    throw_invalid(std::string(op) + ": groups=" + std::to_string(params.groups) + ": weight.size(0) (C_in = " +
                  std::to_string(weight_shape[0]) + ") must be divisible by groups", "groups");
  if (g.in_channels != weight_shape[0])
    throw_invalid(std::string(op) + ": input of shape " + shape_to_string(input_shape) + " has " +
                  std::to_string(g.in_channels) + " channels, but weight of shape " + shape_to_string(weight_shape) +
                  " expects " + std::to_string(weight_shape[0]) + " (weight.size(0) = C_in)", "input");
  g.in_channels_per_group = g.in_channels / params.groups;
  g.out_channels_per_group = weight_shape[1];
  if (weight_shape[1] > std::numeric_limits<int64_t>::max() / params.groups)
    throw_invalid(std::string(op) + ": weight.size(1) * groups overflows", "groups");
  g.out_channels = weight_shape[1] * params.groups;

  if (bias_shape) {
    const int64_t bias_numel = shape_numel(*bias_shape);
    if (bias_numel != g.out_channels)
      throw_invalid(std::string(op) + ": bias of shape " + shape_to_string(*bias_shape) + " has " +
                    std::to_string(bias_numel) + " elements, but needs weight.size(1) * groups = " +
                    std::to_string(g.out_channels) + " (one per output channel)", "bias");
  }

  if (params.padding_end) {
    g.axis_h = transposed_axis_size(g.in_h, g.kernel_h, params.stride.h, params.padding.h, params.padding_end->h,
                                    params.output_padding.h, params.dilation.h);
    g.axis_w = transposed_axis_size(g.in_w, g.kernel_w, params.stride.w, params.padding.w, params.padding_end->w,
                                    params.output_padding.w, params.dilation.w);
  } else {
    g.axis_h = transposed_axis_size(g.in_h, g.kernel_h, params.stride.h, params.padding.h, params.output_padding.h,
                                    params.dilation.h);
    g.axis_w = transposed_axis_size(g.in_w, g.kernel_w, params.stride.w, params.padding.w, params.output_padding.w,
                                    params.dilation.w);
  }
  g.out_h = g.axis_h.output;
  g.out_w = g.axis_w.output;
  if (g.out_h < 1 || g.out_w < 1) {
    const TransposedAxisSize& bad = g.out_h < 1 ? g.axis_h : g.axis_w;
    throw_invalid(std::string(op) + ": calculated output size (" + std::to_string(g.out_h) + " x " +
                  std::to_string(g.out_w) + ") is too small for input size (" + std::to_string(g.in_h) + " x " +
                  std::to_string(g.in_w) + "): " + axis_name(g.out_h < 1 ? 0 : 1) + " " + bad.formula() +
                  "; output size must be >= 1 (reduce padding or increase stride, kernel or dilation)", "output_size");
  }
  check_output_bytes(op, g.output_shape());
  return g;
}

Conv2dGeometry validate_conv2d(const Shape& input_shape, const Shape& weight_shape,
                               const std::optional<Shape>& bias_shape, const Conv2dParams& params) {
  const char* op = "conv2d";
  check_input_shape(op, input_shape);
  check_weight_shape(op, weight_shape, "[C_out, C_in/groups, kH, kW]");
  validate_params(params);

  Conv2dGeometry g;
  const InputDims dims = input_dims(input_shape);
  g.batched = dims.batched;
  g.batch = dims.batch;
  g.in_channels = dims.channels;
  g.in_h = dims.h;
  g.in_w = dims.w;
  g.out_channels = weight_shape[0];
  g.kernel_h = weight_shape[2];
  g.kernel_w = weight_shape[3];
  g.groups = params.groups;

  if (g.out_channels % params.groups != 0)
    throw_invalid(std::string(op) + ": groups=" + std::to_string(params.groups) + ": weight.size(0) (C_out = " +
                  std::to_string(g.out_channels) + ") must be divisible by groups", "groups");
  if (weight_shape[1] > std::numeric_limits<int64_t>::max() / params.groups ||
      g.in_channels != weight_shape[1] * params.groups)
    throw_invalid(std::string(op) + ": input of shape " + shape_to_string(input_shape) + " has " +
                  std::to_string(g.in_channels) + " channels, but weight of shape " + shape_to_string(weight_shape) +
                  " with groups=" + std::to_string(params.groups) + " expects weight.size(1) * groups = " +
                  std::to_string(weight_shape[1] * params.groups), "input");
  g.in_channels_per_group = weight_shape[1];
  g.out_channels_per_group = g.out_channels / params.groups;
  if (bias_shape && shape_numel(*bias_shape) != g.out_channels)
    throw_invalid(std::string(op) + ": bias of shape " + shape_to_string(*bias_shape) + " has " +
                  std::to_string(shape_numel(*bias_shape)) + " elements, but needs weight.size(0) = " +
                  std::to_string(g.out_channels) + " (one per output channel)", "bias");

  for (int axis = 0; axis < 2; ++axis) {
    const int64_t input = axis == 0 ? g.in_h : g.in_w;
    const int64_t kernel = axis == 0 ? g.kernel_h : g.kernel_w;
    const wide_int padded = static_cast<wide_int>(input) + static_cast<wide_int>(2) * params.padding[axis];
    const wide_int extent = static_cast<wide_int>(params.dilation[axis]) * (kernel - 1) + 1;
    if (extent > padded)
      throw_invalid(std::string(op) + ": " + axis_name(axis) + ": padded input size " +
                    std::to_string(static_cast<int64_t>(padded)) + " is smaller than the dilated kernel size " +
                    std::to_string(static_cast<int64_t>(extent)) + " (dilation*(k-1)+1); kernel size can't be "
                    "greater than actual input size", "weight");
  }
  g.out_h = conv_axis_size(g.in_h, g.kernel_h, params.stride.h, params.padding.h, params.dilation.h);
  g.out_w = conv_axis_size(g.in_w, g.kernel_w, params.stride.w, params.padding.w, params.dilation.w);
  check_output_bytes(op, g.output_shape());
  return g;
}

}  // namespace convt

namespace convt {

void validate_grad_output(const char* op, const Shape& expected, const Shape& grad_output) {
  if (grad_output != expected)
    throw_invalid(std::string(op) + "_backward: grad_output has shape " + shape_to_string(grad_output) +
                      ", but the forward output has shape " + shape_to_string(expected) +
                      " (grad_output must have the forward output's shape)",
                  "grad_output");
}

}  // namespace convt

namespace convt {

ConvTranspose2dParams conv2d_grad_input_params(const Conv2dGeometry& g, const Conv2dParams& params) {
  auto restoring_padding = [](int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation) {
    return in - ((out - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1);
  };
  const IntPair output_padding(
      restoring_padding(g.in_h, g.out_h, g.kernel_h, params.stride.h, params.padding.h, params.dilation.h),
      restoring_padding(g.in_w, g.out_w, g.kernel_w, params.stride.w, params.padding.w, params.dilation.w));
  return {params.stride, params.padding, output_padding, params.dilation, params.groups};
}

}  // namespace convt
