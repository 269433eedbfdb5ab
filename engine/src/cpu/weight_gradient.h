// The weight gradient of either convolution is one reduction over the batch and the pixels:
//     G[g*CAg + a, b, ky, kx] = sum over n, y < A_h, x < A_w of
//                               A[n, g*CAg + a, y, x] * B[n, g*CBg + b, y*s_h - p_h + ky*d_h, x*s_w - p_w + kx*d_w]
// (B read as zero outside itself). conv2d's grad_weight [C_out, C_in/g, kH, kW] has A = grad_output, B = input;
// conv_transpose2d's [C_in, C_out/g, kH, kW] has A = input, B = grad_output: the same taps, roles swapped.
#pragma once

#include <convt/params.h>

#include <cstdint>

namespace convt::cpu {

struct WeightGradientProblem {
  int64_t batch = 1, groups = 1;
  int64_t a_channels = 0, a_h = 0, a_w = 0;  // the operand whose pixels are summed over
  int64_t b_channels = 0, b_h = 0, b_w = 0;  // the operand read at the strided, dilated taps
  int64_t kernel_h = 0, kernel_w = 0;
  IntPair stride{1, 1}, padding{0, 0}, dilation{1, 1};
};

// The rows and columns of B that the taps read (B's own at least), as a zero-padded copy of B must cover them.
struct TapExtent {
  int64_t y_lo, y_hi, x_lo, x_hi;
};
TapExtent b_tap_extent(const WeightGradientProblem& p);

// Writes every element of grad_weight ([a_channels, b_channels/groups, kH, kW]) once, threaded (OpenMP).
void weight_gradient(const WeightGradientProblem& problem, const float* a, const float* b, float* grad_weight);

// grad_bias[c] = sum over n and pixels of grad_output[n, c, ...], accumulated in double; every element written once.
void bias_gradient(const float* grad_output, int64_t batch, int64_t channels, int64_t plane, float* grad_bias);

}  // namespace convt::cpu
