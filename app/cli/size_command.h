// `convt size`: the output-size formula per axis with the numbers substituted, the (padding, output_padding)
// pairs that give a wanted size, and the forward-conv ambiguity that output_padding resolves.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace convt::cli {

struct SizeOptions {
  std::string input_size;
  std::string kernel;
  std::string stride = "1";
  std::string padding = "0";
  std::string output_padding = "0";
  std::string dilation = "1";
  std::string want;
  bool json = false;
};

CLI::App* add_size_command(CLI::App& app, SizeOptions& options);
void execute_size(const SizeOptions& options);

}  // namespace convt::cli
