// The Pixel inspector's UI state (ui_state.h holds one): plain data, reset with the views.
#pragma once

#include "view_state.h"

namespace convt::lab {

struct InspectorUiState {
  ViewState kernel;  // the kernel view with the pinned pixel's taps outlined
  void reset_views() { *this = {}; }
};

}  // namespace convt::lab
