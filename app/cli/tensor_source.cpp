#include "tensor_source.h"

#include "cli_options.h"

#include <convt/analysis.h>
#include <convt/error.h>
#include <convt/io.h>

namespace convt::cli {
namespace {

Tensor generate(const std::string& option, const std::string& kind, const Shape& shape, uint64_t seed,
                TensorRole role) {
  if (kind == "random") return Tensor::randn(shape, seed);
  if (kind == "uniform") return Tensor::uniform(shape, seed, -1.0f, 1.0f);
  if (kind == "constant") return Tensor::ones(shape);
  if (role == TensorRole::Weight && shape.size() == 4)
    for (const char* name : {"kaiming", "bilinear", "nearest", "impulse"})
      if (kind == name) return make_weight(parse_weight_init(kind), shape, seed);
  throw_invalid(option + " '" + kind + ":...': unknown kind '" + kind + "'; expected random, uniform, constant" +
                (role == TensorRole::Weight ? ", or for a 4-D weight kaiming, bilinear, nearest, impulse" : "") +
                ", or a .npy path");
}

}  // namespace

Tensor load_tensor(const std::string& option, const std::string& spec, uint64_t seed, TensorRole role) {
  if (const auto file = split_safetensors_spec(spec)) return read_safetensors(file->first, file->second);
  const size_t colon = spec.find(':');
  const bool generated = colon != std::string::npos && colon > 0 &&
                         spec.find_first_not_of("abcdefghijklmnopqrstuvwxyz") == colon;
  if (!generated) return read_npy(spec);
  const std::string kind = spec.substr(0, colon);
  const Shape shape = parse_shape_list(option, spec.substr(colon + 1));
  try {
    return generate(option, kind, shape, seed, role);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::OutOfMemoryBudget) throw;
    throw Error(e.kind(), option + " " + spec + ": " + e.what());
  }
}

std::optional<Tensor> load_bias(const std::string& spec, const std::string& weight_spec, int64_t out_channels,
                                uint64_t seed) {
  if (spec == "auto") {
    const auto file = split_safetensors_spec(weight_spec);
    return file ? read_matching_bias(file->first, file->second) : std::nullopt;
  }
  if (spec == "none") return std::nullopt;
  if (const auto file = split_safetensors_spec(spec)) return read_safetensors(file->first, file->second);
  if (spec == "random") return Tensor::randn({out_channels}, seed);
  return read_npy(spec);
}

}  // namespace convt::cli
