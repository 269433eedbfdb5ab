// `convt stack`: a chain of conv_transpose2d layers (a GAN generator, a decoder path) with per-layer shapes,
// formulas and verdicts, the coverage of the whole chain, and the artifact score of its output.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace convt::cli {

struct StackOptions {
  std::string input;
  std::string preset;
  std::vector<std::string> layers;  // "weight=SPEC;stride=2;padding=1;output_padding=0;dilation=1;groups=1;bias=auto;act=relu"
  uint64_t seed = 0;
  std::string backend = "auto";
  std::string out_dir;
  std::string workspace;
  bool json = false;
};

CLI::App* add_stack_command(CLI::App& app, StackOptions& options);
void execute_stack(const StackOptions& options);

}  // namespace convt::cli
