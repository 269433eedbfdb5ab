// The main menu bar: Lessons (the introduction and the six lessons) and View (the teaching views, each a view.*
// or compare.* setting, so --set, workspaces and lessons reach the same state).
#include "panels.h"

#include "../model/compare_keys.h"
#include "../model/lessons.h"

#include <string>

namespace convt::lab::ui {

void open_lesson(PanelContext& context, int64_t number) {
  LabState& state = context.model.state();
  apply_lesson(number, state);
  context.ui.preset = number > 0 ? lessons()[static_cast<size_t>(number - 1)].preset : "checkerboard";
  context.ui.state_replaced();
}

void draw_main_menu(PanelContext& context) {
  if (!ImGui::BeginMainMenuBar()) return;
  LabState& state = context.model.state();
  if (ImGui::BeginMenu("Lessons")) {
    if (ImGui::MenuItem("Introduction and list", nullptr, state.view.lessons && state.view.lesson == 0))
      open_lesson(context, 0);
    ImGui::Separator();
    for (const Lesson& lesson : lessons()) {
      const std::string label = std::to_string(lesson.number) + ". " + lesson.question;
      if (ImGui::MenuItem(label.c_str(), nullptr, state.view.lessons && state.view.lesson == lesson.number))
        open_lesson(context, lesson.number);
    }
    ImGui::Separator();
    ImGui::MenuItem("Show the Lessons window", nullptr, &state.view.lessons);
    ImGui::EndMenu();
  }
  if (ImGui::BeginMenu("View")) {
    bool compare = state.compare.enabled;
    if (ImGui::MenuItem("Compare A/B", nullptr, &compare)) {
      if (compare) enable_compare(state);
      else state.compare.enabled = false;
    }
    ImGui::MenuItem("Matrix: why \"transposed\"", nullptr, &state.view.matrix);
    ImGui::MenuItem("Round trip through conv2d", nullptr, &state.view.round_trip);
    ImGui::MenuItem("1-D replay along one row", nullptr, &state.view.replay_1d);
    const bool pinned = state.view.pin.target != PinTarget::None;
    if (ImGui::MenuItem("Unpin the pixel", "Esc", false, pinned)) state.view.pin = {};
    ImGui::EndMenu();
  }
  if (state.view.lessons && state.view.lesson > 0) {
    const Lesson& lesson = lessons()[static_cast<size_t>(state.view.lesson - 1)];
    ImGui::Separator();
    ImGui::TextDisabled("Lesson %lld of %lld: %s", static_cast<long long>(lesson.number),
                        static_cast<long long>(kLessonCount), lesson.title.c_str());
  }
  ImGui::EndMainMenuBar();
}

}  // namespace convt::lab::ui
