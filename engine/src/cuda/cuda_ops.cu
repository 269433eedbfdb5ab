// Host side of the CUDA ops: validation (the same rules and messages as every backend), transfers through RAII
// buffers, the kernel, and errors with file and line.
#include "conv_gather.cuh"
#include "conv_gemm.cuh"
#include "cuda_check.h"
#include "cuda_ops.h"

#include <convt/shape.h>

namespace convt::cuda {
namespace {

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

}  // namespace

Tensor conv_transpose2d_cuda(const Tensor& input, const Tensor& weight, const Tensor* bias,
                             const ConvTranspose2dParams& params, Kernel kernel, bool poison_output) {
  const ConvTranspose2dGeometry g = validate_conv_transpose2d(
      input.shape(), weight.shape(), bias ? std::optional<Shape>(bias->shape()) : std::nullopt, params);
  Tensor output(g.output_shape());
  DeviceOperands d(input, weight, bias, output, poison_output);
  if (kernel == Kernel::Gather)
    conv_transpose2d_gather(d.input.get(), d.weight.get(), d.bias_or_null(bias), d.output.get(), g, params);
  else
    conv_transpose2d_gemm(d.input.get(), d.weight.get(), d.bias_or_null(bias), d.output.get(), g, params);
  CONVT_CUDA_CHECK(cudaDeviceSynchronize());
  d.output.download(output.data());
  return output;
}

Tensor conv2d_cuda(const Tensor& input, const Tensor& weight, const Tensor* bias, const Conv2dParams& params,
                   bool poison_output) {
  const Conv2dGeometry g = validate_conv2d(input.shape(), weight.shape(),
                                           bias ? std::optional<Shape>(bias->shape()) : std::nullopt, params);
  Tensor output(g.output_shape());
  DeviceOperands d(input, weight, bias, output, poison_output);
  conv2d_gather(d.input.get(), d.weight.get(), d.bias_or_null(bias), d.output.get(), g, params);
  CONVT_CUDA_CHECK(cudaDeviceSynchronize());
  d.output.download(output.data());
  return output;
}

}  // namespace convt::cuda
