#include <convt/analysis.h>
#include <convt/error.h>
#include <convt/image.h>
#include <convt/io.h>
#include <convt/ops.h>
#include <convt/patterns.h>
#include <convt/workspace.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace convt {
namespace {

using nlohmann::json;

constexpr int kVersion = 1;

json pair_json(const IntPair& p) { return json::array({p.h, p.w}); }

IntPair pair_from(const json& j) {
  if (j.is_number_integer()) return j.get<int64_t>();
  return {j.at(0).get<int64_t>(), j.at(1).get<int64_t>()};
}

// Reads `key` of `object` into `value` when present (a workspace may omit anything that has a default).
template <typename T>
void read(const json& object, const char* key, T& value) {
  if (object.contains(key)) value = object.at(key).get<T>();
}

}  // namespace

std::string workspace_to_json(const Workspace& w) {
  json layers = json::array();
  for (const LayerSpec& l : w.layers)
    layers.push_back({{"out_channels", l.out_channels},
                      {"kernel", pair_json(l.kernel)},
                      {"stride", pair_json(l.params.stride)},
                      {"padding", pair_json(l.params.padding)},
                      {"output_padding", pair_json(l.params.output_padding)},
                      {"dilation", pair_json(l.params.dilation)},
                      {"groups", l.params.groups},
                      {"bias", l.bias},
                      {"weight",
                       {{"source", l.weight.source},
                        {"init", l.weight.init},
                        {"constant", l.weight.constant},
                        {"path", l.weight.path},
                        {"tensor", l.weight.tensor},
                        {"seed", l.weight.seed}}},
                      {"activation", l.activation}});
  const InputSpec& i = w.input;
  json document = {{"convt_workspace", kVersion},
                   {"input",
                    {{"kind", i.kind},
                     {"pattern", i.pattern},
                     {"pattern_size", i.pattern_size},
                     {"pattern_channels", i.pattern_channels},
                     {"random_shape", i.random_shape},
                     {"distribution", i.distribution},
                     {"seed", i.seed},
                     {"image_path", i.image_path},
                     {"resize_image", i.resize_image},
                     {"working_size", i.working_size}}},
                   {"layers", layers},
                   {"backend", w.backend},
                   {"view", json::parse(w.view_json.empty() ? "{}" : w.view_json)}};
  return document.dump(2) + "\n";
}

Workspace workspace_from_json(const std::string& text, const std::string& name) {
  Workspace w;
  try {
    const json document = json::parse(text);
    if (!document.is_object() || !document.contains("convt_workspace"))
      throw_io("invalid workspace '" + name + "': it is not a ConvT Lab workspace (no \"convt_workspace\" version)");
    if (document.at("convt_workspace").get<int>() != kVersion)
      throw_io("invalid workspace '" + name + "': version " + document.at("convt_workspace").dump() + " is not supported");
    if (document.contains("input")) {
      const json& i = document.at("input");
      read(i, "kind", w.input.kind);
      read(i, "pattern", w.input.pattern);
      read(i, "pattern_size", w.input.pattern_size);
      read(i, "pattern_channels", w.input.pattern_channels);
      read(i, "random_shape", w.input.random_shape);
      read(i, "distribution", w.input.distribution);
      read(i, "seed", w.input.seed);
      read(i, "image_path", w.input.image_path);
      read(i, "resize_image", w.input.resize_image);
      read(i, "working_size", w.input.working_size);
    }
    if (document.contains("layers")) {
      w.layers.clear();
      for (const json& l : document.at("layers")) {
        LayerSpec layer;
        read(l, "out_channels", layer.out_channels);
        if (l.contains("kernel")) layer.kernel = pair_from(l.at("kernel"));
        if (l.contains("stride")) layer.params.stride = pair_from(l.at("stride"));
        if (l.contains("padding")) layer.params.padding = pair_from(l.at("padding"));
        if (l.contains("output_padding")) layer.params.output_padding = pair_from(l.at("output_padding"));
        if (l.contains("dilation")) layer.params.dilation = pair_from(l.at("dilation"));
        read(l, "groups", layer.params.groups);
        read(l, "bias", layer.bias);
        read(l, "activation", layer.activation);
        if (l.contains("weight")) {
          const json& weight = l.at("weight");
          read(weight, "source", layer.weight.source);
          read(weight, "init", layer.weight.init);
          read(weight, "constant", layer.weight.constant);
          read(weight, "path", layer.weight.path);
          read(weight, "tensor", layer.weight.tensor);
          read(weight, "seed", layer.weight.seed);
        }
        w.layers.push_back(layer);
      }
      if (w.layers.empty()) throw_io("invalid workspace '" + name + "': \"layers\" is empty");
    }
    read(document, "backend", w.backend);
    if (document.contains("view")) w.view_json = document.at("view").dump();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw_io("invalid workspace '" + name + "': " + e.what());
  }
  return w;
}

void write_workspace(const std::string& path, const Workspace& workspace) {
  write_file_atomically(path, workspace_to_json(workspace));
}

Workspace read_workspace(const std::string& path) { return workspace_from_json(read_file(path), path); }

Tensor build_input(const InputSpec& input) {
  if (input.kind == "pattern") {
    try {
      return make_pattern(parse_pattern(input.pattern), input.pattern_channels, input.pattern_size, input.pattern_size);
    } catch (const Error& e) {
      throw Error(e.kind(), std::string("input: ") + e.what(), "input.pattern_size");
    }
  }
  if (input.kind == "random") {
    const Shape& shape = input.random_shape;
    if (shape.size() != 4 || std::any_of(shape.begin(), shape.end(), [](int64_t d) { return d < 1; }))
      throw_invalid("input: random tensor " + shape_to_string(shape) + " needs 4 dimensions, each >= 1", "input.shape");
    try {
      return input.distribution == "uniform" ? Tensor::uniform(shape, input.seed, -1.0f, 1.0f) : Tensor::randn(shape, input.seed);
    } catch (const Error& e) {
      throw Error(e.kind(), std::string("input: ") + e.what(), "input.shape");
    }
  }
  if (input.kind != "image") throw_invalid("input: unknown kind '" + input.kind + "' (pattern, random or image)", "input.kind");
  if (input.image_path.empty()) throw_invalid("input: choose an image file (path, Browse, or drop it on the window)", "input.image");
  Tensor image;
  try {
    image = read_image(input.image_path);
  } catch (const Error& e) {
    throw Error(e.kind(), e.what(), "input.image");
  }
  if (!input.resize_image) return image;
  if (input.working_size < 1)
    throw_invalid("input: working size " + std::to_string(input.working_size) + " must be >= 1", "input.working_size");
  const int64_t h = image.size(2), w = image.size(3), longer = std::max(h, w);
  InterpolateParams resize;
  resize.mode = InterpolateMode::Bilinear;
  resize.has_size = true;
  resize.size = {std::max<int64_t>(1, h * input.working_size / longer), std::max<int64_t>(1, w * input.working_size / longer)};
  return interpolate(image, resize);
}

Tensor build_weight(const LayerSpec& layer, int64_t in_channels) {
  if (layer.weight.source == "file") {
    try {
      if (!is_safetensors_path(layer.weight.path)) return read_npy(layer.weight.path);
      if (layer.weight.tensor.empty())
        throw_invalid("weight: choose one of the 4-D tensors of '" + layer.weight.path + "'", "weight.file");
      return read_safetensors(layer.weight.path, layer.weight.tensor);
    } catch (const Error& e) {
      throw Error(e.kind(), e.what(), "weight.file");
    }
  }
  if (layer.out_channels < 1)
    throw_invalid("layer: out_channels=" + std::to_string(layer.out_channels) + " must be >= 1", "out_channels");
  if (layer.params.groups < 1 || layer.out_channels % layer.params.groups != 0)
    throw_invalid("layer: out_channels=" + std::to_string(layer.out_channels) + " must be divisible by groups=" +
                      std::to_string(layer.params.groups) + " (the weight is [C_in, C_out/groups, kH, kW])",
                  "groups");
  if (layer.kernel.h < 1 || layer.kernel.w < 1)
    throw_invalid("layer: kernel_size=" + to_string(layer.kernel) + " must be >= 1 on each axis", "kernel");
  return make_weight(parse_weight_init(layer.weight.init),
                     {in_channels, layer.out_channels / layer.params.groups, layer.kernel.h, layer.kernel.w},
                     layer.weight.seed, layer.weight.constant);
}

std::optional<Tensor> build_bias(const LayerSpec& layer, const Tensor& weight) {
  if (!layer.bias || weight.dim() != 4) return std::nullopt;
  // A model's bias sits next to its weight: NAME.weight and NAME.bias in the same .safetensors file.
  if (layer.weight.source == "file" && is_safetensors_path(layer.weight.path))
    if (std::optional<Tensor> bias = read_matching_bias(layer.weight.path, layer.weight.tensor)) return bias;
  // PyTorch's default: U(-b, b), b = 1/sqrt(fan_in), fan_in = C_out/groups * kH * kW.
  const float bound = 1.0f / std::sqrt(static_cast<float>(weight.size(1) * weight.size(2) * weight.size(3)));
  return Tensor::uniform({weight.size(1) * layer.params.groups}, layer.weight.seed + 1, -bound, bound);
}

std::vector<StackLayer> build_stack(const std::vector<LayerSpec>& specs, int64_t in_channels) {
  std::vector<StackLayer> layers;
  for (size_t i = 0; i < specs.size(); ++i) {
    try {
      StackLayer layer;
      layer.params = specs[i].params;
      layer.weight = build_weight(specs[i], in_channels);
      layer.bias = build_bias(specs[i], layer.weight);
      layer.activation = parse_activation(specs[i].activation);
      in_channels = layer.weight.dim() == 4 ? layer.weight.size(1) * layer.params.groups : in_channels;
      layers.push_back(std::move(layer));
    } catch (const Error& e) {
      if (specs.size() == 1) throw;
      throw Error(e.kind(), "layer " + std::to_string(i + 1) + ": " + e.what(), e.parameter());
    }
  }
  return layers;
}

}  // namespace convt
