#include "cli_options.h"

#include <convt/error.h>

#include <charconv>
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

}  // namespace convt::cli
