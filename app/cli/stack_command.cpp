#include "stack_command.h"
#include "layer_options.h"

#include "cli_options.h"
#include "tensor_source.h"

#include <convt/analysis.h>
#include <convt/backend.h>
#include <convt/error.h>
#include <convt/io.h>
#include <convt/pytorch_export.h>
#include <convt/stack.h>
#include <convt/stack_presets.h>
#include <convt/workspace.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

namespace convt::cli {
namespace {

StackLayer parse_layer(const std::string& spec, size_t index, uint64_t seed, const std::string& bias_default) {
  std::map<std::string, std::string> fields{{"stride", "1"}, {"padding", "0"}, {"output_padding", "0"}, {"dilation", "1"},
                                            {"groups", "1"},  {"bias", bias_default}, {"act", "none"}};
  const std::string where = "--layer " + std::to_string(index + 1);
  size_t start = 0;
  for (;;) {
    const size_t end = spec.find(';', start);
    const std::string item = spec.substr(start, end - start);
    const size_t equals = item.find('=');
    if (equals == std::string::npos) throw_invalid(where + " '" + spec + "': '" + item + "' is not key=value");
    const std::string key = item.substr(0, equals);
    if (key != "weight" && !fields.count(key))
      throw_invalid(where + ": unknown key '" + key + "' (weight, stride, padding, output_padding, dilation, groups, bias, act)");
    fields[key] = item.substr(equals + 1);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (!fields.count("weight")) throw_invalid(where + " '" + spec + "': it needs weight=SPEC");
  StackLayer layer;
  layer.params = {parse_pair(where + " stride", fields["stride"]), parse_pair(where + " padding", fields["padding"]),
                  parse_pair(where + " output_padding", fields["output_padding"]),
                  parse_pair(where + " dilation", fields["dilation"]), 1};
  try {
    layer.params.groups = std::stoll(fields["groups"]);
  } catch (const std::exception&) {
    throw_invalid(where + " groups '" + fields["groups"] + "': expected an integer");
  }
  layer.weight = load_tensor(where + " weight", fields["weight"], seed + 10 * index + 1, TensorRole::Weight);
  if (layer.weight.dim() == 4)
    layer.bias = load_bias(fields["bias"], fields["weight"], layer.weight.size(1) * layer.params.groups, seed + 10 * index + 2);
  layer.activation = parse_activation(fields["act"]);
  return layer;
}

}  // namespace

CLI::App* add_stack_command(CLI::App& app, StackOptions& options) {
  CLI::App* stack = app.add_subcommand("stack", "Run a chain of conv_transpose2d layers and analyse the whole chain");
  stack->add_option("--input", options.input, "Input X.npy, FILE.safetensors:NAME or KIND:N,C,H,W (a preset sets one)");
  std::vector<std::string> preset_names;
  for (const StackPreset& preset : stack_presets()) preset_names.push_back(preset.name);
  stack->add_option("--preset", options.preset, "dcgan, progressive, segmentation or unet (the app's stack presets)")
      ->check(CLI::IsMember(preset_names));
  stack->add_option("--layer", options.layers,
                    "A layer, repeatable, in order: \"weight=SPEC;stride=S;padding=P;output_padding=OP;dilation=D;"
                    "groups=G;bias=auto|none|random|FILE;act=" + names_text(activation_names(), "|") + "\"");
  stack->add_option("--seed", options.seed, "Seed for generated tensors")->capture_default_str();
  add_backend_option(*stack, options.backend);
  stack->add_option("--out-dir", options.out_dir, "Write every stage's output as layerN.npy here");
  stack->add_option("--workspace", options.workspace, "Take the input and every layer from a convt-lab workspace");
  stack->add_flag("--json", options.json, "Print one JSON object instead of text");
  return stack;
}

void report_stack(const StackOptions& options, const Tensor& input, const std::vector<StackLayer>& layers);

// The layers of a workspace (a convt-lab file or a stack preset), built the way the app builds them.
void execute_workspace_layers(const StackOptions& options, const Tensor& input, const std::vector<LayerSettings>& specs) {
  report_stack(options, input, build_stack(specs, input.size(1)));
}

void prepare_out_dir(const StackOptions& options) {
  if (options.out_dir.empty()) return;
  std::error_code error;
  std::filesystem::create_directories(options.out_dir, error);
  if (!std::filesystem::is_directory(options.out_dir, error))
    throw_io("cannot create the output folder '" + options.out_dir + "'");
}

void execute_stack(const StackOptions& options) {
  prepare_out_dir(options);
  if (!options.workspace.empty()) {
    const Workspace workspace = read_workspace(options.workspace);
    execute_workspace_layers(options, build_input(workspace.input), workspace.layers);
    return;
  }
  if (!options.preset.empty()) {
    // The preset's layers, on its own input or on --input (the first layer takes whatever channels it has).
    if (!options.layers.empty()) throw_invalid("stack: --preset sets the layers; give either --preset or --layer");
    const Workspace& preset = stack_preset(options.preset).workspace;
    execute_workspace_layers(options,
                             options.input.empty() ? build_input(preset.input)
                                                   : load_tensor("--input", options.input, options.seed, TensorRole::Input),
                             preset.layers);
    return;
  }
  if (options.input.empty()) throw_invalid("stack: --input is required (or a --preset)");
  if (options.layers.empty()) throw_invalid("stack: give at least one --layer (or a --preset)");
  const Tensor input = load_tensor("--input", options.input, options.seed, TensorRole::Input);
  std::vector<StackLayer> layers;
  for (size_t i = 0; i < options.layers.size(); ++i)
    layers.push_back(parse_layer(options.layers[i], i, options.seed, "auto"));
  report_stack(options, input, layers);
}

void report_stack(const StackOptions& options, const Tensor& input, const std::vector<StackLayer>& layers) {
  const std::vector<ConvTranspose2dGeometry> geometry = validate_stack(input.shape(), layers);
  const Backend& backend = select_backend(options.backend, layers.front().params);
  const std::vector<Tensor> outputs = run_stack(input, layers, backend);

  const std::vector<StackLayerShape> shapes = shapes_of(layers);
  const StackCoverageSummary chain = summarize_stack_coverage(stack_coverage(input.shape(), shapes), stack_border(shapes));
  const StackLayer& last = layers.back();
  const ArtifactScore score = artifact_score(outputs.back(), last.params, {last.weight.size(2), last.weight.size(3)});

  nlohmann::json json_layers = nlohmann::json::array();
  const std::string pytorch = pytorch_stack_code(input.shape(), shapes);
  for (size_t i = 0; i < layers.size(); ++i) {
    const ConvTranspose2dGeometry& g = geometry[i];
    const CoverageReport coverage = coverage_report(g, layers[i].params, /*with_map=*/false);  // the verdict only
    if (!options.out_dir.empty())
      write_npy((std::filesystem::path(options.out_dir) / ("layer" + std::to_string(i + 1) + ".npy")).string(), outputs[i]);
    json_layers.push_back({{"output_shape", g.output_shape()},
                           {"weight_shape", layers[i].weight.shape()},
                           {"params", params_json(layers[i].params)},
                           {"activation", to_string(layers[i].activation)},
                           {"formula", {{"height", g.axis_h.formula()}, {"width", g.axis_w.formula()}}},
                           {"verdict", to_string(coverage.verdict)}});
  }
  const bool finite_ratio = std::isfinite(chain.ratio);
  if (options.json) {
    std::cout << nlohmann::json{{"command", "stack"},
                                {"input_shape", input.shape()},
                                {"layers", json_layers},
                                {"backend", backend.name()},
                                {"stack_coverage", {{"verdict", to_string(chain.verdict)},
                                                    {"max_min_ratio", finite_ratio ? nlohmann::json(chain.ratio) : nlohmann::json(nullptr)}}},
                                {"artifact_score", {{"score", score.score}, {"level", score.level}}},
                                {"pytorch", pytorch}}
                     .dump()
              << "\n";
    return;
  }
  std::printf("input     %s\n", shape_to_string(input.shape()).c_str());
  for (size_t i = 0; i < layers.size(); ++i)
    std::printf("layer %-3zu %s  %s  height %s  %s\n", i + 1, shape_to_string(geometry[i].output_shape()).c_str(),
                to_string(layers[i].activation), geometry[i].axis_h.formula().c_str(),
                json_layers[i]["verdict"].get<std::string>().c_str());
  std::printf("\nthe whole chain: %s", to_string(chain.verdict));
  if (finite_ratio) std::printf(" (interior routes per output, max/min %.4g)", chain.ratio);
  std::printf("\nmeasured artifact score of the final output: %.4f (%s)\n", score.score, score.level.c_str());
  std::printf("backend   %s\n\nAs PyTorch:\n%s", backend.name().c_str(), pytorch.c_str());
  if (!options.out_dir.empty()) std::printf("wrote     %s/layer1..%zu.npy\n", options.out_dir.c_str(), layers.size());
}

}  // namespace convt::cli
