// The app's settings schema: every key `--set key=value` takes, e.g. stride=2, layer.kernel=3,3, input.kind=random,
// view.colormap=diverging. The input.* and layer.* settings are the engine's (convt/settings_schema.h), reached
// through the state's input and its shown layer; the app declares its view.* and stack.* ones here. --help, the
// README's table, workspaces (workspace_state.h) and presets (presets.h) all come from these tables.
#pragma once

#include "lab_state.h"

#include <convt/settings_schema.h>

#include <string>
#include <vector>

namespace convt::lab {

// view.*: what is looked at.
const SettingTable<ViewSettings>& view_settings();
// Every key, in --help order: input.*, layer.* (the shown layer), layer.backend, view.*, stack.*.
const SettingTable<LabState>& lab_settings();
// The app's own settings, view.* and stack.*: a workspace's "view" object holds the stored ones (view.* and
// stack.layer), each under its key's last part.
const SettingTable<LabState>& workspace_view_settings();

// Applies "key=value"; a short key ("stride") is tried as layer.stride, input.stride, view.stride, stack.stride.
// The Train lab's train.* keys (train_keys.h), the Model panel's model.* keys (model_keys.h) and Compare A/B's
// compare.* keys (compare_keys.h) are taken too, written in full; any compare.* key but compare.enabled=false turns
// B on, starting it as a copy of the shown layer when it was off.
// Throws convt::Error (InvalidArgument) naming the key for an unknown key or a bad value, and changes nothing then.
void apply_setting(const std::string& assignment, LabState& state);

// Every key with what it takes, its default and what it does, for --help: "layer.stride=S or SH,SW in [1, 2^31)
// (default 2): ...".
std::vector<std::string> setting_keys();

// The README's settings table (Markdown), generated from lab_settings(); `convt-lab --settings-markdown` prints it.
std::string settings_markdown();

}  // namespace convt::lab
