// `convt tensors FILE.safetensors`: the tensors a model file holds, with shapes and dtypes; the 4-D ones can be a
// conv_transpose2d weight (--weight FILE.safetensors:NAME).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace convt::cli {

struct TensorsOptions {
  std::string file;
  bool json = false;
};

CLI::App* add_tensors_command(CLI::App& app, TensorsOptions& options);
void execute_tensors(const TensorsOptions& options);

}  // namespace convt::cli
