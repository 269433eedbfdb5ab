// The app's exports, each into the current folder under a time-stamped name, each file written atomically by the
// engine (export_npy_and_png): the shown output, every stage of a stack, and the scatter-then-convolve steps of
// the shown slice. The outcome (the names, or the error) goes to the status bar.
#pragma once

#include "panels.h"

namespace convt::lab::ui {

void export_output(PanelContext& context, const ComputeResult& r);  // convt-output-TIME.npy/.png
void export_stages(PanelContext& context, const ComputeResult& r);  // convt-stack-TIME/layerN.npy/.png
void export_steps(PanelContext& context, const ComputeResult& r);   // convt-steps-TIME/1_input ... 6_output

}  // namespace convt::lab::ui
