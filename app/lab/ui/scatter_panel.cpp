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
  const Tensor* tensor;
  const char* slot;
};

// A small fitted view with a title and its shape; returns its geometry for overlays.
ViewGeometry step_view(PanelContext& context, const Step& step, float side, uint64_t version) {
  ImGui::BeginGroup();
  ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + side);
  ImGui::TextUnformatted(step.title);
  ImGui::PopTextWrapPos();
  const PlaneImage image = plane_image(context, step.slot, *step.tensor, 0, -1, version, Colormap::Diverging);
  float zoom = 0, pan_x = 0, pan_y = 0;
  const ViewGeometry view =
      tensor_view((std::string("##") + step.slot).c_str(), image.texture, image.height, image.width, ImVec2(side, side), zoom, pan_x, pan_y);
  ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + side);
  ImGui::TextDisabled("%s", step.detail.c_str());
  ImGui::PopTextWrapPos();
  ImGui::EndGroup();
  return view;
}

std::string size_text(const Tensor& t) { return std::to_string(t.size(-2)) + "x" + std::to_string(t.size(-1)); }

void replay_controls(PanelContext& context, int64_t total) {
  UiState& ui = context.ui;
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

}  // namespace

void draw_scatter_panel(PanelContext& context) {
  const ComputeResult* result = context.model.result();
  if (!result) return;
  const ComputeResult& r = *result;
  const ScatterConvolveSteps& s = r.steps;
  const ConvTranspose2dParams& p = r.layer.params;
  ImGui::Text("slice: sample %lld, input channel %lld -> output channel %lld (pick channels under Feature maps)",
              static_cast<long long>(r.batch_index), static_cast<long long>(r.in_channel), static_cast<long long>(r.out_channel));
  if (!r.steps_error.empty()) {
    ImGui::TextWrapped("No scatter-then-convolve view for this layer: %s", r.steps_error.c_str());
    return;
  }
  ImGui::SameLine();
  if (ImGui::SmallButton("Export steps")) export_steps(context, r);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("The six steps of this slice as .npy and PNG, in a new folder");

  const float avail = ImGui::GetContentRegionAvail().x;
  const float arrow = ImGui::CalcTextSize(" -> ").x;
  const float side = std::max(48.0f, (avail - 5 * (arrow + 3 * ImGui::GetStyle().ItemSpacing.x)) / 6 - 4);
  const Step steps[] = {
      {"1 input", size_text(*r.layer.input), nullptr, "sc.input"},
      {"2 zero-insert", size_text(s.zero_inserted), &s.zero_inserted, "sc.zero"},
      {"3 pad / crop", size_text(s.padded) + ", pad " + to_string(s.pad_low) + "/" + to_string(s.pad_high), &s.padded, "sc.padded"},
      {"4 flip kernel", "rotated 180\u00b0", &s.transformed_weight, "sc.flipped"},
      {"5 conv, stride 1", size_text(s.convolved) + ", d " + to_string(p.dilation), &s.convolved, "sc.conv"},
      {"= output", size_text(s.direct), &s.direct, "sc.direct"},
  };
  // Step 1 is a plane of the input tensor itself (steps[0] has no tensor of its own).
  const PlaneImage input_plane = plane_image(context, "sc.input", *r.layer.input, r.batch_index, r.in_channel,
                                             r.generation, Colormap::Diverging);
  ImGui::BeginGroup();
  ImGui::TextUnformatted(steps[0].title);
  float zoom = 0, pan_x = 0, pan_y = 0;
  tensor_view("##sc.input", input_plane.texture, input_plane.height, input_plane.width, ImVec2(side, side), zoom, pan_x, pan_y);
  ImGui::TextDisabled("%s", steps[0].detail.c_str());
  ImGui::EndGroup();
  for (int i = 1; i < 6; ++i) {
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::Dummy(ImVec2(0, side / 2));
    ImGui::TextUnformatted(i == 5 ? " = " : " -> ");
    ImGui::EndGroup();
    ImGui::SameLine();
    step_view(context, steps[i], side, r.generation);
  }
  const bool equal = s.max_abs_difference <= 1e-5 * (1.0 + std::fabs(finite_range(s.direct.data(), s.direct.numel()).high));
  ImGui::PushStyleColor(ImGuiCol_Text, equal ? IM_COL32(120, 220, 140, 255) : IM_COL32(255, 110, 110, 255));
  ImGui::Text("max |stride-1 conv - conv_transpose2d| = %.3g %s", s.max_abs_difference,
              equal ? "(float32 rounding: the two views are the same operation)" : "(MISMATCH)");
  ImGui::PopStyleColor();

  // Scatter replay.
  if (!r.replay) return;
  ImGui::Separator();
  ImGui::TextUnformatted("Scatter replay: each input pixel stamps the kernel, scaled by its value, s pixels apart");
  const int64_t total = r.replay->stamp_count();
  replay_controls(context, total);
  const int64_t step = context.ui.replay_step;

  // The partial output is rebuilt only when the step or the result changes.
  static Tensor partial;
  static int64_t partial_step = -1;
  static uint64_t partial_generation = 0;
  if (partial_step != step || partial_generation != r.generation) {
    partial = r.replay->partial_output(step);
    partial_step = step;
    partial_generation = r.generation;
  }
  const float replay_side = std::max(64.0f, std::min(ImGui::GetContentRegionAvail().y - ImGui::GetTextLineHeightWithSpacing() * 2,
                                                     avail / 2 - 20));
  const PlaneImage growing = plane_image(context, "sc.replay", partial, 0, -1,
                                         (r.generation << 20) ^ static_cast<uint64_t>(step), Colormap::Diverging);
  ImGui::BeginGroup();
  ImGui::TextUnformatted("input (current pixel outlined)");
  float z1 = 0, px1 = 0, py1 = 0;
  const ViewGeometry in_view = tensor_view("##replay_input", input_plane.texture, input_plane.height, input_plane.width,
                                           ImVec2(replay_side * 0.6f, replay_side * 0.6f), z1, px1, py1);
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::Text("output after %lld of %lld stamps", static_cast<long long>(step), static_cast<long long>(total));
  float z2 = 0, px2 = 0, py2 = 0;
  const ViewGeometry out_view = tensor_view("##replay_output", growing.texture, growing.height, growing.width,
                                            ImVec2(replay_side, replay_side), z2, px2, py2);
  ImGui::EndGroup();
  if (step > 0) {
    const ScatterStamp stamp = r.replay->stamp(step - 1);
    outline_pixel(in_view, stamp.iy, stamp.ix, kStampColour);
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

}  // namespace convt::lab::ui
