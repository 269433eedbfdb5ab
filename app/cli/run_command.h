// `convt run`: one conv_transpose2d on .npy or random tensors, written to a .npy file.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace convt::cli {

struct RunOptions {
  std::string input;
  std::string weight;
  std::string bias = "none";
  std::string stride = "1";
  std::string padding = "0";
  std::string output_padding = "0";
  std::string dilation = "1";
  int64_t groups = 1;
  uint64_t seed = 0;
  std::string backend = "auto";
  std::string out;
  bool json = false;
};

CLI::App* add_run_command(CLI::App& app, RunOptions& options);

// Runs the command and prints its report; errors are thrown as convt::Error for main() to report.
void execute_run(const RunOptions& options);

}  // namespace convt::cli
