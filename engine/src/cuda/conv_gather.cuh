// The CUDA baseline kernels: one thread per output element, gathering exactly the terms of the definition with
// the phase math of common/phase_geometry.h (shared with the CPU, which tests it). Deterministic: no atomics, the
// same summation order every run.
#pragma once

#include <convt/params.h>
#include <convt/shape.h>

namespace convt::cuda {

// Device pointers; geometry validated by the caller.
void conv_transpose2d_gather(const float* input, const float* weight, const float* bias, float* output,
                             const ConvTranspose2dGeometry& geometry, const ConvTranspose2dParams& params);
void conv2d_gather(const float* input, const float* weight, const float* bias, float* output,
                   const Conv2dGeometry& geometry, const Conv2dParams& params);

}  // namespace convt::cuda
