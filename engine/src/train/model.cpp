// The upsampling models of the training lab, composed from the ops of ops.h: their shapes, the forward pass and
// its hand-written backward (the chain rule through at most four ops needs no autograd).
#include <convt/error.h>
#include <convt/ops.h>
#include <convt/shape.h>
#include <convt/train.h>

#include "name_list.h"

#include <algorithm>
#include <utility>

namespace convt {

std::span<const char* const> upsampler_kind_names() {
  static constexpr const char* names[] = {"deconv", "resize-conv", "subpixel"};
  return names;
}

UpsamplerKind parse_upsampler_kind(const std::string& name) {
  const int index = find_name(upsampler_kind_names(), name);
  if (index < 0) throw_invalid("unknown model '" + name + "': expected " + list_names(upsampler_kind_names()), "model");
  return static_cast<UpsamplerKind>(index);
}

const char* to_string(UpsamplerKind kind) { return upsampler_kind_names()[static_cast<size_t>(kind)]; }

void validate(const UpsamplerSpec& spec) {
  if (spec.factor < 2 || spec.factor > kMaxTrainFactor)
    throw_invalid("factor " + std::to_string(spec.factor) + " is invalid: the upsampling factor must be 2 to " +
                      std::to_string(kMaxTrainFactor),
                  "factor");
  if (spec.channels != 1 && spec.channels != 3)
    throw_invalid("channels " + std::to_string(spec.channels) + " is invalid: 1 (grey) or 3 (RGB)", "channels");
  if (spec.kernel < 1 || spec.kernel > kMaxTrainKernel)
    throw_invalid("kernel " + std::to_string(spec.kernel) + " is invalid: it must be 1 to " +
                      std::to_string(kMaxTrainKernel),
                  "kernel");
  if (spec.kind != UpsamplerKind::Deconv && spec.kernel % 2 == 0)
    throw_invalid("kernel " + std::to_string(spec.kernel) + " is invalid for " + to_string(spec.kind) +
                      ": it must be odd, so that padding (k-1)/2 keeps the size",
                  "kernel");
  if (spec.hidden < 0 || spec.hidden > kMaxTrainHidden)
    throw_invalid("hidden " + std::to_string(spec.hidden) + " is invalid: the feature width must be 0 (none) to " +
                      std::to_string(kMaxTrainHidden),
                  "hidden");
}

ConvTranspose2dParams deconv_params(int64_t kernel, int64_t factor) {
  ConvTranspose2dParams params;
  const int64_t padding = std::max<int64_t>(0, (kernel - factor + 1) / 2);  // ceil((k - f) / 2), at least 0
  params.stride = factor;
  params.padding = padding;
  params.output_padding = factor + 2 * padding - kernel;
  return params;
}

namespace {

int64_t upsampler_input_channels(const UpsamplerSpec& spec) { return spec.hidden > 0 ? spec.hidden : spec.channels; }

Conv2dParams same_size_conv(int64_t kernel) {
  Conv2dParams params;
  params.padding = (kernel - 1) / 2;
  return params;
}

InterpolateParams resize_params(const UpsamplerSpec& spec) {
  InterpolateParams params;
  params.mode = spec.resize;
  params.scale_h = params.scale_w = static_cast<double>(spec.factor);
  return params;
}

const Conv2dParams kFeatureConv = same_size_conv(3);

}  // namespace

std::vector<std::pair<std::string, Shape>> parameter_shapes(const UpsamplerSpec& spec) {
  validate(spec);
  std::vector<std::pair<std::string, Shape>> shapes;
  const int64_t C = upsampler_input_channels(spec), Cin = spec.channels, k = spec.kernel, f = spec.factor;
  if (spec.hidden > 0) {
    shapes.push_back({"features.weight", {spec.hidden, Cin, 3, 3}});
    shapes.push_back({"features.bias", {spec.hidden}});
  }
  switch (spec.kind) {
    case UpsamplerKind::Deconv:  // ConvTranspose2d's weight is [in, out, k, k]
      shapes.push_back({"up.weight", {C, Cin, k, k}});
      shapes.push_back({"up.bias", {Cin}});
      break;
    case UpsamplerKind::ResizeConv:
      shapes.push_back({"up.weight", {Cin, C, k, k}});
      shapes.push_back({"up.bias", {Cin}});
      break;
    case UpsamplerKind::Subpixel:
      shapes.push_back({"up.weight", {Cin * f * f, C, k, k}});
      shapes.push_back({"up.bias", {Cin * f * f}});
      break;
  }
  return shapes;
}

const Tensor& UpsamplerModel::parameter(const std::string& name) const {
  for (const auto& p : parameters)
    if (p.name == name) return p.value;
  throw_invalid("the model has no parameter '" + name + "'");
}

Tensor& UpsamplerModel::parameter(const std::string& name) {
  return const_cast<Tensor&>(std::as_const(*this).parameter(name));
}

std::string pytorch_module(const UpsamplerSpec& spec) {
  validate(spec);
  const std::string C = std::to_string(upsampler_input_channels(spec)), Cin = std::to_string(spec.channels);
  const std::string k = std::to_string(spec.kernel), f = std::to_string(spec.factor);
  std::string text = "class Upsampler(nn.Module):\n    def __init__(self):\n        super().__init__()\n";
  if (spec.hidden > 0)
    text += "        self.features = nn.Conv2d(" + Cin + ", " + C + ", 3, padding=1)\n";
  switch (spec.kind) {
    case UpsamplerKind::Deconv: {
      const ConvTranspose2dParams p = deconv_params(spec.kernel, spec.factor);
      text += "        self.up = nn.ConvTranspose2d(" + C + ", " + Cin + ", " + k + ", stride=" + f +
              ", padding=" + std::to_string(p.padding.h) + ", output_padding=" + std::to_string(p.output_padding.h) + ")\n";
      break;
    }
    case UpsamplerKind::ResizeConv:
    case UpsamplerKind::Subpixel:
      text += "        self.up = nn.Conv2d(" + C + ", " +
              (spec.kind == UpsamplerKind::Subpixel ? Cin + " * " + f + " * " + f : Cin) + ", " + k +
              ", padding=" + std::to_string((spec.kernel - 1) / 2) + ")\n";
      break;
  }
  text += "\n    def forward(self, x):\n";
  if (spec.hidden > 0) text += "        x = F.relu(self.features(x))\n";
  switch (spec.kind) {
    case UpsamplerKind::Deconv: text += "        return self.up(x)\n"; break;
    case UpsamplerKind::ResizeConv:
      text += "        return self.up(F.interpolate(x, scale_factor=" + f +
              (spec.resize == InterpolateMode::Nearest ? ", mode='nearest'" : ", mode='bilinear', align_corners=False") +
              "))\n";
      break;
    case UpsamplerKind::Subpixel: text += "        return F.pixel_shuffle(self.up(x), " + f + ")\n"; break;
  }
  return text;
}

Shape model_output_shape(const UpsamplerSpec& spec, const Shape& input_shape) {
  validate(spec);
  if (input_shape.size() != 4 || input_shape[1] != spec.channels)
    throw_invalid("the model's input has shape " + shape_to_string(input_shape) + ": expected [N, " +
                      std::to_string(spec.channels) + ", h, w]",
                  "input");
  return {input_shape[0], spec.channels, input_shape[2] * spec.factor, input_shape[3] * spec.factor};
}

ForwardPass forward(const UpsamplerModel& model, const Tensor& input) {
  const UpsamplerSpec& spec = model.spec;
  model_output_shape(spec, input.shape());
  ForwardPass pass;
  if (spec.hidden > 0) {
    pass.features_pre = conv2d(input, model.parameter("features.weight"), model.parameter("features.bias"),
                               kFeatureConv.stride, kFeatureConv.padding);
    pass.features = activation(pass.features_pre, Activation::ReLU);
  } else {
    pass.features = input;
  }
  const Tensor& weight = model.parameter("up.weight");
  const Tensor& bias = model.parameter("up.bias");
  switch (spec.kind) {
    case UpsamplerKind::Deconv: {
      const ConvTranspose2dParams p = deconv_params(spec.kernel, spec.factor);
      pass.output = conv_transpose2d(pass.features, weight, bias, p.stride, p.padding, p.output_padding);
      break;
    }
    case UpsamplerKind::ResizeConv:
      pass.resized = interpolate(pass.features, resize_params(spec));
      pass.output = conv2d(pass.resized, weight, bias, 1, same_size_conv(spec.kernel).padding);
      break;
    case UpsamplerKind::Subpixel:
      pass.unshuffled = conv2d(pass.features, weight, bias, 1, same_size_conv(spec.kernel).padding);
      pass.output = pixel_shuffle(pass.unshuffled, spec.factor);
      break;
  }
  return pass;
}

Tensor output_of(const UpsamplerModel& model, const Tensor& input) { return forward(model, input).output; }

ModelGradients backward(const UpsamplerModel& model, const Tensor& input, const ForwardPass& pass,
                        const Tensor& grad_output, bool with_input_gradient) {
  const UpsamplerSpec& spec = model.spec;
  const bool need_features_gradient = spec.hidden > 0 || with_input_gradient;
  const Tensor& weight = model.parameter("up.weight");
  WeightGradients up;
  Tensor grad_features;
  switch (spec.kind) {
    case UpsamplerKind::Deconv: {
      const ConvTranspose2dParams p = deconv_params(spec.kernel, spec.factor);
      up = conv_transpose2d_grad_weight(pass.features, weight.shape(), grad_output, true, p);
      if (need_features_gradient)
        grad_features = conv_transpose2d_grad_input(pass.features.shape(), weight, grad_output, p);
      break;
    }
    case UpsamplerKind::ResizeConv: {
      const Conv2dParams p = same_size_conv(spec.kernel);
      up = conv2d_grad_weight(pass.resized, weight.shape(), grad_output, true, p);
      if (need_features_gradient)
        grad_features = interpolate_backward(conv2d_grad_input(pass.resized.shape(), weight, grad_output, p),
                                             pass.features.shape(), resize_params(spec));
      break;
    }
    case UpsamplerKind::Subpixel: {
      const Conv2dParams p = same_size_conv(spec.kernel);
      const Tensor grad_unshuffled = pixel_unshuffle(grad_output, spec.factor);  // pixel_shuffle's adjoint
      up = conv2d_grad_weight(pass.features, weight.shape(), grad_unshuffled, true, p);
      if (need_features_gradient)
        grad_features = conv2d_grad_input(pass.features.shape(), weight, grad_unshuffled, p);
      break;
    }
  }

  ModelGradients gradients;
  if (spec.hidden > 0) {
    const Tensor grad_pre = activation_backward(pass.features_pre, grad_features, Activation::ReLU);
    WeightGradients features =
        conv2d_grad_weight(input, model.parameter("features.weight").shape(), grad_pre, true, kFeatureConv);
    gradients.parameters.push_back(std::move(features.grad_weight));
    gradients.parameters.push_back(std::move(*features.grad_bias));
    if (with_input_gradient)
      gradients.input = conv2d_grad_input(input.shape(), model.parameter("features.weight"), grad_pre, kFeatureConv);
  } else if (with_input_gradient) {
    gradients.input = std::move(grad_features);
  }
  gradients.parameters.push_back(std::move(up.grad_weight));
  gradients.parameters.push_back(std::move(*up.grad_bias));
  return gradients;
}

std::vector<Tensor> kernel_phases(const UpsamplerModel& model) {
  const UpsamplerSpec& spec = model.spec;
  const Tensor& weight = model.parameter("up.weight");
  const int64_t k = spec.kernel, f = spec.factor;
  // weight[0, 0] for deconv and resize-conv: input channel 0 to output channel 0 in either layout.
  auto plane = [&](int64_t first_dim_index) {
    Tensor kernel({k, k});
    std::copy_n(weight.data() + first_dim_index * weight.size(1) * k * k, k * k, kernel.data());
    return kernel;
  };
  std::vector<Tensor> phases;
  switch (spec.kind) {
    case UpsamplerKind::ResizeConv: phases.push_back(plane(0)); break;
    case UpsamplerKind::Subpixel:  // output channel 0's sub-filters are conv channels 0 .. f*f-1, phase r = ry*f + rx
      for (int64_t r = 0; r < f * f; ++r) phases.push_back(plane(r));
      break;
    case UpsamplerKind::Deconv: {
      // Output row o receives tap ky when o = i*f - p + ky, so phase r gets the taps with ky = (r + p) mod f (mod f).
      const Tensor kernel = plane(0);
      const int64_t p = deconv_params(k, f).padding.h;
      auto taps = [&](int64_t r) {
        std::vector<int64_t> list;
        for (int64_t t = (r + p) % f; t < k; t += f) list.push_back(t);
        return list;
      };
      for (int64_t ry = 0; ry < f; ++ry)
        for (int64_t rx = 0; rx < f; ++rx) {
          const std::vector<int64_t> rows = taps(ry), cols = taps(rx);
          Tensor sub({static_cast<int64_t>(rows.size()), static_cast<int64_t>(cols.size())});
          for (size_t y = 0; y < rows.size(); ++y)
            for (size_t x = 0; x < cols.size(); ++x)
              sub[static_cast<int64_t>(y * cols.size() + x)] = kernel[rows[y] * k + cols[x]];
          phases.push_back(std::move(sub));
        }
      break;
    }
  }
  return phases;
}

}  // namespace convt
