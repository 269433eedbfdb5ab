// The scatter-then-convolve steps and the two replays, shared by the Scatter-then-convolve pane (small) and the
// enlarged view (large): what each step is called and shows, the outlines drawn on it, and the replays.
// enlarged_panel.cpp defines the steps and their outlines, scatter_panel.cpp the 2-D replay, row_replay.cpp the 1-D one.
#pragma once

#include "panels.h"
#include "plane_textures.h"
#include "widgets.h"

#include <memory>
#include <string>
#include <vector>

namespace convt::lab::ui {

// One step of the shown slice, as a view shows it.
struct StepView {
  EnlargedView which = EnlargedView::Input;
  std::string title;    // "2 insert zeros"
  std::string caption;  // the step in words with this layer's numbers
  std::string help;     // why the step is what it is
  PlaneSpec spec;
  const float* values = nullptr;  // the plane shown, row-major, for printing values (read, not computed)
  int64_t height = 0, width = 0;
};

// The shown slice's steps product, or null after a line saying why not (still computing, or the error).
std::shared_ptr<const SliceSteps> slice_steps_or_say_why(PanelContext& context, const ComputeResult& r);

// The six steps of the shown slice, input to output, from its steps product (the views share its ownership).
std::vector<StepView> slice_step_views(const ComputeResult& r, const std::shared_ptr<const SliceSteps>& steps);

// The outlines of step `which` on its view: output_padding's rows and columns, the pinned pixel, the stride-1
// convolution window the pinned output pixel reads, and where the pin's input pixels and taps went.
void outline_step(PanelContext& context, const ComputeResult& r, const SliceSteps& steps, EnlargedView which,
                  const ViewGeometry& view);

// One coloured line per kind of outline that shows on the steps (none when nothing is outlined).
void outline_legend(PanelContext& context, const ComputeResult& r);

// The 2-D scatter replay in a box of `size`: controls, the input with the current pixel, and the growing output
// with the current stamp's whole footprint; `large` prints values and uses the enlarged view's zoom and pan.
void scatter_replay(PanelContext& context, const ComputeResult& r, const std::shared_ptr<const SliceSteps>& steps,
                    ImVec2 size, bool large);

// Play/pause (the replays share ScatterState::replay_playing, which Space toggles), one stamp back or forward, a
// slider over the stamps and the speed; advances `step` while playing (both replays use it).
void stamp_controls(PanelContext& context, int64_t& step, int64_t total, float& per_second, double& clock);

// The 1-D replay along input row view.replay_row: the row, the output row being built and the coverage counter;
// `large` adds every stamp's reach (the matrix's rows).
void row_replay(PanelContext& context, const ComputeResult& r, ImVec2 size, bool large);

}  // namespace convt::lab::ui
