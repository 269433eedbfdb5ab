// The pixel inspector, the 1-D matrix behind "transposed", and the conv2d round trip (convt/inspect.h).
#include <convt/error.h>
#include <convt/inspect.h>
#include <convt/ops.h>

#include <algorithm>
#include <cmath>

namespace convt {
namespace {

void check_index(int64_t value, int64_t limit, const std::string& what, const std::string& parameter) {
  if (value < 0 || value >= limit)
    throw_invalid(what + " " + std::to_string(value) + " is out of range [0, " + std::to_string(limit) + ")",
                  parameter);
}

// A (batch, input channel, output channel) slice: each index in range, and the two channels in one group.
void check_slice(const ConvTranspose2dGeometry& g, int64_t batch, int64_t in_channel, int64_t out_channel) {
  check_index(batch, g.batch, "batch index", "batch");
  check_index(in_channel, g.in_channels, "input channel", "in_channel");
  check_index(out_channel, g.out_channels, "output channel", "out_channel");
  if (in_channel / g.in_channels_per_group != out_channel / g.out_channels_per_group)
    throw_invalid("input channel " + std::to_string(in_channel) + " does not feed output channel " +
                      std::to_string(out_channel) + ": they are in different groups",
                  "out_channel");
}

ConvTranspose2dGeometry geometry_of(const Tensor& input, const Tensor& weight, const Tensor* bias,
                                    const ConvTranspose2dParams& params) {
  return validate_conv_transpose2d(input.shape(), weight.shape(),
                                   bias ? std::optional<Shape>(bias->shape()) : std::nullopt, params);
}

// Element (batch, channel, y, x) of a 4-D tensor or of a 3-D one (batch 0).
float input_at(const Tensor& input, const ConvTranspose2dGeometry& g, int64_t batch, int64_t channel, int64_t y,
               int64_t x) {
  return input[((batch * g.in_channels + channel) * g.in_h + y) * g.in_w + x];
}

float weight_at(const Tensor& weight, const ConvTranspose2dGeometry& g, int64_t in_channel, int64_t out_channel,
                int64_t ky, int64_t kx) {
  const int64_t co_local = out_channel % g.out_channels_per_group;
  return weight[((in_channel * g.out_channels_per_group + co_local) * g.kernel_h + ky) * g.kernel_w + kx];
}

}  // namespace

OutputPixelTerms output_pixel_terms(const Tensor& input, const Tensor& weight, const Tensor* bias,
                                    const ConvTranspose2dParams& params, int64_t batch, int64_t out_channel,
                                    int64_t oy, int64_t ox) {
  const ConvTranspose2dGeometry g = geometry_of(input, weight, bias, params);
  check_index(batch, g.batch, "batch index", "batch");
  check_index(out_channel, g.out_channels, "output channel", "out_channel");
  check_index(oy, g.out_h, "output row", "pin");
  check_index(ox, g.out_w, "output column", "pin");
  OutputPixelTerms result;
  result.batch = batch, result.out_channel = out_channel, result.oy = oy, result.ox = ox;
  const int64_t group = out_channel / g.out_channels_per_group;
  const std::vector<SpatialLink> links = links_to_output(g, params, oy, ox);
  for (int64_t local = 0; local < g.in_channels_per_group; ++local) {
    const int64_t channel = group * g.in_channels_per_group + local;
    for (const SpatialLink& link : links) {
      PixelTerm term{batch, channel, link.iy, link.ix, link.ky, link.kx, out_channel, oy, ox};
      term.x = input_at(input, g, batch, channel, link.iy, link.ix);
      term.w = weight_at(weight, g, channel, out_channel, link.ky, link.kx);
      term.product = static_cast<double>(term.x) * term.w;
      result.sum += term.product;
      result.magnitude += std::fabs(term.product);
      result.terms.push_back(term);
    }
  }
  if (bias) {
    result.has_bias = true;
    result.bias = (*bias)[out_channel];
    result.sum += result.bias;
    result.magnitude += std::fabs(result.bias);
  }
  return result;
}

InputPixelFootprint input_pixel_footprint(const Tensor& input, const Tensor& weight,
                                          const ConvTranspose2dParams& params, int64_t batch, int64_t in_channel,
                                          int64_t iy, int64_t ix, int64_t out_channel) {
  const ConvTranspose2dGeometry g = geometry_of(input, weight, nullptr, params);
  check_slice(g, batch, in_channel, out_channel);
  check_index(iy, g.in_h, "input row", "pin_input");
  check_index(ix, g.in_w, "input column", "pin_input");
  InputPixelFootprint result;
  result.batch = batch, result.in_channel = in_channel, result.iy = iy, result.ix = ix;
  result.out_channel = out_channel;
  result.x = input_at(input, g, batch, in_channel, iy, ix);
  for (const SpatialLink& link : links_from_input(g, params, iy, ix)) {
    PixelTerm term{batch, in_channel, iy, ix, link.ky, link.kx, out_channel, link.oy, link.ox};
    term.x = result.x;
    term.w = weight_at(weight, g, in_channel, out_channel, link.ky, link.kx);
    term.product = static_cast<double>(term.x) * term.w;
    result.terms.push_back(term);
  }
  result.cropped_taps = g.kernel_h * g.kernel_w - static_cast<int64_t>(result.terms.size());
  return result;
}

TransposeMatrix1d transpose_matrix_1d(std::span<const float> input, std::span<const float> kernel, int64_t stride,
                                      int64_t padding, int64_t padding_end, int64_t dilation, int64_t output_padding,
                                      float bias) {
  const int64_t inputs = static_cast<int64_t>(input.size()), k = static_cast<int64_t>(kernel.size());
  if (inputs < 1 || inputs > kMaxMatrixInputs)
    throw_invalid("the matrix view takes 1 to " + std::to_string(kMaxMatrixInputs) + " inputs, not " +
                  std::to_string(inputs), "matrix");
  if (k < 1) throw_invalid("the matrix view needs a kernel of at least 1 tap", "kernel_size");
  if (stride < 1) throw_invalid("stride must be at least 1, got " + std::to_string(stride), "stride");
  if (dilation < 1) throw_invalid("dilation must be at least 1, got " + std::to_string(dilation), "dilation");
  if (padding < 0 || padding_end < 0) throw_invalid("padding must be non-negative", "padding");
  if (output_padding < 0) throw_invalid("output_padding must be non-negative", "output_padding");
  const TransposedAxisSize axis =
      transposed_axis_size(inputs, k, stride, padding, padding_end, output_padding, dilation);
  if (axis.output < 1)
    throw_invalid("the output would have " + std::to_string(axis.output) + " values: " + axis.formula(), "padding");
  TransposeMatrix1d m;
  m.inputs = inputs, m.outputs = axis.output;
  m.stride = stride, m.padding = padding, m.padding_end = padding_end, m.dilation = dilation;
  m.output_padding = output_padding;
  m.kernel.assign(kernel.begin(), kernel.end());
  m.input.assign(input.begin(), input.end());
  m.bias = bias;
  m.conv.assign(static_cast<size_t>(m.inputs * m.outputs), 0.0f);
  m.tap.assign(m.conv.size(), -1);
  for (int64_t i = 0; i < m.inputs; ++i)
    for (int64_t tap = 0; tap < k; ++tap) {
      const int64_t o = i * stride - padding + tap * dilation;
      if (o < 0 || o >= m.outputs) continue;  // cropped by the padding
      m.conv[static_cast<size_t>(i * m.outputs + o)] = m.kernel[static_cast<size_t>(tap)];
      m.tap[static_cast<size_t>(i * m.outputs + o)] = static_cast<int32_t>(tap);
    }
  m.output.assign(static_cast<size_t>(m.outputs), static_cast<double>(bias));
  for (int64_t o = 0; o < m.outputs; ++o)
    for (int64_t i = 0; i < m.inputs; ++i)
      m.output[static_cast<size_t>(o)] += static_cast<double>(m.at(i, o)) * m.input[static_cast<size_t>(i)];
  return m;
}

std::vector<double> TransposeMatrix1d::partial_output(int64_t stamps) const {
  std::vector<double> result(static_cast<size_t>(outputs), static_cast<double>(bias));
  for (int64_t i = 0; i < std::clamp<int64_t>(stamps, 0, inputs); ++i)
    for (int64_t o = 0; o < outputs; ++o) result[static_cast<size_t>(o)] += static_cast<double>(at(i, o)) * input[static_cast<size_t>(i)];
  return result;
}

std::vector<int64_t> TransposeMatrix1d::hits_after(int64_t stamps) const {
  std::vector<int64_t> hits(static_cast<size_t>(outputs), 0);
  for (int64_t i = 0; i < std::clamp<int64_t>(stamps, 0, inputs); ++i)
    for (int64_t o = 0; o < outputs; ++o) hits[static_cast<size_t>(o)] += tap_at(i, o) >= 0 ? 1 : 0;
  return hits;
}

TransposeMatrix1d transpose_matrix_of_row(const Tensor& input, const Tensor& weight,
                                          const ConvTranspose2dParams& params, int64_t batch, int64_t in_channel,
                                          int64_t out_channel, int64_t row, int64_t kernel_row, int64_t inputs) {
  const ConvTranspose2dGeometry g = geometry_of(input, weight, nullptr, params);
  check_slice(g, batch, in_channel, out_channel);
  check_index(row, g.in_h, "input row", "matrix_row");
  check_index(kernel_row, g.kernel_h, "kernel row", "matrix_kernel_row");
  if (inputs < 1 || inputs > kMaxMatrixInputs)
    throw_invalid("the matrix view takes 1 to " + std::to_string(kMaxMatrixInputs) + " inputs, not " +
                  std::to_string(inputs), "matrix_inputs");
  std::vector<float> values(static_cast<size_t>(std::min(g.in_w, inputs)));
  for (size_t x = 0; x < values.size(); ++x) values[x] = input_at(input, g, batch, in_channel, row, static_cast<int64_t>(x));
  std::vector<float> taps(static_cast<size_t>(g.kernel_w));
  for (size_t kx = 0; kx < taps.size(); ++kx)
    taps[kx] = weight_at(weight, g, in_channel, out_channel, kernel_row, static_cast<int64_t>(kx));
  return transpose_matrix_1d(values, taps, params.stride.w, params.padding.w, params.end_padding().w,
                             params.dilation.w, params.output_padding.w);
}

RoundTrip conv2d_round_trip(const Tensor& output, const Tensor& weight, const ConvTranspose2dParams& params) {
  if (params.asymmetric())
    throw_invalid("the conv2d round trip needs the same padding at both ends (conv2d has one per axis)", "padding");
  if (output.dim() != 4) throw_invalid("the round trip takes a 4-D output [N, C_out, H, W]", "output");
  RoundTrip trip;
  trip.back = conv2d(output, weight, std::nullopt, params.stride, params.padding, params.dilation, params.groups);
  const int64_t kh = weight.size(2), kw = weight.size(3);
  trip.heights = conv2d_inputs_mapping_to(trip.back.size(2), kh, params.stride.h, params.padding.h, params.dilation.h);
  trip.widths = conv2d_inputs_mapping_to(trip.back.size(3), kw, params.stride.w, params.padding.w, params.dilation.w);
  return trip;
}

}  // namespace convt
