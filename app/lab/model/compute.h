// The lab's main computation, run as one job: build the tensors the state describes (generating or loading them,
// cached by their own settings), validate the stack, and run every layer through the chosen backend with the
// engine's run_stack. The analyses of the result are separate products (analyses.h), made when a panel asks.
// Runs on the worker, or inline for small work that reads no file.
#pragma once

#include "job_runner.h"
#include "lab_state.h"

#include <convt/analysis.h>
#include <convt/error.h>
#include <convt/shape.h>
#include <convt/stack.h>
#include <convt/tensor.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace convt::lab {

// One layer's tensors, shared read-only between the worker, the products and the UI.
struct PreparedLayer {
  // Always 4-D; for a later layer of a stack, the previous stage's output, unless the layer has its own (a model's
  // ConvTranspose node runs on its real input activation, whatever the layers before it give).
  std::shared_ptr<const Tensor> input;
  std::shared_ptr<const Tensor> weight;  // [C_in, C_out/groups, kH, kW]
  std::shared_ptr<const Tensor> bias;    // null without bias
  ConvTranspose2dParams params;
  ConvTranspose2dGeometry geometry;  // validated
  Activation activation = Activation::None;
};

// The whole stack: its input, every layer (input left null: it is the previous stage's output; set: the layer's
// own), which one the panels look at.
struct PreparedStack {
  std::shared_ptr<const Tensor> input;
  std::vector<PreparedLayer> layers;
  std::string backend;
  int64_t selected = 0;
};

// Shapes and parameters of the stack, for the engine's chain analysis and PyTorch export.
std::vector<StackLayerShape> stack_shapes(const PreparedStack& stack);

// The offending parameter (a key of the engine's Error::parameter(), or "input.image", "weight.file",
// "out_channels", "backend", "memory", "worker"), the one-line rule it broke, and the layer it belongs to (-1: not
// one layer's, like the input or the backend).
struct FieldError {
  std::string parameter;
  std::string message;
  int64_t layer = -1;
};

// Every stage of the stack: the conv's output, and what goes on to the next layer (the same tensor without an
// activation), with this layer's own overlap pattern (the per-axis counts, not the full map).
struct StageResult {
  std::shared_ptr<const Tensor> conv_output;
  std::shared_ptr<const Tensor> output;  // after the activation
  double run_ms = 0;
  std::shared_ptr<const CoverageReport> coverage;
};

struct ComputeResult {
  uint64_t generation = 0;
  std::optional<FieldError> error;  // set when the computation itself failed; nothing else is then valid
  LabState state;  // the state these results belong to
  PreparedStack stack;
  std::vector<StageResult> stages;
  PreparedLayer layer;  // the selected layer, its input filled in
  std::string backend_name;
  double run_ms = 0;    // the selected layer's
  double stack_ms = 0;  // every layer's

  // The chosen slice (view.batch_index, in_channel, out_channel), clamped to valid, same-group channels.
  int64_t batch_index = 0, in_channel = 0, out_channel = 0;

  // The selected layer's conv output [N, C_out, OH, OW] (before its activation).
  const std::shared_ptr<const Tensor>& output_ptr() const { return stages.at(static_cast<size_t>(stack.selected)).conv_output; }
  const Tensor& output() const { return *output_ptr(); }
  const CoverageReport& coverage() const { return *stages.at(static_cast<size_t>(stack.selected)).coverage; }
  uint64_t output_bytes() const { return static_cast<uint64_t>(output().numel()) * sizeof(float); }
  double gflops() const { return run_ms > 0 ? layer.geometry.useful_flops() / (run_ms * 1e6) : 0.0; }
};

// The control an engine error marks (its parameter, or the layer as a whole), for layer `layer` (-1: none).
FieldError field_error(const Error& e, int64_t layer);

// A failed result carrying `error` (what the worker hands back when a job throws).
ComputeResult failed_result(FieldError error);

// The input and weight tensors built from the state, each rebuilt only when its own settings change, so that a
// change of stride reuses a loaded image. Thread-safe; building happens outside the lock, so the UI thread's
// shape queries never wait on a load.
class TensorCache {
 public:
  std::shared_ptr<const Tensor> input(const InputSettings& settings);
  // The weight of layer `index` for an input with `in_channels` channels, and its bias (null without one).
  std::shared_ptr<const Tensor> weight(size_t index, const LayerSettings& layer, int64_t in_channels);
  std::shared_ptr<const Tensor> bias(size_t index, const LayerSettings& layer, const std::shared_ptr<const Tensor>& weight);

  // True when the cache still holds every tensor of `stack` (so preparing it again builds and reads nothing).
  bool holds(const PreparedStack& stack) const;

  // Shapes known without building anything: generated tensors' from their settings, a file's once it was loaded.
  std::optional<Shape> input_shape(const InputSettings& settings) const;
  std::optional<Shape> weight_shape(size_t index, const LayerSettings& layer, int64_t in_channels) const;

 private:
  struct WeightEntry {
    WeightSource source;
    Shape planned;  // the generated shape it was built for (empty for a file)
    std::shared_ptr<const Tensor> weight;
    std::shared_ptr<const Tensor> bias_of;  // the weight the bias below belongs to
    int64_t bias_groups = 0;
    std::shared_ptr<const Tensor> bias;
  };
  mutable std::mutex mutex_;
  std::optional<InputSettings> input_settings_;
  std::shared_ptr<const Tensor> input_;
  std::vector<WeightEntry> weights_;
};

// A generated weight's shape, known before it is built ({} for a file's).
Shape planned_weight_shape(const LayerSettings& layer, int64_t in_channels);
// The input's shape when it follows from the settings alone (patterns and random tensors; an image needs its file).
std::optional<Shape> planned_input_shape(const InputSettings& input);

// The stages computed for the latest stack, shared by every job that asks about it: a job takes the stages an
// earlier one already finished (all of them, or those done before it was cancelled between layers) and runs only
// the rest. So showing another layer, or changing the slice, runs nothing again, even while the stack is still
// computing. Thread-safe.
class StageCache {
 public:
  std::vector<StageResult> known_for(const PreparedStack& stack, std::string& backend_name);
  void add(const PreparedStack& stack, const StageResult& stage, const std::string& backend_name);
  bool complete_for(const PreparedStack& stack) const;

 private:
  mutable std::mutex mutex_;
  std::optional<PreparedStack> stack_;
  std::vector<StageResult> stages_;
  std::string backend_name_;
};

// True when two prepared stacks are the same computation (same tensors, parameters, activations and backend).
bool same_stack(const PreparedStack& a, const PreparedStack& b);

// Work estimates: the useful FLOPs of every layer.
double estimated_flops(const std::vector<ConvTranspose2dGeometry>& geometry);

// A layer's parameters in PyTorch's form (one padding per axis), for what speaks PyTorch's terms: the stack's
// chain coverage and "Copy as PyTorch". ONNX's separate end crop p_end gives the same transposed convolution as
// padding p_begin with output_padding op + p_begin - p_end (the end crop only says where the output stops), so
// while that is >= 0 this is that form (padding_end equal to padding, which lifts PyTorch's output_padding bound);
// null when the end crops more than that allows. Symmetric parameters come back as they are.
std::optional<ConvTranspose2dParams> analysis_params(const ConvTranspose2dParams& params);

// A layer's tensors given from outside the state's settings: a model's ConvTranspose node (model_session.h).
struct GivenLayer {
  std::shared_ptr<const Tensor> input, weight, bias;  // bias may be null
};

// The job for layers whose tensors are given: layer i of the state (its parameters, which the user may edit) on
// `given[i]`, each on its own input. Failures come back in ComputeResult::error like compute's.
ComputeResult compute_given(const LabState& state, const std::vector<GivenLayer>& given, JobContext& context,
                            StageCache& stages);

// The input a stack's layer runs on: its own, or the previous stage's output (the stack's input for the first).
const std::shared_ptr<const Tensor>& layer_input(const PreparedStack& stack, const std::vector<StageResult>& stages,
                                                 size_t index);

// The job: prepares the state's tensors and runs the stack; checks `context` between layers (throws JobCancelled
// when superseded). Failures of the state (a missing file, a rule broken, memory) come back in
// ComputeResult::error, naming the parameter and the layer.
ComputeResult compute(const LabState& state, JobContext& context, TensorCache& tensors, StageCache& stages);

}  // namespace convt::lab
