#include <convt/analysis.h>
#include <convt/error.h>
#include <convt/image.h>
#include <convt/io.h>
#include <convt/ops.h>
#include <convt/patterns.h>
#include <convt/settings_schema.h>
#include <convt/workspace.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace convt {
namespace {

using nlohmann::json;

void rename_key(json& object, const char* from, const char* to) {
  if (!object.contains(from)) return;
  object[to] = object[from];
  object.erase(from);
}

// A bool that version 1 stored as such and version 2 names ("range": "global" for "global_range": true).
void bool_to_choice(json& object, const char* from, const char* to, const char* if_false, const char* if_true) {
  if (!object.contains(from)) return;
  const json value = object[from];
  object.erase(from);
  object[to] = value.is_boolean() ? json(value.get<bool>() ? if_true : if_false) : value;
}

// Version 1 nested the weight, kept the random shape as one array, named a few input settings differently, and
// defaulted a missing stride to 1 and padding to 0. Its view (the app's) had a 0-based selected_layer and bools
// where version 2 names the choice. Values keep their JSON types: the checks after the migration judge them.
void migrate_version_1(json& document) {
  if (document.contains("input") && document["input"].is_object()) {
    json& input = document["input"];
    rename_key(input, "image_path", "image");
    rename_key(input, "resize_image", "resize");
    if (input.contains("random_shape")) {
      const json shape = input["random_shape"];
      if (!shape.is_array() || shape.size() != 4)
        throw_invalid("input.random_shape: " + shape.dump().substr(0, 40) + " is not [N, C, H, W]");
      input.erase("random_shape");
      const char* names[] = {"batch", "channels", "height", "width"};
      for (size_t d = 0; d < 4; ++d) input[names[d]] = shape[d];
    }
  }
  int64_t layer_count = 1;
  if (document.contains("layers") && document["layers"].is_array()) {
    layer_count = std::max<int64_t>(1, static_cast<int64_t>(document["layers"].size()));
    for (size_t i = 0; i < document["layers"].size(); ++i) {
      json& layer = document["layers"][i];
      if (!layer.is_object()) continue;
      if (!layer.contains("stride")) layer["stride"] = 1;
      if (!layer.contains("padding")) layer["padding"] = 0;
      if (!layer.contains("weight")) continue;
      const json weight = layer["weight"];
      layer.erase("weight");
      if (!weight.is_object())
        throw_invalid("layers[" + std::to_string(i) + "].weight: " + weight.dump().substr(0, 40) + " is not an object");
      for (const auto& [key, value] : weight.items()) {
        const bool renamed = key == "source" || key == "path" || key == "tensor";
        layer[renamed ? "weight_" + std::string(key == "path" ? "file" : key) : key] = value;
      }
    }
  }
  if (document.contains("view") && document["view"].is_object()) {
    json& view = document["view"];
    rename_key(view, "batch_index", "batch");
    bool_to_choice(view, "global_range", "range", "channel", "global");
    bool_to_choice(view, "whole_stack", "checkerboard", "layer", "stack");
    if (view.contains("selected_layer")) {
      // Version 1 showed the nearest layer for one out of range.
      const json selected = view["selected_layer"];
      view.erase("selected_layer");
      if (const auto* i = selected.get_ptr<const json::number_integer_t*>())
        view["layer"] = std::clamp<int64_t>(*i, 0, layer_count - 1) + 1;
      else if (const auto* u = selected.get_ptr<const json::number_unsigned_t*>())
        view["layer"] = *u >= static_cast<uint64_t>(layer_count) ? layer_count : static_cast<int64_t>(*u) + 1;
      else
        view["layer"] = selected;
    }
  }
}

Workspace parse_workspace(const std::string& text) {
  const json document = [&] {
    json parsed = json::parse(text);
    if (!parsed.is_object() || !parsed.contains("convt_workspace"))
      throw_invalid("it is not a ConvT Lab workspace (no \"convt_workspace\" version)");
    const json& version = parsed.at("convt_workspace");
    const auto* number = version.get_ptr<const json::number_unsigned_t*>();
    if (!number || *number < 1 || *number > static_cast<uint64_t>(kWorkspaceVersion))
      throw_invalid("convt_workspace: version " + version.dump().substr(0, 40) + " is not supported (1 to " +
                    std::to_string(kWorkspaceVersion) + ")");
    if (*number == 1) migrate_version_1(parsed);
    return parsed;
  }();
  std::vector<std::string> top_level = {"convt_workspace", "input", "layers", "view"};
  for (const std::string& name : setting_json_names(backend_settings())) top_level.push_back(name);
  check_json_keys(document, top_level, "");

  Workspace w;
  if (document.contains("input")) {
    check_json_keys(document.at("input"), setting_json_names(input_settings()), "input");
    settings_from_json(input_settings(), document.at("input"), "input", w.input);
  }
  if (document.contains("layers")) {
    const json& layers = document.at("layers");
    if (!layers.is_array()) throw_invalid("layers: " + layers.dump().substr(0, 40) + " is not an array of layers");
    if (layers.empty()) throw_invalid("\"layers\" is empty");
    w.layers.clear();
    for (size_t i = 0; i < layers.size(); ++i) {
      const std::string where = "layers[" + std::to_string(i) + "]";
      check_json_keys(layers[i], setting_json_names(layer_settings()), where);
      LayerSettings layer;
      settings_from_json(layer_settings(), layers[i], where, layer);
      w.layers.push_back(std::move(layer));
    }
  }
  settings_from_json(backend_settings(), document, "", w.backend);
  if (document.contains("view")) {
    const json& view = document.at("view");
    if (!view.is_object()) throw_invalid("view: " + view.dump().substr(0, 40) + " is not an object");
    w.view_json = view.dump();
  }
  return w;
}

}  // namespace

std::string workspace_to_json(const Workspace& w) {
  json document = settings_to_json(backend_settings(), w.backend);
  document["convt_workspace"] = kWorkspaceVersion;
  document["input"] = settings_to_json(input_settings(), w.input);
  document["layers"] = json::array();
  for (const LayerSettings& layer : w.layers) document["layers"].push_back(settings_to_json(layer_settings(), layer));
  document["view"] = json::parse(w.view_json.empty() ? "{}" : w.view_json);
  return document.dump(2) + "\n";
}

Workspace workspace_from_json(const std::string& text, const std::string& name) {
  try {
    return parse_workspace(text);
  } catch (const std::exception& e) {  // convt::Error from the checks, nlohmann's for text that is not JSON
    throw_io("invalid workspace '" + name + "': " + e.what());
  }
}

void write_workspace(const std::string& path, const Workspace& workspace) {
  write_file_atomically(path, workspace_to_json(workspace));
}

Workspace read_workspace(const std::string& path) { return workspace_from_json(read_file(path), path); }

Tensor build_input(const InputSettings& input) {
  if (input.kind == InputKind::Pattern) {
    try {
      return make_pattern(input.pattern, input.pattern_channels, input.pattern_size, input.pattern_size);
    } catch (const Error& e) {
      throw Error(e.kind(), std::string("input: ") + e.what(), "input.pattern_size");
    }
  }
  if (input.kind == InputKind::Random) {
    const Shape shape{input.batch, input.channels, input.height, input.width};
    if (std::any_of(shape.begin(), shape.end(), [](int64_t d) { return d < 1; }))
      throw_invalid("input: random tensor " + shape_to_string(shape) + " needs 4 dimensions, each >= 1", "input.shape");
    try {
      return input.distribution == Distribution::Uniform ? Tensor::uniform(shape, input.seed, -1.0f, 1.0f)
                                                         : Tensor::randn(shape, input.seed);
    } catch (const Error& e) {
      throw Error(e.kind(), std::string("input: ") + e.what(), "input.shape");
    }
  }
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
  return interpolate_reference(image, resize);
}

Tensor build_weight(const LayerSettings& layer, int64_t in_channels) {
  if (layer.weight.from_file) {
    try {
      if (!is_safetensors_path(layer.weight.path)) return read_npy(layer.weight.path);
      if (layer.weight.tensor_name.empty())
        throw_invalid("weight: choose one of the 4-D tensors of '" + layer.weight.path + "'", "weight.file");
      return read_safetensors(layer.weight.path, layer.weight.tensor_name);
    } catch (const Error& e) {
      throw Error(e.kind(), e.what(), "weight.file");
    }
  }
  return make_weight(layer.weight.init, generated_weight_shape(layer, in_channels), layer.weight.seed,
                     layer.weight.constant);
}

Shape generated_weight_shape(const LayerSettings& layer, int64_t in_channels) {
  if (layer.out_channels < 1)
    throw_invalid("layer: out_channels=" + std::to_string(layer.out_channels) + " must be >= 1", "out_channels");
  if (layer.params.groups < 1 || layer.out_channels % layer.params.groups != 0)
    throw_invalid("layer: out_channels=" + std::to_string(layer.out_channels) + " must be divisible by groups=" +
                      std::to_string(layer.params.groups) + " (the weight is [C_in, C_out/groups, kH, kW])",
                  "groups");
  if (layer.kernel.h < 1 || layer.kernel.w < 1)
    throw_invalid("layer: kernel_size=" + to_string(layer.kernel) + " must be >= 1 on each axis", "kernel");
  return {in_channels, layer.out_channels / layer.params.groups, layer.kernel.h, layer.kernel.w};
}

std::optional<Tensor> build_bias(const LayerSettings& layer, const Tensor& weight) {
  if (!layer.bias || weight.dim() != 4) return std::nullopt;
  // A model's bias sits next to its weight: NAME.weight and NAME.bias in the same .safetensors file.
  if (layer.weight.from_file && is_safetensors_path(layer.weight.path))
    if (std::optional<Tensor> bias = read_matching_bias(layer.weight.path, layer.weight.tensor_name)) return bias;
  // PyTorch's default: U(-b, b), b = 1/sqrt(fan_in), fan_in = C_out/groups * kH * kW.
  const float bound = 1.0f / std::sqrt(static_cast<float>(weight.size(1) * weight.size(2) * weight.size(3)));
  return Tensor::uniform({weight.size(1) * layer.params.groups}, layer.weight.seed + 1, -bound, bound);
}

std::vector<StackLayer> build_stack(const std::vector<LayerSettings>& specs, int64_t in_channels) {
  std::vector<StackLayer> layers;
  for (size_t i = 0; i < specs.size(); ++i) {
    try {
      StackLayer layer;
      layer.params = specs[i].params;
      layer.weight = build_weight(specs[i], in_channels);
      layer.bias = build_bias(specs[i], layer.weight);
      layer.activation = specs[i].activation;
      in_channels = layer.weight.dim() == 4 ? layer.weight.size(1) * layer.params.groups : in_channels;
      layers.push_back(std::move(layer));
    } catch (const Error& e) {
      if (specs.size() == 1) throw;
      throw in_layer(e, i);
    }
  }
  return layers;
}

}  // namespace convt
