// Layer stacks in the app's model: the stack presets give the engine's presets' true shapes and the numbers
// `convt stack` computes, every stage is computed once and reused when only the shown layer changes, an invalid
// layer is named (and marks its control only while it is the one shown), the whole chain's coverage is the
// engine's, and a stack survives a workspace round trip.
#include "app_test_util.h"
#include "test_util.h"

#include "model/lab_model.h"
#include "model/presets.h"
#include "model/state_keys.h"
#include "model/workspace_state.h"

#include <convt/backend.h>
#include <convt/error.h>
#include <convt/stack.h>
#include <convt/stack_presets.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace convt::lab {
namespace {

using app_testing::made;
using app_testing::with;

std::vector<float> values_of(const Tensor& t) { return {t.data(), t.data() + t.numel()}; }

LabModel& computed(LabModel& model) {
  model.update();
  EXPECT_TRUE(model.wait_until_idle(60));
  return model;
}

// The engine's own run of a workspace's layers, as `convt stack --workspace` does it.
std::vector<Tensor> engine_run(const Workspace& workspace, const std::string& backend) {
  const Tensor input = build_input(workspace.input);
  return run_stack(input, build_stack(workspace.layers, input.size(1)), backend_by_name(backend));
}

TEST(AppStack, PresetsHaveTheTrueShapesOfEveryStage) {
  const std::map<std::string, std::vector<int64_t>> sizes = {
      {"stack-dcgan", {8, 16, 32, 64}},
      {"stack-progressive", {3, 7, 15, 31, 63, 127}},
      {"stack-segmentation", {33, 67, 135, 271}},
      {"stack-unet", {16, 32, 64}},
  };
  for (const auto& [name, expected] : sizes) {
    SCOPED_TRACE(name);
    LabState state;
    apply_preset(name, state);
    ASSERT_EQ(state.layers.size(), expected.size());
    EXPECT_EQ(state.selected(), static_cast<int64_t>(expected.size()) - 1) << "a stack preset shows its final output";
    // Validated the way the model does before it computes (some of these are GFLOP stacks).
    const Workspace workspace = to_workspace(state);
    std::vector<StackLayerShape> shapes;
    int64_t channels = build_input(workspace.input).size(1);
    for (const LayerSettings& spec : workspace.layers) {
      shapes.push_back({{channels, spec.out_channels, spec.kernel.h, spec.kernel.w}, false, spec.params, spec.activation,
                        0.01f});
      channels = spec.out_channels;
    }
    const std::vector<ConvTranspose2dGeometry> geometry = validate_stack(build_input(workspace.input).shape(), shapes);
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(geometry[i].out_h, expected[i]) << "layer " << i + 1;
      EXPECT_EQ(geometry[i].out_w, expected[i]) << "layer " << i + 1;
    }
  }
}

TEST(AppStack, DcganStagesMatchTheEngineAndAreReusedWhenTheShownLayerChanges) {
  LabState state;
  apply_preset("stack-dcgan", state);
  state.backend = "reference";
  LabModel model(state);
  const ComputeResult* r = computed(model).result();
  ASSERT_NE(r, nullptr);
  ASSERT_FALSE(model.error());
  ASSERT_EQ(r->stages.size(), 4u);

  const std::vector<Tensor> expected = engine_run(stack_preset("dcgan").workspace, "reference");
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_TRUE(testing::all_close_to_scale(*r->stages[i].output, expected[i], Tensor::ones(expected[i].shape()), 1e-6))
        << "stage " << i + 1;
  // The shown layer's views: its input is the previous stage's output, its output the conv before tanh.
  EXPECT_EQ(r->layer.input, r->stages[2].output);
  EXPECT_EQ(r->output().shape(), (Shape{1, 3, 64, 64}));
  float most = 0;
  for (int64_t i = 0; i < r->output().numel(); ++i) most = std::max(most, std::fabs(r->output()[i]));
  EXPECT_GT(most, 0.0f);
  for (int64_t i = 0; i < r->stages[3].output->numel(); ++i) ASSERT_LE(std::fabs((*r->stages[3].output)[i]), 1.0f);

  const std::shared_ptr<const Tensor> first_stage = r->stages[0].conv_output;
  model.state().selected_layer = 1;
  r = computed(model).result();
  EXPECT_EQ(r->stages[0].conv_output, first_stage) << "showing another layer must not run the stack again";
  EXPECT_EQ(r->layer.input, r->stages[0].output);
  EXPECT_EQ(model.input_shape(), (Shape{1, 256, 8, 8}));
  EXPECT_EQ(model.stack_input_shape(), (Shape{1, 512, 4, 4}));
  EXPECT_EQ(r->output().shape(), (Shape{1, 128, 16, 16}));
  const auto chain = made(model, [&] { return model.analyses().stack_coverage(*model.result()); });
  ASSERT_TRUE(chain.value) << chain.error;
  EXPECT_EQ(chain.value->summary.verdict, OverlapVerdict::Even);

  model.state().layers[2].activation = Activation::Tanh;
  r = computed(model).result();
  EXPECT_NE(r->stages[0].conv_output, first_stage) << "a changed layer runs the stack again";
}

TEST(AppStack, AnInvalidLayerIsNamedAndMarksItsControlOnlyWhereItIs) {
  LabState state = with(LabState(), {"input.kind=random", "input.channels=2", "input.height=4", "input.width=4",
                             "out_channels=4", "kernel=4", "stride=2", "padding=1", "stack.append=2"});
  ASSERT_EQ(state.layers.size(), 3u);
  state.layers[1].params.groups = 3;  // 4 input channels are not divisible by 3 groups
  state.selected_layer = 2;
  LabModel model(state);
  model.update();
  ASSERT_TRUE(model.error());
  EXPECT_EQ(model.error()->layer, 1);
  EXPECT_NE(model.error()->message.find("layer 2: "), std::string::npos) << model.error()->message;
  EXPECT_FALSE(model.error_is("groups")) << "layer 3 is shown: its groups control is fine";
  EXPECT_EQ(model.stage_shapes().size(), 1u) << "shapes are known up to the invalid layer";
  model.state().selected_layer = 1;
  model.update();
  EXPECT_TRUE(model.error_is("groups"));
  model.state().layers[1].params.groups = 2;
  computed(model);
  EXPECT_FALSE(model.error());
  EXPECT_EQ(model.stage_shapes().back(), (Shape{1, 4, 32, 32}));
}

TEST(AppStack, WholeChainCoverageIsTheEnginesAndCompounds) {
  // k3 s2 alone is uneven; a second k3 s2 keeps it uneven (max/min 9 inside); k1 s2 after it leaves holes.
  LabState state = with(LabState(), {"input.kind=pattern", "kernel=3", "stride=2", "weight=constant", "stack.append=1"});
  LabModel model(state);
  const ComputeResult* r = computed(model).result();
  ASSERT_NE(r, nullptr);
  const std::vector<StackLayerShape> shapes = stack_shapes(r->stack);
  const Tensor expected = stack_coverage(model.stack_input_shape(), shapes);
  const auto chain = made(model, [&] { return model.analyses().stack_coverage(*model.result()); });
  ASSERT_TRUE(chain.value) << chain.error;
  const Tensor& counts = *chain.value->counts;
  ASSERT_EQ(counts.shape(), expected.shape());
  for (int64_t i = 0; i < expected.numel(); ++i) ASSERT_EQ(counts[i], expected[i]);
  EXPECT_EQ(chain.value->summary.verdict, OverlapVerdict::Uneven);
  EXPECT_DOUBLE_EQ(chain.value->summary.ratio, 9.0);

  model.state().layers.push_back(with(model.state(), {"kernel=1"}).layer());
  r = computed(model).result();
  EXPECT_EQ(r->stages.size(), 3u);
  const auto holes = made(model, [&] { return model.analyses().stack_coverage(*model.result()); });
  ASSERT_TRUE(holes.value) << holes.error;
  EXPECT_EQ(holes.value->summary.verdict, OverlapVerdict::Holes);
}

TEST(AppStack, WorkspaceRoundTripKeepsEveryLayerAndTheShownOne) {
  LabState state;
  apply_preset("stack-unet", state);
  state.selected_layer = 1;
  state.layers[0].bias = true;
  state.view.whole_stack = true;
  const Workspace workspace = to_workspace(state);
  ASSERT_EQ(workspace.layers.size(), 3u);
  EXPECT_EQ(workspace.layers[2].activation, Activation::ReLU);
  LabState reloaded;
  apply_workspace(workspace_from_json(workspace_to_json(workspace), "w.json"), "w.json", reloaded);
  EXPECT_EQ(reloaded, state);
}

TEST(AppStack, StagesAreComputedOnceAndAStoppedRunContinuesWhereItStopped) {
  LabState state = with(LabState(), {"input.kind=random", "input.channels=3", "input.height=6", "input.width=6",
                                     "out_channels=4", "kernel=3", "stride=2", "padding=1", "output_padding=1",
                                     "activation=relu", "stack.append=1", "backend=cpu"});
  ASSERT_EQ(state.layers.size(), 2u);
  JobContext context;
  TensorCache tensors;
  StageCache cache;
  const ComputeResult whole = compute(state, context, tensors, cache);
  ASSERT_FALSE(whole.error) << whole.error->message;
  ASSERT_EQ(whole.stages.size(), 2u);
  EXPECT_TRUE(cache.complete_for(whole.stack));

  LabState first_shown = state;
  first_shown.selected_layer = 0;
  const ComputeResult again = compute(first_shown, context, tensors, cache);
  EXPECT_EQ(again.stages[1].conv_output, whole.stages[1].conv_output) << "showing another layer runs nothing";
  EXPECT_EQ(again.output().shape(), (Shape{1, 4, 12, 12}));

  // A run cancelled after layer 1 left that stage behind: the next job runs layer 2 only.
  StageCache partial;
  std::string backend;
  EXPECT_TRUE(partial.known_for(whole.stack, backend).empty());
  partial.add(whole.stack, whole.stages[0], "cpu");
  EXPECT_FALSE(partial.complete_for(whole.stack));
  const ComputeResult continued = compute(state, context, tensors, partial);
  EXPECT_EQ(continued.stages[0].conv_output, whole.stages[0].conv_output);
  EXPECT_NE(continued.stages[1].conv_output, whole.stages[1].conv_output);
  EXPECT_EQ(values_of(*continued.stages[1].output), values_of(*whole.stages[1].output));

  // Another stack replaces what the cache knows.
  PreparedStack other = whole.stack;
  other.layers[1].activation = Activation::Tanh;
  EXPECT_TRUE(partial.known_for(other, backend).empty());
  EXPECT_FALSE(partial.complete_for(whole.stack));
}

TEST(AppStack, AnAnalysisTooBigForMemoryIsReportedInItsPlace) {
  // Stride 10^9 on a 1x1 input: a valid 2x2 output (k4, p1), but resizing the input by the stride for the comparison
  // would need 10^18 pixels. The result stays valid and says why that one view is missing.
  LabModel model(with(LabState(), {"input.kind=random", "input.channels=2", "input.height=1", "input.width=1",
                                   "out_channels=2", "kernel=4", "stride=1000000000"}));
  const ComputeResult* r = computed(model).result();
  ASSERT_NE(r, nullptr);
  EXPECT_FALSE(model.error());
  EXPECT_EQ(r->output().shape(), (Shape{1, 2, 2, 2}));
  const auto comparison = made(model, [&] { return model.analyses().comparison(*model.result(), ComparisonResize::Bilinear); });
  EXPECT_FALSE(comparison.value);
  EXPECT_NE(comparison.error.find("bytes"), std::string::npos) << comparison.error;
  const auto steps = made(model, [&] { return model.analyses().slice_steps(*model.result()); });
  EXPECT_TRUE(steps.value) << steps.error;
  const auto score = made(model, [&] { return model.analyses().artifact_score(*model.result()); });
  ASSERT_TRUE(score.value) << score.error;
  EXPECT_EQ(score.value->level, "n/a");
}

TEST(AppStack, AddedLayersGetWeightsOfTheirOwn) {
  LabState state = with(LabState(), {"input.kind=random", "input.channels=4", "out_channels=4", "kernel=3",
                                     "stride=1", "padding=1", "stack.append=2"});
  ASSERT_EQ(state.layers.size(), 3u);
  EXPECT_NE(state.layers[0].weight.seed, state.layers[1].weight.seed);
  EXPECT_NE(state.layers[1].weight.seed, state.layers[2].weight.seed);
  LabModel model(state);
  const ComputeResult* r = computed(model).result();
  ASSERT_NE(r, nullptr);
  EXPECT_NE(values_of(*r->stack.layers[1].weight), values_of(*r->stack.layers[2].weight));
}

}  // namespace
}  // namespace convt::lab
