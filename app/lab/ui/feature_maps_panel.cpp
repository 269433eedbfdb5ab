// Feature maps: the input and output channels side by side with a colour bar, zoom and pan (nearest sampling,
// pixel grid when zoomed in), the value under the pointer, an RGB composite for 3-channel tensors, and the
// receptive links: hover an output pixel to outline the input pixels and kernel taps behind it, or an input
// pixel to outline the outputs it stamps. Thumbnails below pick the channel.
#include "exports.h"
#include "panels.h"
#include "plane_textures.h"
#include "widgets.h"

#include <convt/analysis.h>
#include <convt/error.h>
#include <convt/image.h>
#include <convt/io.h>

#include <algorithm>
#include <string>

namespace convt::lab::ui {
namespace {

constexpr int64_t kMaxThumbnails = 16;
constexpr ImU32 kLinkColour = IM_COL32(255, 214, 0, 255);
constexpr ImU32 kHoverColour = IM_COL32(255, 255, 255, 255);
const char* kColormapNames[] = {"grey", "viridis", "diverging"};

void view_controls(PanelContext& context, const ComputeResult& r) {
  ViewSettings& view = context.model.state().view;
  int colormap = static_cast<int>(view.colormap);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
  if (ImGui::Combo("colormap", &colormap, kColormapNames, IM_ARRAYSIZE(kColormapNames)))
    view.colormap = static_cast<Colormap>(colormap);
  ImGui::SameLine();
  int range = view.global_range ? 1 : 0;
  ImGui::RadioButton("range per channel", &range, 0);
  ImGui::SameLine();
  ImGui::RadioButton("global", &range, 1);
  view.global_range = range == 1;
  const ConvTranspose2dGeometry& g = r.layer.geometry;
  if (g.in_channels == 3 || g.out_channels == 3) {
    ImGui::SameLine();
    ImGui::Checkbox("RGB composite", &context.ui.rgb_composite);
  }
  if (g.batch > 1) {
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    int batch = static_cast<int>(view.batch_index);
    if (ImGui::SliderInt("sample", &batch, 0, static_cast<int>(g.batch - 1))) view.batch_index = batch;
  }
  ImGui::SameLine();
  if (ImGui::SmallButton("Export output")) export_output(context, r);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Write the output as .npy and as a PNG channel grid with a colour bar, in the current folder");
  ImGui::SameLine();
  ImGui::TextDisabled("wheel: zoom, drag: pan, double-click: fit");
}

void thumbnails(PanelContext& context, const char* label, const Tensor& tensor, int64_t batch, int64_t selected,
                uint64_t version, int64_t& choice, const char* slot_prefix) {
  const int64_t channels = tensor.size(1);
  const int64_t shown = std::min(channels, kMaxThumbnails);
  ImGui::TextDisabled("%s (%lld%s)", label, static_cast<long long>(channels),
                      channels > shown ? (", first " + std::to_string(shown) + " shown").c_str() : "");
  const float side = ImGui::GetFontSize() * 2.6f;
  for (int64_t c = 0; c < shown; ++c) {
    const PlaneImage image = plane_image(context, slot_prefix + std::to_string(c), tensor, batch, c, version,
                                         context.model.state().view.colormap);
    if (c) ImGui::SameLine(0, 3);
    ImGui::PushID(static_cast<int>(c));
    const ImVec4 border = c == selected ? ImVec4(1.0f, 0.84f, 0.0f, 1.0f) : ImVec4(0, 0, 0, 0);
    if (ImGui::ImageButton(image.texture, ImVec2(side, side), ImVec2(0, 0), ImVec2(1, 1), 2, border)) choice = c;
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("channel %lld", static_cast<long long>(c));
    ImGui::PopID();
  }
}

}  // namespace

void draw_feature_maps_panel(PanelContext& context) {
  LabModel& model = context.model;
  const ComputeResult* result = model.result();
  if (!result) {
    ImGui::TextDisabled(model.computing() ? "computing the first result..." : "no valid layer yet");
    if (model.error()) {
      ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 110, 110, 255));
      ImGui::TextWrapped("%s", model.error()->message.c_str());
      ImGui::PopStyleColor();
    }
    return;
  }
  const ComputeResult& r = *result;
  ViewSettings& view = model.state().view;
  UiState& ui = context.ui;
  view_controls(context, r);

  const Tensor& x = *r.layer.input;
  const Tensor& y = r.output();
  const ConvTranspose2dGeometry& g = r.layer.geometry;
  const int64_t n = r.batch_index;
  const bool input_rgb = ui.rgb_composite && g.in_channels == 3;
  const bool output_rgb = ui.rgb_composite && g.out_channels == 3;

  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float kernel_width = std::min(avail.x * 0.16f, ImGui::GetFontSize() * 9);
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const float view_width = (avail.x - kernel_width - 2 * gap) / 2;
  const float line = ImGui::GetTextLineHeightWithSpacing();
  const float view_height = std::max(60.0f, avail.y - 7.2f * line - ImGui::GetFontSize() * 2.6f * 2);

  const PlaneImage in_image = plane_image(context, "fm.input", x, n, r.in_channel, r.generation, view.colormap,
                                          view.global_range, input_rgb);
  const PlaneImage out_image = plane_image(context, "fm.output", y, n, r.out_channel, r.generation, view.colormap,
                                           view.global_range, output_rgb);
  const int64_t co_local = r.out_channel % g.out_channels_per_group;
  const PlaneImage kernel_image =
      plane_image(context, "fm.kernel", *r.layer.weight, r.in_channel, co_local, r.generation, Colormap::Diverging);

  // Titles.
  ImGui::BeginGroup();
  ImGui::Text(input_rgb ? "input x[%lld, RGB]  %lldx%lld" : "input x[%lld, %lld]  %lldx%lld", static_cast<long long>(n),
              input_rgb ? static_cast<long long>(g.in_h) : static_cast<long long>(r.in_channel),
              input_rgb ? static_cast<long long>(g.in_w) : static_cast<long long>(g.in_h),
              static_cast<long long>(g.in_w));
  if (r.stack.selected > 0) {
    ImGui::SameLine();
    ImGui::TextDisabled("= layer %lld's output", static_cast<long long>(r.stack.selected));
  }
  const ViewGeometry in_view = tensor_view("##input_view", in_image.texture, in_image.height, in_image.width,
                                           ImVec2(view_width, view_height), view.zoom, ui.input_pan.x, ui.input_pan.y);
  if (!input_rgb) colour_bar(view.colormap, in_image.range.low, in_image.range.high, view_width);
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::Text(output_rgb ? "output y[%lld, RGB]  %lldx%lld" : "output y[%lld, %lld]  %lldx%lld",
              static_cast<long long>(n), output_rgb ? static_cast<long long>(g.out_h) : static_cast<long long>(r.out_channel),
              output_rgb ? static_cast<long long>(g.out_w) : static_cast<long long>(g.out_h), static_cast<long long>(g.out_w));
  if (r.layer.activation != Activation::None) {
    ImGui::SameLine();
    ImGui::TextDisabled("before %s", to_string(r.layer.activation));
  }
  const ViewGeometry out_view = tensor_view("##output_view", out_image.texture, out_image.height, out_image.width,
                                            ImVec2(view_width, view_height), view.zoom, ui.output_pan.x, ui.output_pan.y);
  if (!output_rgb) colour_bar(view.colormap, out_image.range.low, out_image.range.high, view_width);
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::Text("kernel w[%lld, %lld]", static_cast<long long>(r.in_channel), static_cast<long long>(co_local));
  float kernel_zoom = 0, kernel_pan_x = 0, kernel_pan_y = 0;
  const ViewGeometry kernel_view = tensor_view("##kernel_view", kernel_image.texture, kernel_image.height,
                                               kernel_image.width, ImVec2(kernel_width, kernel_width), kernel_zoom,
                                               kernel_pan_x, kernel_pan_y);
  ImGui::TextDisabled("%lldx%lld, diverging", static_cast<long long>(g.kernel_h), static_cast<long long>(g.kernel_w));
  ImGui::EndGroup();

  // Receptive links for the pixel under the pointer.
  std::vector<SpatialLink> links;
  std::string hover_text;
  if (out_view.hovered) {
    links = links_to_output(g, r.layer.params, out_view.hover_y, out_view.hover_x);
    outline_pixel(out_view, out_view.hover_y, out_view.hover_x, kHoverColour);
    for (const SpatialLink& link : links) {
      outline_pixel(in_view, link.iy, link.ix, kLinkColour);
      outline_pixel(kernel_view, link.ky, link.kx, kLinkColour);
    }
    hover_text = "y[" + std::to_string(n) + ", " + std::to_string(r.out_channel) + ", " + std::to_string(out_view.hover_y) +
                 ", " + std::to_string(out_view.hover_x) + "] = " +
                 std::to_string(y.at(n, r.out_channel, out_view.hover_y, out_view.hover_x)) + "   <- " +
                 std::to_string(links.size()) + " (input pixel, kernel tap) pairs per input channel (outlined)";
  } else if (in_view.hovered) {
    links = links_from_input(g, r.layer.params, in_view.hover_y, in_view.hover_x);
    outline_pixel(in_view, in_view.hover_y, in_view.hover_x, kHoverColour);
    for (const SpatialLink& link : links) {
      outline_pixel(out_view, link.oy, link.ox, kLinkColour);
      outline_pixel(kernel_view, link.ky, link.kx, kLinkColour);
    }
    hover_text = "x[" + std::to_string(n) + ", " + std::to_string(r.in_channel) + ", " + std::to_string(in_view.hover_y) +
                 ", " + std::to_string(in_view.hover_x) + "] = " +
                 std::to_string(x.at(n, r.in_channel, in_view.hover_y, in_view.hover_x)) + "   -> stamps " +
                 std::to_string(links.size()) + " output pixels (outlined)";
  }
  for (const auto& [what, count] : {std::pair<const char*, NonFiniteCount>{"input", r.input_nonfinite},
                                    std::pair<const char*, NonFiniteCount>{"output", r.output_nonfinite}})
    if (count.any())
      ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.45f, 1.0f), "the %s has %lld NaN and %lld infinite values (drawn magenta)",
                         what, static_cast<long long>(count.nan), static_cast<long long>(count.inf));
  if (hover_text.empty()) ImGui::TextDisabled("hover a pixel: an output shows its input pixels and kernel taps, an input its footprint");
  else ImGui::TextUnformatted(hover_text.c_str());

  int64_t in_choice = -1, out_choice = -1;
  thumbnails(context, "input channels", x, n, r.in_channel, r.generation, in_choice, "fm.in.");
  thumbnails(context, "output channels", y, n, r.out_channel, r.generation, out_choice, "fm.out.");
  if (in_choice >= 0) {
    view.in_channel = in_choice;
    view.out_channel = first_output_channel_fed_by(g, in_choice);
  }
  if (out_choice >= 0) {
    view.out_channel = out_choice;
    if (view.in_channel / g.in_channels_per_group != out_choice / g.out_channels_per_group)
      view.in_channel = (out_choice / g.out_channels_per_group) * g.in_channels_per_group;
  }
}

}  // namespace convt::lab::ui
