#include <convt/settings_schema.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>

namespace convt {
namespace {

using nlohmann::json;

// "[1, 2^31)": the powers of two that bound the types read better than their digits.
std::string range_text(int64_t min, int64_t max) {
  const std::string low = std::to_string(min);
  if (max == kSettingMax) return "[" + low + ", 2^31)";
  if (max == std::numeric_limits<int64_t>::max()) return "[" + low + ", 2^63)";
  return "[" + low + ", " + std::to_string(max) + "]";
}

// The shortest text that reads back as the same float ("0.1", not "0.100000001").
std::string float_text(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, static_cast<float>(value));
  return std::string(buffer, result.ptr);
}

bool full_float_range(const SettingInfo& info) {
  return info.low <= -std::numeric_limits<float>::max() && info.high >= std::numeric_limits<float>::max();
}

std::string join(const std::vector<std::string>& names, const char* separator) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : separator) + name;
  return text;
}

std::optional<std::string> canonical_choice(const SettingInfo& info, const std::string& name) {
  if (std::find(info.choices.begin(), info.choices.end(), name) != info.choices.end()) return name;
  for (const auto& [alias, choice] : info.aliases)
    if (alias == name) return choice;
  return std::nullopt;
}

template <typename Integer>
std::optional<Integer> integer_from_text(const std::string& text) {
  Integer value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<IntPair> pair_from_text(const SettingInfo& info, const std::string& text) {
  const size_t comma = text.find(',');
  const std::optional<int64_t> h = integer_from_text<int64_t>(text.substr(0, comma));
  const std::optional<int64_t> w = comma == std::string::npos ? h : integer_from_text<int64_t>(text.substr(comma + 1));
  if (!h || !w || *h < info.min || *h > info.max || *w < info.min || *w > info.max) return std::nullopt;
  return IntPair(*h, *w);
}

// A JSON integer in [min, max], read from the integer the parser stored, never from a double.
std::optional<int64_t> json_integer(const json& j, int64_t min, int64_t max) {
  if (const auto* u = j.get_ptr<const json::number_unsigned_t*>()) {
    if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    const auto value = static_cast<int64_t>(*u);
    if (value < min || value > max) return std::nullopt;
    return value;
  }
  if (const auto* i = j.get_ptr<const json::number_integer_t*>()) {
    if (*i < min || *i > max) return std::nullopt;
    return *i;
  }
  return std::nullopt;
}

// A value as an error message quotes it, cut short when it is long.
std::string quoted(const json& j) {
  std::string text = j.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

}  // namespace

std::string setting_rule(const SettingInfo& info, bool in_json) {
  switch (info.type) {
    case SettingType::Int: return "an integer in " + range_text(info.min, info.max);
    case SettingType::Seed: return "an integer in [0, 2^64)";
    case SettingType::Float:
      if (full_float_range(info)) return "a finite number";
      return "a number in [" + float_text(info.low) + ", " + float_text(info.high) + "]";
    case SettingType::Bool: return "true or false";
    case SettingType::Choice: return "one of " + join(info.choices, ", ");
    case SettingType::Pair:
      return info.takes + (in_json ? " or [" : " or ") + info.takes + "H" + (in_json ? ", " : ",") + info.takes + "W" +
             (in_json ? "]" : "") + ", each an integer in " + range_text(info.min, info.max);
    case SettingType::Text: return in_json ? "a string" : info.takes;
  }
  return "?";
}

std::string setting_values(const SettingInfo& info) {
  switch (info.type) {
    case SettingType::Int: return "integer in " + range_text(info.min, info.max);
    case SettingType::Seed: return "integer in [0, 2^64)";
    case SettingType::Float:
      if (full_float_range(info)) return "number";
      return "number in [" + float_text(info.low) + ", " + float_text(info.high) + "]";
    case SettingType::Bool: return "true|false";
    case SettingType::Choice: return join(info.choices, "|");
    case SettingType::Pair:
      return info.takes + " or " + info.takes + "H," + info.takes + "W in " + range_text(info.min, info.max);
    case SettingType::Text: return info.takes;
  }
  return "?";
}

SettingValue parse_setting_text(const SettingInfo& info, const std::string& text) {
  const auto fail = [&]() -> SettingValue {
    throw_invalid(info.key + "=" + text + ": expected " + setting_rule(info), info.key);
  };
  switch (info.type) {
    case SettingType::Int: {
      const std::optional<int64_t> value = integer_from_text<int64_t>(text);
      if (!value || *value < info.min || *value > info.max) return fail();
      return *value;
    }
    case SettingType::Seed: {
      const std::optional<uint64_t> value = integer_from_text<uint64_t>(text);
      if (!value) return fail();
      return *value;
    }
    case SettingType::Float: {
      char* end = nullptr;
      const double value = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || !std::isfinite(value) || value < info.low || value > info.high) return fail();
      return static_cast<double>(static_cast<float>(value));
    }
    case SettingType::Bool:
      if (text == "true" || text == "1" || text == "on") return true;
      if (text == "false" || text == "0" || text == "off") return false;
      return fail();
    case SettingType::Choice:
      if (const std::optional<std::string> name = canonical_choice(info, text)) return *name;
      return fail();
    case SettingType::Pair:
      if (const std::optional<IntPair> pair = pair_from_text(info, text)) return *pair;
      return fail();
    case SettingType::Text: return text;
  }
  return fail();
}

std::string setting_text(const SettingInfo& info, const SettingValue& value) {
  switch (info.type) {
    case SettingType::Int: return std::to_string(std::get<int64_t>(value));
    case SettingType::Seed: return std::to_string(std::get<uint64_t>(value));
    case SettingType::Float: return float_text(std::get<double>(value));
    case SettingType::Bool: return std::get<bool>(value) ? "true" : "false";
    case SettingType::Pair: {
      const IntPair& p = std::get<IntPair>(value);
      return p.h == p.w ? std::to_string(p.h) : std::to_string(p.h) + "," + std::to_string(p.w);
    }
    case SettingType::Choice:
    case SettingType::Text: return std::get<std::string>(value);
  }
  return "?";
}

json setting_to_json(const SettingInfo& info, const SettingValue& value) {
  switch (info.type) {
    case SettingType::Int: return std::get<int64_t>(value);
    case SettingType::Seed: return std::get<uint64_t>(value);
    // Through the float's shortest text, so 0.1f is written 0.1 and reads back as the same float.
    case SettingType::Float: return std::strtod(float_text(std::get<double>(value)).c_str(), nullptr);
    case SettingType::Bool: return std::get<bool>(value);
    case SettingType::Pair: return json::array({std::get<IntPair>(value).h, std::get<IntPair>(value).w});
    case SettingType::Choice:
    case SettingType::Text: return std::get<std::string>(value);
  }
  return nullptr;
}

SettingValue setting_from_json(const SettingInfo& info, const json& j, const std::string& where) {
  const auto fail = [&]() -> SettingValue {
    throw_invalid(where + ": " + quoted(j) + " is not " + setting_rule(info, true), info.key);
  };
  switch (info.type) {
    case SettingType::Int:
      if (const std::optional<int64_t> value = json_integer(j, info.min, info.max)) return *value;
      return fail();
    case SettingType::Seed:
      if (const auto* u = j.get_ptr<const json::number_unsigned_t*>()) return static_cast<uint64_t>(*u);
      if (const auto* i = j.get_ptr<const json::number_integer_t*>(); i && *i >= 0) return static_cast<uint64_t>(*i);
      return fail();
    case SettingType::Float: {
      double value = 0;
      if (const auto* d = j.get_ptr<const json::number_float_t*>()) value = *d;
      else if (const auto* i = j.get_ptr<const json::number_integer_t*>()) value = static_cast<double>(*i);
      else if (const auto* u = j.get_ptr<const json::number_unsigned_t*>()) value = static_cast<double>(*u);
      else return fail();
      if (!std::isfinite(value) || value < info.low || value > info.high) return fail();
      return static_cast<double>(static_cast<float>(value));
    }
    case SettingType::Bool:
      if (j.is_boolean()) return j.get<bool>();
      return fail();
    case SettingType::Choice:
      if (const auto* name = j.get_ptr<const json::string_t*>())
        if (const std::optional<std::string> choice = canonical_choice(info, *name)) return *choice;
      return fail();
    case SettingType::Pair: {
      if (const std::optional<int64_t> both = json_integer(j, info.min, info.max)) return IntPair(*both);
      if (!j.is_array() || j.size() != 2) return fail();
      const std::optional<int64_t> h = json_integer(j[0], info.min, info.max), w = json_integer(j[1], info.min, info.max);
      if (!h || !w) return fail();
      return IntPair(*h, *w);
    }
    case SettingType::Text:
      if (const auto* text = j.get_ptr<const json::string_t*>()) return *text;
      return fail();
  }
  return fail();
}

void check_json_keys(const json& object, const std::vector<std::string>& known, const std::string& where) {
  const std::string prefix = where.empty() ? "" : where + ": ";
  if (!object.is_object()) throw_invalid(prefix + quoted(object) + " is not an object");
  for (const auto& [key, value] : object.items())
    if (std::find(known.begin(), known.end(), key) == known.end())
      throw_invalid(prefix + "unknown key '" + key + "' (expected " + join(known, ", ") + ")");
}

std::string setting_help_line(const SettingInfo& info, const std::optional<std::string>& default_text) {
  std::string line = info.key + "=" + setting_values(info);
  if (default_text) line += " (default " + (default_text->empty() ? "empty" : *default_text) + ")";
  return line + ": " + info.help;
}

std::string settings_markdown_header() {
  return "| key | values | default | panel | what it does |\n|---|---|---|---|---|\n";
}

std::string setting_markdown_row(const SettingInfo& info, const std::optional<std::string>& default_text) {
  const auto cell = [](const std::string& text) {
    std::string escaped;
    for (const char c : text) escaped += c == '|' ? std::string("\\|") : std::string(1, c);
    return escaped;
  };
  const std::string shown_default = !default_text ? "" : default_text->empty() ? "(empty)" : "`" + *default_text + "`";
  return "| `" + info.key + "` | " + cell(setting_values(info)) + " | " + shown_default + " | " + info.panel + " | " +
         cell(info.help) + " |\n";
}

}  // namespace convt
