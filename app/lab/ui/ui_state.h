// UI-only state: how controls are linked, what the pointer hovers, the zoom and pan of every view, where the
// replay is, which file dialog is open. The model never sees it. Plain data owned by LabApp, grouped per panel,
// each group with a reset: no panel keeps state in function-local statics.
#pragma once

#include "steps_ui_state.h"
#include "teach_views_ui_state.h"
#include "view_state.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace convt::lab {

enum class BrowseTarget { None, Image, Weight, TrainImage, Model, ModelInput };

struct HoverTarget {
  bool active = false;
  bool on_output = false;  // false: an input pixel
  int64_t y = 0, x = 0;
};


struct FeatureMapsState {
  // The input and output views share the view.zoom setting; each pans on its own.
  PanState input_pan, output_pan;
  ViewState kernel;
  bool rgb_composite = true;  // show 3-channel tensors as colour
  void reset_views() {
    input_pan = output_pan = {};
    kernel = {};
  }
};

struct ScatterState {
  ViewState steps[6];
  ViewState replay_input, replay_output;
  // Replay: stamps applied (-1 = all), playback.
  int64_t replay_step = -1;
  bool replay_playing = false;
  float replay_stamps_per_second = 6.0f;
  double replay_clock = 0;
  void reset_views() {
    for (ViewState& view : steps) view = {};
    replay_input = replay_output = {};
  }
  void reset_replay() {
    replay_step = -1;
    replay_playing = false;
  }
};

struct CheckerboardState {
  ViewState coverage, stack_coverage, compare_direct, compare_resized;
  void reset_views() { *this = {}; }
};

// The Train lab's views: each contender's output, difference and input gradient, the data's target and input.
struct TrainPanelState {
  struct ContenderViews {
    ViewState output, difference, gradient;
  };
  ContenderViews contenders[3];
  ViewState target, input;
  bool link_crop_size = true, link_crop_at = true;
  std::string image_path_text;
  std::string init_path_text[3];
  void reset_views() {
    for (ContenderViews& views : contenders) views = {};
    target = input = {};
  }
};

struct LayerPanelState {
  // Per-axis pairs edited as one value while linked.
  bool link_kernel = true, link_stride = true, link_padding = true, link_output_padding = true, link_dilation = true;
  std::string weight_path_text;
};

// The Model panel: the node whose details show (any node; opening a ConvTranspose node is model.node), which
// graph input the file browser fills, and the node the list last scrolled to (a new one is brought into view once).
struct ModelPanelState {
  std::string details_node;  // "" follows model.node
  size_t browse_input = 0;
  std::string scrolled_for;
  void reset() { *this = {}; }
};

struct FileBrowserState {
  BrowseTarget request = BrowseTarget::None;  // what a button or shortcut asked to browse for
  BrowseTarget opened = BrowseTarget::None;   // what the open dialog is browsing for
  std::string directory;
  std::string selected;
  uint64_t refresh = 0;  // bumped each time the dialog opens, so the folder is listed afresh
  void close() {
    request = opened = BrowseTarget::None;
    selected.clear();
  }
};

struct UiState {
  std::string preset;  // the preset last applied, shown in the picker
  int64_t shown_layer = -1;  // the stack layer the per-layer fields below were last set for
  size_t shown_layers = 0;

  FeatureMapsState feature_maps;
  ScatterState scatter;
  CheckerboardState checkerboard;
  TrainPanelState train;
  ModelPanelState model;
  LayerPanelState layer;
  FileBrowserState browser;
  StepsUiState steps;
  TeachViewsUiState teach;

  // Hover links: set by the view under the pointer this frame, drawn by the other views next frame.
  HoverTarget hover, next_hover;

  std::string image_path_text;
  std::string workspace_path = "workspace.json";
  bool save_requested = false;  // Ctrl+S
  uint64_t workspace_load = 0;  // bumped by Load; the file is read on the worker
  bool workspace_loading = false;

  int64_t want_h = 0, want_w = 0;  // size solver
  std::string notice;              // one-line message in the status bar (e.g. a saved screenshot)
  double notice_until = 0;
  std::string screenshot_request;  // path to capture after this frame ("" = none)
  bool quit_requested = false;

  // Home, or double-click: every view back to fitting its box.
  void reset_views() {
    feature_maps.reset_views();
    scatter.reset_views();
    checkerboard.reset_views();
    train.reset_views();
    steps.reset_views();
    teach.reset_views();
  }
  // A preset or a workspace replaced the whole state: the frame's one check (LabApp::frame) then resets the
  // per-layer fields for the shown layer, even when its index and the layer count happen to be unchanged.
  void state_replaced() { shown_layer = -1; }
  // Another layer shown, or a new preset: the views and the replay start afresh for it.
  void reset_for_layer(const std::string& weight_path) {
    reset_views();
    scatter.reset_replay();
    layer.weight_path_text = weight_path;
    want_h = want_w = 0;  // the size solver starts from the new layer's own output size
  }
};

}  // namespace convt::lab
