#include "run_command.h"

#include "cli_options.h"
#include "tensor_source.h"

#include <convt/backend.h>
#include <convt/error.h>
#include <convt/io.h>
#include <convt/shape.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace convt::cli {
namespace {

// Separate streams so that input, weight and bias never share random values for the same --seed.
constexpr uint64_t kWeightSeedOffset = 1;
constexpr uint64_t kBiasSeedOffset = 2;

nlohmann::json pair_json(const IntPair& pair) { return nlohmann::json::array({pair.h, pair.w}); }

// Failing after minutes of compute because the output folder is missing would be unkind: check it first.
void check_output_directory(const std::string& out) {
  std::error_code error;
  const std::filesystem::path parent = std::filesystem::path(out).parent_path();
  if (!parent.empty()) {
    const std::filesystem::file_status status = std::filesystem::status(parent, error);
    if (!std::filesystem::exists(status))
      throw_io("cannot write '" + out + "': directory '" + parent.string() + "' does not exist");
    if (!std::filesystem::is_directory(status))
      throw_io("cannot write '" + out + "': '" + parent.string() + "' is not a directory");
  }
  if (std::filesystem::is_directory(out, error)) throw_io("cannot write '" + out + "': it is a directory");
}

}  // namespace

CLI::App* add_run_command(CLI::App& app, RunOptions& options) {
  CLI::App* run = app.add_subcommand("run", "Run conv_transpose2d on .npy or random tensors and write the output");
  run->add_option("--input", options.input, "Input X.npy, or random:N,C,H,W (or random:C,H,W, unbatched)")
      ->required();
  run->add_option("--weight", options.weight, "Weight W.npy [C_in, C_out/groups, kH, kW], or random:Cin,Cout_per_group,kH,kW")
      ->required();
  run->add_option("--bias", options.bias, "Bias B.npy with C_out values, random, or none")->capture_default_str();
  run->add_option("--stride", options.stride, "Stride S or SH,SW")->capture_default_str();
  run->add_option("--padding", options.padding, "Padding P or PH,PW")->capture_default_str();
  run->add_option("--output-padding", options.output_padding, "Output padding OP or OPH,OPW")->capture_default_str();
  run->add_option("--dilation", options.dilation, "Dilation D or DH,DW")->capture_default_str();
  run->add_option("--groups", options.groups, "Groups")->capture_default_str();
  run->add_option("--seed", options.seed, "Seed for random tensors")->capture_default_str();
  run->add_option("--backend", options.backend, "auto, reference, cpu or cuda")
      ->check(CLI::IsMember({"auto", "reference", "cpu", "cuda"}))
      ->capture_default_str();
  run->add_option("--out", options.out, "Output .npy (written atomically)")->required();
  run->add_flag("--json", options.json, "Print one JSON object instead of text");
  return run;
}

void execute_run(const RunOptions& options) {
  ConvTranspose2dParams params;
  params.stride = parse_pair("--stride", options.stride);
  params.padding = parse_pair("--padding", options.padding);
  params.output_padding = parse_pair("--output-padding", options.output_padding);
  params.dilation = parse_pair("--dilation", options.dilation);
  params.groups = options.groups;
  validate_params(params);
  check_output_directory(options.out);

  const Tensor input = load_tensor("--input", options.input, options.seed);
  const Tensor weight = load_tensor("--weight", options.weight, options.seed + kWeightSeedOffset);
  const int64_t out_channels =
      validate_conv_transpose2d(input.shape(), weight.shape(), std::nullopt, params).out_channels;
  const std::optional<Tensor> bias = load_bias(options.bias, out_channels, options.seed + kBiasSeedOffset);
  const ConvTranspose2dGeometry geometry = validate_conv_transpose2d(
      input.shape(), weight.shape(), bias ? std::optional<Shape>(bias->shape()) : std::nullopt, params);
  const Backend& backend = select_backend(options.backend, params);

  const auto start = std::chrono::steady_clock::now();
  const Tensor output = backend.conv_transpose2d(input, weight, bias ? &*bias : nullptr, params);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  write_npy(options.out, output);

  const double gflops = seconds > 0 ? geometry.useful_flops() / seconds * 1e-9 : 0.0;
  if (options.json) {
    nlohmann::json report = {
        {"command", "run"},
        {"input_shape", input.shape()},
        {"weight_shape", weight.shape()},
        {"bias_shape", bias ? nlohmann::json(bias->shape()) : nlohmann::json(nullptr)},
        {"output_shape", output.shape()},
        {"params",
         {{"stride", pair_json(params.stride)},
          {"padding", pair_json(params.padding)},
          {"output_padding", pair_json(params.output_padding)},
          {"dilation", pair_json(params.dilation)},
          {"groups", params.groups}}},
        {"formula", {{"height", geometry.axis_h.formula()}, {"width", geometry.axis_w.formula()}}},
        {"backend", backend.name()},
        {"time_ms", seconds * 1e3},
        {"gflops", gflops},
        {"out", options.out},
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
  std::printf("wrote    %s\n", options.out.c_str());
}

}  // namespace convt::cli
