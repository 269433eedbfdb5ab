// Host side of the CUDA ops: validation (the same rules and messages as every backend), transfers through RAII
// buffers, the kernel, and errors with file and line.
#include "conv_gather.cuh"
#include "conv_gemm.cuh"
#include "cuda_check.h"
#include "cuda_ops.h"

#include <convt/shape.h>

namespace convt::cuda {

Tensor conv_transpose2d_cuda(const Tensor& input, const Tensor& weight, const Tensor* bias,
                             const ConvTranspose2dParams& params, Kernel kernel, bool poison_output) {
  const ConvTranspose2dGeometry g = validate_conv_transpose2d(
      input.shape(), weight.shape(), bias ? std::optional<Shape>(bias->shape()) : std::nullopt, params);
  Tensor output(g.output_shape());
  DeviceBuffer d_input(static_cast<size_t>(input.numel())), d_weight(static_cast<size_t>(weight.numel()));
  DeviceBuffer d_bias(bias ? static_cast<size_t>(bias->numel()) : 0), d_output(static_cast<size_t>(output.numel()));
  d_input.upload(input.data());
  d_weight.upload(weight.data());
  if (bias) d_bias.upload(bias->data());
  if (poison_output) d_output.poison();
  if (kernel == Kernel::Gather)
    conv_transpose2d_gather(d_input.get(), d_weight.get(), bias ? d_bias.get() : nullptr, d_output.get(), g, params);
  else
    conv_transpose2d_gemm(d_input.get(), d_weight.get(), bias ? d_bias.get() : nullptr, d_output.get(), g, params);
  CONVT_CUDA_CHECK(cudaDeviceSynchronize());
  d_output.download(output.data());
  return output;
}

Tensor conv2d_cuda(const Tensor& input, const Tensor& weight, const Tensor* bias, const Conv2dParams& params,
                   bool poison_output) {
  const Conv2dGeometry g = validate_conv2d(input.shape(), weight.shape(),
                                           bias ? std::optional<Shape>(bias->shape()) : std::nullopt, params);
  Tensor output(g.output_shape());
  DeviceBuffer d_input(static_cast<size_t>(input.numel())), d_weight(static_cast<size_t>(weight.numel()));
  DeviceBuffer d_bias(bias ? static_cast<size_t>(bias->numel()) : 0), d_output(static_cast<size_t>(output.numel()));
  d_input.upload(input.data());
  d_weight.upload(weight.data());
  if (bias) d_bias.upload(bias->data());
  if (poison_output) d_output.poison();
  conv2d_gather(d_input.get(), d_weight.get(), bias ? d_bias.get() : nullptr, d_output.get(), g, params);
  CONVT_CUDA_CHECK(cudaDeviceSynchronize());
  d_output.download(output.data());
  return output;
}

}  // namespace convt::cuda
