// Workspace: save what is on screen (input, layer, backend, view) as a JSON workspace and load one back
// (Ctrl+S saves). The CLI runs the same files: convt run --workspace FILE.
#include "panels.h"
#include "widgets.h"

#include "../model/workspace_state.h"

#include <convt/error.h>

#include <imgui_stdlib.h>

namespace convt::lab::ui {

void save_workspace(PanelContext& context) {
  try {
    write_workspace(context.ui.workspace_path, to_workspace(context.model.state()));
    context.ui.notice = "saved the workspace to " + context.ui.workspace_path;
  } catch (const Error& e) {
    context.ui.notice = e.what();
  }
  context.ui.notice_until = context.time + 5;
}

void draw_workspace_panel(PanelContext& context) {
  ImGui::SetNextItemWidth(-1);
  ImGui::InputText("##workspace_path", &context.ui.workspace_path);
  if (ImGui::Button("Save (Ctrl+S)")) save_workspace(context);
  ImGui::SameLine();
  if (ImGui::Button("Load")) {
    try {
      apply_workspace(read_workspace(context.ui.workspace_path), context.ui.workspace_path, context.model.state());
      context.ui.image_path_text = context.model.state().input.image_path;
      context.ui.weight_path_text = context.model.state().layer().weight.path;
      context.ui.notice = "loaded " + context.ui.workspace_path;
    } catch (const Error& e) {
      context.ui.notice = e.what();
    }
    context.ui.notice_until = context.time + 5;
  }
  ImGui::SameLine();
  ImGui::TextDisabled("run it headless: convt run --workspace FILE");
}

}  // namespace convt::lab::ui
