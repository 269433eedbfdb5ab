// conv_transpose2d when its input has very few pixels (a generator's first layer on a 1x1 latent, a bottleneck of
// 2x2): every pass through per-pixel columns, as PyTorch's own CPU path does, instead of the phase GEMM.
// - forward: columns[p][co*kH*kW + tap] = sum over ci of x[ci, p] * w[ci, co, tap] (a GEMM reading the weight in
//   place, row by row), then each column is added into the output at its taps (col2im);
// - grad_input: grad_output's taps gathered into columns, then one dot product per (ci, pixel) with the weight's row;
// - grad_weight: the same columns, summed per weight row over the pixels.
// The phase GEMM computes every tap of every output phase over whole tiles of pixels, so on a 1x1 input with a 4x4
// kernel 15 of its 16 products hit padding; these passes compute only products that land in the output.
#pragma once

#include <convt/params.h>
#include <convt/shape.h>

namespace convt::cpu {

// Whether the columns take this layer: when the phase GEMM would spend more than half its products on padding
// (or a test forces it), and the columns fit a modest buffer.
bool use_columns_path(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params);

// Whether the forward takes the columns: as use_columns_path, or when the input has so few pixels that the columns
// GEMM beats the phase GEMM on this microkernel (MicroKernel::columns_forward_pixels), or when strides whose product
// is 9 or more meet few pixels (MicroKernel::columns_for_many_phases).
bool use_columns_forward(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params);

// The passes, for a layer use_columns_path (the forward: use_columns_forward) accepts; each writes every element of
// its output once.
void conv_transpose2d_columns(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params,
                              const float* input, const float* weight, const float* bias, float* output);
void conv_transpose2d_grad_input_columns(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params,
                                         const float* weight, const float* grad_output, float* grad_input);
void conv_transpose2d_grad_weight_columns(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params,
                                          const float* input, const float* grad_output, float* grad_weight);

}  // namespace convt::cpu
