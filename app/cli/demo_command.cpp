#include "demo_command.h"

#include <convt/backend.h>
#include <convt/shape.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace convt::cli {
namespace {

struct Layer {
  int64_t out_channels_per_group;
  int64_t kernel;
  ConvTranspose2dParams params;
};

// An example from ../shared/seed/conv_transpose2d-reference.txt, with the output the page claims.
struct PageExample {
  const char* name;
  Shape input;
  std::vector<Layer> layers;
  const char* claimed;
  int64_t claimed_final_size;  // the spatial size the page claims at the end; 0 when it states none
};

ConvTranspose2dParams layer_params(int64_t stride, int64_t padding, IntPair output_padding) {
  ConvTranspose2dParams params;
  params.stride = stride;
  params.padding = padding;
  params.output_padding = output_padding;
  return params;
}

std::vector<PageExample> page_examples() {
  const Layer k4s2p1op1{256, 4, layer_params(2, 1, 1)};
  return {
      {"GAN generator", {32, 128, 4, 4}, {{256, 5, layer_params(2, 2, 1)}}, "[32, 256, 8, 8]", 8},
      {"U-Net decoder", {8, 512, 8, 8}, {{256, 4, layer_params(2, 1, 1)}}, "16x16", 16},
      {"Segmentation (4 layers)", {4, 512, 16, 16}, {k4s2p1op1, k4s2p1op1, k4s2p1op1, k4s2p1op1}, "[4, 256, 256, 256]", 256},
      {"Super-resolution", {1, 3, 32, 32}, {{32, 3, layer_params(2, 1, 1)}, {3, 3, layer_params(1, 1, 0)}},
       "[1, 32, 64, 64] then [1, 3, 64, 64]", 64},
      {"Progressive GAN (6 layers)", {8, 512, 1, 1},
       {k4s2p1op1, k4s2p1op1, k4s2p1op1, k4s2p1op1, k4s2p1op1, k4s2p1op1}, "[8, 256, 64, 64]", 64},
      {"Fractional", {1, 64, 16, 16}, {{128, 3, layer_params(2, 1, IntPair(1, 0))}}, "(unstated)", 0},
  };
}

// Shapes after each layer of an example, from the validated geometry alone (nothing is computed).
std::vector<Shape> example_shapes(const PageExample& example) {
  std::vector<Shape> shapes;
  Shape current = example.input;
  for (const Layer& layer : example.layers) {
    const Shape weight{current[1], layer.out_channels_per_group, layer.kernel, layer.kernel};
    current = validate_conv_transpose2d(current, weight, std::nullopt, layer.params).output_shape();
    shapes.push_back(current);
  }
  return shapes;
}

}  // namespace

CLI::App* add_demo_command(CLI::App& app, DemoOptions& options) {
  CLI::App* demo = app.add_subcommand("demo", "Run a built-in random example and show the reference page's true shapes");
  demo->add_flag("--json", options.json, "Print one JSON object instead of text");
  return demo;
}

void execute_demo(const DemoOptions& options) {
  // The GAN generator layer of the reference page, batch 1 so the reference backend answers instantly.
  ConvTranspose2dParams params = layer_params(2, 2, 1);
  const Tensor input = Tensor::randn({1, 128, 4, 4}, 1);
  const Tensor weight = Tensor::randn({128, 256, 5, 5}, 2);
  const ConvTranspose2dGeometry geometry = validate_conv_transpose2d(input.shape(), weight.shape(), std::nullopt, params);
  const Backend& backend = select_backend("auto", params);
  const auto start = std::chrono::steady_clock::now();
  const Tensor output = backend.conv_transpose2d(input, weight, nullptr, params);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  nlohmann::json examples = nlohmann::json::array();
  for (const PageExample& example : page_examples()) {
    nlohmann::json shapes = nlohmann::json::array();
    for (const Shape& shape : example_shapes(example)) shapes.push_back(shape);
    const Shape& final_shape = shapes.back();
    const bool claim_holds = final_shape[2] == example.claimed_final_size && final_shape[3] == example.claimed_final_size;
    const char* verdict = example.claimed_final_size == 0 ? "unstated" : claim_holds ? "right" : "wrong";
    examples.push_back({{"name", example.name}, {"input_shape", example.input}, {"claimed", example.claimed},
                        {"claim", verdict}, {"actual_shapes", shapes}});
  }

  if (options.json) {
    nlohmann::json report = {{"command", "demo"},
                             {"input_shape", input.shape()},
                             {"weight_shape", weight.shape()},
                             {"output_shape", output.shape()},
                             {"formula", {{"height", geometry.axis_h.formula()}, {"width", geometry.axis_w.formula()}}},
                             {"backend", backend.name()},
                             {"time_ms", ms},
                             {"reference_page_examples", examples}};
    std::cout << report.dump() << "\n";
    return;
  }

  std::printf("conv_transpose2d demo: the GAN generator layer, stride 2, padding 2, output_padding 1\n\n");
  std::printf("  input    %s  (random normal, seed 1)\n", shape_to_string(input.shape()).c_str());
  std::printf("  weight   %s  [C_in, C_out/groups, kH, kW]\n", shape_to_string(weight.shape()).c_str());
  std::printf("  output   %s\n\n", shape_to_string(output.shape()).c_str());
  std::printf("  o = %s\n", TransposedAxisSize::symbolic());
  std::printf("  height   %s\n", geometry.axis_h.formula().c_str());
  std::printf("  width    %s\n", geometry.axis_w.formula().c_str());
  std::printf("  backend  %s, %.2f ms\n\n", backend.name().c_str(), ms);

  std::printf("The reference page's examples, with the shapes PyTorch really produces:\n");
  for (const nlohmann::json& example : examples) {
    std::string actual;
    for (const nlohmann::json& shape : example["actual_shapes"])
      actual += (actual.empty() ? "" : " -> ") + shape_to_string(shape.get<Shape>());
    std::printf("  %-28s input %-18s actual %s\n  %-28s page claims %s (%s)\n",
                example["name"].get<std::string>().c_str(),
                shape_to_string(example["input_shape"].get<Shape>()).c_str(), actual.c_str(), "",
                example["claimed"].get<std::string>().c_str(), example["claim"].get<std::string>().c_str());
  }
  std::printf("\nRun your own: convt run --input random:1,128,4,4 --weight random:128,256,5,5 --stride 2 "
              "--padding 2 --output-padding 1 --out y.npy\n");
}

}  // namespace convt::cli
