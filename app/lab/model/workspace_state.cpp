#include "workspace_state.h"

#include "state_keys.h"

#include <convt/error.h>

#include <nlohmann/json.hpp>

namespace convt::lab {

Workspace to_workspace(const LabState& state) {
  Workspace workspace;
  workspace.input = state.input;
  workspace.layers = state.layers;
  workspace.backend = state.backend;
  workspace.view_json = settings_to_json(workspace_view_settings(), state).dump();
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
    check_json_keys(view, setting_json_names(workspace_view_settings()), "view");
    settings_from_json(workspace_view_settings(), view, "view", next);
  } catch (const std::exception& e) {
    throw_io("invalid workspace '" + name + "': " + e.what());
  }
  state = std::move(next);
}

}  // namespace convt::lab
