// The app's exports, each into the current folder under a time-stamped name, each file written atomically by the
// engine (export_npy_and_png): the shown output, every stage of a stack, and the scatter-then-convolve steps of
// the shown slice. They run on the worker (the tensors are shared, not copied); the outcome (the names, or the
// error) comes back to the status bar.
#pragma once

#include "panels.h"

namespace convt::lab::ui {

void export_output(PanelContext& context, const ComputeResult& r);  // convt-output-TIME.npy/.png
void export_stages(PanelContext& context, const ComputeResult& r);  // convt-stack-TIME/layerN.npy/.png
void export_steps(PanelContext& context, const ComputeResult& r,
                  const std::shared_ptr<const SliceSteps>& steps);  // convt-steps-TIME/1_input ... 6_output

}  // namespace convt::lab::ui
