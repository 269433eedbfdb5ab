// Typed parameters of the convolution ops. Every spatial parameter is a (height, width) pair, as PyTorch's
// _pair(): an int given for both axes is a pair with equal members.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace convt {

struct IntPair {
  int64_t h = 0;
  int64_t w = 0;

  constexpr IntPair() = default;
  constexpr IntPair(int64_t both) : h(both), w(both) {}  // NOLINT: implicit like PyTorch's int-or-pair
  constexpr IntPair(int64_t height, int64_t width) : h(height), w(width) {}
  bool operator==(const IntPair&) const = default;
  int64_t operator[](int axis) const { return axis == 0 ? h : w; }
};

// "(2, 3)" or "2" when both members are equal.
std::string to_string(const IntPair& pair);

// `padding` is cropped from the top/left of the full output. PyTorch crops the same from the bottom/right;
// ONNX's pads may differ per end, so `padding_end`, when set, is the bottom/right crop. Set, it also lifts
// PyTorch's rule output_padding < max(stride, dilation), which ONNX does not have; the PyTorch front doors (the
// CLI, the app's layer, stacks, training) never set it, so they keep PyTorch's rules.
struct ConvTranspose2dParams {
  IntPair stride{1, 1};
  IntPair padding{0, 0};
  IntPair output_padding{0, 0};
  IntPair dilation{1, 1};
  int64_t groups = 1;
  std::optional<IntPair> padding_end = std::nullopt;
  bool operator==(const ConvTranspose2dParams&) const = default;

  // The bottom/right crop: padding_end when set, else padding.
  IntPair end_padding() const { return padding_end ? *padding_end : padding; }
  // True when the two ends differ, so no single PyTorch call has this padding.
  bool asymmetric() const { return padding_end && *padding_end != padding; }
};

struct Conv2dParams {
  IntPair stride{1, 1};
  IntPair padding{0, 0};
  IntPair dilation{1, 1};
  int64_t groups = 1;
  bool operator==(const Conv2dParams&) const = default;
};

enum class InterpolateMode { Nearest, Bilinear };

// Exactly one of size / scale_factor is set (has_size decides), as in F.interpolate.
struct InterpolateParams {
  InterpolateMode mode = InterpolateMode::Nearest;
  bool has_size = false;
  IntPair size{0, 0};
  double scale_h = 0.0;
  double scale_w = 0.0;
  bool align_corners = false;  // bilinear only
};

// The activations a stack layer or the training lab applies (F.relu, F.leaky_relu, torch.tanh).
enum class Activation { None, ReLU, LeakyReLU, Tanh };
// "none", "relu", "leaky_relu", "tanh": the names in enum order (the CLI, --set, workspaces, the app).
std::span<const char* const> activation_names();
Activation parse_activation(const std::string& name);
const char* to_string(Activation activation);

}  // namespace convt
