// A scatter-then-convolve step, or the replay, opened large (view.enlarge) over the centre column: zoom (wheel),
// pan (drag), double-click to fit, each pixel's value once pixels are big enough, the hovered pixel's value, the
// outlines of the small views, and buttons to switch step or close. Step 5 shows, beside it, the padded input it
// reads with the pinned pixel's window. This file also says what each step is and outlines it (step_views.h).
#include "step_views.h"
#include "widgets.h"

#include <algorithm>
#include <string>

namespace convt::lab::ui {
namespace {

std::string size_text(const Tensor& t) { return std::to_string(t.size(-2)) + "x" + std::to_string(t.size(-1)); }

std::string count_of(int64_t count, const char* what) {
  return std::to_string(count) + " " + what + (count == 1 ? "" : "s");
}

// The start of plane (batch, channel) of a 4-D or 3-D tensor; the whole tensor's data for channel < 0.
const float* plane_of(const Tensor& t, int64_t batch, int64_t channel) {
  if (channel < 0) return t.data();
  const int64_t plane = t.size(-2) * t.size(-1);
  const int64_t channels = t.size(-3);
  return t.data() + ((t.dim() == 4 ? batch * channels : 0) + channel) * plane;
}

// One side's step 3: "pad 2", "crop 1" (negative padding crops), "pad 0".
std::string amount(int64_t n) { return n < 0 ? "crop " + std::to_string(-n) : "pad " + std::to_string(n); }

std::string pad_caption(const IntPair& low, const IntPair& high) {
  if (low.h == low.w && high.h == high.w)
    return low.h == high.h ? amount(low.h) + " on every side" : amount(low.h) + " top/left, " + amount(high.h) + " bottom/right";
  return "rows: " + amount(low.h) + " top, " + amount(high.h) + " bottom; columns: " + amount(low.w) + " left, " +
         amount(high.w) + " right";
}

std::string zero_insert_caption(const IntPair& s) {
  if (s.h == 1 && s.w == 1) return "stride 1: no zeros to insert";
  if (s.h == s.w) return "insert s-1 = " + count_of(s.h - 1, "zero") + " between pixels";
  return "insert " + count_of(s.h - 1, "zero") + " between rows, " + std::to_string(s.w - 1) + " between columns (stride " +
         to_string(s) + ")";
}

void wrapped_in_colour(ImU32 colour, const std::string& text) {
  ImGui::PushStyleColor(ImGuiCol_Text, colour);
  ImGui::TextWrapped("%s", text.c_str());
  ImGui::PopStyleColor();
}

StepView step(EnlargedView which, std::string title, std::string caption, std::string help,
              std::shared_ptr<const Tensor> tensor, int64_t batch = 0, int64_t channel = -1) {
  StepView view;
  view.which = which;
  view.title = std::move(title);
  view.caption = std::move(caption);
  view.help = std::move(help);
  view.values = plane_of(*tensor, batch, channel);
  view.height = tensor->size(-2);
  view.width = tensor->size(-1);
  view.spec = PlaneSpec(std::move(tensor), batch, channel, false, Colormap::Diverging);
  return view;
}

}  // namespace

std::vector<StepView> slice_step_views(const ComputeResult& r, const std::shared_ptr<const SliceSteps>& steps) {
  const ScatterConvolveSteps& s = steps->steps;
  const ConvTranspose2dParams& p = r.layer.params;
  auto part = [&steps](const Tensor& member) { return std::shared_ptr<const Tensor>(steps, &member); };
  const bool one_channel = r.layer.geometry.in_channels_per_group == 1;
  return {
      step(EnlargedView::Input, "1 input", size_text(*r.layer.input) + ": sample " + std::to_string(r.batch_index) +
               ", input channel " + std::to_string(r.in_channel),
           "The input plane of the shown slice. Pick other channels under Feature maps.", r.layer.input, r.batch_index,
           r.in_channel),
      step(EnlargedView::ZeroInserted, "2 insert zeros", zero_insert_caption(p.stride) + " -> " + size_text(s.zero_inserted),
           "A transposed convolution with stride s places the input pixels s apart: the gaps between them are zeros.",
           part(s.zero_inserted)),
      step(EnlargedView::Padded, "3 pad", pad_caption(s.pad_low, s.pad_high) + " -> " + size_text(s.padded),
           "Each side is padded by dilation*(kernel-1) - padding (a negative amount crops), and the bottom and right by "
           "output_padding more, so that a plain convolution sees every stamp whole.",
           part(s.padded)),
      step(EnlargedView::Kernel, "4 rotate kernel", "kernel rotated 180 degrees, " + size_text(s.transformed_weight),
           "The kernel flipped up-down and left-right. A scatter puts tap k at position i*s + k; seen from one output "
           "pixel the taps arrive in reverse order, so the convolution reads the kernel rotated.",
           part(s.transformed_weight)),
      step(EnlargedView::Convolution, "5 convolve",
           "stride-1 convolution, dilation " + to_string(p.dilation) + " -> " + size_text(s.convolved),
           "An ordinary convolution of the padded image (step 3) with the rotated kernel (step 4): stride 1, no padding, "
           "the layer's dilation. It equals the transposed convolution's output.",
           part(s.convolved)),
      step(EnlargedView::Output, "= output",
           "direct transposed convolution, " + size_text(s.direct) + ", output channel " + std::to_string(r.out_channel) +
               (one_channel ? "" : " (this input channel's share)") + ", no bias",
           "The transposed convolution computed directly (the reference backend), for this slice: the same numbers as step 5.",
           part(s.direct)),
  };
}

void outline_step(PanelContext& context, const ComputeResult& r, const SliceSteps& steps, EnlargedView which,
                  const ViewGeometry& view) {
  const ScatterConvolveSteps& s = steps.steps;
  const ConvTranspose2dParams& p = r.layer.params;
  const ConvTranspose2dGeometry& g = r.layer.geometry;
  const bool has_op_rows = which == EnlargedView::Padded || which == EnlargedView::Convolution || which == EnlargedView::Output;
  if (has_op_rows) {
    const Tensor& t = which == EnlargedView::Padded ? s.padded : which == EnlargedView::Convolution ? s.convolved : s.direct;
    const int64_t h = t.size(-2), w = t.size(-1);
    if (p.output_padding.h > 0) outline_region(view, {h - p.output_padding.h, 0, h, w}, kOutputPaddingColour);
    if (p.output_padding.w > 0) outline_region(view, {0, w - p.output_padding.w, h, w}, kOutputPaddingColour);
  }
  const PixelPin& pin = context.model.state().view.pin;
  if (pin.target == PinTarget::None) return;
  // Where input pixel (iy, ix) sits in each step: s apart after zero insertion, shifted by the low pad after step 3.
  auto input_at = [&](int64_t iy, int64_t ix, float thickness) {
    if (which == EnlargedView::Input) outline_region(view, {iy, ix, iy + 1, ix + 1}, kPinColour, thickness);
    const int64_t zy = iy * p.stride.h, zx = ix * p.stride.w;
    if (which == EnlargedView::ZeroInserted) outline_region(view, {zy, zx, zy + 1, zx + 1}, kPinColour, thickness);
    const int64_t py = zy + s.pad_low.h, px = zx + s.pad_low.w;
    if (which == EnlargedView::Padded) outline_region(view, {py, px, py + 1, px + 1}, kPinColour, thickness);
  };
  if (pin.target == PinTarget::Input) {
    input_at(pin.y, pin.x, 3.0f);
    return;
  }
  if (pin.y < 0 || pin.x < 0 || pin.y >= s.convolved.size(-2) || pin.x >= s.convolved.size(-1)) return;
  if (which == EnlargedView::Convolution || which == EnlargedView::Output)
    outline_region(view, {pin.y, pin.x, pin.y + 1, pin.x + 1}, kPinColour, 3.0f, 2.0f);
  if (which == EnlargedView::Padded) {
    // The stride-1 convolution window: rows oy .. oy + d*(kH-1), every d-th (columns the same), in step 3's pixels.
    const int64_t span_h = p.dilation.h * (g.kernel_h - 1) + 1, span_w = p.dilation.w * (g.kernel_w - 1) + 1;
    outline_region(view, {pin.y, pin.x, pin.y + span_h, pin.x + span_w}, kPinColour, 3.0f);
    if (p.dilation.h > 1 || p.dilation.w > 1)
      for (int64_t ky = 0; ky < g.kernel_h; ++ky)
        for (int64_t kx = 0; kx < g.kernel_w; ++kx) {
          const int64_t y = pin.y + ky * p.dilation.h, x = pin.x + kx * p.dilation.w;
          outline_region(view, {y, x, y + 1, x + 1}, kPinColour, 1.0f);
        }
  }
  const auto terms = context.model.analyses().pixel_terms(r, pin.y, pin.x);
  if (!terms.value) return;
  for (const PixelTerm& t : terms.value->terms) {
    if (t.in_channel != r.in_channel) continue;
    input_at(t.iy, t.ix, 1.5f);
    const int64_t ky = g.kernel_h - 1 - t.ky, kx = g.kernel_w - 1 - t.kx;  // the tap's place in the rotated kernel
    if (which == EnlargedView::Kernel) outline_region(view, {ky, kx, ky + 1, kx + 1}, kPinColour, 2.0f);
  }
}

void outline_legend(PanelContext& context, const ComputeResult& r) {
  const IntPair& op = r.layer.params.output_padding;
  if (op.h > 0 || op.w > 0) {
    std::string added = op.h > 0 ? "the last " + count_of(op.h, "row") : "";
    if (op.w > 0) added += (added.empty() ? "the last " : " and ") + count_of(op.w, "column");
    wrapped_in_colour(kOutputPaddingColour, "orange: " + added + ", added by output_padding (in steps 3, 5 and the output)");
  }
  const PixelPin& pin = context.model.state().view.pin;
  if (pin.target == PinTarget::Output)
    wrapped_in_colour(kPinColour, "cyan: pinned output pixel (" + std::to_string(pin.y) + ", " + std::to_string(pin.x) +
                                      ") in step 5 and the output; in step 3 the window it reads; its input pixels and "
                                      "taps in steps 1, 2 and 4");
  else if (pin.target == PinTarget::Input)
    wrapped_in_colour(kPinColour, "cyan: pinned input pixel (" + std::to_string(pin.y) + ", " + std::to_string(pin.x) +
                                      "), followed through steps 1 to 3");
}

namespace {

// The row of buttons that switches the large view, and Close.
void switch_buttons(ViewSettings& view) {
  const char* labels[] = {"1 input", "2 insert zeros", "3 pad", "4 rotate kernel", "5 convolve", "= output", "Replay"};
  for (int i = 0; i < 7; ++i) {
    const EnlargedView which = static_cast<EnlargedView>(i + 1);
    if (i) ImGui::SameLine();
    const bool shown = view.enlarge == which;
    if (shown) ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive));
    if (ImGui::Button(labels[i])) view.enlarge = which;
    if (shown) ImGui::PopStyleColor();
  }
  ImGui::SameLine();
  if (ImGui::Button("Close (Esc)")) view.enlarge = EnlargedView::None;
}

// A left click on a pixel without dragging (a drag pans): pins that output pixel, as the feature maps do.
void pin_on_click(ViewSettings& settings, const ViewGeometry& view) {
  const ImGuiIO& io = ImGui::GetIO();
  if (view.hovered && ImGui::IsMouseReleased(ImGuiMouseButton_Left) && io.MouseDragMaxDistanceSqr[ImGuiMouseButton_Left] < 9.0f)
    settings.pin = {PinTarget::Output, view.hover_y, view.hover_x};
}

// One step large, with its values, outlines and the hovered pixel; returns its view.
ViewGeometry large_step(PanelContext& context, const ComputeResult& r, const SliceSteps& steps, const StepView& step,
                        const char* id, ImVec2 size, ViewState& state) {
  const PlaneImage image = plane_view(context, id, step.spec, size, state.zoom, state.pan);
  draw_pixel_values(image.view, step.values, step.width);
  outline_step(context, r, steps, step.which, image.view);
  return image.view;
}

void hovered_line(const StepView& step, const ViewGeometry& view) {
  if (view.hovered)
    ImGui::Text("%s: pixel (row %lld, column %lld) = %.6g", step.title.c_str(), static_cast<long long>(view.hover_y),
                static_cast<long long>(view.hover_x), step.values[view.hover_y * step.width + view.hover_x]);
  else
    ImGui::TextDisabled("hover a pixel for its value; wheel: zoom (values appear), drag: pan, double-click: fit");
}

void enlarged_step(PanelContext& context, const ComputeResult& r, const std::shared_ptr<const SliceSteps>& steps,
                   const std::vector<StepView>& views, EnlargedView which) {
  const StepView& step = views[static_cast<size_t>(which) - 1];
  ImGui::Text("%s: %s", step.title.c_str(), step.caption.c_str());
  help_marker(step.help.c_str());
  const float line = ImGui::GetTextLineHeightWithSpacing();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float height = std::max(120.0f, avail.y - 4.5f * line);
  StepsUiState& ui = context.ui.steps;
  ViewSettings& settings = context.model.state().view;
  if (which != EnlargedView::Convolution) {
    const ViewGeometry view = large_step(context, r, *steps, step, "##enlarged", ImVec2(avail.x, height), ui.enlarged);
    if (which == EnlargedView::Output) pin_on_click(settings, view);
    hovered_line(step, view);
  } else {
    // Step 5 beside what it reads: the padded input (step 3), with the pinned pixel's window, and the rotated kernel.
    const float spacing = ImGui::GetStyle().ItemSpacing.x;
    const float main_w = std::min((avail.x - spacing) * 0.66f, height), side_w = avail.x - spacing - main_w;
    const StepView& padded = views[static_cast<size_t>(EnlargedView::Padded) - 1];
    const StepView& kernel = views[static_cast<size_t>(EnlargedView::Kernel) - 1];
    const ViewGeometry view = large_step(context, r, *steps, step, "##enlarged", ImVec2(main_w, main_w), ui.enlarged);
    pin_on_click(settings, view);
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + side_w);
    ImGui::TextWrapped("It reads step 3 (%s) through the rotated kernel: each output pixel is the sum of a kernel-sized "
                       "window times the kernel. Click a pixel on the left to pin it: its window is outlined here.",
                       padded.caption.c_str());
    ImGui::PopTextWrapPos();
    const ViewGeometry side = large_step(context, r, *steps, padded, "##enlarged_side", ImVec2(side_w, side_w), ui.enlarged_side);
    ImGui::TextUnformatted("step 4, the kernel rotated 180 degrees:");
    const PlaneImage taps = plane_picture(context, "##enlarged_kernel", kernel.spec, ImVec2(side_w, side_w * 0.4f));
    draw_pixel_values(taps.view, kernel.values, kernel.width);
    outline_step(context, r, *steps, EnlargedView::Kernel, taps.view);
    const PixelPin& pin = settings.pin;
    if (pin.target == PinTarget::Output && pin.y >= 0 && pin.x >= 0 && pin.y < step.height && pin.x < step.width) {
      ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + side_w);
      ImGui::TextColored(ImColor(kPinColour).Value, "pinned (%lld, %lld) = %.4g: the cyan window times the kernel, summed",
                         static_cast<long long>(pin.y), static_cast<long long>(pin.x), step.values[pin.y * step.width + pin.x]);
      // The steps show one input channel's share: say so, or the inspector's full value would seem to contradict it.
      const int64_t channels = r.layer.geometry.in_channels_per_group;
      if (channels > 1 || r.layer.bias)
        ImGui::TextDisabled("This is input channel %lld's share, without bias; the output pixel adds the other %lld "
                            "input channels of its group%s (Pixel inspector).",
                            static_cast<long long>(r.in_channel), static_cast<long long>(channels - 1),
                            r.layer.bias ? " and the bias" : "");
      ImGui::PopTextWrapPos();
    }
    ImGui::EndGroup();
    if (side.hovered) hovered_line(padded, side);
    else hovered_line(step, view);
  }
  if (which == EnlargedView::Output || which == EnlargedView::Convolution) {
    ImGui::SameLine();
    ImGui::TextDisabled("(click a pixel to pin it)");
  }
  outline_legend(context, r);
}

}  // namespace

void draw_enlarged_panel(PanelContext& context) {
  // Opaque: the panes it covers must not show through the window's translucent background.
  const ImVec2 corner = ImGui::GetWindowPos(), extent = ImGui::GetWindowSize();
  ImVec4 background = ImGui::GetStyleColorVec4(ImGuiCol_WindowBg);
  background.w = 1.0f;
  ImGui::GetWindowDrawList()->AddRectFilled(corner, ImVec2(corner.x + extent.x, corner.y + extent.y),
                                            ImGui::ColorConvertFloat4ToU32(background));
  ViewSettings& settings = context.model.state().view;
  switch_buttons(settings);
  if (settings.enlarge == EnlargedView::None) return;
  const ComputeResult* result = context.model.result();
  if (!result) return;
  const ComputeResult& r = *result;
  const std::shared_ptr<const SliceSteps> steps_made = slice_steps_or_say_why(context, r);
  if (!steps_made) return;
  if (settings.enlarge == EnlargedView::Replay) {
    bool one_row = settings.replay_1d;
    if (ImGui::RadioButton("2-D scatter replay", !one_row)) settings.replay_1d = false;
    ImGui::SameLine();
    if (ImGui::RadioButton("1-D replay along one input row", one_row)) settings.replay_1d = true;
    if (settings.replay_1d) row_replay(context, r, ImGui::GetContentRegionAvail(), true);
    else scatter_replay(context, r, steps_made, ImGui::GetContentRegionAvail(), true);
    return;
  }
  enlarged_step(context, r, steps_made, slice_step_views(r, steps_made), settings.enlarge);
}

}  // namespace convt::lab::ui
