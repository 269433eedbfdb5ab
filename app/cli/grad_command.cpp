#include "grad_command.h"

#include "cli_options.h"
#include "tensor_source.h"

#include <convt/backend.h>
#include <convt/error.h>
#include <convt/io.h>
#include <convt/shape.h>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <vector>

namespace convt::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kConvTranspose2d = "conv_transpose2d";
constexpr const char* kConv2d = "conv2d";

// conv2d's parameters from the layer flags (--output-padding is refused before this), checked by conv2d's own rules
// before anything is loaded.
Conv2dParams parse_conv2d_params(const LayerOptions& options) {
  const ConvTranspose2dParams flags =
      parse_param_flags(options.stride, options.padding, options.output_padding, options.dilation);
  const Conv2dParams params{flags.stride, flags.padding, flags.dilation, options.groups};
  validate_params(params);
  return params;
}

// --out-dir may be missing (it is created once everything is computed), but it may not be something else, nor
// lie under something that is not a folder.
void check_out_dir(const std::string& dir) {
  std::error_code error;
  const fs::path path(dir);
  const fs::file_status status = fs::status(path, error);
  if (fs::exists(status)) {
    if (!fs::is_directory(status)) throw_io("--out-dir '" + dir + "' exists and is not a directory");
    return;
  }
  for (fs::path parent = path.parent_path(); !parent.empty(); parent = parent.parent_path()) {
    const fs::file_status parent_status = fs::status(parent, error);
    if (fs::exists(parent_status)) {
      if (!fs::is_directory(parent_status))
        throw_io("cannot create --out-dir '" + dir + "': '" + parent.string() + "' is not a directory");
      return;
    }
    if (parent == parent.parent_path()) return;
  }
}

struct OutFile {
  std::string path;
  const Tensor* tensor;
};

// Writes every file or none: each goes to a hidden staging file in the folder first (atomically, as write_npy
// does), and only when all of them are there are they renamed into place. On failure the staging files, and the
// folder when this call created it, are removed, and existing files are untouched.
void write_all_or_nothing(const std::string& dir, const std::vector<OutFile>& files) {
  std::error_code error;
  const bool created = fs::create_directories(dir, error);
  if (error) throw_io("cannot create --out-dir '" + dir + "': " + error.message());
  std::vector<std::string> staged;
  auto clean_up = [&] {
    std::error_code ignored;
    for (const std::string& path : staged) fs::remove(path, ignored);
    if (created) fs::remove(dir, ignored);  // only when still empty
  };
  try {
    for (const OutFile& file : files) {
      const fs::path target(file.path);
      const std::string path =
          (target.parent_path() / ("." + target.filename().string() + ".staged-" + std::to_string(::getpid()))).string();
      staged.push_back(path);
      write_npy(path, *file.tensor);
    }
  } catch (...) {
    clean_up();
    throw;
  }
  for (size_t i = 0; i < files.size(); ++i) {
    fs::rename(staged[i], files[i].path, error);
    if (error) {
      staged.erase(staged.begin(), staged.begin() + static_cast<std::ptrdiff_t>(i));
      clean_up();
      throw_io("cannot write '" + files[i].path + "': rename failed: " + error.message());
    }
  }
}

// A bare kind (random, uniform, constant) stands for that tensor in the forward output's shape.
std::string grad_output_spec(const std::string& spec, const Shape& expected) {
  if (spec != "random" && spec != "uniform" && spec != "constant") return spec;
  std::string dims;
  for (const int64_t d : expected) dims += (dims.empty() ? "" : ",") + std::to_string(d);
  return spec + ":" + dims;
}

struct Pass {
  const Backend* backend = nullptr;
  std::vector<std::string> declined;
  double ms = 0;
};

Pass choose(const std::string& backend, const OpRequest& request) {
  const Dispatch dispatched = dispatch(backend, request);
  return Pass{dispatched.backend, dispatched.declined, 0};
}

template <typename Run>
auto timed(Pass& pass, Run&& run) {
  const auto start = std::chrono::steady_clock::now();
  auto result = run(*pass.backend);
  pass.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return result;
}

void warn_nonfinite(const char* what, const NonFiniteCount& count) {
  if (count.any())
    std::fprintf(stderr, "warning: %s has %lld NaN and %lld infinite values (they come from the input, weight or "
                         "grad_output)\n", what, static_cast<long long>(count.nan), static_cast<long long>(count.inf));
}

nlohmann::json nonfinite_json(const NonFiniteCount& count) { return {{"nan", count.nan}, {"inf", count.inf}}; }

std::string joined(const std::vector<std::string>& parts) {
  std::string text;
  for (const std::string& part : parts) text += (text.empty() ? "" : ", ") + part;
  return text;
}

}  // namespace

CLI::App* add_grad_command(CLI::App& app, GradOptions& options) {
  CLI::App* grad = app.add_subcommand(
      "grad", "The backward pass of one conv_transpose2d or conv2d: write grad_input, grad_weight and grad_bias");
  grad->add_option("--op", options.op, "The forward op: conv_transpose2d or conv2d")
      ->check(CLI::IsMember({kConvTranspose2d, kConv2d}))
      ->capture_default_str();
  add_layer_options(*grad, options.layer);
  grad->get_option("--weight")
      ->description("Weight W.npy or MODEL.safetensors:NAME, or KIND:dims (as in run): [C_in, C_out/groups, kH, kW] "
                    "for conv_transpose2d, [C_out, C_in/groups, kH, kW] for conv2d");
  grad->get_option("--output-padding")->description("Output padding OP or OPH,OPW (conv_transpose2d only; default 0)");
  grad->get_option("--workspace")
      ->description("Take the input and the layer from a one-layer convt-lab workspace (conv_transpose2d only)");
  grad->add_option("--grad-output", options.grad_output,
                   "dL/dy in the forward output's shape: G.npy, FILE.safetensors:NAME, KIND:dims, or a bare random, "
                   "uniform or constant (that kind in the forward output's shape)")
      ->required();
  add_backend_option(*grad, options.backend);
  grad->add_option("--out-dir", options.out_dir,
                   "Folder for grad_input.npy, grad_weight.npy and grad_bias.npy (created when missing)")
      ->required();
  grad->add_flag("--json", options.json, "Print one JSON object instead of text");
  return grad;
}

void execute_grad(const GradOptions& options) {
  const bool conv2d = options.op == kConv2d;
  const char* op = conv2d ? kConv2d : kConvTranspose2d;
  if (conv2d && !options.layer.output_padding.empty())
    throw_invalid("--output-padding " + options.layer.output_padding +
                      ": conv2d has no output padding (it is a conv_transpose2d parameter); drop it, or use --op "
                      "conv_transpose2d",
                  "output_padding");
  if (conv2d && !options.layer.workspace.empty())
    throw_invalid("--workspace holds conv_transpose2d layers; it does not combine with --op conv2d");
  LayerOptions layer_options = options.layer;
  if (layer_options.output_padding.empty()) layer_options.output_padding = "0";

  // Parameter mistakes first, then the output folder, before any file is read.
  std::optional<Conv2dParams> conv2d_params;
  if (conv2d)
    conv2d_params = parse_conv2d_params(layer_options);
  else
    check_layer_flags(layer_options);
  check_out_dir(options.out_dir);

  // The layer, validated for its op, and the shape grad_output must have.
  Tensor input, weight;
  std::optional<Tensor> bias;
  ConvTranspose2dParams transposed_params;
  Shape output_shape;
  if (conv2d) {
    LayerTensors tensors = load_layer_tensors(layer_options, [&](const Shape& x, const Shape& w) {
      return validate_conv2d(x, w, std::nullopt, *conv2d_params).out_channels;
    });
    input = std::move(tensors.input);
    weight = std::move(tensors.weight);
    bias = std::move(tensors.bias);
    output_shape = validate_conv2d(input.shape(), weight.shape(),
                                   bias ? std::optional<Shape>(bias->shape()) : std::nullopt, *conv2d_params)
                       .output_shape();
  } else {
    Layer layer = load_layer(layer_options);
    input = std::move(layer.input);
    weight = std::move(layer.weight);
    bias = std::move(layer.bias);
    transposed_params = layer.params;
    output_shape = layer.geometry.output_shape();
  }
  const Tensor grad_output =
      load_tensor("--grad-output", grad_output_spec(options.grad_output, output_shape),
                  layer_options.seed + kGradOutputSeedOffset, TensorRole::Input);
  validate_grad_output(op, output_shape, grad_output.shape());

  // Each pass goes to the backend that takes it (both chosen before either runs), then every file is written.
  const bool with_bias = bias.has_value();
  Pass input_pass, weight_pass;
  Tensor grad_input;
  WeightGradients weight_gradients;
  if (conv2d) {
    const Conv2dParams& params = *conv2d_params;
    input_pass = choose(options.backend, OpRequest{Op::Conv2dGradInput, params});
    weight_pass = choose(options.backend, OpRequest{Op::Conv2dGradWeight, params});
    grad_input = timed(input_pass, [&](const Backend& backend) {
      return backend.conv2d_grad_input(input.shape(), weight, grad_output, params);
    });
    weight_gradients = timed(weight_pass, [&](const Backend& backend) {
      return backend.conv2d_grad_weight(input, weight.shape(), grad_output, with_bias, params);
    });
  } else {
    const ConvTranspose2dParams& params = transposed_params;
    input_pass = choose(options.backend, OpRequest{Op::ConvTranspose2dGradInput, params});
    weight_pass = choose(options.backend, OpRequest{Op::ConvTranspose2dGradWeight, params});
    grad_input = timed(input_pass, [&](const Backend& backend) {
      return backend.conv_transpose2d_grad_input(input.shape(), weight, grad_output, params);
    });
    weight_gradients = timed(weight_pass, [&](const Backend& backend) {
      return backend.conv_transpose2d_grad_weight(input, weight.shape(), grad_output, with_bias, params);
    });
  }
  const Tensor& grad_weight = weight_gradients.grad_weight;
  if (with_bias && !weight_gradients.grad_bias)
    throw std::logic_error(weight_pass.backend->name() + " returned no grad_bias");
  const Tensor* grad_bias = with_bias ? &*weight_gradients.grad_bias : nullptr;

  const std::string input_path = (fs::path(options.out_dir) / "grad_input.npy").string();
  const std::string weight_path = (fs::path(options.out_dir) / "grad_weight.npy").string();
  const std::string bias_path = (fs::path(options.out_dir) / "grad_bias.npy").string();
  std::vector<OutFile> files{{input_path, &grad_input}, {weight_path, &grad_weight}};
  if (grad_bias) files.push_back({bias_path, grad_bias});
  write_all_or_nothing(options.out_dir, files);

  const NonFiniteCount input_nonfinite = count_nonfinite(grad_input);
  const NonFiniteCount weight_nonfinite = count_nonfinite(grad_weight);
  const NonFiniteCount bias_nonfinite = grad_bias ? count_nonfinite(*grad_bias) : NonFiniteCount{};
  warn_nonfinite("grad_input", input_nonfinite);
  warn_nonfinite("grad_weight", weight_nonfinite);
  warn_nonfinite("grad_bias", bias_nonfinite);

  if (options.json) {
    const nlohmann::json null = nullptr;
    nlohmann::json report = {
        {"command", "grad"},
        {"op", op},
        {"input_shape", input.shape()},
        {"weight_shape", weight.shape()},
        {"bias_shape", bias ? nlohmann::json(bias->shape()) : null},
        {"grad_output_shape", grad_output.shape()},
        {"params", conv2d ? params_json(*conv2d_params) : params_json(transposed_params)},
        {"grad_input_shape", grad_input.shape()},
        {"grad_weight_shape", grad_weight.shape()},
        {"grad_bias_shape", grad_bias ? nlohmann::json(grad_bias->shape()) : null},
        {"backends", {{"grad_input", input_pass.backend->name()}, {"grad_weight", weight_pass.backend->name()}}},
        {"fallbacks", {{"grad_input", input_pass.declined}, {"grad_weight", weight_pass.declined}}},
        {"time_ms", {{"grad_input", input_pass.ms}, {"grad_weight", weight_pass.ms}}},
        {"files",
         {{"grad_input", input_path},
          {"grad_weight", weight_path},
          {"grad_bias", with_bias ? nlohmann::json(bias_path) : null}}},
        {"nonfinite",
         {{"grad_input", nonfinite_json(input_nonfinite)},
          {"grad_weight", nonfinite_json(weight_nonfinite)},
          {"grad_bias", grad_bias ? nonfinite_json(bias_nonfinite) : null}}},
    };
    std::cout << report.dump() << "\n";
    return;
  }
  std::printf("op           %s backward\n", op);
  std::printf("input        %s\n", shape_to_string(input.shape()).c_str());
  std::printf("weight       %s  %s\n", shape_to_string(weight.shape()).c_str(),
              conv2d ? "[C_out, C_in/groups, kH, kW]" : "[C_in, C_out/groups, kH, kW]");
  std::printf("bias         %s\n", bias ? shape_to_string(bias->shape()).c_str() : "none");
  std::printf("grad_output  %s  (the forward output's shape)\n", shape_to_string(grad_output.shape()).c_str());
  std::printf("grad_input   %s  %s, %.3f ms\n", shape_to_string(grad_input.shape()).c_str(),
              input_pass.backend->name().c_str(), input_pass.ms);
  std::printf("grad_weight  %s%s%s  %s, %.3f ms\n", shape_to_string(grad_weight.shape()).c_str(),
              grad_bias ? " and grad_bias " : "", grad_bias ? shape_to_string(grad_bias->shape()).c_str() : "",
              weight_pass.backend->name().c_str(), weight_pass.ms);
  for (const std::string& reason : input_pass.declined) std::printf("fallback     grad_input: %s\n", reason.c_str());
  for (const std::string& reason : weight_pass.declined) std::printf("fallback     grad_weight: %s\n", reason.c_str());
  std::vector<std::string> written{input_path, weight_path};
  if (with_bias) written.push_back(bias_path);
  std::printf("wrote        %s\n", joined(written).c_str());
}

}  // namespace convt::cli
