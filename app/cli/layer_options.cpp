#include "layer_options.h"

#include <convt/backend.h>

#include "cli_options.h"
#include "tensor_source.h"

#include <convt/error.h>
#include <convt/image.h>
#include <convt/workspace.h>

namespace convt::cli {
namespace {

// Separate streams so that input, weight and bias never share random values for the same --seed.
constexpr uint64_t kWeightSeedOffset = 1;
constexpr uint64_t kBiasSeedOffset = 2;

}  // namespace

void add_backend_option(CLI::App& command, std::string& backend) {
  command
      .add_option("--backend", backend,
                  "auto (cuda when a GPU answers, else cpu), cuda, cpu, reference, or cuda-tf32 (TF32 tensor cores, "
                  "only when named)")
      ->check(CLI::IsMember(backend_choices()))
      ->capture_default_str();
}

void add_colormap_option(CLI::App& command, std::string& colormap, const std::string& what) {
  std::vector<std::string> accepted(colormap_names().begin(), colormap_names().end());
  accepted.push_back("gray");
  command.add_option("--colormap", colormap, what + names_text(colormap_names()))
      ->check(CLI::IsMember(accepted))
      ->capture_default_str();
}

void add_layer_options(CLI::App& command, LayerOptions& options) {
  command.add_option("--input", options.input, "Input X.npy, FILE.safetensors:NAME, or KIND:N,C,H,W (KIND random, uniform or constant; 3 dims = unbatched)");
  command
      .add_option("--weight", options.weight,
                  "Weight W.npy or MODEL.safetensors:NAME [C_in, C_out/groups, kH, kW], or KIND:Cin,Cout_per_group,kH,kW "
                  "(KIND random, uniform, constant, kaiming, bilinear, nearest, impulse)");
  command.add_option("--bias", options.bias,
                     "Bias B.npy or FILE.safetensors:NAME with C_out values, random, none, or auto (the weight's NAME.bias "
                     "in its .safetensors file, else none)")
      ->capture_default_str();
  command.add_option("--stride", options.stride, "Stride S or SH,SW")->capture_default_str();
  command.add_option("--padding", options.padding, "Padding P or PH,PW")->capture_default_str();
  command.add_option("--output-padding", options.output_padding, "Output padding OP or OPH,OPW")->capture_default_str();
  command.add_option("--dilation", options.dilation, "Dilation D or DH,DW")->capture_default_str();
  command.add_option("--groups", options.groups, "Groups")->capture_default_str();
  command.add_option("--seed", options.seed, "Seed for random tensors")->capture_default_str();
  command.add_option("--workspace", options.workspace,
                     "Take the input and the layer from a workspace saved by convt-lab (replaces the flags above)");
}

void check_layer_flags(const LayerOptions& options) {
  if (options.workspace.empty()) parse_layer_params(options);  // a workspace is read and checked once, by load_layer
}

ConvTranspose2dParams parse_layer_params(const LayerOptions& options) {
  ConvTranspose2dParams params =
      parse_param_flags(options.stride, options.padding, options.output_padding, options.dilation);
  params.groups = options.groups;
  validate_params(params);
  return params;
}

Layer load_layer(const LayerOptions& options) {
  Layer layer;
  if (!options.workspace.empty()) {
    const Workspace workspace = read_workspace(options.workspace);
    if (workspace.layers.size() > 1)
      throw_invalid("--workspace '" + options.workspace + "' holds a stack of " + std::to_string(workspace.layers.size()) +
                    " layers: run it with `convt stack --workspace`");
    const LayerSettings& spec = workspace.layers.front();
    layer.params = spec.params;
    validate_params(layer.params);
    layer.input = build_input(workspace.input);
    layer.weight = build_weight(spec, layer.input.size(1));
    layer.bias = build_bias(spec, layer.weight);
    layer.geometry = validate_conv_transpose2d(layer.input.shape(), layer.weight.shape(),
                                               layer.bias ? std::optional<Shape>(layer.bias->shape()) : std::nullopt,
                                               layer.params);
    return layer;
  }
  layer.params = parse_layer_params(options);
  LayerTensors tensors = load_layer_tensors(options, [&](const Shape& input, const Shape& weight) {
    return validate_conv_transpose2d(input, weight, std::nullopt, layer.params).out_channels;
  });
  layer.input = std::move(tensors.input);
  layer.weight = std::move(tensors.weight);
  layer.bias = std::move(tensors.bias);
  layer.geometry = validate_conv_transpose2d(layer.input.shape(), layer.weight.shape(),
                                             layer.bias ? std::optional<Shape>(layer.bias->shape()) : std::nullopt,
                                             layer.params);
  return layer;
}

LayerTensors load_layer_tensors(const LayerOptions& options,
                                const std::function<int64_t(const Shape& input, const Shape& weight)>& out_channels) {
  if (options.input.empty()) throw_invalid("--input is required (or --workspace)");
  if (options.weight.empty()) throw_invalid("--weight is required (or --workspace)");
  LayerTensors tensors;
  tensors.input = load_tensor("--input", options.input, options.seed, TensorRole::Input);
  tensors.weight = load_tensor("--weight", options.weight, options.seed + kWeightSeedOffset, TensorRole::Weight);
  tensors.bias = load_bias(options.bias, options.weight, out_channels(tensors.input.shape(), tensors.weight.shape()),
                           options.seed + kBiasSeedOffset);
  return tensors;
}

}  // namespace convt::cli
