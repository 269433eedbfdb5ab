#include "plot_widget.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace convt::lab::ui {
namespace {

constexpr ImU32 kBackground = IM_COL32(22, 22, 26, 255);
constexpr ImU32 kFrame = IM_COL32(70, 70, 80, 255);
constexpr ImU32 kGrid = IM_COL32(255, 255, 255, 22);
constexpr ImU32 kTickText = IM_COL32(160, 160, 170, 255);
constexpr ImU32 kGuide = IM_COL32(200, 200, 200, 90);

// 1, 2 or 5 times a power of ten, near span / count: tick steps a reader can add up.
float nice_step(float span, int count) {
  const float raw = span / static_cast<float>(count);
  const float magnitude = std::pow(10.0f, std::floor(std::log10(raw)));
  const float r = raw / magnitude;
  return (r < 1.5f ? 1.0f : r < 3.0f ? 2.0f : r < 7.0f ? 5.0f : 10.0f) * magnitude;
}

std::string number_text(float value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

struct Axis {
  float low = 0, high = 1;
  float span() const { return high - low; }
};

// The y range of the data (after the log transform), or the fixed ends.
Axis y_axis(std::span<const PlotSeries> series, const PlotOptions& o) {
  float low = std::numeric_limits<float>::max(), high = std::numeric_limits<float>::lowest();
  for (const PlotSeries& s : series)
    for (const float v : s.y) {
      if (!std::isfinite(v) || (o.log_y && v <= 0)) continue;
      const float t = o.log_y ? std::log10(v) : v;
      low = std::min(low, t);
      high = std::max(high, t);
    }
  if (o.has_y_min) low = o.log_y ? std::log10(o.y_min) : o.y_min;
  if (o.has_y_max) high = o.log_y ? std::log10(o.y_max) : o.y_max;
  if (low > high) return {0, 1};  // no data yet
  if (!o.log_y && !o.has_y_max) high = std::max(high, o.y_max_at_least);
  if (high - low < 1e-6f) {
    const float pad = o.log_y ? 0.5f : std::max(std::fabs(low) * 0.1f, 1e-3f);
    if (!o.has_y_min) low -= pad;
    if (!o.has_y_max) high += pad;
  } else {
    const float pad = (high - low) * 0.05f;
    if (!o.has_y_min) low -= pad;
    if (!o.has_y_max) high += pad;
  }
  return {low, high};
}

// The value of `s` at the last x not after `x` (the records are sparse after a long run).
bool value_at(const PlotSeries& s, float x, float& value) {
  const auto it = std::upper_bound(s.x.begin(), s.x.end(), x);
  if (it == s.x.begin()) return false;
  value = s.y[static_cast<size_t>(it - s.x.begin()) - 1];
  return true;
}

}  // namespace

void line_plot(const char* id, std::span<const PlotSeries> series, const PlotOptions& o, ImVec2 size) {
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const float font = ImGui::GetFontSize();
  size.x = std::max(size.x, 120.0f);
  size.y = std::max(size.y, 80.0f);
  const ImVec2 start = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton(id, size);
  const bool hovered = ImGui::IsItemHovered();

  const Axis ya = y_axis(series, o);
  Axis xa{0, 1};
  for (const PlotSeries& s : series)
    if (!s.x.empty()) xa.high = std::max(xa.high, s.x.back());

  // Room for the title above, tick labels left and below, and the x label under them.
  const float left_room = ImGui::CalcTextSize("-0.0001").x + 6;
  const ImVec2 lo(start.x + left_room, start.y + font + 6);
  const ImVec2 hi(start.x + size.x - 6, start.y + size.y - 2 * font - 8);
  const auto sx = [&](float x) { return lo.x + (x - xa.low) / xa.span() * (hi.x - lo.x); };
  const auto sy = [&](float t) { return hi.y - (t - ya.low) / ya.span() * (hi.y - lo.y); };

  draw->AddText(start, IM_COL32(230, 230, 235, 255), o.title.c_str());
  draw->AddRectFilled(lo, hi, kBackground);

  // y ticks: every decade on a log axis, nice steps otherwise.
  const float y_step = o.log_y ? std::max(1.0f, std::round(nice_step(ya.span(), 3))) : nice_step(ya.span(), 4);
  for (float t = std::ceil(ya.low / y_step) * y_step; t <= ya.high + 1e-6f; t += y_step) {
    const float y = sy(t);
    draw->AddLine(ImVec2(lo.x, y), ImVec2(hi.x, y), kGrid);
    const std::string text = number_text(o.log_y ? std::pow(10.0f, t) : (std::fabs(t) < y_step * 1e-3f ? 0.0f : t));
    const ImVec2 text_size = ImGui::CalcTextSize(text.c_str());
    draw->AddText(ImVec2(lo.x - text_size.x - 4, y - text_size.y / 2), kTickText, text.c_str());
  }
  const float x_step = std::max(1.0f, nice_step(xa.span(), 5));
  for (float x = 0; x <= xa.high + 1e-3f; x += x_step) {
    const float px = sx(x);
    draw->AddLine(ImVec2(px, lo.y), ImVec2(px, hi.y), kGrid);
    const std::string text = number_text(x);
    draw->AddText(ImVec2(px - ImGui::CalcTextSize(text.c_str()).x / 2, hi.y + 2), kTickText, text.c_str());
  }
  const ImVec2 x_label_size = ImGui::CalcTextSize(o.x_label.c_str());
  draw->AddText(ImVec2((lo.x + hi.x - x_label_size.x) / 2, hi.y + font + 4), kTickText, o.x_label.c_str());

  draw->PushClipRect(lo, hi, true);
  for (size_t i = 0; i < o.guides.size(); ++i) {
    const PlotGuide& guide = o.guides[i];
    const float t = o.log_y ? std::log10(guide.y) : guide.y;
    if (t < ya.low || t > ya.high) continue;
    const float y = sy(t);
    for (float x = lo.x; x < hi.x; x += 8) draw->AddLine(ImVec2(x, y), ImVec2(std::min(x + 4, hi.x), y), kGuide);
    // Labels alternate between the right and the left end, so close guides do not print over each other.
    const ImVec2 text_size = ImGui::CalcTextSize(guide.label.c_str());
    const float x = i % 2 ? hi.x - text_size.x - 4 : lo.x + 4;
    draw->AddText(ImVec2(x, y - text_size.y - 1), kGuide, guide.label.c_str());
  }
  std::vector<ImVec2> points;
  for (const PlotSeries& s : series) {
    points.clear();
    for (size_t i = 0; i < s.x.size(); ++i) {
      const float v = s.y[i];
      if (!std::isfinite(v) || (o.log_y && v <= 0)) continue;
      points.emplace_back(sx(s.x[i]), sy(o.log_y ? std::log10(v) : v));
    }
    if (points.size() == 1) draw->AddCircleFilled(points[0], 2.5f, s.colour);
    else if (points.size() > 1) draw->AddPolyline(points.data(), static_cast<int>(points.size()), s.colour, 0, 2.0f);
  }
  draw->PopClipRect();
  draw->AddRect(lo, hi, kFrame);

  // The legend, top right inside the plot.
  float legend_width = 0;
  for (const PlotSeries& s : series) legend_width = std::max(legend_width, ImGui::CalcTextSize(s.name.c_str()).x);
  if (o.legend && !series.empty()) {
    const float row = font + 2;
    const ImVec2 box_min(hi.x - legend_width - font - 14, lo.y + 4);
    const ImVec2 box_max(hi.x - 4, lo.y + 8 + row * static_cast<float>(series.size()));
    draw->AddRectFilled(box_min, box_max, IM_COL32(15, 15, 18, 200), 3.0f);
    for (size_t i = 0; i < series.size(); ++i) {
      const float y = box_min.y + 2 + row * static_cast<float>(i);
      draw->AddRectFilled(ImVec2(box_min.x + 4, y + font * 0.3f), ImVec2(box_min.x + 4 + font * 0.7f, y + font * 0.7f + 2),
                          series[i].colour);
      draw->AddText(ImVec2(box_min.x + font + 6, y), IM_COL32(220, 220, 225, 255), series[i].name.c_str());
    }
  }

  // Hover: a vertical line at the pointer's x and every series' value there.
  if (hovered) {
    const float mouse_x = ImGui::GetIO().MousePos.x;
    if (mouse_x >= lo.x && mouse_x <= hi.x) {
      const float x = xa.low + (mouse_x - lo.x) / (hi.x - lo.x) * xa.span();
      draw->AddLine(ImVec2(mouse_x, lo.y), ImVec2(mouse_x, hi.y), IM_COL32(255, 255, 255, 80));
      ImGui::BeginTooltip();
      ImGui::Text("%s %.0f", o.x_label.c_str(), std::floor(x));
      for (const PlotSeries& s : series) {
        float value = 0;
        if (!value_at(s, x, value)) continue;
        ImGui::PushStyleColor(ImGuiCol_Text, s.colour);
        ImGui::Text("%s: %.4g %s", s.name.c_str(), value, o.y_unit.c_str());
        ImGui::PopStyleColor();
      }
      ImGui::EndTooltip();
    }
  }
}

void plot_legend(std::span<const PlotSeries> series) {
  const float font = ImGui::GetFontSize();
  for (size_t i = 0; i < series.size(); ++i) {
    const float width = font * 1.2f + ImGui::CalcTextSize(series[i].name.c_str()).x;
    if (i) {
      ImGui::SameLine(0, font * 1.5f);
      if (ImGui::GetContentRegionAvail().x < width) ImGui::NewLine();
    }
    const ImVec2 at = ImGui::GetCursorScreenPos();
    const float y = at.y + (ImGui::GetTextLineHeight() - font * 0.8f) / 2;
    ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(at.x, y), ImVec2(at.x + font * 0.8f, y + font * 0.8f), series[i].colour, 2.0f);
    ImGui::Dummy(ImVec2(font * 0.8f, ImGui::GetTextLineHeight()));
    ImGui::SameLine(0, font * 0.4f);
    ImGui::TextUnformatted(series[i].name.c_str());
  }
}

}  // namespace convt::lab::ui
