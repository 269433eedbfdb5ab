#include "lab_model.h"

#include <convt/backend.h>
#include <convt/error.h>
#include <convt/io.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

// The sample images' folder (the build sets it; a relative fallback for builds that do not).
#ifndef CONVT_ASSETS_DIR
#define CONVT_ASSETS_DIR "assets"
#endif

namespace convt::lab {

LabModel::LabModel(LabState initial) : state_(std::move(initial)) {}

LabModel::ComputeKey LabModel::key_of(const LabState& s) {
  return {s.input, s.layers, s.selected(), s.backend, s.view.batch_index, s.view.in_channel, s.view.out_channel};
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
    return TransposedAxisSize{input, p.stride[axis], p.padding[axis], std::nullopt, p.dilation[axis], kernel, p.output_padding[axis], 0};
  }
}

bool LabModel::check_known_shapes(bool& known, double& flops) {
  known = true;
  flops = 0;
  input_shape_.clear();
  weight_shape_.clear();
  stack_input_shape_.clear();
  stage_shapes_.clear();
  layer_shapes_.clear();
  geometry_.reset();
  const std::optional<Shape> input = tensors_->input_shape(state_.input);
  if (!input) {
    known = false;  // an image not loaded yet: the worker loads it and reports its shape or its problem
    return true;
  }
  stack_input_shape_ = *input;
  try {
    // Refused up front, naming the bytes, before anything is generated.
    if (planned_input_shape(state_.input)) check_memory_budget(*input, "input");
  } catch (const Error& e) {
    error_ = FieldError{"input.shape", std::string("input: ") + e.what()};
    return false;
  }
  flops += static_cast<double>(shape_numel(*input));
  Shape current = *input;
  std::vector<StackLayerShape> shapes;
  for (size_t i = 0; i < state_.layers.size(); ++i) {
    const LayerSettings& layer = state_.layers[i];
    const bool selected = static_cast<int64_t>(i) == state_.selected();
    if (selected) input_shape_ = current;
    try {
      validate_params(layer.params);
      if (layer.weight.from_file && is_safetensors_path(layer.weight.path) && layer.weight.tensor_name.empty())
        throw_invalid("weight: choose one of the 4-D tensors of '" + layer.weight.path + "'", "weight.file");
      if (!layer.weight.from_file) generated_weight_shape(layer, current[1]);  // its rules, checked in the frame
      const std::optional<Shape> weight = tensors_->weight_shape(i, layer, current[1]);
      if (!weight) {
        known = false;  // a weight file not loaded yet
        return true;
      }
      if (selected) weight_shape_ = *weight;
      const int64_t out_channels = weight->size() == 4 ? (*weight)[1] * layer.params.groups : 0;
      const ConvTranspose2dGeometry g = validate_conv_transpose2d(
          current, *weight, layer.bias ? std::optional<Shape>(Shape{out_channels}) : std::nullopt, layer.params);
      if (selected) geometry_ = g;
      flops += g.useful_flops() + static_cast<double>(shape_numel(*weight));
      shapes.push_back({*weight, layer.bias, layer.params, layer.activation, 0.01f});
      current = g.output_shape();
      stage_shapes_.push_back(current);
    } catch (const Error& e) {
      geometry_.reset();
      error_ = field_error(state_.layers.size() == 1 ? e : in_layer(e, i), static_cast<int64_t>(i));
      return false;
    }
  }
  layer_shapes_ = shapes;
  return true;
}

bool LabModel::same_stack_as_result() const {
  // The same settings are not enough: a job for another stack since may have replaced the cached stages.
  return result_ && result_->state.input == state_.input && result_->state.layers == state_.layers &&
         result_->state.backend == state_.backend && tensors_->holds(result_->stack) &&
         stage_cache_->complete_for(result_->stack);
}

void LabModel::accept(ComputeResult result) {
  if (result.generation != generation_) return;  // a newer state was submitted meanwhile
  if (result.error) {
    error_ = result.error;
    return;
  }
  // Shapes that needed a file are known now.
  stack_input_shape_ = result.stack.input->shape();
  input_shape_ = result.layer.input->shape();
  weight_shape_ = result.layer.weight->shape();
  geometry_ = result.layer.geometry;
  layer_shapes_ = stack_shapes(result.stack);
  stage_shapes_.clear();
  for (const PreparedLayer& layer : result.stack.layers) stage_shapes_.push_back(layer.geometry.output_shape());
  result_key_ = key_of(result.state);
  // The replaced result may hold the last reference to large tensors: the worker frees them, not the frame.
  if (result_) products_.dispose(std::make_shared<const ComputeResult>(std::move(*result_)));
  result_ = std::move(result);
}

void LabModel::poll() {
  if (std::optional<ComputeResult> finished = runner_.take_result()) accept(std::move(*finished));
}

void LabModel::update_training() {
  TrainSettings& train = state_.train;
  if (!train.enabled && !training_) return;
  if (!training_) training_ = std::make_unique<TrainSession>((std::filesystem::path(CONVT_ASSETS_DIR) / "samples").string());
  if (!train.enabled) {
    training_->set_playing(false);  // a hidden lab does not take the cores; shown again, it goes on
    return;
  }
  // The app's input, for train.image=input, once the result on screen belongs to the current state.
  training_->configure(train.setup, result_ && !stale() ? result_->stack.input : nullptr);
  training_->set_playing(train.playing);
  if (train.steps > 0) {
    training_->step(train.steps);
    train.steps = 0;  // an action: done once
  }
}

void LabModel::update() {
  products_.next_frame();
  poll();
  update_training();
  const ComputeKey key = key_of(state_);
  if (last_key_ && *last_key_ == key) return;
  last_key_ = key;
  ++generation_;
  error_.reset();

  bool known = false;
  double work = 0;
  if (!check_known_shapes(known, work)) {
    runner_.cancel(generation_);  // results of older states must not replace the error
    return;
  }
  try {
    select_backend(state_.backend, state_.layer().params);
  } catch (const Error& e) {
    error_ = FieldError{"backend", e.what()};
    runner_.cancel(generation_);
    return;
  }

  // Only the selected layer or the slice changed: the stages are cached, and the job only picks them up.
  if (same_stack_as_result()) work = 0;
  const bool inline_ok = known && work <= kInlineFlops && !runner_.busy();
  const LabState snapshot = state_;
  const uint64_t generation = generation_;
  auto job = [snapshot, generation, tensors = tensors_, stages = stage_cache_](JobContext& context) {
    ComputeResult result = compute(snapshot, context, *tensors, *stages);
    result.generation = generation;
    return result;
  };
  if (inline_ok) {
    // Run as the worker would run it: whatever it throws becomes an error in place, never the end of the app.
    JobContext context;
    try {
      accept(job(context));
    } catch (const std::exception& e) {
      error_ = FieldError{"worker", std::string("the computation failed: ") + e.what()};
    } catch (...) {
      error_ = FieldError{"worker", "the computation failed with an exception that is not a std::exception"};
    }
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
