#include "presets.h"

#include "workspace_state.h"

#include <convt/error.h>
#include <convt/stack_presets.h>

#include <functional>

namespace convt::lab {
namespace {

struct PresetDefinition {
  Preset preset;
  std::function<void(LabState&)> apply;
};

WeightSource initialiser(WeightInit init) {
  WeightSource weight;
  weight.init = init;
  return weight;
}

// A one-layer preset replaces any stack with that layer.
void layer(LabState& s, int64_t out_channels, IntPair kernel, IntPair stride, IntPair padding, IntPair output_padding,
           IntPair dilation = 1, int64_t groups = 1) {
  s.layers = {LayerSettings{}};
  s.selected_layer = 0;
  s.layer().out_channels = out_channels;
  s.layer().kernel = kernel;
  s.layer().params = {stride, padding, output_padding, dilation, groups};
  s.layer().weight = initialiser(WeightInit::KaimingUniform);  // PyTorch's default; demos override it
}

void random_input(LabState& s, int64_t n, int64_t c, int64_t h, int64_t w) {
  s.input.kind = InputKind::Random;
  s.input.batch = n, s.input.channels = c, s.input.height = h, s.input.width = w;
}

void constant_demo(LabState& s, IntPair kernel, IntPair stride, IntPair dilation) {
  s.input.kind = InputKind::Pattern;
  s.input.pattern = Pattern::ZonePlate;
  s.input.pattern_channels = 1;
  s.input.pattern_size = 24;
  layer(s, 1, kernel, stride, 0, 0, dilation);
  s.layer().weight = initialiser(WeightInit::Constant);
}

const std::vector<PresetDefinition>& definitions() {
  static const std::vector<PresetDefinition> list = {
      {{"dcgan", "DCGAN k4 s2 p1", "the exact-2x layer of GAN generators and U-Net decoders: even overlap"},
       [](LabState& s) {
         random_input(s, 1, 8, 8, 8);
         layer(s, 4, 4, 2, 1, 0);
       }},
      {{"gan-k5s2", "Reference: GAN generator", "page example [32,128,4,4] w[128,256,5,5] s2 p2 op1 -> [32,256,8,8] (right)"},
       [](LabState& s) {
         random_input(s, 32, 128, 4, 4);
         layer(s, 256, 5, 2, 2, 1);
       }},
      {{"unet", "Reference: U-Net decoder", "page example [8,512,8,8] w[512,256,4,4] s2 p1 op1: 17x17, not the 16x16 claimed"},
       [](LabState& s) {
         random_input(s, 8, 512, 8, 8);
         layer(s, 256, 4, 2, 1, 1);
       }},
      {{"segmentation", "Reference: segmentation layer 1", "page example [4,512,16,16] k4 s2 p1 op1: 33x33, not 32x32"},
       [](LabState& s) {
         random_input(s, 4, 512, 16, 16);
         layer(s, 256, 4, 2, 1, 1);
       }},
      {{"progressive", "Reference: progressive GAN layer 1", "page example [8,512,1,1] k4 s2 p1 op1: 3x3, not 2x2"},
       [](LabState& s) {
         random_input(s, 8, 512, 1, 1);
         layer(s, 256, 4, 2, 1, 1);
       }},
      {{"super-resolution", "Super-resolution k3 s2 p1 op1", "page example [1,3,32,32] w[3,32,3,3] -> [1,32,64,64]: uneven overlap"},
       [](LabState& s) {
         random_input(s, 1, 3, 32, 32);
         layer(s, 32, 3, 2, 1, 1);
       }},
      {{"fractional", "Fractional op (1,0)", "page example [1,64,16,16] w[64,128,3,3] s2 p1 op(1,0) -> [1,128,32,31]"},
       [](LabState& s) {
         random_input(s, 1, 64, 16, 16);
         layer(s, 128, 3, 2, 1, IntPair(1, 0));
       }},
      {{"checkerboard", "Checkerboard demo k3 s2", "constant kernel 3, stride 2: neighbouring outputs get 2 and 1 taps"},
       [](LabState& s) { constant_demo(s, 3, 2, 1); }},
      {{"holes-k1s2", "Holes demo k1 s2", "kernel smaller than the stride: 3 of every 4 outputs get nothing"},
       [](LabState& s) { constant_demo(s, 1, 2, 1); }},
      {{"holes-k2s2d2", "Holes demo k2 s2 d2", "dilation shares a factor with the stride: taps land on one phase only"},
       [](LabState& s) { constant_demo(s, 2, 2, 2); }},
      {{"bilinear", "Bilinear upsampling k4 s2 p1", "the FCN bilinear kernel: a transposed conv that equals bilinear resize"},
       [](LabState& s) {
         s.input.kind = InputKind::Pattern;
         s.input.pattern = Pattern::ZonePlate;
         s.input.pattern_channels = 1;
         s.input.pattern_size = 24;
         layer(s, 1, 4, 2, 1, 0);
         s.layer().weight = initialiser(WeightInit::Bilinear);
       }},
  };
  return list;
}

// The engine's stack presets (the same ones `convt stack --preset` runs), after the single layers.
const std::vector<PresetDefinition>& all_definitions() {
  static const std::vector<PresetDefinition> list = [] {
    std::vector<PresetDefinition> all = definitions();
    for (const StackPreset& stack : stack_presets())
      all.push_back({{"stack-" + stack.name, "Stack: " + stack.title, stack.note}, [name = stack.name](LabState& s) {
                       const std::string backend = s.backend;
                       apply_workspace(stack_preset(name).workspace, "stack preset " + name, s);
                       s.backend = backend;  // a preset sets the layers, not where they run
                       s.selected_layer = static_cast<int64_t>(s.layers.size()) - 1;  // the final output first
                     }});
    return all;
  }();
  return list;
}

}  // namespace

const std::vector<Preset>& presets() {
  static const std::vector<Preset> list = [] {
    std::vector<Preset> result;
    for (const PresetDefinition& d : all_definitions()) result.push_back(d.preset);
    return result;
  }();
  return list;
}

void apply_preset(const std::string& name, LabState& state) {
  std::string names;
  for (const PresetDefinition& d : all_definitions()) {
    if (d.preset.name == name) {
      d.apply(state);
      state.view.in_channel = state.view.out_channel = state.view.batch_index = 0;
      return;
    }
    names += (names.empty() ? "" : ", ") + d.preset.name;
  }
  throw_invalid("unknown preset '" + name + "': expected one of " + names, "preset");
}

}  // namespace convt::lab
