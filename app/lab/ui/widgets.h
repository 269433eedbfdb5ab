// Small ImGui building blocks shared by the panels: per-axis pair inputs with a link toggle, the red style of
// an invalid control, and a zoomable tensor view that reports the hovered pixel.
#pragma once

#include <convt/analysis.h>
#include <convt/image.h>
#include <convt/params.h>
#include <convt/preview.h>

#include <imgui.h>

#include <cstdint>
#include <span>
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

// An integer input for an IntPair: one field while `linked`, two (H, W) otherwise, plus the link toggle. Values
// stay within [minimum, kSettingMax], what a workspace can hold. Returns true when the value changed.
bool pair_input(const char* label, IntPair& value, bool& linked, int64_t minimum, bool invalid, const char* help);

// An int64 field with +/- buttons. Returns true when changed.
bool int_input(const char* label, int64_t& value, int64_t minimum, int64_t maximum, bool invalid = false);

// A combo box over an enum's names (the engine lists each enum's names once); true when the choice changed.
template <typename Enum>
bool enum_combo(const char* label, Enum& value, std::span<const char* const> names) {
  int chosen = static_cast<int>(value);
  if (!ImGui::Combo(label, &chosen, names.data(), static_cast<int>(names.size()))) return false;
  value = static_cast<Enum>(chosen);
  return true;
}

// The same as a row of radio buttons.
template <typename Enum>
bool enum_radio(Enum& value, std::span<const char* const> names) {
  bool changed = false;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) ImGui::SameLine();
    if (ImGui::RadioButton(names[i], static_cast<size_t>(value) == i) && static_cast<size_t>(value) != i) {
      value = static_cast<Enum>(i);
      changed = true;
    }
  }
  return changed;
}

// One outline colour per meaning, in every view: the pinned pixel and what it reads (cyan), the rows and columns
// output_padding adds (orange), the replay's current stamp (yellow).
constexpr ImU32 kPinColour = IM_COL32(80, 220, 255, 255);
constexpr ImU32 kOutputPaddingColour = IM_COL32(255, 140, 40, 255);
constexpr ImU32 kStampColour = IM_COL32(255, 214, 0, 255);
// A product's one-line error where it replaces the view (an invalid B, a pin outside the output).
constexpr ImU32 kErrorTextColour = IM_COL32(255, 110, 110, 255);

// A (?) marker with a tooltip.
void help_marker(const char* text);

// A coloured word in a rounded box, e.g. the verdict.
void badge(const char* text, ImU32 background);

// The verdict's colour: green even, orange uneven, red holes.
ImU32 verdict_colour(OverlapVerdict verdict);

// A horizontal colour bar for a colormap and range, with the two limits printed.
void colour_bar(Colormap colormap, float low, float high, float width);

// The coverage map's colour legend: one swatch per count that occurs (a count is the number of (input pixel, kernel
// tap) pairs landing on an output pixel), coloured as the map colours it (viridis over [0, most]), with how many
// output pixels have that count. Wraps within `width`.
void coverage_legend(const CoverageReport& report, float most, float width);

// Where a tensor view put its pixels, so callers can draw overlays, which pixel is under the pointer, and which
// part of the plane is on screen.
struct ViewGeometry {
  ImVec2 box_min, box_max;  // the view's box on screen; overlays are clipped to it
  ImVec2 origin;  // screen position of pixel (0, 0)'s top-left corner
  float scale = 1;  // screen pixels per tensor pixel
  PlaneRegion visible;  // the rows and columns inside the box
  bool hovered = false;
  int64_t hover_y = -1, hover_x = -1;
  ImVec2 pixel_min(int64_t y, int64_t x) const { return {origin.x + x * scale, origin.y + y * scale}; }
  ImVec2 pixel_max(int64_t y, int64_t x) const { return {origin.x + (x + 1) * scale, origin.y + (y + 1) * scale}; }
  int64_t box_height() const { return static_cast<int64_t>(box_max.y - box_min.y); }
  int64_t box_width() const { return static_cast<int64_t>(box_max.x - box_min.x); }
};

// Lays out a view of a height x width plane in a box of `size` and draws its background. zoom > 0 is screen
// pixels per tensor pixel, 0 fits the box. Mouse wheel zooms about the pointer (changing `zoom`), left-drag pans,
// double-click fits again. The caller then draws textures into it (draw_texture) and closes it (finish_view).
ViewGeometry tensor_view(const char* id, int64_t height, int64_t width, ImVec2 size, float& zoom, float& pan_x,
                         float& pan_y);

// Draws `texture` over the tensor rows and columns of `region`, using the texture from (0, 0) to `uv_max`.
void draw_texture(const ViewGeometry& view, ImTextureID texture, const PlaneRegion& region, ImVec2 uv_max = ImVec2(1, 1));

// The pixel grid once a pixel is 8 screen pixels or more (only the lines on screen), and the frame.
void finish_view(const ViewGeometry& view);

// Outlines the rows and columns output_padding adds to a height x width output: the last op.h rows at the bottom
// and the last op.w columns at the right.
void outline_output_padding(const ViewGeometry& view, int64_t height, int64_t width, IntPair output_padding);

// Outlines tensor pixel (y, x) of a view.
void outline_pixel(const ViewGeometry& view, int64_t y, int64_t x, ImU32 colour, float thickness = 2.0f);

// ---- Step views: fitted pictures, region outlines, printed values (scatter-then-convolve, the enlarged view) ----

// A view of a height x width plane fitted and centred in a box of `size`, without zoom or pan: a click on it is
// the caller's to use (ImGui::IsItemClicked() right after; e.g. a thumbnail that opens large).
ViewGeometry fitted_view(const char* id, int64_t height, int64_t width, ImVec2 size);

// Outlines the tensor pixels of `region` (rows y0..y1-1, columns x0..x1-1) over a dark halo, so the outline reads
// on any colour; `grow` screen pixels outside the region (a small view's one-pixel region stays visible).
void outline_region(const ViewGeometry& view, const PlaneRegion& region, ImU32 colour, float thickness = 2.0f,
                    float grow = 0.0f);

// Writes `text` centred in the screen box [min, max], at most `largest` high (0: the font's size), shrunk to fit;
// nothing when it would be smaller than readable. White over a dark shadow, so it reads on any colour. Returns
// whether it was written.
bool cell_text(ImVec2 min, ImVec2 max, const char* text, float largest = 0.0f);

// Prints each visible pixel's value (read from the row-major plane `values`, `width` columns, never computed)
// once the view's pixels are large enough to hold it; returns whether they were.
bool draw_pixel_values(const ViewGeometry& view, const float* values, int64_t width);

}  // namespace convt::lab::ui
