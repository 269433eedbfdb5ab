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

// Applies a preset to the state (layer and input); throws convt::Error for an unknown name, listing the names.
void apply_preset(const std::string& name, LabState& state);

}  // namespace convt::lab
