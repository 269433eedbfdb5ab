// The lab's model: the state the panels edit, the last good result, which control is wrong when the state is
// invalid, and the analyses and views that panels ask for. update() runs once per frame and never blocks: it
// checks the new state against the shapes it already knows (so a broken rule turns its control red at once),
// then hands the work to the worker, or runs it inline when it is small and reads no file. No ImGui, no GL.
#pragma once

#include "analyses.h"
#include "compute.h"
#include "job_runner.h"
#include "lab_state.h"
#include "product_cache.h"
#include "train_session.h"

#include <memory>
#include <optional>
#include <string>

namespace convt::lab {

class LabModel {
 public:
  // Work up to this many useful FLOPs runs inside the frame (a few milliseconds); more runs on the worker.
  static constexpr double kInlineFlops = 2e7;

  explicit LabModel(LabState initial = {});

  LabState& state() { return state_; }
  const LabState& state() const { return state_; }

  void update();

  // The last good result; it may be stale (see stale()).
  const ComputeResult* result() const { return result_ ? &*result_ : nullptr; }
  // True when the result on screen does not belong to the current state (invalid, or still computing).
  bool stale() const;
  const std::optional<FieldError>& error() const { return error_; }
  // True when `parameter` of the selected layer (or of no layer in particular) is what is wrong.
  bool error_is(const std::string& parameter) const {
    return error_ && error_->parameter == parameter && (error_->layer < 0 || error_->layer == state_.selected());
  }

  // The selected layer's geometry when the stack is valid up to it and its shapes are known.
  const std::optional<ConvTranspose2dGeometry>& geometry() const { return geometry_; }
  // The live formula of one axis, from whatever sizes are known, even when the layer is invalid.
  TransposedAxisSize live_axis(int axis) const;
  const Shape& input_shape() const { return input_shape_; }  // the selected layer's input (empty if unknown)
  const Shape& weight_shape() const { return weight_shape_; }
  const Shape& stack_input_shape() const { return stack_input_shape_; }
  // Each layer's output shape as far as the stack is valid and known (shorter than the stack past an invalid layer).
  const std::vector<Shape>& stage_shapes() const { return stage_shapes_; }
  // Every layer's shapes and parameters when the whole stack is valid and known (empty otherwise): what "Copy as
  // PyTorch" writes out.
  const std::vector<StackLayerShape>& layer_shapes() const { return layer_shapes_; }

  bool computing() const { return runner_.busy(); }
  float progress() const { return runner_.progress(); }
  std::string progress_stage() const { return runner_.stage(); }
  double busy_seconds() const { return runner_.busy_seconds(); }
  // True while anything asked for is still being made: the main job, an analysis, a view, a task, training steps.
  bool busy() const {
    return runner_.busy() || runner_.has_result() || products_.busy() || (training_ && training_->working());
  }

  // ---- The Train lab: its session exists once train.enabled was first set, and follows state().train each
  // update() (the setup, playing, and train.steps, which it consumes). Null before.
  TrainSession* training() { return training_.get(); }

  // Keeps updating until nothing is pending (tests); false on timeout.
  bool wait_until_idle(double timeout_seconds);

  // ---- Products: null until made (on the worker), then the value; `error` says why one failed.
  Analyses& analyses() { return analyses_; }

  // ---- Tasks on the worker: file writes and reads the user asked for. Their one-line outcome comes back
  // through take_notices().
  void run_task(std::function<std::string()> task) { products_.submit_task(std::move(task)); }
  std::vector<std::string> take_notices() { return products_.take_notices(); }

 private:
  // What the main computation depends on: the view's colormap or zoom do not trigger a recompute.
  struct ComputeKey {
    InputSettings input;
    std::vector<LayerSettings> layers;
    int64_t selected;
    std::string backend;
    int64_t batch_index, in_channel, out_channel;
    bool operator==(const ComputeKey&) const = default;
  };
  static ComputeKey key_of(const LabState& state);

  // Checks the state against the shapes known without building or reading anything. Returns false (with error_
  // set) when a rule is broken; `known` is false when some shape needs a file first.
  bool check_known_shapes(bool& known, double& flops);
  bool same_stack_as_result() const;
  void accept(ComputeResult result);
  void poll();
  void update_training();

  LabState state_;
  std::optional<ComputeKey> last_key_;
  std::optional<ComputeKey> result_key_;
  uint64_t generation_ = 0;
  std::optional<FieldError> error_;
  std::optional<ComputeResult> result_;
  std::optional<ConvTranspose2dGeometry> geometry_;
  Shape input_shape_, weight_shape_, stack_input_shape_;
  std::vector<Shape> stage_shapes_;
  std::vector<StackLayerShape> layer_shapes_;

  std::shared_ptr<TensorCache> tensors_ = std::make_shared<TensorCache>();
  std::shared_ptr<StageCache> stage_cache_ = std::make_shared<StageCache>();
  ProductCache products_;
  Analyses analyses_{products_};
  std::unique_ptr<TrainSession> training_;
  JobRunner<ComputeResult> runner_{[](const std::string& message, uint64_t generation) {
    ComputeResult failed = failed_result(FieldError{"worker", "the computation failed: " + message});
    failed.generation = generation;
    return failed;
  }};  // last: its thread stops before the members above go away
};

}  // namespace convt::lab
