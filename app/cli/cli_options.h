// Value parsing shared by the `convt` subcommands: "S" or "SH,SW" pairs and comma-separated shapes.
// CLI11 parses the command line; these only turn one option's text into a typed value, with errors that name
// the option.
#pragma once

#include <convt/params.h>
#include <convt/tensor.h>

#include <string>

namespace convt::cli {

// "2" -> (2, 2); "2,3" -> (2, 3). Throws convt::Error (InvalidArgument) naming `option` otherwise.
IntPair parse_pair(const std::string& option, const std::string& text);

// "1,3,8,8" -> {1, 3, 8, 8}; every entry a positive integer.
Shape parse_shape_list(const std::string& option, const std::string& text);

}  // namespace convt::cli
