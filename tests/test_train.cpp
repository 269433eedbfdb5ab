// The learnable-upsampling trainer: model shapes, the hand-written backward against finite differences, the
// optimisers against their closed forms, determinism, the initialisations' promises (ICNR has no phase artifact,
// FCN's bilinear kernel is bilinear upsampling, Kaiming stays in its bound), the --save round trip and the errors.
// Trajectories against PyTorch are in test_train_golden.cpp.
#include <convt/error.h>
#include <convt/io.h>
#include <convt/ops.h>
#include <convt/patterns.h>
#include <convt/shape.h>
#include <convt/train.h>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace convt {
namespace {

UpsamplerSpec spec_of(UpsamplerKind kind, int64_t factor, int64_t kernel, int64_t hidden, int64_t channels = 1) {
  UpsamplerSpec spec;
  spec.kind = kind;
  spec.factor = factor;
  spec.kernel = kernel;
  spec.hidden = hidden;
  spec.channels = channels;
  return spec;
}

// A smooth, photo-like target (the scene pattern) of the given size.
TrainingData scene_data(int64_t size, int64_t factor, TrainColor color = TrainColor::Grey) {
  const Tensor image = make_pattern(Pattern::Scene, 3, 256, 256);
  return make_training_data(image, Crop{96, 64, size, size}, factor, color);
}

std::string message_of(const std::function<void()>& run) {
  try {
    run();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

double loss_at(const UpsamplerModel& model, const Tensor& input, const Tensor& target, LossKind loss) {
  const Tensor y = output_of(model, input);
  return loss == LossKind::Mse ? mse_loss(y, target) : l1_loss(y, target);
}

TEST(TrainModel, EveryModelUpsamplesByExactlyTheFactor) {
  for (const UpsamplerKind kind : {UpsamplerKind::Deconv, UpsamplerKind::ResizeConv, UpsamplerKind::Subpixel})
    for (int64_t f = 2; f <= 4; ++f)
      for (int64_t k = 1; k <= 9; ++k) {
        if (kind != UpsamplerKind::Deconv && k % 2 == 0) continue;
        const UpsamplerSpec spec = spec_of(kind, f, k, k % 3 == 0 ? 2 : 0);
        const UpsamplerModel model = init_model(spec, InitSpec{});
        const Tensor x = Tensor::uniform({1, 1, 5, 3}, 7);
        EXPECT_EQ(output_of(model, x).shape(), (Shape{1, 1, 5 * f, 3 * f})) << to_string(kind) << " f" << f << " k" << k;
        EXPECT_EQ(model_output_shape(spec, x.shape()), (Shape{1, 1, 5 * f, 3 * f}));
      }
}

TEST(TrainModel, DeconvPaddingFollowsTheRule) {
  // p = max(0, ceil((k - f) / 2)), op = f + 2p - k.
  EXPECT_EQ(deconv_params(3, 2).padding, IntPair(1));
  EXPECT_EQ(deconv_params(3, 2).output_padding, IntPair(1));
  EXPECT_EQ(deconv_params(4, 2).padding, IntPair(1));
  EXPECT_EQ(deconv_params(4, 2).output_padding, IntPair(0));
  EXPECT_EQ(deconv_params(1, 3).padding, IntPair(0));
  EXPECT_EQ(deconv_params(1, 3).output_padding, IntPair(2));
  EXPECT_EQ(deconv_params(8, 3).padding, IntPair(3));
  EXPECT_EQ(deconv_params(8, 3).output_padding, IntPair(1));
}

TEST(TrainModel, PyTorchModuleNamesTheLayers) {
  const std::string deconv = pytorch_module(spec_of(UpsamplerKind::Deconv, 2, 3, 16));
  EXPECT_NE(deconv.find("self.features = nn.Conv2d(1, 16, 3, padding=1)"), std::string::npos) << deconv;
  EXPECT_NE(deconv.find("nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1)"), std::string::npos) << deconv;
  const std::string subpixel = pytorch_module(spec_of(UpsamplerKind::Subpixel, 3, 5, 0, 3));
  EXPECT_NE(subpixel.find("nn.Conv2d(3, 3 * 3 * 3, 5, padding=2)"), std::string::npos) << subpixel;
  EXPECT_NE(subpixel.find("F.pixel_shuffle(self.up(x), 3)"), std::string::npos) << subpixel;
}

// The backward pass against central differences of the loss, along random directions in parameter and input
// space. The loss is accumulated in double from float32 outputs, so with h = 1e-3 the difference quotient is good
// to about 1e-3 relative (a smaller h would see float rounding, a larger one the ReLU's kinks; L1 has a kink at every target, so it
// takes 1e-4); a wrong
// term (a missing bias gradient, a transposed kernel) is off by order one.
TEST(TrainModel, GradientsMatchFiniteDifferences) {
  for (const UpsamplerKind kind : {UpsamplerKind::Deconv, UpsamplerKind::ResizeConv, UpsamplerKind::Subpixel})
    for (const int64_t hidden : {0, 3})
      for (const LossKind loss : {LossKind::Mse, LossKind::L1}) {
        UpsamplerSpec spec = spec_of(kind, kind == UpsamplerKind::Subpixel ? 3 : 2, 3, hidden, 3);
        if (kind == UpsamplerKind::ResizeConv && hidden) spec.resize = InterpolateMode::Bilinear;
        UpsamplerModel model = init_model(spec, InitSpec{InitKind::Kaiming, "", 11});
        const Tensor x = Tensor::uniform({1, 3, 5, 4}, 3);
        const Tensor target = Tensor::uniform(model_output_shape(spec, x.shape()), 4);
        const ForwardPass pass = forward(model, x);
        const Tensor grad_y = loss == LossKind::Mse ? mse_loss_backward(pass.output, target) : l1_loss_backward(pass.output, target);
        const ModelGradients g = backward(model, x, pass, grad_y, true);
        const std::string label = std::string(to_string(kind)) + " hidden " + std::to_string(hidden) + (loss == LossKind::Mse ? " mse" : " l1");

        const double h = loss == LossKind::Mse ? 1e-3 : 1e-4;
        double analytic = 0;
        std::vector<Tensor> directions;
        for (size_t i = 0; i < model.parameters.size(); ++i) {
          directions.push_back(Tensor::randn(model.parameters[i].value.shape(), 100 + i));
          for (int64_t j = 0; j < directions[i].numel(); ++j) analytic += directions[i][j] * g.parameters[i][j];
        }
        auto shifted = [&](double step) {
          UpsamplerModel moved = model;
          for (size_t i = 0; i < moved.parameters.size(); ++i)
            for (int64_t j = 0; j < directions[i].numel(); ++j)
              moved.parameters[i].value[j] += static_cast<float>(step * directions[i][j]);
          return loss_at(moved, x, target, loss);
        };
        const double numeric = (shifted(h) - shifted(-h)) / (2 * h);
        EXPECT_NEAR(analytic, numeric, 5e-3 * std::fabs(numeric) + 1e-4) << label << ": parameters";

        const Tensor dx = Tensor::randn(x.shape(), 200);
        double analytic_x = 0;
        for (int64_t j = 0; j < x.numel(); ++j) analytic_x += dx[j] * g.input[j];
        auto moved_input = [&](double step) {
          Tensor moved = x;
          for (int64_t j = 0; j < x.numel(); ++j) moved[j] += static_cast<float>(step * dx[j]);
          return loss_at(model, moved, target, loss);
        };
        const double numeric_x = (moved_input(h) - moved_input(-h)) / (2 * h);
        EXPECT_NEAR(analytic_x, numeric_x, 5e-3 * std::fabs(numeric_x) + 1e-4) << label << ": input";
      }
}

TEST(TrainOptimizer, AdamFirstStepsFollowTheClosedForm) {
  // Adam's first step moves every parameter by lr * g / (|g| + eps') against its gradient's sign; the second by
  // lr * m2_hat / (sqrt(v2_hat) + eps), with the bias-corrected moments.
  std::vector<NamedTensor> params{{"p", Tensor::from_data({3}, {1.0f, -2.0f, 0.5f})}};
  const std::vector<Tensor> g1{Tensor::from_data({3}, {0.3f, -0.01f, 4.0f})};
  const std::vector<Tensor> g2{Tensor::from_data({3}, {-0.2f, 0.02f, 1.0f})};
  OptimizerSpec spec;
  spec.lr = 0.05;
  Optimizer adam(spec);
  adam.step(params, g1);
  adam.step(params, g2);
  for (int j = 0; j < 3; ++j) {
    double p = j == 0 ? 1.0 : j == 1 ? -2.0 : 0.5;
    double m = 0, v = 0;
    for (int t = 1; t <= 2; ++t) {
      const double g = (t == 1 ? g1 : g2)[0][j];
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      p -= 0.05 * (m / (1 - std::pow(0.9, t))) / (std::sqrt(v / (1 - std::pow(0.999, t))) + 1e-8);
    }
    EXPECT_NEAR(params[0].value[j], p, 1e-6) << j;
  }
}

TEST(TrainOptimizer, SgdMomentumBufferStartsAsTheGradient) {
  std::vector<NamedTensor> params{{"p", Tensor::from_data({2}, {1.0f, 2.0f})}};
  OptimizerSpec spec;
  spec.kind = OptimizerKind::Sgd;
  spec.lr = 0.1;
  spec.momentum = 0.9;
  Optimizer sgd(spec);
  sgd.step(params, {Tensor::from_data({2}, {1.0f, -1.0f})});
  sgd.step(params, {Tensor::from_data({2}, {0.5f, 0.0f})});
  // p2 = p0 - lr * g1 - lr * (0.9 * g1 + g2)
  EXPECT_NEAR(params[0].value[0], 1.0 - 0.1 * 1.0 - 0.1 * (0.9 * 1.0 + 0.5), 1e-6);
  EXPECT_NEAR(params[0].value[1], 2.0 + 0.1 - 0.1 * (-0.9), 1e-6);
}

TEST(TrainOptimizer, RefusesBadHyperparameters) {
  OptimizerSpec spec;
  spec.lr = -1;
  EXPECT_NE(message_of([&] { validate(spec); }).find("lr"), std::string::npos);
  spec = OptimizerSpec{};
  spec.momentum = 1.0;
  EXPECT_NE(message_of([&] { validate(spec); }).find("momentum"), std::string::npos);
}

TEST(Trainer, IsDeterministicPerSeed) {
  TrainConfig config;
  config.model = spec_of(UpsamplerKind::Deconv, 2, 4, 4);
  config.init.seed = 5;
  config.input_gradient_score = true;
  Trainer a(scene_data(32, 2), config), b(scene_data(32, 2), config);
  const std::vector<StepRecord> ha = a.run(6, 2), hb = b.run(6, 2);
  ASSERT_EQ(ha.size(), 4u);  // steps 0, 2, 4 and the last, 6
  EXPECT_EQ(ha.back().step, 6);
  for (size_t i = 0; i < ha.size(); ++i) {
    EXPECT_EQ(ha[i].step, hb[i].step);
    EXPECT_EQ(ha[i].loss, hb[i].loss);
    EXPECT_EQ(ha[i].artifact_score, hb[i].artifact_score);
    EXPECT_EQ(ha[i].input_gradient_artifact_score, hb[i].input_gradient_artifact_score);
  }
  for (size_t i = 0; i < a.model().parameters.size(); ++i)
    for (int64_t j = 0; j < a.model().parameters[i].value.numel(); ++j)
      ASSERT_EQ(a.model().parameters[i].value[j], b.model().parameters[i].value[j]);

  config.init.seed = 6;
  const Trainer c(scene_data(32, 2), config);
  EXPECT_NE(c.model().parameters[0].value[0], a.model().parameters[0].value[0]);
  EXPECT_LT(ha.back().loss, ha.front().loss);
}

TEST(TrainInit, KaimingStaysWithinPyTorchsBound) {
  const UpsamplerModel model = init_model(spec_of(UpsamplerKind::Deconv, 2, 4, 8), InitSpec{InitKind::Kaiming, "", 3});
  for (const auto& p : model.parameters) {
    // fan_in = weight.size(1) * k * k: features [8, 1, 3, 3] -> 9; up [8, 1, 4, 4] -> 16.
    const double bound = p.name.rfind("features", 0) == 0 ? 1.0 / 3.0 : 1.0 / 4.0;
    double largest = 0;
    for (int64_t j = 0; j < p.value.numel(); ++j) largest = std::max(largest, std::fabs(static_cast<double>(p.value[j])));
    EXPECT_LE(largest, bound + 1e-7) << p.name;
    if (p.value.numel() >= 64) {
      EXPECT_GT(largest, 0.8 * bound) << p.name;
    }
  }
}

TEST(TrainInit, IcnrStartsWithoutAPhaseArtifact) {
  for (const int64_t f : {2, 3}) {
    TrainConfig config;
    config.model = spec_of(UpsamplerKind::Subpixel, f, 3, 0);
    config.init.kind = InitKind::Icnr;
    const Trainer icnr(scene_data(48, f), config);
    EXPECT_LT(icnr.measure().artifact_score, 1e-9) << f;
    const std::vector<Tensor> phases = kernel_phases(icnr.model());
    ASSERT_EQ(phases.size(), static_cast<size_t>(f * f));
    for (const Tensor& phase : phases)
      for (int64_t j = 0; j < phase.numel(); ++j) EXPECT_EQ(phase[j], phases[0][j]);

    // The same model from PyTorch's default init does checkerboard: the test can tell the two apart.
    config.init.kind = InitKind::Kaiming;
    EXPECT_GT(Trainer(scene_data(48, f), config).measure().artifact_score, 0.05) << f;
  }
}

TEST(TrainInit, BilinearDeconvIsBilinearUpsampling) {
  for (const int64_t f : {2, 3, 4}) {
    const UpsamplerSpec spec = spec_of(UpsamplerKind::Deconv, f, 2 * f - f % 2, 0);
    const UpsamplerModel model = init_model(spec, InitSpec{InitKind::Bilinear, "", 0});
    const Tensor x = Tensor::uniform({1, 1, 6, 6}, 9);
    const Tensor y = output_of(model, x);
    InterpolateParams bilinear;
    bilinear.mode = InterpolateMode::Bilinear;
    bilinear.scale_h = bilinear.scale_w = static_cast<double>(f);
    const Tensor expected = interpolate_reference(x, bilinear);
    // Away from the border, where bilinear interpolation clamps and the transposed conv sees zeros.
    for (int64_t oy = f; oy < 6 * f - f; ++oy)
      for (int64_t ox = f; ox < 6 * f - f; ++ox)
        EXPECT_NEAR(y.at(0, 0, oy, ox), expected.at(0, 0, oy, ox), 1e-5) << "f " << f << " at " << oy << "," << ox;
  }
  EXPECT_NE(message_of([] { init_model(spec_of(UpsamplerKind::Deconv, 2, 3, 0), InitSpec{InitKind::Bilinear, "", 0}); })
                .find("k = 2f - f mod 2 = 4"),
            std::string::npos);
}

TEST(TrainInit, KernelPhasesSplitTheDeconvKernelByOutputPhase) {
  UpsamplerModel model = init_model(spec_of(UpsamplerKind::Deconv, 2, 3, 0), InitSpec{});
  Tensor& w = model.parameters[0].value;  // [1, 1, 3, 3]
  for (int64_t j = 0; j < 9; ++j) w[j] = static_cast<float>(j);
  // p = 1: even output rows take tap 1, odd rows taps 0 and 2.
  const std::vector<Tensor> phases = kernel_phases(model);
  ASSERT_EQ(phases.size(), 4u);
  EXPECT_EQ(phases[0].shape(), (Shape{1, 1}));
  EXPECT_EQ(phases[0][0], 4.0f);
  EXPECT_EQ(phases[3].shape(), (Shape{2, 2}));
  EXPECT_EQ(phases[3][0], 0.0f);
  EXPECT_EQ(phases[3][3], 8.0f);
  EXPECT_EQ(phases[1].shape(), (Shape{1, 2}));
  EXPECT_EQ(phases[1][1], 5.0f);
}

class TrainFiles : public ::testing::Test {
 protected:
  std::filesystem::path dir_ = std::filesystem::temp_directory_path() / ("convt-train-" + std::to_string(::getpid()));
  void SetUp() override { std::filesystem::create_directories(dir_); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }
};

TEST_F(TrainFiles, SavedParametersRoundTrip) {
  TrainConfig config;
  config.model = spec_of(UpsamplerKind::Subpixel, 2, 3, 4, 3);
  Trainer trainer(scene_data(16, 2, TrainColor::Rgb), config);
  trainer.run(3, 1);
  save_parameters(file("trained.safetensors"), trainer.model());
  const UpsamplerModel loaded = init_model(config.model, InitSpec{InitKind::File, file("trained.safetensors"), 0});
  ASSERT_EQ(loaded.parameters.size(), trainer.model().parameters.size());
  for (size_t i = 0; i < loaded.parameters.size(); ++i) {
    EXPECT_EQ(loaded.parameters[i].name, trainer.model().parameters[i].name);
    ASSERT_EQ(loaded.parameters[i].value.shape(), trainer.model().parameters[i].value.shape());
    for (int64_t j = 0; j < loaded.parameters[i].value.numel(); ++j)
      ASSERT_EQ(loaded.parameters[i].value[j], trainer.model().parameters[i].value[j]);
  }
  // Training on from the file continues where the saved model stopped.
  config.init = InitSpec{InitKind::File, file("trained.safetensors"), 0};
  EXPECT_DOUBLE_EQ(Trainer(scene_data(16, 2, TrainColor::Rgb), config).measure().loss, trainer.measure().loss);
}

TEST_F(TrainFiles, AnInitFileThatDoesNotFitIsRefusedByName) {
  const UpsamplerSpec with_features = spec_of(UpsamplerKind::Deconv, 2, 3, 4);
  save_parameters(file("features.safetensors"), init_model(with_features, InitSpec{}));
  const UpsamplerSpec without = spec_of(UpsamplerKind::Deconv, 2, 3, 0);
  EXPECT_NE(message_of([&] { init_model(without, InitSpec{InitKind::File, file("features.safetensors"), 0}); })
                .find("'features.weight', which this deconv model does not have (hidden is 0)"),
            std::string::npos);
  const UpsamplerSpec other_kernel = spec_of(UpsamplerKind::Deconv, 2, 5, 4);
  EXPECT_NE(message_of([&] { init_model(other_kernel, InitSpec{InitKind::File, file("features.safetensors"), 0}); })
                .find("'up.weight' has shape [4, 1, 3, 3], but this model's is [4, 1, 5, 5]"),
            std::string::npos);
  UpsamplerModel partial = init_model(without, InitSpec{});
  partial.parameters.pop_back();
  save_parameters(file("partial.safetensors"), partial);
  EXPECT_NE(message_of([&] { init_model(without, InitSpec{InitKind::File, file("partial.safetensors"), 0}); })
                .find("has no tensor 'up.bias'"),
            std::string::npos);
}

TEST(TrainErrors, NameTheRule) {
  EXPECT_NE(message_of([] { validate(spec_of(UpsamplerKind::Deconv, 1, 3, 0)); }).find("factor 1 is invalid"), std::string::npos);
  EXPECT_NE(message_of([] { validate(spec_of(UpsamplerKind::Subpixel, 2, 4, 0)); }).find("must be odd"), std::string::npos);
  EXPECT_NE(message_of([] { validate(spec_of(UpsamplerKind::ResizeConv, 2, 2, 0)); }).find("must be odd"), std::string::npos);
  EXPECT_NE(message_of([] { init_model(spec_of(UpsamplerKind::Deconv, 2, 3, 0), InitSpec{InitKind::Icnr, "", 0}); })
                .find("init icnr does not fit model deconv"),
            std::string::npos);
  const Tensor image = Tensor::uniform({1, 3, 20, 30}, 1);
  EXPECT_NE(message_of([&] { make_training_data(image, Crop{10, 0, 12, 8}, 2, TrainColor::Grey); }).find("leaves the 20x30 image"),
            std::string::npos);
  EXPECT_NE(message_of([&] { make_training_data(image, Crop{0, 0, 9, 8}, 2, TrainColor::Grey); })
                .find("the crop height 9 is not a positive multiple of the factor 2"),
            std::string::npos);
  EXPECT_NE(message_of([&] { make_training_data(image, Crop{}, 4, TrainColor::Grey); }).find("the image width 30 is not a positive multiple of the factor 4: crop the image"),
            std::string::npos);
  EXPECT_NE(message_of([] { parse_init("weights.npy", 0); }).find("expected kaiming, icnr, bilinear or a .safetensors file"),
            std::string::npos);
}

TEST(TrainErrors, SizesOverTheBudgetAreRefusedUpFront) {
  const uint64_t saved = memory_budget_bytes();
  set_memory_budget_bytes(1 << 20);
  TrainConfig config;
  config.model = spec_of(UpsamplerKind::Deconv, 2, 3, 64);
  const std::string message = message_of([&] { Trainer(scene_data(128, 2), config); });
  set_memory_budget_bytes(saved);
  EXPECT_NE(message.find("bytes, over the memory budget"), std::string::npos) << message;
}

TEST(TrainData, GreyIsLumaAndTheInputIsTheAveragePool) {
  Tensor image({1, 3, 2, 4});
  for (int64_t j = 0; j < image.numel(); ++j) image[j] = static_cast<float>(j) / 24.0f;
  const TrainingData data = make_training_data(image, Crop{}, 2, TrainColor::Grey);
  ASSERT_EQ(data.target.shape(), (Shape{1, 1, 2, 4}));
  ASSERT_EQ(data.input.shape(), (Shape{1, 1, 1, 2}));
  for (int64_t y = 0; y < 2; ++y)
    for (int64_t x = 0; x < 4; ++x)
      EXPECT_NEAR(data.target.at(0, 0, y, x),
                  0.299 * image.at(0, 0, y, x) + 0.587 * image.at(0, 1, y, x) + 0.114 * image.at(0, 2, y, x), 1e-6);
  EXPECT_NEAR(data.input[1],
              (data.target.at(0, 0, 0, 2) + data.target.at(0, 0, 0, 3) + data.target.at(0, 0, 1, 2) + data.target.at(0, 0, 1, 3)) / 4,
              1e-6);
  const TrainingData rgb = make_training_data(Tensor::uniform({1, 1, 4, 4}, 2), Crop{}, 2, TrainColor::Rgb);
  EXPECT_EQ(rgb.target.shape(), (Shape{1, 3, 4, 4}));
  EXPECT_EQ(rgb.target.at(0, 2, 3, 1), rgb.target.at(0, 0, 3, 1));
}

// The lab's lesson, on the photo-like sample: a k4 s2 transposed conv starts with a strong checkerboard that
// training removes, and a resize-then-convolve layer never has one.
TEST(Trainer, TrainingFadesTheDeconvCheckerboard) {
  TrainConfig config;
  config.model = spec_of(UpsamplerKind::Deconv, 2, 4, 8);
  config.init.seed = 1;
  Trainer deconv(scene_data(64, 2), config);
  const std::vector<StepRecord> history = deconv.run(100, 100);
  EXPECT_GT(history.front().artifact_score, 0.3);
  EXPECT_LT(history.back().artifact_score, 0.02);
  EXPECT_GT(history.back().psnr, history.front().psnr + 10);

  config.model = spec_of(UpsamplerKind::ResizeConv, 2, 3, 8);
  EXPECT_LT(Trainer(scene_data(64, 2), config).measure().artifact_score, 0.02);
}

}  // namespace
}  // namespace convt
