#include "lab_model.h"

#include <convt/backend.h>
#include <convt/error.h>
#include <convt/image.h>
#include <convt/io.h>
#include <convt/ops.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

namespace convt::lab {
namespace {

Tensor load_working_image(const InputSettings& input) {
  if (input.image_path.empty()) throw_invalid("input: choose an image file (path, Browse, or drop it on the window)", "input.image");
  Tensor image;
  try {
    image = read_image(input.image_path);
  } catch (const Error& e) {
    throw Error(e.kind(), e.what(), "input.image");
  }
  if (!input.resize_image) return image;
  if (input.working_size < 1)
    throw_invalid("input: working size " + std::to_string(input.working_size) + " must be >= 1", "input.working_size");
  const int64_t h = image.size(2), w = image.size(3), longer = std::max(h, w);
  InterpolateParams resize;
  resize.mode = InterpolateMode::Bilinear;
  resize.has_size = true;
  resize.size = {std::max<int64_t>(1, h * input.working_size / longer), std::max<int64_t>(1, w * input.working_size / longer)};
  return interpolate(image, resize);
}

Tensor build_input(const InputSettings& input) {
  switch (input.kind) {
    case InputKind::Pattern:
      try {
        return make_pattern(input.pattern, input.pattern_channels, input.pattern_size, input.pattern_size);
      } catch (const Error& e) {
        throw Error(e.kind(), std::string("input: ") + e.what(), "input.pattern_size");
      }
    case InputKind::Random: {
      const Shape shape{input.batch, input.channels, input.height, input.width};
      for (int64_t d : shape)
        if (d < 1) throw_invalid("input: random tensor " + shape_to_string(shape) + " needs every dimension >= 1", "input.shape");
      try {
        return input.distribution == Distribution::Normal ? Tensor::randn(shape, input.seed)
                                                          : Tensor::uniform(shape, input.seed, -1.0f, 1.0f);
      } catch (const Error& e) {
        throw Error(e.kind(), std::string("input: ") + e.what(), "input.shape");
      }
    }
    case InputKind::Image: return load_working_image(input);
  }
  throw_invalid("input: unknown kind", "input.kind");
}

bool is_safetensors(const std::string& path) {
  const std::string suffix = ".safetensors";
  return path.size() > suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Tensor load_weight_file(const WeightSource& weight) {
  if (!is_safetensors(weight.path)) return read_npy(weight.path);
  if (weight.tensor_name.empty())
    throw_invalid("weight: choose one of the 4-D tensors of '" + weight.path + "'", "weight.file");
  return read_safetensors(weight.path, weight.tensor_name);
}

// A model's bias sits next to its weight: NAME.weight and NAME.bias in the same .safetensors file.
std::shared_ptr<const Tensor> model_bias(const WeightSource& weight) {
  const std::string suffix = ".weight";
  if (!weight.from_file || !is_safetensors(weight.path) || weight.tensor_name.size() <= suffix.size() ||
      weight.tensor_name.compare(weight.tensor_name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return nullptr;
  const std::string name = weight.tensor_name.substr(0, weight.tensor_name.size() - suffix.size()) + ".bias";
  if (!safetensors_has(weight.path, name)) return nullptr;
  return std::make_shared<const Tensor>(read_safetensors(weight.path, name));
}

}  // namespace

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
    cached_input_ = std::make_shared<const Tensor>(build_input(state_.input));
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
  if (!layer.weight.from_file)
    weight_shape_ = {in_channels, std::max<int64_t>(1, layer.out_channels / std::max<int64_t>(1, layer.params.groups)),
                     layer.kernel.h, layer.kernel.w};
  validate_params(layer.params);

  Shape weight_shape;
  if (!layer.weight.from_file) {
    if (layer.out_channels < 1)
      throw_invalid("layer: out_channels=" + std::to_string(layer.out_channels) + " must be >= 1", "out_channels");
    if (layer.out_channels % layer.params.groups != 0)
      throw_invalid("layer: out_channels=" + std::to_string(layer.out_channels) + " must be divisible by groups=" +
                        std::to_string(layer.params.groups) + " (the weight is [C_in, C_out/groups, kH, kW])",
                    "groups");
    if (layer.kernel.h < 1 || layer.kernel.w < 1)
      throw_invalid("layer: kernel_size=" + to_string(layer.kernel) + " must be >= 1 on each axis", "kernel");
    weight_shape = {in_channels, layer.out_channels / layer.params.groups, layer.kernel.h, layer.kernel.w};
  }
  const std::pair<WeightSource, Shape> weight_key{layer.weight, weight_shape};
  if (!cached_weight_ || !cached_weight_key_ || !(*cached_weight_key_ == weight_key)) {
    cached_weight_.reset();
    cached_weight_key_.reset();  // as for the input: a failed load is retried with its own reason
    if (layer.weight.from_file) {
      try {
        cached_weight_ = std::make_shared<const Tensor>(load_weight_file(layer.weight));
      } catch (const Error& e) {
        throw Error(e.kind(), e.what(), "weight.file");
      }
    } else {
      cached_weight_ = std::make_shared<const Tensor>(
          make_weight(layer.weight.init, weight_shape, layer.weight.seed, layer.weight.constant));
    }
  }
  cached_weight_key_ = weight_key;
  prepared.weight = cached_weight_;
  weight_shape_ = prepared.weight->shape();

  if (layer.bias && prepared.weight->dim() == 4) {
    // PyTorch's default bias initialisation: U(-b, b), b = 1/sqrt(fan_in), fan_in = C_out/groups * kH * kW.
    // Cached with the weight it belongs to, so an unchanged layer is recognised (and its output reused).
    const Shape& w = prepared.weight->shape();
    const std::pair<std::shared_ptr<const Tensor>, int64_t> bias_key{prepared.weight, layer.params.groups};
    if (!cached_bias_ || cached_bias_key_ != bias_key) {
      cached_bias_ = model_bias(layer.weight);  // a model's own bias first
      if (!cached_bias_) {
        const float bound = 1.0f / std::sqrt(static_cast<float>(w[1] * w[2] * w[3]));
        cached_bias_ = std::make_shared<const Tensor>(
            Tensor::uniform({w[1] * layer.params.groups}, layer.weight.seed + 1, -bound, bound));
      }
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
