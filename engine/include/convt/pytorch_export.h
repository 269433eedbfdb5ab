// "Copy as PyTorch": the torch.nn.functional.conv_transpose2d call that does what a ConvT Lab layer does, so a
// finding in the lab can be pasted into a notebook or a model's code.
#pragma once

#include <convt/params.h>
#include <convt/stack.h>
#include <convt/tensor.h>

#include <string>
#include <vector>

namespace convt {

// E.g. "y = F.conv_transpose2d(x, weight, bias, stride=2, padding=1, output_padding=(1, 0), groups=1,
// dilation=1)  # x: [1, 64, 16, 16], weight: [64, 128, 3, 3] -> y: [1, 128, 32, 31]". `input` and `output` are
// the Python variable names; pairs with equal members are written as ints, as PyTorch accepts both.
// The names of the Python variables a call reads and writes.
struct PytorchNames {
  std::string input = "x", output = "y", weight = "weight", bias = "bias";
};
std::string pytorch_conv_transpose2d_call(const ConvTranspose2dParams& params, bool has_bias, const Shape& input_shape,
                                          const Shape& weight_shape, const PytorchNames& names = {});

// A whole stack as a snippet: imports, then x -> h1 -> ... -> y with weights w1, w2, ... and biases b1, ...,
// each layer's activation as F.relu, F.leaky_relu or torch.tanh.
std::string pytorch_stack_code(const Shape& input_shape, const std::vector<StackLayerShape>& layers);

}  // namespace convt
