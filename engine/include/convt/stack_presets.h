// The layer stacks people meet, as workspaces, so the app (Stack presets) and the CLI (`convt stack --preset`)
// run exactly the same input and layers: DCGAN's generator 4 -> 8 -> 16 -> 32 -> 64, the reference page's
// progressive and segmentation stacks with their true shapes (3, 7, ..., 127 and 33, 67, 135, 271, not the
// powers of two the page claims), and a U-Net decoder path.
#pragma once

#include <convt/workspace.h>

#include <string>
#include <vector>

namespace convt {

struct StackPreset {
  std::string name;   // "dcgan"
  std::string title;  // shown in the app's picker
  std::string note;   // one line: what it shows
  Workspace workspace;
};

const std::vector<StackPreset>& stack_presets();

// The preset of that name; an unknown name is InvalidArgument listing the known ones.
const StackPreset& stack_preset(const std::string& name);

}  // namespace convt
