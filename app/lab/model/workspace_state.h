// The app's state as a workspace (convt/workspace.h) and back: the file the app saves and reloads and the CLI
// runs. The layer and input conversions also feed the model, so the app builds tensors exactly as the CLI does.
#pragma once

#include "lab_state.h"

#include <convt/workspace.h>

namespace convt::lab {

InputSpec to_input_spec(const InputSettings& input);
LayerSpec to_layer_spec(const LayerSettings& layer);
LayerSettings to_layer_settings(const LayerSpec& spec);
Workspace to_workspace(const LabState& state);

// Replaces the state's input, layers (all of them: a workspace can hold a stack), backend and view with the
// workspace's; throws convt::Error (ErrorKind::Io, naming `name`) for values the app cannot show.
void apply_workspace(const Workspace& workspace, const std::string& name, LabState& state);

}  // namespace convt::lab
