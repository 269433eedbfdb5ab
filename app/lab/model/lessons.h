// Six short guided lessons, one per question a learner of transposed convolution asks, and the introduction that
// lists them. Each sets the app up (a preset, then view.* and compare.* settings: a pinned pixel, a view, B) and
// points at the panel that answers. The text is data; the Lessons window (ui/lessons_panel.cpp) shows it.
#pragma once

#include "lab_state.h"

#include <string>
#include <vector>

namespace convt::lab {

struct Lesson {
  int64_t number = 0;    // 1 to 6
  std::string question;  // the learner's question, as asked
  std::string title;     // short, for the menu
  std::string panel;     // the window that answers it, highlighted while the lesson shows ("Output size", ...)
  std::vector<std::string> paragraphs;  // two to five
  std::vector<std::string> try_this;    // steps to do on screen
  std::string preset;                   // presets.h
  std::vector<std::string> settings;    // then these (state_keys.h): view.* and compare.* only, so the preset's
                                        // caption stays unmodified
};

constexpr int64_t kLessonCount = 6;

const std::vector<Lesson>& lessons();                   // lessons 1 to 6, in order
const std::vector<std::string>& lessons_introduction();  // the introduction's paragraphs (lesson 0)

// Sets the state up for lesson `number` (0: the introduction, on the checkerboard preset) and shows it in the
// Lessons window. Views a previous lesson opened (a pin, B, the matrix, a large step) close first.
// InvalidArgument for a number outside [0, 6].
void apply_lesson(int64_t number, LabState& state);

}  // namespace convt::lab
