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

// Names accepted by backend_by_name / select_backend: "reference", "cpu", "cuda".
std::vector<std::string> backend_names();

// The backend of that name (ErrorKind::InvalidArgument for an unknown name).
const Backend& backend_by_name(const std::string& name);

// "auto" picks the fastest available backend that supports the parameters; any other name must be available,
// else an InvalidArgument error says why (e.g. "backend 'cuda' is not available: no CUDA device found").
const Backend& select_backend(const std::string& name, const ConvTranspose2dParams& params);

}  // namespace convt
