// The Lessons window: the introduction with the six lessons as buttons (view.lesson 0), or one lesson: its
// question, its paragraphs, the pane it points at (outlined in amber by lab_app.cpp), the steps to try, and
// Previous / Next / All lessons. The text is data (model/lessons.cpp); the buttons go through open_lesson, so a
// lesson always sets the app up the same way as --lesson N does.
#include "panels.h"

#include "../model/lessons.h"

#include <algorithm>
#include <string>

namespace convt::lab::ui {
namespace {

const ImVec4 kHeadingColour(1.0f, 0.86f, 0.55f, 1.0f);  // a warm white, close to the amber of the highlight

// A full-width button whose label wraps: a lesson's number and its question, which is longer than a button line.
bool wrapped_button(const char* id, const std::string& number, const std::string& text) {
  const ImGuiStyle& style = ImGui::GetStyle();
  const float width = ImGui::GetContentRegionAvail().x;
  const float number_width = ImGui::CalcTextSize("00").x + style.FramePadding.x * 2;
  const float wrap = std::max(40.0f, width - number_width - style.FramePadding.x * 2);
  const ImVec2 text_size = ImGui::CalcTextSize(text.c_str(), nullptr, false, wrap);
  const ImVec2 size(width, text_size.y + style.FramePadding.y * 2);
  const ImVec2 at = ImGui::GetCursorScreenPos();
  const bool clicked = ImGui::InvisibleButton(id, size);
  const ImU32 fill = ImGui::GetColorU32(ImGui::IsItemActive() ? ImGuiCol_ButtonActive
                                        : ImGui::IsItemHovered() ? ImGuiCol_ButtonHovered
                                                                 : ImGuiCol_Button);
  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->AddRectFilled(at, ImVec2(at.x + size.x, at.y + size.y), fill, style.FrameRounding);
  const ImVec2 text_at(at.x + style.FramePadding.x, at.y + style.FramePadding.y);
  draw->AddText(text_at, ImGui::GetColorU32(kHeadingColour), number.c_str());
  draw->AddText(ImGui::GetFont(), ImGui::GetFontSize(), ImVec2(text_at.x + number_width, text_at.y),
                ImGui::GetColorU32(ImGuiCol_Text), text.c_str(), nullptr, wrap);
  return clicked;
}

void introduction(PanelContext& context) {
  for (const std::string& paragraph : lessons_introduction()) {
    ImGui::TextWrapped("%s", paragraph.c_str());
    ImGui::Spacing();
  }
  for (const Lesson& lesson : lessons()) {
    const std::string id = "##lesson" + std::to_string(lesson.number);
    if (wrapped_button(id.c_str(), std::to_string(lesson.number), lesson.question)) open_lesson(context, lesson.number);
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("Lesson %lld: %s. Opens the %s preset and points at the %s panel.",
                        static_cast<long long>(lesson.number), lesson.title.c_str(), lesson.preset.c_str(),
                        lesson.panel.c_str());
  }
}

void lesson_text(const Lesson& lesson) {
  ImGui::TextDisabled("Lesson %lld of %lld", static_cast<long long>(lesson.number), static_cast<long long>(kLessonCount));
  ImGui::PushStyleColor(ImGuiCol_Text, kHeadingColour);
  ImGui::TextWrapped("%s", lesson.question.c_str());
  ImGui::PopStyleColor();
  ImGui::Separator();
  for (const std::string& paragraph : lesson.paragraphs) {
    ImGui::TextWrapped("%s", paragraph.c_str());
    ImGui::Spacing();
  }
  ImGui::TextWrapped("Look at: the %s panel (outlined in amber)", lesson.panel.c_str());
  ImGui::Spacing();
  ImGui::PushStyleColor(ImGuiCol_Text, kHeadingColour);
  ImGui::TextUnformatted("Try this:");
  ImGui::PopStyleColor();
  for (const std::string& step : lesson.try_this) {
    ImGui::Bullet();
    ImGui::TextWrapped("%s", step.c_str());
  }
}

// Previous / Next / All lessons, below the scrolled text so they stay in reach.
void navigation(PanelContext& context, int64_t number) {
  ImGui::BeginDisabled(number <= 1);
  if (ImGui::Button("< Previous")) open_lesson(context, number - 1);
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::BeginDisabled(number >= kLessonCount);
  if (ImGui::Button("Next >")) open_lesson(context, number + 1);
  ImGui::EndDisabled();
  ImGui::SameLine();
  // Back to the list without a set-up: what the learner built in this lesson stays on screen.
  if (ImGui::Button("All lessons")) context.model.state().view.lesson = 0;
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("The introduction and the list of lessons (the screen stays as it is)");
}

}  // namespace

void draw_lessons_panel(PanelContext& context) {
  const int64_t number = std::clamp<int64_t>(context.model.state().view.lesson, 0, kLessonCount);
  if (number == 0) {
    introduction(context);
    return;
  }
  const float footer = ImGui::GetFrameHeightWithSpacing() + ImGui::GetStyle().ItemSpacing.y;
  if (ImGui::BeginChild("##lesson_text", ImVec2(0, -footer)))
    lesson_text(lessons()[static_cast<size_t>(number - 1)]);
  ImGui::EndChild();
  ImGui::Separator();
  navigation(context, number);
}

}  // namespace convt::lab::ui
