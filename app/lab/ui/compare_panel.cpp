// Compare A/B: configuration B of the shown layer (compare.layer) run on the same input as A, the layer the Layer
// panel edits. A compact editor of B's geometry, then three columns: A, B and their difference B - A. Under each
// output, its coverage map, verdict, measured artifact score and output-size formula. B is made on the worker
// (analyses().compare); an invalid B is one line naming the rule it breaks.
#include "panels.h"
#include "plane_textures.h"
#include "widgets.h"

#include <convt/settings_schema.h>

#include <algorithm>
#include <string>

namespace convt::lab::ui {
namespace {

// An IntPair as one field while linked, two (height, width) otherwise, with the link box: the Layer panel's
// pair_input made narrow, so four fit on a row.
void compact_pair(const char* label, IntPair& value, bool& linked, int64_t minimum, const char* help) {
  ImGui::PushID(label);
  if (value.h != value.w) linked = false;  // a pair set elsewhere (--set, Copy A into B) shows both values
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted(label);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", help);
  ImGui::SameLine(0, 4);
  const int64_t step = 1;
  const float width = ImGui::GetFontSize() * 4.6f;
  if (linked) {
    int64_t both = value.h;
    ImGui::SetNextItemWidth(width);
    if (ImGui::InputScalar("##both", ImGuiDataType_S64, &both, &step, nullptr, "%lld"))
      value.h = value.w = std::clamp(both, minimum, kSettingMax);
  } else {
    ImGui::SetNextItemWidth(width);
    ImGui::InputScalar("##h", ImGuiDataType_S64, &value.h, &step, nullptr, "%lld");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("the height's value");
    ImGui::SameLine(0, 2);
    ImGui::SetNextItemWidth(width);
    ImGui::InputScalar("##w", ImGuiDataType_S64, &value.w, &step, nullptr, "%lld");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("the width's value");
    value.h = std::clamp(value.h, minimum, kSettingMax);
    value.w = std::clamp(value.w, minimum, kSettingMax);
  }
  ImGui::SameLine(0, 2);
  if (ImGui::Checkbox("##link", &linked) && linked) value.w = value.h;
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip(linked ? "Ticked: one value for the height and the width; untick to set them apart"
                             : "Two values: the height's (left) and the width's (right); tick to give both the height's");
  ImGui::PopID();
}

void copy_a_into_b(PanelContext& context) {
  LabState& state = context.model.state();
  state.compare.layer = state.layer();
  TeachViewsUiState& ui = context.ui.teach;
  ui.link_kernel = ui.link_stride = ui.link_padding = ui.link_output_padding = ui.link_dilation = true;
}

void b_editor(PanelContext& context) {
  LabState& state = context.model.state();
  LayerSettings& b = state.compare.layer;
  TeachViewsUiState& ui = context.ui.teach;
  const float gap = ImGui::GetFontSize() * 1.2f;
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("B:");
  ImGui::SameLine();
  compact_pair("kernel", b.kernel, ui.link_kernel, 1, "kernel size: taps per axis (B's)");
  ImGui::SameLine(0, gap);
  compact_pair("stride", b.params.stride, ui.link_stride, 1, "stride: the step between the input pixels' stamps");
  ImGui::SameLine(0, gap);
  compact_pair("padding", b.params.padding, ui.link_padding, 0, "padding: rows and columns cropped from each side");
  compact_pair("output_padding", b.params.output_padding, ui.link_output_padding, 0,
               "output_padding: extra rows and columns at the bottom and right (smaller than the stride or dilation)");
  ImGui::SameLine(0, gap);
  compact_pair("dilation", b.params.dilation, ui.link_dilation, 1, "dilation: the spacing between the kernel's taps");
  ImGui::SameLine(0, gap);
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("C_out");
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("C_out: B's output channels");
  ImGui::SameLine(0, 4);
  int_input("##b_out_channels", b.out_channels, 1, kSettingMax);
  ImGui::SameLine(0, gap);
  if (ImGui::Button("Copy A into B")) copy_a_into_b(context);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("B becomes the Layer panel's layer again (A), weights included");
  ImGui::SameLine();
  if (ImGui::Button("Stop comparing")) state.compare.enabled = false;
}

// One column's data: A's from the result, B's from the compare product.
struct Side {
  const char* title;
  std::shared_ptr<const Tensor> output;
  int64_t channel = 0;
  std::shared_ptr<const CoverageReport> coverage;
  const ArtifactScore* score = nullptr;  // null while being measured
  const ConvTranspose2dGeometry* geometry = nullptr;
  ViewState* output_view = nullptr;
  ViewState* coverage_view = nullptr;
  const char* slot = "";
};

std::string size_text(const Tensor& t) { return std::to_string(t.size(-2)) + "x" + std::to_string(t.size(-1)); }

void formula_lines(const ConvTranspose2dGeometry& g) {
  const std::string h = g.axis_h.formula(), w = g.axis_w.formula();
  if (h == w) {
    ImGui::TextWrapped("height and width: %s", h.c_str());
  } else {
    ImGui::TextWrapped("height: %s", h.c_str());
    ImGui::TextWrapped("width: %s", w.c_str());
  }
}

// The coverage map, small, with the verdict and the measured score beside it and the count legend under it.
void coverage_block(PanelContext& context, const Side& side, float width) {
  const CoverageReport& c = *side.coverage;
  const float map_side = std::min(width * 0.36f, ImGui::GetFontSize() * 6.5f);
  ViewState& state = *side.coverage_view;
  const ViewGeometry view = tensor_view((std::string("##coverage") + side.slot).c_str(), c.out_h, c.out_w,
                                       ImVec2(map_side, map_side), state.zoom, state.pan.x, state.pan.y);
  const PlaneView plane = context.model.analyses().coverage_map(side.coverage, view.visible, view.box_height(), view.box_width());
  draw_plane(context, std::string(side.slot) + ".coverage", view, plane, Colormap::Viridis);
  finish_view(view);
  if (view.hovered)
    ImGui::SetTooltip("%s's output (%lld, %lld): %lld (input pixel, tap) pairs", side.title,
                      static_cast<long long>(view.hover_y), static_cast<long long>(view.hover_x),
                      static_cast<long long>(c.row_counts[static_cast<size_t>(view.hover_y)] *
                                             c.col_counts[static_cast<size_t>(view.hover_x)]));
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + width - map_side - ImGui::GetStyle().ItemSpacing.x);
  badge(to_string(c.verdict), verdict_colour(c.verdict));
  if (c.verdict == OverlapVerdict::Uneven) ImGui::TextWrapped("max/min taps %.3g in 2-D", c.max_min_ratio);
  else if (c.verdict == OverlapVerdict::Holes) ImGui::TextWrapped("some outputs get no input");
  else ImGui::TextWrapped("every interior output gets the same taps");
  if (side.score) ImGui::TextWrapped("artifact score %.3f (%s)", side.score->score, side.score->level.c_str());
  else ImGui::TextDisabled("measuring...");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Measured artifact score: the fraction of the output's interior variance explained by the "
                      "output phase ((o + padding) mod stride). 0: no checkerboard; 1: the phase alone sets the value.");
  ImGui::PopTextWrapPos();
  ImGui::EndGroup();
  coverage_legend(c, plane.ranges[0].high, width);
}

// Returns the height its content took under the output image.
float side_column(PanelContext& context, const Side& side, float width, float image_side) {
  const Colormap colormap = context.model.state().view.colormap;
  ImGui::BeginGroup();
  ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + width);
  ImGui::Text("%s: output %s", side.title, size_text(*side.output).c_str());
  const PlaneImage image = plane_view(context, side.slot, {side.output, context.model.result()->batch_index, side.channel,
                                                           false, colormap},
                                      ImVec2(width, image_side), side.output_view->zoom, side.output_view->pan);
  if (image.view.hovered)
    ImGui::SetTooltip("%s's output (%lld, %lld) = %.4g", side.title, static_cast<long long>(image.view.hover_y),
                      static_cast<long long>(image.view.hover_x),
                      side.output->at(context.model.result()->batch_index, side.channel, image.view.hover_y, image.view.hover_x));
  // The rows and columns output_padding adds, as in the feature maps: where A and B differ in size.
  const IntPair output_padding{side.geometry->axis_h.output_padding, side.geometry->axis_w.output_padding};
  outline_output_padding(image.view, side.output->size(-2), side.output->size(-1), output_padding);
  const float under_image = ImGui::GetCursorPosY();
  if (output_padding.h > 0 || output_padding.w > 0)
    ImGui::TextColored(ImColor(kOutputPaddingColour).Value, "orange: added by output_padding (%lld, %lld)",
                       static_cast<long long>(output_padding.h), static_cast<long long>(output_padding.w));
  colour_bar(colormap, image.range.low, image.range.high, width);
  coverage_block(context, side, width);
  formula_lines(*side.geometry);
  const float below = ImGui::GetCursorPosY() - under_image;
  ImGui::PopTextWrapPos();
  ImGui::EndGroup();
  return below;
}

void difference_column(PanelContext& context, const CompareResult& b, float width, float image_side) {
  const ComputeResult& r = *context.model.result();
  ImGui::BeginGroup();
  ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + width);
  ImGui::Text("B - A  %s%s", size_text(*b.difference).c_str(), b.same_size ? "" : " (the shared top-left)");
  ViewState& state = context.ui.teach.compare_difference;
  const PlaneImage image = plane_view(context, "cmp.difference", {b.difference, 0, -1, false, Colormap::Diverging},
                                      ImVec2(width, image_side), state.zoom, state.pan);
  if (image.view.hovered)
    ImGui::SetTooltip("B - A at (%lld, %lld) = %.4g", static_cast<long long>(image.view.hover_y),
                      static_cast<long long>(image.view.hover_x),
                      (*b.difference)[image.view.hover_y * b.difference->size(1) + image.view.hover_x]);
  colour_bar(Colormap::Diverging, image.range.low, image.range.high, width);
  ImGui::Text("max |B - A| = %.4g", b.max_abs_difference);
  if (b.max_abs_difference == 0) ImGui::TextWrapped("B equals A on every pixel both have.");
  if (!b.same_size)
    ImGui::TextWrapped("The sizes differ (A %s, B %s): the difference covers the top-left %s both share.",
                       size_text(r.output()).c_str(), size_text(*b.output).c_str(), size_text(*b.difference).c_str());
  ImGui::TextDisabled("sample %lld; B's output channel %lld against A's %lld", static_cast<long long>(r.batch_index),
                      static_cast<long long>(b.out_channel), static_cast<long long>(r.out_channel));
  ImGui::TextWrapped("Blue: B is lower, red: B is higher, grey: the same.");
  ImGui::PopTextWrapPos();
  ImGui::EndGroup();
}

}  // namespace

void draw_compare_panel(PanelContext& context) {
  b_editor(context);
  ImGui::Separator();
  const ComputeResult* result = context.model.result();
  if (!result) return;
  const ComputeResult& r = *result;
  const auto compared = context.model.analyses().compare(r, context.model.state().compare.layer);
  if (!product_ready(compared, "running B on A's input...", nullptr, kErrorTextColour)) return;
  const CompareResult& b = *compared.value;
  const auto score_a = context.model.analyses().artifact_score(r);
  TeachViewsUiState& ui = context.ui.teach;
  const Side a_side{"A (the Layer panel's)", r.output_ptr(), r.out_channel, r.stages.at(static_cast<size_t>(r.stack.selected)).coverage,
                    score_a.value.get(), &r.layer.geometry, &ui.compare_a, &ui.coverage_a, "cmp.a"};
  const Side b_side{"B (edited above)", b.output, b.out_channel,
                    std::shared_ptr<const CoverageReport>(compared.value, &b.coverage), &b.score, &b.geometry,
                    &ui.compare_b, &ui.coverage_b, "cmp.b"};
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float spacing = ImGui::GetStyle().ItemSpacing.x * 2;
  const float width = (avail.x - 2 * spacing) / 3;
  // The outputs get the height that the columns' titles and what sits under the outputs (measured last frame:
  // it depends on the width only) leave.
  const float title = ImGui::GetTextLineHeightWithSpacing();
  const float image_side = std::max(48.0f, std::min(width, avail.y - title - ui.compare_below));
  const float below_a = side_column(context, a_side, width, image_side);
  ImGui::SameLine(0, spacing);
  const float below_b = side_column(context, b_side, width, image_side);
  ImGui::SameLine(0, spacing);
  difference_column(context, b, width, image_side);
  ui.compare_below = std::max(below_a, below_b);
}

}  // namespace convt::lab::ui
