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

CLI::App* add_bench_command(CLI::App& app, BenchOptions& options) {
  CLI::App* bench = app.add_subcommand("bench", "Time one layer: median time and useful GFLOP/s");
  add_layer_options(*bench, options.layer);
  add_backend_option(*bench, options.backend);
  bench->add_option("--threads", options.threads, "CPU threads (0: all cores)")->capture_default_str();
  bench->add_option("--repeat", options.repeat, "Timed runs (the median is reported)")->capture_default_str();
  bench->add_option("--warmup", options.warmup, "Untimed runs first")->capture_default_str();
  bench->add_option("--kernel", options.kernel_level, "Force a CPU microkernel: avx512, avx2 or generic");
  bench->add_flag("--prepacked", options.prepacked,
                  "cpu backend: pack the weights once before timing (a caller that keeps packed weights)");
  bench->add_flag("--json", options.json, "Print one JSON object with median_ms");
  return bench;
}

void execute_bench(const BenchOptions& options) {
  if (options.repeat < 1) throw_invalid("--repeat " + std::to_string(options.repeat) + ": must be >= 1");
  if (options.threads < 0) throw_invalid("--threads " + std::to_string(options.threads) + ": must be >= 0");
  if (options.threads > 0) omp_set_num_threads(options.threads);
  if (!options.kernel_level.empty()) cpu::force_kernel_level(options.kernel_level);
  const Layer layer = load_layer(options.layer);
  const Backend& backend = select_backend(options.backend, layer.params);

  std::shared_ptr<const cpu::PackedWeight> packed;
  if (options.prepacked) {
    if (backend.name() != "cpu") throw_invalid("--prepacked needs --backend cpu (it packs for the CPU microkernels)");
    packed = cpu::pack_conv_transpose2d_weight(layer.weight, layer.params);
  }
  auto run_once = [&] {
    return packed ? cpu::conv_transpose2d_cpu(layer.input, *packed, layer.bias_pointer(), layer.params)
                  : backend.conv_transpose2d(layer.input, layer.weight, layer.bias_pointer(), layer.params);
  };
  for (int i = 0; i < options.warmup; ++i) run_once();
  std::vector<double> times_ms;
  for (int i = 0; i < options.repeat; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const Tensor output = run_once();
    times_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times_ms.begin(), times_ms.end());
  const double median = times_ms[times_ms.size() / 2];
  const double gflops = layer.geometry.useful_flops() / (median * 1e6);
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  const std::string kernel = backend.name() == "cpu" ? cpu::active_kernel_level() : "";
  if (options.json) {
    std::cout << nlohmann::json{{"command", "bench"},
                                {"input_shape", layer.input.shape()},
                                {"weight_shape", layer.weight.shape()},
                                {"output_shape", layer.geometry.output_shape()},
                                {"params", params_json(layer.params)},
                                {"backend", backend.name()},
                                {"kernel", kernel},
                                {"threads", threads},
                                {"prepacked", options.prepacked},
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
  std::printf("backend  %s%s%s, %d threads, %d runs%s\n", backend.name().c_str(), kernel.empty() ? "" : " / ",
              kernel.c_str(), threads, options.repeat, options.prepacked ? ", weights packed beforehand" : "");
  std::printf("median   %.3f ms (min %.3f ms), %.2f GFLOP/s useful\n", median, times_ms.front(), gflops);
}

}  // namespace convt::cli
