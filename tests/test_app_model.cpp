// The desktop app's GL-free model: LabModel (validation that marks the offending control, inline vs worker runs,
// stale results, output reuse when only the view slice changes), the presets and `--set key=value`. The GUI is
// a thin layer over these, so what a user sees on screen is decided here.
#include "app_test_util.h"
#include "test_util.h"

#include "model/lab_model.h"
#include "model/presets.h"
#include "model/state_keys.h"

#include <convt/error.h>
#include <convt/io.h>
#include <convt/ops.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

namespace convt::lab {
namespace {

using app_testing::with;

LabState with(std::initializer_list<std::string> settings) { return with(LabState(), settings); }

// 1x4x5x5 random input, 4 output channels in 2 groups, bias, dilation and output padding: every term is live.
LabState small_state() {
  return with({"input.kind=random", "input.channels=4", "input.height=5", "input.width=5", "out_channels=4",
               "kernel=3", "stride=2", "padding=1", "output_padding=1", "dilation=2", "groups=2", "bias=true",
               "weight=normal"});
}
// ~3.4e7 useful FLOPs: over LabModel::kInlineFlops, yet a few milliseconds on the CPU backend.
LabState big_state() {
  return with({"input.kind=random", "input.channels=32", "input.height=32", "input.width=32", "out_channels=32",
               "kernel=4", "stride=2", "padding=1"});
}

std::vector<float> values(const Tensor& t) { return {t.data(), t.data() + t.numel()}; }
// i, s, p, d, k, op, o: the terms the live formula prints.
std::vector<int64_t> terms(const TransposedAxisSize& a) {
  return {a.input, a.stride, a.padding, a.dilation, a.kernel, a.output_padding, a.output};
}
bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Restores the default memory budget even when an assertion fails mid-test.
struct BudgetGuard {
  explicit BudgetGuard(uint64_t bytes) { set_memory_budget_bytes(bytes); }
  ~BudgetGuard() { set_memory_budget_bytes(0); }
};

TEST(AppModel, SmallLayerComputesInlineAndMatchesTheReference) {
  LabModel model(small_state());
  model.update();
  ASSERT_FALSE(model.error()) << model.error()->message;
  ASSERT_NE(model.result(), nullptr) << "a small layer must be ready in the same frame";
  EXPECT_FALSE(model.computing());
  EXPECT_FALSE(model.stale());
  const ComputeResult& r = *model.result();
  EXPECT_EQ(r.state, model.state());
  ASSERT_TRUE(model.geometry());
  EXPECT_EQ(r.output().shape(), model.geometry()->output_shape());
  EXPECT_EQ(r.output().shape(), (Shape{1, 4, 12, 12}));  // (5-1)*2 - 2 + 2*2 + 1 + 1
  ASSERT_NE(r.layer.bias, nullptr);                    // bias=true must reach the computation
  const Tensor &x = *r.layer.input, &w = *r.layer.weight;
  EXPECT_EQ(w.shape(), (Shape{4, 2, 3, 3}));  // [C_in, C_out/groups, kH, kW]
  const Tensor expected = conv_transpose2d_reference(x, w, r.layer.bias.get(), r.layer.params);
  EXPECT_TRUE(testing::all_close_to_scale(r.output(), expected,
                                          testing::conv_transpose2d_term_scale(x, w, r.layer.bias.get(), r.layer.params), 1e-5));
}

TEST(AppModel, InvalidStateMarksTheParameterAndKeepsTheLastResult) {
  struct Case {
    std::string setting, parameter, in_message;  // parameter: the control the UI must mark
  };
  const std::vector<Case> cases = {
      {"output_padding=2", "output_padding", "output padding must be smaller"},  // op >= stride 2 and dilation 2
      {"out_channels=3", "groups", "divisible by groups"},                        // 3 % 2 != 0
      {"padding=9", "output_size", "output size"},                                // (5-1)*2 - 18 + 2*2 + 1 + 1 < 1
      {"input.image=/nonexistent/convt-missing.png", "input.image", "convt-missing.png"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.setting);
    const LabState valid = small_state();
    LabModel model(valid);
    model.update();
    ASSERT_NE(model.result(), nullptr);
    const uint64_t generation = model.result()->generation;
    apply_setting(c.setting, model.state());
    model.update();
    // A broken rule is caught inside the frame; a missing file once the worker has tried to read it.
    if (!model.error()) {
      ASSERT_TRUE(model.wait_until_idle(5));
    }
    ASSERT_TRUE(model.error());
    EXPECT_TRUE(model.error_is(c.parameter)) << model.error()->parameter << ": " << model.error()->message;
    EXPECT_TRUE(has(model.error()->message, c.in_message)) << model.error()->message;
    ASSERT_NE(model.result(), nullptr) << "the last good picture stays on screen";
    EXPECT_EQ(model.result()->generation, generation);
    EXPECT_TRUE(model.stale());
    EXPECT_FALSE(model.geometry());

    model.state() = valid;  // fixing it clears the mark at once, and the result catches up
    model.update();
    EXPECT_FALSE(model.error());
    ASSERT_TRUE(model.wait_until_idle(5));
    EXPECT_FALSE(model.stale());
    EXPECT_EQ(model.result()->state, valid);
  }
}

TEST(AppModel, LiveAxisShowsTheFormulaTermsWhenInvalid) {
  LabModel model(with(small_state(), {"padding=9,1"}));
  model.update();
  ASSERT_TRUE(model.error_is("output_size"));
  // (5-1)*2 - 2*9 + 2*(3-1) + 1 + 1 = -4: the formula shows why it is invalid; the other axis is fine.
  EXPECT_EQ(terms(model.live_axis(0)), (std::vector<int64_t>{5, 2, 9, 2, 3, 1, -4}));
  EXPECT_EQ(model.live_axis(1).output, 12);

  // A parameter rule that fails before any tensor is built, then dragging kernel and input size meanwhile.
  apply_setting("output_padding=3,1", model.state());
  model.update();
  ASSERT_TRUE(model.error_is("output_padding"));
  EXPECT_EQ(model.live_axis(0).output_padding, 3);
  model.state() = with(model.state(), {"kernel=7", "input.height=9"});
  model.update();
  ASSERT_TRUE(model.error_is("output_padding"));
  std::vector<int64_t> h = terms(model.live_axis(0));
  h.pop_back();  // no output size to show: the parameters themselves are invalid
  EXPECT_EQ(h, (std::vector<int64_t>{9, 2, 9, 2, 7, 3}));
}

TEST(AppModel, BigLayerRunsOnTheWorker) {
  LabModel model(big_state());
  model.update();
  ASSERT_FALSE(model.error());
  ASSERT_TRUE(model.geometry());
  ASSERT_GT(model.geometry()->useful_flops(), LabModel::kInlineFlops);  // else this test tests nothing
  EXPECT_TRUE(model.computing()) << "a big layer must not run inside the frame";
  EXPECT_TRUE(model.stale());
  EXPECT_EQ(model.result(), nullptr);
  ASSERT_TRUE(model.wait_until_idle(10));
  ASSERT_NE(model.result(), nullptr);
  EXPECT_FALSE(model.computing());
  EXPECT_FALSE(model.stale());
  EXPECT_EQ(model.result()->state, model.state());
  EXPECT_EQ(model.result()->output().shape(), (Shape{1, 32, 64, 64}));
}

TEST(AppModel, RapidChangesDeliverOnlyTheLatestState) {
  LabModel model(big_state());
  model.update();
  for (uint64_t seed = 1; seed <= 5; ++seed) {  // dragging a slider: a new state every frame
    model.state().input.seed = seed;
    model.update();
    // Whatever arrives meanwhile, a result shown as up to date must belong to the current state.
    if (model.result() && !model.stale()) {
      EXPECT_EQ(model.result()->state, model.state());
    }
  }
  ASSERT_TRUE(model.wait_until_idle(10));
  ASSERT_NE(model.result(), nullptr);
  EXPECT_FALSE(model.stale());
  EXPECT_EQ(model.result()->state, model.state());
  EXPECT_EQ(values(*model.result()->layer.input), values(Tensor::randn({1, 32, 32, 32}, 5)));
}

TEST(AppModel, ColormapAndZoomDoNotRecompute) {
  LabModel model(small_state());
  model.update();
  ASSERT_NE(model.result(), nullptr);
  const uint64_t generation = model.result()->generation;
  for (const char* setting : {"colormap=diverging", "zoom=3", "view.range=global"}) {
    apply_setting(setting, model.state());
    model.update();
    EXPECT_EQ(model.result()->generation, generation) << setting;
    EXPECT_FALSE(model.stale()) << setting << ": a view-only change leaves the result current";
  }
}

// Computes the model's layer, changes only the slice, and expects the answer in the same frame from the old output.
void expect_slice_change_reuses_output(LabModel& model) {
  model.update();
  ASSERT_TRUE(model.wait_until_idle(10));
  ASSERT_NE(model.result(), nullptr);
  const ComputeResult first = *model.result();
  apply_setting("view.out_channel=3", model.state());
  model.update();
  EXPECT_FALSE(model.computing()) << "only the slice changed: no layer run, so it is done in this frame";
  ASSERT_TRUE(model.wait_until_idle(10));
  ASSERT_NE(model.result(), nullptr);
  const ComputeResult& r = *model.result();
  EXPECT_NE(r.generation, first.generation);
  EXPECT_EQ(r.out_channel, 3);
  EXPECT_EQ(values(r.output()), values(first.output()));
  EXPECT_EQ(r.run_ms, first.run_ms);  // the timing of the original run, carried over: it did not run again
}

TEST(AppModel, ChangingTheSliceReusesTheOutputAndKeepsChannelsInOneGroup) {
  LabModel model(big_state());  // big, so a recompute would have to go to the worker
  expect_slice_change_reuses_output(model);

  // With groups, an input channel from another group is moved into the output channel's group.
  LabModel grouped(small_state());  // C_in 4, C_out 4, groups 2: channels 0-1 | 2-3
  grouped.state() = with(grouped.state(), {"view.out_channel=3", "view.in_channel=0"});
  grouped.update();
  ASSERT_FALSE(grouped.error()) << grouped.error()->message;
  ASSERT_NE(grouped.result(), nullptr);
  EXPECT_EQ(grouped.result()->out_channel, 3);
  EXPECT_EQ(grouped.result()->in_channel, 2);
  grouped.state() = with(grouped.state(), {"view.in_channel=3", "view.out_channel=99"});
  grouped.update();
  EXPECT_EQ(grouped.result()->in_channel, 3);   // already in group 1: kept
  EXPECT_EQ(grouped.result()->out_channel, 3);  // clamped to the last channel
}

// The bias is cached with the weight it belongs to, so a slice change with bias on reruns nothing either.
TEST(AppModel, ChangingTheSliceWithBiasReusesTheOutput) {
  LabModel model(with(big_state(), {"bias=true"}));
  expect_slice_change_reuses_output(model);
}

TEST(AppModel, WeightFromNpyFileAndAMissingOne) {
  namespace fs = std::filesystem;
  const fs::path path = fs::temp_directory_path() / ("convt-app-model-" + std::to_string(::getpid()) + ".npy");
  const Tensor w = Tensor::randn({4, 3, 2, 2}, 9);
  write_npy(path.string(), w);
  LabModel model(with(small_state(), {"groups=1", "weight=" + path.string()}));
  model.update();
  ASSERT_TRUE(model.wait_until_idle(10));  // files are read on the worker
  fs::remove(path);
  ASSERT_FALSE(model.error()) << model.error()->message;
  ASSERT_NE(model.result(), nullptr);
  EXPECT_EQ(values(*model.result()->layer.weight), values(w));
  EXPECT_EQ(model.result()->output().shape()[1], 3);  // C_out comes from the file, not from layer.out_channels
  apply_setting("weight=" + path.string() + ".gone.npy", model.state());
  model.update();
  ASSERT_TRUE(model.wait_until_idle(10));
  EXPECT_TRUE(model.error_is("weight.file")) << (model.error() ? model.error()->parameter : "no error");
}

// After a failed load, a change elsewhere must keep the reason (the load is retried and fails the same way).
TEST(AppModel, MissingFileKeepsItsReasonAfterAnotherChange) {
  LabModel model(with(small_state(), {"input.image=/nonexistent/convt-missing.png"}));
  model.update();
  ASSERT_TRUE(model.wait_until_idle(10));
  apply_setting("stride=3", model.state());
  model.update();
  ASSERT_TRUE(model.wait_until_idle(10));
  ASSERT_TRUE(model.error());
  EXPECT_TRUE(model.error_is("input.image")) << model.error()->parameter << ": " << model.error()->message;
  EXPECT_TRUE(has(model.error()->message, "convt-missing.png")) << model.error()->message;
}

TEST(AppModel, MemoryBudgetIsAnErrorNamingBytesNotACrash) {
  LabModel model(small_state());
  model.update();
  ASSERT_NE(model.result(), nullptr);
  const BudgetGuard budget(1 << 20);  // 1 MiB: the small layer fits, the ones below do not
  model.state() = with(small_state(), {"input.height=1000", "input.width=1000"});  // 4 x 10^6 floats = 16 MB
  model.update();
  ASSERT_TRUE(model.error());
  EXPECT_EQ(model.error()->parameter, "input.shape");
  EXPECT_TRUE(has(model.error()->message, "bytes")) << model.error()->message;
  EXPECT_NE(model.result(), nullptr);
  model.state() = with(small_state(), {"stride=300"});  // a small input, but a [1, 4, 1203, 1203] output
  model.update();
  ASSERT_TRUE(model.error());
  EXPECT_EQ(model.error()->parameter, "output_size");
  EXPECT_TRUE(has(model.error()->message, "bytes")) << model.error()->message;
}

// ---- Presets -------------------------------------------------------------------------------------------------

TEST(Presets, EveryPresetIsAValidLayerWithItsTrueShape) {
  // The true shapes, where the reference page's text is wrong (unet 17x17, not 16x16, and so on).
  const std::map<std::string, Shape> shapes = {
      {"dcgan", {1, 4, 16, 16}},          {"gan-k5s2", {32, 256, 8, 8}},   {"unet", {8, 256, 17, 17}},
      {"segmentation", {4, 256, 33, 33}}, {"progressive", {8, 256, 3, 3}}, {"fractional", {1, 128, 32, 31}},
      {"super-resolution", {1, 32, 64, 64}}, {"checkerboard", {1, 1, 49, 49}}, {"holes-k1s2", {1, 1, 47, 47}},
  };
  ASSERT_FALSE(presets().empty());
  for (const Preset& preset : presets()) {
    SCOPED_TRACE(preset.name);
    EXPECT_FALSE(preset.title.empty() || preset.description.empty());
    LabState state;
    state.view.out_channel = 5;
    apply_preset(preset.name, state);
    EXPECT_EQ(state.view.out_channel, 0);  // a slice of the previous layer may not exist in this one
    if (state.layers.size() > 1) continue;  // stack presets: test_app_stack.cpp
    LabModel model(state);
    if (state.input.kind == InputKind::Random) {
      // GFLOP layers (gan-k5s2, unet, segmentation) take seconds and their backend call cannot be interrupted,
      // so they are validated the way the model does, without submitting the computation.
      const Shape input{state.input.batch, state.input.channels, state.input.height, state.input.width};
      const Shape weight{input[1], state.layer().out_channels / state.layer().params.groups, state.layer().kernel.h,
                         state.layer().kernel.w};
      const ConvTranspose2dGeometry g = validate_conv_transpose2d(input, weight, std::nullopt, state.layer().params);
      ASSERT_TRUE(shapes.count(preset.name)) << "add the preset's true shape above";
      EXPECT_EQ(g.output_shape(), shapes.at(preset.name));
      if (g.useful_flops() > 1e8) continue;
    }
    model.update();
    ASSERT_TRUE(model.wait_until_idle(10));
    EXPECT_FALSE(model.error()) << model.error()->message;
    ASSERT_TRUE(model.geometry() && model.result());
    if (shapes.count(preset.name)) {
      EXPECT_EQ(model.geometry()->output_shape(), shapes.at(preset.name));
    }
    EXPECT_FALSE(model.stale());
  }
}

TEST(Presets, UnknownNameThrowsListingTheNames) {
  LabState state;
  try {
    apply_preset("no-such-preset", state);
    FAIL() << "expected convt::Error";
  } catch (const Error& e) {
    EXPECT_TRUE(has(e.what(), "no-such-preset")) << e.what();
    for (const Preset& p : presets()) EXPECT_TRUE(has(e.what(), p.name)) << p.name;
  }
  const LabState defaults;
  EXPECT_EQ(state, defaults);  // a failed preset leaves the state alone
}

// ---- --set key=value ------------------------------------------------------------------------------------------

TEST(StateKeys, PairsShortKeysEnumsBoolsAndWeightSources) {
  const LabState s = with({"stride=2,3", "layer.padding=1", "kernel=4", "output_padding=1,0", "dilation=2",
                           "groups=2", "colormap=diverging", "zoom=2.5", "input.kind=random", "distribution=uniform",
                           "pattern=checkerboard", "bias=on", "resize=false", "range=global", "comparison=nearest"});
  // One number means both axes, as PyTorch's _pair; "kernel" is the short key of layer.kernel.
  EXPECT_EQ(s.layer().params, (ConvTranspose2dParams{{2, 3}, 1, {1, 0}, 2, 2}));
  EXPECT_EQ(s.layer().kernel, IntPair(4, 4));
  EXPECT_EQ(s.view.colormap, Colormap::Diverging);
  EXPECT_FLOAT_EQ(s.view.zoom, 2.5f);
  EXPECT_EQ(s.input.kind, InputKind::Random);
  EXPECT_EQ(s.input.distribution, Distribution::Uniform);
  EXPECT_EQ(s.input.pattern, Pattern::Checkerboard);
  EXPECT_TRUE(s.layer().bias && s.view.global_range);
  EXPECT_FALSE(s.input.resize_image);
  EXPECT_EQ(s.view.comparison, ComparisonResize::Nearest);
  EXPECT_FALSE(with(s, {"bias=0"}).layer().bias);
  // A short key that exists in several sections resolves layer., then input., then view.
  EXPECT_EQ(with({"seed=7"}).layer().weight.seed, 7u);
  EXPECT_EQ(with({"batch=3"}).input.batch, 3);

  // layer.weight takes an initialiser name or a .npy path; input.image also switches the input kind.
  const LabState init = with({"weight=normal"}), file = with({"layer.weight=/data/w.npy"});
  EXPECT_FALSE(init.layer().weight.from_file);
  EXPECT_EQ(init.layer().weight.init, WeightInit::Normal);
  EXPECT_TRUE(file.layer().weight.from_file);
  EXPECT_EQ(file.layer().weight.path, "/data/w.npy");
  EXPECT_FALSE(with(file, {"weight=bilinear"}).layer().weight.from_file);
  const LabState image = with({"input.image=cat.png"});
  EXPECT_EQ(image.input.kind, InputKind::Image);
  EXPECT_EQ(image.input.image_path, "cat.png");
}

TEST(StateKeys, BadValuesAndUnknownKeysNameTheKey) {
  // {assignment, what the message must name}; the engine's own parsers (colormap, pattern, weight) name the
  // setting by its short name.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"stride=x", "layer.stride"},       {"stride=2,y", "layer.stride"}, {"kernel=", "layer.kernel"},
      {"input.batch=1.5", "input.batch"}, {"bias=maybe", "layer.bias"},   {"input.kind=video", "input.kind"},
      {"range=wide", "view.range"},       {"zoom=abc", "view.zoom"},      {"constant=abc", "layer.constant"},
      {"colormap=rainbow", "colormap"},   {"pattern=stripes", "pattern"}, {"weight=bogus", "weight"},
      {"nonsense=1", "nonsense"},         {"stride", "stride"},           {"=2", "=2"},
  };
  for (const auto& [assignment, named] : cases) {
    LabState s;
    try {
      apply_setting(assignment, s);
      ADD_FAILURE() << assignment << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << assignment;
      EXPECT_TRUE(has(e.what(), named)) << assignment << ": " << e.what();
    }
    const LabState defaults;
    EXPECT_EQ(s, defaults) << assignment << ": a rejected setting must not half-apply";
  }
}

TEST(StateKeys, EveryListedKeyAppliesASampleValue) {
  // One sample per key, each different from the default so the test sees that the key writes something. A key
  // added to the table without a sample here fails below, so --help and this list stay in step.
  const std::map<std::string, std::string> samples = {
      {"input.kind", "random"}, {"input.pattern", "impulse"}, {"input.pattern_channels", "2"},
      {"input.pattern_size", "16"}, {"input.batch", "2"}, {"input.channels", "4"}, {"input.height", "7"},
      {"input.width", "9"}, {"input.distribution", "uniform"}, {"input.seed", "5"}, {"input.image", "a.png"},
      {"input.resize", "false"}, {"input.working_size", "32"}, {"layer.out_channels", "2"}, {"layer.kernel", "3,5"},
      {"layer.stride", "3"}, {"layer.padding", "2"}, {"layer.output_padding", "1"}, {"layer.dilation", "2"},
      {"layer.groups", "2"}, {"layer.bias", "true"}, {"layer.weight", "impulse"}, {"layer.constant", "0.5"},
      {"layer.seed", "9"}, {"layer.backend", "reference"}, {"view.colormap", "grey"}, {"view.range", "global"},
      {"layer.weight_source", "file"}, {"layer.init", "normal"}, {"layer.weight_file", "w.npy"},
      {"layer.weight_tensor", "up.weight"},
      {"view.batch", "1"}, {"view.in_channel", "1"}, {"view.out_channel", "1"}, {"view.comparison", "nearest"},
      {"view.zoom", "4"}, {"view.checkerboard", "stack"}, {"layer.activation", "tanh"}, {"stack.append", "2"},
      {"view.pin", "3,4"}, {"view.pin_input", "1,2"}, {"view.matrix", "true"}, {"view.matrix_row", "2"},
      {"view.matrix_kernel_row", "1"}, {"view.matrix_inputs", "5"}, {"view.round_trip", "true"},
      {"view.lessons", "true"}, {"view.lesson", "3"}, {"view.enlarge", "replay"}, {"view.replay_1d", "true"},
      {"view.replay_row", "0"},
      {"stack.layer", "1"},
  };
  const std::vector<std::string> lines = setting_keys();
  ASSERT_FALSE(lines.empty());
  std::set<std::string> listed;
  for (const std::string& line : lines) {
    const size_t equals = line.find('=');
    ASSERT_NE(equals, std::string::npos) << line;
    EXPECT_GT(line.size(), equals + 1) << line << ": --help must say what the key takes";
    const std::string key = line.substr(0, equals);
    listed.insert(key);
    if (!samples.count(key)) {
      ADD_FAILURE() << "no sample value for key " << key;
      continue;
    }
    LabState before;
    // stack.layer picks a layer: give the state a second one to pick from.
    if (key == "stack.layer") apply_setting("stack.append=1", before);
    LabState s = before;
    EXPECT_NO_THROW(apply_setting(key + "=" + samples.at(key), s)) << key;
    EXPECT_NE(s, before) << key << "=" << samples.at(key) << " changed nothing";
  }
  for (const auto& [key, value] : samples) EXPECT_TRUE(listed.count(key)) << key << " is no longer listed";
}


TEST(AppModel, SafetensorsWeightAndItsBias) {
  // A model file with a layer's weight and bias, written through the engine's own .npy-free path: the raw format.
  const Tensor w = Tensor::randn({1, 2, 3, 3}, 5), b = Tensor::randn({2}, 6);
  nlohmann::json header = {{"up.weight", {{"dtype", "F32"}, {"shape", w.shape()}, {"data_offsets", {0, 72}}}},
                           {"up.bias", {{"dtype", "F32"}, {"shape", b.shape()}, {"data_offsets", {72, 80}}}}};
  const std::string text = header.dump();
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<char>((text.size() >> (8 * i)) & 0xFF);
  bytes += text + std::string(reinterpret_cast<const char*>(w.data()), 72) + std::string(reinterpret_cast<const char*>(b.data()), 8);
  const std::string path = (std::filesystem::temp_directory_path() / ("convt-model-" + std::to_string(::getpid()) + ".safetensors")).string();
  write_file_atomically(path, bytes);

  LabState state;
  apply_setting("input.kind=pattern", state);
  apply_setting("layer.weight=" + path, state);  // no tensor chosen yet: the model says so
  state.layer().weight.from_file = true;
  LabModel model(state);
  model.update();
  ASSERT_TRUE(model.error());
  EXPECT_EQ(model.error()->parameter, "weight.file");
  apply_setting("layer.weight=" + path + ":up.weight", model.state());
  apply_setting("layer.bias=true", model.state());
  model.update();
  ASSERT_TRUE(model.wait_until_idle(10));
  ASSERT_FALSE(model.error()) << model.error()->message;
  ASSERT_NE(model.result(), nullptr);
  EXPECT_EQ(model.result()->layer.weight->shape(), w.shape());
  ASSERT_NE(model.result()->layer.bias, nullptr);
  EXPECT_EQ((*model.result()->layer.bias)[1], b[1]);  // the model's own bias, not a random one
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace convt::lab
