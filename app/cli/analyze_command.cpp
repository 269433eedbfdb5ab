#include "analyze_command.h"

#include "cli_options.h"

#include <convt/analysis.h>
#include <convt/backend.h>
#include <convt/io.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>

namespace convt::cli {
namespace {

// Maps larger than this are summarised rather than printed cell by cell.
constexpr int64_t kLargestPrintedMap = 32;

nlohmann::json axis_json(const AxisCoverage& a) {
  return {{"kernel", a.kernel},       {"stride", a.stride},     {"dilation", a.dilation},
          {"padding", a.padding},     {"taps_by_phase", a.taps_by_phase}, {"phases_without_taps", a.phases_without_taps},
          {"min_taps", a.min_taps},   {"max_taps", a.max_taps}, {"verdict", to_string(a.verdict)}};
}

void print_axis(const char* name, const AxisCoverage& a) {
  std::printf("  %-7s", name);
  if (a.taps_by_phase.empty())  // a stride too large to list
    std::printf(" %lld of %lld phases get %lld to %lld taps, the other %lld none", static_cast<long long>(a.stride - a.phases_without_taps),
                static_cast<long long>(a.stride), static_cast<long long>(a.min_taps ? a.min_taps : 1),
                static_cast<long long>(a.max_taps), static_cast<long long>(a.phases_without_taps));
  for (size_t r = 0; r < a.taps_by_phase.size(); ++r)
    std::printf("%s phase %zu: %lld", r ? "," : "", r, static_cast<long long>(a.taps_by_phase[r]));
  std::printf("   -> %s\n", to_string(a.verdict));
}

}  // namespace

CLI::App* add_analyze_command(CLI::App& app, AnalyzeOptions& options) {
  CLI::App* analyze =
      app.add_subcommand("analyze", "Coverage per phase, checkerboard verdict with reason and fix, measured artifact score");
  add_layer_options(*analyze, options.layer);
  add_backend_option(*analyze, options.backend);
  analyze->add_option("--out", options.out, "Also write the output .npy (atomically)");
  analyze->add_flag("--json", options.json, "Print one JSON object instead of text");
  return analyze;
}

void execute_analyze(const AnalyzeOptions& options) {
  check_layer_flags(options.layer);
  if (!options.out.empty()) check_output_path(options.out);
  const Layer layer = load_layer(options.layer);
  const ConvTranspose2dGeometry& g = layer.geometry;
  const Backend& backend = select_backend(options.backend, layer.params);
  const Tensor output = backend.conv_transpose2d(layer.input, layer.weight, layer.bias_pointer(), layer.params);
  if (!options.out.empty()) write_npy(options.out, output);

  const CoverageReport coverage = coverage_report(g, layer.params);
  const ArtifactScore score = artifact_score(output, layer.params, {g.kernel_h, g.kernel_w});
  const bool finite_ratio = std::isfinite(coverage.max_min_ratio);

  if (options.json) {
    nlohmann::json report = {
        {"command", "analyze"},
        {"input_shape", layer.input.shape()},
        {"weight_shape", layer.weight.shape()},
        {"output_shape", output.shape()},
        {"params", params_json(layer.params)},
        {"formula", {{"height", g.axis_h.formula()}, {"width", g.axis_w.formula()}}},
        {"backend", backend.name()},
        {"coverage", {{"height", axis_json(coverage.height)}, {"width", axis_json(coverage.width)}}},
        {"coverage_map", {{"height", coverage.out_h}, {"width", coverage.out_w}, {"counts", coverage.counts}}},
        {"verdict", to_string(coverage.verdict)},
        {"max_min_ratio", finite_ratio ? nlohmann::json(coverage.max_min_ratio) : nlohmann::json(nullptr)},
        {"explanation", coverage.explanation},
        {"fix", coverage.fix},
        {"suggested_kernel", {coverage.suggested_kernel.h, coverage.suggested_kernel.w}},
        {"suggested_dilation", {coverage.suggested_dilation.h, coverage.suggested_dilation.w}},
        {"artifact_score",
         {{"score", score.score}, {"level", score.level}, {"phase_means", score.phase_means},
          {"interior_pixels", score.interior_pixels}}},
    };
    std::cout << report.dump() << "\n";
    return;
  }

  std::printf("layer    input %s, weight %s -> output %s\n", shape_to_string(layer.input.shape()).c_str(),
              shape_to_string(layer.weight.shape()).c_str(), shape_to_string(output.shape()).c_str());
  std::printf("height   %s\nwidth    %s\n\n", g.axis_h.formula().c_str(), g.axis_w.formula().c_str());
  std::printf("Interior kernel taps per output phase, phase = (o + padding) mod stride:\n");
  print_axis("height", coverage.height);
  print_axis("width", coverage.width);
  if (coverage.out_h <= kLargestPrintedMap && coverage.out_w <= kLargestPrintedMap) {
    std::printf("\nCoverage map: (input pixel, tap) pairs landing on each output pixel, borders included:\n");
    for (int64_t y = 0; y < coverage.out_h; ++y) {
      std::printf("  ");
      for (int64_t x = 0; x < coverage.out_w; ++x)
        std::printf("%3lld", static_cast<long long>(coverage.counts[static_cast<size_t>(y * coverage.out_w + x)]));
      std::printf("\n");
    }
  }
  std::printf("\nverdict  %s", to_string(coverage.verdict));
  if (coverage.verdict == OverlapVerdict::Uneven) std::printf(" (max/min taps %.4g in 2-D)", coverage.max_min_ratio);
  std::printf("\nwhy      %s\n", coverage.explanation.c_str());
  if (!coverage.fix.empty()) std::printf("fix      %s\n", coverage.fix.c_str());
  std::printf("\nmeasured artifact score %.4f (%s): the fraction of the output's interior variance explained by the\n"
              "         output phase (0 = no checkerboard, 1 = the value depends on the phase alone)\n",
              score.score, score.level.c_str());
  if (coverage.verdict != OverlapVerdict::Even && score.level == "none")
    std::printf("         the geometry allows a checkerboard, but these weights and inputs cancel it\n");
  if (coverage.verdict == OverlapVerdict::Even && score.level != "none")
    std::printf("         the geometry is even, so the pattern comes from the weights or the input\n");
  if (!options.out.empty()) std::printf("wrote    %s\n", options.out.c_str());
}

}  // namespace convt::cli
