#include "plane_textures.h"

#include <algorithm>
#include <cstdint>

namespace convt::lab::ui {
namespace {

ImTextureID as_texture(GLuint texture) { return reinterpret_cast<ImTextureID>(static_cast<uintptr_t>(texture)); }

gfx::ColourSettings colours_of(const PlaneView& plane, Colormap colormap) {
  gfx::ColourSettings colours;
  colours.colormap = colormap;
  for (int c = 0; c < 3; ++c) {
    colours.low[c] = plane.ranges[c].low;
    colours.high[c] = plane.ranges[c].high;
  }
  return colours;
}

// The coloured texture of one level in `slot`, uploaded only when the level is new.
GLuint level_texture(PanelContext& context, const std::string& slot, const ProductCache::Typed<PlanePreview>& level,
                     const gfx::ColourSettings& colours) {
  const Tensor& values = level.value->values;
  const int64_t h = values.size(1), w = values.size(2);
  return context.planes.texture(slot, {values.data(), h, w, static_cast<int>(values.size(0)), h * w, level.id}, colours);
}

// Draws one level over the part of the plane it covers.
void draw_level(PanelContext& context, const std::string& slot, const ViewGeometry& view,
                const ProductCache::Typed<PlanePreview>& level, const gfx::ColourSettings& colours) {
  const PlanePreview& preview = *level.value;
  const int64_t h = preview.values.size(1), w = preview.values.size(2);
  const GLuint texture = level_texture(context, slot, level, colours);
  const PlaneRegion& r = preview.region;
  const ImVec2 uv_max(static_cast<float>(r.width()) / static_cast<float>(w * preview.factor),
                      static_cast<float>(r.height()) / static_cast<float>(h * preview.factor));
  draw_texture(view, as_texture(texture), r, uv_max);
}

void centred_note(const ViewGeometry& view, const char* text) {
  const ImVec2 size = ImGui::CalcTextSize(text);
  const ImVec2 at((view.box_min.x + view.box_max.x - size.x) / 2, (view.box_min.y + view.box_max.y - size.y) / 2);
  ImGui::GetWindowDrawList()->AddText(at, IM_COL32(170, 170, 180, 255), text);
}

}  // namespace

void draw_plane(PanelContext& context, const std::string& slot, const ViewGeometry& view, const PlaneView& plane,
                Colormap colormap) {
  const PlaneRegion whole{0, 0, plane.height, plane.width};
  if (!plane.ready()) {
    // The last picture this slot showed stays until the new one is made (it belongs to the stale result).
    if (const GLuint previous = context.planes.last_texture(slot + ".o")) draw_texture(view, as_texture(previous), whole);
    centred_note(view, plane.error.empty() ? "computing the view..." : plane.error.c_str());
    return;
  }
  const gfx::ColourSettings colours = colours_of(plane, colormap);
  draw_level(context, slot + ".o", view, plane.overview, colours);
  if (plane.detail.value) draw_level(context, slot + ".d", view, plane.detail, colours);
}

namespace {

// Draws `spec`'s plane into the view `image` already laid out, and records its range.
void fill_view(PanelContext& context, const char* id, const PlaneSpec& spec, PlaneImage& image) {
  const PlaneView plane =
      context.model.analyses().plane(spec, image.view.visible, image.view.box_height(), image.view.box_width());
  draw_plane(context, id, image.view, plane, spec.colormap);
  image.range = plane.ranges[0];
  finish_view(image.view);
}

}  // namespace

PlaneImage plane_view(PanelContext& context, const char* id, const PlaneSpec& spec, ImVec2 size, float& zoom, PanState& pan) {
  PlaneImage image;
  image.view = tensor_view(id, spec.tensor->size(-2), spec.tensor->size(-1), size, zoom, pan.x, pan.y);
  fill_view(context, id, spec, image);
  return image;
}

PlaneImage plane_picture(PanelContext& context, const char* id, const PlaneSpec& spec, ImVec2 size) {
  PlaneImage image;
  image.view = fitted_view(id, spec.tensor->size(-2), spec.tensor->size(-1), size);
  image.clicked = ImGui::IsItemClicked(ImGuiMouseButton_Left);
  fill_view(context, id, spec, image);
  return image;
}

bool plane_thumbnail(PanelContext& context, const char* id, const PlaneSpec& spec, float side, bool selected) {
  const int64_t h = spec.tensor->size(-2), w = spec.tensor->size(-1);
  const int64_t box = std::max<int64_t>(1, static_cast<int64_t>(side));
  const PlaneView plane = context.model.analyses().plane(spec, {0, 0, h, w}, box, box);
  const std::string slot = std::string(id) + ".o";
  const GLuint texture = plane.ready() ? level_texture(context, slot, plane.overview, colours_of(plane, spec.colormap))
                                       : context.planes.last_texture(slot);
  // Keep the thumbnail's aspect inside a square button.
  const float aspect = static_cast<float>(w) / static_cast<float>(std::max<int64_t>(h, 1));
  const ImVec2 image_size = aspect >= 1 ? ImVec2(side, side / aspect) : ImVec2(side * aspect, side);
  const ImVec4 border = selected ? ImVec4(1.0f, 0.84f, 0.0f, 1.0f) : ImVec4(0, 0, 0, 0);
  ImGui::PushID(id);
  const bool clicked = ImGui::ImageButton(as_texture(texture), image_size, ImVec2(0, 0), ImVec2(1, 1), 2, border,
                                          texture ? ImVec4(1, 1, 1, 1) : ImVec4(0, 0, 0, 0));
  ImGui::PopID();
  return clicked;
}

}  // namespace convt::lab::ui
