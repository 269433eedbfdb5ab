// Where the CLI's tensors come from: a .npy file, or a generated tensor "KIND:D0,D1,...".
#pragma once

#include <convt/tensor.h>

#include <optional>
#include <string>

namespace convt::cli {

enum class TensorRole { Input, Weight };

// `spec` is a .npy path, FILE.safetensors:TENSOR_NAME, or KIND:dims. Every role accepts random (standard normal, seeded), uniform (U(-1, 1),
// seeded) and constant (ones); a weight also accepts the teaching kernels kaiming, bilinear, nearest and impulse
// (see convt::make_weight). `option` names the flag in errors. Ranks and sizes are checked later by the op's
// validation, which knows what each operand must be.
Tensor load_tensor(const std::string& option, const std::string& spec, uint64_t seed, TensorRole role);

// --bias: "auto" (the weight's matching NAME.bias when the weight came from a .safetensors NAME.weight, else none),
// "none", "random" (C_out standard normal values), a .npy path, or FILE.safetensors:NAME.
std::optional<Tensor> load_bias(const std::string& spec, const std::string& weight_spec, int64_t out_channels,
                                uint64_t seed);

}  // namespace convt::cli
