// The app's frame: lays the panels out in fixed windows sized from the viewport, handles the keyboard
// shortcuts, and owns the GL helpers the panels draw with. Created after the GL context; main.cpp owns the window.
#pragma once

#include "gfx/colormap_pass.h"
#include "model/lab_model.h"
#include "ui/ui_state.h"

namespace convt::lab {

class LabApp {
 public:
  explicit LabApp(LabModel& model);

  // Builds one frame's UI (between ImGui::NewFrame and ImGui::Render). `time` is seconds since start.
  void frame(double time);

  UiState& ui() { return ui_; }
  // True while something on screen moves by itself (the replay playing): render at full rate.
  bool animating() const;
  // True while the workers compute (a progress bar, views landing): render a few dozen times a second, no more,
  // so that on a small machine the frames leave the cores to the work they show.
  bool waiting() const;

 private:
  void shortcuts();

  LabModel& model_;
  UiState ui_;
  gfx::ColormapPass colormap_pass_;
  gfx::PlaneCache planes_;
};

}  // namespace convt::lab
