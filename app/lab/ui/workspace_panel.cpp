// Workspace: save what is on screen (input, layers, backend, view) as a JSON workspace and load one back
// (Ctrl+S saves). The file is written and read on the worker. The CLI runs the same files: convt run --workspace.
#include "panels.h"
#include "widgets.h"

#include "../model/workspace_state.h"

#include <convt/error.h>

#include <imgui_stdlib.h>

namespace convt::lab::ui {

void save_workspace(PanelContext& context) {
  const Workspace workspace = to_workspace(context.model.state());
  const std::string path = context.ui.workspace_path;
  context.model.run_task([workspace, path]() -> std::string {  // a failure's message becomes the notice
    write_workspace(path, workspace);
    return "saved the workspace to " + path;
  });
  context.ui.notice = "saving " + path + "...";
  context.ui.notice_until = context.time + 5;
}

// A load asked for earlier: applied once the worker has read the file.
void finish_loading_workspace(PanelContext& context) {
  UiState& ui = context.ui;
  const auto loaded = context.model.analyses().workspace_file(ui.workspace_path, ui.workspace_load);
  if (!loaded.value && loaded.error.empty()) return;
  ui.workspace_loading = false;
  ui.notice_until = context.time + 5;
  try {
    if (!loaded.value) throw_io(loaded.error);
    apply_workspace(*loaded.value, ui.workspace_path, context.model.state());
    ui.image_path_text = context.model.state().input.image_path;
    ui.state_replaced();
    ui.notice = "loaded " + ui.workspace_path;
  } catch (const Error& e) {
    ui.notice = e.what();
  }
}

void draw_workspace_panel(PanelContext& context) {
  UiState& ui = context.ui;
  ImGui::SetNextItemWidth(-1);
  ImGui::BeginDisabled(ui.workspace_loading);
  ImGui::InputText("##workspace_path", &ui.workspace_path);
  if (ImGui::Button("Save (Ctrl+S)")) save_workspace(context);
  ImGui::SameLine();
  if (ImGui::Button("Load")) {
    ++ui.workspace_load;
    ui.workspace_loading = true;
  }
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::TextDisabled(ui.workspace_loading ? "reading..." : "run it headless: convt run --workspace FILE");
}

}  // namespace convt::lab::ui
