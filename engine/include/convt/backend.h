// Backends run conv_transpose2d. The reference backend is the oracle and always available; fast backends report
// whether they can run here (and why not), and which parameters they support, so callers fall back instead of
// crashing.
#pragma once

#include <convt/params.h>
#include <convt/tensor.h>

#include <string>
#include <vector>

namespace convt {

struct Availability {
  bool available = false;
  std::string reason;  // why not, when unavailable; what runs, when available
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual Availability availability() const = 0;
  virtual bool supports(const ConvTranspose2dParams& params) const = 0;
  // Inputs are validated by the caller (validate_conv_transpose2d); bias may be null.
  virtual Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor* bias,
                                  const ConvTranspose2dParams& params) const = 0;
};

// Names accepted by backend_by_name / select_backend: "cuda", "cpu", "reference", "cuda-tf32".
std::vector<std::string> backend_names();

// What a front end offers: "auto" followed by backend_names().
std::vector<std::string> backend_choices();

// The backend of that name (ErrorKind::InvalidArgument for an unknown name).
const Backend& backend_by_name(const std::string& name);

// "auto" picks the fastest available exact backend that supports the parameters (cuda when a device answers
// and passes its self-check, else cpu; never the TF32 one); any other name must be available,
// else an InvalidArgument error says why (e.g. "backend 'cuda' is not available: no CUDA device found").
const Backend& select_backend(const std::string& name, const ConvTranspose2dParams& params);

}  // namespace convt
