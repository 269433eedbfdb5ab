#include "cli_options.h"

#include <convt/error.h>

#include <charconv>
#include <filesystem>
#include <vector>

namespace convt::cli {
namespace {

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    parts.push_back(text.substr(start, comma - start));
    if (comma == std::string::npos) return parts;
    start = comma + 1;
  }
}

bool parse_int(const std::string& text, int64_t& value) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (begin != end && *begin == '+') ++begin;
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  return ec == std::errc() && ptr == end && begin != end;
}

}  // namespace

IntPair parse_pair(const std::string& option, const std::string& text) {
  const std::vector<std::string> parts = split_commas(text);
  int64_t first = 0, second = 0;
  if (parts.size() == 1 && parse_int(parts[0], first)) return {first, first};
  if (parts.size() == 2 && parse_int(parts[0], first) && parse_int(parts[1], second)) return {first, second};
  throw_invalid(option + " '" + text + "': expected an integer or two comma-separated integers (height,width)");
}

ConvTranspose2dParams parse_param_flags(const std::string& stride, const std::string& padding,
                                        const std::string& output_padding, const std::string& dilation) {
  ConvTranspose2dParams params;
  params.stride = parse_pair("--stride", stride);
  params.padding = parse_pair("--padding", padding);
  params.output_padding = parse_pair("--output-padding", output_padding);
  params.dilation = parse_pair("--dilation", dilation);
  return params;
}

Shape parse_shape_list(const std::string& option, const std::string& text) {
  Shape shape;
  for (const std::string& part : split_commas(text)) {
    int64_t value = 0;
    if (!parse_int(part, value) || value < 1)
      throw_invalid(option + " '" + text + "': expected comma-separated positive integers, got '" + part + "'");
    shape.push_back(value);
  }
  return shape;
}

void check_output_path(const std::string& out) {
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

nlohmann::json params_json(const ConvTranspose2dParams& params) {
  auto pair = [](const IntPair& p) { return nlohmann::json::array({p.h, p.w}); };
  return {{"stride", pair(params.stride)},
          {"padding", pair(params.padding)},
          {"output_padding", pair(params.output_padding)},
          {"dilation", pair(params.dilation)},
          {"groups", params.groups}};
}

nlohmann::json params_json(const Conv2dParams& params) {
  auto pair = [](const IntPair& p) { return nlohmann::json::array({p.h, p.w}); };
  return {{"stride", pair(params.stride)},
          {"padding", pair(params.padding)},
          {"dilation", pair(params.dilation)},
          {"groups", params.groups}};
}

std::string names_text(std::span<const char* const> names, const char* last) {
  std::string text;
  for (size_t i = 0; i < names.size(); ++i) text += (i == 0 ? "" : i + 1 == names.size() ? last : ", ") + std::string(names[i]);
  return text;
}

}  // namespace convt::cli
