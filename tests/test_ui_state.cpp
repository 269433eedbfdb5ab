// The app's UI state (ui/ui_state.h): every view's zoom and pan lives in it, and its resets put exactly what they
// name back to the defaults (the colour composite choice and the paths typed are not views and survive).
#include "ui/ui_state.h"

#include <gtest/gtest.h>

namespace convt::lab {
namespace {

UiState moved_everything() {
  UiState ui;
  ui.feature_maps.input_pan = {3, 4};
  ui.feature_maps.output_pan = {5, 6};
  ui.feature_maps.kernel = {2.5f, {1, 1}};
  ui.feature_maps.rgb_composite = false;
  for (ViewState& step : ui.scatter.steps) step = {4.0f, {7, 8}};
  ui.scatter.replay_input = ui.scatter.replay_output = {3.0f, {1, 2}};
  ui.scatter.replay_step = 12;
  ui.scatter.replay_playing = true;
  ui.checkerboard.coverage = ui.checkerboard.stack_coverage = {6.0f, {9, 9}};
  ui.checkerboard.compare_direct = ui.checkerboard.compare_resized = {2.0f, {1, 0}};
  ui.layer.weight_path_text = "old.npy";
  ui.image_path_text = "photo.png";
  return ui;
}

bool fits(const ViewState& view) { return view.zoom == 0 && view.pan.x == 0 && view.pan.y == 0; }

TEST(UiState, ResetViewsFitsEveryViewAndKeepsTheRest) {
  UiState ui = moved_everything();
  ui.reset_views();
  EXPECT_EQ(ui.feature_maps.input_pan.x, 0);
  EXPECT_EQ(ui.feature_maps.output_pan.y, 0);
  EXPECT_TRUE(fits(ui.feature_maps.kernel));
  for (const ViewState& step : ui.scatter.steps) EXPECT_TRUE(fits(step));
  EXPECT_TRUE(fits(ui.scatter.replay_input));
  EXPECT_TRUE(fits(ui.scatter.replay_output));
  EXPECT_TRUE(fits(ui.checkerboard.coverage));
  EXPECT_TRUE(fits(ui.checkerboard.stack_coverage));
  EXPECT_TRUE(fits(ui.checkerboard.compare_direct));
  EXPECT_TRUE(fits(ui.checkerboard.compare_resized));
  EXPECT_FALSE(ui.feature_maps.rgb_composite) << "a display choice, not a view position";
  EXPECT_EQ(ui.scatter.replay_step, 12) << "the replay's place is not a view";
  EXPECT_EQ(ui.image_path_text, "photo.png");
}

TEST(UiState, AnotherLayerRestartsTheReplayAndShowsItsWeightPath) {
  UiState ui = moved_everything();
  ui.reset_for_layer("layer2.safetensors");
  EXPECT_EQ(ui.scatter.replay_step, -1);
  EXPECT_FALSE(ui.scatter.replay_playing);
  EXPECT_TRUE(fits(ui.scatter.steps[3]));
  EXPECT_EQ(ui.layer.weight_path_text, "layer2.safetensors");
}

TEST(UiState, ClosingTheBrowserForgetsTheRequestAndTheSelection) {
  UiState ui;
  ui.browser.request = ui.browser.opened = BrowseTarget::Weight;
  ui.browser.selected = "/tmp/w.npy";
  ui.browser.directory = "/tmp";
  ui.browser.close();
  EXPECT_EQ(ui.browser.request, BrowseTarget::None);
  EXPECT_EQ(ui.browser.opened, BrowseTarget::None);
  EXPECT_TRUE(ui.browser.selected.empty());
  EXPECT_EQ(ui.browser.directory, "/tmp") << "the next dialog opens where this one was";
}

}  // namespace
}  // namespace convt::lab
