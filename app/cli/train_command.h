// `convt train`: the learnable-upsampling lab, headless. Trains one upsampling model (deconv, resize-conv or
// subpixel, with an optional feature layer) full-batch on an image and its average-pooled copy, logging the loss,
// the PSNR and the checkerboard score as it goes; saves the parameters and the output on request.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace convt::cli {

struct TrainOptions {
  std::string image;
  std::string crop;  // "Y,X,H,W"; empty: the whole image
  int64_t factor = 2;
  std::string color = "grey";
  std::string model;
  int64_t kernel = 3;
  int64_t hidden = 0;
  std::string resize;  // nearest (default) or bilinear; resize-conv only
  std::string init = "kaiming";
  int64_t seed = 0;
  std::string loss = "mse";
  std::string optimizer = "adam";
  double lr = 0;        // 0: the optimiser's default (Adam 0.01, SGD 0.1)
  double momentum = -1;  // < 0: not given (SGD: 0, PyTorch's default)
  int64_t steps = 100;
  int64_t log_every = 10;
  bool grad_score = false;
  std::string backend = "auto";
  std::string save;
  std::string out;
  bool json = false;
};

CLI::App* add_train_command(CLI::App& app, TrainOptions& options);

// Checks every option and output path, loads the image, trains, writes --save and --out, and prints the history;
// errors are thrown as convt::Error for main() to report.
void execute_train(const TrainOptions& options);

}  // namespace convt::cli
