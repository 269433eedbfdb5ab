// Scatter-then-convolve: the transposed convolution rebuilt as zero insertion, padding (or cropping), and an
// ordinary stride-1 dilated conv2d with the rotated, channel-swapped weight. Each step is kept so the views can
// show it, and the result is compared with the direct op to prove the equivalence on the user's own numbers.
#include <convt/analysis.h>
#include <convt/cpu.h>
#include <convt/error.h>
#include <convt/ops.h>

#include <algorithm>
#include <cmath>

namespace convt {
namespace {

Tensor as_batched(const Tensor& t) {
  return t.dim() == 3 ? t.reshaped({1, t.size(0), t.size(1), t.size(2)}) : t;
}

double max_abs_difference(const Tensor& a, const Tensor& b) {
  double worst = 0;
  for (int64_t i = 0; i < a.numel(); ++i) worst = std::max(worst, std::fabs(static_cast<double>(a[i]) - b[i]));
  return worst;
}

}  // namespace

Tensor zero_insert(const Tensor& input, IntPair stride) {
  const int64_t N = input.size(0), C = input.size(1), H = input.size(2), W = input.size(3);
  Tensor out({N, C, (H - 1) * stride.h + 1, (W - 1) * stride.w + 1});
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t y = 0; y < H; ++y)
        for (int64_t x = 0; x < W; ++x) out.at(n, c, y * stride.h, x * stride.w) = input.at(n, c, y, x);
  return out;
}

Tensor pad_or_crop(const Tensor& input, IntPair low, IntPair high) {
  const int64_t N = input.size(0), C = input.size(1), H = input.size(2), W = input.size(3);
  const int64_t OH = H + low.h + high.h, OW = W + low.w + high.w;
  if (OH < 1 || OW < 1)
    throw_invalid("pad_or_crop: cropping " + shape_to_string(input.shape()) + " leaves nothing (" +
                  std::to_string(OH) + " x " + std::to_string(OW) + ")");
  Tensor out({N, C, OH, OW});
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t y = 0; y < OH; ++y) {
        const int64_t sy = y - low.h;
        if (sy < 0 || sy >= H) continue;
        for (int64_t x = 0; x < OW; ++x) {
          const int64_t sx = x - low.w;
          if (sx >= 0 && sx < W) out.at(n, c, y, x) = input.at(n, c, sy, sx);
        }
      }
  return out;
}

Tensor transposed_conv_weight_as_conv2d(const Tensor& weight, int64_t groups) {
  const int64_t Cin = weight.size(0), Cog = weight.size(1), KH = weight.size(2), KW = weight.size(3);
  const int64_t Cig = Cin / groups;
  Tensor out({Cog * groups, Cig, KH, KW});
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t ci = 0; ci < Cig; ++ci)
      for (int64_t co = 0; co < Cog; ++co)
        for (int64_t ky = 0; ky < KH; ++ky)
          for (int64_t kx = 0; kx < KW; ++kx)
            out.at(g * Cog + co, ci, ky, kx) = weight.at(g * Cig + ci, co, KH - 1 - ky, KW - 1 - kx);
  return out;
}

ScatterConvolveSteps scatter_then_convolve(const Tensor& input, const Tensor& weight, const Tensor* bias,
                                           const ConvTranspose2dParams& params) {
  const ConvTranspose2dGeometry g = validate_conv_transpose2d(
      input.shape(), weight.shape(), bias ? std::optional<Shape>(bias->shape()) : std::nullopt, params);
  const Tensor x = as_batched(input);
  ScatterConvolveSteps steps;
  steps.zero_inserted = zero_insert(x, params.stride);
  steps.pad_low = {params.dilation.h * (g.kernel_h - 1) - params.padding.h,
                   params.dilation.w * (g.kernel_w - 1) - params.padding.w};
  // The far side is cropped by the end padding (ONNX's pads may differ from the begin) and extended by op.
  const IntPair end = params.end_padding();
  steps.pad_high = {params.dilation.h * (g.kernel_h - 1) - end.h + params.output_padding.h,
                    params.dilation.w * (g.kernel_w - 1) - end.w + params.output_padding.w};
  steps.padded = pad_or_crop(steps.zero_inserted, steps.pad_low, steps.pad_high);
  steps.transformed_weight = transposed_conv_weight_as_conv2d(weight, params.groups);
  std::optional<Tensor> flat_bias;
  if (bias) flat_bias = bias->reshaped({bias->numel()});
  steps.convolved = conv2d_reference(steps.padded, steps.transformed_weight, flat_bias ? &*flat_bias : nullptr,
                                     Conv2dParams{1, 0, params.dilation, params.groups});
  steps.direct = as_batched(conv_transpose2d_reference(input, weight, bias, params));
  steps.max_abs_difference = max_abs_difference(steps.convolved, steps.direct);
  return steps;
}

ChannelSlice channel_slice(const Tensor& input, const Tensor& weight, const ConvTranspose2dParams& params,
                           int64_t batch_index, int64_t in_channel, int64_t out_channel) {
  const ConvTranspose2dGeometry g = validate_conv_transpose2d(input.shape(), weight.shape(), std::nullopt, params);
  if (batch_index < 0 || batch_index >= g.batch)
    throw_invalid("batch index " + std::to_string(batch_index) + " is out of range [0, " + std::to_string(g.batch) + ")");
  if (in_channel < 0 || in_channel >= g.in_channels)
    throw_invalid("input channel " + std::to_string(in_channel) + " is out of range [0, " +
                  std::to_string(g.in_channels) + ")");
  if (out_channel < 0 || out_channel >= g.out_channels)
    throw_invalid("output channel " + std::to_string(out_channel) + " is out of range [0, " +
                  std::to_string(g.out_channels) + ")");
  const int64_t in_group = in_channel / g.in_channels_per_group, out_group = out_channel / g.out_channels_per_group;
  if (in_group != out_group)
    throw_invalid("input channel " + std::to_string(in_channel) + " (group " + std::to_string(in_group) +
                  ") does not feed output channel " + std::to_string(out_channel) + " (group " +
                  std::to_string(out_group) + ") with groups=" + std::to_string(params.groups));

  const Tensor x = as_batched(input);
  ChannelSlice slice{Tensor({1, 1, g.in_h, g.in_w}), Tensor({1, 1, g.kernel_h, g.kernel_w}), params};
  slice.params.groups = 1;
  for (int64_t y = 0; y < g.in_h; ++y)
    for (int64_t xx = 0; xx < g.in_w; ++xx) slice.input_plane.at(0, 0, y, xx) = x.at(batch_index, in_channel, y, xx);
  const int64_t co_local = out_channel % g.out_channels_per_group;
  for (int64_t ky = 0; ky < g.kernel_h; ++ky)
    for (int64_t kx = 0; kx < g.kernel_w; ++kx) slice.kernel.at(0, 0, ky, kx) = weight.at(in_channel, co_local, ky, kx);
  return slice;
}

int64_t first_output_channel_fed_by(const ConvTranspose2dGeometry& geometry, int64_t in_channel) {
  return (in_channel / geometry.in_channels_per_group) * geometry.out_channels_per_group;
}

ScatterConvolveSteps scatter_then_convolve_slice(const Tensor& input, const Tensor& weight,
                                                 const ConvTranspose2dParams& params, int64_t batch_index,
                                                 int64_t in_channel, int64_t out_channel) {
  const ChannelSlice slice = channel_slice(input, weight, params, batch_index, in_channel, out_channel);
  return scatter_then_convolve(slice.input_plane, slice.kernel, nullptr, slice.params);
}

Tensor resize_then_convolve(const Tensor& input, const Tensor& weight, const ConvTranspose2dParams& params,
                            int64_t batch_index, int64_t out_channel, InterpolateMode mode) {
  const ConvTranspose2dGeometry g = validate_conv_transpose2d(input.shape(), weight.shape(), std::nullopt, params);
  if (batch_index < 0 || batch_index >= g.batch || out_channel < 0 || out_channel >= g.out_channels)
    throw_invalid("resize_then_convolve: batch " + std::to_string(batch_index) + " or output channel " +
                  std::to_string(out_channel) + " is out of range");
  const Tensor x = as_batched(input);
  const int64_t group = out_channel / g.out_channels_per_group, co_local = out_channel % g.out_channels_per_group;
  // The group's input channels of one sample, and the flipped kernels that feed this output channel.
  Tensor group_input({1, g.in_channels_per_group, g.in_h, g.in_w});
  Tensor kernels({1, g.in_channels_per_group, g.kernel_h, g.kernel_w});
  for (int64_t ci = 0; ci < g.in_channels_per_group; ++ci) {
    const int64_t channel = group * g.in_channels_per_group + ci;
    for (int64_t y = 0; y < g.in_h; ++y)
      for (int64_t xx = 0; xx < g.in_w; ++xx) group_input.at(0, ci, y, xx) = x.at(batch_index, channel, y, xx);
    for (int64_t ky = 0; ky < g.kernel_h; ++ky)
      for (int64_t kx = 0; kx < g.kernel_w; ++kx)
        kernels.at(0, ci, ky, kx) = weight.at(channel, co_local, g.kernel_h - 1 - ky, g.kernel_w - 1 - kx);
  }
  InterpolateParams resize;
  resize.mode = mode;
  resize.scale_h = static_cast<double>(params.stride.h);
  resize.scale_w = static_cast<double>(params.stride.w);
  const Tensor resized = interpolate_reference(group_input, resize);
  const IntPair padding{params.dilation.h * (g.kernel_h - 1) / 2, params.dilation.w * (g.kernel_w - 1) / 2};
  // The fast conv2d: this comparison runs on the full upsampled image, often the biggest conv the views need.
  return cpu::conv2d_cpu(resized, kernels, nullptr, Conv2dParams{1, padding, params.dilation, 1});
}

}  // namespace convt
