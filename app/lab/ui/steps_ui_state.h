// The enlarged step view's and the 1-D replay's UI state (ui_state.h holds one): plain data, reset with the views.
#pragma once

#include "view_state.h"

namespace convt::lab {

struct StepsUiState {
  ViewState enlarged;  // the step or replay opened large (view.enlarge): its own zoom and pan
  bool show_values = true;  // the pixel grid prints values once the pixels are large enough
  void reset_views() { enlarged = {}; }
};

}  // namespace convt::lab
