// UI-only state: how controls are linked, what the pointer hovers, where the replay is, which file dialog is
// open. The model never sees it. Plain data, owned by LabApp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace convt::lab {

enum class BrowseTarget { None, Image, Weight };

struct HoverTarget {
  bool active = false;
  bool on_output = false;  // false: an input pixel
  int64_t y = 0, x = 0;
};

struct PanState {
  float x = 0, y = 0;  // offset of the image centre from the view centre, in screen pixels
};

struct UiState {
  std::string preset;  // the preset last applied, shown in the picker
  int64_t shown_layer = -1;  // the stack layer the per-layer fields below were last set for
  size_t shown_layers = 0;
  // Per-axis pairs edited as one value while linked.
  bool link_kernel = true, link_stride = true, link_padding = true, link_output_padding = true, link_dilation = true;

  // Scatter replay: stamps applied (-1 = all), playback.
  int64_t replay_step = -1;
  bool replay_playing = false;
  float replay_stamps_per_second = 6.0f;
  double replay_clock = 0;

  // Hover links: set by the view under the pointer this frame, drawn by the other views next frame.
  HoverTarget hover, next_hover;

  bool rgb_composite = true;  // show 3-channel tensors as colour
  PanState input_pan, output_pan;

  BrowseTarget browse = BrowseTarget::None;
  std::string browse_directory;
  std::string image_path_text, weight_path_text;
  std::string workspace_path = "workspace.json";
  bool save_requested = false;  // Ctrl+S

  int64_t want_h = 0, want_w = 0;  // size solver
  std::string notice;              // one-line message in the status bar (e.g. a saved screenshot)
  double notice_until = 0;
  std::string screenshot_request;  // path to capture after this frame ("" = none)
  bool quit_requested = false;
};

}  // namespace convt::lab
