// `convt grad`: the backward pass of one conv_transpose2d or conv2d (PyTorch's torch.nn.grad split): given the
// layer and grad_output = dL/dy, writes grad_input, grad_weight and, when the layer has a bias, grad_bias as .npy
// files in --out-dir. Each pass is dispatched on its own, so the report says which backend ran each one.
#pragma once

#include "layer_options.h"

#include <CLI/CLI.hpp>

#include <string>

namespace convt::cli {

struct GradOptions {
  std::string op = "conv_transpose2d";  // or "conv2d"
  LayerOptions layer = grad_layer_defaults();
  std::string grad_output;
  std::string backend = "auto";
  std::string out_dir;
  bool json = false;

  // The layer flags' defaults, except --output-padding: empty until given, so that conv2d can refuse it.
  static LayerOptions grad_layer_defaults() {
    LayerOptions layer;
    layer.output_padding.clear();
    return layer;
  }
};

CLI::App* add_grad_command(CLI::App& app, GradOptions& options);

// Computes both passes, then writes every file (nothing is written when anything fails), and prints the report;
// errors are thrown as convt::Error for main() to report.
void execute_grad(const GradOptions& options);

}  // namespace convt::cli
