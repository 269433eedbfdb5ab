// A small built-in file browser (modal): folders first, then files with the extensions the target accepts;
// double-click or Open to pick, Backspace or ".." to go up, Escape to cancel.
#include "panels.h"

#include "../model/model_keys.h"

#include <algorithm>
#include <filesystem>
#include <vector>

namespace convt::lab::ui {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> extensions_for(BrowseTarget target) {
  if (target == BrowseTarget::Weight) return {".npy", ".safetensors"};
  if (target == BrowseTarget::Model) return {".onnx"};
  if (target == BrowseTarget::ModelInput) return {".npy", ".pb", ".png", ".jpg", ".jpeg", ".bmp", ".tga"};
  return {".png", ".jpg", ".jpeg", ".bmp", ".tga"};
}

const char* description_for(BrowseTarget target) {
  switch (target) {
    case BrowseTarget::Weight: return "weights: .npy or .safetensors [C_in, C_out/groups, kH, kW]";
    case BrowseTarget::Model: return "ONNX models: .onnx (Ctrl+M)";
    case BrowseTarget::ModelInput: return "the model's input: .npy, .pb (a TensorProto) or an image";
    default: return "images: PNG, JPEG, BMP, TGA";
  }
}

void choose(PanelContext& context, const fs::path& path) {
  if (context.ui.browser.opened == BrowseTarget::Model) {
    context.model.open_model(path.string());
    context.ui.model.reset();
  } else if (context.ui.browser.opened == BrowseTarget::ModelInput) {
    ModelSettings& model = context.model.state().model;
    const ModelSnapshot* snapshot = context.model.model_snapshot();
    const size_t inputs = snapshot && snapshot->model ? snapshot->model->inputs.size() : 1;
    model.input = with_model_input_file(model.input, context.ui.model.browse_input, inputs, path.string());
  } else if (context.ui.browser.opened == BrowseTarget::TrainImage) {
    context.model.state().train.setup.image = path.string();
    context.ui.train.image_path_text = path.string();
  } else if (context.ui.browser.opened == BrowseTarget::Image) {
    InputSettings& input = context.model.state().input;
    input.kind = InputKind::Image;
    input.image_path = path.string();
    context.ui.image_path_text = input.image_path;
  } else {
    WeightSource& weight = context.model.state().layer().weight;
    weight.from_file = true;
    weight.path = path.string();
    weight.tensor_name.clear();
    context.ui.layer.weight_path_text = weight.path;
  }
  context.ui.browser.close();
}

}  // namespace

void draw_file_browser(PanelContext& context) {
  FileBrowserState& browser = context.ui.browser;
  if (browser.request != BrowseTarget::None && browser.opened == BrowseTarget::None) {
    ImGui::OpenPopup("Open file");
    browser.opened = browser.request;
    ++browser.refresh;  // list the folder afresh each time the dialog opens
    if (browser.directory.empty()) {
      std::error_code error;
      browser.directory = fs::current_path(error).string();
    }
  }
  ImGui::SetNextWindowSize(ImVec2(ImGui::GetFontSize() * 36, ImGui::GetFontSize() * 26), ImGuiCond_Appearing);
  if (!ImGui::BeginPopupModal("Open file", nullptr)) {
    if (browser.opened != BrowseTarget::None) browser.close();  // closed by Escape
    return;
  }
  const fs::path directory(browser.directory);
  ImGui::TextWrapped("%s", directory.string().c_str());
  ImGui::TextDisabled("%s", description_for(browser.opened));
  // The folder is read on the worker; the dialog shows it once it is listed.
  const auto listing = context.model.analyses().directory(browser.directory, extensions_for(browser.opened), browser.refresh);

  ImGui::BeginChild("entries", ImVec2(0, -ImGui::GetFrameHeightWithSpacing() * 1.2f), true);
  bool go_up = ImGui::Selectable("..");
  if (!listing.value) {
    ImGui::TextDisabled("reading the folder...");
  } else {
    for (const std::string& folder : listing.value->folders)
      if (ImGui::Selectable((folder + "/").c_str())) browser.directory = (directory / folder).string();
    for (const std::string& name : listing.value->files) {
      const std::string path = (directory / name).string();
      if (ImGui::Selectable(name.c_str(), browser.selected == path, ImGuiSelectableFlags_AllowDoubleClick)) {
        browser.selected = path;
        if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) choose(context, path);
      }
    }
    if (!listing.value->error.empty()) ImGui::TextDisabled("%s", listing.value->error.c_str());
  }
  ImGui::EndChild();
  if (ImGui::IsWindowFocused(ImGuiFocusedFlags_RootAndChildWindows) && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Backspace)))
    go_up = true;
  if (go_up && directory.has_parent_path()) browser.directory = directory.parent_path().string();

  ImGui::BeginDisabled(browser.selected.empty());
  if (ImGui::Button("Open")) choose(context, browser.selected);
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) browser.close();
  if (browser.opened == BrowseTarget::None) ImGui::CloseCurrentPopup();
  ImGui::EndPopup();
}

}  // namespace convt::lab::ui
