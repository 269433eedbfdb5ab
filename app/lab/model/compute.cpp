#include "compute.h"

#include <convt/backend.h>
#include <convt/error.h>

#include <algorithm>
#include <chrono>

namespace convt::lab {
namespace {

void checkpoint(JobContext& context, float fraction, const std::string& stage) {
  if (context.cancelled()) throw JobCancelled{};
  context.report(fraction, stage);
}

// Runs the layers the cache does not know yet, in order, each on the previous stage's output; progress moves by
// layer, weighted by FLOPs. Cancellation is checked between layers: the stages done so far stay in the cache.
std::vector<StageResult> run_stages(const PreparedStack& stack, JobContext& context, StageCache& cache,
                                    std::string& backend_name) {
  std::vector<StageResult> stages = cache.known_for(stack, backend_name);
  if (stages.size() == stack.layers.size()) return stages;
  const Backend& backend = select_backend(stack.backend, stack.layers.front().params);
  backend_name = backend.name();
  const double total = std::max(1.0, estimated_flops(stack));
  double done = 0;
  for (size_t i = 0; i < stages.size(); ++i) done += stack.layers[i].geometry.useful_flops();
  for (size_t i = stages.size(); i < stack.layers.size(); ++i) {
    const PreparedLayer& layer = stack.layers[i];
    const Tensor& input = i == 0 ? *stack.input : *stages[i - 1].output;
    checkpoint(context, static_cast<float>(0.05 + 0.6 * done / total),
               stack.layers.size() > 1 ? "running layer " + std::to_string(i + 1) + " of " + std::to_string(stack.layers.size())
                                       : std::string("running conv_transpose2d"));
    StageResult stage;
    const auto start = std::chrono::steady_clock::now();
    auto output = std::make_shared<Tensor>(backend.conv_transpose2d(input, *layer.weight, layer.bias.get(), layer.params));
    stage.run_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    stage.conv_output = output;
    if (layer.activation == Activation::None) {
      stage.output = output;
    } else {
      auto activated = std::make_shared<Tensor>(*output);
      apply_activation(*activated, layer.activation, 0.01f);
      stage.output = activated;
    }
    stage.coverage = coverage_report(layer.geometry, layer.params);
    done += layer.geometry.useful_flops();
    cache.add(stack, stage, backend_name);
    stages.push_back(std::move(stage));
  }
  return stages;
}

// Runs one part of the analysis; a failure of its own (a view too big for the memory budget) is reported in its
// place instead of failing the whole result.
template <typename Part>
void analysis_part(std::string& error, Part part) {
  try {
    part();
  } catch (const Error& e) {
    error = e.what();
  } catch (const std::bad_alloc&) {
    error = "out of memory for this view";
  }
}

ComputeResult compute_or_throw(const LabState& state, const PreparedStack& stack, JobContext& context,
                               StageCache& cache) {
  ComputeResult r;
  r.state = state;
  r.stack = stack;
  r.stages = run_stages(stack, context, cache, r.backend_name);
  const size_t selected = static_cast<size_t>(stack.selected);
  for (const StageResult& stage : r.stages) r.stack_ms += stage.run_ms;
  r.run_ms = r.stages[selected].run_ms;
  r.layer = stack.layers[selected];
  r.layer.input = selected == 0 ? stack.input : r.stages[selected - 1].output;
  const PreparedLayer& layer = r.layer;
  const ConvTranspose2dGeometry& g = layer.geometry;
  const Tensor& input = *layer.input;
  const Tensor& weight = *layer.weight;

  checkpoint(context, 0.7f, "scatter-then-convolve");
  r.batch_index = std::clamp<int64_t>(state.view.batch_index, 0, g.batch - 1);
  r.out_channel = std::clamp<int64_t>(state.view.out_channel, 0, g.out_channels - 1);
  r.in_channel = std::clamp<int64_t>(state.view.in_channel, 0, g.in_channels - 1);
  const int64_t group = r.out_channel / g.out_channels_per_group;
  if (r.in_channel / g.in_channels_per_group != group) r.in_channel = group * g.in_channels_per_group;
  analysis_part(r.steps_error, [&] {
    r.steps = scatter_then_convolve_slice(input, weight, layer.params, r.batch_index, r.in_channel, r.out_channel);
    const ChannelSlice slice = channel_slice(input, weight, layer.params, r.batch_index, r.in_channel, r.out_channel);
    r.replay = std::make_shared<ScatterReplay>(slice.input_plane, slice.kernel, nullptr, slice.params, 0, 0);
  });

  r.input_nonfinite = count_nonfinite(input);
  r.output_nonfinite = count_nonfinite(r.output());
  checkpoint(context, 0.8f, "coverage and artifact score");
  r.coverage = r.stages[selected].coverage;
  r.score = artifact_score(r.output(), layer.params, {g.kernel_h, g.kernel_w});
  if (stack.layers.size() > 1) {
    const std::vector<StackLayerShape> shapes = stack_shapes(stack);
    r.stack_coverage = convt::stack_coverage(stack.input->shape(), shapes);
    r.stack_summary = summarize_stack_coverage(r.stack_coverage, stack_border(shapes));
    r.stack_coverage_max = *std::max_element(r.stack_coverage.data(), r.stack_coverage.data() + r.stack_coverage.numel());
  }

  checkpoint(context, 0.9f, "resize-then-convolve");
  const InterpolateMode mode =
      state.view.comparison == ComparisonResize::Nearest ? InterpolateMode::Nearest : InterpolateMode::Bilinear;
  analysis_part(r.comparison_error, [&] {
    r.comparison = resize_then_convolve(input, weight, layer.params, r.batch_index, r.out_channel, mode);
  });
  checkpoint(context, 1.0f, "done");
  return r;
}

}  // namespace

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
    if (x.weight != y.weight || x.bias != y.bias || !(x.params == y.params) || x.activation != y.activation) return false;
  }
  return true;
}

ComputeResult compute(const LabState& state, const PreparedStack& stack, JobContext& context, StageCache& cache) {
  try {
    return compute_or_throw(state, stack, context, cache);
  } catch (const Error& e) {
    ComputeResult failed;
    failed.error = FieldError{e.parameter().empty() ? "layer" : e.parameter(), e.what()};
    return failed;
  } catch (const std::bad_alloc&) {
    ComputeResult failed;
    failed.error = FieldError{"memory", "out of memory while computing this stack; make it smaller"};
    return failed;
  }
}

double estimated_analysis_flops(const PreparedStack& stack) {
  // The selected layer's analysis: a few passes over its output (score, NaN count), and two single-output-channel
  // convolutions over it (the scatter-then-convolve slice and the resize-then-convolve comparison).
  const ConvTranspose2dGeometry& g = stack.layers[static_cast<size_t>(stack.selected)].geometry;
  const double output = static_cast<double>(g.batch * g.out_channels) * static_cast<double>(g.out_h * g.out_w);
  const double plane = static_cast<double>(g.out_h * g.out_w);
  return 10 * output + 2 * plane * static_cast<double>(g.kernel_h * g.kernel_w) * (g.in_channels_per_group + 1);
}

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

double estimated_flops(const PreparedStack& stack) {
  double flops = 0;
  for (const PreparedLayer& layer : stack.layers) flops += layer.geometry.useful_flops();
  return flops;
}

}  // namespace convt::lab
