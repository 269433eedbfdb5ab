// `convt train` end to end: the JSON history and its logged steps, --save and --out, a saved model training on
// from where it stopped, and the one-line errors (exit 2) the issue lists, each before anything is written.
#include <convt/image.h>
#include <convt/io.h>
#include <convt/patterns.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

#include "cli_sandbox.h"

namespace convt {
namespace {

using namespace cli_testing;

// A 48x40 photo-like image in the sandbox.
void write_scene(const CliSandbox& box) {
  write_png(box.file("scene.png"), image_from_tensor(make_pattern(Pattern::Scene, 3, 48, 40)));
}

TEST(CliTrain, JsonHistoryLogsStepZeroEveryMthAndTheLast) {
  CliSandbox box;
  write_scene(box);
  const CliResult r = box.run(
      "train --image scene.png --crop 4,2,24,32 --model deconv --kernel 4 --hidden 4 --steps 7 --log-every 3 "
      "--grad-score --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report["input_shape"], (std::vector<int64_t>{1, 1, 12, 16}));
  EXPECT_EQ(report["output_shape"], (std::vector<int64_t>{1, 1, 24, 32}));
  EXPECT_EQ(report["parameters"]["up.weight"], (std::vector<int64_t>{4, 1, 4, 4}));
  std::vector<int64_t> steps;
  for (const auto& entry : report["history"]) {
    steps.push_back(entry["step"]);
    EXPECT_TRUE(entry.contains("loss") && entry.contains("psnr") && entry.contains("artifact_score"));
    EXPECT_TRUE(entry.contains("input_gradient_artifact_score"));
  }
  EXPECT_EQ(steps, (std::vector<int64_t>{0, 3, 6, 7}));
  EXPECT_LT(report["history"].back()["loss"].get<double>(), report["history"].front()["loss"].get<double>());
  EXPECT_EQ(box.work_entries(), (std::vector<std::string>{"scene.png"}));  // nothing written without --save/--out
}

TEST(CliTrain, SavedParametersTrainOnWhereTheyStopped) {
  CliSandbox box;
  write_scene(box);
  const std::string common = "train --image scene.png --crop 0,0,48,40 --model subpixel --color rgb --json ";
  const CliResult first = box.run(common + "--steps 4 --save trained.safetensors --out y.npy");
  ASSERT_EQ(first.code, 0) << first.err;
  const CliResult again = box.run(common + "--init trained.safetensors --steps 0 --out y.png");
  ASSERT_EQ(again.code, 0) << again.err;
  const double final_loss = nlohmann::json::parse(first.out)["history"].back()["loss"];
  const double reloaded_loss = nlohmann::json::parse(again.out)["history"].front()["loss"];
  EXPECT_DOUBLE_EQ(reloaded_loss, final_loss);
  EXPECT_EQ(read_npy(box.file("y.npy")).shape(), (Shape{1, 3, 48, 40}));
  EXPECT_EQ(read_image(box.file("y.png")).shape(), (Shape{1, 3, 48, 40}));
  const auto names = list_safetensors(box.file("trained.safetensors"));
  ASSERT_EQ(names.size(), 2u);
}

TEST(CliTrain, MistakesAreOneLineErrorsWithExitTwo) {
  CliSandbox box;
  write_scene(box);
  const std::string train = "train --image scene.png ";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--crop 30,0,24,24 --model deconv", "crop 30,0,24,24 (y, x, height, width) leaves the 48x40 image"},
      {"--crop 0,0,24,21 --model deconv", "the crop width 21 is not a positive multiple of the factor 2"},
      {"--factor 3 --model deconv", "the image width 40 is not a positive multiple of the factor 3"},
      {"--model subpixel --kernel 4", "kernel 4 is invalid for subpixel: it must be odd"},
      {"--model resize-conv --kernel 2", "kernel 2 is invalid for resize-conv: it must be odd"},
      {"--model deconv --factor 1", "factor 1 is invalid: the upsampling factor must be 2 to 4"},
      {"--model deconv --init icnr", "init icnr does not fit model deconv"},
      {"--model subpixel --init bilinear", "init bilinear does not fit model subpixel"},
      {"--model deconv --kernel 3 --init bilinear", "FCN's bilinear kernel for factor 2 has k = 2f - f mod 2 = 4"},
      {"--model deconv --init missing.safetensors", "missing.safetensors"},
      {"--model deconv --resize bilinear", "--resize bilinear applies to --model resize-conv only"},
      {"--model deconv --momentum 0.5", "--momentum applies to --optimizer sgd only"},
      {"--model deconv --lr -1", "lr -1"},
      {"--model deconv --out y.jpg", "--out 'y.jpg' must end in .png or .npy"},
      {"--model deconv --save model.npy", "--save 'model.npy' must end in .safetensors"},
      {"--model upsample", "unknown model 'upsample': expected deconv, resize-conv or subpixel"},
  };
  for (const auto& [args, expected] : cases) {
    const bool has_out = args.find("--out") != std::string::npos;
    const CliResult r = box.run(train + args + (has_out ? "" : " --out y.npy"));
    EXPECT_NE(r.code, 0) << args;
    EXPECT_NE(r.err.find(expected), std::string::npos) << args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    if (args.find("missing") == std::string::npos) {
      EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    }
    EXPECT_EQ(box.work_entries(), (std::vector<std::string>{"scene.png"})) << args;
  }
}

TEST(CliTrain, ADivergingRunSaysSo) {
  CliSandbox box;
  write_scene(box);
  const CliResult r = box.run("train --image scene.png --crop 0,0,16,16 --model deconv --optimizer sgd --lr 1e5 --steps 8");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("warning: training diverged: the loss is"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("lower --lr (now 100000)"), std::string::npos) << r.err;
}

TEST(CliTrain, SizesOverTheMemoryBudgetAreRefusedUpFront) {
  CliSandbox box;
  write_scene(box);
  const CliResult r = box.run("train --image scene.png --model deconv --hidden 256 --out y.npy", "CONVT_MEMORY_BUDGET=2M");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("bytes, over the memory budget"), std::string::npos) << r.err;
  EXPECT_EQ(box.work_entries(), (std::vector<std::string>{"scene.png"}));
}

}  // namespace
}  // namespace convt
