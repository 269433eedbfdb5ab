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

// Runs every layer in order, each on the previous stage's output; progress moves by layer, weighted by FLOPs.
std::vector<StageResult> run_stages(const PreparedStack& stack, const Backend& backend, JobContext& context) {
  std::vector<StageResult> stages;
  const double total = std::max(1.0, estimated_flops(stack));
  double done = 0;
  std::shared_ptr<const Tensor> current = stack.input;
  for (size_t i = 0; i < stack.layers.size(); ++i) {
    const PreparedLayer& layer = stack.layers[i];
    checkpoint(context, static_cast<float>(0.05 + 0.6 * done / total),
               stack.layers.size() > 1 ? "running layer " + std::to_string(i + 1) + " of " + std::to_string(stack.layers.size())
                                       : std::string("running conv_transpose2d"));
    StageResult stage;
    const auto start = std::chrono::steady_clock::now();
    auto output = std::make_shared<Tensor>(backend.conv_transpose2d(*current, *layer.weight, layer.bias.get(), layer.params));
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
    current = stage.output;
    stages.push_back(std::move(stage));
  }
  return stages;
}

ComputeResult compute_or_throw(const LabState& state, const PreparedStack& stack, JobContext& context,
                               const std::optional<ReusedOutput>& reuse) {
  ComputeResult r;
  r.state = state;
  r.stack = stack;
  if (reuse) {
    r.stages = reuse->stages;
    r.backend_name = reuse->backend_name;
  } else {
    const Backend& backend = select_backend(stack.backend, stack.layers.front().params);
    r.backend_name = backend.name();
    r.stages = run_stages(stack, backend, context);
  }
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
  r.steps = scatter_then_convolve_slice(input, weight, layer.params, r.batch_index, r.in_channel, r.out_channel);
  const ChannelSlice slice = channel_slice(input, weight, layer.params, r.batch_index, r.in_channel, r.out_channel);
  r.replay = std::make_shared<ScatterReplay>(slice.input_plane, slice.kernel, nullptr, slice.params, 0, 0);

  r.input_nonfinite = count_nonfinite(input);
  r.output_nonfinite = count_nonfinite(r.output());
  checkpoint(context, 0.8f, "coverage and artifact score");
  r.coverage = r.stages[selected].coverage;
  r.score = artifact_score(r.output(), layer.params, {g.kernel_h, g.kernel_w});
  if (stack.layers.size() > 1) {
    const std::vector<StackLayerShape> shapes = stack_shapes(stack);
    r.stack_coverage = convt::stack_coverage(stack.input->shape(), shapes);
    r.stack_summary = summarize_stack_coverage(r.stack_coverage, stack_border(shapes));
  }

  checkpoint(context, 0.9f, "resize-then-convolve");
  const InterpolateMode mode =
      state.view.comparison == ComparisonResize::Nearest ? InterpolateMode::Nearest : InterpolateMode::Bilinear;
  r.comparison = resize_then_convolve(input, weight, layer.params, r.batch_index, r.out_channel, mode);
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

ComputeResult compute(const LabState& state, const PreparedStack& stack, JobContext& context,
                      const std::optional<ReusedOutput>& reuse) {
  try {
    return compute_or_throw(state, stack, context, reuse);
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

double estimated_flops(const PreparedStack& stack) {
  double flops = 0;
  for (const PreparedLayer& layer : stack.layers) flops += layer.geometry.useful_flops();
  return flops;
}

}  // namespace convt::lab
