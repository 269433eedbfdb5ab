// The fast CUDA conv_transpose2d: phase-decomposed implicit GEMM with shared-memory tiling. Exact FP32 by default
// (like PyTorch with TF32 disabled); TF32 tensor cores only when asked for, on sm_80 and newer.
#pragma once

#include <convt/params.h>
#include <convt/shape.h>

namespace convt::cuda {

enum class GemmMath { Fp32, Tf32 };

// Device pointers; geometry validated by the caller. Every output element is written exactly once.
void conv_transpose2d_gemm(const float* input, const float* weight, const float* bias, float* output,
                           const ConvTranspose2dGeometry& geometry, const ConvTranspose2dParams& params,
                           GemmMath math = GemmMath::Fp32);

}  // namespace convt::cuda
