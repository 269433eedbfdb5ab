// Layer stacks: a chain of conv_transpose2d layers with an optional activation after each, like a GAN generator
// or a decoder path, with the shapes of every stage and the overlap pattern of the whole chain. Coverage compounds:
// each layer's pattern is stretched by the next stride and filtered by the next kernel (k3 s2 followed by k4 s2
// sums neighbouring 1s and 2s into an even 3, while k1 s2 after anything leaves holes), so the chain's own route
// count decides whether the whole stack is even.
#pragma once

#include <convt/analysis.h>
#include <convt/backend.h>
#include <convt/params.h>
#include <convt/shape.h>
#include <convt/tensor.h>

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace convt {


struct StackLayer {
  Tensor weight;  // [C_in, C_out/groups, kH, kW]
  std::optional<Tensor> bias;
  ConvTranspose2dParams params;
  Activation activation = Activation::None;
  float negative_slope = 0.01f;  // LeakyReLU
};

// What the chain's checks and analysis need of a layer: shapes and parameters, no tensors (the app keeps its
// weights elsewhere and must not copy them to ask about geometry).
struct StackLayerShape {
  Shape weight_shape;
  bool has_bias = false;
  ConvTranspose2dParams params;
  Activation activation = Activation::None;
  float negative_slope = 0.01f;
};
std::vector<StackLayerShape> shapes_of(const std::vector<StackLayer>& layers);

// The geometry of every layer, checking that each layer's C_in matches the previous output. Errors name the layer
// ("layer 3: ...").
std::vector<ConvTranspose2dGeometry> validate_stack(const Shape& input_shape, const std::vector<StackLayerShape>& layers);
std::vector<ConvTranspose2dGeometry> validate_stack(const Shape& input_shape, const std::vector<StackLayer>& layers);

// Every stage's output (after its activation), computed with `backend`.
std::vector<Tensor> run_stack(const Tensor& input, const std::vector<StackLayer>& layers, const Backend& backend);

// A layer by reference, for callers that keep their weights in shared tensors and must not copy them to run.
struct StackLayerView {
  const Tensor* weight = nullptr;
  const Tensor* bias = nullptr;
  ConvTranspose2dParams params;
  Activation activation = Activation::None;
  float negative_slope = 0.01f;
};

// One stage of a run: what goes on to the next layer, and the conv's own output before the activation (the same
// tensor when the layer has none).
struct StackStage {
  std::shared_ptr<Tensor> output;
  std::shared_ptr<Tensor> conv_output;  // null unless kept (StackRunHooks::keep_conv_output)
  double run_ms = 0;  // the conv alone
};

// Observers of a run, so a caller can show progress, stop between layers, and keep each stage as it finishes.
struct StackRunHooks {
  std::function<void(size_t layer)> before_layer;  // may throw to stop the run; finished stages were reported
  std::function<void(size_t layer, const StackStage& stage)> after_layer;
  // Keep each layer's output before its activation too (a copy, for layers that have one).
  bool keep_conv_output = true;
};

// The same run, the one implementation behind both overloads: validates the chain, then runs each layer on the
// previous stage's output.
std::vector<StackStage> run_stack(const Tensor& input, const std::vector<StackLayerView>& layers, const Backend& backend,
                                  const StackRunHooks& hooks = {});

// Applies an activation in place (the reference backend's activation, on a copy).
void apply_activation(Tensor& tensor, Activation activation, float negative_slope);


// The whole chain's coverage: how many (input pixel, tap path) routes reach each final output pixel, counted by
// running the chain's geometry on ones (one channel, unit kernels, no activations). [OH, OW].
Tensor stack_coverage(const Shape& input_shape, const std::vector<StackLayerShape>& layers);
Tensor stack_coverage(const Shape& input_shape, const std::vector<StackLayer>& layers);

// The width of the chain's partially covered border: each layer's own (d*(k-1) - p, as for a single layer),
// stretched by every later stride. The summary below measures inside it.
int64_t stack_border(const std::vector<StackLayerShape>& layers);

struct StackCoverageSummary {
  double interior_max = 0, interior_min = 0;  // over the fully covered interior of the final output
  double ratio = 1;                           // max/min (infinite when some interior output gets no route)
  OverlapVerdict verdict = OverlapVerdict::Even;
};
StackCoverageSummary summarize_stack_coverage(const Tensor& coverage, int64_t border);

}  // namespace convt
