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

LabModel::ComputeKey LabModel::key_of(const LabState& s) const {
  return {s.input,  s.layers,           s.selected(),      s.backend, s.view.batch_index, s.view.in_channel,
          s.view.out_channel, s.model, model_layers_id_, model_problem_};
}

bool LabModel::stale() const {
  return error_.has_value() || !result_key_ || !(*result_key_ == key_of(state_)) || runner_.busy();
}

TransposedAxisSize LabModel::live_axis(int axis) const {
  const ConvTranspose2dParams& p = state_.layer().params;
  const int64_t input = input_shape_.size() == 4 ? input_shape_[2 + static_cast<size_t>(axis)] : 0;
  const int64_t kernel = weight_shape_.size() == 4 ? weight_shape_[2 + static_cast<size_t>(axis)] : state_.layer().kernel[axis];
  try {
    // A model's node may crop its two ends differently (ONNX's pads): the formula then names both.
    if (p.padding_end)
      return transposed_axis_size(input, kernel, p.stride[axis], p.padding[axis], (*p.padding_end)[axis],
                                  p.output_padding[axis], p.dilation[axis]);
    return transposed_axis_size(input, kernel, p.stride[axis], p.padding[axis], p.output_padding[axis], p.dilation[axis]);
  } catch (const Error&) {
    const std::optional<int64_t> end = p.padding_end ? std::optional<int64_t>((*p.padding_end)[axis]) : std::nullopt;
    return TransposedAxisSize{input, p.stride[axis], p.padding[axis], end, p.dilation[axis], kernel, p.output_padding[axis], 0};
  }
}

void LabModel::clear_shapes() {
  input_shape_.clear();
  weight_shape_.clear();
  stack_input_shape_.clear();
  stage_shapes_.clear();
  layer_shapes_.clear();
  geometry_.reset();
}

bool LabModel::layer_failed(const Error& error, size_t index) {
  geometry_.reset();
  error_ = field_error(state_.layers.size() == 1 ? error : in_layer(error, index), static_cast<int64_t>(index));
  return false;
}

bool LabModel::check_known_shapes(bool& known, double& flops) {
  known = true;
  flops = 0;
  clear_shapes();
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
      return layer_failed(e, i);
    }
  }
  layer_shapes_ = shapes;
  return true;
}

bool LabModel::check_model_shapes(double& flops) {
  flops = 0;
  clear_shapes();
  std::vector<StackLayerShape> shapes;
  for (size_t i = 0; i < state_.layers.size(); ++i) {
    const ModelLayer& node = *model_layer(static_cast<int64_t>(i));
    const LayerSettings& layer = state_.layers[i];
    const bool selected = static_cast<int64_t>(i) == state_.selected();
    if (i == 0) stack_input_shape_ = node.input->shape();
    if (selected) {
      input_shape_ = node.input->shape();
      weight_shape_ = node.weight->shape();
    }
    try {
      validate_params(layer.params);
      const ConvTranspose2dGeometry g = validate_conv_transpose2d(
          node.input->shape(), node.weight->shape(), node.bias ? std::optional<Shape>(node.bias->shape()) : std::nullopt,
          layer.params);
      if (selected) geometry_ = g;
      flops += g.useful_flops();
      shapes.push_back({node.weight->shape(), node.bias != nullptr, layer.params, Activation::None, 0.01f});
      stage_shapes_.push_back(g.output_shape());
    } catch (const Error& e) {
      return layer_failed(e, i);
    }
  }
  layer_shapes_ = shapes;
  return true;
}

bool LabModel::same_stack_as_result() const {
  // The same settings are not enough: a job for another stack since may have replaced the cached stages.
  if (!result_ || result_->state.layers != state_.layers || result_->state.backend != state_.backend ||
      !stage_cache_->complete_for(result_->stack))
    return false;
  if (!model_layers_shown_) return result_->state.input == state_.input && tensors_->holds(result_->stack);
  if (result_->stack.layers.size() != state_.layers.size()) return false;
  for (size_t i = 0; i < state_.layers.size(); ++i) {
    const ModelLayer& node = *model_layer(static_cast<int64_t>(i));
    const PreparedLayer& layer = result_->stack.layers[i];
    if (layer.input != node.input || layer.weight != node.weight || layer.bias != node.bias) return false;
  }
  return true;
}

// ---- The Model panel's node in every panel -----------------------------------------------------------------

namespace {

// A layer with a node's resolved parameters and its weight named by the model and the node.
LayerSettings layer_of(const ModelLayer& node, const std::string& path) {
  const onnx::ConvTransposeResolution& r = *node.resolution;
  LayerSettings layer;
  layer.out_channels = r.out_channels;
  layer.kernel = r.kernel;
  layer.params = r.params;
  // PyTorch's one padding when both ends agree and output_padding keeps PyTorch's rule, so an edit of the padding
  // moves both ends, as the explorer's control says; ONNX's separate ends otherwise.
  bool pytorch_rules = !r.params.asymmetric();
  for (int axis = 0; axis < 2; ++axis)
    pytorch_rules = pytorch_rules && r.params.output_padding[axis] < std::max(r.params.stride[axis], r.params.dilation[axis]);
  if (pytorch_rules) layer.params.padding_end.reset();
  layer.bias = node.bias != nullptr;
  layer.activation = Activation::None;  // what follows the node is in the graph, not in this layer
  layer.weight.from_file = true;
  layer.weight.path = path;
  layer.weight.tensor_name = node.node;
  return layer;
}

std::string node_list(const ModelSnapshot& snapshot) {
  std::string names;
  for (const ModelLayer& layer : snapshot.layers) names += (names.empty() ? "" : ", ") + layer.node;
  return names;
}

}  // namespace

const ModelLayer* LabModel::model_layer(int64_t index) const {
  if (!model_layers_shown_ || !model_snapshot_ || index < 0 || index >= static_cast<int64_t>(model_layer_index_.size()))
    return nullptr;
  const size_t layer = model_layer_index_[static_cast<size_t>(index)];
  return layer < model_snapshot_->layers.size() ? &model_snapshot_->layers[layer] : nullptr;
}

void LabModel::open_model(const std::string& path) {
  if (path != state_.model.path) state_.model.input = kRandomModelInput;  // another model's files would not fit
  state_.model.path = path;
  state_.model.node.clear();
  open_first_node_ = true;
}

void LabModel::reset_model_layer() {
  const ModelLayer* node = model_layer(state_.selected());
  if (node) state_.layer() = layer_of(*node, state_.model.path);
}

bool LabModel::model_layer_edited() const {
  const ModelLayer* node = model_layer(state_.selected());
  return node && !(state_.layer() == layer_of(*node, state_.model.path));
}

void LabModel::leave_model_layers() {
  const bool holds_model_layers =
      !synced_path_.empty() && std::all_of(state_.layers.begin(), state_.layers.end(), [this](const LayerSettings& l) {
        return is_model_layer(l, synced_path_);
      });
  if (holds_model_layers) {  // nothing else (a preset, a workspace) replaced them: the explorer's come back
    state_.layers = explorer_layers_.empty() ? std::vector<LayerSettings>{LayerSettings{}} : explorer_layers_;
    state_.selected_layer = explorer_layers_.empty() ? 0 : explorer_selected_;
  }
  model_layers_shown_ = false;
  model_layers_id_ = 0;
  model_layer_index_.clear();
  synced_path_.clear();
  shown_node_.clear();
  shown_selected_ = -1;
}

void LabModel::show_model_layers(const ModelSnapshot& snapshot) {
  ModelSettings& model = state_.model;
  const int64_t wanted = snapshot.layer_index(model.node);
  if (wanted < 0 || !snapshot.layers[static_cast<size_t>(wanted)].ready()) {
    if (wanted < 0 && snapshot.layers.empty())
      model_problem_ = "model.node: " + model.path + " has no ConvTranspose node";
    else if (wanted < 0)
      model_problem_ = "model.node: '" + model.node + "' is not a ConvTranspose node of " + model.path +
                       " (its ConvTranspose nodes: " + node_list(snapshot) + ")";
    else
      model_problem_ = "model.node: '" + model.node + "' cannot open: " + snapshot.layers[static_cast<size_t>(wanted)].error;
    // The nodes on screen stay (marked stale, with the problem) while they belong to this model's load.
    if (model_layers_shown_ && (synced_model_id_ != snapshot.model_id || synced_path_ != model.path)) leave_model_layers();
    return;
  }
  std::vector<size_t> openable;
  for (size_t i = 0; i < snapshot.layers.size(); ++i)
    if (snapshot.layers[i].ready()) openable.push_back(i);
  bool rewrite = !model_layers_shown_ || synced_model_id_ != snapshot.model_id || synced_path_ != model.path ||
                 model_layer_index_ != openable || state_.layers.size() != openable.size();
  for (size_t i = 0; !rewrite && i < openable.size(); ++i)
    rewrite = !is_model_layer(state_.layers[i], model.path) ||
              state_.layers[i].weight.tensor_name != snapshot.layers[openable[i]].node;
  if (rewrite) {
    const bool explorer = synced_path_.empty() || !std::all_of(state_.layers.begin(), state_.layers.end(),
                                                              [this](const LayerSettings& l) { return is_model_layer(l, synced_path_); });
    if (!model_layers_shown_ && explorer &&
        !std::all_of(state_.layers.begin(), state_.layers.end(), [&](const LayerSettings& l) { return is_model_layer(l, model.path); })) {
      explorer_layers_ = state_.layers;
      explorer_selected_ = state_.selected();
    }
    state_.layers.clear();
    for (const size_t i : openable) state_.layers.push_back(layer_of(snapshot.layers[i], model.path));
    synced_path_ = model.path;
    synced_model_id_ = snapshot.model_id;
    model_layer_index_ = openable;
    shown_node_.clear();  // the node decides which layer is shown
  }
  model_layers_shown_ = true;
  model_layers_id_ = snapshot.layers_id;
  // model.node and the shown layer follow each other: whichever changed since the last frame wins.
  if (model.node != shown_node_) {
    const auto position = std::find(openable.begin(), openable.end(), static_cast<size_t>(wanted));
    state_.selected_layer = position - openable.begin();
  } else if (state_.selected() != shown_selected_) {
    model.node = snapshot.layers[openable[static_cast<size_t>(state_.selected())]].node;
  }
  shown_node_ = model.node;
  shown_selected_ = state_.selected();
}

void LabModel::update_model() {
  ModelSettings& model = state_.model;
  model_problem_.clear();
  if (!model_session_ && model.path.empty()) return;
  if (!model_session_) model_session_ = std::make_unique<ModelSession>();
  model_session_->configure({model.path, model.input, model.seed, state_.backend});
  model_snapshot_ = model_session_->snapshot();
  const ModelSnapshot* snapshot = model_snapshot_.get();
  // The snapshot answers this file (it may still run, or run again for other inputs: its layers are the last ones).
  const bool current = snapshot && snapshot->request.path == model.path && !snapshot->loading && !model.path.empty();
  if (open_first_node_ && current) {
    if (snapshot->model && model.node.empty()) {
      const std::vector<std::string> nodes = onnx::conv_transpose_nodes(*snapshot->model);
      if (!nodes.empty()) model.node = nodes.front();
    }
    open_first_node_ = false;
  }
  if (!model.node_shown()) {
    leave_model_layers();
    return;
  }
  if (!current || !snapshot->model || snapshot->layers_id == 0) {
    // Still reading the model or running it the first time, or it could not be read: no node to show yet. (A run
    // for new inputs keeps the layers the last one made, so they stay on screen meanwhile.)
    if (current && !snapshot->load_error.empty()) model_problem_ = "model.path: " + snapshot->load_error;
    leave_model_layers();
    return;
  }
  show_model_layers(*snapshot);
}

void LabModel::accept(ComputeResult result) {
  if (result.generation != generation_) return;  // a newer state was submitted meanwhile
  if (result.error) {
    error_ = result.error;
    return;
  }
  // Shapes that needed a file are known now.
  result_key_ = last_key_;  // the key it was submitted for (the generation says it is the latest)
  stack_input_shape_ = result.stack.input->shape();
  input_shape_ = result.layer.input->shape();
  weight_shape_ = result.layer.weight->shape();
  geometry_ = result.layer.geometry;
  layer_shapes_ = stack_shapes(result.stack);
  stage_shapes_.clear();
  for (const PreparedLayer& layer : result.stack.layers) stage_shapes_.push_back(layer.geometry.output_shape());
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
  update_model();
  const ComputeKey key = key_of(state_);
  if (last_key_ && *last_key_ == key) return;
  last_key_ = key;
  ++generation_;
  error_.reset();

  if (!model_problem_.empty() || (state_.model.node_shown() && !model_layers_shown_)) {
    // The node cannot be shown: the problem says why, or its model is still being read or run (nothing to do yet).
    if (!model_problem_.empty())
      error_ = FieldError{model_problem_.starts_with("model.path") ? "model.path" : "model.node", model_problem_};
    runner_.cancel(generation_);
    return;
  }
  bool known = true;
  double work = 0;
  if (!(model_layers_shown_ ? check_model_shapes(work) : check_known_shapes(known, work))) {
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
  std::vector<GivenLayer> given;
  for (size_t i = 0; model_layers_shown_ && i < state_.layers.size(); ++i) {
    const ModelLayer& node = *model_layer(static_cast<int64_t>(i));
    given.push_back({node.input, node.weight, node.bias});
  }
  auto job = [snapshot, generation, given, tensors = tensors_, stages = stage_cache_](JobContext& context) {
    ComputeResult result = given.empty() ? compute(snapshot, context, *tensors, *stages)
                                         : compute_given(snapshot, given, context, *stages);
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
