// Scatter-then-convolve for the chosen input and output channel, in one of three modes: the steps (input ->
// zeros inserted -> padded/cropped -> rotated kernel -> stride-1 convolution = the direct output), each a thumbnail
// captioned in words that opens large on a click; the 2-D scatter replay (each input pixel stamps the kernel);
// and the 1-D replay along one input row (view.replay_1d) with its coverage counter. The replays are drawn here
// for the enlarged view too (step_views.h).
#include "exports.h"
#include "step_views.h"
#include "widgets.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace convt::lab::ui {
namespace {

constexpr float kArrowGap = 18.0f;

// A right-pointing arrow in the gap between two steps, at the height of the pictures' centre.
void arrow(float centre_y) {
  const ImVec2 at = ImGui::GetCursorScreenPos();
  const float x = at.x + kArrowGap / 2, half = kArrowGap * 0.3f;
  ImGui::GetWindowDrawList()->AddTriangleFilled(ImVec2(x - half, centre_y - half), ImVec2(x - half, centre_y + half),
                                                ImVec2(x + half, centre_y), IM_COL32(170, 170, 180, 255));
  ImGui::Dummy(ImVec2(kArrowGap, 1));
}

// The six steps as captioned thumbnails in one row, as large as the pane allows; a click opens one large.
void steps_row(PanelContext& context, const ComputeResult& r, const std::shared_ptr<const SliceSteps>& steps) {
  const std::vector<StepView> views = slice_step_views(r, steps);
  const float line = ImGui::GetTextLineHeightWithSpacing();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float by_width = (avail.x - 5 * kArrowGap) / 6 - 1;
  const float side = std::max(56.0f, std::min(by_width, avail.y - 7.5f * line));
  const char* slots[] = {"sc.input", "sc.zero", "sc.padded", "sc.flipped", "sc.conv", "sc.direct"};
  const char* ids[] = {"##step1", "##step2", "##step3", "##step4", "##step5", "##step6"};
  ViewSettings& settings = context.model.state().view;
  float centre_y = 0;
  for (size_t i = 0; i < views.size(); ++i) {
    const StepView& step = views[i];
    if (i) {
      ImGui::SameLine(0, 0);
      arrow(centre_y);
      ImGui::SameLine(0, 0);
    }
    ImGui::BeginGroup();
    ImGui::TextUnformatted(step.title.c_str());
    ImGui::PushID(slots[i]);
    const PlaneImage image = plane_picture(context, ids[i], step.spec, ImVec2(by_width, side));
    ImGui::PopID();
    outline_step(context, r, *steps, step.which, image.view);
    centre_y = (image.view.box_min.y + image.view.box_max.y) / 2;
    if (image.clicked) settings.enlarge = step.which;
    if (ImGui::IsItemHovered()) {
      ImGui::BeginTooltip();
      ImGui::PushTextWrapPos(ImGui::GetFontSize() * 28);
      ImGui::Text("%s: %s", step.title.c_str(), step.caption.c_str());
      ImGui::TextDisabled("%s", step.help.c_str());
      if (image.view.hovered)
        ImGui::Text("pixel (row %lld, column %lld) = %.6g", static_cast<long long>(image.view.hover_y),
                    static_cast<long long>(image.view.hover_x), step.values[image.view.hover_y * step.width + image.view.hover_x]);
      ImGui::TextUnformatted("Click to open it large, with every value.");
      ImGui::PopTextWrapPos();
      ImGui::EndTooltip();
    }
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + by_width);
    ImGui::TextDisabled("%s", step.caption.c_str());
    ImGui::PopTextWrapPos();
    ImGui::EndGroup();
  }
}

// The equality of step 5 and the output, what the outlines mean, and how to open a step.
void steps_footer(PanelContext& context, const ComputeResult& r, const SliceSteps& steps) {
  ImGui::PushStyleColor(ImGuiCol_Text, steps.equal ? IM_COL32(120, 220, 140, 255) : IM_COL32(255, 110, 110, 255));
  ImGui::Text("largest |step 5 - output| = %.3g %s", steps.steps.max_abs_difference,
              steps.equal ? "(at most float32 rounding: the two are the same operation)" : "(MISMATCH)");
  ImGui::PopStyleColor();
  outline_legend(context, r);
  ImGui::TextDisabled("Click a step to open it large (zoom in to read every value).");
}

}  // namespace

// Play/pause (the replays share ScatterState::replay_playing, which Space toggles), one stamp back or forward, a
// slider over the stamps and the speed; advances `step` while playing (idempotent within a frame: both the pane
// and the enlarged view may call it).
void stamp_controls(PanelContext& context, int64_t& step, int64_t total, float& per_second, double& clock) {
  bool& playing = context.ui.scatter.replay_playing;
  if (step < 0 || step > total) step = total;
  if (ImGui::Button(playing ? "Pause (Space)" : "Play (Space)")) {
    playing = !playing;
    if (playing && step >= total) step = 0;
    clock = context.time;
  }
  ImGui::SameLine();
  if (ImGui::ArrowButton("##back", ImGuiDir_Left) && step > 0) --step, playing = false;
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("one stamp back");
  ImGui::SameLine();
  if (ImGui::ArrowButton("##forward", ImGuiDir_Right) && step < total) ++step, playing = false;
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("one stamp forward");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(std::max(120.0f, ImGui::GetContentRegionAvail().x - ImGui::GetFontSize() * 13));
  int scrub = static_cast<int>(step);
  char format[48];
  std::snprintf(format, sizeof format, "%%d of %lld stamps", static_cast<long long>(total));
  if (ImGui::SliderInt("##stamps", &scrub, 0, static_cast<int>(total), format)) {
    step = scrub;
    playing = false;
  }
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5);
  ImGui::SliderFloat("stamps/s", &per_second, 0.5f, 60.0f, "%.1f");
  if (!playing) return;
  // A long gap means playback just started (Space, or the other replay played): count from now.
  if (context.time - clock > 1.0 / per_second + 0.5) clock = context.time;
  const int64_t due = static_cast<int64_t>((context.time - clock) * per_second);
  if (due > 0) {
    step = std::min(total, step + due);
    clock += static_cast<double>(due) / per_second;
  }
  if (step >= total) playing = false;
}


std::shared_ptr<const SliceSteps> slice_steps_or_say_why(PanelContext& context, const ComputeResult& r) {
  const auto product = context.model.analyses().slice_steps(r);
  product_ready(product, "computing the scatter-then-convolve steps of this slice...",
                "No scatter-then-convolve view for this layer");
  return product.value;
}

void scatter_replay(PanelContext& context, const ComputeResult& r, const std::shared_ptr<const SliceSteps>& steps,
                    ImVec2 size, bool large) {
  ScatterState& ui = context.ui.scatter;
  const ScatterReplay& replay = *steps->replay;
  const ConvTranspose2dGeometry& g = replay.geometry();
  const ConvTranspose2dParams& p = r.layer.params;
  const int64_t total = replay.stamp_count();
  const float top = ImGui::GetCursorPosY();
  stamp_controls(context, ui.replay_step, total, ui.replay_stamps_per_second, ui.replay_clock);
  const int64_t step = ui.replay_step;
  std::string about = "No stamps yet: the output starts at zero (this slice's share has no bias). Press Play or the arrows.";
  if (step > 0) {
    const ScatterStamp stamp = replay.stamp(step - 1);
    char text[400];
    std::snprintf(text, sizeof text,
                  "Stamp %lld: input pixel (row %lld, column %lld) = %.4g multiplies the whole %lldx%lld kernel and adds it "
                  "to the output, its top-left tap at (%lld, %lld) = input position x stride - padding. Yellow: the "
                  "stamp's whole footprint; %zu of its %lld taps land inside the output.",
                  static_cast<long long>(step), static_cast<long long>(stamp.iy), static_cast<long long>(stamp.ix),
                  stamp.value, static_cast<long long>(g.kernel_h), static_cast<long long>(g.kernel_w),
                  static_cast<long long>(stamp.origin_y), static_cast<long long>(stamp.origin_x), stamp.taps_inside.size(),
                  static_cast<long long>(g.kernel_h * g.kernel_w));
    about = text;
  }
  const float line = ImGui::GetTextLineHeightWithSpacing(), spacing = ImGui::GetStyle().ItemSpacing.x;
  const float left = size.y - (ImGui::GetCursorPosY() - top);
  // Large: the words above, input and output side by side. Small: the words in a column right of the views.
  const float out_side = large ? std::min((size.x - spacing) * 0.68f, left - 5 * line)
                               : std::max(80.0f, std::min(left - 1.3f * line, size.x * 0.36f));
  const float in_side = large ? size.x - spacing - out_side : out_side * 0.6f;
  if (large) ImGui::TextWrapped("%s", about.c_str());
  const StepView input = slice_step_views(r, steps)[0];
  ViewState& in_state = large ? context.ui.steps.enlarged_side : ui.replay_input;
  ViewState& out_state = large ? context.ui.steps.enlarged : ui.replay_output;
  ImGui::BeginGroup();
  ImGui::TextUnformatted("input (yellow: the pixel stamping)");
  const PlaneImage in_image = plane_view(context, "##replay_input", input.spec, ImVec2(in_side, in_side),
                                         in_state.zoom, in_state.pan);
  if (large) draw_pixel_values(in_image.view, input.values, input.width);
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::Text("output after %lld of %lld stamps", static_cast<long long>(step), static_cast<long long>(total));
  // The partial output is made on the worker for each step shown; the view keeps the last picture until it is.
  const auto partial = context.model.analyses().replay_partial(steps, step);
  ViewGeometry out_view;
  if (partial.value) {
    out_view = plane_view(context, "##replay_output", {partial.value, 0, -1, false, Colormap::Diverging},
                          ImVec2(out_side, out_side), out_state.zoom, out_state.pan).view;
    if (large) draw_pixel_values(out_view, partial.value->data(), g.out_w);
  } else {
    out_view = tensor_view("##replay_output", g.out_h, g.out_w, ImVec2(out_side, out_side), out_state.zoom,
                           out_state.pan.x, out_state.pan.y);
    PlaneView pending;
    pending.height = g.out_h;
    pending.width = g.out_w;
    pending.error = partial.error;
    draw_plane(context, "##replay_output", out_view, pending, Colormap::Diverging);
    finish_view(out_view);
  }
  ImGui::EndGroup();
  const PixelPin& pin = context.model.state().view.pin;
  if (pin.target == PinTarget::Output) {
    outline_region(out_view, {pin.y, pin.x, pin.y + 1, pin.x + 1}, kPinColour, 2.0f, 1.0f);
    if (const auto terms = context.model.analyses().pixel_terms(r, pin.y, pin.x); terms.value)
      for (const PixelTerm& t : terms.value->terms)
        if (t.in_channel == r.in_channel) outline_region(in_image.view, {t.iy, t.ix, t.iy + 1, t.ix + 1}, kPinColour, 1.5f);
  }
  if (step > 0) {
    const ScatterStamp stamp = replay.stamp(step - 1);
    outline_region(in_image.view, {stamp.iy, stamp.ix, stamp.iy + 1, stamp.ix + 1}, kStampColour, 2.5f, 2.0f);
    const int64_t span_h = p.dilation.h * (g.kernel_h - 1) + 1, span_w = p.dilation.w * (g.kernel_w - 1) + 1;
    outline_region(out_view, {stamp.origin_y, stamp.origin_x, stamp.origin_y + span_h, stamp.origin_x + span_w},
                   kStampColour, 2.5f, 1.0f);
    if (out_view.scale >= 6)
      for (const StampTap& tap : stamp.taps_inside) outline_pixel(out_view, tap.oy, tap.ox, kStampColour, 1.0f);
  }
  if (large) {
    if (pin.target == PinTarget::Output)
      ImGui::TextColored(ImColor(kPinColour).Value, "cyan: pinned output pixel (%lld, %lld) and the input pixels whose stamps reach it",
                         static_cast<long long>(pin.y), static_cast<long long>(pin.x));
    ImGui::TextDisabled("wheel: zoom (values appear), drag: pan, double-click: fit");
    return;
  }
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + std::max(160.0f, ImGui::GetContentRegionAvail().x));
  ImGui::TextWrapped("%s", about.c_str());
  if (pin.target == PinTarget::Output)
    ImGui::TextColored(ImColor(kPinColour).Value, "cyan: pinned output pixel (%lld, %lld) and the input pixels whose stamps reach it",
                       static_cast<long long>(pin.y), static_cast<long long>(pin.x));
  if (ImGui::Button("Open large")) context.model.state().view.enlarge = EnlargedView::Replay;
  ImGui::PopTextWrapPos();
  ImGui::EndGroup();
}

void draw_scatter_panel(PanelContext& context) {
  const ComputeResult* result = context.model.result();
  if (!result) return;
  const ComputeResult& r = *result;
  ViewSettings& settings = context.model.state().view;
  StepsUiState& ui = context.ui.steps;
  const int mode = settings.replay_1d ? 2 : ui.pane_replay ? 1 : 0;
  const char* modes[] = {"Steps", "Scatter replay", "1-D replay along one row"};
  for (int i = 0; i < 3; ++i) {
    if (i) ImGui::SameLine();
    if (ImGui::RadioButton(modes[i], mode == i)) {
      settings.replay_1d = i == 2;
      ui.pane_replay = i == 1;
    }
  }
  const std::shared_ptr<const SliceSteps> steps = slice_steps_or_say_why(context, r);
  if (!steps) return;
  ImGui::SameLine(0, ImGui::GetFontSize() * 1.5f);
  if (ImGui::SmallButton("Export steps")) export_steps(context, r, steps);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("The six steps of this slice (one input channel's share of one output channel; pick the channels "
                      "under Feature maps) as .npy and PNG, in a new folder");
  if (mode == 2) {
    row_replay(context, r, ImGui::GetContentRegionAvail(), false);
    return;
  }
  if (mode == 1) {
    scatter_replay(context, r, steps, ImGui::GetContentRegionAvail(), false);
    return;
  }
  steps_row(context, r, steps);
  steps_footer(context, r, *steps);
}

}  // namespace convt::lab::ui
