// A workspace: what ConvT Lab was looking at (the input source, the layers, the backend, and the app's view
// settings) as a versioned JSON file that the desktop app saves and reloads and the CLI runs
// (`convt run --workspace`, `convt stack --workspace`). Written atomically.
#pragma once

#include <convt/params.h>
#include <convt/stack.h>
#include <convt/tensor.h>

#include <optional>
#include <string>
#include <vector>

namespace convt {

struct InputSpec {
  std::string kind = "pattern";  // pattern | random | image
  std::string pattern = "zoneplate";
  int64_t pattern_size = 24, pattern_channels = 1;
  Shape random_shape{1, 3, 12, 12};
  std::string distribution = "normal";  // normal | uniform
  uint64_t seed = 0;
  std::string image_path;
  bool resize_image = true;
  int64_t working_size = 48;  // longer side after resizing
  bool operator==(const InputSpec&) const = default;
};

struct WeightSpec {
  std::string source = "init";  // init | file
  std::string init = "kaiming";  // a convt::WeightInit name
  float constant = 1.0f;
  std::string path;    // .npy or .safetensors
  std::string tensor;  // the tensor of a .safetensors file
  uint64_t seed = 1;
  bool operator==(const WeightSpec&) const = default;
};

struct LayerSpec {
  int64_t out_channels = 1;
  IntPair kernel{4, 4};
  ConvTranspose2dParams params;
  bool bias = false;  // from the weight's .safetensors NAME.bias when there is one, else PyTorch's default init
  WeightSpec weight;
  std::string activation = "none";  // none | relu | leaky_relu | tanh
  bool operator==(const LayerSpec&) const = default;
};

struct Workspace {
  InputSpec input;
  std::vector<LayerSpec> layers{LayerSpec{}};
  std::string backend = "auto";
  std::string view_json = "{}";  // the app's view settings, kept as they are by everything else
  bool operator==(const Workspace&) const = default;
};

// JSON text (version 1) and back; parse errors are ErrorKind::Io naming `name` and the offending key.
std::string workspace_to_json(const Workspace& workspace);
Workspace workspace_from_json(const std::string& text, const std::string& name);
void write_workspace(const std::string& path, const Workspace& workspace);
Workspace read_workspace(const std::string& path);

// The tensors a workspace describes. build_input gives a 4-D tensor.
Tensor build_input(const InputSpec& input);
Tensor build_weight(const LayerSpec& layer, int64_t in_channels);
std::optional<Tensor> build_bias(const LayerSpec& layer, const Tensor& weight);
// Every layer of a stack, each weight's C_in following the previous layer's C_out from `in_channels` on.
std::vector<StackLayer> build_stack(const std::vector<LayerSpec>& layers, int64_t in_channels);

}  // namespace convt
