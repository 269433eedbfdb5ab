#include "widgets.h"

#include <convt/settings_schema.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace convt::lab::ui {
namespace {

constexpr ImU32 kInvalidFrame = IM_COL32(150, 30, 30, 255);
constexpr ImU32 kInvalidFrameHovered = IM_COL32(180, 40, 40, 255);
constexpr float kGridFromScale = 8.0f;

}  // namespace

InvalidScope::InvalidScope(bool invalid) {
  if (!invalid) return;
  ImGui::PushStyleColor(ImGuiCol_FrameBg, kInvalidFrame);
  ImGui::PushStyleColor(ImGuiCol_FrameBgHovered, kInvalidFrameHovered);
  ImGui::PushStyleColor(ImGuiCol_FrameBgActive, kInvalidFrameHovered);
  pushed_ = 3;
}

InvalidScope::~InvalidScope() {
  if (pushed_) ImGui::PopStyleColor(pushed_);
}

void help_marker(const char* text) {
  ImGui::SameLine();
  ImGui::TextDisabled("(?)");
  if (ImGui::IsItemHovered()) {
    ImGui::BeginTooltip();
    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30.0f);
    ImGui::TextUnformatted(text);
    ImGui::PopTextWrapPos();
    ImGui::EndTooltip();
  }
}

bool int_input(const char* label, int64_t& value, int64_t minimum, int64_t maximum, bool invalid) {
  InvalidScope scope(invalid);
  const int64_t step = 1;
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7.5f);
  const bool changed = ImGui::InputScalar(label, ImGuiDataType_S64, &value, &step, nullptr, "%lld");
  value = std::clamp(value, minimum, maximum);
  return changed;
}

bool pair_input(const char* label, IntPair& value, bool& linked, int64_t minimum, bool invalid, const char* help) {
  ImGui::PushID(label);
  bool changed = false;
  // A pair whose members differ (set by a preset, a workspace or --set) shows both: one field would hide one.
  if (linked && value.h != value.w) linked = false;
  // The fields give up width before the row clips: the link's label and the name (with its (?)) keep their room.
  // Sized for the widest name a pair carries, so that a column of pairs keeps its fields aligned.
  const ImGuiStyle& style = ImGui::GetStyle();
  const float font = ImGui::GetFontSize();
  const float name = std::max(ImGui::CalcTextSize(label).x, ImGui::CalcTextSize("output_padding").x);
  const float after_fields = style.ItemSpacing.x + ImGui::GetFrameHeight() + style.ItemInnerSpacing.x +
                             ImGui::CalcTextSize("H=W").x + style.ItemSpacing.x + name +
                             (help ? style.ItemSpacing.x + ImGui::CalcTextSize("(?)").x : 0.0f);
  const float fields = ImGui::GetContentRegionAvail().x - after_fields;
  {
    InvalidScope scope(invalid);
    const int64_t step = 1;
    if (linked) {
      int64_t both = value.h;
      ImGui::SetNextItemWidth(std::clamp(fields, font * 4.5f, font * 7.5f));
      if (ImGui::InputScalar("##both", ImGuiDataType_S64, &both, &step, nullptr, "%lld")) {
        both = std::clamp(both, minimum, kSettingMax);
        value = {both, both};
        changed = true;
      }
    } else {
      // Too narrow for two fields with +/- buttons: plain fields, typed into.
      const float each = std::clamp((fields - 4) / 2, font * 2.5f, font * 5.5f);
      const int64_t* buttons = each >= font * 4.0f ? &step : nullptr;
      ImGui::SetNextItemWidth(each);
      if (ImGui::InputScalar("##h", ImGuiDataType_S64, &value.h, buttons, nullptr, "%lld")) changed = true;
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("H: the height's value");
      ImGui::SameLine(0, 4);
      ImGui::SetNextItemWidth(each);
      if (ImGui::InputScalar("##w", ImGuiDataType_S64, &value.w, buttons, nullptr, "%lld")) changed = true;
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("W: the width's value");
      value.h = std::clamp(value.h, minimum, kSettingMax);
      value.w = std::clamp(value.w, minimum, kSettingMax);
    }
  }
  // The link toggle, labelled: ticked, height (H) and width (W) share the one value.
  ImGui::SameLine();
  if (ImGui::Checkbox("H=W##link", &linked) && linked && value.h != value.w) {
    value.w = value.h;
    changed = true;
  }
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip(linked ? "H=W ticked: one value for the height (H) and the width (W); untick to set them apart"
                             : "Two values: the height's (H, left) and the width's (W, right); tick to give both the "
                               "height's");
  ImGui::SameLine();
  ImGui::TextUnformatted(label);
  if (help) help_marker(help);
  ImGui::PopID();
  return changed;
}

ImU32 verdict_colour(OverlapVerdict verdict) {
  switch (verdict) {
    case OverlapVerdict::Even: return IM_COL32(40, 140, 70, 255);
    case OverlapVerdict::Uneven: return IM_COL32(200, 120, 20, 255);
    case OverlapVerdict::Holes: return IM_COL32(190, 40, 40, 255);
  }
  return IM_COL32(90, 90, 90, 255);
}

void badge(const char* text, ImU32 background) {
  const ImVec2 padding(8, 3);
  const ImVec2 text_size = ImGui::CalcTextSize(text);
  const ImVec2 start = ImGui::GetCursorScreenPos();
  const ImVec2 end(start.x + text_size.x + 2 * padding.x, start.y + text_size.y + 2 * padding.y);
  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->AddRectFilled(start, end, background, 6.0f);
  draw->AddText(ImVec2(start.x + padding.x, start.y + padding.y), IM_COL32(255, 255, 255, 255), text);
  ImGui::Dummy(ImVec2(end.x - start.x, end.y - start.y));
}

void colour_bar(Colormap colormap, float low, float high, float width) {
  constexpr int kSteps = 48;
  const float height = ImGui::GetFontSize() * 0.7f;
  const ImVec2 start = ImGui::GetCursorScreenPos();
  ImDrawList* draw = ImGui::GetWindowDrawList();
  for (int i = 0; i < kSteps; ++i) {
    uint8_t rgb[3];
    colormap_rgb(colormap, (i + 0.5f) / kSteps, rgb);
    draw->AddRectFilled(ImVec2(start.x + width * i / kSteps, start.y), ImVec2(start.x + width * (i + 1) / kSteps, start.y + height),
                        IM_COL32(rgb[0], rgb[1], rgb[2], 255));
  }
  ImGui::Dummy(ImVec2(width, height));
  low += 0.0f, high += 0.0f;  // -0 + 0 is +0: an all-zero range reads "0 ... 0", not "-0 ... 0"
  ImGui::Text("%.4g", low);
  char high_text[32];
  std::snprintf(high_text, sizeof high_text, "%.4g", high);
  ImGui::SameLine(std::max(0.0f, width - ImGui::CalcTextSize(high_text).x));
  ImGui::TextUnformatted(high_text);
}

void coverage_legend(const CoverageReport& report, float most, float width) {
  // count -> output pixels with it: rows[y] * cols[x] over the distinct per-axis counts and their multiplicities.
  std::map<int64_t, int64_t> rows, cols, pixels;
  for (int64_t count : report.row_counts) ++rows[count];
  for (int64_t count : report.col_counts) ++cols[count];
  for (const auto& [row_count, row_pixels] : rows)
    for (const auto& [col_count, col_pixels] : cols) pixels[row_count * col_count] += row_pixels * col_pixels;
  ImGui::TextDisabled("colour = (input pixel, tap) pairs per output pixel:");
  const float swatch = ImGui::GetFontSize() * 0.9f;
  float used = 0;
  ImDrawList* draw = ImGui::GetWindowDrawList();
  for (const auto& [count, how_many] : pixels) {
    char text[64];
    std::snprintf(text, sizeof text, "%lld: %lld px", static_cast<long long>(count), static_cast<long long>(how_many));
    const float item = swatch + 4 + ImGui::CalcTextSize(text).x + ImGui::GetStyle().ItemSpacing.x * 2;
    if (used > 0 && used + item < width) ImGui::SameLine(0, ImGui::GetStyle().ItemSpacing.x * 2);
    else used = 0;
    used += item;
    uint8_t rgb[3];
    colormap_rgb(Colormap::Viridis, most > 0 ? static_cast<float>(count) / most : 0.0f, rgb);
    const ImVec2 at = ImGui::GetCursorScreenPos();
    const float top = at.y + (ImGui::GetTextLineHeight() - swatch) / 2;
    draw->AddRectFilled(ImVec2(at.x, top), ImVec2(at.x + swatch, top + swatch), IM_COL32(rgb[0], rgb[1], rgb[2], 255));
    draw->AddRect(ImVec2(at.x, top), ImVec2(at.x + swatch, top + swatch), IM_COL32(200, 200, 200, 120));
    ImGui::Dummy(ImVec2(swatch, swatch));
    ImGui::SameLine(0, 4);
    ImGui::TextUnformatted(text);
  }
}

ViewGeometry tensor_view(const char* id, int64_t height, int64_t width, ImVec2 size, float& zoom, float& pan_x,
                         float& pan_y) {
  ViewGeometry view;
  size.x = std::max(size.x, 16.0f);
  size.y = std::max(size.y, 16.0f);
  height = std::max<int64_t>(height, 1);
  width = std::max<int64_t>(width, 1);
  const ImVec2 box_min = ImGui::GetCursorScreenPos();
  const ImVec2 box_max(box_min.x + size.x, box_min.y + size.y);
  ImGui::InvisibleButton(id, size);
  const bool hovered = ImGui::IsItemHovered();
  ImGuiIO& io = ImGui::GetIO();

  const float fit = std::min(size.x / static_cast<float>(width), size.y / static_cast<float>(height));
  float scale = zoom > 0 ? zoom : fit;
  if (hovered && io.MouseWheel != 0) {
    // Zoom about the pointer: the tensor point under it stays put.
    const float new_scale = std::clamp(scale * std::pow(1.2f, io.MouseWheel), std::min(fit, 0.25f), 128.0f);
    const ImVec2 centre((box_min.x + box_max.x) / 2 + pan_x, (box_min.y + box_max.y) / 2 + pan_y);
    pan_x += (io.MousePos.x - centre.x) * (1 - new_scale / scale);
    pan_y += (io.MousePos.y - centre.y) * (1 - new_scale / scale);
    scale = new_scale;
    zoom = new_scale;
  }
  if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 1.0f)) {
    pan_x += io.MouseDelta.x;
    pan_y += io.MouseDelta.y;
  }
  if (hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
    zoom = 0;
    pan_x = pan_y = 0;
    scale = fit;
  }

  view.box_min = box_min;
  view.box_max = box_max;
  view.scale = scale;
  view.origin = ImVec2(std::floor((box_min.x + box_max.x) / 2 + pan_x - width * scale / 2),
                       std::floor((box_min.y + box_max.y) / 2 + pan_y - height * scale / 2));
  auto first = [&](float screen, float origin, int64_t limit) {
    return std::clamp<int64_t>(static_cast<int64_t>(std::floor((screen - origin) / scale)), 0, limit);
  };
  view.visible = {first(box_min.y, view.origin.y, height), first(box_min.x, view.origin.x, width),
                  std::clamp<int64_t>(first(box_max.y, view.origin.y, height) + 1, 0, height),
                  std::clamp<int64_t>(first(box_max.x, view.origin.x, width) + 1, 0, width)};
  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->AddRectFilled(box_min, box_max, IM_COL32(22, 22, 26, 255));

  if (hovered) {
    const int64_t x = static_cast<int64_t>(std::floor((io.MousePos.x - view.origin.x) / scale));
    const int64_t y = static_cast<int64_t>(std::floor((io.MousePos.y - view.origin.y) / scale));
    if (x >= 0 && x < width && y >= 0 && y < height) {
      view.hovered = true;
      view.hover_x = x;
      view.hover_y = y;
    }
  }
  return view;
}

void draw_texture(const ViewGeometry& view, ImTextureID texture, const PlaneRegion& region, ImVec2 uv_max) {
  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->PushClipRect(view.box_min, view.box_max, true);
  draw->AddImage(texture, view.pixel_min(region.y0, region.x0), view.pixel_min(region.y1, region.x1), ImVec2(0, 0), uv_max);
  draw->PopClipRect();
}

void finish_view(const ViewGeometry& view) {
  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->PushClipRect(view.box_min, view.box_max, true);
  if (view.scale >= kGridFromScale) {
    // Only the lines on screen: a zoomed-in 8193-pixel plane must not cost 16k lines a frame.
    const ImU32 grid = IM_COL32(0, 0, 0, 90);
    const PlaneRegion& v = view.visible;
    const float top = view.pixel_min(v.y0, 0).y, bottom = view.pixel_min(v.y1, 0).y;
    const float left = view.pixel_min(0, v.x0).x, right = view.pixel_min(0, v.x1).x;
    for (int64_t x = v.x0; x <= v.x1; ++x) draw->AddLine(ImVec2(view.pixel_min(0, x).x, top), ImVec2(view.pixel_min(0, x).x, bottom), grid);
    for (int64_t y = v.y0; y <= v.y1; ++y) draw->AddLine(ImVec2(left, view.pixel_min(y, 0).y), ImVec2(right, view.pixel_min(y, 0).y), grid);
  }
  draw->AddRect(view.box_min, view.box_max, IM_COL32(70, 70, 80, 255));
  draw->PopClipRect();
}

void outline_output_padding(const ViewGeometry& view, int64_t height, int64_t width, IntPair output_padding) {
  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->PushClipRect(view.box_min, view.box_max, true);
  const ImVec2 corner = view.pixel_max(height - 1, width - 1);
  if (output_padding.h > 0)
    draw->AddRect(view.pixel_min(height - output_padding.h, 0), corner, kOutputPaddingColour, 0.0f, 0, 2.0f);
  if (output_padding.w > 0)
    draw->AddRect(view.pixel_min(0, width - output_padding.w), corner, kOutputPaddingColour, 0.0f, 0, 2.0f);
  draw->PopClipRect();
}

void outline_pixel(const ViewGeometry& view, int64_t y, int64_t x, ImU32 colour, float thickness) {
  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->PushClipRect(view.box_min, view.box_max, true);
  draw->AddRect(view.pixel_min(y, x), view.pixel_max(y, x), colour, 0.0f, 0, thickness);
  draw->PopClipRect();
}

ViewGeometry fitted_view(const char* id, int64_t height, int64_t width, ImVec2 size) {
  ViewGeometry view;
  size.x = std::max(size.x, 16.0f);
  size.y = std::max(size.y, 16.0f);
  height = std::max<int64_t>(height, 1);
  width = std::max<int64_t>(width, 1);
  view.box_min = ImGui::GetCursorScreenPos();
  view.box_max = ImVec2(view.box_min.x + size.x, view.box_min.y + size.y);
  ImGui::InvisibleButton(id, size);
  view.scale = std::min(size.x / static_cast<float>(width), size.y / static_cast<float>(height));
  view.origin = ImVec2(std::floor((view.box_min.x + view.box_max.x - width * view.scale) / 2),
                       std::floor((view.box_min.y + view.box_max.y - height * view.scale) / 2));
  view.visible = {0, 0, height, width};
  ImGui::GetWindowDrawList()->AddRectFilled(view.box_min, view.box_max, IM_COL32(22, 22, 26, 255));
  if (ImGui::IsItemHovered()) {
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    const int64_t x = static_cast<int64_t>(std::floor((mouse.x - view.origin.x) / view.scale));
    const int64_t y = static_cast<int64_t>(std::floor((mouse.y - view.origin.y) / view.scale));
    if (x >= 0 && x < width && y >= 0 && y < height) {
      view.hovered = true;
      view.hover_x = x;
      view.hover_y = y;
    }
  }
  return view;
}

void outline_region(const ViewGeometry& view, const PlaneRegion& region, ImU32 colour, float thickness, float grow) {
  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->PushClipRect(view.box_min, view.box_max, true);
  const ImVec2 min = view.pixel_min(region.y0, region.x0), max = view.pixel_min(region.y1, region.x1);
  const ImVec2 a(min.x - grow, min.y - grow), b(max.x + grow, max.y + grow);
  draw->AddRect(a, b, IM_COL32(0, 0, 0, 200), 0.0f, 0, thickness + 2.0f);
  draw->AddRect(a, b, colour, 0.0f, 0, thickness);
  draw->PopClipRect();
}

bool cell_text(ImVec2 min, ImVec2 max, const char* text, float largest) {
  constexpr float kSmallestReadable = 9.0f;
  ImFont* font = ImGui::GetFont();
  const float base = largest > 0 ? std::min(largest, ImGui::GetFontSize()) : ImGui::GetFontSize();
  const ImVec2 natural = font->CalcTextSizeA(base, FLT_MAX, 0.0f, text);
  const float room_x = max.x - min.x - 2, room_y = max.y - min.y;
  const float size = std::min({base, base * room_x / std::max(natural.x, 1.0f), room_y * 0.8f});
  if (size < kSmallestReadable) return false;
  const ImVec2 extent = font->CalcTextSizeA(size, FLT_MAX, 0.0f, text);
  const ImVec2 at(std::floor((min.x + max.x - extent.x) / 2), std::floor((min.y + max.y - extent.y) / 2));
  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->AddText(font, size, ImVec2(at.x + 1, at.y + 1), IM_COL32(0, 0, 0, 230), text);
  draw->AddText(font, size, at, IM_COL32(255, 255, 255, 255), text);
  return true;
}

bool draw_pixel_values(const ViewGeometry& view, const float* values, int64_t width) {
  // One size for the whole grid, the one at which a typical value ("-0.123") fits a pixel; longer values shrink.
  const float base = ImGui::GetFontSize();
  const float typical = ImGui::GetFont()->CalcTextSizeA(base, FLT_MAX, 0.0f, "-0.123").x;
  const float size = std::min(base, base * (view.scale - 2) / typical);
  if (size < 9.0f) return false;  // too small to read: the pixels keep their colours (and the hover line)
  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->PushClipRect(view.box_min, view.box_max, true);
  bool written = false;
  char text[32];
  for (int64_t y = view.visible.y0; y < view.visible.y1; ++y)
    for (int64_t x = view.visible.x0; x < view.visible.x1; ++x) {
      // Three significant digits, two when that is longer than "-0.123" (e.g. -0.0123), so sizes stay even.
      if (std::snprintf(text, sizeof text, "%.3g", values[y * width + x]) > 6)
        std::snprintf(text, sizeof text, "%.2g", values[y * width + x]);
      written |= cell_text(view.pixel_min(y, x), view.pixel_max(y, x), text, size);
    }
  draw->PopClipRect();
  return written;
}

}  // namespace convt::lab::ui
