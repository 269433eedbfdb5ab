// The 1-D replay along one input row (view.replay_1d): one input row and one kernel row, a 1-D transposed
// convolution read from the engine's matrix (TransposeMatrix1d): the row, the output row growing stamp by stamp, and
// the coverage counter under it; opened large, every stamp's reach too.
#include "step_views.h"
#include "widgets.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace convt::lab::ui {
namespace {

// One labelled strip of `count` cells, `cell_w` wide, drawn by the caller; returns the first cell's top-left and
// the hovered cell (-1: none).
struct Strip {
  ImVec2 origin;
  float cell_w = 0, cell_h = 0;
  int64_t hovered = -1;
  ImVec2 cell_min(int64_t i) const { return {origin.x + i * cell_w, origin.y}; }
  ImVec2 cell_max(int64_t i) const { return {origin.x + (i + 1) * cell_w, origin.y + cell_h}; }
};

Strip strip(const char* label, const char* help, int64_t count, float label_w, float cell_w, float cell_h) {
  if (label_w == 0) {  // the label on its own line above: the strip gets the whole width
    ImGui::TextUnformatted(label);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", help);
  }
  const ImVec2 start = ImGui::GetCursorScreenPos();
  if (label_w > 0) {
    ImGui::SetCursorScreenPos(ImVec2(start.x, start.y + (cell_h - ImGui::GetTextLineHeight()) / 2));
    ImGui::TextUnformatted(label);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", help);
    ImGui::SetCursorScreenPos(ImVec2(start.x + label_w, start.y));
  }
  Strip s{ImVec2(start.x + label_w, start.y), cell_w, cell_h};
  ImGui::Dummy(ImVec2(cell_w * static_cast<float>(count), cell_h));
  if (ImGui::IsItemHovered())
    s.hovered = std::clamp<int64_t>(static_cast<int64_t>((ImGui::GetIO().MousePos.x - s.origin.x) / cell_w), 0, count - 1);
  return s;
}

void cell(const Strip& s, int64_t i, ImU32 background, const char* text) {
  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->AddRectFilled(s.cell_min(i), s.cell_max(i), background);
  draw->AddRect(s.cell_min(i), s.cell_max(i), IM_COL32(90, 90, 100, 255));
  cell_text(s.cell_min(i), s.cell_max(i), text);
}

// Two significant digits: a strip's cells are narrow.
std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2g", value);
  return text;
}

// The layer along one axis, in words: what the 1-D replay stamps with.
void row_replay_caption(const ComputeResult& r, const TransposeMatrix1d& m) {
  std::string kernel;
  for (size_t k = 0; k < m.kernel.size(); ++k) kernel += (k ? ", " : "") + number(m.kernel[k]);
  ImGui::TextWrapped("kernel row (the middle one) = [%s]; along the width: stride %lld, padding %lld at the left and "
                     "%lld at the right, dilation %lld, output_padding %lld. Input: the first %lld of the row's %lld pixels.",
                     kernel.c_str(), static_cast<long long>(m.stride), static_cast<long long>(m.padding),
                     static_cast<long long>(m.padding_end), static_cast<long long>(m.dilation),
                     static_cast<long long>(m.output_padding), static_cast<long long>(m.inputs),
                     static_cast<long long>(r.layer.geometry.in_w));
}

// Every stamp's reach, one row per input: the output cells it adds to, each with the kernel tap that lands there.
// Row i is row i of the matrix C (the Matrix view), read as a scatter.
void stamp_reach(const TransposeMatrix1d& m, int64_t t, float height, float cell_w) {
  ImGui::TextUnformatted("each stamp's reach: row i = input i, the number = the kernel tap landing in that cell");
  help_marker("Read down a column: the stamps that reach one output cell, and so its count. This grid is the matrix C "
              "of the Matrix view, row by row: the transposed convolution is C^T times the input.");
  const float row_h = std::clamp(height / static_cast<float>(m.inputs), 6.0f, ImGui::GetFontSize() * 1.5f);
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImDrawList* draw = ImGui::GetWindowDrawList();
  for (int64_t i = 0; i < m.inputs; ++i)
    for (int64_t o = 0; o < m.outputs; ++o) {
      const int32_t tap = m.tap_at(i, o);
      if (tap < 0) continue;
      const ImVec2 min(origin.x + o * cell_w, origin.y + i * row_h), max(min.x + cell_w, min.y + row_h);
      draw->AddRectFilled(min, max, i < t ? IM_COL32(70, 70, 90, 255) : IM_COL32(40, 40, 48, 255));
      draw->AddRect(min, max, i == t - 1 ? kStampColour : IM_COL32(90, 90, 100, 255), 0.0f, 0, i == t - 1 ? 2.0f : 1.0f);
      cell_text(min, max, std::to_string(tap).c_str());
    }
  ImGui::Dummy(ImVec2(cell_w * static_cast<float>(m.outputs), row_h * static_cast<float>(m.inputs)));
}


}  // namespace

void row_replay(PanelContext& context, const ComputeResult& r, ImVec2 size, bool large) {
  ViewSettings& settings = context.model.state().view;
  StepsUiState& ui = context.ui.steps;
  const float top = ImGui::GetCursorPosY();
  ImGui::TextUnformatted("One input row, one kernel row: a 1-D transposed convolution.");
  help_marker("Each input value multiplies the kernel row and adds it to the output row, stride cells further along "
              "than the previous input's. Where stamps overlap, an output cell collects more taps: the counter at the "
              "bottom. The 2-D layer does this along rows and along columns; its coverage is the product of the two.");
  ImGui::SameLine(0, ImGui::GetFontSize() * 2);
  // Shows the row itself: -1 (the middle row, the default) becomes its number once the user edits it.
  int64_t row = matrix_input_row(r, settings.replay_row);
  if (int_input("input row", row, 0, std::max<int64_t>(0, r.layer.geometry.in_h - 1))) settings.replay_row = row;
  help_marker("The input row replayed (view.replay_row; by default the middle row).");
  const auto product = context.model.analyses().matrix(r, settings.replay_row, -1);
  if (!product_ready(product, "computing the row...")) return;
  const TransposeMatrix1d& m = *product.value;
  row_replay_caption(r, m);
  stamp_controls(context, ui.row_step, m.inputs, ui.row_stamps_per_second, ui.row_clock);
  const int64_t t = ui.row_step;
  const std::vector<double> partial = m.partial_output(t);
  const std::vector<int64_t> hits = m.hits_after(t), final_hits = m.hits_after(m.inputs);
  const int64_t most = std::max<int64_t>(1, *std::max_element(final_hits.begin(), final_hits.end()));

  const float line = ImGui::GetTextLineHeightWithSpacing(), spacing = ImGui::GetStyle().ItemSpacing.x;
  const float left = size.y - (ImGui::GetCursorPosY() - top) - 2.5f * line;
  const float cell_h = large ? ImGui::GetFontSize() * 2.2f : std::clamp(left / 6, ImGui::GetFontSize() * 1.4f, ImGui::GetFontSize() * 2.6f);
  const float fan_h = large ? ImGui::GetFontSize() * 6 : std::clamp(left - 3 * cell_h - 3 * ImGui::GetStyle().ItemSpacing.y, 20.0f, 200.0f);
  const float label_w = large ? 0.0f : ImGui::CalcTextSize("taps landed so far").x + 2 * spacing;
  const float width = size.x - label_w - spacing;
  const float out_w = std::min(width / static_cast<float>(m.outputs), ImGui::GetFontSize() * 4);
  const float in_w = std::min(width / static_cast<float>(m.inputs), ImGui::GetFontSize() * 4);

  const Strip in = strip("input row", "The input row's values; yellow: the value stamping now, lighter: stamped already.",
                         m.inputs, label_w, in_w, cell_h);
  for (int64_t i = 0; i < m.inputs; ++i)
    cell(in, i, i < t ? IM_COL32(70, 70, 90, 255) : IM_COL32(35, 35, 42, 255), number(m.input[static_cast<size_t>(i)]).c_str());
  const float fan_top = ImGui::GetCursorPosY();
  ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + (large ? size.x : label_w - spacing));
  ImGui::TextDisabled("lines: where the current stamp lands, numbered by kernel tap");
  ImGui::PopTextWrapPos();
  if (ImGui::GetCursorPosY() < fan_top + fan_h) ImGui::Dummy(ImVec2(1, fan_top + fan_h - ImGui::GetCursorPosY()));
  const float fan_bottom = ImGui::GetCursorScreenPos().y;
  const Strip out = strip("output row", "The output row after the stamps so far; yellow: the cells the current stamp "
                          "adds to (the number on each line is the kernel tap that lands there), lighter: reached already.",
                          m.outputs, label_w, out_w, cell_h);
  for (int64_t o = 0; o < m.outputs; ++o)
    cell(out, o, hits[static_cast<size_t>(o)] > 0 ? IM_COL32(70, 70, 90, 255) : IM_COL32(35, 35, 42, 255),
         number(partial[static_cast<size_t>(o)]).c_str());
  const Strip counts = strip("taps landed so far", "How many (input, tap) pairs have landed on each output cell: after "
                             "every stamp, the coverage count. Uneven counts are the checkerboard.",
                             m.outputs, label_w, out_w, cell_h);
  for (int64_t o = 0; o < m.outputs; ++o) {
    uint8_t rgb[3];
    colormap_rgb(Colormap::Viridis, static_cast<float>(hits[static_cast<size_t>(o)]) / static_cast<float>(most), rgb);
    const ImU32 colour = hits[static_cast<size_t>(o)] > 0 ? IM_COL32(rgb[0] / 2, rgb[1] / 2, rgb[2] / 2, 255) : IM_COL32(35, 35, 42, 255);
    cell(counts, o, colour, std::to_string(hits[static_cast<size_t>(o)]).c_str());
  }
  if (t > 0) {  // the current stamp: its input cell, a line to each output cell it reaches, those cells outlined
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec2 from((in.cell_min(t - 1).x + in.cell_max(t - 1).x) / 2, in.cell_max(t - 1).y);
    draw->AddRect(in.cell_min(t - 1), in.cell_max(t - 1), kStampColour, 0.0f, 0, 3.0f);
    for (int64_t o = 0; o < m.outputs; ++o) {
      const int32_t tap = m.tap_at(t - 1, o);
      if (tap < 0) continue;
      const ImVec2 to((out.cell_min(o).x + out.cell_max(o).x) / 2, fan_bottom);
      draw->AddLine(from, to, kStampColour, 1.5f);
      const std::string label = std::to_string(tap);
      draw->AddText(ImVec2(to.x - ImGui::CalcTextSize(label.c_str()).x / 2, to.y - ImGui::GetTextLineHeight() - 2),
                    kStampColour, label.c_str());
      draw->AddRect(out.cell_min(o), out.cell_max(o), kStampColour, 0.0f, 0, 3.0f);
    }
  }
  if (out.hovered >= 0 || counts.hovered >= 0) {
    const int64_t o = out.hovered >= 0 ? out.hovered : counts.hovered;
    ImGui::SetTooltip("output cell %lld: %.6g after %lld stamps; %lld taps so far, %lld after all", static_cast<long long>(o),
                      partial[static_cast<size_t>(o)], static_cast<long long>(t), static_cast<long long>(hits[static_cast<size_t>(o)]),
                      static_cast<long long>(final_hits[static_cast<size_t>(o)]));
  }
  if (large) stamp_reach(m, t, size.y - (ImGui::GetCursorPosY() - top) - 3 * line, out_w);
  std::string final_text;
  for (int64_t count : final_hits) final_text += std::to_string(count) + " ";
  ImGui::TextWrapped("Taps per output cell after all %lld stamps: %s", static_cast<long long>(m.inputs), final_text.c_str());
  ImGui::TextDisabled("Equal counts in the middle: even overlap. Alternating counts (1 2 1 2): the phase pattern of the checkerboard.");
}


}  // namespace convt::lab::ui
