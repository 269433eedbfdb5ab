// `convt pattern`: writes a built-in test pattern as .npy or PNG, e.g. to make sample inputs.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace convt::cli {

struct PatternOptions {
  std::string kind = "zoneplate";
  int64_t size = 64;
  int64_t channels = 1;
  std::string out;
};

CLI::App* add_pattern_command(CLI::App& app, PatternOptions& options);
void execute_pattern(const PatternOptions& options);

}  // namespace convt::cli
