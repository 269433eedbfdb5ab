#include "pattern_command.h"

#include "cli_options.h"

#include <convt/error.h>
#include <convt/image.h>
#include <convt/io.h>
#include <convt/patterns.h>

#include <cstdio>
#include <filesystem>

namespace convt::cli {

CLI::App* add_pattern_command(CLI::App& app, PatternOptions& options) {
  CLI::App* command = app.add_subcommand("pattern", "Write a built-in test pattern as .npy or .png");
  command->add_option("--kind", options.kind, names_text(pattern_names()))->capture_default_str();
  command->add_option("--size", options.size, "Height and width")->capture_default_str();
  command->add_option("--channels", options.channels, "Channels (PNG: 1 or 3)")->capture_default_str();
  command->add_option("--out", options.out, "Output file: .npy ([1, C, H, W] float32) or .png")->required();
  return command;
}

void execute_pattern(const PatternOptions& options) {
  check_output_path(options.out);
  const Tensor pattern = make_pattern(parse_pattern(options.kind), options.channels, options.size, options.size);
  const std::string extension = std::filesystem::path(options.out).extension().string();
  if (extension == ".png") write_png(options.out, image_from_tensor(pattern));
  else if (extension == ".npy") write_npy(options.out, pattern);
  else throw_invalid("--out '" + options.out + "': expected a .npy or .png file name");
  std::printf("wrote %s %s\n", options.out.c_str(), shape_to_string(pattern.shape()).c_str());
}

}  // namespace convt::cli
