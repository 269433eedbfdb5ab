// The CUDA backend's host entry points, as plain C++ (no CUDA headers), so backend.cpp and the tests compile
// the same with or without nvcc. Without CUDA support the functions throw convt::Error saying so.
#pragma once

#include <convt/params.h>
#include <convt/tensor.h>

namespace convt::cuda {

enum class Kernel {
  Gather,  // one thread per output element: the deterministic baseline
  Gemm,    // phase-decomposed implicit GEMM with shared-memory tiles, exact FP32: the fast path
  GemmTf32,  // the same GEMM on TF32 tensor cores (10-bit mantissa products, FP32 sums); sm_80 and newer only
};

// Uploads, runs the kernel on device 0, downloads. The device memory the call needs is checked against what is
// free first, and a shortfall is refused naming the bytes. `poison_output` fills the device output with NaN first
// (tests use it to catch unwritten elements).
Tensor conv_transpose2d_cuda(const Tensor& input, const Tensor& weight, const Tensor* bias,
                             const ConvTranspose2dParams& params, Kernel kernel = Kernel::Gemm,
                             bool poison_output = false);
Tensor conv2d_cuda(const Tensor& input, const Tensor& weight, const Tensor* bias, const Conv2dParams& params,
                   bool poison_output = false);

}  // namespace convt::cuda
