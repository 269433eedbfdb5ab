// The Train lab's settings: every train.* key `--set` takes (train.enabled=true, train.steps=50, train.2.kernel=4,
// ...), declared once here with the schema's helpers (convt/settings_schema.h). apply_setting (state_keys.h) and
// --help reach them too. They are a table of their own, after the layer explorer's (which keeps its README table);
// a workspace stores them in its view's "train" object (all but the actions train.steps and train.play).
#pragma once

#include "lab_state.h"

#include <convt/settings_schema.h>

#include <string>
#include <vector>

namespace convt::lab {

// Every train.* key, in --help order: the lab's controls, the data, the model, the optimiser, then the contenders'
// train.N.model, train.N.kernel and train.N.init for N = 1 to 3.
const SettingTable<LabState>& train_settings();

// --help's lines for them, and their README table (`convt-lab --train-settings-markdown`).
std::vector<std::string> train_setting_keys();
std::string train_settings_markdown();

// What the contenders' init takes, in the order the panel offers them ("file" stands for a .safetensors path).
std::span<const char* const> train_init_names();

}  // namespace convt::lab
