// `convt size`, `analyze` and `explain` end to end: the numbers they print agree with the engine, and their
// errors follow the same contract as `run`.
#include "cli_sandbox.h"

#include <convt/analysis.h>
#include <convt/io.h>

namespace convt {
namespace {

using namespace cli_testing;

TEST(CliSize, PrintsTheFormulaAndSolvesForAWantedSize) {
  CliSandbox box;
  const CliResult text = box.run("size --input-size 8 --kernel 4 --stride 2 --padding 1 --want 16,17");
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_TRUE(contains(text.out, "(8-1)*2 - 2*1 + 1*(4-1) + 0 + 1 = 16")) << text.out;
  EXPECT_TRUE(contains(text.out, "input sizes 16 (op 0), 17 (op 1) to 8")) << text.out;

  const nlohmann::json report = parse_json_line(box.run("size --input-size 8 --kernel 4 --stride 2 --padding 1 --want 16,17 --json"));
  EXPECT_EQ(report.at("output"), nlohmann::json({16, 16}));
  const nlohmann::json& width = report.at("axes")[1];
  ASSERT_EQ(width.at("solutions").size(), 1u);
  EXPECT_EQ(width.at("solutions")[0].at("padding"), 1);
  EXPECT_EQ(width.at("solutions")[0].at("output_padding"), 1);
}

TEST(CliSize, InvalidParametersExit2) {
  CliSandbox box;
  expect_error(box.run("size --input-size 8 --kernel 4 --stride 2 --output-padding 2"), 2,
               {"output padding must be smaller than either stride or dilation"});
  expect_error(box.run("size --input-size 1 --kernel 1 --padding 3"), 2, {"too small"});
  expect_error(box.run("size --kernel 3"), 2, {"--input-size"});
}

TEST(CliAnalyze, VerdictAndScoreForTheCheckerboardDemo) {
  CliSandbox box;
  const nlohmann::json report = parse_json_line(
      box.run("analyze --input constant:1,1,8,8 --weight constant:1,1,3,3 --stride 2 --out y.npy --json"));
  EXPECT_EQ(report.at("verdict"), "Uneven overlap");
  EXPECT_DOUBLE_EQ(report.at("max_min_ratio").get<double>(), 4.0);
  EXPECT_EQ(report.at("suggested_kernel"), nlohmann::json({4, 4}));
  EXPECT_GT(report.at("artifact_score").at("score").get<double>(), 0.5);
  EXPECT_EQ(report.at("coverage").at("height").at("taps_by_phase"), nlohmann::json({2, 1}));
  // The map printed is the engine's, and --out wrote the output that was analysed.
  const Tensor y = read_npy(box.file("y.npy"));
  EXPECT_EQ(y.shape(), (Shape{1, 1, 17, 17}));
  EXPECT_EQ(report.at("coverage_map").at("counts").size(), 17u * 17u);
}

TEST(CliAnalyze, EvenGeometryAndHoles) {
  CliSandbox box;
  const nlohmann::json even = parse_json_line(
      box.run("analyze --input constant:1,1,8,8 --weight constant:1,1,4,4 --stride 2 --padding 1 --json"));
  EXPECT_EQ(even.at("verdict"), "Even");
  EXPECT_LT(even.at("artifact_score").at("score").get<double>(), 0.02);
  const nlohmann::json holes = parse_json_line(
      box.run("analyze --input random:1,2,6,6 --weight random:2,2,2,2 --stride 2 --dilation 2 --json"));
  EXPECT_EQ(holes.at("verdict"), "Holes");
  EXPECT_TRUE(holes.at("max_min_ratio").is_null());
  EXPECT_EQ(holes.at("suggested_dilation"), nlohmann::json({1, 1}));
  const CliResult text = box.run("analyze --input constant:1,1,4,4 --weight constant:1,1,1,1 --stride 2");
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_TRUE(contains(text.out, "smaller than stride 2")) << text.out;
}

TEST(CliAnalyze, ErrorsFollowTheContract) {
  CliSandbox box;
  expect_error(box.run("analyze --input random:1,3,4,4 --weight random:2,1,3,3"), 2, {"channels"});
  expect_error(box.run("analyze --input missing.npy --weight random:2,1,3,3"), 3, {"missing.npy"});
  expect_error(box.run("analyze --input random:1,2,4,4 --weight bogus:2,1,3,3"), 2, {"unknown kind 'bogus'"});
}

TEST(CliExplain, WritesEveryStepAndTheyReproduceTheOutput) {
  CliSandbox box;
  const nlohmann::json report = parse_json_line(box.run(
      "explain --input random:2,4,5,6 --weight random:4,3,3,2 --groups 2 --stride 2,3 --padding 1,0 "
      "--output-padding 1,2 --dilation 1,1 --batch-index 1 --in-channel 3 --out-dir steps --json"));
  EXPECT_EQ(report.at("out_channel"), 3);  // the first output channel of input channel 3's group
  EXPECT_LT(report.at("max_abs_difference").get<double>(), 1e-5);
  for (const std::string name : {"01_input", "02_zero_inserted", "03_padded", "04_kernel", "05_flipped_kernel",
                                 "06_stride1_convolution", "07_conv_transpose2d"}) {
    EXPECT_TRUE(fs::exists(box.work() / "steps" / (name + ".npy"))) << name;
    const std::string png = slurp(box.work() / "steps" / (name + ".png"));
    EXPECT_EQ(png.substr(1, 3), "PNG") << name;
  }
  EXPECT_TRUE(fs::exists(box.work() / "steps" / "08_scatter_replay.png"));
  EXPECT_TRUE(fs::exists(box.work() / "steps" / "summary.json"));
  const Tensor zero_inserted = read_npy((box.work() / "steps" / "02_zero_inserted.npy").string());
  EXPECT_EQ(zero_inserted.shape(), (Shape{1, 1, 9, 16}));
  const Tensor convolved = read_npy((box.work() / "steps" / "06_stride1_convolution.npy").string());
  const Tensor direct = read_npy((box.work() / "steps" / "07_conv_transpose2d.npy").string());
  ASSERT_EQ(convolved.shape(), direct.shape());
  for (int64_t i = 0; i < direct.numel(); ++i) EXPECT_NEAR(convolved[i], direct[i], 1e-5);
}

TEST(CliExplain, ChannelsOutsideTheGroupAreRefused) {
  CliSandbox box;
  expect_error(box.run("explain --input random:1,4,5,5 --weight random:4,1,3,3 --groups 2 --in-channel 0 "
                       "--out-channel 1 --out-dir steps"),
               2, {"does not feed output channel 1"});
  EXPECT_FALSE(fs::exists(box.work() / "steps"));
}

TEST(CliRun, ReportsNonFiniteOutputsAndThePyTorchCall) {
  CliSandbox box;
  Tensor x = Tensor::ones({1, 1, 3, 3});
  x[4] = NAN;
  write_npy(box.file("x.npy"), x);
  const CliResult r = box.run("run --input x.npy --weight constant:1,1,3,3 --stride 2 --padding 1 --output-padding 1,0 "
                              "--out y.npy --png y.png --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "warning: the output has 9 NaN")) << r.err;
  const nlohmann::json report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report.at("nonfinite").at("nan"), 9);
  EXPECT_EQ(slurp(box.work() / "y.png").substr(1, 3), "PNG");  // NaN drawn magenta, not a crash
  EXPECT_EQ(report.at("pytorch").get<std::string>(),
            "y = torch.nn.functional.conv_transpose2d(x, weight, None, stride=2, padding=1, output_padding=(1, 0), "
            "groups=1, dilation=1)  # x: [1, 1, 3, 3], weight: [1, 1, 3, 3] -> y: [1, 1, 6, 5]");
}

}  // namespace
}  // namespace convt
