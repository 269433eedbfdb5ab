// `convt explain`: writes every scatter-then-convolve intermediate of one (batch, input channel, output channel)
// slice as .npy and as a colour-mapped PNG, plus a PNG sheet of the scatter replay, into a folder.
#pragma once

#include "layer_options.h"

#include <CLI/CLI.hpp>

#include <string>

namespace convt::cli {

struct ExplainOptions {
  LayerOptions layer;
  std::string out_dir;
  int64_t batch_index = 0;
  int64_t in_channel = 0;
  int64_t out_channel = -1;  // -1: the first output channel that in_channel feeds
  std::string colormap = "diverging";
  bool json = false;
};

CLI::App* add_explain_command(CLI::App& app, ExplainOptions& options);
void execute_explain(const ExplainOptions& options);

}  // namespace convt::cli
