#include "train_views.h"

#include "widgets.h"

#include <algorithm>
#include <cmath>

namespace convt::lab::ui {

ImU32 contender_colour(size_t index) {
  static constexpr ImU32 colours[] = {IM_COL32(230, 159, 0, 255), IM_COL32(86, 180, 233, 255), IM_COL32(0, 170, 125, 255)};
  return colours[index % 3];
}

std::string contender_name(const ContenderSettings& settings) {
  std::string init = settings.init;
  if (init != "kaiming" && init != "icnr" && init != "bilinear") init = "weights from a file";
  else init += " init";
  return std::string(to_string(settings.model)) + ", kernel " + std::to_string(settings.kernel) + ", " + init;
}

void contender_swatch(size_t index) {
  const float side = ImGui::GetFontSize() * 0.8f;
  const ImVec2 at = ImGui::GetCursorScreenPos();
  const float y = at.y + (ImGui::GetTextLineHeight() - side) / 2;
  ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(at.x, y), ImVec2(at.x + side, y + side), contender_colour(index), 2.0f);
  ImGui::Dummy(ImVec2(side, ImGui::GetTextLineHeight()));
  ImGui::SameLine();
  ImGui::Text("%zu", index + 1);
}

ImU32 score_colour(const std::string& level) {
  if (level == "none") return IM_COL32(90, 200, 120, 255);
  if (level == "faint") return IM_COL32(230, 160, 40, 255);
  if (level == "strong") return IM_COL32(240, 90, 90, 255);
  return IM_COL32(170, 170, 180, 255);
}

void score_text(const char* what, const ArtifactScore& score) {
  ImGui::TextUnformatted(what);
  ImGui::SameLine(0, 4);
  ImGui::PushStyleColor(ImGuiCol_Text, score_colour(score.level));
  ImGui::Text("%.3f (%s)", score.score, score.level.c_str());
  ImGui::PopStyleColor();
}

PlaneImage train_image(PanelContext& context, const char* id, const PlaneSpec& spec, ImVec2 max, ViewState& state) {
  const Tensor& tensor = *spec.tensor;
  const int64_t height = tensor.size(-2), width = tensor.size(-1);
  const float fit = std::min(max.x / static_cast<float>(width), max.y / static_cast<float>(height));
  const float scale = fit >= 1 ? std::floor(fit) : fit;
  const ImVec2 size(static_cast<float>(width) * scale, static_cast<float>(height) * scale);
  float zoom = state.zoom > 0 ? state.zoom : scale;
  const float before = zoom;
  const PlaneImage image = plane_view(context, id, spec, size, zoom, state.pan);
  if (zoom != before) state.zoom = zoom;  // the user zoomed (or double-clicked back to 0: the whole-number fit)
  const ViewGeometry& view = image.view;
  if (view.hovered && spec.channel >= 0) {
    const int64_t channels = tensor.dim() >= 3 ? tensor.size(-3) : 1;
    const float value = tensor.data()[((spec.batch * channels + spec.channel) * height + view.hover_y) * width + view.hover_x];
    ImGui::SetTooltip("(%lld, %lld): %.4g", static_cast<long long>(view.hover_y), static_cast<long long>(view.hover_x), value);
  }
  return image;
}

}  // namespace convt::lab::ui
