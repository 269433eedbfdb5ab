// Scatter-then-convolve for the chosen input and output channel: input -> zero-inserted -> padded/cropped ->
// flipped kernel -> stride-1 convolution, which equals the direct output (max |difference| shown). Below it the
// scatter replay: play, pause, step and scrub through the stamps, the current one outlined on the growing output.
#include "exports.h"
#include "panels.h"
#include "plane_textures.h"
#include "widgets.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace convt::lab::ui {
namespace {

constexpr ImU32 kStampColour = IM_COL32(255, 214, 0, 255);

struct Step {
  const char* title;
  std::string detail;
  std::shared_ptr<const Tensor> tensor;
  int64_t batch = 0, channel = -1;  // the plane shown: the input's own (batch, channel), or the step's whole plane
};

// A fitted view of one step with a title and its shape; returns its geometry for overlays.
ViewGeometry step_view(PanelContext& context, const Step& step, const char* slot, float side, ViewState& state) {
  ImGui::BeginGroup();
  ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + side);
  ImGui::TextUnformatted(step.title);
  ImGui::PopTextWrapPos();
  const PlaneImage image = plane_view(context, slot, {step.tensor, step.batch, step.channel, false, Colormap::Diverging},
                                      ImVec2(side, side), state.zoom, state.pan);
  ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + side);
  ImGui::TextDisabled("%s", step.detail.c_str());
  ImGui::PopTextWrapPos();
  ImGui::EndGroup();
  return image.view;
}

std::string size_text(const Tensor& t) { return std::to_string(t.size(-2)) + "x" + std::to_string(t.size(-1)); }

void replay_controls(PanelContext& context, int64_t total) {
  ScatterState& ui = context.ui.scatter;
  int64_t& step = ui.replay_step;
  if (step < 0 || step > total) step = total;
  if (ImGui::Button(ui.replay_playing ? "Pause (Space)" : "Play (Space)")) {
    ui.replay_playing = !ui.replay_playing;
    if (ui.replay_playing && step >= total) step = 0;
    ui.replay_clock = context.time;
  }
  ImGui::SameLine();
  if (ImGui::Button("<") && step > 0) --step, ui.replay_playing = false;
  ImGui::SameLine();
  if (ImGui::Button(">") && step < total) ++step, ui.replay_playing = false;
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.55f);
  int scrub = static_cast<int>(step);
  if (ImGui::SliderInt("##scrub", &scrub, 0, static_cast<int>(total), "%d stamps")) {
    step = scrub;
    ui.replay_playing = false;
  }
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
  ImGui::SliderFloat("stamps/s", &ui.replay_stamps_per_second, 1.0f, 60.0f, "%.0f");
  if (ui.replay_playing) {
    const int64_t due = static_cast<int64_t>((context.time - ui.replay_clock) * ui.replay_stamps_per_second);
    if (due > 0) {
      step = std::min(total, step + due);
      ui.replay_clock += static_cast<double>(due) / ui.replay_stamps_per_second;
    }
    if (step >= total) ui.replay_playing = false;
  }
}

// Scatter replay: the growing output, the current stamp outlined on it and its input pixel on the input.
void replay(PanelContext& context, const ComputeResult& r, const std::shared_ptr<const SliceSteps>& steps, float avail) {
  ScatterState& ui = context.ui.scatter;
  const ScatterReplay& replay = *steps->replay;
  const int64_t total = replay.stamp_count();
  replay_controls(context, total);
  const int64_t step = ui.replay_step;
  const float replay_side = std::max(64.0f, std::min(ImGui::GetContentRegionAvail().y - ImGui::GetTextLineHeightWithSpacing() * 2,
                                                     avail / 2 - 20));
  ImGui::BeginGroup();
  ImGui::TextUnformatted("input (current pixel outlined)");
  const PlaneImage in_image = plane_view(context, "sc.replay_input", {r.layer.input, r.batch_index, r.in_channel, false, Colormap::Diverging},
                                         ImVec2(replay_side * 0.6f, replay_side * 0.6f), ui.replay_input.zoom, ui.replay_input.pan);
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::Text("output after %lld of %lld stamps", static_cast<long long>(step), static_cast<long long>(total));
  // The partial output is made on the worker for each step shown; the last one stays until the next is ready.
  const auto partial = context.model.analyses().replay_partial(steps, step);
  ViewGeometry out_view;
  if (partial.value) {
    out_view = plane_view(context, "sc.replay", {partial.value, 0, -1, false, Colormap::Diverging},
                          ImVec2(replay_side, replay_side), ui.replay_output.zoom, ui.replay_output.pan).view;
  } else {
    // Not made yet: the view keeps the previous step's picture, as any view does while its next one is made.
    const ConvTranspose2dGeometry& g = replay.geometry();
    out_view = tensor_view("sc.replay", g.out_h, g.out_w, ImVec2(replay_side, replay_side), ui.replay_output.zoom,
                           ui.replay_output.pan.x, ui.replay_output.pan.y);
    PlaneView pending;
    pending.height = g.out_h;
    pending.width = g.out_w;
    pending.error = partial.error;
    draw_plane(context, "sc.replay", out_view, pending, Colormap::Diverging);
    finish_view(out_view);
  }
  ImGui::EndGroup();
  if (step > 0) {
    const ScatterStamp stamp = replay.stamp(step - 1);
    outline_pixel(in_image.view, stamp.iy, stamp.ix, kStampColour);
    for (const StampTap& tap : stamp.taps_inside) outline_pixel(out_view, tap.oy, tap.ox, kStampColour, 1.5f);
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::Text("stamp %lld: x[%lld, %lld] = %.4g", static_cast<long long>(step), static_cast<long long>(stamp.iy),
                static_cast<long long>(stamp.ix), stamp.value);
    ImGui::Text("kernel tap (0,0) lands at (%lld, %lld) = (iy*s - p, ix*s - p)", static_cast<long long>(stamp.origin_y),
                static_cast<long long>(stamp.origin_x));
    ImGui::Text("%zu of %lld taps land inside the output", stamp.taps_inside.size(),
                static_cast<long long>(r.layer.geometry.kernel_h * r.layer.geometry.kernel_w));
    ImGui::EndGroup();
  }
}

}  // namespace

void draw_scatter_panel(PanelContext& context) {
  const ComputeResult* result = context.model.result();
  if (!result) return;
  const ComputeResult& r = *result;
  const ConvTranspose2dParams& p = r.layer.params;
  ImGui::Text("slice: sample %lld, input channel %lld -> output channel %lld (pick channels under Feature maps)",
              static_cast<long long>(r.batch_index), static_cast<long long>(r.in_channel), static_cast<long long>(r.out_channel));
  const auto product = context.model.analyses().slice_steps(r);
  if (!product.error.empty()) {
    ImGui::TextWrapped("No scatter-then-convolve view for this layer: %s", product.error.c_str());
    return;
  }
  if (!product.value) {
    ImGui::TextDisabled("computing the scatter-then-convolve steps of this slice...");
    return;
  }
  const std::shared_ptr<const SliceSteps>& steps = product.value;
  ImGui::SameLine();
  if (ImGui::SmallButton("Export steps")) export_steps(context, r, steps);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("The six steps of this slice as .npy and PNG, in a new folder");

  // The steps are members of one product: views of them share its ownership.
  const ScatterConvolveSteps& s = steps->steps;
  auto part = [&steps](const Tensor& member) { return std::shared_ptr<const Tensor>(steps, &member); };
  const float avail = ImGui::GetContentRegionAvail().x;
  const float side = std::max(48.0f, (avail - 5 * (ImGui::CalcTextSize(" -> ").x + 3 * ImGui::GetStyle().ItemSpacing.x)) / 6 - 4);
  const Step views[] = {
      {"1 input", size_text(*r.layer.input), r.layer.input, r.batch_index, r.in_channel},
      {"2 zero-insert", size_text(s.zero_inserted), part(s.zero_inserted)},
      {"3 pad / crop", size_text(s.padded) + ", pad " + to_string(s.pad_low) + "/" + to_string(s.pad_high), part(s.padded)},
      {"4 flip kernel", "rotated 180\u00b0", part(s.transformed_weight)},
      {"5 conv, stride 1", size_text(s.convolved) + ", d " + to_string(p.dilation), part(s.convolved)},
      {"= output", size_text(s.direct), part(s.direct)},
  };
  const char* slots[] = {"sc.input", "sc.zero", "sc.padded", "sc.flipped", "sc.conv", "sc.direct"};
  for (int i = 0; i < 6; ++i) {
    if (i) {
      ImGui::SameLine();
      ImGui::BeginGroup();
      ImGui::Dummy(ImVec2(0, side / 2));
      ImGui::TextUnformatted(i == 5 ? " = " : " -> ");
      ImGui::EndGroup();
      ImGui::SameLine();
    }
    step_view(context, views[i], slots[i], side, context.ui.scatter.steps[i]);
  }
  ImGui::PushStyleColor(ImGuiCol_Text, steps->equal ? IM_COL32(120, 220, 140, 255) : IM_COL32(255, 110, 110, 255));
  ImGui::Text("max |stride-1 conv - conv_transpose2d| = %.3g %s", s.max_abs_difference,
              steps->equal ? "(float32 rounding: the two views are the same operation)" : "(MISMATCH)");
  ImGui::PopStyleColor();

  ImGui::Separator();
  if (ImGui::CollapsingHeader("Scatter replay: each input pixel stamps the kernel, scaled by its value, s pixels apart",
                              ImGuiTreeNodeFlags_DefaultOpen))
    replay(context, r, steps, avail);
}

}  // namespace convt::lab::ui
