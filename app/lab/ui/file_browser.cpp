// A small built-in file browser (modal): folders first, then files with the extensions the target accepts;
// double-click or Open to pick, Backspace or ".." to go up, Escape to cancel.
#include "panels.h"

#include <algorithm>
#include <filesystem>
#include <vector>

namespace convt::lab::ui {
namespace {

namespace fs = std::filesystem;

bool accepted(const fs::path& path, BrowseTarget target) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return std::tolower(c); });
  if (target == BrowseTarget::Weight) return extension == ".npy" || extension == ".safetensors";
  return extension == ".png" || extension == ".jpg" || extension == ".jpeg" || extension == ".bmp" || extension == ".tga";
}

void choose(PanelContext& context, const fs::path& path) {
  if (context.ui.browse == BrowseTarget::Image) {
    InputSettings& input = context.model.state().input;
    input.kind = InputKind::Image;
    input.image_path = path.string();
    context.ui.image_path_text = input.image_path;
  } else {
    WeightSource& weight = context.model.state().layer().weight;
    weight.from_file = true;
    weight.path = path.string();
    weight.tensor_name.clear();
    context.ui.weight_path_text = weight.path;
  }
  context.ui.browse = BrowseTarget::None;
}

}  // namespace

void draw_file_browser(PanelContext& context) {
  UiState& ui = context.ui;
  static BrowseTarget opened = BrowseTarget::None;
  static std::string selected;
  if (ui.browse != BrowseTarget::None && opened == BrowseTarget::None) {
    ImGui::OpenPopup("Open file");
    opened = ui.browse;
    if (ui.browse_directory.empty()) ui.browse_directory = fs::current_path().string();
  }
  ImGui::SetNextWindowSize(ImVec2(ImGui::GetFontSize() * 36, ImGui::GetFontSize() * 26), ImGuiCond_Appearing);
  if (!ImGui::BeginPopupModal("Open file", nullptr)) {
    if (opened != BrowseTarget::None) ui.browse = BrowseTarget::None;  // closed by Escape
    opened = BrowseTarget::None;
    return;
  }
  fs::path directory(ui.browse_directory);
  ImGui::TextWrapped("%s", directory.string().c_str());
  ImGui::TextDisabled(ui.browse == BrowseTarget::Weight ? "weights: .npy or .safetensors [C_in, C_out/groups, kH, kW]"
                                                        : "images: PNG, JPEG, BMP, TGA");
  std::vector<fs::directory_entry> folders, files;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(directory, fs::directory_options::skip_permission_denied, error)) {
    if (entry.is_directory(error)) folders.push_back(entry);
    else if (accepted(entry.path(), ui.browse)) files.push_back(entry);
  }
  auto by_name = [](const fs::directory_entry& a, const fs::directory_entry& b) { return a.path().filename() < b.path().filename(); };
  std::sort(folders.begin(), folders.end(), by_name);
  std::sort(files.begin(), files.end(), by_name);

  ImGui::BeginChild("entries", ImVec2(0, -ImGui::GetFrameHeightWithSpacing() * 1.2f), true);
  bool go_up = ImGui::Selectable("..");
  for (const auto& folder : folders)
    if (ImGui::Selectable((folder.path().filename().string() + "/").c_str())) ui.browse_directory = folder.path().string();
  for (const auto& file : files) {
    const std::string name = file.path().filename().string();
    if (ImGui::Selectable(name.c_str(), selected == file.path().string(), ImGuiSelectableFlags_AllowDoubleClick)) {
      selected = file.path().string();
      if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) choose(context, file.path());
    }
  }
  if (error) ImGui::TextDisabled("%s", error.message().c_str());
  ImGui::EndChild();
  if (ImGui::IsWindowFocused(ImGuiFocusedFlags_RootAndChildWindows) && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Backspace)))
    go_up = true;
  if (go_up && directory.has_parent_path()) ui.browse_directory = directory.parent_path().string();

  ImGui::BeginDisabled(selected.empty());
  if (ImGui::Button("Open")) choose(context, selected);
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) ui.browse = BrowseTarget::None;
  if (ui.browse == BrowseTarget::None) {
    ImGui::CloseCurrentPopup();
    opened = BrowseTarget::None;
    selected.clear();
  }
  ImGui::EndPopup();
}

}  // namespace convt::lab::ui
