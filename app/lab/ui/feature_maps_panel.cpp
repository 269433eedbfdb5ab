// Feature maps: the input and output channels side by side with a colour bar, zoom and pan (nearest sampling,
// pixel grid when zoomed in), the value under the pointer, an RGB composite for 3-channel tensors, and the
// receptive links: hover an output pixel to outline the input pixels and kernel taps behind it, or an input
// pixel to outline the outputs it stamps. A click pins a pixel (view.pin, view.pin_input) for the Pixel
// inspector, and its terms stay outlined; the rows and columns output_padding adds are outlined too.
// Thumbnails below pick the channel.
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
// A press and release closer than this (screen pixels) is a click; farther, it was a drag that panned the view.
constexpr float kClickSlop = 3.0f;

void view_controls(PanelContext& context, const ComputeResult& r) {
  ViewSettings& view = context.model.state().view;
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
  enum_combo("colormap", view.colormap, colormap_names());
  ImGui::SameLine();
  int range = view.global_range ? 1 : 0;
  ImGui::RadioButton("range per channel", &range, 0);
  ImGui::SameLine();
  ImGui::RadioButton("global", &range, 1);
  view.global_range = range == 1;
  const ConvTranspose2dGeometry& g = r.layer.geometry;
  if (g.in_channels == 3 || g.out_channels == 3) {
    ImGui::SameLine();
    ImGui::Checkbox("RGB composite", &context.ui.feature_maps.rgb_composite);
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
  // The mouse's uses, in full where the row has room for them, else behind a marker.
  const char* const mouse = "wheel: zoom, drag: pan, double-click: fit";
  const char* const mouse_help = "Mouse wheel: zoom about the pointer. Drag: pan. Double-click: fit the view. Click a "
                                 "pixel: pin it for the Pixel inspector. Right-click: unpin. Home: fit every view.";
  ImGui::SameLine();
  if (ImGui::GetContentRegionAvail().x >= ImGui::CalcTextSize(mouse).x) {
    ImGui::TextDisabled("%s", mouse);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", mouse_help);
  } else {
    ImGui::TextDisabled("mouse");
    help_marker(mouse_help);
  }
}

void thumbnails(PanelContext& context, const char* label, const std::shared_ptr<const Tensor>& tensor, int64_t batch,
                int64_t selected, int64_t& choice, const char* slot_prefix) {
  const int64_t channels = tensor->size(1);
  const int64_t shown = std::min(channels, kMaxThumbnails);
  ImGui::TextDisabled("%s (%lld%s)", label, static_cast<long long>(channels),
                      channels > shown ? (", first " + std::to_string(shown) + " shown").c_str() : "");
  const float side = ImGui::GetFontSize() * 2.6f;
  for (int64_t c = 0; c < shown; ++c) {
    PlaneSpec spec{tensor, batch, c, false, context.model.state().view.colormap};
    if (c) ImGui::SameLine(0, 3);
    if (plane_thumbnail(context, (slot_prefix + std::to_string(c)).c_str(), spec, side, c == selected)) choice = c;
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("channel %lld", static_cast<long long>(c));
  }
}

void nonfinite_warnings(PanelContext& context, const ComputeResult& r) {
  for (const auto& [what, tensor] : {std::pair<const char*, std::shared_ptr<const Tensor>>{"input", r.layer.input},
                                     std::pair<const char*, std::shared_ptr<const Tensor>>{"output", r.output_ptr()}}) {
    const auto count = context.model.analyses().nonfinite(tensor);
    if (count.value && count.value->any())
      ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.45f, 1.0f), "the %s has %lld NaN and %lld infinite values (drawn magenta)",
                         what, static_cast<long long>(count.value->nan), static_cast<long long>(count.value->inf));
  }
}

// A left click (a press and release without dragging: a drag pans) on a pixel of `view` pins it; a right click
// unpins. Both go through the settings (view.pin, view.pin_input), so --set and workspaces keep the pin.
void pin_on_click(ViewSettings& settings, const ViewGeometry& view, PinTarget target) {
  if (!view.hovered) return;
  const ImGuiIO& io = ImGui::GetIO();
  if (ImGui::IsMouseReleased(ImGuiMouseButton_Left) &&
      io.MouseDragMaxDistanceSqr[ImGuiMouseButton_Left] < kClickSlop * kClickSlop)
    settings.pin = {target, view.hover_y, view.hover_x};
  if (ImGui::IsMouseClicked(ImGuiMouseButton_Right)) settings.pin = {};
}

std::string pixel_name(const char* tensor, int64_t n, int64_t c, int64_t y, int64_t x) {
  return std::string(tensor) + "[" + std::to_string(n) + ", " + std::to_string(c) + ", " + std::to_string(y) + ", " +
         std::to_string(x) + "]";
}

// The pinned pixel and its terms, outlined from the inspector's own products: an output pixel's input pixels (those
// of the shown input channel) and kernel taps, or an input pixel's footprint and taps. Returns the line that says
// what is outlined, or the product's error when the pin is outside the plane ("" while it is computed).
struct PinSummary {
  std::string text;
  bool error = false;
};
PinSummary pin_overlay(PanelContext& context, const ComputeResult& r, const ViewGeometry& in_view,
                        const ViewGeometry& out_view, const ViewGeometry& kernel_view) {
  const PixelPin& pin = context.model.state().view.pin;
  if (pin.target == PinTarget::Output) {
    const auto product = context.model.analyses().pixel_terms(r, pin.y, pin.x);
    if (!product.value) return {product.error, true};
    outline_pixel(out_view, pin.y, pin.x, kPinColour, 3.0f);
    const std::vector<PixelTerm>& terms = product.value->terms;
    if (terms.empty())
      return {"pinned " + pixel_name("y", r.batch_index, r.out_channel, pin.y, pin.x) +
              ": a hole, no (input pixel, tap) pair lands on it"};
    int64_t channels = 0, outlined = 0;
    for (size_t i = 0; i < terms.size(); ++i) {
      if (i == 0 || terms[i].in_channel != terms[i - 1].in_channel) ++channels;
      if (terms[i].in_channel != r.in_channel) continue;
      outline_pixel(in_view, terms[i].iy, terms[i].ix, kPinColour);
      outline_pixel(kernel_view, terms[i].ky, terms[i].kx, kPinColour);
      ++outlined;
    }
    return {"pinned " + pixel_name("y", r.batch_index, r.out_channel, pin.y, pin.x) + ": " + std::to_string(terms.size()) +
           " terms from " + std::to_string(channels) + " input channel" + (channels == 1 ? "" : "s") + "; outlined: the " +
           std::to_string(outlined) + " of input channel " + std::to_string(r.in_channel)};
  }
  if (pin.target == PinTarget::Input) {
    const auto product = context.model.analyses().footprint(r, pin.y, pin.x);
    if (!product.value) return {product.error, true};
    outline_pixel(in_view, pin.y, pin.x, kPinColour, 3.0f);
    for (const PixelTerm& t : product.value->terms) {
      outline_pixel(out_view, t.oy, t.ox, kPinColour);
      outline_pixel(kernel_view, t.ky, t.kx, kPinColour);
    }
    return {"pinned " + pixel_name("x", r.batch_index, r.in_channel, pin.y, pin.x) + ": stamps " +
           std::to_string(product.value->terms.size()) + " output pixels (outlined), " +
           std::to_string(product.value->cropped_taps) + " taps cropped by padding"};
  }
  return {};
}

std::string count_of(int64_t count, const char* what) {
  return std::to_string(count) + " " + what + (count == 1 ? "" : "s");
}

// What the orange outline marks: "orange: the last 1 row + 1 column, added by output_padding".
std::string output_padding_text(const IntPair& op) {
  std::string added;
  if (op.h > 0) added = "last " + count_of(op.h, "row");
  if (op.w > 0) added += (added.empty() ? "last " : " + ") + count_of(op.w, "column");
  return "orange: the " + added + ", added by output_padding";
}

// The caption's wrap width under a view `width` wide, leaving room for its (?), and the height it takes there.
float caption_wrap_width(float width) {
  return width - ImGui::CalcTextSize("(?)").x - ImGui::GetStyle().ItemSpacing.x;
}
float caption_height(const std::string& text, float width) {
  return ImGui::CalcTextSize(text.c_str(), nullptr, false, caption_wrap_width(width)).y + ImGui::GetStyle().ItemSpacing.y;
}

// Under the output view, within its `width`: which rows and columns the orange outline marks.
void output_padding_caption(const std::string& text, float width) {
  ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + caption_wrap_width(width));
  ImGui::PushStyleColor(ImGuiCol_Text, kOutputPaddingColour);
  ImGui::TextWrapped("%s", text.c_str());
  ImGui::PopStyleColor();
  ImGui::PopTextWrapPos();
  help_marker("output_padding makes the output op rows taller (at the bottom) and op columns wider (at the right). "
              "They are computed like every other pixel: taps land there if the padding would otherwise have cropped "
              "them; where no tap reaches, the pixel holds only the bias.");
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
  FeatureMapsState& ui = context.ui.feature_maps;
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
  const IntPair& output_padding = r.layer.params.output_padding;
  const bool has_output_padding = output_padding.h > 0 || output_padding.w > 0;
  const std::string output_padding_note = has_output_padding ? output_padding_text(output_padding) : "";
  const float note_height = has_output_padding ? caption_height(output_padding_note, view_width) : 0.0f;
  const float view_height = std::max(60.0f, avail.y - 7.2f * line - note_height - ImGui::GetFontSize() * 2.6f * 2);

  // Titles.
  ImGui::BeginGroup();
  ImGui::Text(input_rgb ? "input x[%lld, RGB]  %lldx%lld" : "input x[%lld, %lld]  %lldx%lld", static_cast<long long>(n),
              input_rgb ? static_cast<long long>(g.in_h) : static_cast<long long>(r.in_channel),
              input_rgb ? static_cast<long long>(g.in_w) : static_cast<long long>(g.in_h),
              static_cast<long long>(g.in_w));
  if (const ModelLayer* node = model.model_layer(r.stack.selected)) {
    ImGui::SameLine();
    if (node->source == ActivationSource::Run) ImGui::TextDisabled("= the model's activation");
    else ImGui::TextColored(ImVec4(0.9f, 0.63f, 0.24f, 1.0f), "random: the run did not reach it");
  } else if (r.stack.selected > 0) {
    ImGui::SameLine();
    ImGui::TextDisabled("= layer %lld's output", static_cast<long long>(r.stack.selected));
  }
  const PlaneImage in_image =
      plane_view(context, "fm.input", {r.layer.input, n, input_rgb ? 0 : r.in_channel, input_rgb, view.colormap, view.global_range},
                 ImVec2(view_width, view_height), view.zoom, ui.input_pan);
  const ViewGeometry& in_view = in_image.view;
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
  const PlaneImage out_image =
      plane_view(context, "fm.output", {r.output_ptr(), n, output_rgb ? 0 : r.out_channel, output_rgb, view.colormap, view.global_range},
                 ImVec2(view_width, view_height), view.zoom, ui.output_pan);
  const ViewGeometry& out_view = out_image.view;
  if (!output_rgb) colour_bar(view.colormap, out_image.range.low, out_image.range.high, view_width);
  if (has_output_padding) {
    outline_output_padding(out_view, g.out_h, g.out_w, output_padding);
    output_padding_caption(output_padding_note, view_width);
  }
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  const int64_t co_local = r.out_channel % g.out_channels_per_group;
  ImGui::Text("kernel w[%lld, %lld]", static_cast<long long>(r.in_channel), static_cast<long long>(co_local));
  const PlaneImage kernel_image =
      plane_view(context, "fm.kernel", {r.layer.weight, r.in_channel, co_local, false, Colormap::Diverging},
                 ImVec2(kernel_width, kernel_width), ui.kernel.zoom, ui.kernel.pan);
  const ViewGeometry& kernel_view = kernel_image.view;
  ImGui::TextDisabled("%lldx%lld, diverging", static_cast<long long>(g.kernel_h), static_cast<long long>(g.kernel_w));
  ImGui::EndGroup();

  pin_on_click(view, out_view, PinTarget::Output);
  pin_on_click(view, in_view, PinTarget::Input);
  const PinSummary pinned = pin_overlay(context, r, in_view, out_view, kernel_view);

  // Receptive links for the pixel under the pointer; the value comes from the full-resolution tensor.
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
  nonfinite_warnings(context, r);
  if (!hover_text.empty()) ImGui::TextUnformatted(hover_text.c_str());
  else if (!pinned.text.empty())
    ImGui::TextColored(pinned.error ? ImVec4(1.0f, 0.45f, 0.45f, 1.0f) : ImGui::ColorConvertU32ToFloat4(kPinColour), "%s",
                       pinned.text.c_str());
  else ImGui::TextDisabled("click a pixel to pin it for the Pixel inspector, right-click to unpin; hover one to outline its links");

  int64_t in_choice = -1, out_choice = -1;
  thumbnails(context, "input channels", r.layer.input, n, r.in_channel, in_choice, "fm.in.");
  thumbnails(context, "output channels", r.output_ptr(), n, r.out_channel, out_choice, "fm.out.");
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
