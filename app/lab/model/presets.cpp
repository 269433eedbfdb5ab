#include "presets.h"

#include "state_keys.h"
#include "workspace_state.h"

#include <convt/error.h>
#include <convt/stack_presets.h>

namespace convt::lab {
namespace {

// A one-layer preset: settings (state_keys.h) applied to one default layer, so it replaces any stack. The weight
// is PyTorch's default (kaiming) unless a preset names another.
struct LayerPreset {
  Preset preset;
  std::vector<std::string> settings;
};

// A preset of either kind: a stack preset names the engine's (convt/stack_presets.h).
struct PresetDefinition {
  Preset preset;
  std::vector<std::string> settings;
  std::string stack;
};

const std::vector<LayerPreset>& layer_presets() {
  static const std::vector<LayerPreset> list = {
      {{"dcgan", "DCGAN k4 s2 p1", "the exact-2x layer of GAN generators and U-Net decoders: even overlap"},
       {"input.kind=random", "input.batch=1", "input.channels=8", "input.height=8", "input.width=8",
        "layer.out_channels=4", "layer.kernel=4", "layer.stride=2", "layer.padding=1", "layer.output_padding=0"}},
      {{"gan-k5s2", "Reference: GAN generator", "page example [32,128,4,4] w[128,256,5,5] s2 p2 op1 -> [32,256,8,8] (right)"},
       {"input.kind=random", "input.batch=32", "input.channels=128", "input.height=4", "input.width=4",
        "layer.out_channels=256", "layer.kernel=5", "layer.stride=2", "layer.padding=2", "layer.output_padding=1"}},
      {{"unet", "Reference: U-Net decoder", "page example [8,512,8,8] w[512,256,4,4] s2 p1 op1: 17x17, not the 16x16 claimed"},
       {"input.kind=random", "input.batch=8", "input.channels=512", "input.height=8", "input.width=8",
        "layer.out_channels=256", "layer.kernel=4", "layer.stride=2", "layer.padding=1", "layer.output_padding=1"}},
      {{"segmentation", "Reference: segmentation layer 1", "page example [4,512,16,16] k4 s2 p1 op1: 33x33, not 32x32"},
       {"input.kind=random", "input.batch=4", "input.channels=512", "input.height=16", "input.width=16",
        "layer.out_channels=256", "layer.kernel=4", "layer.stride=2", "layer.padding=1", "layer.output_padding=1"}},
      {{"progressive", "Reference: progressive GAN layer 1", "page example [8,512,1,1] k4 s2 p1 op1: 3x3, not 2x2"},
       {"input.kind=random", "input.batch=8", "input.channels=512", "input.height=1", "input.width=1",
        "layer.out_channels=256", "layer.kernel=4", "layer.stride=2", "layer.padding=1", "layer.output_padding=1"}},
      {{"super-resolution", "Super-resolution k3 s2 p1 op1", "page example [1,3,32,32] w[3,32,3,3] -> [1,32,64,64]: uneven overlap"},
       {"input.kind=random", "input.batch=1", "input.channels=3", "input.height=32", "input.width=32",
        "layer.out_channels=32", "layer.kernel=3", "layer.stride=2", "layer.padding=1", "layer.output_padding=1"}},
      {{"fractional", "Fractional op (1,0)", "page example [1,64,16,16] w[64,128,3,3] s2 p1 op(1,0) -> [1,128,32,31]"},
       {"input.kind=random", "input.batch=1", "input.channels=64", "input.height=16", "input.width=16",
        "layer.out_channels=128", "layer.kernel=3", "layer.stride=2", "layer.padding=1", "layer.output_padding=1,0"}},
      {{"checkerboard", "Checkerboard demo k3 s2", "constant kernel 3, stride 2: neighbouring outputs get 2 and 1 taps"},
       {"input.kind=pattern", "input.pattern=zoneplate", "input.pattern_channels=1", "input.pattern_size=24",
        "layer.out_channels=1", "layer.kernel=3", "layer.stride=2", "layer.padding=0", "layer.output_padding=0",
        "layer.weight=constant"}},
      {{"holes-k1s2", "Holes demo k1 s2", "kernel smaller than the stride: 3 of every 4 outputs get nothing"},
       {"input.kind=pattern", "input.pattern=zoneplate", "input.pattern_channels=1", "input.pattern_size=24",
        "layer.out_channels=1", "layer.kernel=1", "layer.stride=2", "layer.padding=0", "layer.output_padding=0",
        "layer.weight=constant"}},
      {{"holes-k2s2d2", "Holes demo k2 s2 d2", "dilation shares a factor with the stride: taps land on one phase only"},
       {"input.kind=pattern", "input.pattern=zoneplate", "input.pattern_channels=1", "input.pattern_size=24",
        "layer.out_channels=1", "layer.kernel=2", "layer.stride=2", "layer.padding=0", "layer.output_padding=0",
        "layer.dilation=2", "layer.weight=constant"}},
      {{"bilinear", "Bilinear upsampling k4 s2 p1", "the FCN bilinear kernel: a transposed conv that equals bilinear resize"},
       {"input.kind=pattern", "input.pattern=zoneplate", "input.pattern_channels=1", "input.pattern_size=24",
        "layer.out_channels=1", "layer.kernel=4", "layer.stride=2", "layer.padding=1", "layer.output_padding=0",
        "layer.weight=bilinear"}},
  };
  return list;
}

// The engine's stack presets (the same ones `convt stack --preset` runs), after the single layers.
const std::vector<PresetDefinition>& definitions() {
  static const std::vector<PresetDefinition> list = [] {
    std::vector<PresetDefinition> all;
    for (const LayerPreset& layer : layer_presets()) all.push_back({layer.preset, layer.settings, ""});
    for (const StackPreset& stack : stack_presets())
      all.push_back({{"stack-" + stack.name, "Stack: " + stack.title, stack.note}, {}, stack.name});
    return all;
  }();
  return list;
}

const PresetDefinition* find_definition(const std::string& name) {
  for (const PresetDefinition& d : definitions())
    if (d.preset.name == name) return &d;
  return nullptr;
}

// The reference page's examples whose claimed shape is wrong: what gives the shape the page wanted.
const std::vector<PresetCorrection>& corrections() {
  static const std::vector<PresetCorrection> list = {
      {"unet", {"layer.output_padding=0"}, "output_padding 0 gives 16x16, the shape the page claims"},
      {"segmentation", {"layer.output_padding=0"}, "output_padding 0 gives 32x32, the shape the page claims"},
      {"progressive", {"layer.output_padding=0"}, "output_padding 0 gives 2x2, the shape the page claims"},
  };
  return list;
}

// After every preset: a slice, or a pinned pixel, of the previous layer may not exist in this one.
const std::vector<std::string> kFirstSlice = {"view.batch=0", "view.in_channel=0", "view.out_channel=0", "view.pin=none",
                                              "view.pin_input=none"};

}  // namespace

const std::vector<Preset>& presets() {
  static const std::vector<Preset> list = [] {
    std::vector<Preset> result;
    for (const PresetDefinition& d : definitions()) result.push_back(d.preset);
    return result;
  }();
  return list;
}

void apply_preset(const std::string& name, LabState& state) {
  std::string names;
  for (const PresetDefinition& d : definitions()) {
    if (d.preset.name != name) {
      names += (names.empty() ? "" : ", ") + d.preset.name;
      continue;
    }
    LabState next = state;
    if (d.stack.empty()) {
      next.layers = {LayerSettings{}};
      next.selected_layer = 0;
      for (const std::string& setting : d.settings) apply_setting(setting, next);
    } else {
      apply_workspace(stack_preset(d.stack).workspace, "stack preset " + d.stack, next);
      next.backend = state.backend;  // a preset sets the layers, not where they run
      next.selected_layer = static_cast<int64_t>(next.layers.size()) - 1;  // the final output first
    }
    for (const std::string& setting : kFirstSlice) apply_setting(setting, next);
    next.model.node.clear();  // the preset's layers are shown, not a model's node (the model stays listed)
    state = std::move(next);
    return;
  }
  throw_invalid("unknown preset '" + name + "': expected one of " + names, "preset");
}

bool preset_modified(const std::string& name, const LabState& state) {
  if (!find_definition(name)) return false;
  LabState fresh = state;
  apply_preset(name, fresh);
  return fresh.input != state.input || fresh.layers != state.layers;
}

const PresetCorrection* preset_correction(const std::string& name) {
  for (const PresetCorrection& correction : corrections())
    if (correction.preset == name) return &correction;
  return nullptr;
}

void apply_preset_correction(const std::string& name, LabState& state) {
  const PresetCorrection* correction = preset_correction(name);
  if (!correction) return;
  LabState next = state;
  for (const std::string& setting : correction->settings) apply_setting(setting, next);
  state = std::move(next);
}

}  // namespace convt::lab
