// The Model panel's GL-free model: the model.* keys (parsed, refused with the key named, kept by workspaces), the
// model session (model_session.h) that reads and runs a model on its own worker, and the lab model showing a
// ConvTranspose node in every panel: its real input activation (the executor's intermediate), its weights and bias
// (the initializers), its parameters (ONNX's, asymmetric pads included), a node of a model that cannot run (a
// random input of the inferred shape), the shown layer and model.node following each other, and the explorer's
// layers coming back when the node closes.
//
// tests/models/app_unsupported.onnx and app_asymmetric.onnx are tiny hand-made graphs (onnx.helper, /usr/bin/python3
// with onnx 1.12): Hardmax -> ConvTranspose, and two ConvTranspose nodes with asymmetric pads.
#include "app_test_util.h"
#include "test_util.h"

#include "model/lab_model.h"
#include "model/model_keys.h"
#include "model/model_session.h"
#include "model/presets.h"
#include "model/state_keys.h"
#include "model/workspace_state.h"

#include <convt/error.h>
#include <convt/io.h>
#include <convt/onnx.h>
#include <convt/onnx_audit.h>
#include <convt/ops.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace convt::lab {
namespace {

using app_testing::made;
using app_testing::refusal;
using app_testing::with;

const std::string kModels = CONVT_MODELS_DIR;
const std::string kDcgan = kModels + "/dcgan.onnx";
const std::string kUnsupported = kModels + "/app_unsupported.onnx";
const std::string kAsymmetric = kModels + "/app_asymmetric.onnx";

// Frames until nothing is pending: the model read and run, the layers computed.
void settle(LabModel& model, double timeout_seconds = 120) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  for (;;) {
    model.update();
    if (!model.busy()) {
      model.update();  // a state change of that frame (a node opened) is computed in the next
      if (!model.busy()) return;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "the model did not settle in " << timeout_seconds << " s";
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

std::shared_ptr<const ModelSnapshot> settled(const ModelSession& session) {
  EXPECT_TRUE(session.wait_until_idle(120)) << "the session did not settle";
  return session.snapshot();
}

double max_abs_difference(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  if (a.shape() != b.shape()) return INFINITY;
  double largest = 0;
  for (int64_t i = 0; i < a.numel(); ++i) largest = std::max(largest, static_cast<double>(std::fabs(a[i] - b[i])));
  return largest;
}

// The executor's own run with every intermediate: what the panels must show.
onnx::RunResult reference_run(const std::string& path, uint64_t seed = 0) {
  const onnx::Model model = onnx::load_model(path);
  onnx::RunOptions options;
  options.keep_intermediates = true;
  return onnx::run_model(model, onnx::random_feeds(model, seed), options);
}

TEST(AppOnnx, KeysSetTheModelState) {
  const LabState state = with(LabState(), {"model.path=m.onnx", "model.node=/up/ConvTranspose", "model.input=a.npy,random,c.png",
                                           "model.seed=7"});
  EXPECT_EQ(state.model.path, "m.onnx");
  EXPECT_EQ(state.model.node, "/up/ConvTranspose");
  EXPECT_EQ(state.model.input, "a.npy,random,c.png");
  EXPECT_EQ(state.model.seed, 7u);
  EXPECT_TRUE(state.model.node_shown());
  EXPECT_EQ(model_input_files(state.model.input), (std::vector<std::string>{"a.npy", "random", "c.png"}));
  EXPECT_TRUE(model_input_files("random").empty());
  EXPECT_EQ(with(state, {"model.input="}).model.input, "random") << "an empty input is random";

  EXPECT_NE(refusal("model.input=a.npy,,b.npy").find("model.input"), std::string::npos);
  EXPECT_NE(refusal("model.input=a.npy,").find("model.input"), std::string::npos);
  EXPECT_NE(refusal("model.seed=-1").find("model.seed"), std::string::npos);
  EXPECT_NE(refusal("model.bogus=1").find("model.bogus"), std::string::npos);

  bool listed = false;
  for (const std::string& line : model_setting_keys()) listed = listed || line.rfind("model.node=", 0) == 0;
  EXPECT_TRUE(listed) << "--help lists the model keys";
  EXPECT_NE(model_settings_markdown().find("`model.input`"), std::string::npos);
}

TEST(AppOnnx, ABrowsedFileFeedsOneInputAndKeepsTheOthers) {
  EXPECT_EQ(with_model_input_file("random", 0, 1, "x.npy"), "x.npy");
  EXPECT_EQ(with_model_input_file("random", 1, 2, "skip.npy"), "random,skip.npy");
  EXPECT_EQ(with_model_input_file("x.npy,skip.npy", 0, 2, "random"), "random,skip.npy");
  EXPECT_EQ(with_model_input_file("x.npy,skip.npy", 1, 2, "random"), "x.npy");
  EXPECT_EQ(with_model_input_file("x.npy", 0, 1, "random"), "random");
}

TEST(AppOnnx, WorkspacesKeepTheModelAndItsNode) {
  const LabState state = with(LabState(), {"model.path=" + kDcgan, "model.node=/ct2/ConvTranspose", "model.seed=3"});
  LabState loaded;
  apply_workspace(workspace_from_json(workspace_to_json(to_workspace(state)), "w.json"), "w.json", loaded);
  EXPECT_EQ(loaded.model, state.model);

  // A workspace without a model shows its own layers: the node closes, the open model stays listed.
  LabState open = with(LabState(), {"model.path=" + kDcgan, "model.node=/ct2/ConvTranspose"});
  const Workspace plain;
  apply_workspace(plain, "old.json", open);
  EXPECT_EQ(open.model.path, kDcgan);
  EXPECT_TRUE(open.model.node.empty());

  Workspace bad = to_workspace(state);
  bad.view_json = R"({"model": {"nodes": "x"}})";
  LabState untouched;
  try {
    apply_workspace(bad, "bad.json", untouched);
    ADD_FAILURE() << "an unknown model key was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("view.model"), std::string::npos) << e.what();
  }
}

TEST(AppOnnx, TheSessionRunsTheModelAndKeepsEachConvTransposeNodesInput) {
  ModelSession session;
  session.configure({kDcgan, "random", 0, "auto"});
  const auto snapshot = settled(session);
  ASSERT_TRUE(snapshot && snapshot->model) << (snapshot ? snapshot->load_error : "no snapshot");
  EXPECT_EQ(snapshot->run, RunStatus::Ran) << snapshot->run_error;
  ASSERT_EQ(snapshot->layers.size(), 3u);
  ASSERT_EQ(snapshot->nodes.size(), snapshot->model->nodes.size());
  ASSERT_EQ(snapshot->outputs.size(), 1u);
  EXPECT_EQ(snapshot->outputs[0].second, (Shape{1, 3, 16, 16}));

  const onnx::RunResult run = reference_run(kDcgan);
  const char* names[] = {"/ct1/ConvTranspose", "/ct2/ConvTranspose", "/ct3/ConvTranspose"};
  const Shape inputs[] = {{1, 16, 1, 1}, {1, 16, 4, 4}, {1, 8, 8, 8}};
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(names[i]);
    const ModelLayer& layer = snapshot->layers[i];
    EXPECT_EQ(layer.node, names[i]);
    ASSERT_TRUE(layer.ready()) << layer.error;
    EXPECT_EQ(layer.source, ActivationSource::Run);
    EXPECT_EQ(layer.input->shape(), inputs[i]);
    const onnx::Node& node = snapshot->model->nodes[layer.node_index];
    EXPECT_EQ(max_abs_difference(*layer.input, run.values.at(node.inputs[0]).tensor), 0.0)
        << "the input is the executor's activation";
    EXPECT_EQ(max_abs_difference(*layer.weight, snapshot->model->initializers.at(node.inputs[1]).tensor), 0.0);
    EXPECT_EQ(layer.bias, nullptr) << "DCGAN's ConvTranspose layers have no bias";
    const ModelNodeInfo& info = snapshot->nodes[layer.node_index];
    EXPECT_TRUE(info.upsampling);
    EXPECT_EQ(info.layer, static_cast<int64_t>(i));
    ASSERT_TRUE(info.verdict.has_value());
    EXPECT_EQ(*info.verdict, OverlapVerdict::Even) << "k4 s1 and k4 s2: the kernel is a multiple of the stride";
    EXPECT_EQ(info.parameters, i == 0 ? "k4 s1" : "k4 s2 p1");
    EXPECT_TRUE(info.ran);
  }
  EXPECT_EQ(snapshot->nodes[1].output_shapes, (std::vector<std::string>{"[1, 16, 4, 4]"})) << "BatchNormalization";

  // The engine's audit of the same feeds follows: per node, the chain, the diagnosis (what `convt model audit` says).
  ASSERT_TRUE(snapshot->audit) << snapshot->audit_error;
  EXPECT_FALSE(snapshot->auditing);
  ASSERT_EQ(snapshot->audit->nodes.size(), 3u);
  const onnx::ConvTransposeAudit* ct2 = snapshot->audit_of("/ct2/ConvTranspose");
  ASSERT_NE(ct2, nullptr);
  EXPECT_EQ(ct2->input, onnx::AuditInput::Random);
  EXPECT_TRUE(ct2->artifact.has_value());
  EXPECT_TRUE(ct2->imbalance.has_value());
  EXPECT_EQ(snapshot->audit->chain.nodes.size(), 3u);
  EXPECT_FALSE(snapshot->audit->diagnosis.empty());
}

TEST(AppOnnx, OpeningANodeShowsItsRealTensorsInEveryPanel) {
  LabModel model(with(LabState(), {"model.path=" + kDcgan, "model.node=/ct2/ConvTranspose"}));
  settle(model);
  ASSERT_TRUE(model.shows_model_node()) << model.model_problem();
  const LabState& state = model.state();
  ASSERT_EQ(state.layers.size(), 3u) << "the stack is the model's ConvTranspose chain";
  EXPECT_EQ(state.selected(), 1);
  for (const LayerSettings& layer : state.layers) EXPECT_TRUE(is_model_layer(layer, kDcgan));
  EXPECT_EQ(state.layer().params.stride, IntPair(2, 2));
  EXPECT_EQ(state.layer().params.padding, IntPair(1, 1));
  EXPECT_FALSE(state.layer().params.padding_end.has_value()) << "symmetric pads read as PyTorch's padding";
  EXPECT_EQ(state.layer().kernel, IntPair(4, 4));
  EXPECT_EQ(state.layer().out_channels, 8);

  const ComputeResult* r = model.result();
  ASSERT_NE(r, nullptr);
  ASSERT_FALSE(model.error()) << model.error()->message;
  EXPECT_FALSE(model.stale());
  const ModelLayer* node = model.model_layer(1);
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(r->layer.input, node->input) << "the panels show the node's own activation";
  EXPECT_EQ(r->layer.weight, node->weight);
  EXPECT_EQ(r->stages.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(r->stack.layers[i].input, model.model_layer(static_cast<int64_t>(i))->input);

  // The layer's output is the node's output in the model's own run.
  const onnx::RunResult run = reference_run(kDcgan);
  EXPECT_LE(max_abs_difference(r->output(), run.values.at("/ct2/ConvTranspose_output_0").tensor), 1e-5);
  EXPECT_EQ(r->output().shape(), (Shape{1, 8, 8, 8}));

  // Every panel's analysis is made from them.
  const auto steps = made(model, [&] { return model.analyses().slice_steps(*r); });
  ASSERT_TRUE(steps.value) << steps.error;
  EXPECT_TRUE(steps.value->equal);
  const auto score = made(model, [&] { return model.analyses().artifact_score(*r); });
  ASSERT_TRUE(score.value) << score.error;
  const auto chain = made(model, [&] { return model.analyses().stack_coverage(*r); });
  ASSERT_TRUE(chain.value) << chain.error << ": BatchNorm and ReLU keep the sizes, so the chain compounds";
  EXPECT_EQ(chain.value->counts->shape(), (Shape{16, 16}));
}

TEST(AppOnnx, AWorkspaceSavedOnANodeOpensTheNodeAgain) {
  LabModel model(with(LabState(), {"model.path=" + kDcgan, "model.node=/ct3/ConvTranspose"}));
  settle(model);
  ASSERT_TRUE(model.shows_model_node()) << model.model_problem();
  const Workspace workspace = to_workspace(model.state());
  // The file keeps a plain layer (`convt run --workspace` reads no .onnx); model.* bring the nodes back.
  ASSERT_EQ(workspace.layers.size(), 1u);
  EXPECT_FALSE(workspace.layers[0].weight.from_file);
  LabState state;
  apply_workspace(workspace_from_json(workspace_to_json(workspace), "w.json"), "w.json", state);
  EXPECT_EQ(state.model, model.state().model);
  LabModel reopened(state);
  settle(reopened);
  ASSERT_TRUE(reopened.shows_model_node()) << reopened.model_problem();
  EXPECT_EQ(reopened.state().selected(), 2);
  EXPECT_EQ(reopened.state().layers, model.state().layers);
}

TEST(AppOnnx, TheShownLayerAndTheNodeFollowEachOther) {
  LabModel model(with(LabState(), {"model.path=" + kDcgan, "model.node=/ct1/ConvTranspose"}));
  settle(model);
  ASSERT_TRUE(model.shows_model_node()) << model.model_problem();
  EXPECT_EQ(model.state().selected(), 0);
  model.state().selected_layer = 2;  // Page Down twice, or a click on the stack's third stage
  settle(model);
  EXPECT_EQ(model.state().model.node, "/ct3/ConvTranspose");
  model.state().model.node = "/ct2/ConvTranspose";  // a click in the Model panel
  settle(model);
  EXPECT_EQ(model.state().selected(), 1);
  ASSERT_NE(model.result(), nullptr);
  EXPECT_EQ(model.result()->layer.input, model.model_layer(1)->input);
}

TEST(AppOnnx, EditsKeepTheNodesTensorsAndResetPutsItsParametersBack) {
  LabModel model(with(LabState(), {"model.path=" + kDcgan, "model.node=/ct2/ConvTranspose"}));
  settle(model);
  ASSERT_TRUE(model.shows_model_node()) << model.model_problem();
  EXPECT_FALSE(model.model_layer_edited());
  model.state().layer().params.stride = {1, 1};  // what would this node do without its stride?
  settle(model);
  EXPECT_TRUE(model.model_layer_edited());
  ASSERT_NE(model.result(), nullptr);
  ASSERT_FALSE(model.error()) << model.error()->message;
  EXPECT_EQ(model.result()->output().shape(), (Shape{1, 8, 5, 5}));
  EXPECT_EQ(model.result()->layer.input, model.model_layer(1)->input);
  EXPECT_EQ(model.state().model.node, "/ct2/ConvTranspose");
  model.reset_model_layer();
  settle(model);
  EXPECT_FALSE(model.model_layer_edited());
  EXPECT_EQ(model.result()->output().shape(), (Shape{1, 8, 8, 8}));
}

TEST(AppOnnx, AModelThatCannotRunStillOpensWithARandomInputOfTheInferredShape) {
  LabModel model(with(LabState(), {"model.path=" + kUnsupported, "model.node=ct"}));
  settle(model);
  const ModelSnapshot* snapshot = model.model_snapshot();
  ASSERT_TRUE(snapshot && snapshot->model) << (snapshot ? snapshot->load_error : "no snapshot");
  EXPECT_EQ(snapshot->run, RunStatus::Failed);
  EXPECT_NE(snapshot->run_error.find("Hardmax"), std::string::npos) << snapshot->run_error;
  ASSERT_EQ(snapshot->layers.size(), 1u);
  const ModelLayer& layer = snapshot->layers[0];
  ASSERT_TRUE(layer.ready()) << layer.error;
  EXPECT_EQ(layer.source, ActivationSource::Random);
  EXPECT_EQ(layer.input->shape(), (Shape{1, 4, 5, 5}));
  ASSERT_NE(layer.bias, nullptr);
  EXPECT_EQ(layer.bias->shape(), (Shape{2}));

  ASSERT_TRUE(model.shows_model_node()) << model.model_problem();
  ASSERT_NE(model.result(), nullptr);
  ASSERT_FALSE(model.error()) << model.error()->message;
  EXPECT_EQ(model.result()->output().shape(), (Shape{1, 2, 10, 10}));
  EXPECT_TRUE(model.state().layer().bias);
  EXPECT_EQ(model.result()->layer.bias, layer.bias);
  // The random input is seeded: the same seed gives the same values, another seed others.
  ModelSession again;
  again.configure({kUnsupported, "random", 0, "auto"});
  EXPECT_EQ(max_abs_difference(*settled(again)->layers[0].input, *layer.input), 0.0);
  again.configure({kUnsupported, "random", 1, "auto"});
  EXPECT_GT(max_abs_difference(*settled(again)->layers[0].input, *layer.input), 0.0);
}

TEST(AppOnnx, AsymmetricPadsKeepTheirTwoEnds) {
  LabModel model(with(LabState(), {"model.path=" + kAsymmetric, "model.node=up1"}));
  settle(model);
  ASSERT_TRUE(model.shows_model_node()) << model.model_problem();
  ASSERT_EQ(model.state().layers.size(), 2u);
  const ConvTranspose2dParams& up1 = model.state().layers[0].params;
  ASSERT_TRUE(up1.padding_end.has_value());
  EXPECT_EQ(up1.padding, IntPair(1, 1));
  EXPECT_EQ(*up1.padding_end, IntPair(0, 0));
  const ConvTranspose2dParams& up2 = model.state().layers[1].params;
  ASSERT_TRUE(up2.padding_end.has_value());
  EXPECT_EQ(up2.padding, IntPair(0, 1));
  EXPECT_EQ(*up2.padding_end, IntPair(1, 0));
  // The formula the Output size panel prints names both ends.
  EXPECT_EQ(model.live_axis(0).output, 10);
  EXPECT_TRUE(model.live_axis(0).padding_end.has_value());

  const onnx::RunResult run = reference_run(kAsymmetric);
  const ComputeResult* r = model.result();
  ASSERT_NE(r, nullptr);
  ASSERT_FALSE(model.error()) << model.error()->message;
  EXPECT_LE(max_abs_difference(r->output(), run.values.at("t").tensor), 1e-5);
  // up1 is PyTorch's padding 1, output_padding 1: the scatter-then-convolve steps and the score are its.
  const auto steps = made(model, [&] { return model.analyses().slice_steps(*r); });
  ASSERT_TRUE(steps.value) << steps.error;
  EXPECT_TRUE(steps.value->equal);
  EXPECT_EQ(steps.value->steps.direct.shape(), (Shape{1, 1, 10, 10}));
  EXPECT_TRUE(made(model, [&] { return model.analyses().artifact_score(*r); }).value);

  model.state().model.node = "up2";
  settle(model);
  r = model.result();
  ASSERT_NE(r, nullptr);
  ASSERT_FALSE(model.error()) << model.error()->message;
  EXPECT_EQ(r->stack.selected, 1);
  EXPECT_LE(max_abs_difference(r->output(), run.outputs.at(0).second), 1e-5);
  // up2 crops more at its bottom than any PyTorch padding: the scatter-then-convolve steps still rebuild it (the
  // engine pads the far side by d*(k-1) - p_end + op); the score is the engine's ONNX measure, which knows both ends.
  const auto up2_steps = made(model, [&] { return model.analyses().slice_steps(*r); });
  ASSERT_TRUE(up2_steps.value) << up2_steps.error;
  EXPECT_TRUE(up2_steps.value->equal);
  EXPECT_EQ(up2_steps.value->steps.direct.shape(), (Shape{1, 1, 20, 20}));
  const auto score = made(model, [&] { return model.analyses().artifact_score(*r); });
  ASSERT_TRUE(score.value) << score.error;
  const ArtifactScore expected = convt::artifact_score(r->output(), r->layer.params, {3, 3});
  EXPECT_DOUBLE_EQ(score.value->score, expected.score);
}

TEST(AppOnnx, AnInputFileFeedsTheModel) {
  const std::string feed = kModels + "/dcgan.input.npy";
  LabModel model(with(LabState(), {"model.path=" + kDcgan, "model.node=/ct1/ConvTranspose", "model.input=" + feed}));
  settle(model);
  ASSERT_TRUE(model.shows_model_node()) << model.model_problem();
  EXPECT_EQ(max_abs_difference(*model.model_layer(0)->input, read_npy(feed)), 0.0);
  EXPECT_NE(model.model_snapshot()->feeds_text.find("dcgan.input.npy"), std::string::npos);

  // An image feeds a model too: the 64x64 sample resized to the declared 8x8.
  ModelSession espcn;
  const std::string image = (std::filesystem::path(kModels).parent_path().parent_path() / "assets/samples/zoneplate.png").string();
  espcn.configure({kModels + "/espcn.onnx", image, 0, "auto"});
  const auto fed = settled(espcn);
  ASSERT_TRUE(fed && fed->model);
  EXPECT_EQ(fed->run, RunStatus::Ran) << fed->run_error;
  EXPECT_NE(fed->feeds_text.find("zoneplate.png [1, 3, 8, 8]"), std::string::npos) << fed->feeds_text;

  // A feed of the wrong shape is the run's error, named; the nodes still open (on random inputs).
  model.state().model.input = kModels + "/espcn.input.npy";
  settle(model);
  EXPECT_EQ(model.model_snapshot()->run, RunStatus::Failed);
  EXPECT_FALSE(model.model_snapshot()->run_error.empty());
  EXPECT_TRUE(model.shows_model_node()) << model.model_problem();
}

TEST(AppOnnx, ClosingTheNodeBringsTheExplorersLayersBack) {
  LabState start;
  apply_preset("stack-dcgan", start);
  LabModel model(start);
  settle(model);
  model.open_model(kDcgan);
  settle(model);
  ASSERT_TRUE(model.shows_model_node()) << model.model_problem();
  EXPECT_EQ(model.state().model.node, "/ct1/ConvTranspose") << "opening a model shows its first ConvTranspose node";
  model.state().model.node.clear();
  settle(model);
  EXPECT_FALSE(model.shows_model_node());
  EXPECT_EQ(model.state().layers, start.layers);
  EXPECT_EQ(model.state().selected(), start.selected());
  ASSERT_NE(model.result(), nullptr);
  EXPECT_FALSE(model.error());

  // A preset leaves the node too, and its own layers stay.
  model.state().model.node = "/ct2/ConvTranspose";
  settle(model);
  ASSERT_TRUE(model.shows_model_node());
  apply_preset("checkerboard", model.state());
  settle(model);
  EXPECT_FALSE(model.shows_model_node());
  EXPECT_EQ(model.state().model.path, kDcgan) << "the model stays listed";
  EXPECT_EQ(model.state().layers.size(), 1u);
  EXPECT_FALSE(is_model_layer(model.state().layer(), kDcgan));
  EXPECT_FALSE(model.error());
}

TEST(AppOnnx, ProblemsAreMessagesNamingWhatIsWrong) {
  LabModel unknown(with(LabState(), {"model.path=" + kDcgan, "model.node=/nope"}));
  settle(unknown);
  ASSERT_TRUE(unknown.error());
  EXPECT_EQ(unknown.error()->parameter, "model.node");
  EXPECT_NE(unknown.error()->message.find("/ct1/ConvTranspose"), std::string::npos) << unknown.error()->message;

  LabModel missing(with(LabState(), {"model.path=" + kModels + "/no-such-model.onnx", "model.node=x"}));
  settle(missing);
  ASSERT_TRUE(missing.model_snapshot());
  EXPECT_FALSE(missing.model_snapshot()->load_error.empty());
  ASSERT_TRUE(missing.error());
  EXPECT_NE(missing.error()->message.find("no-such-model.onnx"), std::string::npos) << missing.error()->message;

  // A model without ConvTranspose lists its upsampling nodes; no node opens.
  LabModel espcn(with(LabState(), {"model.path=" + kModels + "/espcn.onnx"}));
  espcn.open_first_node();
  settle(espcn);
  const ModelSnapshot* snapshot = espcn.model_snapshot();
  ASSERT_TRUE(snapshot && snapshot->model);
  EXPECT_TRUE(snapshot->layers.empty());
  EXPECT_TRUE(espcn.state().model.node.empty());
  EXPECT_FALSE(espcn.shows_model_node());
  bool depth_to_space = false;
  for (size_t i = 0; i < snapshot->nodes.size(); ++i)
    if (snapshot->model->nodes[i].op_type == "DepthToSpace") {
      depth_to_space = true;
      EXPECT_TRUE(snapshot->nodes[i].upsampling);
      EXPECT_EQ(snapshot->nodes[i].parameters, "blocksize 3 CRD");
    }
  EXPECT_TRUE(depth_to_space);
  EXPECT_FALSE(espcn.error());
  ASSERT_NE(espcn.result(), nullptr) << "the explorer's layer is computed as before";
}

}  // namespace
}  // namespace convt::lab

namespace convt::lab {
namespace {

TEST(AppOnnx, TheReadmeTableIsTheSchemas) {
  EXPECT_EQ(app_testing::readme_between(
                "<!-- model settings table: generated by `convt-lab --model-settings-markdown` -->\n",
                "<!-- end of the model settings table -->"),
            model_settings_markdown())
      << "README.md's model settings table is out of date: replace it with `convt-lab --model-settings-markdown`";
}

}  // namespace
}  // namespace convt::lab
