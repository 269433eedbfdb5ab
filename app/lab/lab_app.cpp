#include "lab_app.h"

#include "model/lessons.h"
#include "ui/panels.h"

#include <imgui.h>

#include <GLFW/glfw3.h>

#include <ctime>
#include <filesystem>
#include <string>

namespace convt::lab {
namespace {

constexpr ImGuiWindowFlags kFixed = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
                                    ImGuiWindowFlags_NoSavedSettings;

// Opens the fixed panes of one frame (positions in viewport coordinates), giving the pane a lesson points at (its
// Lesson::panel, matched against the start of the title) an amber title bar and border.
class Panes {
 public:
  explicit Panes(std::string highlighted = "") : highlighted_(std::move(highlighted)) {}

  // A fixed window at (x, y) of size (w, h); `open` adds a close box.
  bool fixed(const char* title, float x, float y, float w, float h, ImGuiWindowFlags extra = 0, bool* open = nullptr) const {
    place(x, y, w, h);
    return begin(title, open, kFixed | extra);
  }
  // An analysis pane can be collapsed from its title bar: collapsed, it asks for nothing, so it costs nothing.
  bool analysis(const char* title, float x, float y, float w, float h) const {
    place(x, y, w, h);
    return begin(title, nullptr, kFixed & ~ImGuiWindowFlags_NoCollapse);
  }

 private:
  static void place(float x, float y, float w, float h) {
    const ImVec2 origin = ImGui::GetMainViewport()->WorkPos;
    ImGui::SetNextWindowPos(ImVec2(origin.x + x, origin.y + y));
    ImGui::SetNextWindowSize(ImVec2(w, h));
  }
  bool begin(const char* title, bool* open, ImGuiWindowFlags flags) const {
    const std::string name(title);
    const bool highlight = !highlighted_.empty() && name.substr(0, name.find("###")).rfind(highlighted_, 0) == 0;
    if (highlight) {
      const ImVec4 amber(0.85f, 0.55f, 0.1f, 1.0f);
      ImGui::PushStyleColor(ImGuiCol_TitleBg, amber);
      ImGui::PushStyleColor(ImGuiCol_TitleBgActive, amber);
      ImGui::PushStyleColor(ImGuiCol_TitleBgCollapsed, amber);
      ImGui::PushStyleColor(ImGuiCol_Border, amber);
      ImGui::PushStyleVar(ImGuiStyleVar_WindowBorderSize, 2.0f);
    }
    const bool visible = ImGui::Begin(title, open, flags);
    if (highlight) {
      ImGui::PopStyleVar();
      ImGui::PopStyleColor(4);
    }
    return visible;
  }
  std::string highlighted_;
};

// Lab mode: the Train lab takes the window. Setup on the left; the contenders side by side, their curves below.
void train_lab(ui::PanelContext& context) {
  const Panes panes;
  const ImVec2 size = ImGui::GetMainViewport()->WorkSize;
  const float left = std::max(340.0f, size.x * 0.21f);
  const float right = size.x - left;
  const float curves = std::max(220.0f, size.y * 0.3f);
  if (panes.fixed("Train lab: setup", 0, 0, left, size.y)) ui::draw_train_setup_panel(context);
  ImGui::End();
  if (panes.fixed("Contenders: the same data, side by side", left, 0, right, size.y - curves)) ui::draw_train_contenders_panel(context);
  ImGui::End();
  if (panes.fixed("Training curves", left, size.y - curves, right, curves, ImGuiWindowFlags_NoScrollbar))
    ui::draw_train_curves_panel(context);
  ImGui::End();
}

// The centre's lower pane: scatter-then-convolve, the matrix view or the round trip, picked by view.matrix and
// view.round_trip (the matrix first when both are on) or by the buttons at its top, which set them.
void steps_pane(ui::PanelContext& context, const Panes& panes, float x, float y, float w, float h) {
  ViewSettings& view = context.model.state().view;
  const int shown = view.matrix ? 1 : view.round_trip ? 2 : 0;
  const char* titles[] = {"Scatter-then-convolve###steps", "Matrix: why \"transposed\"###steps",
                          "Round trip: conv2d back down###steps"};
  if (panes.analysis(titles[shown], x, y, w, h)) {
    const char* names[] = {"Scatter-then-convolve", "Matrix: why \"transposed\"", "Round trip through conv2d"};
    for (int tab = 0; tab < 3; ++tab) {
      if (tab) ImGui::SameLine();
      if (ImGui::RadioButton(names[tab], tab == shown)) {
        view.matrix = tab == 1;
        view.round_trip = tab == 2;
      }
    }
    ImGui::Separator();
    if (shown == 0) ui::draw_scatter_panel(context);
    else if (shown == 1) ui::draw_matrix_panel(context);
    else ui::draw_round_trip_panel(context);
  }
  ImGui::End();
}

}  // namespace

LabApp::LabApp(LabModel& model) : model_(model), planes_(colormap_pass_) {}

bool LabApp::animating() const { return ui_.scatter.replay_playing; }

bool LabApp::waiting() const {
  // A playing Train lab publishes a few snapshots a second: frames at the waiting rate show them all.
  const TrainSettings& train = model_.state().train;
  return model_.busy() || ui_.workspace_loading || (train.enabled && train.playing);
}

void LabApp::shortcuts() {
  ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput) return;  // typing into a field: keys belong to it
  const bool ctrl = io.KeyCtrl;
  if (ctrl && ImGui::IsKeyPressed(GLFW_KEY_Q, false)) ui_.quit_requested = true;
  if (ImGui::IsKeyPressed(GLFW_KEY_F12, false)) {
    char name[64];
    const std::time_t now = std::time(nullptr);
    std::strftime(name, sizeof name, "convt-lab-%Y%m%d-%H%M%S.png", std::localtime(&now));
    ui_.screenshot_request = name;
  }
  TrainSettings& train = model_.state().train;
  if (train.enabled) {  // lab mode: Space plays and pauses the training; the explorer's keys do not apply
    if (ImGui::IsKeyPressed(GLFW_KEY_SPACE, false)) train.playing = !train.playing;
    return;
  }
  ScatterState& replay = ui_.scatter;
  if (ImGui::IsKeyPressed(GLFW_KEY_SPACE, false)) replay.replay_playing = !replay.replay_playing;
  if (ImGui::IsKeyPressed(GLFW_KEY_LEFT) && replay.replay_step > 0) --replay.replay_step, replay.replay_playing = false;
  if (ImGui::IsKeyPressed(GLFW_KEY_RIGHT)) ++replay.replay_step, replay.replay_playing = false;
  if (ImGui::IsKeyPressed(GLFW_KEY_ESCAPE, false)) {  // closes the large view first, then unpins
    ViewSettings& view = model_.state().view;
    if (view.enlarge != EnlargedView::None) view.enlarge = EnlargedView::None;
    else view.pin = {};
  }
  if (ImGui::IsKeyPressed(GLFW_KEY_HOME, false)) {
    model_.state().view.zoom = 0;
    ui_.reset_views();
  }
  LabState& state = model_.state();
  if (ImGui::IsKeyPressed(GLFW_KEY_PAGE_UP) && state.selected() > 0) state.selected_layer = state.selected() - 1;
  if (ImGui::IsKeyPressed(GLFW_KEY_PAGE_DOWN) && state.selected() + 1 < static_cast<int64_t>(state.layers.size()))
    state.selected_layer = state.selected() + 1;
  if (ctrl && ImGui::IsKeyPressed(GLFW_KEY_O, false)) ui_.browser.request = BrowseTarget::Image;
  if (ctrl && ImGui::IsKeyPressed(GLFW_KEY_M, false)) ui_.browser.request = BrowseTarget::Model;
  if (ctrl && ImGui::IsKeyPressed(GLFW_KEY_S, false)) ui_.save_requested = true;
}

void LabApp::frame(double time) {
  // Another layer shown (click, arrows, keys, a preset, a model's node): per-layer UI state starts from that
  // layer's. Checked before this frame's shortcuts, like a click's change: the model has updated its shapes for it
  // by the next frame, when the views start afresh.
  const LabState& state = model_.state();
  if (state.selected() != ui_.shown_layer || state.layers.size() != ui_.shown_layers) {
    ui_.shown_layer = state.selected();
    ui_.shown_layers = state.layers.size();
    ui_.reset_for_layer(state.layer().weight.path);
  }
  shortcuts();
  ui::PanelContext context{model_, ui_, planes_, time};
  // Outcomes of tasks the worker finished (exports, saves) go to the status bar.
  for (const std::string& notice : model_.take_notices()) {
    ui_.notice = notice;
    ui_.notice_until = time + 6;
  }
  if (ui_.workspace_loading) ui::finish_loading_workspace(context);
  if (model_.state().train.enabled) {
    train_lab(context);
    ui::draw_file_browser(context);
    return;
  }
  ui::draw_main_menu(context);  // before the panes: the work area below it is theirs
  const LabState& shown_state = model_.state();
  const Panes panes(shown_state.view.lessons && shown_state.view.lesson > 0
                        ? lessons()[static_cast<size_t>(shown_state.view.lesson - 1)].panel
                        : "");
  const ImVec2 size = ImGui::GetMainViewport()->WorkSize;
  const float status_height = ImGui::GetFrameHeightWithSpacing() + ImGui::GetStyle().WindowPadding.y * 2;
  // An open model takes the top of a wider left column: its node list needs the width of an op, a name and shapes.
  // The Lessons window comes next, then the controls.
  const bool model_open = !shown_state.model.path.empty();
  const bool lessons_open = shown_state.view.lessons;
  const float left = model_open ? std::max(380.0f, size.x * 0.26f) : std::max(300.0f, size.x * 0.22f);
  const float right = std::max(320.0f, size.x * 0.27f);
  const float centre = size.x - left - right;
  const float body = size.y - status_height;
  const float model_height = model_open ? body * (lessons_open ? 0.4f : 0.6f) : 0.0f;
  const float lessons_height = lessons_open ? body * (model_open ? 0.3f : 0.5f) : 0.0f;

  if (model_open) {
    const std::string title = "Model: " + std::filesystem::path(shown_state.model.path).filename().string() + "###model";
    if (panes.fixed(title.c_str(), 0, 0, left, model_height)) ui::draw_model_panel(context);
    ImGui::End();
  }
  if (lessons_open) {
    bool open = true;
    if (panes.fixed("Lessons###lessons", 0, model_height, left, lessons_height, 0, &open)) ui::draw_lessons_panel(context);
    ImGui::End();
    if (!open) model_.state().view.lessons = false;
  }
  const float controls_top = model_height + lessons_height;
  if (panes.fixed("Controls", 0, controls_top, left, body - controls_top)) {
    if (ImGui::Button("Train lab")) model_.state().train.enabled = true;
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("Learnable upsampling, live: train deconv, resize-conv and subpixel layers side by side on an "
                        "image, and watch their checkerboards form or fade (--set train.enabled=true)");
    ImGui::SameLine();
    if (ImGui::Button("Open an ONNX model")) ui_.browser.request = BrowseTarget::Model;
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("Ctrl+M, or drop a .onnx file on the window: its graph, and its ConvTranspose nodes in every "
                        "panel with their real activations and weights (--model FILE)");
    ImGui::SetNextItemOpen(true, ImGuiCond_Once);
    if (ImGui::CollapsingHeader("Input")) ui::draw_input_panel(context);
    ImGui::SetNextItemOpen(true, ImGuiCond_Once);
    if (ImGui::CollapsingHeader("Layer")) ui::draw_layer_panel(context);
    if (ImGui::CollapsingHeader("Workspace")) ui::draw_workspace_panel(context);
  }
  ImGui::End();

  // A stack gets a strip of its stages above the feature maps; one layer keeps the whole column.
  const bool stack = shown_state.layers.size() > 1;
  const float line = ImGui::GetTextLineHeightWithSpacing();
  const float stack_height = stack ? ImGui::GetFontSize() * 5.5f + 6 * line : 0.0f;
  if (stack) {
    if (panes.fixed("Stack", left, 0, centre, stack_height, ImGuiWindowFlags_HorizontalScrollbar)) ui::draw_stack_panel(context);
    ImGui::End();
  }
  // Compare A/B takes the feature maps' place: A, B and their difference side by side.
  // The matrix view needs rows for C^T's O entries: it takes more of the column than the steps do.
  const float maps_height = (body - stack_height) * (shown_state.view.matrix ? 0.42f : 0.58f);
  if (shown_state.compare.enabled) {
    if (panes.fixed("Compare A/B", left, stack_height, centre, maps_height)) ui::draw_compare_panel(context);
  } else if (panes.fixed("Feature maps", left, stack_height, centre, maps_height)) {
    ui::draw_feature_maps_panel(context);
  }
  ImGui::End();
  steps_pane(context, panes, left, stack_height + maps_height, centre, body - stack_height - maps_height);

  // The right column: the output size, the pinned pixel's inspector while a pixel is pinned, the checkerboard.
  const bool pinned = shown_state.view.pin.target != PinTarget::None;
  const float size_height = body * 0.34f;
  const float inspector_height = pinned ? body * 0.32f : 0.0f;
  if (panes.fixed("Output size", left + centre, 0, right, size_height)) ui::draw_output_size_panel(context);
  ImGui::End();
  if (pinned) {
    bool open = true;
    if (panes.fixed("Pixel inspector", left + centre, size_height, right, inspector_height, 0, &open))
      ui::draw_inspector_panel(context);
    ImGui::End();
    if (!open) model_.state().view.pin = {};
  }
  const float checkerboard_top = size_height + inspector_height;
  if (panes.analysis("Checkerboard", left + centre, checkerboard_top, right, body - checkerboard_top))
    ui::draw_checkerboard_panel(context);
  ImGui::End();

  // A step or the replay opened large covers the centre column until closed (the close box, or Escape).
  if (model_.state().view.enlarge != EnlargedView::None) {
    bool open = true;
    if (panes.fixed("Scatter-then-convolve, opened large###enlarged", left, 0, centre, body, 0, &open)) ui::draw_enlarged_panel(context);
    ImGui::End();
    if (!open) model_.state().view.enlarge = EnlargedView::None;
  }

  if (panes.fixed("##status", 0, body, size.x, status_height, ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoScrollbar))
    ui::draw_status_bar(context);
  ImGui::End();

  ui::draw_file_browser(context);
  if (ui_.save_requested) {
    ui_.save_requested = false;
    ui::save_workspace(context);
  }
}

}  // namespace convt::lab
