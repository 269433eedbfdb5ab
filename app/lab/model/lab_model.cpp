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
  return {s.input, s.layers, s.selected(), s.backend, s.view.batch_index, s.view.in_channel, s.view.out_channel,
          s.view.comparison};
}

bool LabModel::stale() const {
  return error_.has_value() || !result_key_ || !(*result_key_ == key_of(state_)) || runner_.busy();
}

TransposedAxisSize LabModel::live_axis(int axis) const {
  const ConvTranspose2dParams& p = state_.layer().params;
  const int64_t input = input_shape_.size() == 4 ? input_shape_[2 + static_cast<size_t>(axis)] : 0;
  const int64_t kernel = weight_shape_.size() == 4 ? weight_shape_[2 + static_cast<size_t>(axis)] : state_.layer().kernel[axis];
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

PreparedLayer LabModel::prepare_layer(size_t index, const Shape& input_shape) {
  const LayerSettings& layer = state_.layers[index];
  const bool selected = static_cast<int64_t>(index) == state_.selected();
  LayerCache& cache = layer_caches_[index];
  PreparedLayer prepared;
  prepared.params = layer.params;
  prepared.backend = state_.backend;
  prepared.activation = layer.activation;
  const int64_t in_channels = input_shape[1];
  // A generated weight's shape is known before it is built (a file's comes from the file): the live formula uses
  // it at once, and it keys the weight cache.
  Shape planned_weight_shape;
  if (!layer.weight.from_file) {
    planned_weight_shape = {in_channels, layer.out_channels / std::max<int64_t>(1, layer.params.groups),
                            layer.kernel.h, layer.kernel.w};
    if (selected) weight_shape_ = planned_weight_shape;
  }
  validate_params(layer.params);

  const LayerSpec spec = to_layer_spec(layer);
  const std::pair<WeightSource, Shape> weight_key{layer.weight, planned_weight_shape};
  if (!cache.weight || !cache.weight_key || !(*cache.weight_key == weight_key)) {
    cache.weight.reset();
    cache.weight_key.reset();  // a failed load is retried (and reports its own reason) next time
    cache.weight = std::make_shared<const Tensor>(build_weight(spec, in_channels));
  }
  cache.weight_key = weight_key;
  prepared.weight = cache.weight;
  if (selected) weight_shape_ = prepared.weight->shape();

  if (layer.bias && prepared.weight->dim() == 4) {
    // Cached with the weight it belongs to, so an unchanged layer is recognised (and its output reused).
    const std::pair<std::shared_ptr<const Tensor>, int64_t> bias_key{prepared.weight, layer.params.groups};
    if (!cache.bias || cache.bias_key != bias_key) {
      cache.bias = std::make_shared<const Tensor>(*build_bias(spec, *prepared.weight));
      cache.bias_key = bias_key;
    }
    prepared.bias = cache.bias;
  }
  prepared.geometry = validate_conv_transpose2d(input_shape, prepared.weight->shape(),
                                                prepared.bias ? std::optional<Shape>(prepared.bias->shape()) : std::nullopt,
                                                layer.params);
  return prepared;
}

PreparedStack LabModel::prepare() {
  PreparedStack stack;
  stack.backend = state_.backend;
  stack.selected = state_.selected();
  failing_layer_ = -1;
  input_shape_.clear();
  weight_shape_.clear();
  stage_shapes_.clear();
  // The input first, so the live formula has its sizes even when a parameter is invalid.
  stack.input = prepare_input();
  stack_input_shape_ = stack.input->shape();
  layer_caches_.resize(state_.layers.size());
  Shape current = stack_input_shape_;
  for (size_t i = 0; i < state_.layers.size(); ++i) {
    if (static_cast<int64_t>(i) == stack.selected) input_shape_ = current;
    try {
      stack.layers.push_back(prepare_layer(i, current));
    } catch (const Error& e) {
      failing_layer_ = static_cast<int64_t>(i);
      if (state_.layers.size() == 1) throw;
      throw Error(e.kind(), "layer " + std::to_string(i + 1) + ": " + e.what(), e.parameter());
    }
    current = stack.layers.back().geometry.output_shape();
    stage_shapes_.push_back(current);
  }
  try {
    select_backend(state_.backend, state_.layer().params);
  } catch (const Error& e) {
    throw Error(e.kind(), e.what(), "backend");
  }
  return stack;
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

  PreparedStack stack;
  try {
    stack = prepare();
    geometry_ = stack.layers[static_cast<size_t>(stack.selected)].geometry;
    layer_shapes_ = stack_shapes(stack);
    error_.reset();
  } catch (const Error& e) {
    geometry_.reset();
    layer_shapes_.clear();
    error_ = FieldError{e.parameter().empty() ? "layer" : e.parameter(), e.what(), failing_layer_};
    runner_.cancel(generation_);  // results of older states must not replace the error
    return;
  }

  const LabState snapshot = state_;
  const uint64_t generation = generation_;
  // Stages already computed (by an earlier job, even one still running or cancelled) are not run again; then only
  // the selected layer's analysis is left, which is what decides whether the frame can afford it.
  const double work = stage_cache_->complete_for(stack) ? estimated_analysis_flops(stack)
                                                        : estimated_flops(stack) + estimated_analysis_flops(stack);
  const bool cheap = work <= kInlineFlops;
  auto job = [snapshot, stack, generation, cache = stage_cache_](JobContext& context) {
    ComputeResult result = compute(snapshot, stack, context, *cache);
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
