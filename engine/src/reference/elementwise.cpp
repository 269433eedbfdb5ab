// The oracles for the small ops a training step composes around a convolution: pixel shuffle and unshuffle (each
// other's backward), the activations' backward passes, and the mse and l1 losses with their gradients. Plain loops,
// double where a sum is formed, PyTorch's conventions at the kinks (relu and l1 have derivative 0 at 0).
#include <convt/error.h>
#include <convt/reference.h>
#include <convt/stack.h>

#include <cmath>
#include <string>

namespace convt {
namespace {

// [N, C, H, W] or unbatched [C, H, W]: the four sizes, N = 1 for unbatched.
struct Dims {
  int64_t n, c, h, w;
};

Dims dims_of(const char* op, const Tensor& t) {
  if (t.dim() == 4) return {t.size(0), t.size(1), t.size(2), t.size(3)};
  if (t.dim() == 3) return {1, t.size(0), t.size(1), t.size(2)};
  throw_invalid(std::string(op) + ": input of shape " + shape_to_string(t.shape()) +
                    " must be 4-D [N, C, H, W] or unbatched 3-D [C, H, W]",
                "input");
}

Shape shape_like(const Tensor& t, Dims d) {
  return t.dim() == 4 ? Shape{d.n, d.c, d.h, d.w} : Shape{d.c, d.h, d.w};
}

void check_same_shape(const char* op, const Tensor& a, const char* a_name, const Tensor& b, const char* b_name) {
  if (a.shape() != b.shape())
    throw_invalid(std::string(op) + ": " + b_name + " has shape " + shape_to_string(b.shape()) + ", but " + a_name +
                      " has shape " + shape_to_string(a.shape()) + " (they must match)",
                  b_name);
}

}  // namespace

Tensor pixel_shuffle_reference(const Tensor& input, int64_t upscale_factor) {
  const int64_t r = upscale_factor;
  if (r < 1) throw_invalid("pixel_shuffle: upscale_factor=" + std::to_string(r) + " must be >= 1", "upscale_factor");
  const Dims in = dims_of("pixel_shuffle", input);
  if (in.c % (r * r) != 0)
    throw_invalid("pixel_shuffle: " + std::to_string(in.c) + " input channels are not divisible by upscale_factor^2 = " +
                      std::to_string(r * r),
                  "upscale_factor");
  const Dims out{in.n, in.c / (r * r), in.h * r, in.w * r};
  Tensor output(shape_like(input, out));
  // y[n, c, h*r + i, w*r + j] = x[n, c*r*r + i*r + j, h, w]: PyTorch's channel order.
  for (int64_t n = 0; n < out.n; ++n)
    for (int64_t c = 0; c < out.c; ++c)
      for (int64_t i = 0; i < r; ++i)
        for (int64_t j = 0; j < r; ++j)
          for (int64_t h = 0; h < in.h; ++h)
            for (int64_t w = 0; w < in.w; ++w)
              output[((n * out.c + c) * out.h + h * r + i) * out.w + w * r + j] =
                  input[((n * in.c + c * r * r + i * r + j) * in.h + h) * in.w + w];
  return output;
}

Tensor pixel_unshuffle_reference(const Tensor& input, int64_t downscale_factor) {
  const int64_t r = downscale_factor;
  if (r < 1) throw_invalid("pixel_unshuffle: downscale_factor=" + std::to_string(r) + " must be >= 1", "downscale_factor");
  const Dims in = dims_of("pixel_unshuffle", input);
  if (in.h % r != 0 || in.w % r != 0)
    throw_invalid("pixel_unshuffle: height " + std::to_string(in.h) + " and width " + std::to_string(in.w) +
                      " must be divisible by downscale_factor=" + std::to_string(r),
                  "downscale_factor");
  const Dims out{in.n, in.c * r * r, in.h / r, in.w / r};
  Tensor output(shape_like(input, out));
  // y[n, c*r*r + i*r + j, h, w] = x[n, c, h*r + i, w*r + j]: the inverse of pixel_shuffle.
  for (int64_t n = 0; n < in.n; ++n)
    for (int64_t c = 0; c < in.c; ++c)
      for (int64_t i = 0; i < r; ++i)
        for (int64_t j = 0; j < r; ++j)
          for (int64_t h = 0; h < out.h; ++h)
            for (int64_t w = 0; w < out.w; ++w)
              output[((n * out.c + c * r * r + i * r + j) * out.h + h) * out.w + w] =
                  input[((n * in.c + c) * in.h + h * r + i) * in.w + w * r + j];
  return output;
}

Tensor activation_reference(const Tensor& input, Activation activation, float negative_slope) {
  Tensor output = input;
  apply_activation(output, activation, negative_slope);
  return output;
}

Tensor activation_backward_reference(const Tensor& input, const Tensor& grad_output, Activation activation,
                                     float negative_slope) {
  check_same_shape("activation_backward", input, "input", grad_output, "grad_output");
  Tensor grad(input.shape());
  for (int64_t i = 0; i < input.numel(); ++i) {
    const double x = input[i], g = grad_output[i];
    double slope = 1;
    switch (activation) {
      case Activation::None: slope = 1; break;
      case Activation::ReLU: slope = x > 0 ? 1 : 0; break;  // PyTorch: 0 at x = 0
      case Activation::LeakyReLU: slope = x > 0 ? 1 : negative_slope; break;
      case Activation::Tanh: {
        const double t = std::tanh(x);
        slope = 1 - t * t;
        break;
      }
    }
    grad[i] = static_cast<float>(g * slope);
  }
  return grad;
}

double mse_loss_reference(const Tensor& input, const Tensor& target) {
  check_same_shape("mse_loss", input, "input", target, "target");
  double sum = 0;
  for (int64_t i = 0; i < input.numel(); ++i) {
    const double d = static_cast<double>(input[i]) - target[i];
    sum += d * d;
  }
  return input.numel() ? sum / static_cast<double>(input.numel()) : std::nan("");
}

Tensor mse_loss_backward_reference(const Tensor& input, const Tensor& target) {
  check_same_shape("mse_loss_backward", input, "input", target, "target");
  Tensor grad(input.shape());
  const double scale = 2.0 / static_cast<double>(input.numel());
  for (int64_t i = 0; i < input.numel(); ++i) grad[i] = static_cast<float>(scale * (static_cast<double>(input[i]) - target[i]));
  return grad;
}

double l1_loss_reference(const Tensor& input, const Tensor& target) {
  check_same_shape("l1_loss", input, "input", target, "target");
  double sum = 0;
  for (int64_t i = 0; i < input.numel(); ++i) sum += std::fabs(static_cast<double>(input[i]) - target[i]);
  return input.numel() ? sum / static_cast<double>(input.numel()) : std::nan("");
}

Tensor l1_loss_backward_reference(const Tensor& input, const Tensor& target) {
  check_same_shape("l1_loss_backward", input, "input", target, "target");
  Tensor grad(input.shape());
  const double scale = 1.0 / static_cast<double>(input.numel());
  for (int64_t i = 0; i < input.numel(); ++i) {
    const double d = static_cast<double>(input[i]) - target[i];
    grad[i] = static_cast<float>(d > 0 ? scale : d < 0 ? -scale : 0.0);  // PyTorch: sign(0) = 0
  }
  return grad;
}

}  // namespace convt
