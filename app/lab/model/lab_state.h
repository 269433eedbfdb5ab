// Everything the user can set in ConvT Lab, as typed structs. The input and layer settings are the engine's
// (convt/settings.h), so the CLI builds the same tensors from a workspace; the view is the app's. Every field is
// declared once more as a named setting (state_keys.h): --set, --help, workspaces and presets go through those.
// The model (lab_model.h) turns this state into results; the panels edit it. No ImGui here.
#pragma once

#include "model_settings.h"
#include "train_settings.h"

#include <convt/image.h>
#include <convt/settings.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace convt::lab {

// The engine's settings, by their names here too (convt::lab::InputKind and so on).
using convt::Distribution;
using convt::InputKind;
using convt::InputSettings;
using convt::LayerSettings;
using convt::WeightSource;

enum class ComparisonResize { Nearest, Bilinear };
// "nearest", "bilinear", in enum order.
inline std::span<const char* const> comparison_resize_names() {
  static constexpr const char* names[] = {"nearest", "bilinear"};
  return names;
}

// A pinned pixel (view.pin, view.pin_input): the inspector lists the terms that made an output pixel, or the
// footprint of an input pixel, in the shown slice (view.batch, view.in_channel, view.out_channel).
enum class PinTarget { None, Output, Input };
struct PixelPin {
  PinTarget target = PinTarget::None;
  int64_t y = 0, x = 0;
  bool operator==(const PixelPin&) const = default;
};

// A step of scatter-then-convolve, or the replay, opened large (view.enlarge).
enum class EnlargedView { None, Input, ZeroInserted, Padded, Kernel, Convolution, Output, Replay };
// "none", "input", "zero-insert", "padded", "kernel", "convolution", "output", "replay", in enum order.
inline std::span<const char* const> enlarged_view_names() {
  static constexpr const char* names[] = {"none", "input", "zero-insert", "padded", "kernel", "convolution", "output", "replay"};
  return names;
}

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
  PixelPin pin;
  bool matrix = false;             // the 1-D matrix view: why "transposed"
  int64_t matrix_row = -1;         // its input row; -1: the middle row
  int64_t matrix_kernel_row = -1;  // its kernel row; -1: the middle row
  int64_t matrix_inputs = 8;       // how many input values it cuts (at most 16): few enough to read every entry
  bool round_trip = false;         // conv2d run back down on the output
  bool lessons = false;            // the Lessons window
  int64_t lesson = 0;              // the lesson it shows, 1 to 6; 0: the introduction and the list
  EnlargedView enlarge = EnlargedView::None;
  bool replay_1d = false;          // the replay along one input row, with its coverage counter
  int64_t replay_row = -1;         // that row; -1: the middle row
  bool operator==(const ViewSettings&) const = default;
};

// Compare A/B: a second configuration of the shown layer, B, run on the same input (compare.*, compare_keys.h).
struct CompareSettings {
  bool enabled = false;
  LayerSettings layer;  // B; compare_keys.h's enable_compare starts it as a copy of A
  bool operator==(const CompareSettings&) const = default;
};

// One layer, or a stack of them run in order (a GAN generator, a decoder path). The panels edit and show the
// selected layer; the stack panel shows every stage and the whole chain's overlap pattern.
struct LabState {
  InputSettings input;
  std::vector<LayerSettings> layers{LayerSettings{}};  // never empty
  int64_t selected_layer = 0;
  std::string backend = "auto";
  ViewSettings view;
  TrainSettings train;  // the Train lab (train_keys.h)
  ModelSettings model;  // the Model panel (model_keys.h); while it shows a node, `layers` are the model's
  CompareSettings compare;  // compare.* (compare_keys.h)
  bool operator==(const LabState&) const = default;

  int64_t selected() const { return std::clamp<int64_t>(selected_layer, 0, static_cast<int64_t>(layers.size()) - 1); }
  LayerSettings& layer() { return layers[static_cast<size_t>(selected())]; }
  const LayerSettings& layer() const { return layers[static_cast<size_t>(selected())]; }
};

// A layer that stands for a ConvTranspose node of the model: its weight is the node's (the model session holds
// it), named by the model's file and the node. The model writes these into `layers` while it shows a node.
inline bool is_model_layer(const LayerSettings& layer, const std::string& model_path) {
  return layer.weight.from_file && !model_path.empty() && layer.weight.path == model_path &&
         !layer.weight.tensor_name.empty();
}

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
