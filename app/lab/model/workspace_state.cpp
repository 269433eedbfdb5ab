#include "workspace_state.h"

#include "compare_keys.h"
#include "model_keys.h"
#include "state_keys.h"
#include "train_keys.h"

#include <convt/error.h>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace convt::lab {

constexpr const char* kTrainViewKey = "train";
constexpr const char* kModelViewKey = "model";
constexpr const char* kCompareViewKey = "compare";

Workspace to_workspace(const LabState& state) {
  Workspace workspace;
  workspace.input = state.input;
  workspace.layers = state.layers;
  // A model's nodes shown as layers come back from model.* when the workspace opens; their weights live in the
  // .onnx file, which `convt run --workspace` does not read, so the file keeps a plain default layer in their place.
  const auto model_layer = [&state](const LayerSettings& layer) { return is_model_layer(layer, state.model.path); };
  const bool model_layers = state.model.node_shown() && std::all_of(state.layers.begin(), state.layers.end(), model_layer);
  if (model_layers) workspace.layers = {LayerSettings{}};
  workspace.backend = state.backend;
  nlohmann::json view = settings_to_json(workspace_view_settings(), state);
  if (model_layers) view[find_setting(workspace_view_settings(), "stack.layer")->info.json_name()] = 1;  // model.node says which
  // The Train lab's setup, in an object of its own: its names ("factor", "1.model") are the train.* keys' tails.
  view[kTrainViewKey] = settings_to_json(train_settings(), state);
  // The Model panel's file, node and inputs ("path", "node", ...): the node's layers come from the file again.
  view[kModelViewKey] = settings_to_json(model_settings(), state);
  // Compare A/B's B ("enabled", "kernel", ...), in an object of its own: its names are the layer keys'.
  view[kCompareViewKey] = settings_to_json(compare_settings(), state);
  workspace.view_json = view.dump();
  return workspace;
}

void apply_workspace(const Workspace& workspace, const std::string& name, LabState& state) {
  LabState next = state;
  try {
    if (workspace.layers.empty()) throw_invalid("it has no layers");
    next.input = workspace.input;
    next.layers = workspace.layers;
    next.selected_layer = 0;
    next.backend = workspace.backend;
    const nlohmann::json view = nlohmann::json::parse(workspace.view_json.empty() ? "{}" : workspace.view_json);
    std::vector<std::string> known = setting_json_names(workspace_view_settings());
    known.push_back(kTrainViewKey);
    known.push_back(kModelViewKey);
    known.push_back(kCompareViewKey);
    check_json_keys(view, known, "view");
    settings_from_json(workspace_view_settings(), view, "view", next);
    if (view.contains(kTrainViewKey)) {  // a workspace saved before the Train lab keeps the lab as it is
      const nlohmann::json& train = view.at(kTrainViewKey);
      const std::string where = std::string("view.") + kTrainViewKey;
      check_json_keys(train, setting_json_names(train_settings()), where);
      settings_from_json(train_settings(), train, where, next);
    }
    // A workspace saved without a model shows its own layers, not a node (an open model stays listed).
    next.model.node.clear();
    if (view.contains(kModelViewKey)) {
      const nlohmann::json& model = view.at(kModelViewKey);
      const std::string where = std::string("view.") + kModelViewKey;
      check_json_keys(model, setting_json_names(model_settings()), where);
      settings_from_json(model_settings(), model, where, next);
    }
    next.compare = {};  // a workspace saved before Compare A/B compares nothing
    if (view.contains(kCompareViewKey)) {
      const nlohmann::json& compare = view.at(kCompareViewKey);
      const std::string where = std::string("view.") + kCompareViewKey;
      check_json_keys(compare, setting_json_names(compare_settings()), where);
      settings_from_json(compare_settings(), compare, where, next);
    }
  } catch (const std::exception& e) {
    throw_io("invalid workspace '" + name + "': " + e.what());
  }
  state = std::move(next);
}

}  // namespace convt::lab
