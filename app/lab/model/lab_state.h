// Everything the user can set in ConvT Lab, as typed structs. The model (lab_model.h) turns this state into
// results; the panels edit it; presets and `--set key=value` write it. No ImGui here.
#pragma once

#include <convt/analysis.h>
#include <convt/image.h>
#include <convt/params.h>
#include <convt/patterns.h>
#include <convt/stack.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace convt::lab {

enum class InputKind { Pattern, Random, Image };
enum class Distribution { Normal, Uniform };

struct InputSettings {
  InputKind kind = InputKind::Pattern;
  // Pattern
  Pattern pattern = Pattern::ZonePlate;
  int64_t pattern_channels = 1;
  int64_t pattern_size = 24;
  // Random tensor
  int64_t batch = 1, channels = 3, height = 12, width = 12;
  Distribution distribution = Distribution::Normal;
  uint64_t seed = 0;
  // Image file
  std::string image_path;
  bool resize_image = true;
  int64_t working_size = 48;  // longer side after resizing
  bool operator==(const InputSettings&) const = default;
};

// Where the weight comes from: one of the engine's initialisers, or a file: a .npy, or a tensor of a model's
// .safetensors (tensor_name; its NAME.bias becomes the bias when bias is on).
struct WeightSource {
  bool from_file = false;
  WeightInit init = WeightInit::KaimingUniform;
  float constant = 1.0f;
  std::string path;
  std::string tensor_name;
  uint64_t seed = 1;
  bool operator==(const WeightSource&) const = default;
};

struct LayerSettings {
  int64_t out_channels = 1;  // C_out = weight.size(1) * groups
  IntPair kernel{4, 4};
  ConvTranspose2dParams params{2, 1, 0, 1, 1};
  bool bias = false;
  WeightSource weight;
  Activation activation = Activation::None;  // applied to this layer's output before the next layer
  bool operator==(const LayerSettings&) const = default;
};

enum class ComparisonResize { Nearest, Bilinear };

// What is looked at: it changes views, not the main computation (except the chosen slice and comparison).
struct ViewSettings {
  Colormap colormap = Colormap::Viridis;
  bool global_range = false;  // one range for all channels, else per channel
  int64_t batch_index = 0;
  int64_t in_channel = 0;
  int64_t out_channel = 0;
  ComparisonResize comparison = ComparisonResize::Bilinear;
  float zoom = 0;  // screen pixels per tensor pixel; 0 = fit
  bool whole_stack = false;  // the checkerboard analysis of the whole stack instead of the shown layer
  bool operator==(const ViewSettings&) const = default;
};

// One layer, or a stack of them run in order (a GAN generator, a decoder path). The panels edit and show the
// selected layer; the stack panel shows every stage and the whole chain's overlap pattern.
struct LabState {
  InputSettings input;
  std::vector<LayerSettings> layers{LayerSettings{}};  // never empty
  int64_t selected_layer = 0;
  std::string backend = "auto";
  ViewSettings view;
  bool operator==(const LabState&) const = default;

  int64_t selected() const { return std::clamp<int64_t>(selected_layer, 0, static_cast<int64_t>(layers.size()) - 1); }
  LayerSettings& layer() { return layers[static_cast<size_t>(selected())]; }
  const LayerSettings& layer() const { return layers[static_cast<size_t>(selected())]; }
};

// A layer to add to a stack, like `model`: the same geometry, activation and initialiser, but its own weights (a
// seed no layer uses yet; a file's weight fixes C_in, so a copy of one is generated instead).
inline LayerSettings next_layer_like(const LabState& state, const LayerSettings& model) {
  LayerSettings layer = model;
  if (layer.weight.from_file) layer.weight = WeightSource{};
  uint64_t seed = 0;
  for (const LayerSettings& existing : state.layers) seed = std::max(seed, existing.weight.seed);
  layer.weight.seed = seed + 1;
  return layer;
}

}  // namespace convt::lab
