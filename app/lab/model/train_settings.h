// What the Train lab sets up: one image, up to three contenders (an upsampling model each) trained side by side on
// the same data with the same loss and optimiser, and the lab's own controls (shown, playing, steps to run). Each
// field is declared once more as a train.* setting (train_keys.h). No ImGui here.
#pragma once

#include <convt/params.h>
#include <convt/train.h>

#include <array>
#include <cstdint>
#include <string>

namespace convt::lab {

constexpr int64_t kMaxContenders = 3;

// One contender: its upsampling layer and how it starts.
struct ContenderSettings {
  UpsamplerKind model = UpsamplerKind::Deconv;
  int64_t kernel = 3;
  std::string init = "kaiming";  // kaiming | icnr | bilinear | a .safetensors file (train.h, parse_init)
  bool operator==(const ContenderSettings&) const = default;
};

// Everything the trainers are built from: a change of any of it starts the contenders again from step 0.
struct TrainSetup {
  // A sample's name (assets/samples/NAME.png), an image file's path, or "input" for the app's current input.
  std::string image = "scene";
  IntPair crop_size{128, 128};  // the target's size; 0 on an axis takes the whole image on it
  IntPair crop_at{-1, -1};      // the crop's top-left corner; -1 centres it on that axis
  int64_t factor = 2;
  TrainColor color = TrainColor::Grey;
  int64_t hidden = 16;  // the feature layer's width; 0: none
  InterpolateMode resize = InterpolateMode::Nearest;  // resize-conv contenders
  LossKind loss = LossKind::Mse;
  OptimizerKind optimizer = OptimizerKind::Adam;
  float learning_rate = 0.01f;
  float momentum = 0.9f;  // SGD only
  uint64_t seed = 0;
  int64_t contenders = 3;  // how many of `contender` train
  std::array<ContenderSettings, kMaxContenders> contender{{
      {UpsamplerKind::Deconv, 3, "kaiming"},
      {UpsamplerKind::Deconv, 4, "kaiming"},
      {UpsamplerKind::Subpixel, 3, "icnr"},
  }};
  bool operator==(const TrainSetup&) const = default;
};

struct TrainSettings {
  bool enabled = false;  // lab mode: the window shows the Train lab instead of the layer explorer
  bool playing = false;  // steps run continuously
  int64_t steps = 0;     // an action: run this many steps (then --screenshot waits for them)
  TrainSetup setup;
  bool operator==(const TrainSettings&) const = default;
};

}  // namespace convt::lab
