// The Model panel's settings: every model.* key `--set` takes (model.path=FILE, model.node=NAME,
// model.input=random|FILE, model.seed=N), declared once here with the schema's helpers (convt/settings_schema.h).
// apply_setting (state_keys.h) and --help reach them too; `convt-lab --model FILE` is model.path=FILE. A workspace
// stores them in its view's "model" object, so a saved workspace opens the same model on the same node.
#pragma once

#include "lab_state.h"

#include <convt/settings_schema.h>

#include <string>
#include <vector>

namespace convt::lab {

// Every model.* key, in --help order.
const SettingTable<LabState>& model_settings();

// --help's lines for them, and their README table (`convt-lab --model-settings-markdown`).
std::vector<std::string> model_setting_keys();
std::string model_settings_markdown();

// model.input split into its files (empty for "random"); an empty part or a stray comma is refused, naming the key.
std::vector<std::string> model_input_files(const std::string& input);
// model.input with input `index` (of `inputs`) fed from `file`, the others keeping theirs (or random).
std::string with_model_input_file(const std::string& input, size_t index, size_t inputs, const std::string& file);

}  // namespace convt::lab
