// The app's state as a workspace (convt/workspace.h) and back: the file the app saves and reloads and the CLI
// runs. The input and the layers are the engine's own structs, so the app builds tensors exactly as the CLI does;
// the view (view.* and stack.layer, state_keys.h) travels as the workspace's "view" object.
#pragma once

#include "lab_state.h"

#include <convt/workspace.h>

namespace convt::lab {

Workspace to_workspace(const LabState& state);

// Replaces the state's input, layers (all of them: a workspace can hold a stack), backend and view with the
// workspace's (view settings it leaves out keep their values); throws convt::Error (ErrorKind::Io, naming `name`,
// the key and the rule) for values the app cannot show, and changes nothing then.
void apply_workspace(const Workspace& workspace, const std::string& name, LabState& state);

}  // namespace convt::lab
