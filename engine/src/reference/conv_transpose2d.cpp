// The oracle for conv_transpose2d. It gathers, for every output element, exactly the terms of the definition
// in MATH.md (oy = iy*s - p + ky*d, the same per x axis) and sums them in double, so its error against exact
// arithmetic is far below float32 rounding. Deliberately no tiling, no phases, no SIMD: fast paths are tested
// against this, so it has to be obviously right rather than quick.
#include <convt/reference.h>
#include <convt/shape.h>

#include <vector>

namespace convt {
namespace {

struct Tap {
  int64_t kernel_index;  // ky (or kx)
  int64_t input_index;   // iy (or ix)
};

// The (k, i) pairs with o = i*s - p + k*d and 0 <= i < input_size, for one output position on one axis.
std::vector<Tap> taps_landing_on(int64_t o, int64_t input_size, int64_t kernel, int64_t stride, int64_t padding,
                                 int64_t dilation) {
  std::vector<Tap> taps;
  for (int64_t k = 0; k < kernel; ++k) {
    const int64_t scaled = o + padding - k * dilation;  // = i * s
    if (scaled < 0 || scaled % stride != 0) continue;
    const int64_t i = scaled / stride;
    if (i < input_size) taps.push_back({k, i});
  }
  return taps;
}

}  // namespace

Tensor conv_transpose2d_reference(const Tensor& input, const Tensor& weight, const Tensor* bias,
                                  const ConvTranspose2dParams& params) {
  const ConvTranspose2dGeometry g = validate_conv_transpose2d(
      input.shape(), weight.shape(), bias ? std::optional<Shape>(bias->shape()) : std::nullopt, params);
  Tensor output(g.output_shape());

  const int64_t H = g.in_h, W = g.in_w, OH = g.out_h, OW = g.out_w;
  const int64_t KH = g.kernel_h, KW = g.kernel_w;
  const int64_t Cin = g.in_channels, Cig = g.in_channels_per_group, Cog = g.out_channels_per_group;
  const float* x = input.data();
  const float* w = weight.data();
  float* y = output.data();

  std::vector<std::vector<Tap>> row_taps(static_cast<size_t>(OH)), col_taps(static_cast<size_t>(OW));
  for (int64_t oy = 0; oy < OH; ++oy)
    row_taps[static_cast<size_t>(oy)] =
        taps_landing_on(oy, H, KH, params.stride.h, params.padding.h, params.dilation.h);
  for (int64_t ox = 0; ox < OW; ++ox)
    col_taps[static_cast<size_t>(ox)] =
        taps_landing_on(ox, W, KW, params.stride.w, params.padding.w, params.dilation.w);

  for (int64_t n = 0; n < g.batch; ++n) {
    for (int64_t group = 0; group < g.groups; ++group) {
      for (int64_t co = 0; co < Cog; ++co) {
        const int64_t out_channel = group * Cog + co;
        for (int64_t oy = 0; oy < OH; ++oy) {
          for (int64_t ox = 0; ox < OW; ++ox) {
            double sum = bias ? static_cast<double>((*bias)[out_channel]) : 0.0;
            for (int64_t ci = 0; ci < Cig; ++ci) {
              const int64_t in_channel = group * Cig + ci;
              const float* x_plane = x + (n * Cin + in_channel) * H * W;
              const float* w_kernel = w + (in_channel * Cog + co) * KH * KW;
              for (const Tap& row : row_taps[static_cast<size_t>(oy)])
                for (const Tap& col : col_taps[static_cast<size_t>(ox)])
                  sum += static_cast<double>(x_plane[row.input_index * W + col.input_index]) *
                         static_cast<double>(w_kernel[row.kernel_index * KW + col.kernel_index]);
            }
            y[((n * g.out_channels + out_channel) * OH + oy) * OW + ox] = static_cast<float>(sum);
          }
        }
      }
    }
  }
  return output;
}

}  // namespace convt
