#include <convt/backend.h>
#include <convt/cpu.h>
#include <convt/error.h>
#include <convt/ops.h>

#include <cmath>

#include "cuda/cuda_ops.h"
#include "cuda/cuda_probe.h"

namespace convt {
namespace {

class ReferenceBackend final : public Backend {
 public:
  std::string name() const override { return "reference"; }
  Availability availability() const override { return {true, "plain double-accumulating loops (the oracle)"}; }
  bool supports(const ConvTranspose2dParams&) const override { return true; }
  Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor* bias,
                          const ConvTranspose2dParams& params) const override {
    return conv_transpose2d_reference(input, weight, bias, params);
  }
};

// The fast CPU path: phase decomposition, packed weights, SIMD microkernels, OpenMP threads (convt/cpu.h).
class CpuBackend final : public Backend {
 public:
  std::string name() const override { return "cpu"; }
  Availability availability() const override {
    return {true, "phase-decomposed implicit GEMM, " + cpu::active_kernel_level() + " microkernel"};
  }
  bool supports(const ConvTranspose2dParams&) const override { return true; }
  Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor* bias,
                          const ConvTranspose2dParams& params) const override {
    return cpu::conv_transpose2d_cpu(input, weight, bias, params);
  }
};

// Before "auto" hands real work to the GPU, the kernels must reproduce the CPU results on this device: small layers
// that exercise phases without taps, groups, dilation, asymmetric pairs, partial tiles, and every tile shape the
// launcher picks (32, 64 and 128 output channels per group; 64 and 128 pixels per block). A device or driver that
// gets them wrong (or fails) makes the backend unavailable with the reason, instead of wrong pictures.
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
  for (const Case& c : cases) {
    const Tensor input = Tensor::randn(c.input, seed++), weight = Tensor::randn(c.weight, seed++);
    const Tensor bias = Tensor::randn({c.weight[1] * c.params.groups}, seed++);
    try {
      // The fast CPU path as the oracle (itself tested against the reference): the check runs on the first
      // backend choice of every process, so it must cost milliseconds, not the reference's fraction of a second.
      const Tensor expected = cpu::conv_transpose2d_cpu(input, weight, &bias, c.params);
      const Tensor actual = cuda::conv_transpose2d_cuda(input, weight, &bias, c.params, kernel, true);
      // Every output's terms are bounded by C_in/groups * kH * kW products of normal samples: a loose, cheap
      // scale that still catches a wrong or missing term.
      const double scale = c.input[1] / c.params.groups * static_cast<double>(c.weight[2] * c.weight[3]) * 4.0;
      for (int64_t i = 0; i < expected.numel(); ++i)
        if (!(std::fabs(actual[i] - expected[i]) <= tolerance * scale))
          return {false, "the CUDA kernels failed their self-check on this device (element " + std::to_string(i) +
                             " of a " + shape_to_string(expected.shape()) + " output is " + std::to_string(actual[i]) +
                             ", expected " + std::to_string(expected[i]) + ")"};
    } catch (const Error& error) {
      return {false, std::string("the CUDA kernels failed their self-check on this device: ") + error.what()};
    }
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

// CUDA: the phase-decomposed implicit-GEMM kernel on device 0 (cuda/conv_gemm.cu), exact FP32.
class CudaBackend final : public Backend {
 public:
  std::string name() const override { return "cuda"; }
  Availability availability() const override {
    const Availability device = cuda_device_availability();
    if (!device.available) return device;
    return {true, device.reason + ", FP32 implicit-GEMM kernel"};
  }
  bool supports(const ConvTranspose2dParams&) const override { return availability().available; }
  Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor* bias,
                          const ConvTranspose2dParams& params) const override {
    return cuda::conv_transpose2d_cuda(input, weight, bias, params, cuda::Kernel::Gemm);
  }
};

// The same GEMM on TF32 tensor cores: faster, but products keep 10 mantissa bits (about 1e-3 relative), so it is
// only ever used when asked for by name, never by "auto" (the same default as PyTorch's allow_tf32 = False).
class CudaTf32Backend final : public Backend {
 public:
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
  bool supports(const ConvTranspose2dParams&) const override { return availability().available; }
  Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor* bias,
                          const ConvTranspose2dParams& params) const override {
    return cuda::conv_transpose2d_cuda(input, weight, bias, params, cuda::Kernel::GemmTf32);
  }
};

// The order "auto" tries: the GPU when it answers and passes its self-check, then the fast CPU path. The
// reference and TF32 are never picked by "auto" (one is slow, the other inexact), only by name.
const std::vector<const Backend*>& all_backends() {
  static const CudaBackend cuda_backend;
  static const CpuBackend cpu_backend;
  static const ReferenceBackend reference_backend;
  static const CudaTf32Backend cuda_tf32_backend;
  static const std::vector<const Backend*> backends{&cuda_backend, &cpu_backend, &reference_backend,
                                                    &cuda_tf32_backend};
  return backends;
}

bool chosen_by_auto(const Backend& backend) { return backend.name() == "cuda" || backend.name() == "cpu"; }

}  // namespace

std::vector<std::string> backend_names() {
  std::vector<std::string> names;
  for (const Backend* backend : all_backends()) names.push_back(backend->name());
  return names;
}

std::vector<std::string> backend_choices() {
  std::vector<std::string> choices{"auto"};
  for (const std::string& name : backend_names()) choices.push_back(name);
  return choices;
}

const Backend& backend_by_name(const std::string& name) {
  for (const Backend* backend : all_backends())
    if (backend->name() == name) return *backend;
  std::string expected = "auto";
  for (const std::string& known : backend_names()) expected += ", " + known;
  throw_invalid("unknown backend '" + name + "': expected one of " + expected);
}

const Backend& select_backend(const std::string& name, const ConvTranspose2dParams& params) {
  if (name == "auto") {
    for (const Backend* backend : all_backends())
      if (chosen_by_auto(*backend) && backend->availability().available && backend->supports(params)) return *backend;
    return backend_by_name("reference");
  }
  const Backend& backend = backend_by_name(name);
  const Availability availability = backend.availability();
  if (!availability.available) throw_invalid("backend '" + name + "' is not available: " + availability.reason);
  if (!backend.supports(params)) throw_invalid("backend '" + name + "' does not support these parameters");
  return backend;
}

}  // namespace convt
