// The lab's model: the state the panels edit, the tensors prepared from it, the last good result, and which
// control is wrong when the state is invalid. update() runs once per frame: it re-prepares and recomputes only
// what changed, runs small layers inline and big ones on the worker, and never blocks. No ImGui, no GL.
#pragma once

#include "compute.h"
#include "job_runner.h"
#include "lab_state.h"

#include <optional>
#include <string>

namespace convt::lab {

class LabModel {
 public:
  // Layers up to this many useful FLOPs run inside the frame (a few milliseconds on the reference backend);
  // bigger ones run on the worker so no frame waits for them.
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

  // The selected layer's geometry when the stack is valid up to it; the live formula uses axis sizes even when
  // it is not.
  const std::optional<ConvTranspose2dGeometry>& geometry() const { return geometry_; }
  TransposedAxisSize live_axis(int axis) const;
  const Shape& input_shape() const { return input_shape_; }  // the selected layer's input (empty if unknown)
  const Shape& weight_shape() const { return weight_shape_; }
  const Shape& stack_input_shape() const { return stack_input_shape_; }
  // Each layer's output shape as far as the stack is valid (shorter than the stack past an invalid layer).
  const std::vector<Shape>& stage_shapes() const { return stage_shapes_; }
  // Every layer's shapes and parameters when the whole stack is valid (empty otherwise): what "Copy as PyTorch"
  // writes out.
  const std::vector<StackLayerShape>& layer_shapes() const { return layer_shapes_; }

  bool computing() const { return runner_.busy(); }
  float progress() const { return runner_.progress(); }
  std::string progress_stage() const { return runner_.stage(); }
  double busy_seconds() const { return runner_.busy_seconds(); }

  // Keeps updating until no job is pending or running (screenshots, tests); false on timeout.
  bool wait_until_idle(double timeout_seconds);

 private:
  // What the computation depends on: the view's colormap or zoom do not trigger a recompute.
  struct ComputeKey {
    InputSettings input;
    std::vector<LayerSettings> layers;
    int64_t selected;
    std::string backend;
    int64_t batch_index, in_channel, out_channel;
    ComparisonResize comparison;
    bool operator==(const ComputeKey&) const = default;
  };
  static ComputeKey key_of(const LabState& state);

  std::shared_ptr<const Tensor> prepare_input();  // throws convt::Error (parameter "input.*")
  PreparedStack prepare();                        // throws convt::Error; failing_layer_ says which layer
  PreparedLayer prepare_layer(size_t index, const Shape& input_shape);
  void accept(ComputeResult result);
  void poll();

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
  int64_t failing_layer_ = -1;

  // Inputs and weights are rebuilt only when their own settings change; one weight cache per layer.
  struct LayerCache {
    std::optional<std::pair<WeightSource, Shape>> weight_key;
    std::shared_ptr<const Tensor> weight;
    std::pair<std::shared_ptr<const Tensor>, int64_t> bias_key;  // (weight, groups)
    std::shared_ptr<const Tensor> bias;
  };
  std::optional<InputSettings> cached_input_settings_;
  std::shared_ptr<const Tensor> cached_input_;
  std::vector<LayerCache> layer_caches_;

  std::shared_ptr<StageCache> stage_cache_ = std::make_shared<StageCache>();
  JobRunner<ComputeResult> runner_;  // last: its thread stops before the members above go away
};

}  // namespace convt::lab
