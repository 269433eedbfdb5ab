// F.interpolate for 4-D input, nearest and bilinear, following PyTorch's CPU kernels index for index: the source
// coordinate is computed in float (PyTorch's opmath type for float32), with 1/scale_factor when a scale factor
// was given (recompute_scale_factor's default) and input/output otherwise.
#include <convt/error.h>
#include <convt/ops.h>
#include <convt/reference.h>
#include <convt/shape.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace convt {
namespace {

const char* axis_name(int axis) { return axis == 0 ? "height" : "width"; }

// compute_scales_value: 1/scale when the user gave a scale factor, else input/output.
float source_scale(const InterpolateParams& params, int axis, int64_t input_size, int64_t output_size) {
  if (!params.has_size) {
    const double user_scale = axis == 0 ? params.scale_h : params.scale_w;
    return static_cast<float>(1.0 / user_scale);
  }
  return static_cast<float>(input_size) / static_cast<float>(output_size);
}

std::vector<int64_t> nearest_indices(const InterpolateParams& params, int axis, int64_t input_size,
                                     int64_t output_size) {
  std::vector<int64_t> indices(static_cast<size_t>(output_size));
  const float scale = source_scale(params, axis, input_size, output_size);
  for (int64_t o = 0; o < output_size; ++o) {
    int64_t source;
    if (output_size == input_size) {
      source = o;
    } else if (output_size == 2 * input_size) {
      source = o >> 1;
    } else {
      source = std::min(static_cast<int64_t>(std::floor(static_cast<float>(o) * scale)), input_size - 1);
    }
    indices[static_cast<size_t>(o)] = source;
  }
  return indices;
}

struct LinearSample {
  int64_t index0, index1;
  float lambda0, lambda1;
};

std::vector<LinearSample> linear_samples(const InterpolateParams& params, int axis, int64_t input_size,
                                         int64_t output_size) {
  float scale;
  if (params.align_corners)
    scale = output_size > 1 ? static_cast<float>(input_size - 1) / static_cast<float>(output_size - 1) : 0.0f;
  else
    scale = source_scale(params, axis, input_size, output_size);

  std::vector<LinearSample> samples(static_cast<size_t>(output_size));
  for (int64_t o = 0; o < output_size; ++o) {
    float real_index;
    if (params.align_corners) {
      real_index = scale * static_cast<float>(o);
    } else {
      real_index = scale * (static_cast<float>(o) + 0.5f) - 0.5f;
      if (real_index < 0) real_index = 0;
    }
    const int64_t index0 = std::min(static_cast<int64_t>(std::floor(real_index)), input_size - 1);
    const int64_t index1 = index0 + (index0 < input_size - 1 ? 1 : 0);
    const float lambda1 = std::clamp(real_index - static_cast<float>(index0), 0.0f, 1.0f);
    samples[static_cast<size_t>(o)] = {index0, index1, 1.0f - lambda1, lambda1};
  }
  return samples;
}

}  // namespace

IntPair interpolate_output_size(const Shape& input_shape, const InterpolateParams& params) {
  if (input_shape.size() != 4)
    throw_invalid("interpolate: input of shape " + shape_to_string(input_shape) +
                  " is invalid: expected 4-D input [N, C, H, W]");
  for (int64_t d : input_shape)
    if (d < 1) throw_invalid("interpolate: input of shape " + shape_to_string(input_shape) + " has an empty dimension");
  if (params.mode == InterpolateMode::Nearest && params.align_corners)
    throw_invalid("interpolate: align_corners=true: align_corners option can only be set with the interpolating "
                  "mode bilinear");
  IntPair size;
  for (int axis = 0; axis < 2; ++axis) {
    const int64_t input = input_shape[2 + static_cast<size_t>(axis)];
    int64_t output;
    if (params.has_size) {
      output = params.size[axis];
    } else {
      const double scale = axis == 0 ? params.scale_h : params.scale_w;
      if (!(scale > 0) || !std::isfinite(scale))
        throw_invalid("interpolate: scale_factor " + std::string(axis_name(axis)) + "=" + std::to_string(scale) +
                      ": scale factors must be positive and finite");
      const double product = std::floor(static_cast<double>(input) * scale);
      if (product > static_cast<double>(int64_t{1} << 40))
        throw Error(ErrorKind::OutOfMemoryBudget, "interpolate: output " + std::string(axis_name(axis)) +
                                                      " from scale_factor " + std::to_string(scale) + " is too large");
      output = static_cast<int64_t>(product);
    }
    if (output < 1)
      throw_invalid("interpolate: output " + std::string(axis_name(axis)) + " " + std::to_string(output) +
                    " from input " + std::to_string(input) + ": input and output sizes should be greater than 0");
    (axis == 0 ? size.h : size.w) = output;
  }
  return size;
}

Tensor interpolate_reference(const Tensor& input, const InterpolateParams& params) {
  const IntPair out_size = interpolate_output_size(input.shape(), params);
  const int64_t N = input.size(0), C = input.size(1), H = input.size(2), W = input.size(3);
  const int64_t OH = out_size.h, OW = out_size.w;
  Tensor output({N, C, OH, OW});
  const float* x = input.data();
  float* y = output.data();

  if (params.mode == InterpolateMode::Nearest) {
    const std::vector<int64_t> rows = nearest_indices(params, 0, H, OH);
    const std::vector<int64_t> cols = nearest_indices(params, 1, W, OW);
    for (int64_t plane = 0; plane < N * C; ++plane)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox)
          y[(plane * OH + oy) * OW + ox] =
              x[(plane * H + rows[static_cast<size_t>(oy)]) * W + cols[static_cast<size_t>(ox)]];
    return output;
  }

  const std::vector<LinearSample> rows = linear_samples(params, 0, H, OH);
  const std::vector<LinearSample> cols = linear_samples(params, 1, W, OW);
  for (int64_t plane = 0; plane < N * C; ++plane) {
    const float* src = x + plane * H * W;
    for (int64_t oy = 0; oy < OH; ++oy) {
      const LinearSample& r = rows[static_cast<size_t>(oy)];
      for (int64_t ox = 0; ox < OW; ++ox) {
        const LinearSample& c = cols[static_cast<size_t>(ox)];
        y[(plane * OH + oy) * OW + ox] =
            r.lambda0 * (c.lambda0 * src[r.index0 * W + c.index0] + c.lambda1 * src[r.index0 * W + c.index1]) +
            r.lambda1 * (c.lambda0 * src[r.index1 * W + c.index0] + c.lambda1 * src[r.index1 * W + c.index1]);
      }
    }
  }
  return output;
}

// The backward: the forward's own taps (the same indices and weights), each adding its weight times grad_output to
// the input pixel it read from, in double.
Tensor interpolate_backward_reference(const Tensor& grad_output, const Shape& input_shape, const InterpolateParams& params) {
  const IntPair out_size = interpolate_output_size(input_shape, params);
  const int64_t N = input_shape[0], C = input_shape[1], H = input_shape[2], W = input_shape[3];
  const int64_t OH = out_size.h, OW = out_size.w;
  validate_grad_output("interpolate", {N, C, OH, OW}, grad_output.shape());
  std::vector<double> grad(static_cast<size_t>(N * C * H * W), 0.0);
  const float* g = grad_output.data();
  if (params.mode == InterpolateMode::Nearest) {
    const std::vector<int64_t> rows = nearest_indices(params, 0, H, OH);
    const std::vector<int64_t> cols = nearest_indices(params, 1, W, OW);
    for (int64_t plane = 0; plane < N * C; ++plane)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox)
          grad[static_cast<size_t>((plane * H + rows[static_cast<size_t>(oy)]) * W + cols[static_cast<size_t>(ox)])] +=
              g[(plane * OH + oy) * OW + ox];
  } else {
    const std::vector<LinearSample> rows = linear_samples(params, 0, H, OH);
    const std::vector<LinearSample> cols = linear_samples(params, 1, W, OW);
    for (int64_t plane = 0; plane < N * C; ++plane)
      for (int64_t oy = 0; oy < OH; ++oy) {
        const LinearSample& r = rows[static_cast<size_t>(oy)];
        for (int64_t ox = 0; ox < OW; ++ox) {
          const LinearSample& c = cols[static_cast<size_t>(ox)];
          const double value = g[(plane * OH + oy) * OW + ox];
          double* dst = grad.data() + plane * H * W;
          dst[r.index0 * W + c.index0] += value * r.lambda0 * c.lambda0;
          dst[r.index0 * W + c.index1] += value * r.lambda0 * c.lambda1;
          dst[r.index1 * W + c.index0] += value * r.lambda1 * c.lambda0;
          dst[r.index1 * W + c.index1] += value * r.lambda1 * c.lambda1;
        }
      }
  }
  Tensor result({N, C, H, W});
  for (size_t i = 0; i < grad.size(); ++i) result[static_cast<int64_t>(i)] = static_cast<float>(grad[i]);
  return result;
}

}  // namespace convt
