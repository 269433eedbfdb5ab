// `convt run`: one conv_transpose2d on .npy or random tensors, written to a .npy file.
#pragma once

#include "layer_options.h"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace convt::cli {

struct RunOptions {
  LayerOptions layer;
  std::string backend = "auto";
  std::string out;
  std::string png;  // optional: the output's channels as a colour-mapped grid with a labelled colour bar
  std::string colormap = "diverging";
  bool json = false;
};

CLI::App* add_run_command(CLI::App& app, RunOptions& options);

// Runs the command and prints its report; errors are thrown as convt::Error for main() to report.
void execute_run(const RunOptions& options);

}  // namespace convt::cli
