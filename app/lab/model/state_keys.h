// `--set key=value` for the app's command line (and its screenshot tests): every setting has a key, e.g.
// stride=2, layer.kernel=3,3, input.kind=random, view.colormap=diverging. Errors name the key and what it takes.
#pragma once

#include "lab_state.h"

#include <string>
#include <vector>

namespace convt::lab {

// Applies "key=value"; throws convt::Error (InvalidArgument) for an unknown key or a bad value.
void apply_setting(const std::string& assignment, LabState& state);

// Every key with what it takes, for --help.
std::vector<std::string> setting_keys();

}  // namespace convt::lab
