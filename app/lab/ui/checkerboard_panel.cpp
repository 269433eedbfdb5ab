// Checkerboard: the coverage map as a heat map with counts, the verdict badge with its explanation and fix (a
// button applies the suggested geometry), the measured artifact score, and the resize-then-convolve comparison.
// For a stack, a second tab shows the whole chain: routes from the input to each final output pixel.
#include "panels.h"
#include "plane_textures.h"
#include "widgets.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace convt::lab::ui {
namespace {

std::string phases_text(const AxisCoverage& a) {
  if (a.taps_by_phase.empty())  // a stride too large to list
    return std::to_string(a.stride - a.phases_without_taps) + " of " + std::to_string(a.stride) + " phases have taps";
  std::string text;
  for (size_t r = 0; r < a.taps_by_phase.size(); ++r)
    text += (r ? ", " : "") + std::to_string(a.taps_by_phase[r]);
  return text;
}

void apply_fix(PanelContext& context, const CoverageReport& c) {
  LayerSettings& layer = context.model.state().layer();
  layer.kernel = c.suggested_kernel;
  layer.params.dilation = c.suggested_dilation;
  layer.params.padding = c.suggested_padding;
  layer.params.output_padding = c.suggested_output_padding;
  UiState& ui = context.ui;
  ui.link_kernel = layer.kernel.h == layer.kernel.w;
  ui.link_dilation = layer.params.dilation.h == layer.params.dilation.w;
  ui.link_padding = layer.params.padding.h == layer.params.padding.w;
  ui.link_output_padding = layer.params.output_padding.h == layer.params.output_padding.w;
}

void coverage_map(PanelContext& context, const ComputeResult& r, float side) {
  const CoverageReport& c = r.coverage;
  static std::vector<float> counts;
  static uint64_t counts_generation = 0;
  if (counts_generation != r.generation || counts.size() != c.counts.size()) {
    counts.assign(c.counts.begin(), c.counts.end());
    counts_generation = r.generation;
  }
  const float most = counts.empty() ? 1.0f : *std::max_element(counts.begin(), counts.end());
  const PlaneImage map = raw_plane_image(context, "cb.coverage", counts.data(), c.out_h, c.out_w, r.generation,
                                         Colormap::Viridis, {0.0f, std::max(most, 1.0f)});
  static float zoom = 0, pan_x = 0, pan_y = 0;
  const ViewGeometry view = tensor_view("##coverage", map.texture, c.out_h, c.out_w, ImVec2(side, side), zoom, pan_x, pan_y);
  // Counts printed in the cells once they are big enough to read.
  if (view.scale >= ImGui::GetFontSize() * 1.3f) {
    ImDrawList* draw = ImGui::GetWindowDrawList();
    draw->PushClipRect(view.box_min, view.box_max, true);
    for (int64_t y = 0; y < c.out_h; ++y)
      for (int64_t x = 0; x < c.out_w; ++x) {
        const ImVec2 corner = view.pixel_min(y, x);
        if (corner.x > view.box_max.x || corner.y > view.box_max.y || corner.x + view.scale < view.box_min.x ||
            corner.y + view.scale < view.box_min.y)
          continue;
        const std::string text = std::to_string(c.counts[static_cast<size_t>(y * c.out_w + x)]);
        const ImVec2 size = ImGui::CalcTextSize(text.c_str());
        const float value = counts[static_cast<size_t>(y * c.out_w + x)] / std::max(most, 1.0f);
        draw->AddText(ImVec2(corner.x + (view.scale - size.x) / 2, corner.y + (view.scale - size.y) / 2),
                      value > 0.6f ? IM_COL32(0, 0, 0, 255) : IM_COL32(255, 255, 255, 255), text.c_str());
      }
    draw->PopClipRect();
  }
  if (view.hovered)
    ImGui::SetTooltip("output (%lld, %lld): %lld (input pixel, tap) pairs", static_cast<long long>(view.hover_y),
                      static_cast<long long>(view.hover_x),
                      static_cast<long long>(c.counts[static_cast<size_t>(view.hover_y * c.out_w + view.hover_x)]));
}

void comparison(PanelContext& context, const ComputeResult& r, float side) {
  ViewSettings& view = context.model.state().view;
  int mode = static_cast<int>(view.comparison);
  ImGui::TextUnformatted("Resize-then-convolve:");
  ImGui::SameLine();
  ImGui::RadioButton("nearest", &mode, 0);
  ImGui::SameLine();
  ImGui::RadioButton("bilinear", &mode, 1);
  view.comparison = static_cast<ComparisonResize>(mode);
  if (!r.comparison_error.empty()) {
    ImGui::TextWrapped("No comparison for this layer: %s", r.comparison_error.c_str());
    return;
  }
  const PlaneImage direct = plane_image(context, "cb.direct", r.output(), r.batch_index, r.out_channel, r.generation, view.colormap);
  const PlaneImage resized = plane_image(context, "cb.resized", r.comparison, 0, -1, r.generation, view.colormap);
  float z1 = 0, x1 = 0, y1 = 0, z2 = 0, x2 = 0, y2 = 0;
  ImGui::BeginGroup();
  ImGui::Text("conv_transpose2d  %lldx%lld", static_cast<long long>(direct.height), static_cast<long long>(direct.width));
  tensor_view("##cmp_direct", direct.texture, direct.height, direct.width, ImVec2(side, side), z1, x1, y1);
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::Text("resize x%s + conv  %lldx%lld", to_string(r.layer.params.stride).c_str(), static_cast<long long>(resized.height),
              static_cast<long long>(resized.width));
  tensor_view("##cmp_resized", resized.texture, resized.height, resized.width, ImVec2(side, side), z2, x2, y2);
  ImGui::EndGroup();
  ImGui::TextDisabled("same kernel (flipped) after %s upsampling: no uneven overlap, no holes",
                      view.comparison == ComparisonResize::Nearest ? "nearest" : "bilinear");
}

// The whole stack's coverage: how many (input pixel, tap path) routes reach each final output pixel.
void whole_stack(PanelContext& context, const ComputeResult& r) {
  const StackCoverageSummary& summary = r.stack_summary;
  badge(to_string(summary.verdict), verdict_colour(summary.verdict));
  ImGui::SameLine();
  if (summary.verdict == OverlapVerdict::Uneven) ImGui::Text("routes per output, max/min %.4g", summary.ratio);
  else if (summary.verdict == OverlapVerdict::Holes) ImGui::TextUnformatted("some final outputs get no route");
  else ImGui::Text("every interior output gets %.0f routes", summary.interior_max);
  ImGui::TextWrapped("Coverage compounds: each layer's pattern is stretched by the next stride and summed by the next "
                     "kernel. An uneven layer followed by an even one can even out; a layer with holes leaves holes.");
  for (size_t i = 0; i < r.stages.size(); ++i) {
    if (i) ImGui::SameLine();
    ImGui::PushStyleColor(ImGuiCol_Text, verdict_colour(r.stages[i].coverage.verdict));
    ImGui::Text("%zu: %s", i + 1, to_string(r.stages[i].coverage.verdict));
    ImGui::PopStyleColor();
  }
  const Tensor& counts = r.stack_coverage;
  const int64_t h = counts.size(0), w = counts.size(1);
  const float most = std::max(1.0f, r.stack_coverage_max);
  const PlaneImage map = raw_plane_image(context, "cb.stack", counts.data(), h, w, r.generation, Colormap::Viridis,
                                         {0.0f, most});
  ImGui::Text("routes per final output pixel, %lld x %lld", static_cast<long long>(h), static_cast<long long>(w));
  const float side = std::min(ImGui::GetContentRegionAvail().x, ImGui::GetContentRegionAvail().y - ImGui::GetFontSize() * 3);
  static float zoom = 0, pan_x = 0, pan_y = 0;
  const ViewGeometry view = tensor_view("##stack_coverage", map.texture, h, w, ImVec2(side, std::max(40.0f, side)), zoom, pan_x, pan_y);
  colour_bar(Colormap::Viridis, 0.0f, most, side);
  if (view.hovered)
    ImGui::SetTooltip("final output (%lld, %lld): %.0f routes from the input", static_cast<long long>(view.hover_y),
                      static_cast<long long>(view.hover_x), counts[view.hover_y * w + view.hover_x]);
}

void one_layer(PanelContext& context, const ComputeResult& r) {
  const CoverageReport& c = r.coverage;
  const float avail = ImGui::GetContentRegionAvail().x;

  badge(to_string(c.verdict), verdict_colour(c.verdict));
  ImGui::SameLine();
  if (c.verdict == OverlapVerdict::Uneven) ImGui::Text("max/min taps %.3g in 2-D", c.max_min_ratio);
  else if (c.verdict == OverlapVerdict::Holes) ImGui::TextUnformatted("some outputs receive no input");
  else ImGui::TextUnformatted("every interior output gets the same taps");
  ImGui::TextWrapped("%s", c.explanation.c_str());
  if (!c.fix.empty()) {
    ImGui::TextWrapped("Fix: %s", c.fix.c_str());
    // The fix belongs to the result on screen: while it is stale (another layer shown, or still computing) it
    // could land on the wrong layer.
    ImGui::BeginDisabled(context.model.stale());
    if (ImGui::Button("Apply the suggested kernel")) apply_fix(context, c);
    ImGui::EndDisabled();
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("kernel %s, dilation %s, padding %s, output_padding %s", to_string(c.suggested_kernel).c_str(),
                        to_string(c.suggested_dilation).c_str(), to_string(c.suggested_padding).c_str(),
                        to_string(c.suggested_output_padding).c_str());
  }
  ImGui::Text("taps per phase (o + p) mod s:  height [%s]  width [%s]", phases_text(c.height).c_str(), phases_text(c.width).c_str());

  // Measured on the actual output: weights can hide or create what the geometry allows.
  const ArtifactScore& score = r.score;
  ImGui::Text("measured artifact score %.3f (%s)", score.score, score.level.c_str());
  help_marker("Fraction of the output's interior variance explained by the output phase ((o + p) mod s): 0 means "
              "the phase says nothing about the value, 1 that the value depends on the phase alone.");
  ImGui::ProgressBar(static_cast<float>(score.score), ImVec2(avail, ImGui::GetFontSize() * 0.6f), "");
  if (c.verdict != OverlapVerdict::Even && score.level == "none")
    ImGui::TextWrapped("The geometry allows a checkerboard, but these weights and inputs cancel it.");
  else if (c.verdict == OverlapVerdict::Even && score.level != "none")
    ImGui::TextWrapped("The geometry is even: this pattern comes from the weights or the input.");

  ImGui::Separator();
  ImGui::TextUnformatted("Coverage map: (input pixel, tap) pairs per output pixel");
  const float side = std::min(avail, std::max(80.0f, ImGui::GetContentRegionAvail().y * 0.45f));
  coverage_map(context, r, side);
  ImGui::Separator();
  comparison(context, r, std::max(60.0f, (avail - ImGui::GetStyle().ItemSpacing.x) / 2));
}

}  // namespace

void draw_checkerboard_panel(PanelContext& context) {
  const ComputeResult* result = context.model.result();
  if (!result) return;
  const ComputeResult& r = *result;
  if (r.stages.size() < 2) {
    one_layer(context, r);
    return;
  }
  // Which analysis: the shown layer's own, or the whole chain's (a view setting, so --set and workspaces keep it).
  bool& whole = context.model.state().view.whole_stack;
  const std::string layer_label = "Layer " + std::to_string(r.stack.selected + 1);
  if (ImGui::RadioButton(layer_label.c_str(), !whole)) whole = false;
  ImGui::SameLine();
  if (ImGui::RadioButton("Whole stack", whole)) whole = true;
  ImGui::Separator();
  if (whole) whole_stack(context, r);
  else one_layer(context, r);
}

}  // namespace convt::lab::ui
