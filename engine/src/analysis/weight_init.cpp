// Weight initialisers worth teaching with: structured kernels that show what a transposed convolution can do
// (bilinear and nearest upsampling, the impulse that shows the scatter pattern) and the random ones real layers
// start from (PyTorch's default Kaiming-uniform for ConvTranspose2d).
#include <convt/analysis.h>
#include <convt/error.h>

#include "name_list.h"

#include <cmath>

namespace convt {
namespace {

// Puts a [kH, kW] kernel on the in-group channel diagonal of a [C_in, C_out/groups, kH, kW] weight.
Tensor on_channel_diagonal(const Shape& shape, const Tensor& kernel) {
  Tensor w(shape);
  const int64_t Cin = shape[0], Cog = shape[1], taps = shape[2] * shape[3];
  for (int64_t ci = 0; ci < Cin; ++ci)
    for (int64_t co = 0; co < Cog; ++co)
      if (ci % Cog == co)
        std::copy(kernel.data(), kernel.data() + taps, w.data() + (ci * Cog + co) * taps);
  return w;
}

}  // namespace

std::span<const char* const> weight_init_names() {
  static constexpr const char* names[] = {"bilinear", "nearest", "constant", "impulse", "normal", "uniform", "kaiming"};
  return names;
}

WeightInit parse_weight_init(const std::string& name) {
  const int index = find_name(weight_init_names(), name);
  if (index < 0) throw_invalid("unknown weight initialiser '" + name + "': expected " + list_names(weight_init_names()));
  return static_cast<WeightInit>(index);
}

const char* to_string(WeightInit init) { return weight_init_names()[static_cast<size_t>(init)]; }

Tensor bilinear_kernel(IntPair kernel) {
  Tensor k({kernel.h, kernel.w});
  auto axis_weight = [](int64_t size, int64_t index) {
    const int64_t factor = (size + 1) / 2;
    const double centre = size % 2 == 1 ? factor - 1 : factor - 0.5;
    return 1.0 - std::fabs(static_cast<double>(index) - centre) / static_cast<double>(factor);
  };
  for (int64_t y = 0; y < kernel.h; ++y)
    for (int64_t x = 0; x < kernel.w; ++x)
      k[y * kernel.w + x] = static_cast<float>(axis_weight(kernel.h, y) * axis_weight(kernel.w, x));
  return k;
}

Tensor make_weight(WeightInit init, const Shape& shape, uint64_t seed, float value) {
  if (shape.size() != 4)
    throw_invalid("weight shape " + shape_to_string(shape) + " is invalid: expected [C_in, C_out/groups, kH, kW]");
  const IntPair kernel{shape[2], shape[3]};
  switch (init) {
    case WeightInit::Bilinear: return on_channel_diagonal(shape, bilinear_kernel(kernel));
    case WeightInit::Nearest: return on_channel_diagonal(shape, Tensor::ones({kernel.h, kernel.w}));
    case WeightInit::Impulse: {
      Tensor centre({kernel.h, kernel.w});
      centre[(kernel.h / 2) * kernel.w + kernel.w / 2] = 1.0f;
      return on_channel_diagonal(shape, centre);
    }
    case WeightInit::Constant: return Tensor::full(shape, value);
    case WeightInit::Normal: return Tensor::randn(shape, seed);
    case WeightInit::Uniform: return Tensor::uniform(shape, seed, -1.0f, 1.0f);
    case WeightInit::KaimingUniform: {
      // kaiming_uniform_(a=sqrt(5)): gain sqrt(2/(1+5)), bound gain*sqrt(3/fan_in) = 1/sqrt(fan_in); PyTorch's
      // fan_in for a transposed-conv weight is weight.size(1) * kH * kW.
      const double bound = 1.0 / std::sqrt(static_cast<double>(shape[1] * kernel.h * kernel.w));
      return Tensor::uniform(shape, seed, static_cast<float>(-bound), static_cast<float>(bound));
    }
  }
  throw_invalid("unknown weight initialiser");
}

}  // namespace convt
