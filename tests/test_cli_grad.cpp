// `convt grad` and `convt bench --pass` end to end: the files equal the in-process reference backward, a bias-less
// layer gets no grad_bias.npy, and a failed run (a grad_output of the wrong shape above all) writes nothing and
// leaves the files already in --out-dir byte for byte as they were.
#include "test_util.h"

#include <convt/io.h>
#include <convt/reference.h>
#include <convt/shape.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_sandbox.h"

namespace convt {
namespace {

using namespace cli_testing;
namespace fs = std::filesystem;

// Float32 gradients against the double-accumulating reference, to scale: each element's bound is relative to the
// sum of the absolute values of its terms (the same backward on |x|, |w|, |g|).
constexpr double kRel = 1e-5;

void expect_gradients(const CliSandbox& box, const std::string& dir, const ConvGradients& expected,
                      const ConvGradients& scale) {
  EXPECT_TRUE(testing::all_close_to_scale(read_npy(box.file(dir + "/grad_input.npy")), expected.grad_input,
                                          scale.grad_input, kRel));
  EXPECT_TRUE(testing::all_close_to_scale(read_npy(box.file(dir + "/grad_weight.npy")), expected.grad_weight,
                                          scale.grad_weight, kRel));
  if (expected.grad_bias) {
    EXPECT_TRUE(testing::all_close_to_scale(read_npy(box.file(dir + "/grad_bias.npy")), *expected.grad_bias,
                                            *scale.grad_bias, kRel));
    EXPECT_EQ(box.work_entries(dir), (std::vector<std::string>{"grad_bias.npy", "grad_input.npy", "grad_weight.npy"}));
  } else {
    EXPECT_EQ(box.work_entries(dir), (std::vector<std::string>{"grad_input.npy", "grad_weight.npy"}));
  }
}

// x and w as .npy files, a bias when asked for, and grad_output of the forward output's shape.
struct Files {
  Tensor x, w, b, g;
};

Files write_files(const CliSandbox& box, const Shape& x_shape, const Shape& w_shape, int64_t out_channels,
                  const Shape& output_shape) {
  Files f{Tensor::randn(x_shape, 21), Tensor::randn(w_shape, 22), Tensor::randn({out_channels}, 23),
          Tensor::randn(output_shape, 24)};
  write_npy(box.file("X.npy"), f.x);
  write_npy(box.file("W.npy"), f.w);
  write_npy(box.file("B.npy"), f.b);
  write_npy(box.file("G.npy"), f.g);
  return f;
}

TEST(CliGrad, ConvTranspose2dMatchesReferenceBackward) {
  ConvTranspose2dParams params;
  params.stride = {2, 1};
  params.padding = {1, 0};
  params.output_padding = {1, 0};
  params.dilation = {1, 2};
  params.groups = 2;
  const std::string flags = "--stride 2,1 --padding 1,0 --output-padding 1,0 --dilation 1,2 --groups 2";
  const Shape x_shape{2, 4, 5, 4}, w_shape{4, 3, 3, 2};
  const ConvTranspose2dGeometry geometry = validate_conv_transpose2d(x_shape, w_shape, std::nullopt, params);
  for (const bool with_bias : {true, false}) {
    SCOPED_TRACE(with_bias ? "with bias" : "without bias");
    CliSandbox box;
    const Files f = write_files(box, x_shape, w_shape, geometry.out_channels, geometry.output_shape());
    const CliResult r = box.run("grad --input X.npy --weight W.npy --grad-output G.npy " + flags +
                                (with_bias ? " --bias B.npy" : " --bias none") + " --out-dir out");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_TRUE(contains(r.out, "grad_output  " + shape_to_string(geometry.output_shape()))) << r.out;
    EXPECT_TRUE(contains(r.out, "out/grad_input.npy")) << r.out;
    EXPECT_EQ(contains(r.out, "out/grad_bias.npy"), with_bias) << r.out;
    const ConvGradients expected = conv_transpose2d_backward_reference(f.x, f.w, with_bias, f.g, params);
    const ConvGradients scale = conv_transpose2d_backward_reference(testing::abs_of(f.x), testing::abs_of(f.w),
                                                                    with_bias, testing::abs_of(f.g), params);
    expect_gradients(box, "out", expected, scale);
  }
}

TEST(CliGrad, Conv2dMatchesReferenceBackward) {
  Conv2dParams params;
  params.stride = {2, 1};
  params.padding = {1, 0};
  params.dilation = {1, 2};
  params.groups = 2;
  const std::string flags = "--op conv2d --stride 2,1 --padding 1,0 --dilation 1,2 --groups 2";
  const Shape x_shape{2, 4, 7, 6}, w_shape{6, 2, 3, 2};  // [C_out, C_in/groups, kH, kW]
  const Conv2dGeometry geometry = validate_conv2d(x_shape, w_shape, std::nullopt, params);
  for (const bool with_bias : {true, false}) {
    SCOPED_TRACE(with_bias ? "with bias" : "without bias");
    CliSandbox box;
    const Files f = write_files(box, x_shape, w_shape, geometry.out_channels, geometry.output_shape());
    // Without a bias the flag is left out: the default (auto) gives none for a .npy weight.
    const CliResult r = box.run("grad --input X.npy --weight W.npy --grad-output G.npy " + flags +
                                (with_bias ? " --bias B.npy" : "") + " --out-dir out --json");
    const nlohmann::json report = parse_json_line(r);
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(report.at("op"), "conv2d");
    EXPECT_EQ(report.at("grad_output_shape").get<Shape>(), geometry.output_shape());
    EXPECT_FALSE(report.at("params").contains("output_padding"));
    EXPECT_EQ(report.at("files").at("grad_bias").is_null(), !with_bias);
    const ConvGradients expected = conv2d_backward_reference(f.x, f.w, with_bias, f.g, params);
    const ConvGradients scale = conv2d_backward_reference(testing::abs_of(f.x), testing::abs_of(f.w), with_bias,
                                                          testing::abs_of(f.g), params);
    expect_gradients(box, "out", expected, scale);
  }
}

TEST(CliGrad, JsonReportsEveryPass) {
  CliSandbox box;
  // Unbatched, a random bias, and a bare `random` grad_output (the forward output's shape).
  const nlohmann::json report = parse_json_line(box.run(
      "grad --input random:3,5,5 --weight random:3,2,3,3 --bias random --stride 2 --grad-output random "
      "--out-dir out --json"));
  EXPECT_EQ(report.at("command"), "grad");
  EXPECT_EQ(report.at("op"), "conv_transpose2d");
  EXPECT_EQ(report.at("grad_output_shape").get<Shape>(), (Shape{2, 11, 11}));
  EXPECT_EQ(report.at("grad_input_shape").get<Shape>(), (Shape{3, 5, 5}));
  EXPECT_EQ(report.at("grad_weight_shape").get<Shape>(), (Shape{3, 2, 3, 3}));
  EXPECT_EQ(report.at("grad_bias_shape").get<Shape>(), (Shape{2}));
  EXPECT_EQ(report.at("params").at("stride"), nlohmann::json::array({2, 2}));
  const std::vector<std::string> names = backend_names();
  for (const char* pass : {"grad_input", "grad_weight"}) {
    SCOPED_TRACE(pass);
    const std::string backend = report.at("backends").at(pass).get<std::string>();
    EXPECT_NE(std::find(names.begin(), names.end(), backend), names.end()) << backend;
    EXPECT_TRUE(report.at("fallbacks").at(pass).is_array());
    EXPECT_GE(report.at("time_ms").at(pass).get<double>(), 0.0);
    EXPECT_EQ(report.at("nonfinite").at(pass).at("nan"), 0);
  }
  EXPECT_EQ(report.at("files").at("grad_bias").get<std::string>(), "out/grad_bias.npy");
  EXPECT_EQ(read_npy(box.file("out/grad_input.npy")).shape(), (Shape{3, 5, 5}));
  EXPECT_EQ(read_npy(box.file("out/grad_bias.npy")).shape(), (Shape{2}));
}

TEST(CliGrad, RandomLayersAreReproducible) {
  CliSandbox box;
  const std::string args = "grad --input random:1,3,5,5 --weight random:3,2,3,3 --bias random --grad-output random ";
  ASSERT_EQ(box.run(args + "--out-dir a").code, 0);
  ASSERT_EQ(box.run(args + "--out-dir b").code, 0);
  for (const char* name : {"grad_input.npy", "grad_weight.npy", "grad_bias.npy"})
    EXPECT_EQ(read_file(box.file(std::string("a/") + name)), read_file(box.file(std::string("b/") + name))) << name;
}

TEST(CliGrad, NoBiasWritesNoGradBias) {
  CliSandbox box;
  const std::string args = "grad --input random:1,3,5,5 --weight random:3,2,3,3 --grad-output random:1,2,7,7 ";
  ASSERT_EQ(box.run(args + "--out-dir absent").code, 0);
  ASSERT_EQ(box.run(args + "--bias none --out-dir none").code, 0);
  EXPECT_EQ(box.work_entries("absent"), (std::vector<std::string>{"grad_input.npy", "grad_weight.npy"}));
  EXPECT_EQ(box.work_entries("none"), (std::vector<std::string>{"grad_input.npy", "grad_weight.npy"}));
}

TEST(CliGrad, WrongGradOutputShapeWritesNothing) {
  CliSandbox box;
  fs::create_directory(box.work() / "out");
  const std::vector<std::string> names{"grad_bias.npy", "grad_input.npy", "grad_weight.npy", "notes.txt"};
  for (const std::string& name : names) std::ofstream(box.file("out/" + name), std::ios::binary) << "kept: " << name;
  write_npy(box.file("G.npy"), Tensor::ones({1, 2, 10, 9}));
  const std::string layer = "--input random:1,3,5,5 --weight random:3,2,3,3 --bias random --stride 2 --padding 1 "
                            "--output-padding 1 ";  // forward output [1, 2, 10, 10]
  expect_error(box.run("grad " + layer + "--grad-output G.npy --out-dir out"), 2,
               {"grad_output", "[1, 2, 10, 9]", "[1, 2, 10, 10]"});
  expect_error(box.run("grad " + layer + "--grad-output random:1,2,5,5 --out-dir out --json"), 2,
               {"grad_output", "[1, 2, 10, 10]"});
  // conv2d: [1, 3, 5, 5] * [2, 3, 3, 3] stride 2 padding 1 -> [1, 2, 3, 3]
  expect_error(box.run("grad --op conv2d --input random:1,3,5,5 --weight random:2,3,3,3 --stride 2 --padding 1 "
                       "--grad-output G.npy --out-dir out"),
               2, {"grad_output", "[1, 2, 3, 3]"});
  // Other failures after the flags are read: a missing file, a bias of the wrong size, a bad parameter.
  expect_error(box.run("grad " + layer + "--grad-output nope.npy --out-dir out"), 3, {"nope.npy"});
  write_npy(box.file("B3.npy"), Tensor::ones({3}));
  expect_error(box.run("grad --input random:1,3,5,5 --weight random:3,2,3,3 --bias B3.npy --grad-output random "
                       "--out-dir out"),
               2, {"bias", "[3]"});
  expect_error(box.run("grad " + layer + "--grad-output random --dilation 0 --out-dir out"), 2, {"dilation"});
  // A missing --out-dir is not created by a failed run.
  expect_error(box.run("grad " + layer + "--grad-output G.npy --out-dir fresh"), 2, {"[1, 2, 10, 10]"});
  EXPECT_EQ(box.work_entries("out"), names);
  for (const std::string& name : names) EXPECT_EQ(read_file(box.file("out/" + name)), "kept: " + name) << name;
  EXPECT_EQ(box.work_entries(), (std::vector<std::string>{"B3.npy", "G.npy", "out"}));
}

TEST(CliGrad, OutputPaddingIsRefusedForConv2d) {
  CliSandbox box;
  const std::string conv2d = "grad --op conv2d --input random:1,3,5,5 --weight random:2,3,3,3 --stride 2 "
                             "--grad-output random --out-dir out ";
  expect_error(box.run(conv2d + "--output-padding 1"), 2, {"--output-padding", "conv2d"});
  expect_error(box.run(conv2d + "--output-padding 0"), 2, {"--output-padding", "conv2d"});
  // conv2d's own parameter rules are said of conv2d.
  expect_error(box.run(conv2d + "--groups 0"), 2, {"conv2d", "groups"});
  expect_error(box.run("grad --op conv3d --input random:1,3,5,5 --weight random:2,3,3,3 --grad-output random "
                       "--out-dir out"),
               2, {"--op"});
  EXPECT_TRUE(box.work_entries().empty());
  ASSERT_EQ(box.run(conv2d).code, 0);
  EXPECT_EQ(read_npy(box.file("out/grad_input.npy")).shape(), (Shape{1, 3, 5, 5}));
  EXPECT_EQ(read_npy(box.file("out/grad_weight.npy")).shape(), (Shape{2, 3, 3, 3}));
}

TEST(CliGrad, OutDirMustBeAFolder) {
  CliSandbox box;
  std::ofstream(box.file("taken")) << "a file";
  const std::string args = "grad --input random:1,3,5,5 --weight random:3,2,3,3 --grad-output random --out-dir ";
  expect_error(box.run(args + "taken"), 3, {"taken", "not a directory"});
  expect_error(box.run(args + "taken/sub"), 3, {"taken", "not a directory"});
  expect_error(box.run("grad --input random:1,3,5,5 --weight random:3,2,3,3 --out-dir out"), 2, {"--grad-output"});
  EXPECT_EQ(box.work_entries(), std::vector<std::string>{"taken"});
  ASSERT_EQ(box.run(args + "new/nested").code, 0);  // missing folders are created
  EXPECT_EQ(box.work_entries("new/nested"), (std::vector<std::string>{"grad_input.npy", "grad_weight.npy"}));
}

const std::string kBenchLayer =
    "bench --input random:1,4,6,6 --weight random:4,3,3,3 --stride 2 --padding 1 --bias random --repeat 1 --warmup 0 ";

TEST(CliBenchPass, BackwardPassesReportThePass) {
  CliSandbox box;
  for (const auto& [pass, op] : std::vector<std::pair<std::string, std::string>>{
           {"grad-input", "conv_transpose2d_grad_input"},
           {"grad-weight", "conv_transpose2d_grad_weight"},
           {"forward", "conv_transpose2d"}}) {
    SCOPED_TRACE(pass);
    const nlohmann::json report = parse_json_line(box.run(kBenchLayer + "--pass " + pass + " --json"));
    EXPECT_EQ(report.at("pass"), pass);
    EXPECT_EQ(report.at("op"), op);
    EXPECT_TRUE(report.at("fallbacks").is_array());
    EXPECT_GE(report.at("median_ms").get<double>(), 0.0);
    EXPECT_EQ(report.at("repeat"), 1);
    // useful flops: 2 * N * C_in * H * W * C_out/groups * kH * kW, whatever the pass
    EXPECT_EQ(report.at("useful_flops").get<double>(), 2.0 * 1 * 4 * 6 * 6 * 3 * 3 * 3);
  }
  EXPECT_EQ(parse_json_line(box.run(kBenchLayer + "--json")).at("pass"), "forward");
  const CliResult text = box.run(kBenchLayer + "--pass grad-weight");
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_TRUE(contains(text.out, "grad-weight")) << text.out;
  EXPECT_TRUE(box.work_entries().empty());
}

TEST(CliBenchPass, PrepackedIsForwardOnly) {
  CliSandbox box;
  expect_error(box.run(kBenchLayer + "--pass grad-input --prepacked --backend cpu"), 2, {"--prepacked", "forward"});
  expect_error(box.run(kBenchLayer + "--pass backward"), 2, {"--pass"});
}

}  // namespace
}  // namespace convt
