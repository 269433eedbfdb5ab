// The UI state of Compare A/B, the matrix view, the round trip and the Lessons window (ui_state.h holds one):
// plain data, reset with the views.
#pragma once

#include "view_state.h"

#include <cstdint>

namespace convt::lab {

struct TeachViewsUiState {
  ViewState compare_a, compare_b, compare_difference, coverage_a, coverage_b;
  ViewState round_trip_input, round_trip_back;
  int64_t matrix_hover_i = -1, matrix_hover_o = -1;  // the matrix entry under the pointer last frame
  void reset_views() { *this = {}; }
};

}  // namespace convt::lab
