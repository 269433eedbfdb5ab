#include "state_keys.h"

#include <convt/backend.h>

#include <convt/error.h>
#include <convt/io.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>

namespace convt::lab {
namespace {

using Setter = std::function<void(LabState&, const std::string&)>;

struct Key {
  std::string help;
  Setter set;
};

int64_t to_int(const std::string& key, const std::string& text) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size())
    throw_invalid("--set " + key + "=" + text + ": expected an integer", key);
  return value;
}

IntPair to_pair(const std::string& key, const std::string& text) {
  const size_t comma = text.find(',');
  if (comma == std::string::npos) return to_int(key, text);
  return {to_int(key, text.substr(0, comma)), to_int(key, text.substr(comma + 1))};
}

float to_float(const std::string& key, const std::string& text) {
  char* end = nullptr;
  const float value = std::strtof(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value))
    throw_invalid("--set " + key + "=" + text + ": expected a number", key);
  return value;
}

bool to_bool(const std::string& key, const std::string& text) {
  if (text == "true" || text == "1" || text == "on") return true;
  if (text == "false" || text == "0" || text == "off") return false;
  throw_invalid("--set " + key + "=" + text + ": expected true or false", key);
}

template <typename Enum>
Enum to_enum(const std::string& key, const std::string& text, const std::map<std::string, Enum>& names) {
  const auto found = names.find(text);
  if (found != names.end()) return found->second;
  std::string options;
  for (const auto& [name, value] : names) options += (options.empty() ? "" : ", ") + name;
  throw_invalid("--set " + key + "=" + text + ": expected one of " + options, key);
}

const std::map<std::string, Key>& keys() {
  static const std::map<std::string, Key> table = {
      {"input.kind", {"pattern|random|image", [](LabState& s, const std::string& v) {
         s.input.kind = to_enum<InputKind>("input.kind", v, {{"pattern", InputKind::Pattern}, {"random", InputKind::Random}, {"image", InputKind::Image}});
       }}},
      {"input.pattern", {"impulse|checkerboard|zoneplate|gradient", [](LabState& s, const std::string& v) { s.input.pattern = parse_pattern(v); }}},
      {"input.pattern_channels", {"int", [](LabState& s, const std::string& v) { s.input.pattern_channels = to_int("input.pattern_channels", v); }}},
      {"input.pattern_size", {"int", [](LabState& s, const std::string& v) { s.input.pattern_size = to_int("input.pattern_size", v); }}},
      {"input.batch", {"int", [](LabState& s, const std::string& v) { s.input.batch = to_int("input.batch", v); }}},
      {"input.channels", {"int", [](LabState& s, const std::string& v) { s.input.channels = to_int("input.channels", v); }}},
      {"input.height", {"int", [](LabState& s, const std::string& v) { s.input.height = to_int("input.height", v); }}},
      {"input.width", {"int", [](LabState& s, const std::string& v) { s.input.width = to_int("input.width", v); }}},
      {"input.distribution", {"normal|uniform", [](LabState& s, const std::string& v) {
         s.input.distribution = to_enum<Distribution>("input.distribution", v, {{"normal", Distribution::Normal}, {"uniform", Distribution::Uniform}});
       }}},
      {"input.seed", {"int", [](LabState& s, const std::string& v) { s.input.seed = static_cast<uint64_t>(to_int("input.seed", v)); }}},
      {"input.image", {"path", [](LabState& s, const std::string& v) {
         s.input.kind = InputKind::Image;
         s.input.image_path = v;
       }}},
      {"input.resize", {"true|false", [](LabState& s, const std::string& v) { s.input.resize_image = to_bool("input.resize", v); }}},
      {"input.working_size", {"int", [](LabState& s, const std::string& v) { s.input.working_size = to_int("input.working_size", v); }}},
      {"layer.out_channels", {"int", [](LabState& s, const std::string& v) { s.layer().out_channels = to_int("layer.out_channels", v); }}},
      {"layer.kernel", {"K or KH,KW", [](LabState& s, const std::string& v) { s.layer().kernel = to_pair("layer.kernel", v); }}},
      {"layer.stride", {"S or SH,SW", [](LabState& s, const std::string& v) { s.layer().params.stride = to_pair("layer.stride", v); }}},
      {"layer.padding", {"P or PH,PW", [](LabState& s, const std::string& v) { s.layer().params.padding = to_pair("layer.padding", v); }}},
      {"layer.output_padding", {"OP or OPH,OPW", [](LabState& s, const std::string& v) { s.layer().params.output_padding = to_pair("layer.output_padding", v); }}},
      {"layer.dilation", {"D or DH,DW", [](LabState& s, const std::string& v) { s.layer().params.dilation = to_pair("layer.dilation", v); }}},
      {"layer.groups", {"int", [](LabState& s, const std::string& v) { s.layer().params.groups = to_int("layer.groups", v); }}},
      {"layer.bias", {"true|false", [](LabState& s, const std::string& v) { s.layer().bias = to_bool("layer.bias", v); }}},
      {"layer.weight", {"kaiming|normal|uniform|constant|bilinear|nearest|impulse, a .npy path, or FILE.safetensors:NAME",
                        [](LabState& s, const std::string& v) {
         const auto model_tensor = split_safetensors_spec(v);
         const bool is_npy = v.size() > 4 && v.substr(v.size() - 4) == ".npy";
         const bool is_model = is_safetensors_path(v);  // the tensor is chosen later
         if (model_tensor) {
           s.layer().weight.path = model_tensor->first;
           s.layer().weight.tensor_name = model_tensor->second;
         } else if (is_npy || is_model) {
           s.layer().weight.path = v;
           s.layer().weight.tensor_name.clear();
         } else {
           s.layer().weight.init = parse_weight_init(v);  // throws before anything changes
         }
         s.layer().weight.from_file = model_tensor || is_npy || is_model;
       }}},
      {"layer.constant", {"float", [](LabState& s, const std::string& v) { s.layer().weight.constant = to_float("layer.constant", v); }}},
      {"layer.seed", {"int", [](LabState& s, const std::string& v) { s.layer().weight.seed = static_cast<uint64_t>(to_int("layer.seed", v)); }}},
      {"layer.backend", {"auto|cuda|cpu|reference|cuda-tf32", [](LabState& s, const std::string& v) {
         std::map<std::string, std::string> names;
         for (const std::string& name : backend_choices()) names[name] = name;
         s.backend = to_enum<std::string>("layer.backend", v, names);
       }}},
      {"layer.activation", {"none|relu|leaky_relu|tanh (after this layer, before the next)", [](LabState& s, const std::string& v) {
         s.layer().activation = parse_activation(v);
       }}},
      {"stack.layer", {"int (1-based: the layer of the stack that the panels show and edit)", [](LabState& s, const std::string& v) {
         const int64_t layer = to_int("stack.layer", v);
         if (layer < 1 || layer > static_cast<int64_t>(s.layers.size()))
           throw_invalid("--set stack.layer=" + v + ": the stack has layers 1 to " + std::to_string(s.layers.size()), "stack.layer");
         s.selected_layer = layer - 1;
       }}},
      {"stack.append", {"int (adds N layers like the shown one, each with its own weights, at the end of the stack, and shows the last)", [](LabState& s, const std::string& v) {
         const int64_t count = to_int("stack.append", v);
         if (count < 1 || count > 16) throw_invalid("--set stack.append=" + v + ": expected 1 to 16 layers", "stack.append");
         for (int64_t i = 0; i < count; ++i) s.layers.push_back(next_layer_like(s, s.layer()));
         s.selected_layer = static_cast<int64_t>(s.layers.size()) - 1;
       }}},
      {"view.colormap", {"grey|viridis|diverging", [](LabState& s, const std::string& v) { s.view.colormap = parse_colormap(v); }}},
      {"view.range", {"channel|global", [](LabState& s, const std::string& v) {
         s.view.global_range = to_enum<bool>("view.range", v, {{"channel", false}, {"global", true}});
       }}},
      {"view.batch", {"int", [](LabState& s, const std::string& v) { s.view.batch_index = to_int("view.batch", v); }}},
      {"view.in_channel", {"int", [](LabState& s, const std::string& v) { s.view.in_channel = to_int("view.in_channel", v); }}},
      {"view.out_channel", {"int", [](LabState& s, const std::string& v) { s.view.out_channel = to_int("view.out_channel", v); }}},
      {"view.comparison", {"nearest|bilinear", [](LabState& s, const std::string& v) {
         s.view.comparison = to_enum<ComparisonResize>("view.comparison", v, {{"nearest", ComparisonResize::Nearest}, {"bilinear", ComparisonResize::Bilinear}});
       }}},
      {"view.checkerboard", {"layer|stack (the shown layer's analysis, or the whole stack's)", [](LabState& s, const std::string& v) {
         s.view.whole_stack = to_enum<bool>("view.checkerboard", v, {{"layer", false}, {"stack", true}});
       }}},
      {"view.zoom", {"float (screen pixels per tensor pixel, 0 = fit)", [](LabState& s, const std::string& v) { s.view.zoom = to_float("view.zoom", v); }}},
  };
  return table;
}

}  // namespace

void apply_setting(const std::string& assignment, LabState& state) {
  const size_t equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0)
    throw_invalid("--set '" + assignment + "': expected key=value (see convt-lab --help)", "set");
  std::string key = assignment.substr(0, equals);
  const std::string value = assignment.substr(equals + 1);
  auto found = keys().find(key);
  // Short forms: "stride=2" means layer.stride, "colormap=..." view.colormap, and so on.
  for (const char* prefix : {"layer.", "input.", "view.", "stack."})
    if (found == keys().end()) found = keys().find(prefix + key);
  if (found == keys().end()) throw_invalid("--set: unknown key '" + key + "' (see convt-lab --help for the keys)", "set");
  try {
    found->second.set(state, value);
  } catch (const std::exception& e) {
    const std::string message = e.what();
    // Messages from the engine's parsers do not know the key: name it.
    if (message.rfind("--set", 0) == 0) throw;
    throw_invalid("--set " + found->first + "=" + value + ": " + message, found->first);
  }
}

std::vector<std::string> setting_keys() {
  std::vector<std::string> lines;
  for (const auto& [name, key] : keys()) lines.push_back(name + "=" + key.help);
  return lines;
}

}  // namespace convt::lab
