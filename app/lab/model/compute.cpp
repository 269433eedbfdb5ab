#include "compute.h"

#include <convt/backend.h>
#include <convt/error.h>
#include <convt/workspace.h>

#include <algorithm>

namespace convt::lab {
namespace {

// The chosen backend must run the selected layer; its refusal is said of the backend control.
void check_backend(const LabState& state) {
  try {
    select_backend(state.backend, state.layer().params);
  } catch (const Error& e) {
    throw Error(e.kind(), e.what(), "backend");
  }
}

void checkpoint(JobContext& context, float fraction, const std::string& stage) {
  if (context.cancelled()) throw JobCancelled{};
  context.report(fraction, stage);
}

// Builds every layer's tensors and validates the chain; `failing_layer` says which layer an error belongs to.
PreparedStack prepare(const LabState& state, JobContext& context, TensorCache& tensors, int64_t& failing_layer) {
  PreparedStack stack;
  stack.backend = state.backend;
  stack.selected = state.selected();
  checkpoint(context, 0.0f, state.input.kind == InputKind::Image ? "loading the image" : "building the input");
  stack.input = tensors.input(state.input);
  Shape current = stack.input->shape();
  for (size_t i = 0; i < state.layers.size(); ++i) {
    failing_layer = static_cast<int64_t>(i);
    const LayerSettings& settings = state.layers[i];
    try {
      checkpoint(context, 0.02f, settings.weight.from_file ? "loading the weight" : "building the weights");
      validate_params(settings.params);
      PreparedLayer layer;
      layer.params = settings.params;
      layer.activation = settings.activation;
      layer.weight = tensors.weight(i, settings, current[1]);
      layer.bias = tensors.bias(i, settings, layer.weight);
      layer.geometry = validate_conv_transpose2d(current, layer.weight->shape(),
                                                 layer.bias ? std::optional<Shape>(layer.bias->shape()) : std::nullopt,
                                                 layer.params);
      current = layer.geometry.output_shape();
      stack.layers.push_back(std::move(layer));
    } catch (const Error& e) {
      if (state.layers.size() == 1) throw;  // a single layer's error needs no number
      throw in_layer(e, i);
    }
  }
  failing_layer = -1;
  check_backend(state);
  return stack;
}

// Runs the layers the cache does not know yet through the engine's run_stack, each on the previous stage's output;
// progress moves by layer, weighted by FLOPs. Cancellation is checked between layers: finished stages stay cached.
std::vector<StageResult> run_stages(const PreparedStack& stack, JobContext& context, StageCache& cache,
                                    std::string& backend_name) {
  std::vector<StageResult> stages = cache.known_for(stack, backend_name);
  if (stages.size() == stack.layers.size()) return stages;
  const Backend& backend = select_backend(stack.backend, stack.layers.front().params);
  backend_name = backend.name();
  std::vector<ConvTranspose2dGeometry> geometry;
  for (const PreparedLayer& layer : stack.layers) geometry.push_back(layer.geometry);
  const double total = std::max(1.0, estimated_flops(geometry));
  // Runs of consecutive layers, each run starting at a layer with its own input (or the first one left).
  while (stages.size() < stack.layers.size()) {
    const size_t first = stages.size();
    std::vector<StackLayerView> run;
    for (size_t i = first; i < stack.layers.size() && (i == first || !stack.layers[i].input); ++i) {
      const PreparedLayer& layer = stack.layers[i];
      run.push_back({layer.weight.get(), layer.bias.get(), layer.params, layer.activation, 0.01f});
    }
    StackRunHooks hooks;
    hooks.before_layer = [&](size_t k) {
      double done = 0;
      for (size_t i = 0; i < first + k; ++i) done += geometry[i].useful_flops();
      const size_t index = first + k;
      checkpoint(context, static_cast<float>(0.05 + 0.9 * done / total),
                 stack.layers.size() > 1 ? "running layer " + std::to_string(index + 1) + " of " + std::to_string(stack.layers.size())
                                         : std::string("running conv_transpose2d"));
    };
    hooks.after_layer = [&](size_t k, const StackStage& stage) {
      const PreparedLayer& layer = stack.layers[first + k];
      const std::optional<ConvTranspose2dParams> analysed = analysis_params(layer.params);
      StageResult result{stage.conv_output, stage.output, stage.run_ms,
                         std::make_shared<const CoverageReport>(
                             coverage_report(layer.geometry, analysed ? *analysed : layer.params, false))};
      cache.add(stack, result, backend_name);
      stages.push_back(std::move(result));
    };
    run_stack(*layer_input(stack, stages, first), run, backend, hooks);
  }
  return stages;
}

// The layers of the state on tensors given from outside (a model's nodes), each validated on its own input.
PreparedStack prepare_given(const LabState& state, const std::vector<GivenLayer>& given, JobContext& context,
                            int64_t& failing_layer) {
  if (given.size() != state.layers.size() || given.empty())
    throw_invalid("the model's layers changed while they were being prepared", "model.node");
  PreparedStack stack;
  stack.backend = state.backend;
  stack.selected = state.selected();
  checkpoint(context, 0.0f, "preparing the model's layers");
  stack.input = given.front().input;
  for (size_t i = 0; i < given.size(); ++i) {
    failing_layer = static_cast<int64_t>(i);
    try {
      validate_params(state.layers[i].params);
      PreparedLayer layer;
      layer.input = given[i].input;
      layer.weight = given[i].weight;
      layer.bias = given[i].bias;
      layer.params = state.layers[i].params;
      layer.geometry = validate_conv_transpose2d(layer.input->shape(), layer.weight->shape(),
                                                 layer.bias ? std::optional<Shape>(layer.bias->shape()) : std::nullopt,
                                                 layer.params);
      stack.layers.push_back(std::move(layer));
    } catch (const Error& e) {
      if (given.size() == 1) throw;
      throw in_layer(e, i);
    }
  }
  failing_layer = -1;
  check_backend(state);
  return stack;
}

ComputeResult run_prepared(const LabState& state, PreparedStack stack, JobContext& context, StageCache& cache) {
  ComputeResult r;
  r.state = state;
  r.stack = std::move(stack);
  r.stages = run_stages(r.stack, context, cache, r.backend_name);
  const size_t selected = static_cast<size_t>(r.stack.selected);
  for (const StageResult& stage : r.stages) r.stack_ms += stage.run_ms;
  r.run_ms = r.stages[selected].run_ms;
  r.layer = r.stack.layers[selected];
  r.layer.input = layer_input(r.stack, r.stages, selected);
  const ConvTranspose2dGeometry& g = r.layer.geometry;
  r.batch_index = std::clamp<int64_t>(state.view.batch_index, 0, g.batch - 1);
  r.out_channel = std::clamp<int64_t>(state.view.out_channel, 0, g.out_channels - 1);
  r.in_channel = std::clamp<int64_t>(state.view.in_channel, 0, g.in_channels - 1);
  const int64_t group = r.out_channel / g.out_channels_per_group;
  if (r.in_channel / g.in_channels_per_group != group) r.in_channel = group * g.in_channels_per_group;
  checkpoint(context, 1.0f, "done");
  return r;
}

ComputeResult compute_or_throw(const LabState& state, JobContext& context, TensorCache& tensors, StageCache& cache,
                               int64_t& failing_layer) {
  return run_prepared(state, prepare(state, context, tensors, failing_layer), context, cache);
}

// Failures of the state come back as the result's error, naming the layer; cancellation passes through.
template <typename Make>
ComputeResult compute_catching(Make make, int64_t& failing_layer) {
  try {
    return make();
  } catch (const Error& e) {
    return failed_result(field_error(e, failing_layer));
  } catch (const std::bad_alloc&) {
    return failed_result(FieldError{"memory", "out of memory while computing this stack; make it smaller", failing_layer});
  }
}

}  // namespace

std::optional<ConvTranspose2dParams> analysis_params(const ConvTranspose2dParams& params) {
  if (!params.asymmetric()) return params;
  ConvTranspose2dParams same = params;
  for (int axis = 0; axis < 2; ++axis) {
    const int64_t output_padding = params.output_padding[axis] + params.padding[axis] - (*params.padding_end)[axis];
    if (output_padding < 0) return std::nullopt;
    (axis == 0 ? same.output_padding.h : same.output_padding.w) = output_padding;
  }
  same.padding_end = same.padding;
  return same;
}

const std::shared_ptr<const Tensor>& layer_input(const PreparedStack& stack, const std::vector<StageResult>& stages,
                                                 size_t index) {
  if (stack.layers[index].input) return stack.layers[index].input;
  return index == 0 ? stack.input : stages[index - 1].output;
}

ComputeResult compute_given(const LabState& state, const std::vector<GivenLayer>& given, JobContext& context,
                            StageCache& stages) {
  int64_t failing_layer = -1;
  return compute_catching([&] { return run_prepared(state, prepare_given(state, given, context, failing_layer), context, stages); },
                          failing_layer);
}

FieldError field_error(const Error& e, int64_t layer) {
  return FieldError{e.parameter().empty() ? "layer" : e.parameter(), e.what(), layer};
}

ComputeResult failed_result(FieldError error) {
  ComputeResult failed;
  failed.error = std::move(error);
  return failed;
}

std::vector<StackLayerShape> stack_shapes(const PreparedStack& stack) {
  std::vector<StackLayerShape> shapes;
  for (const PreparedLayer& layer : stack.layers)
    shapes.push_back({layer.weight->shape(), layer.bias != nullptr, layer.params, layer.activation, 0.01f});
  return shapes;
}

bool same_stack(const PreparedStack& a, const PreparedStack& b) {
  if (a.input != b.input || a.backend != b.backend || a.layers.size() != b.layers.size()) return false;
  for (size_t i = 0; i < a.layers.size(); ++i) {
    const PreparedLayer &x = a.layers[i], &y = b.layers[i];
    if (x.input != y.input || x.weight != y.weight || x.bias != y.bias || !(x.params == y.params) || x.activation != y.activation) return false;
  }
  return true;
}

ComputeResult compute(const LabState& state, JobContext& context, TensorCache& tensors, StageCache& cache) {
  int64_t failing_layer = -1;
  return compute_catching([&] { return compute_or_throw(state, context, tensors, cache, failing_layer); }, failing_layer);
}

double estimated_flops(const std::vector<ConvTranspose2dGeometry>& geometry) {
  double flops = 0;
  for (const ConvTranspose2dGeometry& g : geometry) flops += g.useful_flops();
  return flops;
}

// ---- TensorCache -------------------------------------------------------------------------------------------

Shape planned_weight_shape(const LayerSettings& layer, int64_t in_channels) {
  if (layer.weight.from_file) return {};
  try {
    return generated_weight_shape(layer, in_channels);
  } catch (const Error&) {
    return {};  // building it reports the broken rule
  }
}

std::optional<Shape> planned_input_shape(const InputSettings& input) {
  switch (input.kind) {
    case InputKind::Pattern: return Shape{1, input.pattern_channels, input.pattern_size, input.pattern_size};
    case InputKind::Random: return Shape{input.batch, input.channels, input.height, input.width};
    case InputKind::Image: return std::nullopt;
  }
  return std::nullopt;
}

std::shared_ptr<const Tensor> TensorCache::input(const InputSettings& settings) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (input_ && input_settings_ && *input_settings_ == settings) return input_;
  }
  // A failed build leaves the cache as it was: it is retried, and reports its own reason, next time.
  auto built = std::make_shared<const Tensor>(build_input(settings));
  std::lock_guard<std::mutex> lock(mutex_);
  input_settings_ = settings;
  input_ = built;
  return built;
}

std::shared_ptr<const Tensor> TensorCache::weight(size_t index, const LayerSettings& layer, int64_t in_channels) {
  const Shape planned = planned_weight_shape(layer, in_channels);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (weights_.size() <= index) weights_.resize(index + 1);
    const WeightEntry& entry = weights_[index];
    if (entry.weight && entry.source == layer.weight && entry.planned == planned) return entry.weight;
  }
  auto built = std::make_shared<const Tensor>(build_weight(layer, in_channels));
  std::lock_guard<std::mutex> lock(mutex_);
  WeightEntry& entry = weights_[index];
  entry = WeightEntry{layer.weight, planned, built, nullptr, 0, nullptr};
  return built;
}

std::shared_ptr<const Tensor> TensorCache::bias(size_t index, const LayerSettings& layer,
                                                const std::shared_ptr<const Tensor>& weight) {
  if (!layer.bias || weight->dim() != 4) return nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const WeightEntry& entry = weights_.at(index);
    // Kept with the weight it belongs to, so an unchanged layer is recognised (and its output reused).
    if (entry.bias && entry.bias_of == weight && entry.bias_groups == layer.params.groups) return entry.bias;
  }
  auto built = std::make_shared<const Tensor>(*build_bias(layer, *weight));
  std::lock_guard<std::mutex> lock(mutex_);
  WeightEntry& entry = weights_.at(index);
  entry.bias_of = weight;
  entry.bias_groups = layer.params.groups;
  entry.bias = built;
  return built;
}

bool TensorCache::holds(const PreparedStack& stack) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (input_ != stack.input || weights_.size() < stack.layers.size()) return false;
  for (size_t i = 0; i < stack.layers.size(); ++i)
    if (weights_[i].weight != stack.layers[i].weight || (stack.layers[i].bias && weights_[i].bias != stack.layers[i].bias))
      return false;
  return true;
}

std::optional<Shape> TensorCache::input_shape(const InputSettings& settings) const {
  if (std::optional<Shape> planned = planned_input_shape(settings)) return planned;
  std::lock_guard<std::mutex> lock(mutex_);
  if (input_ && input_settings_ && *input_settings_ == settings) return input_->shape();
  return std::nullopt;
}

std::optional<Shape> TensorCache::weight_shape(size_t index, const LayerSettings& layer, int64_t in_channels) const {
  if (!layer.weight.from_file) return planned_weight_shape(layer, in_channels);
  std::lock_guard<std::mutex> lock(mutex_);
  if (index < weights_.size() && weights_[index].weight && weights_[index].source == layer.weight)
    return weights_[index].weight->shape();
  return std::nullopt;
}

// ---- StageCache --------------------------------------------------------------------------------------------

std::vector<StageResult> StageCache::known_for(const PreparedStack& stack, std::string& backend_name) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!stack_ || !same_stack(*stack_, stack)) {
    stack_ = stack;
    stages_.clear();
  }
  backend_name = backend_name_;
  return stages_;
}

void StageCache::add(const PreparedStack& stack, const StageResult& stage, const std::string& backend_name) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!stack_ || !same_stack(*stack_, stack)) return;
  stages_.push_back(stage);
  backend_name_ = backend_name;
}

bool StageCache::complete_for(const PreparedStack& stack) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stack_ && same_stack(*stack_, stack) && stages_.size() == stack.layers.size();
}

}  // namespace convt::lab
