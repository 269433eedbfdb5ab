// What a user sets up: the input and the layers, as typed structs. The desktop app edits them, a workspace
// (convt/workspace.h) stores them, and build_input/build_weight/build_stack turn them into tensors, so the app and
// the CLI build exactly the same ones. Each field is declared once more, as a named setting with its range and
// help, in convt/settings_schema.h: --set, --help, workspaces and presets all go through that table.
#pragma once

#include <convt/analysis.h>
#include <convt/params.h>
#include <convt/patterns.h>
#include <convt/stack.h>

#include <cstdint>
#include <span>
#include <string>

namespace convt {

enum class InputKind { Pattern, Random, Image };
// "pattern", "random", "image", in enum order.
std::span<const char* const> input_kind_names();

enum class Distribution { Normal, Uniform };
// "normal", "uniform", in enum order.
std::span<const char* const> distribution_names();

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
  bool bias = false;  // from the weight's .safetensors NAME.bias when there is one, else PyTorch's default init
  WeightSource weight;
  Activation activation = Activation::None;  // applied to this layer's output before the next layer
  bool operator==(const LayerSettings&) const = default;
};

}  // namespace convt
