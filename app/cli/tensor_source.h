// Where the CLI's tensors come from: a .npy file or a seeded random tensor ("random:N,C,H,W").
#pragma once

#include <convt/tensor.h>

#include <optional>
#include <string>

namespace convt::cli {

// `spec` is a .npy path or "random:D0,D1,..." (standard normal, seeded); `option` names the flag in errors.
// Ranks and sizes are checked by the op's validation, which knows what each operand must be.
Tensor load_tensor(const std::string& option, const std::string& spec, uint64_t seed);

// --bias: "none" (no bias), "random" (C_out standard normal values), or a .npy path.
std::optional<Tensor> load_bias(const std::string& spec, int64_t out_channels, uint64_t seed);

}  // namespace convt::cli
