#include "compute.h"

#include <convt/backend.h>
#include <convt/error.h>

#include <algorithm>
#include <chrono>

namespace convt::lab {
namespace {

void checkpoint(JobContext& context, float fraction, const char* stage) {
  if (context.cancelled()) throw JobCancelled{};
  context.report(fraction, stage);
}

ComputeResult compute_or_throw(const LabState& state, const PreparedLayer& layer, JobContext& context,
                               const std::optional<ReusedOutput>& reuse) {
  ComputeResult r;
  r.state = state;
  r.layer = layer;
  const ConvTranspose2dGeometry& g = layer.geometry;
  const Tensor& input = *layer.input;
  const Tensor& weight = *layer.weight;

  checkpoint(context, 0.05f, "running conv_transpose2d");
  if (reuse) {
    r.output = reuse->output;
    r.backend_name = reuse->backend_name;
    r.run_ms = reuse->run_ms;
  } else {
    const Backend& backend = select_backend(layer.backend, layer.params);
    r.backend_name = backend.name();
    const auto start = std::chrono::steady_clock::now();
    r.output = backend.conv_transpose2d(input, weight, layer.bias.get(), layer.params);
    r.run_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }

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
  r.output_nonfinite = count_nonfinite(r.output);
  checkpoint(context, 0.8f, "coverage and artifact score");
  r.coverage = coverage_report(g, layer.params);
  r.score = artifact_score(r.output, layer.params, {g.kernel_h, g.kernel_w});

  checkpoint(context, 0.9f, "resize-then-convolve");
  const InterpolateMode mode =
      state.view.comparison == ComparisonResize::Nearest ? InterpolateMode::Nearest : InterpolateMode::Bilinear;
  r.comparison = resize_then_convolve(input, weight, layer.params, r.batch_index, r.out_channel, mode);
  checkpoint(context, 1.0f, "done");
  return r;
}

}  // namespace

bool same_layer(const PreparedLayer& a, const PreparedLayer& b) {
  return a.input == b.input && a.weight == b.weight && a.bias == b.bias && a.params == b.params && a.backend == b.backend;
}

ComputeResult compute(const LabState& state, const PreparedLayer& layer, JobContext& context,
                      const std::optional<ReusedOutput>& reuse) {
  try {
    return compute_or_throw(state, layer, context, reuse);
  } catch (const Error& e) {
    ComputeResult failed;
    failed.error = FieldError{e.parameter().empty() ? "layer" : e.parameter(), e.what()};
    return failed;
  } catch (const std::bad_alloc&) {
    ComputeResult failed;
    failed.error = FieldError{"memory", "out of memory while computing this layer; make it smaller"};
    return failed;
  }
}

double estimated_flops(const PreparedLayer& layer) { return layer.geometry.useful_flops(); }

}  // namespace convt::lab
