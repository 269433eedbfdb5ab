// Small ImGui building blocks shared by the panels: per-axis pair inputs with a link toggle, the red style of
// an invalid control, and a zoomable tensor view that reports the hovered pixel.
#pragma once

#include <convt/analysis.h>
#include <convt/image.h>
#include <convt/params.h>

#include <imgui.h>

#include <cstdint>
#include <string>

namespace convt::lab::ui {

// Marks the controls drawn while it lives as invalid (red frame) when `invalid` is true.
class InvalidScope {
 public:
  explicit InvalidScope(bool invalid);
  ~InvalidScope();
  InvalidScope(const InvalidScope&) = delete;
  InvalidScope& operator=(const InvalidScope&) = delete;

 private:
  int pushed_ = 0;
};

// An integer input for an IntPair: one field while `linked`, two (H, W) otherwise, plus the link toggle.
// Returns true when the value changed.
bool pair_input(const char* label, IntPair& value, bool& linked, int64_t minimum, bool invalid, const char* help);

// An int64 field with +/- buttons. Returns true when changed.
bool int_input(const char* label, int64_t& value, int64_t minimum, int64_t maximum, bool invalid = false);

// A (?) marker with a tooltip.
void help_marker(const char* text);

// A coloured word in a rounded box, e.g. the verdict.
void badge(const char* text, ImU32 background);

// The verdict's colour: green even, orange uneven, red holes.
ImU32 verdict_colour(OverlapVerdict verdict);

// A horizontal colour bar for a colormap and range, with the two limits printed.
void colour_bar(Colormap colormap, float low, float high, float width);

// Where a tensor view put its pixels, so callers can draw overlays, and which pixel is under the pointer.
struct ViewGeometry {
  ImVec2 box_min, box_max;  // the view's box on screen; overlays are clipped to it
  ImVec2 origin;  // screen position of pixel (0, 0)'s top-left corner
  float scale = 1;  // screen pixels per tensor pixel
  bool hovered = false;
  int64_t hover_y = -1, hover_x = -1;
  ImVec2 pixel_min(int64_t y, int64_t x) const { return {origin.x + x * scale, origin.y + y * scale}; }
  ImVec2 pixel_max(int64_t y, int64_t x) const { return {origin.x + (x + 1) * scale, origin.y + (y + 1) * scale}; }
};

// Draws a texture of height x width tensor pixels in a box of `size`. zoom > 0 is screen pixels per tensor
// pixel, 0 fits the box. Mouse wheel zooms (changing `zoom`), left-drag pans, double-click resets; nearest
// sampling, and a pixel grid once a pixel is 8 screen pixels or more.
ViewGeometry tensor_view(const char* id, ImTextureID texture, int64_t height, int64_t width, ImVec2 size, float& zoom,
                         float& pan_x, float& pan_y);

// Outlines tensor pixel (y, x) of a view.
void outline_pixel(const ViewGeometry& view, int64_t y, int64_t x, ImU32 colour, float thickness = 2.0f);

}  // namespace convt::lab::ui
