#include <convt/error.h>
#include <convt/ops.h>
#include <convt/stack.h>

#include "name_list.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

namespace convt {

std::span<const char* const> activation_names() {
  static constexpr const char* names[] = {"none", "relu", "leaky_relu", "tanh"};
  return names;
}

Activation parse_activation(const std::string& name) {
  const int index = find_name(activation_names(), name);
  if (index < 0)
    throw_invalid("unknown activation '" + name + "': expected " + list_names(activation_names()), "activation");
  return static_cast<Activation>(index);
}

const char* to_string(Activation activation) { return activation_names()[static_cast<size_t>(activation)]; }

std::vector<StackLayerShape> shapes_of(const std::vector<StackLayer>& layers) {
  std::vector<StackLayerShape> shapes;
  for (const StackLayer& layer : layers)
    shapes.push_back({layer.weight.shape(), layer.bias.has_value(), layer.params, layer.activation, layer.negative_slope});
  return shapes;
}

std::vector<ConvTranspose2dGeometry> validate_stack(const Shape& input_shape, const std::vector<StackLayerShape>& layers) {
  if (layers.empty()) throw_invalid("stack: it has no layers", "layers");
  std::vector<ConvTranspose2dGeometry> geometry;
  Shape current = input_shape;
  for (size_t i = 0; i < layers.size(); ++i) {
    const StackLayerShape& layer = layers[i];
    // A bias has the right shape by construction here; its own checks ran where it was built.
    const int64_t out_channels = layer.weight_shape.size() == 4 ? layer.weight_shape[1] * layer.params.groups : 0;
    try {
      geometry.push_back(validate_conv_transpose2d(
          current, layer.weight_shape, layer.has_bias ? std::optional<Shape>(Shape{out_channels}) : std::nullopt,
          layer.params));
    } catch (const Error& e) {
      throw in_layer(e, i);
    }
    current = geometry.back().output_shape();
  }
  return geometry;
}

std::vector<ConvTranspose2dGeometry> validate_stack(const Shape& input_shape, const std::vector<StackLayer>& layers) {
  // The biases' own shapes are checked here, with the layer's number.
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i].bias && layers[i].weight.dim() == 4 &&
        layers[i].bias->shape() != Shape{layers[i].weight.size(1) * layers[i].params.groups})
      try {
        validate_conv_transpose2d({1, layers[i].weight.size(0), 1, 1}, layers[i].weight.shape(), layers[i].bias->shape(),
                                  layers[i].params);
      } catch (const Error& e) {
        throw in_layer(e, i);
      }
  return validate_stack(input_shape, shapes_of(layers));
}

void apply_activation(Tensor& tensor, Activation activation, float negative_slope) {
  if (activation == Activation::None) return;
  for (int64_t i = 0; i < tensor.numel(); ++i) {
    float& v = tensor[i];
    switch (activation) {
      case Activation::ReLU: v = v > 0 ? v : 0.0f; break;
      case Activation::LeakyReLU: v = v > 0 ? v : v * negative_slope; break;
      case Activation::Tanh: v = std::tanh(v); break;
      case Activation::None: break;
    }
  }
}

std::vector<StackStage> run_stack(const Tensor& input, const std::vector<StackLayerView>& layers, const Backend& backend,
                                  const StackRunHooks& hooks) {
  std::vector<StackLayerShape> shapes;
  for (const StackLayerView& layer : layers)
    shapes.push_back({layer.weight->shape(), layer.bias != nullptr, layer.params, layer.activation, layer.negative_slope});
  validate_stack(input.shape(), shapes);
  std::vector<StackStage> stages;
  const Tensor* current = &input;
  for (size_t i = 0; i < layers.size(); ++i) {
    const StackLayerView& layer = layers[i];
    if (hooks.before_layer) hooks.before_layer(i);
    StackStage stage;
    const auto start = std::chrono::steady_clock::now();
    auto conv = std::make_shared<Tensor>(backend.conv_transpose2d(*current, *layer.weight, layer.bias, layer.params));
    stage.run_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (layer.activation == Activation::None) {
      stage.output = conv;
      if (hooks.keep_conv_output) stage.conv_output = conv;
    } else if (hooks.keep_conv_output) {
      stage.conv_output = conv;
      stage.output = std::make_shared<Tensor>(*conv);
      apply_activation(*stage.output, layer.activation, layer.negative_slope);
    } else {
      apply_activation(*conv, layer.activation, layer.negative_slope);  // in place: nobody needs it before
      stage.output = conv;
    }
    if (hooks.after_layer) hooks.after_layer(i, stage);
    stages.push_back(std::move(stage));
    current = stages.back().output.get();
  }
  return stages;
}

std::vector<Tensor> run_stack(const Tensor& input, const std::vector<StackLayer>& layers, const Backend& backend) {
  validate_stack(input.shape(), layers);  // the biases' own shapes, with the layer's number
  std::vector<StackLayerView> views;
  for (const StackLayer& layer : layers)
    views.push_back({&layer.weight, layer.bias ? &*layer.bias : nullptr, layer.params, layer.activation, layer.negative_slope});
  StackRunHooks hooks;
  hooks.keep_conv_output = false;
  std::vector<Tensor> outputs;
  for (StackStage& stage : run_stack(input, views, backend, hooks)) outputs.push_back(std::move(*stage.output));
  return outputs;
}

Tensor stack_coverage(const Shape& input_shape, const std::vector<StackLayerShape>& layers) {
  validate_stack(input_shape, layers);
  const bool batched = input_shape.size() == 4;
  Tensor counts = Tensor::ones({1, 1, input_shape[batched ? 2 : 1], input_shape[batched ? 3 : 2]});
  for (const StackLayerShape& layer : layers) {
    ConvTranspose2dParams params = layer.params;
    params.groups = 1;
    counts = conv_transpose2d_reference(counts, Tensor::ones({1, 1, layer.weight_shape[2], layer.weight_shape[3]}),
                                        nullptr, params);
  }
  return counts.reshaped({counts.size(2), counts.size(3)});
}

Tensor stack_coverage(const Shape& input_shape, const std::vector<StackLayer>& layers) {
  return stack_coverage(input_shape, shapes_of(layers));
}

int64_t stack_border(const std::vector<StackLayerShape>& layers) {
  int64_t border = 0;
  for (const StackLayerShape& layer : layers) {
    const ConvTranspose2dParams& p = layer.params;
    const int64_t own = std::max<int64_t>({0, p.dilation.h * (layer.weight_shape[2] - 1) - p.padding.h,
                                           p.dilation.w * (layer.weight_shape[3] - 1) - p.padding.w});
    border = border * std::max(p.stride.h, p.stride.w) + own;
  }
  return border;
}

StackCoverageSummary summarize_stack_coverage(const Tensor& coverage, int64_t border) {
  StackCoverageSummary summary;
  const int64_t h = coverage.size(0), w = coverage.size(1);
  int64_t y0 = border, y1 = h - border, x0 = border, x1 = w - border;
  if (y1 <= y0 || x1 <= x0) y0 = x0 = 0, y1 = h, x1 = w;  // too small: measure everything
  summary.interior_min = std::numeric_limits<double>::infinity();
  for (int64_t y = y0; y < y1; ++y)
    for (int64_t x = x0; x < x1; ++x) {
      const double v = coverage[y * w + x];
      summary.interior_max = std::max(summary.interior_max, v);
      summary.interior_min = std::min(summary.interior_min, v);
    }
  if (summary.interior_min <= 0) {
    summary.ratio = std::numeric_limits<double>::infinity();
    summary.verdict = OverlapVerdict::Holes;
  } else {
    summary.ratio = summary.interior_max / summary.interior_min;
    summary.verdict = summary.ratio > 1.0 + 1e-9 ? OverlapVerdict::Uneven : OverlapVerdict::Even;
  }
  return summary;
}

}  // namespace convt
