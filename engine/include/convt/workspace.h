// A workspace: what ConvT Lab was looking at (the input, the layers, the backend, and the app's view settings) as
// a versioned JSON file that the desktop app saves and reloads and the CLI runs (`convt run --workspace`,
// `convt stack --workspace`). Written atomically. Its layout comes from the settings schema
// (convt/settings_schema.h): each setting is stored under its key's last part, e.g. layers[0].stride for
// layer.stride.
#pragma once

#include <convt/settings.h>
#include <convt/stack.h>
#include <convt/tensor.h>

#include <optional>
#include <string>
#include <vector>

namespace convt {

// Version 2 stores every setting under its schema name; version 1 files (which nested the weight and kept the
// random shape as one array) are migrated when read.
constexpr int kWorkspaceVersion = 2;

struct Workspace {
  InputSettings input;
  std::vector<LayerSettings> layers{LayerSettings{}};  // never empty in a file
  std::string backend = "auto";
  std::string view_json = "{}";  // the app's view settings, a JSON object kept as it is by everything else
  bool operator==(const Workspace&) const = default;
};

// JSON text and back. Errors are ErrorKind::Io, one line naming `name`, the key and the rule, e.g.
// "invalid workspace 'w.json': layers[0].stride: 6e+61 is not S or [SH, SW], each an integer in [1, 2^31)".
// Every number is range-checked before it is converted.
std::string workspace_to_json(const Workspace& workspace);
Workspace workspace_from_json(const std::string& text, const std::string& name);
void write_workspace(const std::string& path, const Workspace& workspace);
Workspace read_workspace(const std::string& path);

// The tensors a workspace describes. build_input gives a 4-D tensor.
Tensor build_input(const InputSettings& input);
Tensor build_weight(const LayerSettings& layer, int64_t in_channels);
// The shape of a generated (not loaded) weight, [C_in, C_out/groups, kH, kW], after checking the layer's own rules
// (C_out >= 1 and divisible by groups, kernel >= 1): known, and checked, before anything is built.
Shape generated_weight_shape(const LayerSettings& layer, int64_t in_channels);
std::optional<Tensor> build_bias(const LayerSettings& layer, const Tensor& weight);
// Every layer of a stack, each weight's C_in following the previous layer's C_out from `in_channels` on.
std::vector<StackLayer> build_stack(const std::vector<LayerSettings>& layers, int64_t in_channels);

}  // namespace convt
