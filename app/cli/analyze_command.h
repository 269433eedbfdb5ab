// `convt analyze`: runs a layer and explains its overlap pattern: taps per phase on each axis, the checkerboard
// verdict with its reason and a fix, and the artifact score measured on the actual output.
#pragma once

#include "layer_options.h"

#include <CLI/CLI.hpp>

#include <string>

namespace convt::cli {

struct AnalyzeOptions {
  LayerOptions layer;
  std::string backend = "auto";
  std::string out;  // optional: also write the output
  bool json = false;
};

CLI::App* add_analyze_command(CLI::App& app, AnalyzeOptions& options);
void execute_analyze(const AnalyzeOptions& options);

}  // namespace convt::cli
