// The settings schema: every key is declared once, round-trips through a workspace, and is listed in --help and
// in the README's table; numbers from a file are range-checked before anything converts them; version 1
// workspaces still load; a saved workspace saves again byte for byte.
#include "model/presets.h"
#include "model/state_keys.h"
#include "model/workspace_state.h"

#include <convt/error.h>
#include <convt/io.h>
#include <convt/settings_schema.h>
#include <convt/workspace.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

namespace convt::lab {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = fs::path(CONVT_GOLDEN_DIR).parent_path().parent_path();

// One non-default sample per key. A key added to the schema without a sample here fails the round-trip test.
const std::map<std::string, std::string>& samples() {
  static const std::map<std::string, std::string> values = {
      {"input.kind", "random"}, {"input.pattern", "impulse"}, {"input.pattern_channels", "2"},
      {"input.pattern_size", "16"}, {"input.batch", "2"}, {"input.channels", "4"}, {"input.height", "7"},
      {"input.width", "9"}, {"input.distribution", "uniform"}, {"input.seed", "18446744073709551615"},
      {"input.image", "cats/a b.png"}, {"input.resize", "false"}, {"input.working_size", "32"},
      {"layer.out_channels", "2"}, {"layer.kernel", "3,5"}, {"layer.stride", "3"}, {"layer.padding", "2,0"},
      {"layer.output_padding", "1"}, {"layer.dilation", "2"}, {"layer.groups", "2"}, {"layer.bias", "true"},
      {"layer.weight", "model.safetensors:up.weight"}, {"layer.weight_source", "file"}, {"layer.init", "impulse"},
      {"layer.weight_file", "w.npy"}, {"layer.weight_tensor", "up.weight"}, {"layer.constant", "0.1"},
      {"layer.seed", "9"}, {"layer.activation", "leaky_relu"}, {"layer.backend", "reference"},
      {"view.colormap", "grey"}, {"view.range", "global"}, {"view.batch", "1"}, {"view.in_channel", "1"},
      {"view.out_channel", "3"}, {"view.comparison", "nearest"}, {"view.zoom", "2.5"},
      {"view.checkerboard", "stack"}, {"view.pin", "3,4"}, {"view.pin_input", "1,2"}, {"view.matrix", "true"},
      {"view.matrix_row", "2"}, {"view.matrix_kernel_row", "1"}, {"view.matrix_inputs", "5"}, {"view.round_trip", "true"},
      {"view.lessons", "true"}, {"view.lesson", "3"}, {"view.enlarge", "convolution"}, {"view.replay_1d", "true"},
      {"view.replay_row", "4"}, {"stack.layer", "2"}, {"stack.append", "2"},
  };
  return values;
}

// Through the file format and back: the app's state, as the app saves and reopens it.
LabState reloaded(const LabState& state) {
  LabState back;
  apply_workspace(workspace_from_json(workspace_to_json(to_workspace(state)), "w.json"), "w.json", back);
  return back;
}

std::string error_of(const std::string& text) {
  try {
    LabState state;
    apply_workspace(workspace_from_json(text, "w.json"), "w.json", state);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << text;
  return "";
}

TEST(SettingsSchema, EveryKeyIsDeclaredOnceWithHelpAPanelAndItsValues) {
  std::set<std::string> keys;
  for (const Setting<LabState>& s : lab_settings()) {
    SCOPED_TRACE(s.info.key);
    EXPECT_TRUE(keys.insert(s.info.key).second) << "declared twice";
    EXPECT_FALSE(s.info.help.empty());
    EXPECT_FALSE(s.info.panel.empty());
    EXPECT_NE(s.info.key.find('.'), std::string::npos);
    EXPECT_TRUE(s.set) << "every key can be set";
    EXPECT_TRUE(s.get || !s.info.stored) << "a stored setting must be readable";
    if (s.info.type == SettingType::Choice) {
      EXPECT_GE(s.info.choices.size(), 2u);
    }
  }
  // Within each object of a workspace, the stored names are distinct.
  for (const std::vector<std::string>& names :
       {setting_json_names(input_settings()), setting_json_names(layer_settings()), setting_json_names(workspace_view_settings())})
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
  // The combo boxes and the schema read the same lists.
  EXPECT_EQ(find_setting(lab_settings(), "view.colormap")->info.choices,
            std::vector<std::string>(colormap_names().begin(), colormap_names().end()));
  EXPECT_EQ(find_setting(lab_settings(), "layer.init")->info.choices,
            std::vector<std::string>(weight_init_names().begin(), weight_init_names().end()));
}

TEST(SettingsSchema, EnumNamesAreListedOnceAndParseBack) {
  for (size_t i = 0; i < colormap_names().size(); ++i)
    EXPECT_EQ(parse_colormap(to_string(static_cast<Colormap>(i))), static_cast<Colormap>(i));
  EXPECT_EQ(parse_colormap("gray"), Colormap::Grey);
  for (size_t i = 0; i < pattern_names().size(); ++i)
    EXPECT_EQ(parse_pattern(pattern_names()[i]), static_cast<Pattern>(i));
  for (size_t i = 0; i < weight_init_names().size(); ++i)
    EXPECT_EQ(parse_weight_init(to_string(static_cast<WeightInit>(i))), static_cast<WeightInit>(i));
  for (size_t i = 0; i < activation_names().size(); ++i)
    EXPECT_EQ(parse_activation(to_string(static_cast<Activation>(i))), static_cast<Activation>(i));
  EXPECT_EQ(std::string(to_string(WeightInit::KaimingUniform)), "kaiming");
  EXPECT_EQ(input_kind_names().size(), 3u);
  EXPECT_EQ(distribution_names().size(), 2u);
  EXPECT_EQ(comparison_resize_names().size(), 2u);
  try {
    parse_pattern("stripes");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "unknown pattern 'stripes': expected impulse, checkerboard, zoneplate, gradient or scene");
  }
}

TEST(SettingsSchema, EveryKeyRoundTripsThroughAWorkspace) {
  for (const Setting<LabState>& s : lab_settings()) {
    const std::string& key = s.info.key;
    SCOPED_TRACE(key);
    if (!samples().count(key)) {
      ADD_FAILURE() << "no sample value for " << key;
      continue;
    }
    LabState before;
    if (key == "stack.layer") apply_setting("stack.append=2", before);  // a layer to pick
    LabState state = before;
    apply_setting(key + "=" + samples().at(key), state);
    EXPECT_NE(state, before) << "the sample must differ from the default";
    if (s.get) {
      EXPECT_EQ(setting_text(s.info, s.get(state)), samples().at(key));
    }
    EXPECT_EQ(reloaded(state), state);
  }
  // And all of them at once.
  LabState all;
  for (const auto& [key, value] : samples()) apply_setting(key + "=" + value, all);
  EXPECT_EQ(reloaded(all), all);
}

TEST(SettingsSchema, ASavedWorkspaceSavesAgainByteForByte) {
  LabState state;
  apply_preset("stack-dcgan", state);
  for (const auto& [key, value] : samples())
    if (key.rfind("stack.", 0) != 0 && key != "layer.backend") apply_setting(key + "=" + value, state);
  const std::string text = workspace_to_json(to_workspace(state));
  // The engine alone (the CLI's path), and through the app's state.
  EXPECT_EQ(workspace_to_json(workspace_from_json(text, "w.json")), text);
  EXPECT_EQ(workspace_to_json(to_workspace(reloaded(state))), text);
  const auto document = nlohmann::json::parse(text);
  EXPECT_EQ(document.at("convt_workspace"), kWorkspaceVersion);
  EXPECT_EQ(document.at("layers").size(), 4u);
  EXPECT_EQ(document.at("layers")[3].at("constant"), 0.1);  // the float's shortest text, not 0.100000001
  EXPECT_EQ(document.at("view").at("layer"), 4);

  // Through files, as convt-lab --save-workspace and the Workspace panel write them.
  const fs::path path = fs::temp_directory_path() / ("convt-schema-" + std::to_string(::getpid()) + ".json");
  write_workspace(path.string(), to_workspace(state));
  EXPECT_EQ(read_file(path.string()), text);
  write_workspace(path.string(), read_workspace(path.string()));
  EXPECT_EQ(read_file(path.string()), text);
  fs::remove(path);
}

TEST(SettingsSchema, Version1WorkspacesAreMigrated) {
  // As the previous version wrote them (every key), and as people wrote them by hand (a few).
  const std::string saved = R"({
    "backend": "cpu", "convt_workspace": 1,
    "input": {"distribution": "uniform", "image_path": "cat.png", "kind": "image", "pattern": "gradient",
              "pattern_channels": 3, "pattern_size": 20, "random_shape": [2, 3, 5, 7], "resize_image": false,
              "seed": 42, "working_size": 64},
    "layers": [
      {"activation": "relu", "bias": true, "dilation": [1, 1], "groups": 1, "kernel": [3, 5],
       "out_channels": 4, "output_padding": [1, 0], "padding": [1, 1], "stride": [2, 3],
       "weight": {"constant": 2.5, "init": "normal", "path": "m.safetensors", "seed": 9, "source": "file",
                  "tensor": "up.weight"}},
      {"kernel": 4}],
    "view": {"batch_index": 1, "colormap": "gray", "comparison": "nearest", "global_range": true,
             "in_channel": 2, "out_channel": 3, "selected_layer": 1, "whole_stack": true, "zoom": 2.5}})";
  LabState state;
  apply_workspace(workspace_from_json(saved, "old.json"), "old.json", state);
  EXPECT_EQ(state.input.kind, InputKind::Image);
  EXPECT_EQ(state.input.distribution, Distribution::Uniform);
  EXPECT_EQ(state.input.image_path, "cat.png");
  EXPECT_FALSE(state.input.resize_image);
  EXPECT_EQ((std::vector<int64_t>{state.input.batch, state.input.channels, state.input.height, state.input.width}),
            (std::vector<int64_t>{2, 3, 5, 7}));
  EXPECT_EQ(state.input.seed, 42u);
  ASSERT_EQ(state.layers.size(), 2u);
  const LayerSettings& first = state.layers[0];
  EXPECT_EQ(first.params, (ConvTranspose2dParams{{2, 3}, 1, {1, 0}, 1, 1}));
  EXPECT_EQ(first.weight, (WeightSource{true, WeightInit::Normal, 2.5f, "m.safetensors", "up.weight", 9}));
  EXPECT_EQ(first.activation, Activation::ReLU);
  // Version 1's layer defaults: stride 1, padding 0 (version 2's are the app's, 2 and 1).
  EXPECT_EQ(state.layers[1].params, (ConvTranspose2dParams{1, 0, 0, 1, 1}));
  EXPECT_EQ(state.selected_layer, 1);
  EXPECT_EQ(state.backend, "cpu");
  EXPECT_EQ(state.view.colormap, Colormap::Grey);
  EXPECT_TRUE(state.view.global_range && state.view.whole_stack);
  EXPECT_EQ(state.view.batch_index, 1);
  EXPECT_EQ(state.view.comparison, ComparisonResize::Nearest);
  EXPECT_FLOAT_EQ(state.view.zoom, 2.5f);

  // The fuzz corpus's version 1 example; an out-of-range selected layer showed the nearest one.
  const Workspace valid = read_workspace((kSourceDir / "tests/fuzz/corpus/workspace/valid.json").string());
  EXPECT_EQ(valid.layers.front().params, (ConvTranspose2dParams{2, 1, {1, 0}, 1, 1}));
  EXPECT_EQ(valid.layers.front().weight.init, WeightInit::Bilinear);
  LabState far;
  apply_workspace(workspace_from_json(R"({"convt_workspace": 1, "view": {"selected_layer": 7}})", "w.json"), "w.json", far);
  EXPECT_EQ(far.selected_layer, 0);
}

TEST(SettingsSchema, NumbersFromAFileAreCheckedBeforeTheyAreConverted) {
  // The fuzzer's find: get<int>() of 6E61 is undefined behaviour. Each message names the file, the key and the rule.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"convt_workspace": 6E61})", "convt_workspace: version 6e+61 is not supported (1 to 2)"},
      {R"({"convt_workspace": -1})", "convt_workspace: version -1 is not supported (1 to 2)"},
      {R"({"convt_workspace": "2"})", "convt_workspace: version \"2\" is not supported (1 to 2)"},
      {R"({"convt_workspace": 2, "layers": [{"stride": 6E61}]})",
       "layers[0].stride: 6e+61 is not S or [SH, SW], each an integer in [1, 2^31)"},
      {R"({"convt_workspace": 2, "layers": [{}, {"stride": [2, 2147483648]}]})",
       "layers[1].stride: [2,2147483648] is not S or [SH, SW], each an integer in [1, 2^31)"},
      {R"({"convt_workspace": 2, "layers": [{"kernel": [3]}]})",
       "layers[0].kernel: [3] is not K or [KH, KW], each an integer in [1, 2^31)"},
      {R"({"convt_workspace": 2, "layers": [{"padding": -1}]})",
       "layers[0].padding: -1 is not P or [PH, PW], each an integer in [0, 2^31)"},
      {R"({"convt_workspace": 2, "layers": [{"out_channels": "2"}]})",
       "layers[0].out_channels: \"2\" is not an integer in [1, 2^31)"},
      {R"({"convt_workspace": 2, "layers": [{"groups": 2.0}]})", "layers[0].groups: 2.0 is not an integer in [1, 2^31)"},
      {R"({"convt_workspace": 2, "layers": [{"constant": 1e300}]})", "layers[0].constant: 1e+300 is not a finite number"},
      {R"({"convt_workspace": 2, "layers": [{"seed": -1}]})", "layers[0].seed: -1 is not an integer in [0, 2^64)"},
      {R"({"convt_workspace": 2, "layers": [{"seed": 1e19}]})", "layers[0].seed: 1e+19 is not an integer in [0, 2^64)"},
      {R"({"convt_workspace": 2, "layers": [{"bias": 1}]})", "layers[0].bias: 1 is not true or false"},
      {R"({"convt_workspace": 2, "layers": [{"strdie": 2}]})", "layers[0]: unknown key 'strdie'"},
      {R"({"convt_workspace": 2, "layers": [3]})", "layers[0]: 3 is not an object"},
      {R"({"convt_workspace": 2, "layers": {}})", "layers: {} is not an array of layers"},
      {R"({"convt_workspace": 2, "layers": []})", "\"layers\" is empty"},
      {R"({"convt_workspace": 2, "input": {"batch": 0}})", "input.batch: 0 is not an integer in [1, 2^31)"},
      {R"({"convt_workspace": 2, "input": {"kind": "video"}})",
       "input.kind: \"video\" is not one of pattern, random, image"},
      {R"({"convt_workspace": 2, "input": {"image": 7}})", "input.image: 7 is not a string"},
      {R"({"convt_workspace": 2, "backend": "gpu"})", "backend: \"gpu\" is not one of auto"},
      {R"({"convt_workspace": 2, "view": {"zoom": 1e9}})", "view.zoom: 1000000000.0 is not a number in [0, 256]"},
      {R"({"convt_workspace": 2, "view": {"layer": 2}})", "view.layer: the stack has layers 1 to 1"},
      {R"({"convt_workspace": 2, "view": {"colour": "grey"}})", "view: unknown key 'colour'"},
      {R"({"convt_workspace": 2, "view": []})", "view: [] is not an object"},
      {R"({"convt_workspace": 1, "input": {"random_shape": [1, 2, 3]}})", "input.random_shape: [1,2,3] is not [N, C, H, W]"},
      {R"({"convt_workspace": 1, "input": {"random_shape": [1, 2, 3, 1e99]}})", "input.width: 1e+99 is not an integer"},
  };
  for (const auto& [text, rule] : cases) {
    SCOPED_TRACE(text);
    const std::string message = error_of(text);
    EXPECT_EQ(message.rfind("invalid workspace 'w.json': ", 0), 0u) << message;
    EXPECT_NE(message.find(rule), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "one line";
  }
  // The edges that are allowed.
  const Workspace edges = workspace_from_json(
      R"({"convt_workspace": 2, "input": {"seed": 18446744073709551615},
          "layers": [{"stride": 2147483647, "padding": [0, 5], "constant": -3}]})", "w.json");
  EXPECT_EQ(edges.input.seed, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(edges.layers[0].params.stride, IntPair(2147483647));
  EXPECT_EQ(edges.layers[0].weight.constant, -3.0f);
}

TEST(SettingsSchema, CommandLineValuesAreCheckedAgainstTheSameRules) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"stride=0", "--set layer.stride=0: expected S or SH,SW, each an integer in [1, 2^31)"},
      {"input.batch=1.5", "--set input.batch=1.5: expected an integer in [1, 2^31)"},
      {"seed=-1", "--set layer.seed=-1: expected an integer in [0, 2^64)"},
      {"zoom=300", "--set view.zoom=300: expected a number in [0, 256]"},
      {"kind=video", "--set input.kind=video: expected one of pattern, random, image"},
      {"stack.append=17", "--set stack.append=17: expected an integer in [1, 16]"},
      {"stack.layer=2", "--set stack.layer=2: the stack has layers 1 to 1"},
      {"weight=bogus", "--set layer.weight=bogus: unknown weight initialiser 'bogus'"},
  };
  for (const auto& [assignment, message] : cases) {
    LabState state;
    try {
      apply_setting(assignment, state);
      ADD_FAILURE() << assignment << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(message, 0), 0u) << e.what();
    }
  }
}

TEST(SettingsSchema, HelpListsEveryKeyWithWhatItTakesAndItsDefault) {
  const std::vector<std::string> lines = setting_keys();
  ASSERT_EQ(lines.size(), lab_settings().size());
  EXPECT_NE(std::find(lines.begin(), lines.end(),
                      "layer.stride=S or SH,SW in [1, 2^31) (default 2): stride: the step between the input pixels' "
                      "stamps in the output"),
            lines.end());
  for (const std::string& line : lines)
    if (line.rfind("stack.append=", 0) != 0) {
      EXPECT_NE(line.find(" (default "), std::string::npos) << line;
    }
}

TEST(SettingsSchema, TheReadmeTableIsTheSchemas) {
  const std::string readme = read_file((kSourceDir / "README.md").string());
  const std::string begin = "<!-- settings table: generated by `convt-lab --settings-markdown` -->\n";
  const std::string end = "<!-- end of the settings table -->";
  const size_t from = readme.find(begin), to = readme.find(end);
  ASSERT_NE(from, std::string::npos) << "README.md lacks the line " << begin;
  ASSERT_NE(to, std::string::npos) << "README.md lacks the line " << end;
  EXPECT_EQ(readme.substr(from + begin.size(), to - from - begin.size()), settings_markdown())
      << "README.md's settings table is out of date: replace the lines between the markers with the output of "
         "`convt-lab --settings-markdown`, which is:\n"
      << settings_markdown();
}

}  // namespace
}  // namespace convt::lab
