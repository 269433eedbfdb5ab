// Initialising a training-lab model: PyTorch's default per module, ICNR for sub-pixel convolution, FCN's bilinear
// kernel for a transposed convolution, or a .safetensors file (checked name by name and shape by shape).
#include <convt/analysis.h>
#include <convt/error.h>
#include <convt/io.h>
#include <convt/train.h>

#include <cmath>
#include <algorithm>
#include <set>

namespace convt {
namespace {

// An independent stream per parameter. Tensor's generator walks its seed in steps of a fixed constant, so nearby
// seeds would give shifted copies of one stream; hashing (seed, index) avoids that.
uint64_t parameter_seed(uint64_t seed, uint64_t index) {
  uint64_t z = seed * 0xD1B54A32D192ED03ull + (index + 1) * 0xAEF17502108EF2D9ull;
  z = (z ^ (z >> 32)) * 0xD6E8FEB86659FD93ull;
  z = (z ^ (z >> 32)) * 0xD6E8FEB86659FD93ull;
  return z ^ (z >> 32);
}

// kaiming_uniform_(a=sqrt(5)) bounds the weight by gain * sqrt(3 / fan_in) = 1/sqrt(fan_in), and PyTorch bounds
// the bias by 1/sqrt(fan_in) too; fan_in = weight.size(1) * receptive field for Conv2d and ConvTranspose2d alike.
Tensor kaiming_uniform(const Shape& shape, int64_t fan_in, uint64_t seed) {
  const float bound = static_cast<float>(1.0 / std::sqrt(static_cast<double>(fan_in)));
  return Tensor::uniform(shape, seed, -bound, bound);
}

std::vector<NamedTensor> pytorch_default(const UpsamplerSpec& spec, uint64_t seed) {
  std::vector<NamedTensor> parameters;
  const auto shapes = parameter_shapes(spec);
  for (size_t i = 0; i < shapes.size(); i += 2) {  // (weight, bias) pairs, the bias sharing its weight's fan_in
    const Shape& weight = shapes[i].second;
    const int64_t fan_in = weight[1] * weight[2] * weight[3];
    parameters.push_back({shapes[i].first, kaiming_uniform(weight, fan_in, parameter_seed(seed, i))});
    parameters.push_back({shapes[i + 1].first, kaiming_uniform(shapes[i + 1].second, fan_in, parameter_seed(seed, i + 1))});
  }
  return parameters;
}

// Aitken et al.: draw the C_in base filters of a Conv2d(C, C_in, k) and give every one of an output channel's
// f*f sub-filters the same copy, so every phase starts identical (nearest-neighbour upsampling of one conv).
void icnr(const UpsamplerSpec& spec, UpsamplerModel& model, uint64_t seed) {
  Tensor& weight = model.parameter("up.weight");
  Tensor& bias = model.parameter("up.bias");
  const int64_t phases = spec.factor * spec.factor, filter = weight.size(1) * spec.kernel * spec.kernel;
  const Tensor base_weight = kaiming_uniform({spec.channels, filter}, filter, parameter_seed(seed, 100));
  const Tensor base_bias = kaiming_uniform({spec.channels}, filter, parameter_seed(seed, 101));
  for (int64_t c = 0; c < spec.channels; ++c)
    for (int64_t r = 0; r < phases; ++r) {
      std::copy_n(base_weight.data() + c * filter, filter, weight.data() + (c * phases + r) * filter);
      bias[c * phases + r] = base_bias[c];
    }
}

void bilinear(const UpsamplerSpec& spec, UpsamplerModel& model) {
  const int64_t fcn_kernel = 2 * spec.factor - spec.factor % 2;
  if (spec.kernel != fcn_kernel)
    throw_invalid("init bilinear does not fit kernel " + std::to_string(spec.kernel) + ": FCN's bilinear kernel for factor " +
                      std::to_string(spec.factor) + " has k = 2f - f mod 2 = " + std::to_string(fcn_kernel),
                  "init");
  Tensor& weight = model.parameter("up.weight");
  weight = make_weight(WeightInit::Bilinear, weight.shape(), 0);
  Tensor& bias = model.parameter("up.bias");
  bias = Tensor::zeros(bias.shape());
}

std::vector<NamedTensor> from_file(const UpsamplerSpec& spec, const std::string& path) {
  const auto shapes = parameter_shapes(spec);
  auto stored = read_all_safetensors(path);
  std::set<std::string> expected;
  for (const auto& [name, shape] : shapes) expected.insert(name);
  for (const auto& [name, tensor] : stored)
    if (!expected.count(name))
      throw_invalid("init file '" + path + "' holds '" + name + "', which this " + to_string(spec.kind) +
                        " model does not have" + (spec.hidden == 0 && name.rfind("features.", 0) == 0 ? " (hidden is 0)" : ""),
                    "init");
  std::vector<NamedTensor> parameters;
  for (const auto& [name, shape] : shapes) {
    const std::string& wanted = name;  // clang 14 cannot capture a structured binding
    auto found = std::find_if(stored.begin(), stored.end(), [&](const auto& entry) { return entry.first == wanted; });
    if (found == stored.end()) throw_invalid("init file '" + path + "' has no tensor '" + name + "'", "init");
    if (found->second.shape() != shape)
      throw_invalid("init file '" + path + "': '" + name + "' has shape " + shape_to_string(found->second.shape()) +
                        ", but this model's is " + shape_to_string(shape),
                    "init");
    parameters.push_back({name, std::move(found->second)});
  }
  return parameters;
}

}  // namespace

InitSpec parse_init(const std::string& text, uint64_t seed) {
  InitSpec init;
  init.seed = seed;
  if (text == "kaiming") init.kind = InitKind::Kaiming;
  else if (text == "icnr") init.kind = InitKind::Icnr;
  else if (text == "bilinear") init.kind = InitKind::Bilinear;
  else if (is_safetensors_path(text)) {
    init.kind = InitKind::File;
    init.path = text;
  } else {
    throw_invalid("init '" + text + "' is invalid: expected kaiming, icnr, bilinear or a .safetensors file", "init");
  }
  return init;
}

std::string to_string(const InitSpec& init) {
  switch (init.kind) {
    case InitKind::Kaiming: return "kaiming";
    case InitKind::Icnr: return "icnr";
    case InitKind::Bilinear: return "bilinear";
    case InitKind::File: return init.path;
  }
  return "";
}

UpsamplerModel init_model(const UpsamplerSpec& spec, const InitSpec& init) {
  validate(spec);
  UpsamplerModel model;
  model.spec = spec;
  switch (init.kind) {
    case InitKind::Kaiming: model.parameters = pytorch_default(spec, init.seed); break;
    case InitKind::Icnr:
      if (spec.kind != UpsamplerKind::Subpixel)
        throw_invalid(std::string("init icnr does not fit model ") + to_string(spec.kind) +
                          ": ICNR initialises a sub-pixel convolution's phases (use --model subpixel)",
                      "init");
      model.parameters = pytorch_default(spec, init.seed);
      icnr(spec, model, init.seed);
      break;
    case InitKind::Bilinear:
      if (spec.kind != UpsamplerKind::Deconv)
        throw_invalid(std::string("init bilinear does not fit model ") + to_string(spec.kind) +
                          ": FCN's bilinear kernel initialises a transposed convolution (use --model deconv)",
                      "init");
      model.parameters = pytorch_default(spec, init.seed);
      bilinear(spec, model);
      break;
    case InitKind::File: model.parameters = from_file(spec, init.path); break;
  }
  return model;
}

}  // namespace convt
