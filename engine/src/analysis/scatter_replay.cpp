// Scatter replay and receptive links: the scatter view of MATH.md (each input pixel stamps the kernel, scaled by
// its value, at (iy*s - p, ix*s - p)) one stamp at a time, and the links between input pixels, kernel taps and
// output pixels that the app highlights on hover.
#include <convt/analysis.h>
#include <convt/error.h>

namespace convt {

ScatterReplay::ScatterReplay(const Tensor& input, const Tensor& weight, const Tensor* bias,
                             const ConvTranspose2dParams& params, int64_t batch_index, int64_t out_channel)
    : params_(params),
      geometry_(validate_conv_transpose2d(input.shape(), weight.shape(),
                                          bias ? std::optional<Shape>(bias->shape()) : std::nullopt, params)),
      batch_index_(batch_index),
      out_channel_(out_channel) {
  const ConvTranspose2dGeometry& g = geometry_;
  if (batch_index < 0 || batch_index >= g.batch)
    throw_invalid("batch index " + std::to_string(batch_index) + " is out of range [0, " + std::to_string(g.batch) + ")");
  if (out_channel < 0 || out_channel >= g.out_channels)
    throw_invalid("output channel " + std::to_string(out_channel) + " is out of range [0, " +
                  std::to_string(g.out_channels) + ")");
  const int64_t group = out_channel / g.out_channels_per_group;
  const int64_t co_local = out_channel % g.out_channels_per_group;
  const int64_t plane = g.in_h * g.in_w, taps = g.kernel_h * g.kernel_w;
  input_planes_.resize(static_cast<size_t>(g.in_channels_per_group * plane));
  kernels_.resize(static_cast<size_t>(g.in_channels_per_group * taps));
  for (int64_t ci = 0; ci < g.in_channels_per_group; ++ci) {
    const int64_t channel = group * g.in_channels_per_group + ci;
    const float* source = input.data() + (batch_index * g.in_channels + channel) * plane;
    std::copy(source, source + plane, input_planes_.begin() + ci * plane);
    const float* kernel = weight.data() + (channel * g.out_channels_per_group + co_local) * taps;
    std::copy(kernel, kernel + taps, kernels_.begin() + ci * taps);
    for (int64_t iy = 0; iy < g.in_h; ++iy)
      for (int64_t ix = 0; ix < g.in_w; ++ix) stamp_pixels_.push_back({ci, iy, ix});
  }
  if (bias) bias_value_ = (*bias)[out_channel];
}

float ScatterReplay::input_value(const Pixel& pixel) const {
  return input_planes_[static_cast<size_t>((pixel.in_channel * geometry_.in_h + pixel.iy) * geometry_.in_w + pixel.ix)];
}

std::vector<StampTap> ScatterReplay::taps_inside(const Pixel& pixel) const {
  std::vector<StampTap> taps;
  for (int64_t ky = 0; ky < geometry_.kernel_h; ++ky) {
    const int64_t oy = pixel.iy * params_.stride.h - params_.padding.h + ky * params_.dilation.h;
    if (oy < 0 || oy >= geometry_.out_h) continue;
    for (int64_t kx = 0; kx < geometry_.kernel_w; ++kx) {
      const int64_t ox = pixel.ix * params_.stride.w - params_.padding.w + kx * params_.dilation.w;
      if (ox >= 0 && ox < geometry_.out_w) taps.push_back({ky, kx, oy, ox});
    }
  }
  return taps;
}

ScatterStamp ScatterReplay::stamp(int64_t t) const {
  if (t < 0 || t >= stamp_count())
    throw_invalid("stamp " + std::to_string(t) + " is out of range [0, " + std::to_string(stamp_count()) + ")");
  const Pixel& pixel = stamp_pixels_[static_cast<size_t>(t)];
  const int64_t channel = (out_channel_ / geometry_.out_channels_per_group) * geometry_.in_channels_per_group +
                          pixel.in_channel;
  return {channel,
          pixel.iy,
          pixel.ix,
          input_value(pixel),
          pixel.iy * params_.stride.h - params_.padding.h,
          pixel.ix * params_.stride.w - params_.padding.w,
          taps_inside(pixel)};
}

Tensor ScatterReplay::partial_output(int64_t t) const {
  if (t < 0 || t > stamp_count())
    throw_invalid("stamp count " + std::to_string(t) + " is out of range [0, " + std::to_string(stamp_count()) + "]");
  const int64_t OH = geometry_.out_h, OW = geometry_.out_w, KH = geometry_.kernel_h, KW = geometry_.kernel_w;
  // Double accumulation, as the reference, so the full replay equals the reference output.
  std::vector<double> sums(static_cast<size_t>(OH * OW), static_cast<double>(bias_value_));
  for (int64_t s = 0; s < t; ++s) {
    const Pixel& pixel = stamp_pixels_[static_cast<size_t>(s)];
    const double value = input_value(pixel);
    const float* kernel = kernels_.data() + pixel.in_channel * KH * KW;
    for (const StampTap& tap : taps_inside(pixel))
      sums[static_cast<size_t>(tap.oy * OW + tap.ox)] += value * kernel[tap.ky * KW + tap.kx];
  }
  Tensor out({OH, OW});
  for (int64_t i = 0; i < out.numel(); ++i) out[i] = static_cast<float>(sums[static_cast<size_t>(i)]);
  return out;
}

std::vector<SpatialLink> links_to_output(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& p, int64_t oy,
                                         int64_t ox) {
  std::vector<SpatialLink> links;
  if (oy < 0 || oy >= g.out_h || ox < 0 || ox >= g.out_w) return links;
  for (int64_t ky = 0; ky < g.kernel_h; ++ky) {
    const int64_t ty = oy + p.padding.h - ky * p.dilation.h;
    if (ty < 0 || ty % p.stride.h != 0 || ty / p.stride.h >= g.in_h) continue;
    for (int64_t kx = 0; kx < g.kernel_w; ++kx) {
      const int64_t tx = ox + p.padding.w - kx * p.dilation.w;
      if (tx < 0 || tx % p.stride.w != 0 || tx / p.stride.w >= g.in_w) continue;
      links.push_back({ty / p.stride.h, tx / p.stride.w, ky, kx, oy, ox});
    }
  }
  return links;
}

std::vector<SpatialLink> links_from_input(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& p, int64_t iy,
                                          int64_t ix) {
  std::vector<SpatialLink> links;
  if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) return links;
  for (int64_t ky = 0; ky < g.kernel_h; ++ky) {
    const int64_t oy = iy * p.stride.h - p.padding.h + ky * p.dilation.h;
    if (oy < 0 || oy >= g.out_h) continue;
    for (int64_t kx = 0; kx < g.kernel_w; ++kx) {
      const int64_t ox = ix * p.stride.w - p.padding.w + kx * p.dilation.w;
      if (ox >= 0 && ox < g.out_w) links.push_back({iy, ix, ky, kx, oy, ox});
    }
  }
  return links;
}

}  // namespace convt
