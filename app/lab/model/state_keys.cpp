#include "state_keys.h"

#include "compare_keys.h"
#include "model_keys.h"
#include "train_keys.h"

#include <convt/error.h>

namespace convt::lab {
namespace {

#define FIELD(member) [](auto& s) -> auto& { return s.member; }

constexpr const char* kRanges[] = {"channel", "global"};       // ViewSettings::global_range false, true
constexpr const char* kCheckerboards[] = {"layer", "stack"};  // ViewSettings::whole_stack false, true

// view.pin and view.pin_input: "Y,X" pins that pixel, "none" (or empty) unpins it. The two share one pin, so each
// reads "none" while the other holds it, and unpinning through one leaves the other's pin alone (a workspace
// stores both).
Setting<ViewSettings> pin_setting(const char* key, PinTarget target, const char* help) {
  Setting<ViewSettings> s;
  s.info = setting_info(key, SettingType::Text, "Pixel inspector", help);
  s.info.takes = "Y,X|none";
  s.get = [target](const ViewSettings& v) {
    if (v.pin.target != target) return SettingValue(std::string("none"));
    return SettingValue(std::to_string(v.pin.y) + "," + std::to_string(v.pin.x));
  };
  s.set = [target, key = std::string(key)](ViewSettings& v, const SettingValue& value) {
    const std::string& text = std::get<std::string>(value);
    if (text.empty() || text == "none") {
      if (v.pin.target == target) v.pin = {};
      return;
    }
    const size_t comma = text.find(',');
    int64_t y = -1, x = -1;
    try {
      size_t used_y = 0, used_x = 0;
      if (comma != std::string::npos) {
        y = std::stoll(text.substr(0, comma), &used_y);
        x = std::stoll(text.substr(comma + 1), &used_x);
      }
      if (comma == std::string::npos || used_y != comma || used_x != text.size() - comma - 1) y = -1;
    } catch (const std::exception&) {
      y = -1;
    }
    if (y < 0 || x < 0 || y > kSettingMax || x > kSettingMax)
      throw_invalid("expected a row and a column, Y,X (each in [0, 2^31)), or none, not '" + text + "'", key);
    v.pin = {target, y, x};
  };
  return s;
}

// stack.*: which layer is shown (stored with the view), and adding layers (a command-line action).
SettingTable<LabState> stack_settings() {
  Setting<LabState> shown;
  shown.info = setting_info("stack.layer", SettingType::Int, "Stack",
                            "the layer of the stack (1-based) that the panels show and edit");
  shown.info.min = 1;
  shown.get = [](const LabState& s) { return SettingValue(s.selected() + 1); };
  shown.set = [](LabState& s, const SettingValue& value) {
    const int64_t layer = std::get<int64_t>(value);
    if (layer > static_cast<int64_t>(s.layers.size()))
      throw_invalid("the stack has layers 1 to " + std::to_string(s.layers.size()), "stack.layer");
    s.selected_layer = layer - 1;
  };

  Setting<LabState> append;
  append.info = setting_info("stack.append", SettingType::Int, "Stack",
                             "adds N layers like the shown one, each with its own weights, at the end of the stack, "
                             "and shows the last");
  append.info.min = 1;
  append.info.max = 16;
  append.info.stored = false;
  append.set = [](LabState& s, const SettingValue& value) {
    for (int64_t i = 0; i < std::get<int64_t>(value); ++i) s.layers.push_back(next_layer_like(s, s.layer()));
    s.selected_layer = static_cast<int64_t>(s.layers.size()) - 1;
  };
  return {shown, append};
}

void append_settings(SettingTable<LabState>& table, const SettingTable<LabState>& more) {
  table.insert(table.end(), more.begin(), more.end());
}

}  // namespace

const SettingTable<ViewSettings>& view_settings() {
  using T = ViewSettings;
  static const SettingTable<T> table = [] {
    SettingTable<T> t = {
        choice_setting<T>("view.colormap", FIELD(colormap), colormap_names(), "Feature maps",
                          "how values become colours (diverging: symmetric about 0)"),
        choice_setting<T>("view.range", FIELD(global_range), kRanges, "Feature maps",
                          "the colour range: one per channel, or one for all channels"),
        int_setting<T>("view.batch", FIELD(batch_index), 0, kSettingMax, "Feature maps", "the sample shown (N index)"),
        int_setting<T>("view.in_channel", FIELD(in_channel), 0, kSettingMax, "Feature maps", "the input channel shown"),
        int_setting<T>("view.out_channel", FIELD(out_channel), 0, kSettingMax, "Feature maps", "the output channel shown"),
        choice_setting<T>("view.comparison", FIELD(comparison), comparison_resize_names(), "Checkerboard",
                          "the plain resize that the output is compared with"),
        float_setting<T>("view.zoom", FIELD(zoom), 0, 256, "Feature maps", "screen pixels per tensor pixel; 0 fits the view"),
        choice_setting<T>("view.checkerboard", FIELD(whole_stack), kCheckerboards, "Checkerboard",
                          "the analysis of the shown layer, or of the whole stack"),
        pin_setting("view.pin", PinTarget::Output,
                    "pins output pixel (row, column) of the shown channel: the inspector lists every input pixel and "
                    "kernel tap that made it, x, w and x*w, and outlines them in every view"),
        pin_setting("view.pin_input", PinTarget::Input,
                    "pins input pixel (row, column) of the shown input channel: the inspector lists its footprint, "
                    "every output pixel it stamps and with which tap"),
        bool_setting<T>("view.matrix", FIELD(matrix), "Matrix",
                        "the matrix view: a 1-D slice (at most 16 inputs) as the matrix C of conv2d and its transpose "
                        "C^T, whose product with the input is the output row"),
        int_setting<T>("view.matrix_row", FIELD(matrix_row), -1, kSettingMax, "Matrix",
                       "the input row the matrix view cuts; -1: the middle row"),
        int_setting<T>("view.matrix_kernel_row", FIELD(matrix_kernel_row), -1, kSettingMax, "Matrix",
                       "the kernel row of the matrix view's 1-D kernel; -1: the middle row"),
        int_setting<T>("view.matrix_inputs", FIELD(matrix_inputs), 1, 16, "Matrix",
                       "how many values of the input row the matrix view cuts (the first ones)"),
        bool_setting<T>("view.round_trip", FIELD(round_trip), "Round trip",
                        "runs conv2d with the same parameters on the output, shows the result next to the input, and "
                        "lists the sizes conv2d maps to the same size"),
        bool_setting<T>("view.lessons", FIELD(lessons), "Lessons", "shows the Lessons window (convt-lab --lesson N)"),
        int_setting<T>("view.lesson", FIELD(lesson), 0, 6, "Lessons",
                       "the lesson the Lessons window shows, 1 to 6; 0: the introduction and the list"),
        choice_setting<T>("view.enlarge", FIELD(enlarge), enlarged_view_names(), "Scatter-then-convolve",
                          "opens a scatter-then-convolve step, or the replay, large: zoom, pan, a pixel grid with values"),
        bool_setting<T>("view.replay_1d", FIELD(replay_1d), "Scatter-then-convolve",
                        "the replay along one input row, in 1-D, with the coverage count growing under it"),
        int_setting<T>("view.replay_row", FIELD(replay_row), -1, kSettingMax, "Scatter-then-convolve",
                       "the input row the 1-D replay stamps; -1: the middle row"),
    };
    find_setting(t, "view.colormap")->info.aliases = {{"gray", "grey"}};
    return t;
  }();
  return table;
}

const SettingTable<LabState>& lab_settings() {
  static const SettingTable<LabState> table = [] {
    SettingTable<LabState> t = lift_settings<LabState>(input_settings(), FIELD(input));
    append_settings(t, lift_settings<LabState>(layer_settings(), [](auto& s) -> auto& { return s.layer(); }));
    append_settings(t, lift_settings<LabState>(backend_settings(), FIELD(backend)));
    append_settings(t, workspace_view_settings());
    return t;
  }();
  return table;
}

const SettingTable<LabState>& workspace_view_settings() {
  static const SettingTable<LabState> table = [] {
    SettingTable<LabState> t = lift_settings<LabState>(view_settings(), FIELD(view));
    append_settings(t, stack_settings());
    return t;
  }();
  return table;
}

#undef FIELD

void apply_setting(const std::string& assignment, LabState& state) {
  const size_t equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0)
    throw_invalid("--set '" + assignment + "': expected key=value (see convt-lab --help)", "set");
  const std::string key = assignment.substr(0, equals);
  const std::string value = assignment.substr(equals + 1);
  const Setting<LabState>* setting = find_setting(lab_settings(), key);
  // Short forms: "stride=2" means layer.stride, "colormap=..." view.colormap, and so on.
  for (const char* prefix : {"layer.", "input.", "view.", "stack."})
    if (!setting) setting = find_setting(lab_settings(), prefix + key);
  if (!setting) setting = find_setting(train_settings(), key);  // the Train lab's keys are always written in full
  if (!setting) setting = find_setting(model_settings(), key);  // so are the Model panel's
  const bool compare_key = !setting && (setting = find_setting(compare_settings(), key)) != nullptr;  // and B's
  if (!setting) throw_invalid("--set: unknown key '" + key + "' (see convt-lab --help for the keys)", "set");
  LabState next = state;  // a rejected value changes nothing
  // Setting any of B's keys, or turning B on, starts B as a copy of the shown layer when it was off.
  if (compare_key && key != kCompareEnabledKey) enable_compare(next);
  try {
    apply_setting_text(*setting, value, next);
  } catch (const Error& e) {
    throw Error(e.kind(), "--set " + std::string(e.what()), e.parameter());
  }
  if (compare_key && key == kCompareEnabledKey && next.compare.enabled && !state.compare.enabled) {
    next.compare.enabled = false;
    enable_compare(next);
  }
  state = std::move(next);
}

std::vector<std::string> setting_keys() { return setting_help_lines(lab_settings()); }

std::string settings_markdown() { return convt::settings_markdown(lab_settings()); }

}  // namespace convt::lab
