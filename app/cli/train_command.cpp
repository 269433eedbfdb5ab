#include "train_command.h"

#include "cli_options.h"
#include "layer_options.h"

#include <convt/backend.h>
#include <convt/error.h>
#include <convt/image.h>
#include <convt/io.h>
#include <convt/train.h>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace convt::cli {
namespace {

// Adam's lr is the experiment's (PyTorch's own default, 0.001, barely moves a layer in 100 steps); SGD's
// momentum is PyTorch's default, 0, so a plain --optimizer sgd is torch.optim.SGD(params, lr).
constexpr double kAdamDefaultLr = 0.01, kSgdDefaultLr = 0.1, kSgdDefaultMomentum = 0.0;

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() > suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Crop parse_crop(const std::string& text) {
  Crop crop;
  if (text.empty()) return crop;
  std::vector<int64_t> values;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    size_t used = 0;
    long long value = -1;
    try {
      value = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || item.empty() || value < 0)
      throw_invalid("--crop '" + text + "' is invalid: expected Y,X,H,W as four integers (0 or more)", "crop");
    values.push_back(value);
  }
  if (values.size() != 4) throw_invalid("--crop '" + text + "' is invalid: expected Y,X,H,W as four integers", "crop");
  if (values[2] == 0 || values[3] == 0) throw_invalid("--crop '" + text + "' is invalid: H and W must be positive", "crop");
  return Crop{values[0], values[1], values[2], values[3]};
}

TrainConfig parse_config(const TrainOptions& options) {
  TrainConfig config;
  config.model.kind = parse_upsampler_kind(options.model);
  config.model.factor = options.factor;
  config.model.channels = parse_train_color(options.color) == TrainColor::Grey ? 1 : 3;
  config.model.kernel = options.kernel;
  config.model.hidden = options.hidden;
  if (!options.resize.empty()) {
    if (config.model.kind != UpsamplerKind::ResizeConv)
      throw_invalid("--resize " + options.resize + " applies to --model resize-conv only", "resize");
    if (options.resize != "nearest" && options.resize != "bilinear")
      throw_invalid("--resize '" + options.resize + "' is invalid: expected nearest or bilinear", "resize");
    config.model.resize = options.resize == "nearest" ? InterpolateMode::Nearest : InterpolateMode::Bilinear;
  }
  validate(config.model);
  if (options.seed < 0) throw_invalid("--seed " + std::to_string(options.seed) + " is invalid: it must be 0 or more", "seed");
  config.init = parse_init(options.init, static_cast<uint64_t>(options.seed));
  config.loss = parse_loss(options.loss);
  config.optimizer.kind = parse_optimizer(options.optimizer);
  const bool sgd = config.optimizer.kind == OptimizerKind::Sgd;
  if (!sgd && options.momentum >= 0)
    throw_invalid("--momentum applies to --optimizer sgd only (Adam uses betas 0.9 and 0.999)", "momentum");
  config.optimizer.lr = options.lr != 0 ? options.lr : sgd ? kSgdDefaultLr : kAdamDefaultLr;
  config.optimizer.momentum = sgd ? (options.momentum >= 0 ? options.momentum : kSgdDefaultMomentum) : 0.0;
  validate(config.optimizer);
  config.input_gradient_score = options.grad_score;
  return config;
}

nlohmann::json record_json(const StepRecord& record) {
  nlohmann::json entry = {{"step", record.step},
                          {"loss", record.loss},
                          {"psnr", std::isfinite(record.psnr) ? nlohmann::json(record.psnr) : nlohmann::json(nullptr)},
                          {"artifact_score", record.artifact_score}};
  if (record.input_gradient_artifact_score) entry["input_gradient_artifact_score"] = *record.input_gradient_artifact_score;
  return entry;
}

// "\rstep 40/100 ..." on stderr, at most ten times a second, when stderr is a terminal.
class ProgressLine {
 public:
  ProgressLine() : enabled_(::isatty(STDERR_FILENO) == 1) {}
  void update(int64_t done, int64_t total) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (done != total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    std::fprintf(stderr, "\rtraining: step %lld/%lld (%.0f%%)", static_cast<long long>(done),
                 static_cast<long long>(total), 100.0 * static_cast<double>(done) / static_cast<double>(total));
    std::fflush(stderr);
    shown_ = true;
  }
  ~ProgressLine() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace

CLI::App* add_train_command(CLI::App& app, TrainOptions& options) {
  CLI::App* train = app.add_subcommand(
      "train", "Train one upsampling layer on an image and watch its checkerboard form or fade (the learnable-"
               "upsampling lab)");
  train->add_option("--image", options.image, "The target image (PNG or JPEG); the input is its f x f average pooling")
      ->required();
  train->add_option("--crop", options.crop, "Y,X,H,W: train on this crop (default: the whole image)");
  train->add_option("--factor", options.factor, "Upsampling factor f, 2 to 4")->capture_default_str();
  train->add_option("--color", options.color, "grey (0.299 R + 0.587 G + 0.114 B) or rgb")->capture_default_str();
  train->add_option("--model", options.model, "deconv, resize-conv or subpixel")->required();
  train->add_option("--kernel", options.kernel, "Kernel size k of the upsampling layer (odd for resize-conv and subpixel)")
      ->capture_default_str();
  train->add_option("--hidden", options.hidden, "Width of a Conv2d(C_in, C, 3, padding=1) + ReLU feature layer; 0: none")
      ->capture_default_str();
  train->add_option("--resize", options.resize, "resize-conv's interpolation: nearest (default) or bilinear");
  train->add_option("--init", options.init, "kaiming (PyTorch's default), icnr (subpixel), bilinear (deconv, k = 2f - f mod 2) "
                                            "or FILE.safetensors")
      ->capture_default_str();
  train->add_option("--seed", options.seed, "Seed of the random initialisation")->capture_default_str();
  train->add_option("--loss", options.loss, "mse or l1 (means)")->capture_default_str();
  train->add_option("--optimizer", options.optimizer, "adam (betas 0.9, 0.999, eps 1e-8) or sgd")->capture_default_str();
  train->add_option("--lr", options.lr, "Learning rate (default: 0.01 for adam, 0.1 for sgd)");
  train->add_option("--momentum", options.momentum, "SGD's momentum (default 0, as torch.optim.SGD)");
  train->add_option("--steps", options.steps, "Optimiser steps (full batch)")->capture_default_str();
  train->add_option("--log-every", options.log_every, "Log every M-th step (step 0 and the last are always logged)")
      ->capture_default_str();
  train->add_flag("--grad-score", options.grad_score,
                  "Also log the artifact score of d loss / d input (the gradient checkerboard)");
  add_backend_option(*train, options.backend);
  train->add_option("--save", options.save, "Write the trained parameters to FILE.safetensors");
  train->add_option("--out", options.out, "Write the trained model's output as Y.png or Y.npy");
  train->add_flag("--json", options.json, "Print one JSON object instead of text");
  return train;
}

void execute_train(const TrainOptions& options) {
  // Every option and output path first, before the image is read or a step is taken.
  const TrainConfig config = parse_config(options);
  const Crop crop = parse_crop(options.crop);
  if (options.steps < 0 || options.steps > 10'000'000)
    throw_invalid("--steps " + std::to_string(options.steps) + " is invalid: 0 to 10000000", "steps");
  if (options.log_every < 1)
    throw_invalid("--log-every " + std::to_string(options.log_every) + " is invalid: it must be 1 or more", "log_every");
  if (!options.save.empty()) {
    if (!is_safetensors_path(options.save)) throw_invalid("--save '" + options.save + "' must end in .safetensors", "save");
    check_output_path(options.save);
  }
  if (!options.out.empty()) {
    if (!ends_with(options.out, ".png") && !ends_with(options.out, ".npy"))
      throw_invalid("--out '" + options.out + "' must end in .png or .npy", "out");
    check_output_path(options.out);
  }
  set_default_backend(options.backend);

  const Tensor image = read_image(options.image);
  Trainer trainer(make_training_data(image, crop, config.model.factor, parse_train_color(options.color)), config);
  const auto start = std::chrono::steady_clock::now();
  std::vector<StepRecord> history;
  {
    ProgressLine progress;  // erased when it goes out of scope, before anything else is printed
    history = trainer.run(options.steps, options.log_every,
                          [&](int64_t done, int64_t total) { progress.update(done, total); });
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double steps_per_second = options.steps > 0 && seconds > 0 ? static_cast<double>(options.steps) / seconds : 0.0;

  // A learning rate too large for the data sends the loss to infinity and the weights to NaN: say so, with the
  // step, rather than leave a table of huge numbers or nan and a blank image to be puzzled over.
  for (const StepRecord& record : history)
    if (diverged(record)) {
      std::fprintf(stderr, "warning: training diverged: the loss is %g at step %lld; lower --lr (now %g)\n", record.loss,
                   static_cast<long long>(record.step), config.optimizer.lr);
      break;
    }
  const Tensor output = output_of(trainer.model(), trainer.data().input);
  if (!options.save.empty()) save_parameters(options.save, trainer.model());
  if (!options.out.empty()) {
    if (ends_with(options.out, ".npy")) write_npy(options.out, output);
    else write_png(options.out, image_from_tensor(output));
  }

  const UpsamplerSpec& spec = config.model;
  const Shape& target_shape = trainer.data().target.shape();
  if (options.json) {
    nlohmann::json parameters = nlohmann::json::object();
    for (const auto& p : trainer.model().parameters) parameters[p.name] = p.value.shape();
    nlohmann::json report = {
        {"command", "train"},
        {"image", options.image},
        {"crop", options.crop.empty() ? nlohmann::json(nullptr) : nlohmann::json({crop.y, crop.x, crop.height, crop.width})},
        {"factor", spec.factor},
        {"color", options.color == "gray" ? "grey" : options.color},
        {"model", to_string(spec.kind)},
        {"kernel", spec.kernel},
        {"hidden", spec.hidden},
        {"resize", spec.kind == UpsamplerKind::ResizeConv ? (spec.resize == InterpolateMode::Nearest ? "nearest" : "bilinear") : nlohmann::json(nullptr)},
        {"init", to_string(config.init)},
        {"seed", options.seed},
        {"loss", to_string(config.loss)},
        {"optimizer", to_string(config.optimizer.kind)},
        {"lr", config.optimizer.lr},
        {"momentum", config.optimizer.kind == OptimizerKind::Sgd ? nlohmann::json(config.optimizer.momentum) : nlohmann::json(nullptr)},
        {"steps", options.steps},
        {"log_every", options.log_every},
        {"input_shape", trainer.data().input.shape()},
        {"output_shape", output.shape()},
        {"target_shape", target_shape},
        {"parameters", parameters},
        {"pytorch", pytorch_module(spec)},
        {"backend", default_backend()},
        {"time_s", seconds},
        {"steps_per_second", steps_per_second},
        {"history", nlohmann::json::array()},
        {"files", {{"save", options.save.empty() ? nlohmann::json(nullptr) : nlohmann::json(options.save)},
                   {"out", options.out.empty() ? nlohmann::json(nullptr) : nlohmann::json(options.out)}}},
    };
    for (const StepRecord& record : history) report["history"].push_back(record_json(record));
    std::cout << report.dump() << "\n";
    return;
  }

  std::printf("model        %s, k %lld, factor %lld, hidden %lld, init %s\n", to_string(spec.kind),
              static_cast<long long>(spec.kernel), static_cast<long long>(spec.factor), static_cast<long long>(spec.hidden),
              to_string(config.init).c_str());
  std::printf("data         input %s -> output %s (target %s)\n", shape_to_string(trainer.data().input.shape()).c_str(),
              shape_to_string(output.shape()).c_str(), shape_to_string(target_shape).c_str());
  std::printf("optimizer    %s, lr %g%s, loss %s\n", to_string(config.optimizer.kind), config.optimizer.lr,
              config.optimizer.kind == OptimizerKind::Sgd ? (", momentum " + std::to_string(config.optimizer.momentum)).c_str() : "",
              to_string(config.loss));
  std::printf("\n%8s  %12s  %9s  %14s%s\n", "step", "loss", "PSNR (dB)", "artifact score",
              options.grad_score ? "  gradient artifact score" : "");
  for (const StepRecord& record : history) {
    std::printf("%8lld  %12.6g  %9.2f  %14.4f", static_cast<long long>(record.step), record.loss, record.psnr,
                record.artifact_score);
    if (record.input_gradient_artifact_score) std::printf("  %24.4f", *record.input_gradient_artifact_score);
    std::printf("\n");
  }
  std::printf("\n%lld steps in %.2f s (%.1f steps/s)\n", static_cast<long long>(options.steps), seconds, steps_per_second);
  if (!options.save.empty()) std::printf("wrote        %s\n", options.save.c_str());
  if (!options.out.empty()) std::printf("wrote        %s\n", options.out.c_str());
}

}  // namespace convt::cli
