// Compare A/B's settings: compare.enabled, and every layer.* key as compare.* for B (compare.kernel=4,
// compare.stride=2, compare.weight=bilinear, ...), declared once here by lifting the engine's layer table onto
// LabState::compare. apply_setting (state_keys.h) and --help reach them; a workspace stores them in its view's
// "compare" object.
#pragma once

#include "lab_state.h"

#include <convt/settings_schema.h>

#include <string>
#include <vector>

namespace convt::lab {

constexpr const char* kCompareEnabledKey = "compare.enabled";

// compare.enabled first, then B's layer keys in layer.* order.
const SettingTable<LabState>& compare_settings();
std::vector<std::string> compare_setting_keys();  // --help's lines

// Turns B on; when it was off, B starts as a copy of the shown layer (A), so one changed key compares exactly that.
void enable_compare(LabState& state);

}  // namespace convt::lab
