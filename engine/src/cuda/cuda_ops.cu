// Host side of the CUDA ops: validation (the same rules and messages as every backend), a device-memory check,
// transfers through RAII buffers, the kernel, and errors with file and line.
#include "conv_gather.cuh"
#include "conv_gemm.cuh"
#include "cuda_check.h"
#include "cuda_ops.h"
#include "cuda_probe.h"

#include <convt/shape.h>

namespace convt::cuda {
namespace {

// Refuses up front, naming the bytes, a call whose operands would not fit in the device's free memory.
void check_device_memory(const Tensor& x, const Tensor& w, const Tensor* b, const Shape& output_shape) {
  const int64_t output_count = shape_numel(output_shape);
  const size_t needed = sizeof(float) * static_cast<size_t>(x.numel() + w.numel() + (b ? b->numel() : 0) + output_count);
  size_t free_bytes = 0, total_bytes = 0;
  CONVT_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  if (needed > free_bytes)
    throw Error(ErrorKind::OutOfMemoryBudget,
                "the CUDA backend would need " + std::to_string(needed) + " bytes of device memory for this call, but " +
                    std::to_string(free_bytes) + " are free on device 0",
                "backend");
}

// One call's device copies: inputs uploaded, output allocated (and poisoned on request), freed on every path.
struct DeviceOperands {
  DeviceBuffer input, weight, bias, output;
  DeviceOperands(const Tensor& x, const Tensor& w, const Tensor* b, const Tensor& y, bool poison)
      : input(static_cast<size_t>(x.numel())),
        weight(static_cast<size_t>(w.numel())),
        bias(b ? static_cast<size_t>(b->numel()) : 0),
        output(static_cast<size_t>(y.numel())) {
    input.upload(x.data());
    weight.upload(w.data());
    if (b) bias.upload(b->data());
    if (poison) output.poison();
  }
  const float* bias_or_null(const Tensor* b) const { return b ? bias.get() : nullptr; }
};

void require_tf32_device() {
  const DeviceProbe& device = probe_device();
  if (device.compute_capability < 80)
    throw_invalid("TF32 tensor cores need a CUDA device of compute capability 8.0 (sm_80) or newer; " +
                      device.description,
                  "backend");
}

}  // namespace

Tensor conv_transpose2d_cuda(const Tensor& input, const Tensor& weight, const Tensor* bias,
                             const ConvTranspose2dParams& params, Kernel kernel, bool poison_output) {
  const ConvTranspose2dGeometry g = validate_conv_transpose2d(
      input.shape(), weight.shape(), bias ? std::optional<Shape>(bias->shape()) : std::nullopt, params);
  if (kernel == Kernel::GemmTf32) require_tf32_device();
  CONVT_CUDA_CHECK(cudaSetDevice(0));  // the device the probe described, whatever this thread had current
  check_device_memory(input, weight, bias, g.output_shape());
  Tensor output(g.output_shape());
  DeviceOperands d(input, weight, bias, output, poison_output);
  const float* b = d.bias_or_null(bias);
  switch (kernel) {
    case Kernel::Gather: conv_transpose2d_gather(d.input.get(), d.weight.get(), b, d.output.get(), g, params); break;
    case Kernel::Gemm: conv_transpose2d_gemm(d.input.get(), d.weight.get(), b, d.output.get(), g, params); break;
    case Kernel::GemmTf32:
      conv_transpose2d_gemm(d.input.get(), d.weight.get(), b, d.output.get(), g, params, GemmMath::Tf32);
      break;
  }
  CONVT_CUDA_CHECK(cudaDeviceSynchronize());
  d.output.download(output.data());
  return output;
}

Tensor conv2d_cuda(const Tensor& input, const Tensor& weight, const Tensor* bias, const Conv2dParams& params,
                   bool poison_output) {
  const Conv2dGeometry g = validate_conv2d(input.shape(), weight.shape(),
                                           bias ? std::optional<Shape>(bias->shape()) : std::nullopt, params);
  CONVT_CUDA_CHECK(cudaSetDevice(0));
  check_device_memory(input, weight, bias, g.output_shape());
  Tensor output(g.output_shape());
  DeviceOperands d(input, weight, bias, output, poison_output);
  conv2d_gather(d.input.get(), d.weight.get(), d.bias_or_null(bias), d.output.get(), g, params);
  CONVT_CUDA_CHECK(cudaDeviceSynchronize());
  d.output.download(output.data());
  return output;
}

}  // namespace convt::cuda
