// `convt model`: real ONNX models, headless.
//   convt model inspect MODEL.onnx [--json]
//       inputs, outputs and nodes; per ConvTranspose its resolved parameters, output-size formula and verdict.
//   convt model run MODEL.onnx [--input NAME=FILE ...] --out-dir DIR [--keep-intermediates] [--seed S]
//                   [--backend B] [--json]
//       runs the graph and writes each graph output (and with --keep-intermediates every node output) to
//       DIR/NAME.npy, NAME made safe by convt::onnx::safe_file_name; names that collide after that get "-2",
//       "-3", ... (the mapping is printed); nothing is written outside DIR.
//   convt model audit MODEL.onnx [--input NAME=FILE ...] [--seed S] [--backend B] [--json]
//       per ConvTranspose: verdict, measured artifact score, weight phase imbalance; the chain's coverage and a
//       diagnosis with fixes (convt/onnx_audit.h computes all of it).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace convt::cli {

struct ModelOptions {
  enum class Action { None, Inspect, Run, Audit };
  Action action = Action::None;  // set by the subcommand that was given
  std::string model;
  std::vector<std::string> inputs;  // "NAME=FILE" (.npy or TensorProto .pb)
  std::string out_dir;
  bool keep_intermediates = false;
  int64_t seed = 0;
  std::string backend = "auto";
  bool json = false;
};

CLI::App* add_model_command(CLI::App& app, ModelOptions& options);

// Runs the chosen subcommand and prints its report; errors are thrown as convt::Error for main() to report.
void execute_model(const ModelOptions& options);

}  // namespace convt::cli
