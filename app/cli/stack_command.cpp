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

struct PresetStack {
  std::string input;
  std::vector<std::string> layers;
};

// The stacks people meet: DCGAN's generator, and the reference page's progressive and segmentation stacks as
// written (their true shapes are 3, 7, ..., 127 and 33, 67, 135, 271), and a U-Net decoder path.
const std::map<std::string, PresetStack>& preset_stacks() {
  static const std::map<std::string, PresetStack> presets = {
      {"dcgan",
       {"random:1,512,4,4",
        {"weight=kaiming:512,256,4,4;stride=2;padding=1;act=relu", "weight=kaiming:256,128,4,4;stride=2;padding=1;act=relu",
         "weight=kaiming:128,64,4,4;stride=2;padding=1;act=relu", "weight=kaiming:64,3,4,4;stride=2;padding=1;act=tanh"}}},
      {"progressive",
       {"random:8,512,1,1",
        {"weight=kaiming:512,256,4,4;stride=2;padding=1;output_padding=1", "weight=kaiming:256,256,4,4;stride=2;padding=1;output_padding=1",
         "weight=kaiming:256,256,4,4;stride=2;padding=1;output_padding=1", "weight=kaiming:256,256,4,4;stride=2;padding=1;output_padding=1",
         "weight=kaiming:256,256,4,4;stride=2;padding=1;output_padding=1", "weight=kaiming:256,256,4,4;stride=2;padding=1;output_padding=1"}}},
      {"segmentation",
       {"random:4,512,16,16",
        {"weight=kaiming:512,256,4,4;stride=2;padding=1;output_padding=1", "weight=kaiming:256,256,4,4;stride=2;padding=1;output_padding=1",
         "weight=kaiming:256,256,4,4;stride=2;padding=1;output_padding=1", "weight=kaiming:256,256,4,4;stride=2;padding=1;output_padding=1"}}},
      {"unet",
       {"random:1,512,8,8",
        {"weight=kaiming:512,256,4,4;stride=2;padding=1;act=relu", "weight=kaiming:256,128,4,4;stride=2;padding=1;act=relu",
         "weight=kaiming:128,64,4,4;stride=2;padding=1;act=relu"}}},
  };
  return presets;
}

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
  stack->add_option("--preset", options.preset, "dcgan, progressive, segmentation or unet")
      ->check(CLI::IsMember({"dcgan", "progressive", "segmentation", "unet"}));
  stack->add_option("--layer", options.layers,
                    "A layer, repeatable, in order: \"weight=SPEC;stride=S;padding=P;output_padding=OP;dilation=D;"
                    "groups=G;bias=auto|none|random|FILE;act=none|relu|leaky_relu|tanh\"");
  stack->add_option("--seed", options.seed, "Seed for generated tensors")->capture_default_str();
  add_backend_option(*stack, options.backend);
  stack->add_option("--out-dir", options.out_dir, "Write every stage's output as layerN.npy here");
  stack->add_option("--workspace", options.workspace, "Take the input and every layer from a convt-lab workspace");
  stack->add_flag("--json", options.json, "Print one JSON object instead of text");
  return stack;
}

void report_stack(const StackOptions& options, const Tensor& input, const std::vector<StackLayer>& layers);

// The layers of a convt-lab workspace, built the way the app builds them.
void execute_workspace_stack(const StackOptions& options) {
  const Workspace workspace = read_workspace(options.workspace);
  const Tensor input = build_input(workspace.input);
  std::vector<StackLayer> layers;
  int64_t channels = input.size(1);
  for (const LayerSpec& spec : workspace.layers) {
    StackLayer layer;
    layer.params = spec.params;
    layer.weight = build_weight(spec, channels);
    layer.bias = build_bias(spec, layer.weight);
    layer.activation = parse_activation(spec.activation);
    channels = layer.weight.size(1) * layer.params.groups;
    layers.push_back(std::move(layer));
  }
  report_stack(options, input, layers);
}

void execute_stack(const StackOptions& options) {
  if (!options.workspace.empty()) {
    execute_workspace_stack(options);
    return;
  }
  std::string input_spec = options.input;
  std::vector<std::string> layer_specs = options.layers;
  if (!options.preset.empty()) {
    const PresetStack& preset = preset_stacks().at(options.preset);
    if (input_spec.empty()) input_spec = preset.input;
    if (layer_specs.empty()) layer_specs = preset.layers;
  }
  if (input_spec.empty()) throw_invalid("stack: --input is required (or a --preset)");
  if (layer_specs.empty()) throw_invalid("stack: give at least one --layer (or a --preset)");
  if (!options.out_dir.empty()) {
    std::error_code error;
    std::filesystem::create_directories(options.out_dir, error);
    if (!std::filesystem::is_directory(options.out_dir, error))
      throw_io("cannot create the output folder '" + options.out_dir + "'");
  }

  const Tensor input = load_tensor("--input", input_spec, options.seed, TensorRole::Input);
  std::vector<StackLayer> layers;
  for (size_t i = 0; i < layer_specs.size(); ++i) layers.push_back(parse_layer(layer_specs[i], i, options.seed, "auto"));
  report_stack(options, input, layers);
}

void report_stack(const StackOptions& options, const Tensor& input, const std::vector<StackLayer>& layers) {
  const std::vector<ConvTranspose2dGeometry> geometry = validate_stack(input.shape(), layers);
  const Backend& backend = select_backend(options.backend, layers.front().params);
  const std::vector<Tensor> outputs = run_stack(input, layers, backend);

  // Coverage of the chain, over its interior: each layer's partially covered border (d*(k-1) - p, the same as a
  // single layer's) is stretched by every later stride.
  int64_t border = 0;
  for (const StackLayer& layer : layers) {
    const int64_t own = std::max<int64_t>({0, layer.params.dilation.h * (layer.weight.size(2) - 1) - layer.params.padding.h,
                                           layer.params.dilation.w * (layer.weight.size(3) - 1) - layer.params.padding.w});
    border = border * std::max(layer.params.stride.h, layer.params.stride.w) + own;
  }
  const StackCoverageSummary chain = summarize_stack_coverage(stack_coverage(input.shape(), layers), border);
  const StackLayer& last = layers.back();
  const ArtifactScore score = artifact_score(outputs.back(), last.params, {last.weight.size(2), last.weight.size(3)});

  nlohmann::json json_layers = nlohmann::json::array();
  std::string pytorch = "import torch\nimport torch.nn.functional as F\n";
  for (size_t i = 0; i < layers.size(); ++i) {
    const ConvTranspose2dGeometry& g = geometry[i];
    const CoverageReport coverage = coverage_report(g, layers[i].params);
    const std::string x = i == 0 ? "x" : "h" + std::to_string(i);
    const std::string y = i + 1 == layers.size() ? "y" : "h" + std::to_string(i + 1);
    std::string call = pytorch_conv_transpose2d_call(layers[i].params, layers[i].bias.has_value(),
                                                     i == 0 ? input.shape() : geometry[i - 1].output_shape(),
                                                     layers[i].weight.shape(), x, y);
    const size_t weight_at = call.find("weight");
    call.replace(weight_at, 6, "w" + std::to_string(i + 1));
    if (layers[i].bias) call.replace(call.find(", bias,"), 7, ", b" + std::to_string(i + 1) + ",");
    pytorch += call + "\n";
    if (layers[i].activation == Activation::ReLU) pytorch += y + " = F.relu(" + y + ")\n";
    if (layers[i].activation == Activation::LeakyReLU) pytorch += y + " = F.leaky_relu(" + y + ", 0.01)\n";
    if (layers[i].activation == Activation::Tanh) pytorch += y + " = torch.tanh(" + y + ")\n";
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
