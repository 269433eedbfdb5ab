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
  bool error_is(const std::string& parameter) const { return error_ && error_->parameter == parameter; }

  // The current state's geometry when it is valid; the live formula uses axis sizes even when it is not.
  const std::optional<ConvTranspose2dGeometry>& geometry() const { return geometry_; }
  TransposedAxisSize live_axis(int axis) const;
  const Shape& input_shape() const { return input_shape_; }
  const Shape& weight_shape() const { return weight_shape_; }

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
    LayerSettings layer;
    int64_t batch_index, in_channel, out_channel;
    ComparisonResize comparison;
    bool operator==(const ComputeKey&) const = default;
  };
  static ComputeKey key_of(const LabState& state);

  std::shared_ptr<const Tensor> prepare_input();  // throws convt::Error (parameter "input.*")
  PreparedLayer prepare();                        // throws convt::Error
  void accept(ComputeResult result);
  void poll();

  LabState state_;
  std::optional<ComputeKey> last_key_;
  std::optional<ComputeKey> result_key_;
  uint64_t generation_ = 0;
  std::optional<FieldError> error_;
  std::optional<ComputeResult> result_;
  std::optional<ConvTranspose2dGeometry> geometry_;
  Shape input_shape_, weight_shape_;

  // Inputs and weights are rebuilt only when their own settings change.
  std::optional<InputSettings> cached_input_settings_;
  std::shared_ptr<const Tensor> cached_input_;
  std::optional<std::pair<WeightSource, Shape>> cached_weight_key_;
  std::shared_ptr<const Tensor> cached_weight_;
  std::pair<std::shared_ptr<const Tensor>, int64_t> cached_bias_key_;  // (weight, groups)
  std::shared_ptr<const Tensor> cached_bias_;

  JobRunner<ComputeResult> runner_;  // last: its thread stops before the members above go away
};

}  // namespace convt::lab
