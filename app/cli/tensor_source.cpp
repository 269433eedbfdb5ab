#include "tensor_source.h"

#include "cli_options.h"

#include <convt/error.h>
#include <convt/io.h>

namespace convt::cli {

Tensor load_tensor(const std::string& option, const std::string& spec, uint64_t seed) {
  const std::string prefix = "random:";
  if (spec.rfind(prefix, 0) != 0) return read_npy(spec);
  try {
    return Tensor::randn(parse_shape_list(option, spec.substr(prefix.size())), seed);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::OutOfMemoryBudget) throw;
    throw Error(e.kind(), option + " " + spec + ": " + e.what());
  }
}

std::optional<Tensor> load_bias(const std::string& spec, int64_t out_channels, uint64_t seed) {
  if (spec == "none") return std::nullopt;
  if (spec == "random") return Tensor::randn({out_channels}, seed);
  return read_npy(spec);
}

}  // namespace convt::cli
