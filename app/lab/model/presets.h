// Named starting points: the layers people meet in real models, the reference page's examples as written (with
// their true shapes), and the geometries that show checkerboards and holes. Each is a list of settings
// (state_keys.h) applied to one default layer, or one of the engine's stack presets (convt/stack_presets.h).
#pragma once

#include "lab_state.h"

#include <string>
#include <vector>

namespace convt::lab {

struct Preset {
  std::string name;         // what --preset takes, e.g. "dcgan"
  std::string title;        // what the UI shows
  std::string description;  // one line: what it shows
};

const std::vector<Preset>& presets();

// A reference page example whose claimed shape is wrong: the settings that give the shape the page wanted, and
// what they change ("output_padding 0 gives 16x16, the shape the page claims").
struct PresetCorrection {
  std::string preset;
  std::vector<std::string> settings;
  std::string note;
};
// Null for a preset that needs none (or an unknown name).
const PresetCorrection* preset_correction(const std::string& name);
// Applies preset_correction(name)'s settings on top of the state; nothing for other presets.
void apply_preset_correction(const std::string& name, LabState& state);

// True when the state's input or layers differ from what preset `name` sets (a parameter was changed since), so
// its caption no longer describes the screen. False for an unknown name.
bool preset_modified(const std::string& name, const LabState& state);

// Applies a preset to the state (layer and input); throws convt::Error for an unknown name, listing the names.
void apply_preset(const std::string& name, LabState& state);

}  // namespace convt::lab
