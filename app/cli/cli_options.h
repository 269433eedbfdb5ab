// Value parsing shared by the `convt` subcommands: "S" or "SH,SW" pairs and comma-separated shapes.
// CLI11 parses the command line; these only turn one option's text into a typed value, with errors that name
// the option.
#pragma once

#include <convt/params.h>
#include <convt/tensor.h>

#include <nlohmann/json.hpp>

#include <span>
#include <string>

namespace convt::cli {

// "2" -> (2, 2); "2,3" -> (2, 3). Throws convt::Error (InvalidArgument) naming `option` otherwise.
IntPair parse_pair(const std::string& option, const std::string& text);

// The four per-axis pairs of --stride, --padding, --output-padding and --dilation (groups 1), parsed but not yet
// checked against the rules: each command validates them with whatever else it knows.
ConvTranspose2dParams parse_param_flags(const std::string& stride, const std::string& padding,
                                        const std::string& output_padding, const std::string& dilation);

// "1,3,8,8" -> {1, 3, 8, 8}; every entry a positive integer.
Shape parse_shape_list(const std::string& option, const std::string& text);

// "a, b or c": an engine enum's names (convt::colormap_names() and so on) as help text says them.
std::string names_text(std::span<const char* const> names, const char* last = " or ");

// Checks, before any long computation, that `out` can be created: its folder exists and it is not a folder.
void check_output_path(const std::string& out);

// {"stride": [h, w], "padding": ..., "output_padding": ..., "dilation": ..., "groups": g}
nlohmann::json params_json(const ConvTranspose2dParams& params);
// {"stride": [h, w], "padding": ..., "dilation": ..., "groups": g}
nlohmann::json params_json(const Conv2dParams& params);

}  // namespace convt::cli
