#include "workspace_state.h"

#include <convt/error.h>

#include <nlohmann/json.hpp>

namespace convt::lab {
namespace {

const char* kinds[] = {"pattern", "random", "image"};

}  // namespace

InputSpec to_input_spec(const InputSettings& input) {
  InputSpec spec;
  spec.kind = kinds[static_cast<int>(input.kind)];
  spec.pattern = to_string(input.pattern);
  spec.pattern_size = input.pattern_size;
  spec.pattern_channels = input.pattern_channels;
  spec.random_shape = {input.batch, input.channels, input.height, input.width};
  spec.distribution = input.distribution == Distribution::Uniform ? "uniform" : "normal";
  spec.seed = input.seed;
  spec.image_path = input.image_path;
  spec.resize_image = input.resize_image;
  spec.working_size = input.working_size;
  return spec;
}

LayerSpec to_layer_spec(const LayerSettings& layer) {
  LayerSpec spec;
  spec.out_channels = layer.out_channels;
  spec.kernel = layer.kernel;
  spec.params = layer.params;
  spec.bias = layer.bias;
  spec.weight.source = layer.weight.from_file ? "file" : "init";
  spec.weight.init = to_string(layer.weight.init);
  spec.weight.constant = layer.weight.constant;
  spec.weight.path = layer.weight.path;
  spec.weight.tensor = layer.weight.tensor_name;
  spec.weight.seed = layer.weight.seed;
  spec.activation = to_string(layer.activation);
  return spec;
}

LayerSettings to_layer_settings(const LayerSpec& spec) {
  LayerSettings layer;
  layer.out_channels = spec.out_channels;
  layer.kernel = spec.kernel;
  layer.params = spec.params;
  layer.bias = spec.bias;
  layer.weight.from_file = spec.weight.source == "file";
  layer.weight.init = parse_weight_init(spec.weight.init);
  layer.weight.constant = spec.weight.constant;
  layer.weight.path = spec.weight.path;
  layer.weight.tensor_name = spec.weight.tensor;
  layer.weight.seed = spec.weight.seed;
  layer.activation = parse_activation(spec.activation);
  return layer;
}

Workspace to_workspace(const LabState& state) {
  Workspace workspace;
  workspace.input = to_input_spec(state.input);
  workspace.layers.clear();
  for (const LayerSettings& layer : state.layers) workspace.layers.push_back(to_layer_spec(layer));
  workspace.backend = state.backend;
  const ViewSettings& v = state.view;
  const char* colormaps[] = {"grey", "viridis", "diverging"};
  workspace.view_json = nlohmann::json{{"colormap", colormaps[static_cast<int>(v.colormap)]},
                                       {"global_range", v.global_range},
                                       {"batch_index", v.batch_index},
                                       {"in_channel", v.in_channel},
                                       {"out_channel", v.out_channel},
                                       {"comparison", v.comparison == ComparisonResize::Nearest ? "nearest" : "bilinear"},
                                       {"zoom", v.zoom},
                                       {"selected_layer", state.selected()},
                                       {"whole_stack", v.whole_stack}}
                            .dump();
  return workspace;
}

void apply_workspace(const Workspace& workspace, const std::string& name, LabState& state) {
  LabState next = state;
  try {
    const InputSpec& i = workspace.input;
    next.input.kind = i.kind == "random" ? InputKind::Random : i.kind == "image" ? InputKind::Image : InputKind::Pattern;
    next.input.pattern = parse_pattern(i.pattern);
    next.input.pattern_size = i.pattern_size;
    next.input.pattern_channels = i.pattern_channels;
    if (i.random_shape.size() == 4) {
      next.input.batch = i.random_shape[0];
      next.input.channels = i.random_shape[1];
      next.input.height = i.random_shape[2];
      next.input.width = i.random_shape[3];
    }
    next.input.distribution = i.distribution == "uniform" ? Distribution::Uniform : Distribution::Normal;
    next.input.seed = i.seed;
    next.input.image_path = i.image_path;
    next.input.resize_image = i.resize_image;
    next.input.working_size = i.working_size;

    next.layers.clear();
    for (const LayerSpec& spec : workspace.layers) next.layers.push_back(to_layer_settings(spec));
    next.selected_layer = 0;
    next.backend = workspace.backend;

    const nlohmann::json view = nlohmann::json::parse(workspace.view_json.empty() ? "{}" : workspace.view_json);
    if (view.contains("colormap")) next.view.colormap = parse_colormap(view.at("colormap").get<std::string>());
    if (view.contains("global_range")) next.view.global_range = view.at("global_range").get<bool>();
    if (view.contains("batch_index")) next.view.batch_index = view.at("batch_index").get<int64_t>();
    if (view.contains("in_channel")) next.view.in_channel = view.at("in_channel").get<int64_t>();
    if (view.contains("out_channel")) next.view.out_channel = view.at("out_channel").get<int64_t>();
    if (view.contains("comparison"))
      next.view.comparison = view.at("comparison") == "nearest" ? ComparisonResize::Nearest : ComparisonResize::Bilinear;
    if (view.contains("zoom")) next.view.zoom = view.at("zoom").get<float>();
    if (view.contains("whole_stack")) next.view.whole_stack = view.at("whole_stack").get<bool>();
    if (view.contains("selected_layer")) next.selected_layer = view.at("selected_layer").get<int64_t>();
  } catch (const std::exception& e) {
    throw_io("invalid workspace '" + name + "': " + e.what());
  }
  state = next;
}

}  // namespace convt::lab
