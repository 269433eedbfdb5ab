#include <convt/backend.h>
#include <convt/cpu.h>
#include <convt/error.h>
#include <convt/ops.h>

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

// CUDA: the phase-decomposed implicit-GEMM kernel on device 0 (cuda/conv_gemm.cu), when a usable device answers.
class CudaBackend final : public Backend {
 public:
  std::string name() const override { return "cuda"; }
  Availability availability() const override {
    // Asking the driver is slow-ish and the answer does not change while the process runs.
    static const cuda::DeviceProbe device = cuda::probe_device();
    if (!device.usable) return {false, device.description};
    return {true, device.description + ", implicit-GEMM kernel"};
  }
  bool supports(const ConvTranspose2dParams&) const override { return availability().available; }
  Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor* bias,
                          const ConvTranspose2dParams& params) const override {
    return cuda::conv_transpose2d_cuda(input, weight, bias, params);
  }
};

const std::vector<const Backend*>& all_backends() {
  // "auto" takes the first one that is available and supports the parameters. The CUDA gather kernel comes after
  // the CPU backend until it has been checked against the reference on a GPU (no GPU was lent to the session that
  // wrote it); ask for it by name meanwhile.
  static const CudaBackend cuda_backend;
  static const CpuBackend cpu_backend;
  static const ReferenceBackend reference_backend;
  static const std::vector<const Backend*> backends{&cpu_backend, &cuda_backend, &reference_backend};
  return backends;
}

}  // namespace

std::vector<std::string> backend_names() {
  std::vector<std::string> names;
  for (const Backend* backend : all_backends()) names.push_back(backend->name());
  return names;
}

const Backend& backend_by_name(const std::string& name) {
  for (const Backend* backend : all_backends())
    if (backend->name() == name) return *backend;
  throw_invalid("unknown backend '" + name + "': expected auto, reference, cpu or cuda");
}

const Backend& select_backend(const std::string& name, const ConvTranspose2dParams& params) {
  if (name == "auto") {
    for (const Backend* backend : all_backends())
      if (backend->availability().available && backend->supports(params)) return *backend;
    return backend_by_name("reference");
  }
  const Backend& backend = backend_by_name(name);
  const Availability availability = backend.availability();
  if (!availability.available) throw_invalid("backend '" + name + "' is not available: " + availability.reason);
  if (!backend.supports(params)) throw_invalid("backend '" + name + "' does not support these parameters");
  return backend;
}

}  // namespace convt
