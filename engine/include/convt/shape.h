// Output-size rules and validation. Each axis keeps every term of the formula so a front end can print
// "(4-1)*2 - 2*2 + 1*(5-1) + 1 + 1 = 8" and update it live; validation implements every rule of MATH.md and
// throws convt::Error with a one-line message naming the parameter, its value and the rule.
#pragma once

#include <convt/params.h>
#include <convt/tensor.h>

#include <optional>
#include <string>

namespace convt {

// o = (i - 1)*s - 2p + d*(k - 1) + op + 1, one axis; with ONNX's asymmetric pads, - p_begin - p_end for - 2p.
struct TransposedAxisSize {
  int64_t input = 0;           // i
  int64_t stride = 1;          // s
  int64_t padding = 0;         // p (the begin crop when asymmetric)
  std::optional<int64_t> padding_end;  // set when the end crop is given separately (ONNX's pads)
  int64_t dilation = 1;        // d
  int64_t kernel = 1;          // k
  int64_t output_padding = 0;  // op
  int64_t output = 0;          // o (may be < 1 for an invalid configuration)

  // "(4-1)*2 - 2*2 + 1*(5-1) + 1 + 1 = 8", or with separate ends "(4-1)*2 - 1 - 2 + 1*(4-1) + 0 + 1 = 7"
  std::string formula() const;
  // "(i-1)*s - 2*p + d*(k-1) + op + 1"
  static const char* symbolic();
  // "(i-1)*s - p_begin - p_end + d*(k-1) + op + 1"
  static const char* symbolic_asymmetric();
};

TransposedAxisSize transposed_axis_size(int64_t input, int64_t kernel, int64_t stride, int64_t padding,
                                        int64_t output_padding, int64_t dilation);
// The same with the end crop given separately (ONNX's pads begin and end).
TransposedAxisSize transposed_axis_size(int64_t input, int64_t kernel, int64_t stride, int64_t padding_begin,
                                        int64_t padding_end, int64_t output_padding, int64_t dilation);

// o = floor((i + 2p - d*(k - 1) - 1) / s) + 1, one axis of a forward conv2d.
int64_t conv_axis_size(int64_t input, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation);

// Everything a validated conv_transpose2d call will do, resolved once.
struct ConvTranspose2dGeometry {
  bool batched = true;  // false for a 3-D [C, H, W] input
  int64_t batch = 1;
  int64_t in_channels = 0;
  int64_t in_h = 0, in_w = 0;
  int64_t out_channels = 0;  // weight.size(1) * groups
  int64_t kernel_h = 0, kernel_w = 0;
  int64_t out_h = 0, out_w = 0;
  int64_t groups = 1;
  int64_t in_channels_per_group = 0;
  int64_t out_channels_per_group = 0;
  TransposedAxisSize axis_h, axis_w;

  // [N, C_out, OH, OW], or [C_out, OH, OW] for unbatched input.
  Shape output_shape() const;
  // 2 * N * C_in * H * W * (C_out/groups) * kH * kW
  double useful_flops() const;
};

// Checks the parameter rules alone (no tensors): stride, dilation >= 1, padding (and padding_end) >= 0,
// output_padding >= 0 and, without padding_end (PyTorch's rules), below stride or dilation, groups >= 1.
void validate_params(const ConvTranspose2dParams& params);
// conv2d's parameter rules (stride and dilation >= 1, padding >= 0, groups >= 1), said of conv2d.
void validate_params(const Conv2dParams& params);
// The backward passes implement PyTorch's symmetric padding only: refuses a padding_end that differs from
// padding, naming `op`.
void require_symmetric_padding(const char* op, const ConvTranspose2dParams& params);

// Checks every rule for conv_transpose2d(input, weight, bias) and returns the resolved geometry; the output's
// byte size is checked against the memory budget too. `bias_shape` is empty when there is no bias.
ConvTranspose2dGeometry validate_conv_transpose2d(const Shape& input_shape, const Shape& weight_shape,
                                                  const std::optional<Shape>& bias_shape,
                                                  const ConvTranspose2dParams& params);

struct Conv2dGeometry {
  bool batched = true;
  int64_t batch = 1;
  int64_t in_channels = 0, in_h = 0, in_w = 0;
  int64_t out_channels = 0, kernel_h = 0, kernel_w = 0;
  int64_t out_h = 0, out_w = 0;
  int64_t groups = 1;
  int64_t in_channels_per_group = 0, out_channels_per_group = 0;
  Shape output_shape() const;
};

Conv2dGeometry validate_conv2d(const Shape& input_shape, const Shape& weight_shape,
                               const std::optional<Shape>& bias_shape, const Conv2dParams& params);

// A backward pass's grad_output must have the forward output's shape; otherwise InvalidArgument (parameter
// "grad_output") naming both, e.g. "conv2d_backward: grad_output has shape [..], but the forward output has shape [..]".
void validate_grad_output(const char* op, const Shape& expected, const Shape& grad_output);

// conv2d's grad_input is conv_transpose2d(grad_output, weight) with the same stride, padding, dilation and groups,
// and the output_padding that gives back the input's size: in - ((out - 1)*s - 2p + d*(k - 1) + 1) per axis, which
// is always below the stride (conv2d's floor dropped fewer than s rows).
ConvTranspose2dParams conv2d_grad_input_params(const Conv2dGeometry& geometry, const Conv2dParams& params);

}  // namespace convt
