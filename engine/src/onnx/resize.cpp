// ONNX's Resize (opsets 10 to 19) and Upsample (7 to 9) on the last two axes of a 4-D tensor: nearest and
// linear, with the coordinate transformations frameworks export. Coordinates are computed in double, as ONNX's
// reference does; the result is float32.
#include "onnx/node_ops.h"

#include <convt/error.h>

#include <cmath>

namespace convt::onnx::detail {
namespace {

enum class Coordinates { HalfPixel, PytorchHalfPixel, AlignCorners, Asymmetric };
enum class Rounding { RoundPreferFloor, RoundPreferCeil, Floor, Ceil };

struct ResizeSpec {
  bool linear = false;
  Coordinates coordinates = Coordinates::HalfPixel;
  Rounding rounding = Rounding::RoundPreferFloor;
  int64_t out[2] = {0, 0};
  double scale[2] = {1.0, 1.0};  // output / input, as ONNX's coordinate formulas use it
};

// x_resized -> x_original on one axis. As in ONNX's reference, the resized length in these formulas is
// in * scale before flooring: with scales 0.6 on 4 pixels, align_corners divides by 2.4 - 1, not by 2 - 1.
double source_coordinate(const ResizeSpec& spec, int axis, int64_t x, int64_t in) {
  const double scale = spec.scale[axis];
  const double length = static_cast<double>(in) * scale;
  switch (spec.coordinates) {
    case Coordinates::HalfPixel: return (x + 0.5) / scale - 0.5;
    case Coordinates::PytorchHalfPixel: return length > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
    case Coordinates::AlignCorners: return length == 1 ? 0.0 : static_cast<double>(x) * (in - 1) / (length - 1);
    case Coordinates::Asymmetric: return x / scale;
  }
  return 0.0;
}

int64_t nearest_index(Rounding rounding, double x, int64_t in) {
  double index = 0;
  switch (rounding) {
    case Rounding::Floor: index = std::floor(x); break;
    case Rounding::Ceil: index = std::ceil(x); break;
    case Rounding::RoundPreferFloor: index = x - std::floor(x) == 0.5 ? std::floor(x) : std::round(x); break;
    case Rounding::RoundPreferCeil: index = x - std::floor(x) == 0.5 ? std::ceil(x) : std::round(x); break;
  }
  return std::clamp<int64_t>(static_cast<int64_t>(std::clamp(index, -1.0, static_cast<double>(in))), 0, in - 1);
}

// Per output position along one axis: up to two source indices and their weights.
struct AxisTaps {
  std::vector<int64_t> first, second;
  std::vector<double> second_weight;  // first's weight is 1 - second_weight
};

AxisTaps axis_taps(const ResizeSpec& spec, int axis, int64_t in) {
  AxisTaps taps;
  for (int64_t x = 0; x < spec.out[axis]; ++x) {
    const double source = source_coordinate(spec, axis, x, in);
    if (!spec.linear) {
      taps.first.push_back(nearest_index(spec.rounding, source, in));
      taps.second.push_back(taps.first.back());
      taps.second_weight.push_back(0.0);
      continue;
    }
    // Out-of-range neighbours take the edge value (ONNX pads the data by its edge).
    const double bounded = std::clamp(source, -1.0, static_cast<double>(in));
    const double low = std::floor(bounded);
    const auto clamp_index = [in](double i) { return std::clamp<int64_t>(static_cast<int64_t>(i), 0, in - 1); };
    taps.first.push_back(clamp_index(low));
    taps.second.push_back(clamp_index(low + 1));
    taps.second_weight.push_back(bounded - low);
  }
  return taps;
}

Tensor resize(const Tensor& input, const ResizeSpec& spec) {
  const int64_t N = input.size(0), C = input.size(1), H = input.size(2), W = input.size(3);
  Tensor out({N, C, spec.out[0], spec.out[1]});
  const AxisTaps rows = axis_taps(spec, 0, H), cols = axis_taps(spec, 1, W);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t y = 0; y < spec.out[0]; ++y) {
        const size_t yi = static_cast<size_t>(y);
        const double wy = rows.second_weight[yi];
        for (int64_t x = 0; x < spec.out[1]; ++x) {
          const size_t xi = static_cast<size_t>(x);
          const double wx = cols.second_weight[xi];
          const double top = (1 - wx) * input.at(n, c, rows.first[yi], cols.first[xi]) +
                             wx * input.at(n, c, rows.first[yi], cols.second[xi]);
          const double bottom = (1 - wx) * input.at(n, c, rows.second[yi], cols.first[xi]) +
                                wx * input.at(n, c, rows.second[yi], cols.second[xi]);
          out.at(n, c, y, x) = static_cast<float>((1 - wy) * top + wy * bottom);
        }
      }
  return out;
}

bool parse_mode(const NodeContext& c, const std::string& mode) {
  if (mode == "nearest") return false;
  if (mode == "linear" || mode == "bilinear") return true;
  c.refuse("mode '" + mode + "' is not supported (nearest and linear only)", "mode");
}

// The output size and scales from either `scales` (4 values, the first two 1) or `sizes`.
void set_sizes(const NodeContext& c, ResizeSpec& spec, const Shape& input_shape, const std::vector<double>& scales,
               const std::vector<int64_t>& sizes) {
  if (input_shape.size() != 4) c.refuse("only 4-D inputs are supported, got " + shape_to_string(input_shape));
  if (!sizes.empty()) {
    if (sizes.size() != 4) c.refuse("sizes needs 4 values, got " + std::to_string(sizes.size()), "sizes");
    if (sizes[0] != input_shape[0] || sizes[1] != input_shape[1])
      c.refuse("resizing the batch or channel axis is not supported", "sizes");
    for (int axis = 0; axis < 2; ++axis) {
      spec.out[axis] = sizes[2 + axis];
      if (spec.out[axis] < 1 || spec.out[axis] > (int64_t{1} << 31)) c.refuse("sizes must be in 1 to 2^31", "sizes");
      spec.scale[axis] = static_cast<double>(spec.out[axis]) / static_cast<double>(input_shape[2 + axis]);
    }
    return;
  }
  if (scales.size() != 4) c.refuse("scales needs 4 values, got " + std::to_string(scales.size()), "scales");
  if (scales[0] != 1.0 || scales[1] != 1.0) c.refuse("resizing the batch or channel axis is not supported", "scales");
  for (int axis = 0; axis < 2; ++axis) {
    const double scale = scales[2 + axis];
    if (!(scale > 0) || scale > 65536) c.refuse("scales must be positive and at most 65536", "scales");
    const double size = std::floor(static_cast<double>(input_shape[2 + axis]) * scale);
    if (size < 1) c.refuse("scales give an empty output", "scales");
    spec.out[axis] = static_cast<int64_t>(size);
    spec.scale[axis] = scale;
  }
}

std::vector<double> float_list(const Value& value) {
  std::vector<double> out;
  for (int64_t i = 0; i < value.tensor.numel(); ++i) out.push_back(value.tensor[i]);
  return out;
}

std::vector<Value> finish(const NodeContext& c, const Value& x, const ResizeSpec& spec) {
  check_memory_budget({x.shape()[0], x.shape()[1], spec.out[0], spec.out[1]}, c.label() + " output");
  return {float_value(resize(x.tensor, spec))};
}

}  // namespace

std::vector<Value> run_resize(const NodeContext& c) {
  const Value& x = c.input(0, "X");
  ResizeSpec spec;
  spec.linear = parse_mode(c, c.node.string_attribute("mode", "nearest"));
  if (c.opset < 11) {
    // Resize-10: (X, scales), asymmetric coordinates and floor, as Upsample.
    spec.coordinates = Coordinates::Asymmetric;
    spec.rounding = Rounding::Floor;
    set_sizes(c, spec, x.shape(), float_list(c.input(1, "scales")), {});
    return finish(c, x, spec);
  }
  const std::string coordinates = c.node.string_attribute("coordinate_transformation_mode", "half_pixel");
  if (coordinates == "half_pixel") spec.coordinates = Coordinates::HalfPixel;
  else if (coordinates == "pytorch_half_pixel") spec.coordinates = Coordinates::PytorchHalfPixel;
  else if (coordinates == "align_corners") spec.coordinates = Coordinates::AlignCorners;
  else if (coordinates == "asymmetric") spec.coordinates = Coordinates::Asymmetric;
  else
    c.refuse("coordinate_transformation_mode '" + coordinates +
                 "' is not supported (half_pixel, pytorch_half_pixel, align_corners, asymmetric)",
             "coordinate_transformation_mode");
  const std::string rounding = c.node.string_attribute("nearest_mode", "round_prefer_floor");
  if (rounding == "round_prefer_floor") spec.rounding = Rounding::RoundPreferFloor;
  else if (rounding == "round_prefer_ceil") spec.rounding = Rounding::RoundPreferCeil;
  else if (rounding == "floor") spec.rounding = Rounding::Floor;
  else if (rounding == "ceil") spec.rounding = Rounding::Ceil;
  else c.refuse("nearest_mode '" + rounding + "' is not supported", "nearest_mode");
  if (c.node.int_attribute("antialias", 0) != 0) c.refuse("antialias=1 is not supported", "antialias");
  if (c.node.attribute("axes")) c.refuse("the axes attribute is not supported", "axes");
  if (c.node.string_attribute("keep_aspect_ratio_policy", "stretch") != "stretch")
    c.refuse("keep_aspect_ratio_policy other than stretch is not supported", "keep_aspect_ratio_policy");
  const Value* scales = c.optional_input(2);
  const Value* sizes = c.optional_input(3);
  const bool has_scales = scales && scales->tensor.numel() > 0;
  const bool has_sizes = sizes && sizes->tensor.numel() > 0;
  if (has_scales == has_sizes) c.refuse("needs exactly one of scales and sizes", "scales");
  set_sizes(c, spec, x.shape(), has_scales ? float_list(*scales) : std::vector<double>{},
            has_sizes ? integer_list(c, *sizes, "sizes") : std::vector<int64_t>{});
  return finish(c, x, spec);
}

std::vector<Value> run_upsample(const NodeContext& c) {
  const Value& x = c.input(0, "X");
  ResizeSpec spec;
  spec.linear = parse_mode(c, c.node.string_attribute("mode", "nearest"));
  spec.coordinates = Coordinates::Asymmetric;
  spec.rounding = Rounding::Floor;
  std::vector<double> scales;
  if (const Value* input = c.optional_input(1)) {
    scales = float_list(*input);  // Upsample-9: scales is an input
  } else if (const Attribute* a = c.node.attribute("scales"); a && a->kind == Attribute::Kind::Floats) {
    scales.assign(a->floats.begin(), a->floats.end());  // Upsample-7: an attribute
  } else {
    c.refuse("has no scales", "scales");
  }
  set_sizes(c, spec, x.shape(), scales, {});
  return finish(c, x, spec);
}

}  // namespace convt::onnx::detail
