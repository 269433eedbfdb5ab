// The backend registry and dispatch: which backend runs a call, falling back along the chain when one declines.
#include <convt/backend.h>
#include <convt/error.h>

#include <mutex>
#include <stdexcept>

#include "backends/registry.h"

namespace convt {
namespace {

// The order "auto" tries, then the ones only chosen by name. The reference is the end of every chain.
const std::vector<const Backend*>& all_backends() {
  static const std::vector<const Backend*> backends{&backends::cuda(), &backends::cpu(), &backends::reference(),
                                                    &backends::cuda_tf32()};
  return backends;
}

constexpr Op kOps[] = {Op::ConvTranspose2d, Op::ConvTranspose2dGradInput, Op::ConvTranspose2dGradWeight,
                       Op::Conv2d,          Op::Conv2dGradInput,          Op::Conv2dGradWeight,
                       Op::Interpolate,     Op::InterpolateBackward,      Op::PixelShuffle,
                       Op::PixelUnshuffle,  Op::Activation,               Op::ActivationBackward,
                       Op::Loss,            Op::LossBackward};

std::mutex g_default_mutex;
std::string g_default_backend = "auto";  // guarded by g_default_mutex

}  // namespace

const char* op_name(Op op) {
  switch (op) {
    case Op::ConvTranspose2d: return "conv_transpose2d";
    case Op::ConvTranspose2dGradInput: return "conv_transpose2d_grad_input";
    case Op::ConvTranspose2dGradWeight: return "conv_transpose2d_grad_weight";
    case Op::Conv2d: return "conv2d";
    case Op::Conv2dGradInput: return "conv2d_grad_input";
    case Op::Conv2dGradWeight: return "conv2d_grad_weight";
    case Op::Interpolate: return "interpolate";
    case Op::InterpolateBackward: return "interpolate_backward";
    case Op::PixelShuffle: return "pixel_shuffle";
    case Op::PixelUnshuffle: return "pixel_unshuffle";
    case Op::Activation: return "activation";
    case Op::ActivationBackward: return "activation_backward";
    case Op::Loss: return "loss";
    case Op::LossBackward: return "loss_backward";
  }
  return "unknown op";
}

std::span<const Op> all_ops() { return kOps; }

OpRequest default_request(Op op) {
  switch (op) {
    case Op::ConvTranspose2d:
    case Op::ConvTranspose2dGradInput:
    case Op::ConvTranspose2dGradWeight: return {op, ConvTranspose2dParams{}};
    case Op::Conv2d:
    case Op::Conv2dGradInput:
    case Op::Conv2dGradWeight: return {op, Conv2dParams{}};
    case Op::Interpolate:
    case Op::InterpolateBackward: return {op, InterpolateParams{}};
    default: return {op, std::monostate{}};
  }
}

const char* to_string(LossKind loss) { return loss == LossKind::Mse ? "mse" : "l1"; }

void Backend::not_implemented(Op op) const {
  throw_invalid("backend '" + name() + "' does not run " + op_name(op), "backend");
}

// The defaults: a backend that does not override an op says so (supports() must decline it too).
Tensor Backend::conv_transpose2d(const Tensor&, const Tensor&, const Tensor*, const ConvTranspose2dParams&) const {
  not_implemented(Op::ConvTranspose2d);
}
Tensor Backend::conv_transpose2d_grad_input(const Shape&, const Tensor&, const Tensor&, const ConvTranspose2dParams&) const {
  not_implemented(Op::ConvTranspose2dGradInput);
}
WeightGradients Backend::conv_transpose2d_grad_weight(const Tensor&, const Shape&, const Tensor&, bool,
                                                      const ConvTranspose2dParams&) const {
  not_implemented(Op::ConvTranspose2dGradWeight);
}
Tensor Backend::conv2d(const Tensor&, const Tensor&, const Tensor*, const Conv2dParams&) const {
  not_implemented(Op::Conv2d);
}
Tensor Backend::conv2d_grad_input(const Shape&, const Tensor&, const Tensor&, const Conv2dParams&) const {
  not_implemented(Op::Conv2dGradInput);
}
WeightGradients Backend::conv2d_grad_weight(const Tensor&, const Shape&, const Tensor&, bool, const Conv2dParams&) const {
  not_implemented(Op::Conv2dGradWeight);
}
Tensor Backend::interpolate(const Tensor&, const InterpolateParams&) const { not_implemented(Op::Interpolate); }
Tensor Backend::interpolate_backward(const Tensor&, const Shape&, const InterpolateParams&) const {
  not_implemented(Op::InterpolateBackward);
}
Tensor Backend::pixel_shuffle(const Tensor&, int64_t) const { not_implemented(Op::PixelShuffle); }
Tensor Backend::pixel_unshuffle(const Tensor&, int64_t) const { not_implemented(Op::PixelUnshuffle); }
Tensor Backend::activation(const Tensor&, Activation, float) const { not_implemented(Op::Activation); }
Tensor Backend::activation_backward(const Tensor&, const Tensor&, Activation, float) const {
  not_implemented(Op::ActivationBackward);
}
double Backend::loss(LossKind, const Tensor&, const Tensor&) const { not_implemented(Op::Loss); }
Tensor Backend::loss_backward(LossKind, const Tensor&, const Tensor&) const { not_implemented(Op::LossBackward); }

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
  throw_invalid("unknown backend '" + name + "': expected one of " + expected, "backend");
}

Dispatch dispatch(const std::string& name, const OpRequest& request) {
  std::vector<const Backend*> chain;
  if (name == "auto") {
    for (const Backend* backend : all_backends())
      if (backend->chosen_by_auto()) chain.push_back(backend);
  } else {
    const Backend& named = backend_by_name(name);
    const Availability availability = named.availability();
    if (!availability.available) throw_invalid("backend '" + name + "' is not available: " + availability.reason, "backend");
    chain.push_back(&named);
    if (&named != &backends::cpu() && &named != &backends::reference()) chain.push_back(&backends::cpu());
  }
  if (chain.back() != &backends::reference()) chain.push_back(&backends::reference());

  Dispatch result;
  for (const Backend* backend : chain) {
    // Only "auto" meets an unavailable backend here (a named one was checked above): skipping a GPU that is not
    // there is not a fallback worth reporting on every call.
    if (!backend->availability().available) continue;
    const Support support = backend->supports(request);
    if (support.supported) {
      result.backend = backend;
      return result;
    }
    result.declined.push_back(backend->name() + ": " + support.reason);
  }
  throw std::logic_error("the reference backend declined " + std::string(op_name(request.op)));
}

const Backend& select_backend(const std::string& name, const ConvTranspose2dParams& params) {
  return *dispatch(name, OpRequest{Op::ConvTranspose2d, params}).backend;
}

void set_default_backend(const std::string& name) {
  if (name != "auto") backend_by_name(name);  // refuses an unknown name now, not at the next op
  const std::lock_guard<std::mutex> lock(g_default_mutex);
  g_default_backend = name;
}

std::string default_backend() {
  const std::lock_guard<std::mutex> lock(g_default_mutex);
  return g_default_backend;
}

}  // namespace convt
