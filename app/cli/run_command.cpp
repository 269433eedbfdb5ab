#include "run_command.h"

#include "cli_options.h"


#include <convt/backend.h>
#include <convt/error.h>
#include <convt/image.h>
#include <convt/io.h>
#include <convt/pytorch_export.h>
#include <convt/shape.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace convt::cli {
namespace {

}  // namespace

CLI::App* add_run_command(CLI::App& app, RunOptions& options) {
  CLI::App* run = app.add_subcommand("run", "Run conv_transpose2d on .npy or random tensors and write the output");
  add_layer_options(*run, options.layer);
  add_backend_option(*run, options.backend);
  run->add_option("--out", options.out, "Output .npy (written atomically)")->required();
  run->add_option("--png", options.png, "Also write the output's channels (sample 0) as a PNG grid with a colour bar");
  add_colormap_option(*run, options.colormap, "Colormap of --png: ");
  run->add_flag("--json", options.json, "Print one JSON object instead of text");
  return run;
}

void execute_run(const RunOptions& options) {
  check_layer_flags(options.layer);  // parameter mistakes are reported before the output folder is checked
  check_output_path(options.out);
  if (!options.png.empty()) check_output_path(options.png);
  const Layer layer = load_layer(options.layer);
  const ConvTranspose2dParams& params = layer.params;
  const ConvTranspose2dGeometry& geometry = layer.geometry;
  const Tensor& input = layer.input;
  const Tensor& weight = layer.weight;
  const std::optional<Tensor>& bias = layer.bias;
  const Backend& backend = select_backend(options.backend, params);

  const auto start = std::chrono::steady_clock::now();
  const Tensor output = backend.conv_transpose2d(input, weight, bias ? &*bias : nullptr, params);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  write_npy(options.out, output);
  if (!options.png.empty())
    write_png(options.png, channel_grid(output, 0, parse_colormap(options.colormap), false));

  const double gflops = seconds > 0 ? geometry.useful_flops() / seconds * 1e-9 : 0.0;
  const NonFiniteCount nonfinite = count_nonfinite(output);
  const std::string pytorch = pytorch_conv_transpose2d_call(params, bias.has_value(), input.shape(), weight.shape());
  if (nonfinite.any())
    std::fprintf(stderr, "warning: the output has %lld NaN and %lld infinite values (they come from the input, weight "
                         "or bias)\n", static_cast<long long>(nonfinite.nan), static_cast<long long>(nonfinite.inf));
  if (options.json) {
    nlohmann::json report = {
        {"command", "run"},
        {"input_shape", input.shape()},
        {"weight_shape", weight.shape()},
        {"bias_shape", bias ? nlohmann::json(bias->shape()) : nlohmann::json(nullptr)},
        {"output_shape", output.shape()},
        {"params", params_json(params)},
        {"formula", {{"height", geometry.axis_h.formula()}, {"width", geometry.axis_w.formula()}}},
        {"backend", backend.name()},
        {"time_ms", seconds * 1e3},
        {"gflops", gflops},
        {"out", options.out},
        {"png", options.png.empty() ? nlohmann::json(nullptr) : nlohmann::json(options.png)},
        {"nonfinite", {{"nan", nonfinite.nan}, {"inf", nonfinite.inf}}},
        {"pytorch", pytorch},
    };
    std::cout << report.dump() << "\n";
    return;
  }
  std::printf("input    %s\n", shape_to_string(input.shape()).c_str());
  std::printf("weight   %s  [C_in, C_out/groups, kH, kW]\n", shape_to_string(weight.shape()).c_str());
  std::printf("bias     %s\n", bias ? shape_to_string(bias->shape()).c_str() : "none");
  std::printf("output   %s\n", shape_to_string(output.shape()).c_str());
  std::printf("height   %s\n", geometry.axis_h.formula().c_str());
  std::printf("width    %s\n", geometry.axis_w.formula().c_str());
  std::printf("backend  %s, %.3f ms, %.2f GFLOP/s useful\n", backend.name().c_str(), seconds * 1e3, gflops);
  std::printf("pytorch  %s\n", pytorch.c_str());
  std::printf("wrote    %s%s%s\n", options.out.c_str(), options.png.empty() ? "" : " and ", options.png.c_str());
}

}  // namespace convt::cli
