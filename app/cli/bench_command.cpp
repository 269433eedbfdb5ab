#include "bench_command.h"

#include "cli_options.h"

#include <convt/backend.h>
#include <convt/cpu.h>
#include <convt/error.h>

#include <nlohmann/json.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <vector>

namespace convt::cli {
namespace {

constexpr const char* kForward = "forward";
constexpr const char* kGradInput = "grad-input";
constexpr const char* kGradWeight = "grad-weight";

Op pass_op(const std::string& pass) {
  if (pass == kGradInput) return Op::ConvTranspose2dGradInput;
  if (pass == kGradWeight) return Op::ConvTranspose2dGradWeight;
  return Op::ConvTranspose2d;
}

}  // namespace

CLI::App* add_bench_command(CLI::App& app, BenchOptions& options) {
  CLI::App* bench = app.add_subcommand("bench", "Time one layer: median time and useful GFLOP/s");
  add_layer_options(*bench, options.layer);
  add_backend_option(*bench, options.backend);
  bench->add_option("--pass", options.pass,
                    "What to time: forward, grad-input (dL/dx from a random grad_output) or grad-weight (dL/dw, and "
                    "dL/db with a bias)")
      ->check(CLI::IsMember({kForward, kGradInput, kGradWeight}))
      ->capture_default_str();
  bench->add_option("--threads", options.threads, "CPU threads (0: all cores)")->capture_default_str();
  bench->add_option("--repeat", options.repeat, "Timed runs (the median is reported)")->capture_default_str();
  bench->add_option("--warmup", options.warmup, "Untimed runs first")->capture_default_str();
  bench->add_option("--kernel", options.kernel_level, "Force a CPU microkernel: avx512, avx2 or generic");
  bench->add_flag("--prepacked", options.prepacked,
                  "cpu backend, forward pass: pack the weights once before timing (a caller that keeps packed weights)");
  bench->add_flag("--preallocated", options.preallocated,
                  "cpu backend: write into outputs allocated once before timing, as oneDNN's primitives do (a fresh "
                  "tensor costs its page faults: about 25 ms for 32 MB on some machines)");
  bench->add_flag("--json", options.json, "Print one JSON object with median_ms");
  return bench;
}

void execute_bench(const BenchOptions& options) {
  if (options.repeat < 1) throw_invalid("--repeat " + std::to_string(options.repeat) + ": must be >= 1");
  if (options.threads < 0) throw_invalid("--threads " + std::to_string(options.threads) + ": must be >= 0");
  if (options.threads > 0) omp_set_num_threads(options.threads);
  if (!options.kernel_level.empty()) cpu::force_kernel_level(options.kernel_level);
  const bool forward = options.pass == kForward;
  if (options.prepacked && !forward)
    throw_invalid("--prepacked applies to --pass forward only (it packs the weights of the forward op), not --pass " +
                  options.pass);
  const Layer layer = load_layer(options.layer);
  const Op op = pass_op(options.pass);
  const Dispatch dispatched = dispatch(options.backend, OpRequest{op, layer.params});
  const Backend& backend = *dispatched.backend;

  std::shared_ptr<const cpu::PackedWeight> packed;
  if (options.prepacked) {
    if (backend.name() != "cpu") throw_invalid("--prepacked needs --backend cpu (it packs for the CPU microkernels)");
    packed = cpu::pack_conv_transpose2d_weight(layer.weight, layer.params);
  }
  // The backward passes take a grad_output of the forward output's shape: made once, outside the timed runs.
  const Tensor grad_output =
      forward ? Tensor() : Tensor::randn(layer.geometry.output_shape(), options.layer.seed + kGradOutputSeedOffset);
  const bool with_bias = layer.bias.has_value();
  if (options.preallocated && backend.name() != "cpu")
    throw_invalid("--preallocated needs --backend cpu (it calls the CPU ops that write into a given output)");
  // --preallocated: the outputs of every run, made once.
  Tensor output, grad_input, grad_weight, grad_bias;
  if (options.preallocated) {
    if (op == Op::ConvTranspose2dGradInput) grad_input = Tensor(layer.input.shape());
    if (op == Op::ConvTranspose2dGradWeight) grad_weight = Tensor(layer.weight.shape());
    if (op == Op::ConvTranspose2dGradWeight && with_bias) grad_bias = Tensor({layer.geometry.out_channels});
    if (op == Op::ConvTranspose2d) output = Tensor(layer.geometry.output_shape());
  }
  auto run_into = [&] {
    if (op == Op::ConvTranspose2dGradInput)
      cpu::conv_transpose2d_grad_input_cpu_into(layer.weight, grad_output, layer.params, grad_input);
    else if (op == Op::ConvTranspose2dGradWeight)
      cpu::conv_transpose2d_grad_weight_cpu_into(layer.input, grad_output, layer.params, grad_weight,
                                                 with_bias ? &grad_bias : nullptr);
    else if (packed)
      cpu::conv_transpose2d_cpu_into(layer.input, *packed, layer.bias_pointer(), layer.params, output);
    else
      cpu::conv_transpose2d_cpu_into(layer.input, layer.weight, layer.bias_pointer(), layer.params, output);
  };
  // The milliseconds of one call; its result is freed after the clock stops.
  auto time_once = [&]() -> double {
    const auto start = std::chrono::steady_clock::now();
    auto elapsed = [&] {
      return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    };
    if (options.preallocated) {
      run_into();
      return elapsed();
    }
    if (op == Op::ConvTranspose2dGradInput) {
      const Tensor grad_input =
          backend.conv_transpose2d_grad_input(layer.input.shape(), layer.weight, grad_output, layer.params);
      return elapsed();
    }
    if (op == Op::ConvTranspose2dGradWeight) {
      const WeightGradients gradients =
          backend.conv_transpose2d_grad_weight(layer.input, layer.weight.shape(), grad_output, with_bias, layer.params);
      return elapsed();
    }
    const Tensor output = packed ? cpu::conv_transpose2d_cpu(layer.input, *packed, layer.bias_pointer(), layer.params)
                                 : backend.conv_transpose2d(layer.input, layer.weight, layer.bias_pointer(), layer.params);
    return elapsed();
  };
  for (int i = 0; i < options.warmup; ++i) time_once();
  std::vector<double> times_ms;
  for (int i = 0; i < options.repeat; ++i) times_ms.push_back(time_once());
  std::sort(times_ms.begin(), times_ms.end());
  const double median = times_ms[times_ms.size() / 2];
  // Each pass does the forward's useful multiply-adds (the same products, summed another way).
  const double gflops = layer.geometry.useful_flops() / (median * 1e6);
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  const std::string kernel = backend.name() == "cpu" ? cpu::active_kernel_level() : "";
  if (options.json) {
    std::cout << nlohmann::json{{"command", "bench"},
                                {"pass", options.pass},
                                {"op", op_name(op)},
                                {"input_shape", layer.input.shape()},
                                {"weight_shape", layer.weight.shape()},
                                {"output_shape", layer.geometry.output_shape()},
                                {"params", params_json(layer.params)},
                                {"backend", backend.name()},
                                {"fallbacks", dispatched.declined},
                                {"kernel", kernel},
                                {"threads", threads},
                                {"prepacked", options.prepacked},
                                {"preallocated", options.preallocated},
                                {"repeat", options.repeat},
                                {"median_ms", median},
                                {"min_ms", times_ms.front()},
                                {"gflops", gflops},
                                {"useful_flops", layer.geometry.useful_flops()}}
                     .dump()
              << "\n";
    return;
  }
  std::printf("layer    input %s, weight %s -> output %s\n", shape_to_string(layer.input.shape()).c_str(),
              shape_to_string(layer.weight.shape()).c_str(), shape_to_string(layer.geometry.output_shape()).c_str());
  std::printf("pass     %s (%s)\n", options.pass.c_str(), op_name(op));
  std::printf("backend  %s%s%s, %d threads, %d runs%s%s\n", backend.name().c_str(), kernel.empty() ? "" : " / ",
              kernel.c_str(), threads, options.repeat, options.prepacked ? ", weights packed beforehand" : "",
              options.preallocated ? ", outputs allocated beforehand" : "");
  for (const std::string& reason : dispatched.declined) std::printf("fallback %s\n", reason.c_str());
  std::printf("median   %.3f ms (min %.3f ms), %.2f GFLOP/s useful\n", median, times_ms.front(), gflops);
}

}  // namespace convt::cli
