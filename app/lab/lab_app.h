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
  // True while something on screen moves by itself (a job running, the replay playing): keep rendering.
  bool animating() const;

 private:
  void shortcuts();

  LabModel& model_;
  UiState ui_;
  gfx::ColormapPass colormap_pass_;
  gfx::PlaneCache planes_;
};

}  // namespace convt::lab
