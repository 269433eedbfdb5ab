// The lab's model: the state the panels edit, the last good result, which control is wrong when the state is
// invalid, and the analyses and views that panels ask for. update() runs once per frame and never blocks: it
// checks the new state against the shapes it already knows (so a broken rule turns its control red at once),
// then hands the work to the worker, or runs it inline when it is small and reads no file. No ImGui, no GL.
#pragma once

#include "analyses.h"
#include "compute.h"
#include "job_runner.h"
#include "lab_state.h"
#include "model_session.h"
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

  // The main job is queued, running, or finished with its result not yet taken by update(): a small job can finish
  // before the frame that queued it looks, and its result is not on screen until taken.
  bool computing() const { return runner_.busy() || runner_.has_result(); }
  float progress() const { return runner_.progress(); }
  std::string progress_stage() const { return runner_.stage(); }
  double busy_seconds() const { return runner_.busy_seconds(); }
  // True while anything asked for is still being made: the main job, an analysis, a view, a task, training steps.
  bool busy() const {
    return computing() || products_.busy() || (training_ && training_->working()) ||
           (model_session_ && model_session_->working());
  }

  // ---- The Train lab: its session exists once train.enabled was first set, and follows state().train each
  // update() (the setup, playing, and train.steps, which it consumes). Null before.
  TrainSession* training() { return training_.get(); }

  // ---- The Model panel: its session exists once model.path was first set (null before), and follows
  // state().model and the backend each update(). While model.node names one of its ConvTranspose nodes (and it
  // can open), state().layers are the model's ConvTranspose nodes that can open, in graph order, each a layer on
  // its node's own input activation, weight and bias; the shown layer and model.node follow each other. The
  // parameters stay editable (what if this node had kernel 3?); reset_model_layer() puts the node's back. When
  // the node closes, the explorer's layers come back.
  ModelSession* model_session() { return model_session_.get(); }
  // This frame's snapshot (null before a model was first opened).
  const ModelSnapshot* model_snapshot() const { return model_snapshot_.get(); }
  std::shared_ptr<const ModelSnapshot> model_snapshot_ptr() const { return model_snapshot_; }
  bool shows_model_node() const { return model_layers_shown_; }
  // The node behind state().layers[index] while shows_model_node(); null otherwise.
  const ModelLayer* model_layer(int64_t index) const;
  // Why model.node cannot be shown ("" when it can, or while the model is still being read or run).
  const std::string& model_problem() const { return model_problem_; }
  // Opens `path`: the shown node closes, the inputs go back to random, and once the file is read its first
  // ConvTranspose node opens (Ctrl+M, the file browser, a dropped file).
  void open_model(const std::string& path);
  // Once the model is read, opens its first ConvTranspose node unless model.node names one (--model FILE).
  void open_first_node() { open_first_node_ = true; }
  // The shown layer's parameters back to its node's; and whether they differ from them.
  void reset_model_layer();
  bool model_layer_edited() const;

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
    ModelSettings model;
    uint64_t model_layers = 0;  // the model's layers' tensors (ModelSnapshot::layers_id) while a node is shown
    std::string model_problem;
    bool operator==(const ComputeKey&) const = default;
  };
  ComputeKey key_of(const LabState& state) const;

  // Checks the state against the shapes known without building or reading anything. Returns false (with error_
  // set) when a rule is broken; `known` is false when some shape needs a file first.
  // Forgets every shape the last check found.
  void clear_shapes();
  // Records layer `index`'s error (numbered in a stack) and returns false, as the shape checks do.
  bool layer_failed(const Error& error, size_t index);
  bool check_known_shapes(bool& known, double& flops);
  // The same for the model's layers, whose tensors are known.
  bool check_model_shapes(double& flops);
  bool same_stack_as_result() const;
  void update_model();
  void show_model_layers(const ModelSnapshot& snapshot);
  void leave_model_layers();
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

  std::unique_ptr<ModelSession> model_session_;
  std::shared_ptr<const ModelSnapshot> model_snapshot_;
  bool open_first_node_ = false;
  bool model_layers_shown_ = false;
  std::string model_problem_;
  std::string synced_path_;            // the model file whose nodes state_.layers hold
  uint64_t synced_model_id_ = 0;       // ... and its load
  std::vector<size_t> model_layer_index_;  // state_.layers[i] is the snapshot's layers[model_layer_index_[i]]
  uint64_t model_layers_id_ = 0;       // the tensors the shown layers use (0: no node shown)
  std::string shown_node_;             // model.node as last followed
  int64_t shown_selected_ = -1;        // the shown layer as last followed
  std::vector<LayerSettings> explorer_layers_;  // the explorer's layers, back when the node closes
  int64_t explorer_selected_ = 0;
  JobRunner<ComputeResult> runner_{[](const std::string& message, uint64_t generation) {
    ComputeResult failed = failed_result(FieldError{"worker", "the computation failed: " + message});
    failed.generation = generation;
    return failed;
  }};  // last: its thread stops before the members above go away
};

}  // namespace convt::lab
