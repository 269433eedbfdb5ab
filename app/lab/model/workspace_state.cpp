#include "workspace_state.h"

#include "state_keys.h"
#include "train_keys.h"

#include <convt/error.h>

#include <nlohmann/json.hpp>

namespace convt::lab {

constexpr const char* kTrainViewKey = "train";

Workspace to_workspace(const LabState& state) {
  Workspace workspace;
  workspace.input = state.input;
  workspace.layers = state.layers;
  workspace.backend = state.backend;
  nlohmann::json view = settings_to_json(workspace_view_settings(), state);
  // The Train lab's setup, in an object of its own: its names ("factor", "1.model") are the train.* keys' tails.
  view[kTrainViewKey] = settings_to_json(train_settings(), state);
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
    check_json_keys(view, known, "view");
    settings_from_json(workspace_view_settings(), view, "view", next);
    if (view.contains(kTrainViewKey)) {  // a workspace saved before the Train lab keeps the lab as it is
      const nlohmann::json& train = view.at(kTrainViewKey);
      const std::string where = std::string("view.") + kTrainViewKey;
      check_json_keys(train, setting_json_names(train_settings()), where);
      settings_from_json(train_settings(), train, where, next);
    }
  } catch (const std::exception& e) {
    throw_io("invalid workspace '" + name + "': " + e.what());
  }
  state = std::move(next);
}

}  // namespace convt::lab
