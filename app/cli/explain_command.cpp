#include "explain_command.h"

#include <convt/analysis.h>
#include <convt/error.h>
#include <convt/image.h>
#include <convt/io.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace convt::cli {
namespace {

constexpr int64_t kTargetPngSide = 256;  // small maps are enlarged (nearest) to about this many pixels
constexpr int64_t kMaxReplayFrames = 16;
constexpr int64_t kSheetColumns = 4;
constexpr int64_t kSheetGap = 6;
constexpr uint8_t kStampOutline[3] = {255, 214, 0};

int64_t png_scale(int64_t height, int64_t width) {
  return std::clamp<int64_t>(kTargetPngSide / std::max(height, width), 1, 32);
}

// Writes a [.., H, W] tensor's last plane pair as NAME.npy and NAME.png; returns the file stem for the report.
std::string write_step(const std::filesystem::path& dir, const std::string& name, const Tensor& tensor,
                       Colormap colormap) {
  write_npy((dir / (name + ".npy")).string(), tensor);
  const int64_t h = tensor.size(-2), w = tensor.size(-1);
  const ValueRange range = display_range(tensor.data(), tensor.numel(), colormap);
  write_png((dir / (name + ".png")).string(), colorize(tensor.data(), h, w, colormap, range, png_scale(h, w)));
  return name;
}

// Frames of the growing output after evenly spaced numbers of stamps, the last stamp of each outlined.
RgbImage replay_sheet(const ScatterReplay& replay, Colormap colormap) {
  const int64_t total = replay.stamp_count();
  const int64_t frames = std::min(kMaxReplayFrames, total);
  const Tensor full = replay.partial_output(total);
  const ValueRange range = display_range(full.data(), full.numel(), colormap);
  const int64_t h = full.size(0), w = full.size(1), scale = std::clamp<int64_t>(128 / std::max(h, w), 1, 16);
  const int64_t columns = std::min(kSheetColumns, frames), rows = (frames + columns - 1) / columns;
  RgbImage sheet(columns * (w * scale + kSheetGap) + kSheetGap, rows * (h * scale + kSheetGap) + kSheetGap, 24);
  for (int64_t f = 0; f < frames; ++f) {
    const int64_t t = (f + 1) * total / frames;  // stamps applied in this frame; the last frame is complete
    const Tensor partial = replay.partial_output(t);
    const int64_t x0 = kSheetGap + (f % columns) * (w * scale + kSheetGap);
    const int64_t y0 = kSheetGap + (f / columns) * (h * scale + kSheetGap);
    blit(sheet, colorize(partial.data(), h, w, colormap, range, scale), x0, y0);
    const ScatterStamp stamp = replay.stamp(t - 1);
    if (stamp.taps_inside.empty()) continue;
    int64_t top = h, left = w, bottom = -1, right = -1;
    for (const StampTap& tap : stamp.taps_inside) {
      top = std::min(top, tap.oy), bottom = std::max(bottom, tap.oy);
      left = std::min(left, tap.ox), right = std::max(right, tap.ox);
    }
    draw_rectangle(sheet, x0 + left * scale, y0 + top * scale, x0 + (right + 1) * scale - 1,
                   y0 + (bottom + 1) * scale - 1, kStampOutline);
  }
  return sheet;
}

}  // namespace

CLI::App* add_explain_command(CLI::App& app, ExplainOptions& options) {
  CLI::App* explain = app.add_subcommand(
      "explain", "Write the scatter-then-convolve steps of one channel slice as .npy + PNG, and a scatter replay sheet");
  add_layer_options(*explain, options.layer);
  explain->add_option("--out-dir", options.out_dir, "Folder for the files (created if missing)")->required();
  explain->add_option("--batch-index", options.batch_index, "Sample of the batch")->capture_default_str();
  explain->add_option("--in-channel", options.in_channel, "Input channel")->capture_default_str();
  explain->add_option("--out-channel", options.out_channel,
                      "Output channel (default: the first one the input channel feeds)");
  add_colormap_option(*explain, options.colormap, "");
  explain->add_flag("--json", options.json, "Print one JSON object instead of text");
  return explain;
}

void execute_explain(const ExplainOptions& options) {
  check_layer_flags(options.layer);
  const Layer layer = load_layer(options.layer);
  const ConvTranspose2dGeometry& g = layer.geometry;
  const Colormap colormap = parse_colormap(options.colormap);
  const int64_t in_channel = options.in_channel;
  const int64_t out_channel = options.out_channel >= 0 ? options.out_channel : first_output_channel_fed_by(g, in_channel);
  const ScatterConvolveSteps steps = scatter_then_convolve_slice(layer.input, layer.weight, layer.params,
                                                                 options.batch_index, in_channel, out_channel);
  // The single-channel layer this slice is, so the replay shows exactly this input channel's stamps.
  const ChannelSlice slice = channel_slice(layer.input, layer.weight, layer.params, options.batch_index, in_channel,
                                           out_channel);
  const Tensor& plane = slice.input_plane;
  const Tensor& kernel = slice.kernel;
  const ScatterReplay replay(plane, kernel, nullptr, slice.params, 0, 0);

  const std::filesystem::path dir(options.out_dir);
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (!std::filesystem::is_directory(dir, error))
    throw_io("cannot create the output folder '" + options.out_dir + "'" + (error ? ": " + error.message() : ""));

  std::vector<std::string> written = {
      write_step(dir, "01_input", plane, colormap),
      write_step(dir, "02_zero_inserted", steps.zero_inserted, colormap),
      write_step(dir, "03_padded", steps.padded, colormap),
      write_step(dir, "04_kernel", kernel, colormap),
      write_step(dir, "05_flipped_kernel", steps.transformed_weight, colormap),
      write_step(dir, "06_stride1_convolution", steps.convolved, colormap),
      write_step(dir, "07_conv_transpose2d", steps.direct, colormap),
  };
  write_png((dir / "08_scatter_replay.png").string(), replay_sheet(replay, colormap));

  nlohmann::json report = {
      {"command", "explain"},
      {"out_dir", options.out_dir},
      {"batch_index", options.batch_index},
      {"in_channel", in_channel},
      {"out_channel", out_channel},
      {"zero_inserted_shape", steps.zero_inserted.shape()},
      {"pad_low", {steps.pad_low.h, steps.pad_low.w}},
      {"pad_high", {steps.pad_high.h, steps.pad_high.w}},
      {"padded_shape", steps.padded.shape()},
      {"output_shape", steps.direct.shape()},
      {"max_abs_difference", steps.max_abs_difference},
      {"stamps", replay.stamp_count()},
      {"files", written},
  };
  report["files"].push_back("08_scatter_replay");
  write_file_atomically((dir / "summary.json").string(), report.dump(2) + "\n");

  if (options.json) {
    std::cout << report.dump() << "\n";
    return;
  }
  std::printf("slice    batch %lld, input channel %lld -> output channel %lld\n",
              static_cast<long long>(options.batch_index), static_cast<long long>(in_channel),
              static_cast<long long>(out_channel));
  std::printf("1 input            %s\n", shape_to_string(plane.shape()).c_str());
  std::printf("2 zero-inserted    %s  (s-1 zeros between neighbouring pixels: (i-1)*s + 1)\n",
              shape_to_string(steps.zero_inserted.shape()).c_str());
  std::printf("3 padded/cropped   %s  (low d*(k-1)-p = %s, high low+op = %s; negative crops)\n",
              shape_to_string(steps.padded.shape()).c_str(), to_string(steps.pad_low).c_str(),
              to_string(steps.pad_high).c_str());
  std::printf("4 flipped kernel   %s  (rotated 180 degrees)\n", shape_to_string(steps.transformed_weight.shape()).c_str());
  std::printf("5 stride-1 conv    %s  (dilation %s)\n", shape_to_string(steps.convolved.shape()).c_str(),
              to_string(layer.params.dilation).c_str());
  std::printf("  equals conv_transpose2d: max |difference| = %.3g\n", steps.max_abs_difference);
  std::printf("replay   %lld stamps, sheet of the growing output in 08_scatter_replay.png\n",
              static_cast<long long>(replay.stamp_count()));
  std::printf("wrote    %s/{01..07}_*.npy|png, 08_scatter_replay.png, summary.json\n", options.out_dir.c_str());
}

}  // namespace convt::cli
