// Input: a built-in pattern, a seeded random tensor, or an image file (path field, Browse, drag and drop onto the
// window, or one of the sample images in assets/).
#include "panels.h"
#include "widgets.h"

#include <imgui_stdlib.h>

#include <filesystem>

namespace convt::lab::ui {
namespace {

void pattern_controls(PanelContext& context) {
  InputSettings& input = context.model.state().input;
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
  enum_combo("pattern", input.pattern, pattern_names());
  const bool invalid = context.model.error_is("input.pattern_size");
  int_input("size", input.pattern_size, 1, 1024, invalid);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("The pattern's height and width, in pixels");
  int_input("channels", input.pattern_channels, 1, 64, invalid);
}

void random_controls(PanelContext& context) {
  InputSettings& input = context.model.state().input;
  const bool invalid = context.model.error_is("input.shape") || context.model.error_is("input");
  int_input("N (batch)", input.batch, 1, 4096, invalid);
  int_input("C (channels)", input.channels, 1, 4096, invalid);
  int_input("H (height)", input.height, 1, 4096, invalid);
  int_input("W (width)", input.width, 1, 4096, invalid);
  enum_radio(input.distribution, distribution_names());
  int64_t seed = static_cast<int64_t>(input.seed);
  if (int_input("seed##input", seed, 0, INT64_MAX)) input.seed = static_cast<uint64_t>(seed);
}

void image_controls(PanelContext& context) {
  InputSettings& input = context.model.state().input;
  UiState& ui = context.ui;
  if (ui.image_path_text.empty() && !input.image_path.empty()) ui.image_path_text = input.image_path;
  {
    InvalidScope scope(context.model.error_is("input.image"));
    ImGui::SetNextItemWidth(-ImGui::GetFontSize() * 4.5f);
    if (ImGui::InputText("##image_path", &ui.image_path_text, ImGuiInputTextFlags_EnterReturnsTrue))
      input.image_path = ui.image_path_text;
  }
  ImGui::SameLine();
  if (ImGui::Button("Load")) input.image_path = ui.image_path_text;
  if (ImGui::Button("Browse... (Ctrl+O)")) ui.browser.request = BrowseTarget::Image;
  ImGui::SameLine();
  ImGui::TextDisabled("or drop a file on the window");
  ImGui::Checkbox("resize, longer side", &input.resize_image);
  ImGui::SameLine();
  ImGui::BeginDisabled(!input.resize_image);
  int_input("##working_size", input.working_size, 1, 1024, context.model.error_is("input.working_size"));
  ImGui::EndDisabled();

  // Sample images the project generates into assets/ (see scripts/make_assets.sh), listed on the worker.
  const std::string samples = (std::filesystem::path(CONVT_ASSETS_DIR) / "samples").string();
  const auto listing = context.model.analyses().directory(samples, {".png"}, 0);
  if (listing.value && !listing.value->files.empty()) {
    ImGui::TextDisabled("samples:");
    for (const std::string& file : listing.value->files) {
      const std::string name = std::filesystem::path(file).stem().string();
      // Wrap to a new line rather than run past the panel's edge.
      const float width = ImGui::CalcTextSize(name.c_str()).x + ImGui::GetStyle().FramePadding.x * 2;
      ImGui::SameLine();
      if (ImGui::GetContentRegionAvail().x < width) ImGui::NewLine();
      if (ImGui::SmallButton(name.c_str())) {
        input.image_path = (std::filesystem::path(samples) / file).string();
        ui.image_path_text = input.image_path;
      }
    }
  }
}

// While a model's node is shown, its input is the node's activation: what the model ran on is chosen in the Model
// panel, and this section says where the tensor comes from.
void model_node_input(PanelContext& context) {
  const LabState& state = context.model.state();
  const ModelLayer* node = context.model.model_layer(state.selected());
  if (!node) return;
  ImGui::TextWrapped("%s's input activation %s", node->node.c_str(), shape_to_string(node->input->shape()).c_str());
  if (node->source == ActivationSource::Run)
    ImGui::TextDisabled("from the model's run on its inputs (chosen in the Model panel)");
  else
    ImGui::TextColored(ImVec4(0.9f, 0.63f, 0.24f, 1.0f), "random U(-1, 1): the model could not run up to this node");
  ImGui::TextDisabled("The explorer's own input comes back when the node closes.");
}

}  // namespace

void draw_input_panel(PanelContext& context) {
  if (context.model.shows_model_node()) {
    model_node_input(context);
    return;
  }
  InputSettings& input = context.model.state().input;
  enum_radio(input.kind, input_kind_names());
  switch (input.kind) {
    case InputKind::Pattern: pattern_controls(context); break;
    case InputKind::Random: random_controls(context); break;
    case InputKind::Image: image_controls(context); break;
  }
  const Shape& shape = context.model.stack_input_shape();
  if (!shape.empty()) {
    ImGui::TextDisabled("input tensor %s", shape_to_string(shape).c_str());
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("[N samples, C channels, H height, W width]");
  }
}

}  // namespace convt::lab::ui
