// The fast CPU backend: the convolutions and their backward passes on the phase-decomposed implicit GEMM
// (convt/cpu.h). The element-wise ops (interpolate, pixel shuffle, activations, losses) are memory-bound single
// passes with nothing to block or vectorise beyond what the reference loop already does, so this backend declines
// them and the chain runs the reference.
#include "registry.h"

#include <convt/cpu.h>

namespace convt::backends {
namespace {

class CpuBackend final : public Backend {
 public:
  std::string name() const override { return "cpu"; }
  Availability availability() const override {
    return {true, "phase-decomposed implicit GEMM, " + convt::cpu::active_kernel_level() + " microkernel"};
  }
  bool chosen_by_auto() const override { return true; }
  Support supports(const OpRequest& request) const override {
    switch (request.op) {
      case Op::ConvTranspose2d:
      case Op::ConvTranspose2dGradInput:
      case Op::ConvTranspose2dGradWeight:
      case Op::Conv2d:
      case Op::Conv2dGradInput:
      case Op::Conv2dGradWeight: return Support::yes();
      default:
        return Support::no(std::string(op_name(request.op)) +
                           " has no fast CPU version (a memory-bound element-wise pass; the reference loop is it)");
    }
  }

  Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor* bias,
                          const ConvTranspose2dParams& params) const override {
    return convt::cpu::conv_transpose2d_cpu(input, weight, bias, params);
  }
  Tensor conv_transpose2d_grad_input(const Shape& input_shape, const Tensor& weight, const Tensor& grad_output,
                                     const ConvTranspose2dParams& params) const override {
    return convt::cpu::conv_transpose2d_grad_input_cpu(input_shape, weight, grad_output, params);
  }
  WeightGradients conv_transpose2d_grad_weight(const Tensor& input, const Shape& weight_shape, const Tensor& grad_output,
                                               bool with_bias, const ConvTranspose2dParams& params) const override {
    return convt::cpu::conv_transpose2d_grad_weight_cpu(input, weight_shape, grad_output, with_bias, params);
  }
  Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor* bias, const Conv2dParams& params) const override {
    return convt::cpu::conv2d_cpu(input, weight, bias, params);
  }
  Tensor conv2d_grad_input(const Shape& input_shape, const Tensor& weight, const Tensor& grad_output,
                           const Conv2dParams& params) const override {
    return convt::cpu::conv2d_grad_input_cpu(input_shape, weight, grad_output, params);
  }
  WeightGradients conv2d_grad_weight(const Tensor& input, const Shape& weight_shape, const Tensor& grad_output,
                                     bool with_bias, const Conv2dParams& params) const override {
    return convt::cpu::conv2d_grad_weight_cpu(input, weight_shape, grad_output, with_bias, params);
  }
};

}  // namespace

const Backend& cpu() {
  static const CpuBackend backend;
  return backend;
}

}  // namespace convt::backends
