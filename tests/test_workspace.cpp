// Workspaces: the JSON round-trips, bad files are refused with the file named, and a workspace saved from the app's
// state gives the CLI exactly the app's output (the same tensors built by the same engine functions).
#include "cli_sandbox.h"

#include "model/lab_model.h"
#include "model/presets.h"
#include "model/state_keys.h"
#include "model/workspace_state.h"

#include <convt/error.h>
#include <convt/workspace.h>

namespace convt {
namespace {

using namespace cli_testing;

TEST(Workspace, JsonRoundTripsEveryField) {
  Workspace w;
  w.input.kind = InputKind::Random;
  w.input.batch = 2, w.input.channels = 3, w.input.height = 5, w.input.width = 7;
  w.input.seed = 42;
  LayerSettings second;
  second.kernel = {3, 5};
  second.params = {IntPair(2, 3), IntPair(1, 0), IntPair(1, 2), 1, 1};
  second.weight = {true, WeightInit::Normal, 2.5f, "m.safetensors", "up.weight", 9};
  second.activation = Activation::Tanh;
  w.layers.push_back(second);
  w.backend = "cpu";
  w.view_json = R"({"colormap":"grey"})";
  const Workspace back = workspace_from_json(workspace_to_json(w), "w.json");
  EXPECT_EQ(back.input, w.input);
  EXPECT_EQ(back.layers, w.layers);
  EXPECT_EQ(back.backend, "cpu");
  EXPECT_EQ(nlohmann::json::parse(back.view_json), nlohmann::json::parse(w.view_json));
}

TEST(Workspace, BadFilesNameTheFile) {
  for (const std::string& text : {std::string("{not json"), std::string(R"({"layers": []})"),
                                  std::string(R"({"convt_workspace": 7})"),
                                  std::string(R"({"convt_workspace": 1, "layers": []})"),
                                  std::string(R"({"convt_workspace": 1, "layers": [{"stride": "two"}]})")}) {
    try {
      workspace_from_json(text, "broken.json");
      FAIL() << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Io);
      EXPECT_NE(std::string(e.what()).find("broken.json"), std::string::npos) << e.what();
    }
  }
}

TEST(Workspace, TheCliReproducesTheAppsOutput) {
  CliSandbox box;
  lab::LabState state;
  lab::apply_preset("dcgan", state);
  lab::apply_setting("layer.bias=true", state);
  lab::apply_setting("stride=2,3", state);
  lab::apply_setting("view.colormap=grey", state);
  lab::LabModel model(state);
  model.update();
  ASSERT_TRUE(model.wait_until_idle(30));
  ASSERT_NE(model.result(), nullptr);
  write_workspace(box.file("w.json"), lab::to_workspace(model.state()));

  const CliResult r = box.run("run --workspace w.json --backend reference --out y.npy");
  ASSERT_EQ(r.code, 0) << r.err;
  const Tensor y = read_npy(box.file("y.npy"));
  const Tensor& expected = model.result()->output();
  ASSERT_EQ(y.shape(), expected.shape());
  for (int64_t i = 0; i < y.numel(); ++i) EXPECT_NEAR(y[i], expected[i], 1e-4 * (1 + std::fabs(expected[i])));

  // And the app reads it back into the same state.
  lab::LabState reloaded;
  lab::apply_workspace(read_workspace(box.file("w.json")), "w.json", reloaded);
  EXPECT_EQ(reloaded.input, model.state().input);
  EXPECT_EQ(reloaded.layer(), model.state().layer());
  EXPECT_EQ(reloaded.view, model.state().view);
  expect_error(box.run("run --workspace missing.json --out y.npy"), 3, {"missing.json"});
}

TEST(Workspace, TheCliReproducesTheAppsStack) {
  CliSandbox box;
  lab::LabState state;
  lab::apply_preset("checkerboard", state);
  for (const char* setting : {"layer.bias=true", "layer.activation=leaky_relu", "stack.append=1", "kernel=4",
                              "padding=1", "layer.activation=tanh", "out_channels=2", "layer.weight=normal"})
    lab::apply_setting(setting, state);
  state.backend = "reference";
  lab::LabModel model(state);
  model.update();
  ASSERT_TRUE(model.wait_until_idle(30));
  ASSERT_NE(model.result(), nullptr);
  ASSERT_EQ(model.result()->stages.size(), 2u);
  write_workspace(box.file("stack.json"), lab::to_workspace(model.state()));

  const CliResult r = box.run("stack --workspace stack.json --backend reference --out-dir stages --json");
  ASSERT_EQ(r.code, 0) << r.err;
  for (size_t i = 0; i < 2; ++i) {
    const Tensor y = read_npy(box.file("stages/layer" + std::to_string(i + 1) + ".npy"));
    const Tensor& expected = *model.result()->stages[i].output;
    ASSERT_EQ(y.shape(), expected.shape());
    for (int64_t j = 0; j < y.numel(); ++j) EXPECT_NEAR(y[j], expected[j], 1e-5 * (1 + std::fabs(expected[j])));
  }
  expect_error(box.run("run --workspace stack.json --out y.npy"), 2, {"stack of 2 layers", "convt stack --workspace"});
}

}  // namespace
}  // namespace convt
