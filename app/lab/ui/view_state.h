// The zoom and pan of one view: the plain data every panel's UI state is made of.
#pragma once

namespace convt::lab {

struct PanState {
  float x = 0, y = 0;  // offset of the image centre from the view centre, in screen pixels
};

// One zoomable view: zoom 0 fits the box.
struct ViewState {
  float zoom = 0;
  PanState pan;
};

}  // namespace convt::lab
