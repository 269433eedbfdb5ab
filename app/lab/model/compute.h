// The lab's computation, as a pure function of prepared inputs: every layer of the stack through the chosen
// backend (with its activation), then for the selected layer the scatter-then-convolve steps and replay of the
// chosen slice, coverage and verdict, the artifact score and the resize-then-convolve comparison, and the whole
// chain's coverage. Runs on the worker for big stacks, inline for small ones.
#pragma once

#include "job_runner.h"
#include "lab_state.h"

#include <convt/analysis.h>
#include <convt/shape.h>
#include <convt/stack.h>
#include <convt/tensor.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace convt::lab {

// One layer's tensors, built from the state on the UI thread (cheap) and shared read-only with the worker.
struct PreparedLayer {
  std::shared_ptr<const Tensor> input;   // always 4-D; for a later layer of a stack, the previous stage's output
  std::shared_ptr<const Tensor> weight;  // [C_in, C_out/groups, kH, kW]
  std::shared_ptr<const Tensor> bias;    // null without bias
  ConvTranspose2dParams params;
  ConvTranspose2dGeometry geometry;  // validated
  std::string backend;
  Activation activation = Activation::None;
};

// The whole stack: its input, every layer (input left null: it is the previous stage's output), which one the
// panels look at.
struct PreparedStack {
  std::shared_ptr<const Tensor> input;
  std::vector<PreparedLayer> layers;
  std::string backend;
  int64_t selected = 0;
};

// Shapes and parameters of the stack, for the engine's chain analysis and PyTorch export.
std::vector<StackLayerShape> stack_shapes(const PreparedStack& stack);

// The offending parameter (a key of the engine's Error::parameter(), or "input.image", "weight.file",
// "out_channels", "backend", "memory"), the one-line rule it broke, and the layer it belongs to (-1: not one
// layer's, like the input or the backend).
struct FieldError {
  std::string parameter;
  std::string message;
  int64_t layer = -1;
};

// Every stage of the stack: the conv's output, and what goes on to the next layer (the same tensor without an
// activation).
struct StageResult {
  std::shared_ptr<const Tensor> conv_output;
  std::shared_ptr<const Tensor> output;  // after the activation
  double run_ms = 0;
  CoverageReport coverage;  // this layer's own overlap pattern
};

struct ComputeResult {
  uint64_t generation = 0;
  std::optional<FieldError> error;  // set when the computation itself failed; nothing else is then valid
  LabState state;  // the state these results belong to
  PreparedStack stack;
  std::vector<StageResult> stages;
  PreparedLayer layer;  // the selected layer, its input filled in
  std::string backend_name;
  double run_ms = 0;  // the selected layer's
  double stack_ms = 0;  // every layer's

  // The whole chain (more than one layer): routes per final output pixel, and its summary over the interior.
  Tensor stack_coverage;
  StackCoverageSummary stack_summary;
  float stack_coverage_max = 0;  // the heat map's range, over the whole map

  // The selected layer's conv output [N, C_out, OH, OW] (before its activation).
  const Tensor& output() const { return *stages.at(static_cast<size_t>(stack.selected)).conv_output; }

  // The chosen slice (view.batch_index, in_channel, out_channel), clamped to valid, same-group channels.
  int64_t batch_index = 0, in_channel = 0, out_channel = 0;
  ScatterConvolveSteps steps;
  std::shared_ptr<const ScatterReplay> replay;
  std::string steps_error;  // why the steps are missing (e.g. a zero-inserted plane over the memory budget)

  CoverageReport coverage;
  ArtifactScore score;
  Tensor comparison;  // resize-then-convolve of the chosen (batch, out_channel): [1, 1, H', W']
  std::string comparison_error;  // why it is missing (e.g. the resized input would exceed the memory budget)
  NonFiniteCount input_nonfinite, output_nonfinite;  // reported in the views, drawn magenta

  uint64_t output_bytes() const { return static_cast<uint64_t>(output().numel()) * sizeof(float); }
  double gflops() const { return run_ms > 0 ? layer.geometry.useful_flops() / (run_ms * 1e6) : 0.0; }
};

// Work estimates used to decide between running inline and on the worker: the useful FLOPs of every layer, and
// of the selected layer's analysis alone (what is left when the stages are already known).
double estimated_flops(const PreparedStack& stack);
double estimated_analysis_flops(const PreparedStack& stack);

// True when two prepared stacks are the same computation (same tensors, parameters, activations and backend).
bool same_stack(const PreparedStack& a, const PreparedStack& b);

// The stages computed for the latest stack, shared by every job that asks about it: a job takes the stages an
// earlier one already finished (all of them, or those done before it was cancelled between layers) and runs only
// the rest. So showing another layer, or changing the slice, runs nothing again, even while the stack is still
// computing. Thread-safe: the worker and the UI thread both use it.
class StageCache {
 public:
  // The stages known for `stack`, in order from layer 1 (forgetting any other stack's), and their backend.
  std::vector<StageResult> known_for(const PreparedStack& stack, std::string& backend_name);
  // Records the next stage of `stack` (ignored if the cache moved on to another stack meanwhile).
  void add(const PreparedStack& stack, const StageResult& stage, const std::string& backend_name);
  bool complete_for(const PreparedStack& stack) const;

 private:
  mutable std::mutex mutex_;
  std::optional<PreparedStack> stack_;
  std::vector<StageResult> stages_;
  std::string backend_name_;
};

// Runs everything; checks `context` between stages (throws JobCancelled when superseded). Failures (an
// unavailable backend, memory) come back in ComputeResult::error, never as exceptions.
ComputeResult compute(const LabState& state, const PreparedStack& stack, JobContext& context, StageCache& cache);

}  // namespace convt::lab
