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
  int matrix_cell = 0;  // the matrix view's cell size in screen pixels; 0 fits the pane
  // Compare A/B's editor of B: per-axis pairs edited as one value while linked, like the Layer panel's for A.
  // The height Compare A/B's columns took under their outputs last frame: the outputs get what that leaves.
  float compare_below = 0;
  bool link_kernel = true, link_stride = true, link_padding = true, link_output_padding = true, link_dilation = true;
  void reset_views() { *this = {}; }
};

}  // namespace convt::lab
