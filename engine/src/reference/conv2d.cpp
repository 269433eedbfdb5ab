// The oracle for conv2d (cross-correlation, PyTorch semantics): every output element is the double-precision sum
// of its terms, y[n, co, oy, ox] = bias + sum x[n, ci, oy*s - p + ky*d, ox*s - p + kx*d] * w[co, ci', ky, kx].
#include <convt/reference.h>
#include <convt/shape.h>

namespace convt {

Tensor conv2d_reference(const Tensor& input, const Tensor& weight, const Tensor* bias, const Conv2dParams& params) {
  const Conv2dGeometry g = validate_conv2d(input.shape(), weight.shape(),
                                           bias ? std::optional<Shape>(bias->shape()) : std::nullopt, params);
  Tensor output(g.output_shape());

  const int64_t H = g.in_h, W = g.in_w, OH = g.out_h, OW = g.out_w, KH = g.kernel_h, KW = g.kernel_w;
  const int64_t Cig = g.in_channels_per_group, Cog = g.out_channels_per_group;
  const float* x = input.data();
  const float* w = weight.data();
  float* y = output.data();

  for (int64_t n = 0; n < g.batch; ++n) {
    for (int64_t co = 0; co < g.out_channels; ++co) {
      const int64_t group = co / Cog;
      for (int64_t oy = 0; oy < OH; ++oy) {
        for (int64_t ox = 0; ox < OW; ++ox) {
          double sum = bias ? static_cast<double>((*bias)[co]) : 0.0;
          for (int64_t ci = 0; ci < Cig; ++ci) {
            const float* x_plane = x + (n * g.in_channels + group * Cig + ci) * H * W;
            const float* w_kernel = w + (co * Cig + ci) * KH * KW;
            for (int64_t ky = 0; ky < KH; ++ky) {
              const int64_t iy = oy * params.stride.h - params.padding.h + ky * params.dilation.h;
              if (iy < 0 || iy >= H) continue;
              for (int64_t kx = 0; kx < KW; ++kx) {
                const int64_t ix = ox * params.stride.w - params.padding.w + kx * params.dilation.w;
                if (ix < 0 || ix >= W) continue;
                sum += static_cast<double>(x_plane[iy * W + ix]) * static_cast<double>(w_kernel[ky * KW + kx]);
              }
            }
          }
          y[((n * g.out_channels + co) * OH + oy) * OW + ox] = static_cast<float>(sum);
        }
      }
    }
  }
  return output;
}

}  // namespace convt
