// Random valid conv_transpose2d configurations for property tests and for checking fast paths against the
// reference: every parameter varies (asymmetric pairs, groups, dilation, output_padding allowed through stride or
// dilation, padding beyond the kernel extent, k < s, 1x1 inputs, batch, unbatched input, bias or not).
#pragma once

#include "test_util.h"

#include <convt/shape.h>
#include <convt/tensor.h>

#include <optional>
#include <random>

namespace convt::testing {

struct RandomCase {
  Tensor input;
  Tensor weight;
  std::optional<Tensor> bias;
  ConvTranspose2dParams params;
};

inline RandomCase random_conv_transpose2d_case(std::mt19937_64& rng, int64_t max_spatial = 9) {
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (;;) {
    ConvTranspose2dParams params;
    params.groups = pick(1, 3);
    params.stride = {pick(1, 4), pick(1, 4)};
    params.dilation = {pick(1, 3), pick(1, 3)};
    const IntPair kernel{pick(1, 5), pick(1, 5)};
    params.padding = {pick(0, 4), pick(0, 4)};
    // output_padding < max(stride, dilation), per axis.
    params.output_padding = {pick(0, std::max(params.stride.h, params.dilation.h) - 1),
                             pick(0, std::max(params.stride.w, params.dilation.w) - 1)};
    const int64_t in_per_group = pick(1, 3), out_per_group = pick(1, 3);
    const int64_t channels = in_per_group * params.groups;
    const bool batched = pick(0, 4) != 0;
    const Shape spatial{pick(1, max_spatial), pick(1, max_spatial)};
    const Shape input_shape = batched ? Shape{pick(1, 3), channels, spatial[0], spatial[1]}
                                      : Shape{channels, spatial[0], spatial[1]};
    const Shape weight_shape{channels, out_per_group, kernel.h, kernel.w};
    try {
      validate_conv_transpose2d(input_shape, weight_shape, std::nullopt, params);
    } catch (const std::exception&) {
      continue;  // output size < 1: draw again
    }
    RandomCase c{Tensor::randn(input_shape, rng()), Tensor::randn(weight_shape, rng()), std::nullopt, params};
    if (pick(0, 1)) c.bias = Tensor::randn({out_per_group * params.groups}, rng());
    return c;
  }
}

// Random conv2d parameters (groups, stride, padding, dilation up to 3); the caller draws shapes and skips the
// combinations validate_conv2d refuses.
inline Conv2dParams random_conv2d_params(std::mt19937_64& rng) {
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  Conv2dParams p;
  p.groups = pick(1, 3);
  p.stride = {pick(1, 3), pick(1, 3)};
  p.padding = {pick(0, 3), pick(0, 3)};
  p.dilation = {pick(1, 3), pick(1, 3)};
  return p;
}

// A random valid conv2d case with bias, and the sum of absolute terms at every output (the tolerance scale).
struct RandomConv2dCase {
  Tensor input, weight, bias;
  Conv2dParams params;
  Tensor scale;
};

inline RandomConv2dCase random_conv2d_case(std::mt19937_64& rng) {
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (;;) {
    const Conv2dParams p = random_conv2d_params(rng);
    const Shape x_shape{pick(1, 2), p.groups * pick(1, 3), pick(1, 11), pick(1, 11)};
    const Shape w_shape{p.groups * pick(1, 3), x_shape[1] / p.groups, pick(1, 4), pick(1, 4)};
    try {
      validate_conv2d(x_shape, w_shape, std::nullopt, p);
    } catch (const std::exception&) {
      continue;  // kernel larger than the padded input: draw again
    }
    RandomConv2dCase c{Tensor::randn(x_shape, rng()), Tensor::randn(w_shape, rng()), Tensor::randn({w_shape[0]}, rng()), p, {}};
    c.scale = conv2d_term_scale(c.input, c.weight, &c.bias, p);
    return c;
  }
}

}  // namespace convt::testing
