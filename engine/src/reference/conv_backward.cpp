// The oracles for the backward passes of conv_transpose2d and conv2d. Each forward output is a sum of terms
// x[input element] * w[weight element] (plus the bias); the gradient of <grad_output, y> with respect to one factor
// of a term is grad_output at the term's output times the other factor. So each function below walks every term of
// the forward definition once, exactly as the forward references do, and adds both products, in double. No
// transposes, flips or phase tricks: the fast paths are tested against this, so it has to be obviously right.
#include <convt/error.h>
#include <convt/reference.h>
#include <convt/shape.h>

#include <vector>

namespace convt {
namespace {

// Double accumulators, rounded to float32 once at the end.
Tensor to_tensor(const std::vector<double>& values, const Shape& shape) {
  Tensor t(shape);
  for (size_t i = 0; i < values.size(); ++i) t[static_cast<int64_t>(i)] = static_cast<float>(values[i]);
  return t;
}

std::optional<Tensor> bias_gradient(bool with_bias, const Tensor& grad_output, int64_t batch, int64_t channels,
                                    int64_t plane) {
  if (!with_bias) return std::nullopt;
  std::vector<double> sums(static_cast<size_t>(channels), 0.0);
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t i = 0; i < plane; ++i) sums[static_cast<size_t>(c)] += grad_output[(n * channels + c) * plane + i];
  return to_tensor(sums, {channels});
}

}  // namespace

ConvGradients conv_transpose2d_backward_reference(const Tensor& input, const Tensor& weight, bool with_bias,
                                                  const Tensor& grad_output, const ConvTranspose2dParams& params) {
  const ConvTranspose2dGeometry g = validate_conv_transpose2d(input.shape(), weight.shape(), std::nullopt, params);
  validate_grad_output("conv_transpose2d", g.output_shape(), grad_output.shape());
  const int64_t H = g.in_h, W = g.in_w, OH = g.out_h, OW = g.out_w, KH = g.kernel_h, KW = g.kernel_w;
  const int64_t Cin = g.in_channels, Cout = g.out_channels, Cig = g.in_channels_per_group, Cog = g.out_channels_per_group;
  std::vector<double> grad_input(static_cast<size_t>(input.numel()), 0.0), grad_weight(static_cast<size_t>(weight.numel()), 0.0);
  // Every term of y[n, g*Cog + co, oy, ox] += x[n, g*Cig + ci, iy, ix] * w[g*Cig + ci, co, ky, kx], oy = iy*s - p + ky*d.
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t group = 0; group < g.groups; ++group)
      for (int64_t ci = 0; ci < Cig; ++ci)
        for (int64_t co = 0; co < Cog; ++co) {
          const int64_t in_channel = group * Cig + ci, out_channel = group * Cog + co;
          for (int64_t iy = 0; iy < H; ++iy)
            for (int64_t ix = 0; ix < W; ++ix)
              for (int64_t ky = 0; ky < KH; ++ky)
                for (int64_t kx = 0; kx < KW; ++kx) {
                  const int64_t oy = iy * params.stride.h - params.padding.h + ky * params.dilation.h;
                  const int64_t ox = ix * params.stride.w - params.padding.w + kx * params.dilation.w;
                  if (oy < 0 || oy >= OH || ox < 0 || ox >= OW) continue;
                  const int64_t x_index = ((n * Cin + in_channel) * H + iy) * W + ix;
                  const int64_t w_index = ((in_channel * Cog + co) * KH + ky) * KW + kx;
                  const double gy = grad_output[((n * Cout + out_channel) * OH + oy) * OW + ox];
                  grad_input[static_cast<size_t>(x_index)] += gy * static_cast<double>(weight[w_index]);
                  grad_weight[static_cast<size_t>(w_index)] += gy * static_cast<double>(input[x_index]);
                }
        }
  return {to_tensor(grad_input, input.shape()), to_tensor(grad_weight, weight.shape()),
          bias_gradient(with_bias, grad_output, g.batch, Cout, OH * OW)};
}

ConvGradients conv2d_backward_reference(const Tensor& input, const Tensor& weight, bool with_bias,
                                        const Tensor& grad_output, const Conv2dParams& params) {
  const Conv2dGeometry g = validate_conv2d(input.shape(), weight.shape(), std::nullopt, params);
  validate_grad_output("conv2d", g.output_shape(), grad_output.shape());
  const int64_t H = g.in_h, W = g.in_w, OH = g.out_h, OW = g.out_w, KH = g.kernel_h, KW = g.kernel_w;
  const int64_t Cin = g.in_channels, Cout = g.out_channels, Cig = g.in_channels_per_group, Cog = g.out_channels_per_group;
  std::vector<double> grad_input(static_cast<size_t>(input.numel()), 0.0), grad_weight(static_cast<size_t>(weight.numel()), 0.0);
  // Every term of y[n, co, oy, ox] += x[n, group*Cig + ci, iy, ix] * w[co, ci, ky, kx], iy = oy*s - p + ky*d.
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t co = 0; co < Cout; ++co) {
      const int64_t group = co / Cog;
      for (int64_t ci = 0; ci < Cig; ++ci)
        for (int64_t oy = 0; oy < OH; ++oy)
          for (int64_t ox = 0; ox < OW; ++ox) {
            const double gy = grad_output[((n * Cout + co) * OH + oy) * OW + ox];
            for (int64_t ky = 0; ky < KH; ++ky)
              for (int64_t kx = 0; kx < KW; ++kx) {
                const int64_t iy = oy * params.stride.h - params.padding.h + ky * params.dilation.h;
                const int64_t ix = ox * params.stride.w - params.padding.w + kx * params.dilation.w;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                const int64_t x_index = ((n * Cin + group * Cig + ci) * H + iy) * W + ix;
                const int64_t w_index = ((co * Cig + ci) * KH + ky) * KW + kx;
                grad_input[static_cast<size_t>(x_index)] += gy * static_cast<double>(weight[w_index]);
                grad_weight[static_cast<size_t>(w_index)] += gy * static_cast<double>(input[x_index]);
              }
          }
    }
  return {to_tensor(grad_input, input.shape()), to_tensor(grad_weight, weight.shape()),
          bias_gradient(with_bias, grad_output, g.batch, Cout, OH * OW)};
}

}  // namespace convt
