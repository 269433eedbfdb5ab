// The CUDA backends: exact FP32 kernels on device 0 ("cuda") and the same GEMM on TF32 tensor cores
// ("cuda-tf32", by name only). They run the forward convolutions and the grad_input passes, which are themselves
// convolutions: conv_transpose2d's grad_input is a conv2d of grad_output, conv2d's is a conv_transpose2d. They
// decline grad_weight (a reduction over every pixel, with no GPU kernel yet) and the element-wise ops; the chain
// runs those on the CPU.
#include "registry.h"

#include <convt/cpu.h>
#include <convt/error.h>
#include <convt/shape.h>

#include <cmath>

#include "../cuda/cuda_ops.h"
#include "../cuda/cuda_probe.h"

namespace convt::backends {
namespace {

// Before "auto" hands real work to the GPU, the kernels must reproduce the CPU results on this device: small layers
// that exercise phases without taps, groups, dilation, asymmetric pairs, partial tiles, and every tile shape the
// launcher picks (32, 64 and 128 output channels per group; 64 and 128 pixels per block), and one conv2d (the
// gather kernel, which the grad_input passes use too). A device or driver that gets them wrong (or fails) makes the
// backend unavailable with the reason, instead of wrong pictures.
Availability compare(const Tensor& actual, const Tensor& expected, double tolerance, double scale) {
  for (int64_t i = 0; i < expected.numel(); ++i)
    if (!(std::fabs(actual[i] - expected[i]) <= tolerance * scale))
      return {false, "the CUDA kernels failed their self-check on this device (element " + std::to_string(i) + " of a " +
                         shape_to_string(expected.shape()) + " output is " + std::to_string(actual[i]) + ", expected " +
                         std::to_string(expected[i]) + ")"};
  return {true, ""};
}

Availability cuda_self_check(cuda::Kernel kernel, double tolerance) {
  struct Case {
    Shape input, weight;
    ConvTranspose2dParams params;
  };
  const Case cases[] = {
      {{2, 6, 5, 7}, {6, 70, 3, 3}, {IntPair(2), IntPair(1), IntPair(1), IntPair(1), 1}},
      {{1, 4, 6, 5}, {4, 3, 2, 4}, {IntPair(3, 2), IntPair(0, 1), IntPair(0, 1), IntPair(2, 1), 2}},
      {{3, 3, 9, 4}, {3, 5, 1, 2}, {IntPair(2), IntPair(0), IntPair(0), IntPair(1), 1}},
      {{2, 5, 40, 33}, {5, 48, 4, 4}, {IntPair(2), IntPair(1), IntPair(0), IntPair(1), 1}},     // 64 x 128 tiles
      {{1, 9, 48, 48}, {9, 130, 3, 3}, {IntPair(1), IntPair(1), IntPair(0), IntPair(1), 1}},    // 128 x 128 tiles
  };
  uint64_t seed = 7;
  try {
    for (const Case& c : cases) {
      const Tensor input = Tensor::randn(c.input, seed++), weight = Tensor::randn(c.weight, seed++);
      const Tensor bias = Tensor::randn({c.weight[1] * c.params.groups}, seed++);
      // The fast CPU path as the oracle (itself tested against the reference): the check runs on the first
      // backend choice of every process, so it must cost milliseconds, not the reference's fraction of a second.
      const Tensor expected = convt::cpu::conv_transpose2d_cpu(input, weight, &bias, c.params);
      const Tensor actual = cuda::conv_transpose2d_cuda(input, weight, &bias, c.params, kernel, true);
      // Every output's terms are bounded by C_in/groups * kH * kW products of normal samples: a loose, cheap
      // scale that still catches a wrong or missing term.
      const double scale = c.input[1] / c.params.groups * static_cast<double>(c.weight[2] * c.weight[3]) * 4.0;
      const Availability checked = compare(actual, expected, tolerance, scale);
      if (!checked.available) return checked;
    }
    const Conv2dParams conv{IntPair(2, 1), IntPair(1, 0), IntPair(1, 2), 2};
    const Tensor input = Tensor::randn({2, 4, 9, 8}, seed++), weight = Tensor::randn({6, 2, 3, 2}, seed++);
    const Availability checked = compare(cuda::conv2d_cuda(input, weight, nullptr, conv, true),
                                         convt::cpu::conv2d_cpu(input, weight, nullptr, conv), 1e-5, 2 * 3 * 2 * 4.0);
    if (!checked.available) return checked;
  } catch (const Error& error) {
    return {false, std::string("the CUDA kernels failed their self-check on this device: ") + error.what()};
  }
  return {true, ""};
}

// The device probe and the self-check, asked once per process (the answers do not change while it runs).
const Availability& cuda_device_availability() {
  static const Availability availability = [] {
    const cuda::DeviceProbe& device = cuda::probe_device();
    if (!device.usable) return Availability{false, device.description};
    const Availability checked = cuda_self_check(cuda::Kernel::Gemm, 1e-5);
    if (!checked.available) return checked;
    return Availability{true, device.description};
  }();
  return availability;
}

// What both CUDA backends run: the convolutions and the grad_input passes built from them.
class CudaBackendBase : public Backend {
 public:
  explicit CudaBackendBase(cuda::Kernel kernel) : kernel_(kernel) {}

  Support supports(const OpRequest& request) const override {
    switch (request.op) {
      case Op::ConvTranspose2d:
      case Op::Conv2d:
      case Op::Conv2dGradInput: return Support::yes();
      case Op::ConvTranspose2dGradInput: {
        // grad_input is conv2d(grad_output) only while output_padding < stride; beyond that the conv2d has
        // floor(op / s) extra rows, which this backend does not crop.
        const ConvTranspose2dParams& params = request_params<ConvTranspose2dParams>(request);
        if (params.output_padding.h >= params.stride.h || params.output_padding.w >= params.stride.w)
          return Support::no("conv_transpose2d_grad_input with output_padding " + to_string(params.output_padding) +
                             " >= stride " + to_string(params.stride) + " needs a cropped conv2d, not done on the GPU");
        return Support::yes();
      }
      case Op::ConvTranspose2dGradWeight:
      case Op::Conv2dGradWeight:
        return Support::no(std::string(op_name(request.op)) + " has no GPU kernel (a reduction over every pixel)");
      default: return Support::no(std::string(op_name(request.op)) + " has no GPU kernel (an element-wise pass)");
    }
  }

  Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor* bias,
                          const ConvTranspose2dParams& params) const override {
    return cuda::conv_transpose2d_cuda(input, weight, bias, params, kernel_);
  }
  Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor* bias, const Conv2dParams& params) const override {
    return cuda::conv2d_cuda(input, weight, bias, params);
  }
  Tensor conv_transpose2d_grad_input(const Shape& input_shape, const Tensor& weight, const Tensor& grad_output,
                                     const ConvTranspose2dParams& params) const override {
    const ConvTranspose2dGeometry g = validate_conv_transpose2d(input_shape, weight.shape(), std::nullopt, params);
    validate_grad_output("conv_transpose2d", g.output_shape(), grad_output.shape());
    if (!supports(OpRequest{Op::ConvTranspose2dGradInput, params}).supported) not_implemented(Op::ConvTranspose2dGradInput);
    // With output_padding < stride the conv2d's output has exactly the input's shape (3-D stays 3-D).
    return cuda::conv2d_cuda(grad_output, weight, nullptr,
                             Conv2dParams{params.stride, params.padding, params.dilation, params.groups});
  }
  Tensor conv2d_grad_input(const Shape& input_shape, const Tensor& weight, const Tensor& grad_output,
                           const Conv2dParams& params) const override {
    const Conv2dGeometry g = validate_conv2d(input_shape, weight.shape(), std::nullopt, params);
    validate_grad_output("conv2d", g.output_shape(), grad_output.shape());
    return cuda::conv_transpose2d_cuda(grad_output, weight, nullptr, conv2d_grad_input_params(g, params), kernel_);
  }

 private:
  cuda::Kernel kernel_;
};

class CudaBackend final : public CudaBackendBase {
 public:
  CudaBackend() : CudaBackendBase(cuda::Kernel::Gemm) {}
  std::string name() const override { return "cuda"; }
  bool chosen_by_auto() const override { return true; }
  Availability availability() const override {
    const Availability device = cuda_device_availability();
    if (!device.available) return device;
    return {true, device.reason + ", FP32 implicit-GEMM kernel"};
  }
};

// The same GEMM on TF32 tensor cores: faster, but products keep 10 mantissa bits (about 1e-3 relative), so it is
// only ever used when asked for by name, never by "auto" (the same default as PyTorch's allow_tf32 = False).
class CudaTf32Backend final : public CudaBackendBase {
 public:
  CudaTf32Backend() : CudaBackendBase(cuda::Kernel::GemmTf32) {}
  std::string name() const override { return "cuda-tf32"; }
  Availability availability() const override {
    const Availability device = cuda_device_availability();
    if (!device.available) return device;
    if (cuda::probe_device().compute_capability < 80)
      return {false, "TF32 tensor cores need compute capability 8.0 (sm_80) or newer; " + device.reason};
    static const Availability checked = cuda_self_check(cuda::Kernel::GemmTf32, 2e-3);
    if (!checked.available) return checked;
    return {true, device.reason + ", TF32 tensor-core implicit-GEMM kernel (about 1e-3 relative error)"};
  }
};

}  // namespace

const Backend& cuda() {
  static const CudaBackend backend;
  return backend;
}

const Backend& cuda_tf32() {
  static const CudaTf32Backend backend;
  return backend;
}

}  // namespace convt::backends
