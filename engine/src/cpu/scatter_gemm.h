// conv_transpose2d's forward as one GEMM over the input's own pixels, each finished tile added into the output at
// its taps (a col2im done tile by tile, with no columns buffer):
//     columns[(co, tap)][pixel] = sum over ci of w[ci, co, tap] * x[ci, pixel]
//     y[co, pixel * s - p + tap * d] += columns[(co, tap)][pixel]
// The phase GEMM (strided_correlation.h) packs, for every output phase, each input pixel once per tap of that
// phase: a 4x4 kernel at stride 2 packs the input 16 times over. Here a tile's B is the input's channels of 16
// pixels, packed once, and the duplication moves to the scatter, which touches C_out * kH * kW floats per input
// pixel where the phase GEMM packed C_in * kH * kW. Private to the engine's CPU backend.
#pragma once

#include "strided_correlation.h"

#include <convt/params.h>
#include <convt/shape.h>

namespace convt::cpu {

// Whether conv_transpose2d's forward takes this path (or a test forced it): at stride > 1, with at least
// MicroKernel::scatter_in_per_out times as many input as output channels per group, and not for thin groups (`thin`:
// the direct kernels), where the phase GEMM would pack its input, or read it in place with half of its tiles' output
// channels or more left empty on a batch of several images (MicroKernel::scatter_for_empty_lanes; `phase_gemm` as
// strided_correlation.h's phase_gemm_input says).
bool use_scatter_gemm(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params, bool thin,
                      PhaseGemmInput phase_gemm);

// Writes every element of the output once (bias, or zero, plus the columns that land on it).
void conv_transpose2d_scatter_gemm(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params,
                                   const float* input, const float* weight, const float* bias, float* output);

}  // namespace convt::cpu
