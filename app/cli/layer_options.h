// The layer flags shared by `convt run`, `analyze`, `explain`, `bench` and `grad`: where the input, weight and bias come from
// and the conv_transpose2d parameters. Registers them with CLI11 and turns them into validated tensors.
#pragma once

#include <convt/params.h>
#include <convt/shape.h>
#include <convt/tensor.h>

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>

namespace convt::cli {

struct LayerOptions {
  std::string input;
  std::string weight;
  std::string bias = "auto";
  std::string stride = "1";
  std::string padding = "0";
  std::string output_padding = "0";
  std::string dilation = "1";
  int64_t groups = 1;
  uint64_t seed = 0;
  std::string workspace;  // when set, the input and the layer come from this convt-lab workspace instead
};

void add_layer_options(CLI::App& command, LayerOptions& options);

// --backend, checked against the engine's own list (auto, cuda, cpu, reference, cuda-tf32).
void add_backend_option(CLI::App& command, std::string& backend);

// --colormap, checked against the engine's names (grey, viridis, diverging; gray too); `what` starts the help.
void add_colormap_option(CLI::App& command, std::string& colormap, const std::string& what);

struct Layer {
  Tensor input;
  Tensor weight;
  std::optional<Tensor> bias;
  ConvTranspose2dParams params;
  ConvTranspose2dGeometry geometry;
  const Tensor* bias_pointer() const { return bias ? &*bias : nullptr; }
};

// Parses the pairs, validates the parameters before anything is loaded, loads or generates the tensors, and
// validates the whole call. Throws convt::Error.
ConvTranspose2dParams parse_layer_params(const LayerOptions& options);
// Reports parameter-flag mistakes before any file is touched (nothing to do for a workspace).
void check_layer_flags(const LayerOptions& options);
Layer load_layer(const LayerOptions& options);

// The tensors of --input, --weight and --bias alone (not --workspace; the parameters are not read), for a command
// that validates them for another op (`convt grad --op conv2d`). `out_channels` gives the bias's size from the
// input and weight shapes, validating them on the way.
struct LayerTensors {
  Tensor input;
  Tensor weight;
  std::optional<Tensor> bias;
};
LayerTensors load_layer_tensors(const LayerOptions& options,
                                const std::function<int64_t(const Shape& input, const Shape& weight)>& out_channels);

// Seeds of tensors a command generates besides the layer's own (input, weight, bias use offsets 0, 1, 2).
constexpr uint64_t kGradOutputSeedOffset = 3;

}  // namespace convt::cli
