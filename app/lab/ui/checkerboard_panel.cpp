// Checkerboard: the coverage map as a heat map with counts and a legend, the verdict badge with its explanation and
// fix (a button applies the suggested geometry), the measured artifact score (and why it may disagree with the
// verdict), and the resize-then-convolve comparison. For a stack, a second tab shows the whole chain: routes from
// the input to each final output pixel. Everything is read from the result on screen, so nothing outlives it.
#include "panels.h"
#include "plane_textures.h"
#include "widgets.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
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
  LayerPanelState& ui = context.ui.layer;
  ui.link_kernel = layer.kernel.h == layer.kernel.w;
  ui.link_dilation = layer.params.dilation.h == layer.params.dilation.w;
  ui.link_padding = layer.params.padding.h == layer.params.padding.w;
  ui.link_output_padding = layer.params.output_padding.h == layer.params.output_padding.w;
}

// The coverage map: (input pixel, tap) pairs per output pixel, rows[y] * cols[x], drawn from its per-axis counts.
void coverage_map(PanelContext& context, const ComputeResult& r, float side) {
  const CoverageReport& c = r.coverage();
  ViewState& state = context.ui.checkerboard.coverage;
  const ViewGeometry view = tensor_view("##coverage", c.out_h, c.out_w, ImVec2(side, side), state.zoom, state.pan.x, state.pan.y);
  const PlaneView plane = context.model.analyses().coverage_map(r, view.visible, view.box_height(), view.box_width());
  draw_plane(context, "cb.coverage", view, plane, Colormap::Viridis);
  finish_view(view);
  const float most = plane.ranges[0].high;
  auto count = [&c](int64_t y, int64_t x) {
    return c.row_counts[static_cast<size_t>(y)] * c.col_counts[static_cast<size_t>(x)];
  };
  // Counts printed in the cells once they are big enough to read: only the cells on screen.
  if (view.scale >= ImGui::GetFontSize() * 1.3f) {
    ImDrawList* draw = ImGui::GetWindowDrawList();
    draw->PushClipRect(view.box_min, view.box_max, true);
    for (int64_t y = view.visible.y0; y < view.visible.y1; ++y)
      for (int64_t x = view.visible.x0; x < view.visible.x1; ++x) {
        const ImVec2 corner = view.pixel_min(y, x);
        const std::string text = std::to_string(count(y, x));
        const ImVec2 size = ImGui::CalcTextSize(text.c_str());
        const float value = static_cast<float>(count(y, x)) / std::max(most, 1.0f);
        draw->AddText(ImVec2(corner.x + (view.scale - size.x) / 2, corner.y + (view.scale - size.y) / 2),
                      value > 0.6f ? IM_COL32(0, 0, 0, 255) : IM_COL32(255, 255, 255, 255), text.c_str());
      }
    draw->PopClipRect();
  }
  colour_bar(Colormap::Viridis, 0.0f, most, side);
  if (plane.has_range) coverage_legend(c, most, ImGui::GetContentRegionAvail().x);
  if (view.hovered)
    ImGui::SetTooltip("output (%lld, %lld): %lld (input pixel, tap) pairs", static_cast<long long>(view.hover_y),
                      static_cast<long long>(view.hover_x), static_cast<long long>(count(view.hover_y, view.hover_x)));
}

void comparison(PanelContext& context, const ComputeResult& r, float side) {
  ViewSettings& view = context.model.state().view;
  CheckerboardState& ui = context.ui.checkerboard;
  enum_radio(view.comparison, comparison_resize_names());
  const auto resized = context.model.analyses().comparison(r, view.comparison);
  if (!resized.error.empty()) {
    ImGui::TextWrapped("No comparison for this layer: %s", resized.error.c_str());
    return;
  }
  ImGui::BeginGroup();
  ImGui::Text("conv_transpose2d  %lldx%lld", static_cast<long long>(r.output().size(2)), static_cast<long long>(r.output().size(3)));
  plane_view(context, "cb.direct", {r.output_ptr(), r.batch_index, r.out_channel, false, view.colormap}, ImVec2(side, side),
             ui.compare_direct.zoom, ui.compare_direct.pan);
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  if (!resized.value) {
    ImGui::TextDisabled("resize x%s + conv: computing...", to_string(r.layer.params.stride).c_str());
  } else {
    ImGui::Text("resize x%s + conv  %lldx%lld", to_string(r.layer.params.stride).c_str(),
                static_cast<long long>(resized.value->size(-2)), static_cast<long long>(resized.value->size(-1)));
    plane_view(context, "cb.resized", {resized.value, 0, -1, false, view.colormap}, ImVec2(side, side),
               ui.compare_resized.zoom, ui.compare_resized.pan);
  }
  ImGui::EndGroup();
  ImGui::TextDisabled("same kernel (flipped) after %s upsampling: no uneven overlap, no holes",
                      view.comparison == ComparisonResize::Nearest ? "nearest" : "bilinear");
}

const char* const kRoutesHelp =
    "A route is one path from an input pixel to a final output pixel: one kernel tap of every layer on the way. A "
    "single layer's count is its (input pixel, tap) pairs; through a stack the counts multiply and add up.";

// The swatch of `value` on the route map's colours (viridis over [0, most]), then `text`.
void route_swatch(float value, float most, const char* text) {
  const float swatch = ImGui::GetFontSize() * 0.9f;
  uint8_t rgb[3];
  colormap_rgb(Colormap::Viridis, most > 0 ? value / most : 0.0f, rgb);
  const ImVec2 at = ImGui::GetCursorScreenPos();
  const float top = at.y + (ImGui::GetTextLineHeight() - swatch) / 2;
  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->AddRectFilled(ImVec2(at.x, top), ImVec2(at.x + swatch, top + swatch), IM_COL32(rgb[0], rgb[1], rgb[2], 255));
  draw->AddRect(ImVec2(at.x, top), ImVec2(at.x + swatch, top + swatch), IM_COL32(200, 200, 200, 120));
  ImGui::Dummy(ImVec2(swatch, swatch));
  ImGui::SameLine(0, 4);
  ImGui::TextUnformatted(text);
}

// The route map's legend: the colours of the interior's fewest and most routes (what the verdict compares), and
// of the border, where fewer routes arrive because the stamps run off the edge.
void route_legend(const StackCoverageSummary& summary, float most) {
  ImGui::TextDisabled("colour = routes from the input to each final output pixel:");
  help_marker(kRoutesHelp);
  char text[96];
  if (summary.interior_min == summary.interior_max) {
    std::snprintf(text, sizeof text, "%.0f: every interior pixel", summary.interior_max);
    route_swatch(static_cast<float>(summary.interior_max), most, text);
  } else {
    std::snprintf(text, sizeof text, "%.0f: fewest in the interior", summary.interior_min);
    route_swatch(static_cast<float>(summary.interior_min), most, text);
    ImGui::SameLine(0, ImGui::GetStyle().ItemSpacing.x * 2);
    std::snprintf(text, sizeof text, "%.0f: most", summary.interior_max);
    route_swatch(static_cast<float>(summary.interior_max), most, text);
  }
  ImGui::PushTextWrapPos(0.0f);
  ImGui::TextDisabled("the darker frame: border pixels, reached by fewer routes (the stamps run off the edge)");
  ImGui::PopTextWrapPos();
}

// The whole stack's coverage: how many (input pixel, tap path) routes reach each final output pixel.
void whole_stack(PanelContext& context, const ComputeResult& r) {
  const auto product = context.model.analyses().stack_coverage(r);
  if (!product_ready(product, "counting the routes through the whole stack...", "No whole-stack coverage")) return;
  const StackCoverageMap& map = *product.value;
  const StackCoverageSummary& summary = map.summary;
  badge(to_string(summary.verdict), verdict_colour(summary.verdict));
  ImGui::SameLine();
  if (summary.verdict == OverlapVerdict::Uneven)
    ImGui::TextWrapped("some interior outputs get %.4g times the routes of others", summary.ratio);
  else if (summary.verdict == OverlapVerdict::Holes) ImGui::TextUnformatted("some final outputs get no route");
  else ImGui::TextWrapped("every interior output gets %.0f routes", summary.interior_max);
  help_marker(kRoutesHelp);
  ImGui::TextWrapped("Coverage compounds: each layer's pattern is stretched by the next stride and summed by the next "
                     "kernel. An uneven layer followed by an even one can even out; a layer with holes leaves holes.");
  ImGui::TextDisabled("each layer alone:");
  for (size_t i = 0; i < r.stages.size(); ++i) {
    const std::string text = "layer " + std::to_string(i + 1) + " " + to_string(r.stages[i].coverage->verdict) +
                             (i + 1 < r.stages.size() ? "," : "");
    ImGui::SameLine();
    if (ImGui::GetContentRegionAvail().x < ImGui::CalcTextSize(text.c_str()).x) ImGui::NewLine();  // wrap, don't clip
    ImGui::PushStyleColor(ImGuiCol_Text, verdict_colour(r.stages[i].coverage->verdict));
    ImGui::TextUnformatted(text.c_str());
    ImGui::PopStyleColor();
  }
  const Tensor& counts = *map.counts;
  const int64_t h = counts.size(0), w = counts.size(1);
  const float most = std::max(1.0f, map.max);
  ImGui::Text("routes per final output pixel, %lld x %lld", static_cast<long long>(h), static_cast<long long>(w));
  const float side = std::min(ImGui::GetContentRegionAvail().x, ImGui::GetContentRegionAvail().y - ImGui::GetFontSize() * 7);
  ViewState& state = context.ui.checkerboard.stack_coverage;
  PlaneSpec spec{map.counts, 0, -1, false, Colormap::Viridis};
  spec.fixed_range = ValueRange{0.0f, most};
  const PlaneImage image = plane_view(context, "cb.stack", spec, ImVec2(side, std::max(40.0f, side)), state.zoom, state.pan);
  colour_bar(Colormap::Viridis, 0.0f, most, side);
  route_legend(summary, most);
  if (image.view.hovered)
    ImGui::SetTooltip("final output (%lld, %lld): %.0f routes from the input", static_cast<long long>(image.view.hover_y),
                      static_cast<long long>(image.view.hover_x), counts[image.view.hover_y * w + image.view.hover_x]);
}

// When the verdict (from the geometry) and the measured score (from the numbers) seem to disagree, why they don't:
// the screen must never contradict itself.
void verdict_versus_score(OverlapVerdict verdict, const std::string& level) {
  if (level == "n/a") {
    ImGui::TextWrapped("No score: the output is no larger than one stride, so every pixel is its own phase and there is "
                       "no pattern to measure.");
    return;
  }
  const bool weak = level == "none" || level == "faint";
  if (verdict == OverlapVerdict::Uneven && weak)
    ImGui::TextWrapped("Why \"Uneven overlap\" yet a %s score: the geometry makes the phases sum different numbers of "
                       "taps, but whether that shows depends on the weights and the input. It shows when the taps of "
                       "each phase add up to different totals: a kernel whose taps per phase sum to the same value hides "
                       "it, and random weights centred on 0 give totals that are small next to the input's own "
                       "variation. A constant kernel (the checkerboard preset) shows it plainly.",
                       level.c_str());
  else if (verdict == OverlapVerdict::Holes && weak)
    ImGui::TextWrapped("Why \"Holes\" yet a %s score: some outputs get no tap and hold only the bias (0 without one). The "
                       "score measures how much the phase shifts the values; with weights and input centred on 0 the "
                       "other phases also average near that, so the holes show as flat pixels, not as a brightness "
                       "pattern.",
                       level.c_str());
  else if (verdict == OverlapVerdict::Even && level != "none")
    ImGui::TextWrapped("The geometry is even, so this %s pattern comes from the weights or the input: the taps of each "
                       "phase add up to different totals although every phase gets the same number of them.",
                       level.c_str());
}

void artifact_score(PanelContext& context, const ComputeResult& r, float width) {
  // Measured on the actual output: weights can hide or create what the geometry allows.
  const CoverageReport& c = r.coverage();
  const auto product = context.model.analyses().artifact_score(r);
  if (!product_ready(product, "measuring the artifact score...", "No artifact score")) return;
  const ArtifactScore& score = *product.value;
  ImGui::Text("measured artifact score %.3f (%s)", score.score, score.level.c_str());
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
  ImGui::TextWrapped("the share of the output's variation that the phase alone explains: 0 none, 1 all");
  ImGui::PopStyleColor();
  const ModelLayer* node = context.model.model_layer(context.model.state().selected());
  if (node) {
    ImGui::SameLine();
    ImGui::TextDisabled(node->source == ActivationSource::Run ? "real input" : "random input");
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip(node->source == ActivationSource::Run
                            ? "Measured on the node's own output: its real input activation and its weights"
                            : "Measured on the node's output for a random input (the run did not reach it) and its weights");
  }
  help_marker("Fraction of the output's interior variance explained by the output phase ((o + p) mod s): 0 means "
              "the phase says nothing about the value, 1 that the value depends on the phase alone.");
  ImGui::ProgressBar(static_cast<float>(score.score), ImVec2(width, ImGui::GetFontSize() * 0.6f), "");
  // A model's node: the audit's measure of its weights alone (what a constant input would show).
  const ModelSnapshot* snapshot = context.model.model_snapshot();
  const onnx::ConvTransposeAudit* audited = node && snapshot ? snapshot->audit_of(node->node) : nullptr;
  if (audited && audited->imbalance && !context.model.model_layer_edited()) {
    ImGui::Text("weights' phase imbalance %.3f (worst output channel %lld)", audited->imbalance->max,
                static_cast<long long>(audited->imbalance->worst_channel));
    help_marker("Per output channel, how unequal the sums of the kernel taps that reach each output phase are: "
                "(max - min) / max |sum|. 0: every phase gets the same total weight; 1: some phase gets none. A "
                "constant input shows exactly this pattern, whatever the geometry's verdict.");
  }
  verdict_versus_score(c.verdict, score.level);
}

void one_layer(PanelContext& context, const ComputeResult& r) {
  const CoverageReport& c = r.coverage();
  const float avail = ImGui::GetContentRegionAvail().x;

  badge(to_string(c.verdict), verdict_colour(c.verdict));
  if (c.verdict == OverlapVerdict::Uneven) {
    // The marker before the wrapped words, so that it never runs past the panel's edge.
    help_marker("max/min taps in 2-D: among interior outputs (away from the border), the most kernel taps any output "
                "receives divided by the fewest. An output's taps in 2-D are its row's count times its column's count "
                "(the phase lists below).");
    ImGui::SameLine();
    ImGui::TextWrapped("busiest output gets %.3g times the taps of the quietest", c.max_min_ratio);
  } else if (c.verdict == OverlapVerdict::Holes) {
    ImGui::SameLine();
    ImGui::TextUnformatted("some outputs receive no input");
  } else {
    ImGui::SameLine();
    ImGui::TextUnformatted("every interior output gets the same taps");
  }
  ImGui::TextWrapped("%s", c.explanation.c_str());
  if (!c.fix.empty()) {
    ImGui::TextWrapped("Fix: %s", c.fix.c_str());
    // The fix belongs to the result on screen: while it is stale (another layer shown, or still computing) it
    // could land on the wrong layer.
    // A model's node has trained weights of its kernel size: the fix is a change to the model, not to this view.
    const bool from_model = context.model.shows_model_node();
    ImGui::BeginDisabled(context.model.stale() || from_model);
    if (ImGui::Button("Apply the suggested kernel")) apply_fix(context, c);
    ImGui::EndDisabled();
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) {
      if (from_model)
        ImGui::SetTooltip("This node's kernel is the model's trained weight: the fix (kernel %s, dilation %s) is a "
                          "change to the model and a retraining",
                          to_string(c.suggested_kernel).c_str(), to_string(c.suggested_dilation).c_str());
      else
        ImGui::SetTooltip("kernel %s, dilation %s, padding %s, output_padding %s", to_string(c.suggested_kernel).c_str(),
                          to_string(c.suggested_dilation).c_str(), to_string(c.suggested_padding).c_str(),
                          to_string(c.suggested_output_padding).c_str());
    }
  }
  ImGui::TextWrapped("taps per phase (o + p) mod s:  height [%s]  width [%s]", phases_text(c.height).c_str(),
                     phases_text(c.width).c_str());
  help_marker("Along each axis, output row (or column) o is in phase (o + p) mod s (p padding, s stride): outputs of "
              "the same phase receive the same number of kernel taps. The list gives that number for phase 0, 1, ... "
              "All equal: even. Different: uneven overlap, a checkerboard. A 0: holes.");
  artifact_score(context, r, avail);

  // Each analysis below is made only while its section is open.
  if (ImGui::CollapsingHeader("Coverage map: (input pixel, tap) pairs per output pixel", ImGuiTreeNodeFlags_DefaultOpen)) {
    const float side = std::min(avail, std::max(80.0f, ImGui::GetContentRegionAvail().y * 0.42f));
    coverage_map(context, r, side);
  }
  if (ImGui::CollapsingHeader("Resize-then-convolve comparison", ImGuiTreeNodeFlags_DefaultOpen))
    comparison(context, r, std::max(60.0f, (avail - ImGui::GetStyle().ItemSpacing.x) / 2));
}

}  // namespace

void draw_checkerboard_panel(PanelContext& context) {
  const ComputeResult* result = context.model.result();
  if (!result) {
    ImGui::TextDisabled(context.model.computing() ? "computing the first result..." : "no valid layer yet: see Layer");
    return;
  }
  const ComputeResult& r = *result;
  // Everything below describes the result on screen; while that is not the current state's, say so.
  if (context.model.stale()) {
    ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(230, 160, 60, 255));
    ImGui::TextWrapped("%s", context.model.error() ? "This is the last valid layer's analysis: the current one is "
                                                     "invalid (see Layer)."
                                                   : "Updating for the new parameters...");
    ImGui::PopStyleColor();
  }
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
