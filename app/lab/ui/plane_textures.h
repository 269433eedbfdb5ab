// Tensor planes on screen: asks the model for a plane's previews (analyses.h: a level no larger than the view's
// box, refined for the zoomed region) and draws them through the GPU colormap (gfx::PlaneCache). No work here
// grows with the tensor: the previews and ranges are made on the worker, and only they are uploaded.
#pragma once

#include "panels.h"
#include "widgets.h"

#include "../model/analyses.h"

#include <string>

namespace convt::lab::ui {

struct PlaneImage {
  ViewGeometry view;
  ValueRange range;  // of the first channel, for the colour bar
  bool clicked = false;  // plane_picture: the picture was clicked
};

// A zoomable view of `spec`'s plane in a box of `size`; `zoom` and `pan` persist in the caller's UI state.
PlaneImage plane_view(PanelContext& context, const char* id, const PlaneSpec& spec, ImVec2 size, float& zoom, PanState& pan);

// A fitted picture of `spec`'s plane in a box of `size`, without zoom or pan (a step's thumbnail, which a click
// opens large): `clicked` says whether it was clicked this frame.
PlaneImage plane_picture(PanelContext& context, const char* id, const PlaneSpec& spec, ImVec2 size);

// Draws a plane view the model prepared (e.g. the coverage map) into an already laid-out view.
void draw_plane(PanelContext& context, const std::string& slot, const ViewGeometry& view, const PlaneView& plane,
                Colormap colormap);

// A fitted thumbnail of `spec`'s plane as a button, outlined when `selected`; true when clicked.
bool plane_thumbnail(PanelContext& context, const char* id, const PlaneSpec& spec, float side, bool selected);

}  // namespace convt::lab::ui
