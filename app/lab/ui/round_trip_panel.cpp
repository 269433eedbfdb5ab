// The round trip: conv2d with the layer's own weight, stride, padding and dilation, run back down on its output
// (the engine's conv2d_round_trip). It lands on the input's size but not on its values: the transposed
// convolution is conv2d's transpose, not its inverse. Beside the two slices, per axis, every size that conv2d maps
// to the same size, each with the output_padding that produces it: the ambiguity output_padding resolves.
#include "panels.h"
#include "plane_textures.h"
#include "widgets.h"

#include <algorithm>
#include <string>
#include <vector>

namespace convt::lab::ui {
namespace {

const ImVec4 kCurrent(0.45f, 0.85f, 0.55f, 1.0f);  // this layer's own size in the lists

std::string size_text(const Tensor& t) { return std::to_string(t.size(-2)) + "x" + std::to_string(t.size(-1)); }

// One slice, titled, with its size and its colour range under it.
void slice_view(PanelContext& context, const char* id, const char* title, const std::shared_ptr<const Tensor>& tensor,
                int64_t batch, int64_t channel, float side, ViewState& state) {
  const Colormap colormap = context.model.state().view.colormap;
  ImGui::BeginGroup();
  ImGui::Text("%s  %s", title, size_text(*tensor).c_str());
  const PlaneImage image = plane_view(context, id, {tensor, batch, channel, false, colormap}, ImVec2(side, side),
                                      state.zoom, state.pan);
  colour_bar(colormap, image.range.low, image.range.high, side);
  if (image.view.hovered) {
    const Tensor& t = *tensor;
    ImGui::SetTooltip("%s (%lld, %lld) = %.4g", title, static_cast<long long>(image.view.hover_y),
                      static_cast<long long>(image.view.hover_x),
                      t.at(batch, channel, image.view.hover_y, image.view.hover_x));
  }
  ImGui::EndGroup();
}

// The sizes conv2d maps to `back` along one axis, each with its output_padding; this layer's own one marked.
void size_list(const char* axis, const std::vector<ForwardInput>& sizes, int64_t back, int64_t current) {
  ImGui::Text("%s: conv2d maps each of these to %lld", axis, static_cast<long long>(back));
  for (const ForwardInput& size : sizes) {
    const bool mine = size.input == current;
    if (mine) ImGui::PushStyleColor(ImGuiCol_Text, kCurrent);
    ImGui::BulletText("%lld, made by output_padding %lld%s", static_cast<long long>(size.input),
                      static_cast<long long>(size.output_padding), mine ? "  <- this layer" : "");
    if (mine) ImGui::PopStyleColor();
  }
}

}  // namespace

void draw_round_trip_panel(PanelContext& context) {
  const ComputeResult* result = context.model.result();
  if (!result) return;
  const ComputeResult& r = *result;
  const auto product = context.model.analyses().round_trip(r);
  if (!product_ready(product, "running conv2d back down on the output...", "No round trip for this layer")) return;
  const RoundTrip& trip = *product.value;
  const std::shared_ptr<const Tensor> back(product.value, &trip.back);  // a member of the product, sharing it
  const ConvTranspose2dGeometry& g = r.layer.geometry;
  const Tensor& input = *r.layer.input;
  ImGui::TextWrapped("conv2d with the same weight, stride, padding and dilation maps the %lldx%lld output back to "
                     "%s: the input's size, but not its values (read the colour bars). The transposed convolution is "
                     "conv2d's transpose, not its inverse.",
                     static_cast<long long>(g.out_h), static_cast<long long>(g.out_w), size_text(trip.back).c_str());
  if (trip.back.size(-2) != input.size(-2) || trip.back.size(-1) != input.size(-1))
    ImGui::TextWrapped("Here it is not even the input's %s: an output_padding at least the stride (allowed when the "
                       "dilation is larger) adds more than conv2d's rounding can take back.",
                       size_text(input).c_str());

  // The two slices side by side (sample, input channel), the size lists in the width they leave.
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const float below = ImGui::GetTextLineHeightWithSpacing() * 2 + ImGui::GetFontSize();  // title and colour bar
  const float side = std::max(64.0f, std::min(avail.y - below, (avail.x * 0.5f - spacing) / 2));
  TeachViewsUiState& ui = context.ui.teach;
  slice_view(context, "rt.input", "input x", r.layer.input, r.batch_index, r.in_channel, side, ui.round_trip_input);
  ImGui::SameLine();
  slice_view(context, "rt.back", "conv2d(output)", back, r.batch_index, r.in_channel, side, ui.round_trip_back);
  ImGui::SameLine();
  if (ImGui::BeginChild("##round_trip_sizes", ImVec2(0, 0))) {
    ImGui::TextDisabled("sample %lld, input channel %lld", static_cast<long long>(r.batch_index),
                        static_cast<long long>(r.in_channel));
    size_list("height", trip.heights, trip.back.size(-2), g.out_h);
    ImGui::Spacing();
    size_list("width", trip.widths, trip.back.size(-1), g.out_w);
    ImGui::Spacing();
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("A strided conv2d rounds its output size down, so several sizes map to the same one. Going up, "
                       "output_padding says which of them to make.");
    ImGui::PopStyleColor();
  }
  ImGui::EndChild();
}

}  // namespace convt::lab::ui
