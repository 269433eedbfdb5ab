#include <convt/error.h>
#include <convt/stack_presets.h>

namespace convt {
namespace {

InputSettings random_input(int64_t batch, int64_t channels, int64_t height, int64_t width) {
  InputSettings input;
  input.kind = InputKind::Random;
  input.batch = batch, input.channels = channels, input.height = height, input.width = width;
  return input;
}

// A layer with PyTorch's default (Kaiming-uniform) weights, seeded per layer so no two layers are equal.
LayerSettings layer(int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding, int64_t output_padding,
                    Activation activation, uint64_t seed) {
  LayerSettings spec;
  spec.out_channels = out_channels;
  spec.kernel = kernel;
  spec.params = {stride, padding, output_padding, 1, 1};
  spec.activation = activation;
  spec.weight.seed = seed;
  return spec;
}

Workspace workspace(InputSettings input, std::vector<LayerSettings> layers) {
  Workspace w;
  w.input = std::move(input);
  w.layers = std::move(layers);
  return w;
}

}  // namespace

const std::vector<StackPreset>& stack_presets() {
  using enum Activation;
  static const std::vector<StackPreset> presets = {
      {"dcgan", "DCGAN generator 4 -> 64", "k4 s2 p1 four times: even overlap at every layer, so none compounds",
       workspace(random_input(1, 512, 4, 4),
                 {layer(256, 4, 2, 1, 0, ReLU, 1), layer(128, 4, 2, 1, 0, ReLU, 2), layer(64, 4, 2, 1, 0, ReLU, 3),
                  layer(3, 4, 2, 1, 0, Tanh, 4)})},
      {"progressive", "Progressive GAN 1 -> 127 (reference page)",
       "k4 s2 p1 op1 six times: 3, 7, 15, 31, 63, 127, not the 2, 4, ..., 64 the page claims",
       workspace(random_input(8, 512, 1, 1),
                 {layer(256, 4, 2, 1, 1, None, 1), layer(256, 4, 2, 1, 1, None, 2), layer(256, 4, 2, 1, 1, None, 3),
                  layer(256, 4, 2, 1, 1, None, 4), layer(256, 4, 2, 1, 1, None, 5), layer(256, 4, 2, 1, 1, None, 6)})},
      {"segmentation", "Segmentation decoder 16 -> 271 (reference page)",
       "k4 s2 p1 op1 four times: 33, 67, 135, 271, not the 32, 64, 128, 256 the page claims",
       workspace(random_input(4, 512, 16, 16),
                 {layer(256, 4, 2, 1, 1, None, 1), layer(256, 4, 2, 1, 1, None, 2), layer(256, 4, 2, 1, 1, None, 3),
                  layer(256, 4, 2, 1, 1, None, 4)})},
      {"unet", "U-Net decoder path 8 -> 64", "k4 s2 p1 with ReLU three times: 512 channels at 8x8 to 64 at 64x64",
       workspace(random_input(1, 512, 8, 8),
                 {layer(256, 4, 2, 1, 0, ReLU, 1), layer(128, 4, 2, 1, 0, ReLU, 2), layer(64, 4, 2, 1, 0, ReLU, 3)})},
  };
  return presets;
}

const StackPreset& stack_preset(const std::string& name) {
  std::string known;
  for (const StackPreset& preset : stack_presets()) {
    if (preset.name == name) return preset;
    known += (known.empty() ? "" : ", ") + preset.name;
  }
  throw_invalid("unknown stack preset '" + name + "': expected one of " + known, "preset");
}

}  // namespace convt
