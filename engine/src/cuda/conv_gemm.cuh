// The fast CUDA conv_transpose2d: phase-decomposed implicit GEMM with shared-memory tiling, exact FP32.
#pragma once

#include <convt/params.h>
#include <convt/shape.h>

namespace convt::cuda {

// Device pointers; geometry validated by the caller. Every output element is written exactly once.
void conv_transpose2d_gemm(const float* input, const float* weight, const float* bias, float* output,
                           const ConvTranspose2dGeometry& geometry, const ConvTranspose2dParams& params);

}  // namespace convt::cuda
