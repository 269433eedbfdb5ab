// `convt bench`: times one layer (same flags as `convt run`) and prints the median time and useful GFLOP/s.
// --pass times the forward pass (the default) or one of the backward passes, grad-input or grad-weight.
// Speed is measured here and in bench/, never in the pass/fail tests.
#pragma once

#include "layer_options.h"

#include <CLI/CLI.hpp>

#include <string>

namespace convt::cli {

struct BenchOptions {
  LayerOptions layer;
  std::string backend = "auto";
  std::string pass = "forward";  // forward | grad-input | grad-weight
  int threads = 0;  // 0: OpenMP's default (all cores)
  int repeat = 10;
  int warmup = 2;
  std::string kernel_level;  // "" automatic, else avx512 | avx2 | generic
  bool prepacked = false;    // cpu backend: pack the weights once, outside the timed runs
  bool preallocated = false;  // cpu backend: write into outputs allocated once, outside the timed runs
  bool json = false;
};

CLI::App* add_bench_command(CLI::App& app, BenchOptions& options);
void execute_bench(const BenchOptions& options);

}  // namespace convt::cli
