// The enlarged step view's, the steps pane's and the 1-D replay's UI state (ui_state.h holds one): plain data,
// reset with the views. The replays' play/pause flag is ScatterState::replay_playing, one for both replays, so
// Space and the app's animation frames work for the 1-D replay as for the 2-D one.
#pragma once

#include "view_state.h"

#include <cstdint>

namespace convt::lab {

struct StepsUiState {
  ViewState enlarged;       // the step or replay opened large (view.enlarge): its own zoom and pan
  ViewState enlarged_side;  // beside it: the replay's input, or the padded input that step 5 reads
  bool pane_replay = false;  // the Scatter-then-convolve pane shows the 2-D replay instead of the steps
  // The 1-D replay (view.replay_1d): stamps applied (-1: all), and its clock and speed.
  int64_t row_step = -1;
  double row_clock = 0;
  float row_stamps_per_second = 2.0f;
  void reset_views() { enlarged = enlarged_side = {}; }
};

}  // namespace convt::lab
