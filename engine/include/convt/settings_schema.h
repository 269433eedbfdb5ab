// One declaration per setting: its key, type, allowed values, help and panel, and where it lives in a struct.
// Everything else comes from that table: `--set key=value` parsing, the `convt-lab --help` key list and the
// README's table, the workspace JSON in both directions (numbers range-checked before any conversion), and the
// app's presets. The default is the struct's own default, read from a default-constructed struct.
//
// The engine declares the input.* and layer.* settings (and layer.backend); the app declares its view.* and stack.*
// ones with the same helpers (app/lab/model/state_keys.cpp).
#pragma once

#include <convt/error.h>
#include <convt/settings.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace convt {

enum class SettingType {
  Int,     // int64_t in [min, max]
  Seed,    // uint64_t, any
  Float,   // float in [low, high]
  Bool,    // true|false (1|0, on|off on the command line)
  Choice,  // one of `choices` (an enum, or a bool with two names)
  Pair,    // IntPair: "K" or "KH,KW" on the command line, K or [KH, KW] in a file; each member in [min, max]
  Text,    // a string: a path or a name
};

// Sizes, channels and strides stay below 2^31: a product of two fits in int64_t, and the shape checks refuse the
// larger ones before anything is allocated.
constexpr int64_t kSettingMax = (int64_t{1} << 31) - 1;

// A setting's value on its way between text, JSON and a struct: Int int64_t, Seed uint64_t, Float double (holding
// a float), Bool bool, Pair IntPair, Choice and Text std::string (a Choice holds its name).
using SettingValue = std::variant<int64_t, uint64_t, double, bool, IntPair, std::string>;

struct SettingInfo {
  std::string key;  // "layer.stride": what --set takes; a workspace stores it under the part after the first dot
  SettingType type = SettingType::Int;
  std::string panel;  // the app panel that shows it
  std::string help;   // one line: what it does
  int64_t min = 0, max = kSettingMax;  // Int and Pair
  double low = 0, high = 0;            // Float
  std::vector<std::string> choices;    // Choice: the names, in enum order
  std::vector<std::pair<std::string, std::string>> aliases;  // Choice: other spellings accepted ("gray" -> "grey")
  std::string takes;   // Pair: the letter ("S" reads "S or SH,SW"); Text: what it takes ("PATH")
  bool stored = true;  // false: a command-line key only (an action like stack.append, a shortcut like layer.weight)

  std::string json_name() const { return key.substr(key.find('.') + 1); }
};

template <typename Target>
struct Setting {
  SettingInfo info;
  std::function<SettingValue(const Target&)> get;  // empty for actions
  std::function<void(Target&, const SettingValue&)> set;  // the value is already checked against `info`
  std::function<void(Target&)> also_on_command_line;  // what --set does besides (input.image also picks that input)
};

template <typename Target>
using SettingTable = std::vector<Setting<Target>>;

// ---- The engine's settings ------------------------------------------------------------------------------------

const SettingTable<InputSettings>& input_settings();  // input.*
const SettingTable<LayerSettings>& layer_settings();  // layer.*, for one layer
const SettingTable<std::string>& backend_settings();  // layer.backend: where the layers run (a workspace's "backend")

// ---- Text, JSON and help for one setting ----------------------------------------------------------------------

// `--set key=text`: the value, or InvalidArgument "KEY=TEXT: expected RULE" (the parameter is the key).
SettingValue parse_setting_text(const SettingInfo& info, const std::string& text);
// The text parse_setting_text reads back as `value` ("2,3", "grey", "0.5").
std::string setting_text(const SettingInfo& info, const SettingValue& value);
// What the setting accepts, as error messages say it: "an integer in [1, 2^31)", "one of grey, viridis, diverging".
std::string setting_rule(const SettingInfo& info, bool in_json = false);
// What it accepts, short, for --help and the README: "grey|viridis|diverging", "S or SH,SW in [1, 2^31)".
std::string setting_values(const SettingInfo& info);

nlohmann::json setting_to_json(const SettingInfo& info, const SettingValue& value);
// A value from a file. The JSON type and the range are checked before anything is converted; InvalidArgument
// "WHERE: 6e+61 is not an integer in [1, 2^31)" otherwise.
SettingValue setting_from_json(const SettingInfo& info, const nlohmann::json& json, const std::string& where);
// InvalidArgument "WHERE: unknown key 'strdie'" for a member of `object` that is not in `known`, and
// "WHERE: expected an object" when it is not one.
void check_json_keys(const nlohmann::json& object, const std::vector<std::string>& known, const std::string& where);

// "key=values (default D): help", one line of --help; actions have no default.
std::string setting_help_line(const SettingInfo& info, const std::optional<std::string>& default_text);
// "| `key` | values | default | panel | what it does |", one row of the README's table, after the header.
std::string settings_markdown_header();
std::string setting_markdown_row(const SettingInfo& info, const std::optional<std::string>& default_text);

// ---- Tables ---------------------------------------------------------------------------------------------------

template <typename Target>
const Setting<Target>* find_setting(const SettingTable<Target>& table, const std::string& key) {
  for (const Setting<Target>& setting : table)
    if (setting.info.key == key) return &setting;
  return nullptr;
}
template <typename Target>
Setting<Target>* find_setting(SettingTable<Target>& table, const std::string& key) {
  for (Setting<Target>& setting : table)
    if (setting.info.key == key) return &setting;
  return nullptr;
}

// Parses `text` and writes it. Errors (a bad value, or what the setter refuses) read "KEY=TEXT: ...".
template <typename Target>
void apply_setting_text(const Setting<Target>& setting, const std::string& text, Target& target) {
  const SettingValue value = parse_setting_text(setting.info, text);
  try {
    setting.set(target, value);
    if (setting.also_on_command_line) setting.also_on_command_line(target);
  } catch (const Error& e) {
    throw Error(e.kind(), setting.info.key + "=" + text + ": " + e.what(), setting.info.key);
  }
}

// The stored settings of `target` as a JSON object, each under its json_name().
template <typename Target>
nlohmann::json settings_to_json(const SettingTable<Target>& table, const Target& target) {
  nlohmann::json object = nlohmann::json::object();
  for (const Setting<Target>& setting : table)
    if (setting.info.stored) object[setting.info.json_name()] = setting_to_json(setting.info, setting.get(target));
  return object;
}

// Reads the stored settings that `object` holds into `target` (a missing one keeps its value). Errors name the
// path: "layers[0].stride: ...". Unknown keys are left to check_json_keys.
template <typename Target>
void settings_from_json(const SettingTable<Target>& table, const nlohmann::json& object, const std::string& where,
                        Target& target) {
  for (const Setting<Target>& setting : table) {
    if (!setting.info.stored || !object.contains(setting.info.json_name())) continue;
    const std::string path = (where.empty() ? "" : where + ".") + setting.info.json_name();
    const SettingValue value = setting_from_json(setting.info, object.at(setting.info.json_name()), path);
    try {
      setting.set(target, value);
    } catch (const Error& e) {
      throw Error(e.kind(), path + ": " + e.what(), setting.info.key);
    }
  }
}

template <typename Target>
std::vector<std::string> setting_json_names(const SettingTable<Target>& table) {
  std::vector<std::string> names;
  for (const Setting<Target>& setting : table)
    if (setting.info.stored) names.push_back(setting.info.json_name());
  return names;
}

// The text of a setting's default: its value in a default-constructed Target (none for actions).
template <typename Target>
std::optional<std::string> setting_default_text(const Setting<Target>& setting) {
  if (!setting.get) return std::nullopt;
  static const auto defaults = std::make_unique<const Target>();
  return setting_text(setting.info, setting.get(*defaults));
}

// --help's lines and the README's table, in the table's order.
template <typename Target>
std::vector<std::string> setting_help_lines(const SettingTable<Target>& table) {
  std::vector<std::string> lines;
  for (const Setting<Target>& setting : table) lines.push_back(setting_help_line(setting.info, setting_default_text(setting)));
  return lines;
}

template <typename Target>
std::string settings_markdown(const SettingTable<Target>& table) {
  std::string text = settings_markdown_header();
  for (const Setting<Target>& setting : table) text += setting_markdown_row(setting.info, setting_default_text(setting));
  return text;
}

// The same settings, reached through a member: lift_settings<LabState>(input_settings(), [](auto& s) -> auto& {
// return s.input; }). `access` must take both a const and a non-const Outer.
template <typename Outer, typename Inner, typename Access>
SettingTable<Outer> lift_settings(const SettingTable<Inner>& table, Access access) {
  SettingTable<Outer> lifted;
  for (const Setting<Inner>& inner : table) {
    Setting<Outer> outer;
    outer.info = inner.info;
    if (inner.get) outer.get = [get = inner.get, access](const Outer& o) { return get(access(o)); };
    if (inner.set) outer.set = [set = inner.set, access](Outer& o, const SettingValue& v) { set(access(o), v); };
    if (inner.also_on_command_line)
      outer.also_on_command_line = [also = inner.also_on_command_line, access](Outer& o) { also(access(o)); };
    lifted.push_back(std::move(outer));
  }
  return lifted;
}

// ---- Declaring settings ---------------------------------------------------------------------------------------
// `field` is a lambda from the target to the field, for a const and a non-const target alike:
// [](auto& s) -> auto& { return s.params.stride; }.

inline SettingInfo setting_info(std::string key, SettingType type, std::string panel, std::string help) {
  SettingInfo info;
  info.key = std::move(key);
  info.type = type;
  info.panel = std::move(panel);
  info.help = std::move(help);
  return info;
}

template <typename Target, typename Field>
Setting<Target> int_setting(std::string key, Field field, int64_t min, int64_t max, std::string panel, std::string help) {
  Setting<Target> s;
  s.info = setting_info(std::move(key), SettingType::Int, std::move(panel), std::move(help));
  s.info.min = min;
  s.info.max = max;
  s.get = [field](const Target& t) { return SettingValue(static_cast<int64_t>(field(t))); };
  s.set = [field](Target& t, const SettingValue& v) { field(t) = std::get<int64_t>(v); };
  return s;
}

template <typename Target, typename Field>
Setting<Target> seed_setting(std::string key, Field field, std::string panel, std::string help) {
  Setting<Target> s;
  s.info = setting_info(std::move(key), SettingType::Seed, std::move(panel), std::move(help));
  s.get = [field](const Target& t) { return SettingValue(static_cast<uint64_t>(field(t))); };
  s.set = [field](Target& t, const SettingValue& v) { field(t) = std::get<uint64_t>(v); };
  return s;
}

template <typename Target, typename Field>
Setting<Target> float_setting(std::string key, Field field, double low, double high, std::string panel, std::string help) {
  Setting<Target> s;
  s.info = setting_info(std::move(key), SettingType::Float, std::move(panel), std::move(help));
  s.info.low = low;
  s.info.high = high;
  s.get = [field](const Target& t) { return SettingValue(static_cast<double>(field(t))); };
  s.set = [field](Target& t, const SettingValue& v) { field(t) = static_cast<float>(std::get<double>(v)); };
  return s;
}

template <typename Target, typename Field>
Setting<Target> bool_setting(std::string key, Field field, std::string panel, std::string help) {
  Setting<Target> s;
  s.info = setting_info(std::move(key), SettingType::Bool, std::move(panel), std::move(help));
  s.get = [field](const Target& t) { return SettingValue(static_cast<bool>(field(t))); };
  s.set = [field](Target& t, const SettingValue& v) { field(t) = std::get<bool>(v); };
  return s;
}

// An enum field (or a bool, named false first) with its names in enum order.
template <typename Target, typename Field>
Setting<Target> choice_setting(std::string key, Field field, std::span<const char* const> names, std::string panel,
                               std::string help) {
  Setting<Target> s;
  s.info = setting_info(std::move(key), SettingType::Choice, std::move(panel), std::move(help));
  s.info.choices.assign(names.begin(), names.end());
  s.get = [field, names](const Target& t) { return SettingValue(std::string(names[static_cast<size_t>(field(t))])); };
  s.set = [field, names](Target& t, const SettingValue& v) {
    for (size_t i = 0; i < names.size(); ++i)
      if (std::get<std::string>(v) == names[i]) field(t) = static_cast<std::remove_cvref_t<decltype(field(t))>>(i);
  };
  return s;
}

template <typename Target, typename Field>
Setting<Target> pair_setting(std::string key, Field field, std::string letter, int64_t min, int64_t max,
                             std::string panel, std::string help) {
  Setting<Target> s;
  s.info = setting_info(std::move(key), SettingType::Pair, std::move(panel), std::move(help));
  s.info.min = min;
  s.info.max = max;
  s.info.takes = std::move(letter);
  s.get = [field](const Target& t) { return SettingValue(IntPair(field(t))); };
  s.set = [field](Target& t, const SettingValue& v) { field(t) = std::get<IntPair>(v); };
  return s;
}

template <typename Target, typename Field>
Setting<Target> text_setting(std::string key, Field field, std::string takes, std::string panel, std::string help) {
  Setting<Target> s;
  s.info = setting_info(std::move(key), SettingType::Text, std::move(panel), std::move(help));
  s.info.takes = std::move(takes);
  s.get = [field](const Target& t) { return SettingValue(std::string(field(t))); };
  s.set = [field](Target& t, const SettingValue& v) { field(t) = std::get<std::string>(v); };
  return s;
}

}  // namespace convt
