// The panels of ConvT Lab, one per file. Each draws into the current ImGui window and edits the model's state
// or the UI state; none does tensor math (the engine and the model do).
#pragma once

#include "../gfx/colormap_pass.h"
#include "../model/lab_model.h"
#include "ui_state.h"

#include <imgui.h>

namespace convt::lab::ui {

struct PanelContext {
  LabModel& model;
  UiState& ui;
  gfx::PlaneCache& planes;
  double time = 0;  // seconds since start, for animations
};

// True when `product` is made; otherwise one line saying why not: `waiting` while it is being made, or its error
// ("<refused>: <error>", or the error alone without `refused`), in `error_colour` when one is given.
template <typename T>
bool product_ready(const ProductCache::Typed<T>& product, const char* waiting, const char* refused = nullptr,
                   ImU32 error_colour = 0) {
  if (product.value) return true;
  if (product.error.empty()) {
    ImGui::TextDisabled("%s", waiting);
    return false;
  }
  if (error_colour) ImGui::PushStyleColor(ImGuiCol_Text, error_colour);
  if (refused) ImGui::TextWrapped("%s: %s", refused, product.error.c_str());
  else ImGui::TextWrapped("%s", product.error.c_str());
  if (error_colour) ImGui::PopStyleColor();
  return false;
}

void draw_input_panel(PanelContext& context);
void draw_layer_panel(PanelContext& context);
void draw_output_size_panel(PanelContext& context);
void draw_feature_maps_panel(PanelContext& context);
void draw_scatter_panel(PanelContext& context);
void draw_checkerboard_panel(PanelContext& context);
void draw_stack_panel(PanelContext& context);
void draw_status_bar(PanelContext& context);
void draw_file_browser(PanelContext& context);
void draw_workspace_panel(PanelContext& context);
// The Train lab (lab mode, train.enabled): its setup and controls, the contenders side by side, their curves.
void draw_train_setup_panel(PanelContext& context);
void draw_train_contenders_panel(PanelContext& context);
void draw_train_curves_panel(PanelContext& context);
// The Model panel: an ONNX model's graph as a list of nodes (shapes, parameters, the upsampling nodes' verdicts),
// its inputs and run, and the node that every other panel shows.
void draw_model_panel(PanelContext& context);
// Teaching: the Lessons window (the introduction, a lesson's text and steps, next and previous), the Pixel
// inspector (the pinned pixel's terms or footprint), Compare A/B (B next to A), the matrix view (why "transposed"),
// the conv2d round trip, and a scatter-then-convolve step or the replay opened large (view.enlarge).
void draw_lessons_panel(PanelContext& context);
void draw_inspector_panel(PanelContext& context);
void draw_compare_panel(PanelContext& context);
void draw_matrix_panel(PanelContext& context);
void draw_round_trip_panel(PanelContext& context);
void draw_enlarged_panel(PanelContext& context);
// The main menu bar (Lessons, View), and what its Lessons menu and the Lessons window do: set lesson `number` up
// (0: the introduction).
void draw_main_menu(PanelContext& context);
void open_lesson(PanelContext& context, int64_t number);
void save_workspace(PanelContext& context);  // to ui.workspace_path (Ctrl+S), on the worker
void finish_loading_workspace(PanelContext& context);  // applies a workspace Load asked for, once it is read

}  // namespace convt::lab::ui
