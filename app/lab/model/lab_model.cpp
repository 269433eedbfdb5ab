#include "lab_model.h"

#include "workspace_state.h"

#include <convt/backend.h>
#include <convt/error.h>
#include <convt/io.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

namespace convt::lab {
LabModel::LabModel(LabState initial) : state_(std::move(initial)) {}

LabModel::ComputeKey LabModel::key_of(const LabState& s) {
  return {s.input, s.layer, s.view.batch_index, s.view.in_channel, s.view.out_channel, s.view.comparison};
}

bool LabModel::stale() const {
  return error_.has_value() || !result_key_ || !(*result_key_ == key_of(state_)) || runner_.busy();
}

TransposedAxisSize LabModel::live_axis(int axis) const {
  const ConvTranspose2dParams& p = state_.layer.params;
  const int64_t input = input_shape_.size() == 4 ? input_shape_[2 + static_cast<size_t>(axis)] : 0;
  const int64_t kernel = weight_shape_.size() == 4 ? weight_shape_[2 + static_cast<size_t>(axis)] : state_.layer.kernel[axis];
  try {
    return transposed_axis_size(input, kernel, p.stride[axis], p.padding[axis], p.output_padding[axis], p.dilation[axis]);
  } catch (const Error&) {
    return TransposedAxisSize{input, p.stride[axis], p.padding[axis], p.dilation[axis], kernel, p.output_padding[axis], 0};
  }
}

std::shared_ptr<const Tensor> LabModel::prepare_input() {
  if (!cached_input_ || !cached_input_settings_ || !(*cached_input_settings_ == state_.input)) {
    cached_input_.reset();
    cached_input_settings_.reset();  // a failed load is retried (and reports its own reason) next time
    cached_input_ = std::make_shared<const Tensor>(build_input(to_input_spec(state_.input)));
    cached_input_settings_ = state_.input;
  }
  return cached_input_;
}

PreparedLayer LabModel::prepare() {
  const LayerSettings& layer = state_.layer;
  PreparedLayer prepared;
  prepared.params = layer.params;
  prepared.backend = layer.backend;
  // The input first, so the live formula has its sizes even when a parameter is invalid.
  prepared.input = prepare_input();
  input_shape_ = prepared.input->shape();
  const int64_t in_channels = input_shape_[1];
  // A generated weight's shape is known before it is built (a file's comes from the file): the live formula uses
  // it at once, and it keys the weight cache.
  Shape planned_weight_shape;
  if (!layer.weight.from_file) {
    planned_weight_shape = {in_channels, layer.out_channels / std::max<int64_t>(1, layer.params.groups),
                            layer.kernel.h, layer.kernel.w};
    weight_shape_ = planned_weight_shape;
  }
  validate_params(layer.params);

  const LayerSpec spec = to_layer_spec(layer);
  const std::pair<WeightSource, Shape> weight_key{layer.weight, planned_weight_shape};
  if (!cached_weight_ || !cached_weight_key_ || !(*cached_weight_key_ == weight_key)) {
    cached_weight_.reset();
    cached_weight_key_.reset();  // a failed load is retried (and reports its own reason) next time
    cached_weight_ = std::make_shared<const Tensor>(build_weight(spec, in_channels));
  }
  cached_weight_key_ = weight_key;
  prepared.weight = cached_weight_;
  weight_shape_ = prepared.weight->shape();

  if (layer.bias && prepared.weight->dim() == 4) {
    // Cached with the weight it belongs to, so an unchanged layer is recognised (and its output reused).
    const std::pair<std::shared_ptr<const Tensor>, int64_t> bias_key{prepared.weight, layer.params.groups};
    if (!cached_bias_ || cached_bias_key_ != bias_key) {
      cached_bias_ = std::make_shared<const Tensor>(*build_bias(spec, *prepared.weight));
      cached_bias_key_ = bias_key;
    }
    prepared.bias = cached_bias_;
  }
  prepared.geometry = validate_conv_transpose2d(input_shape_, weight_shape_,
                                                prepared.bias ? std::optional<Shape>(prepared.bias->shape()) : std::nullopt,
                                                layer.params);
  try {
    select_backend(layer.backend, layer.params);
  } catch (const Error& e) {
    throw Error(e.kind(), e.what(), "backend");
  }
  return prepared;
}

void LabModel::accept(ComputeResult result) {
  if (result.generation != generation_) return;  // a newer state was submitted meanwhile
  if (result.error) {
    error_ = result.error;
    return;
  }
  result_key_ = key_of(result.state);
  result_ = std::move(result);
}

void LabModel::poll() {
  if (std::optional<ComputeResult> finished = runner_.take_result()) accept(std::move(*finished));
}

void LabModel::update() {
  poll();
  const ComputeKey key = key_of(state_);
  if (last_key_ && *last_key_ == key) return;
  last_key_ = key;
  ++generation_;

  PreparedLayer layer;
  try {
    layer = prepare();
    geometry_ = layer.geometry;
    error_.reset();
  } catch (const Error& e) {
    geometry_.reset();
    error_ = FieldError{e.parameter().empty() ? "layer" : e.parameter(), e.what()};
    runner_.cancel(generation_);  // results of older states must not replace the error
    return;
  }

  const LabState snapshot = state_;
  const uint64_t generation = generation_;
  std::optional<ReusedOutput> reuse;
  if (result_ && same_layer(result_->layer, layer)) reuse = ReusedOutput{result_->output, result_->backend_name, result_->run_ms};
  const bool cheap = reuse || estimated_flops(layer) <= kInlineFlops;
  auto job = [snapshot, layer, generation, reuse = std::move(reuse)](JobContext& context) {
    ComputeResult result = compute(snapshot, layer, context, reuse);
    result.generation = generation;
    return result;
  };
  if (cheap && !runner_.busy()) {
    JobContext context;
    accept(job(context));
  } else {
    runner_.submit(generation, job);
  }
}

bool LabModel::wait_until_idle(double timeout_seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  for (;;) {
    update();
    if (!runner_.busy()) {
      poll();
      return true;
    }
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace convt::lab
