// Backends run the engine's ops. Each backend says whether it can run on this machine (and why not), and, per op
// and parameters, whether it supports the call (ggml's supports_op): an op a backend declines falls back to the
// next backend in the chain, and the reason is recorded. The reference backend runs every op and is always last.
// The ops themselves, as a user calls them, are in ops.h; the backends live in engine/src/backends/, one per file.
#pragma once

#include <convt/params.h>
#include <convt/tensor.h>

#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace convt {

struct Availability {
  bool available = false;
  std::string reason;  // why not, when unavailable; what runs, when available
};

// Every op a backend may implement: explicit forward and backward functions (no autograd graph).
enum class Op {
  ConvTranspose2d,
  ConvTranspose2dGradInput,
  ConvTranspose2dGradWeight,  // and grad_bias
  Conv2d,
  Conv2dGradInput,
  Conv2dGradWeight,  // and grad_bias
  Interpolate,
  InterpolateBackward,
  PixelShuffle,
  PixelUnshuffle,
  Activation,
  ActivationBackward,
  Loss,
  LossBackward,
};
// "conv_transpose2d", "conv_transpose2d_grad_input", ... (snake_case, as the CLI and messages say them).
const char* op_name(Op op);
std::span<const Op> all_ops();

enum class LossKind { Mse, L1 };  // reduction "mean", as PyTorch's default
const char* to_string(LossKind loss);

// What a backend is asked to support: the op and the parameters that decide it.
struct OpRequest {
  Op op = Op::ConvTranspose2d;
  std::variant<std::monostate, ConvTranspose2dParams, Conv2dParams, InterpolateParams> params;
};

// The op with its parameters at their defaults (stride 1, no padding, ...): what a listing of who runs what asks.
OpRequest default_request(Op op);

struct Support {
  bool supported = false;
  std::string reason;  // why not, when declined
  static Support yes() { return {true, ""}; }
  static Support no(std::string why) { return {false, std::move(why)}; }
};

// A weight's gradients: grad_weight in the weight's shape, and grad_bias [C_out] when asked for.
struct WeightGradients {
  Tensor grad_weight;
  std::optional<Tensor> grad_bias;
};

// Arguments are validated by the backend (the same rules and messages everywhere, shape.h). The grad functions
// follow PyTorch's torch.nn.grad.conv2d_input / conv2d_weight: grad_output has the forward output's shape, and a
// grad_output of another shape is refused naming the expected one. An op a backend does not override throws.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual Availability availability() const = 0;
  // Whether this backend runs `request` here (assumes it is available).
  virtual Support supports(const OpRequest& request) const = 0;
  // Whether "auto" may pick it (exact and fast: cuda, cpu); the reference is only ever the last fallback.
  virtual bool chosen_by_auto() const { return false; }

  virtual Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor* bias,
                                  const ConvTranspose2dParams& params) const;
  virtual Tensor conv_transpose2d_grad_input(const Shape& input_shape, const Tensor& weight, const Tensor& grad_output,
                                             const ConvTranspose2dParams& params) const;
  virtual WeightGradients conv_transpose2d_grad_weight(const Tensor& input, const Shape& weight_shape,
                                                       const Tensor& grad_output, bool with_bias,
                                                       const ConvTranspose2dParams& params) const;
  virtual Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor* bias, const Conv2dParams& params) const;
  virtual Tensor conv2d_grad_input(const Shape& input_shape, const Tensor& weight, const Tensor& grad_output,
                                   const Conv2dParams& params) const;
  virtual WeightGradients conv2d_grad_weight(const Tensor& input, const Shape& weight_shape, const Tensor& grad_output,
                                             bool with_bias, const Conv2dParams& params) const;
  virtual Tensor interpolate(const Tensor& input, const InterpolateParams& params) const;
  virtual Tensor interpolate_backward(const Tensor& grad_output, const Shape& input_shape,
                                      const InterpolateParams& params) const;
  virtual Tensor pixel_shuffle(const Tensor& input, int64_t upscale_factor) const;
  virtual Tensor pixel_unshuffle(const Tensor& input, int64_t downscale_factor) const;
  virtual Tensor activation(const Tensor& input, Activation activation, float negative_slope) const;
  virtual Tensor activation_backward(const Tensor& input, const Tensor& grad_output, Activation activation,
                                     float negative_slope) const;
  virtual double loss(LossKind loss, const Tensor& input, const Tensor& target) const;
  virtual Tensor loss_backward(LossKind loss, const Tensor& input, const Tensor& target) const;

 protected:
  [[noreturn]] void not_implemented(Op op) const;
};

// Names accepted by backend_by_name / select_backend / dispatch: "cuda", "cpu", "reference", "cuda-tf32".
std::vector<std::string> backend_names();

// What a front end offers: "auto" followed by backend_names().
std::vector<std::string> backend_choices();

// The backend of that name (ErrorKind::InvalidArgument for an unknown name).
const Backend& backend_by_name(const std::string& name);

// Which backend runs a call, and why the ones before it in the chain did not ("cuda: ...").
struct Dispatch {
  const Backend* backend = nullptr;
  std::vector<std::string> declined;
};

// The chain for "auto" is cuda (when a device answers and passes its self-check), then cpu, then the reference;
// TF32 and the reference are never chosen by "auto" itself. A named backend must be available (else an
// InvalidArgument error says why, e.g. "backend 'cuda' is not available: no CUDA device found") and is tried
// first; an op it declines falls back to cpu, then the reference, with the reason recorded.
Dispatch dispatch(const std::string& backend_name, const OpRequest& request);

// The backend that runs conv_transpose2d forward with these parameters (dispatch for Op::ConvTranspose2d).
const Backend& select_backend(const std::string& name, const ConvTranspose2dParams& params);

// The backend the ops.h entry points use: "auto" unless set (validated; thread-safe).
void set_default_backend(const std::string& name);
std::string default_backend();

// The declined reasons of the latest dispatch by an ops.h entry point on this thread (empty when none declined).
const std::vector<std::string>& last_fallbacks();

}  // namespace convt
