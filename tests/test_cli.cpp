// The `convt` binary end to end: what scripts rely on is the exit code, a single `error: ` line on stderr, an
// untouched --out on failure, and output values that match the in-process reference exactly.
#include "test_util.h"

#include <convt/backend.h>
#include <convt/io.h>
#include <convt/ops.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "cli_sandbox.h"

namespace convt {
namespace {

using namespace cli_testing;
namespace fs = std::filesystem;

const std::string kRandomRun =
    "run --input random:1,3,5,5 --weight random:3,2,3,3 --stride 2 --padding 1 --output-padding 1";

TEST(CliRun, RandomInputsWriteTheFormulaShape) {
  CliSandbox box;
  const CliResult r = box.run(kRandomRun + " --out Y.npy");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(contains(r.out, "[1, 2, 10, 10]")) << r.out;
  EXPECT_TRUE(contains(r.out, "(5-1)*2 - 2*1 + 1*(3-1) + 1 + 1 = 10")) << r.out;
  EXPECT_EQ(read_npy(box.file("Y.npy")).shape(), (Shape{1, 2, 10, 10}));
  EXPECT_EQ(box.work_entries(), std::vector<std::string>{"Y.npy"});
}

TEST(CliRun, SeedMakesRandomRunsReproducible) {
  CliSandbox box;
  ASSERT_EQ(box.run(kRandomRun + " --bias random --out A.npy").code, 0);
  ASSERT_EQ(box.run(kRandomRun + " --bias random --out B.npy").code, 0);
  ASSERT_EQ(box.run(kRandomRun + " --bias random --seed 5 --out C.npy").code, 0);
  EXPECT_EQ(read_file(box.file("A.npy")), read_file(box.file("B.npy")));
  EXPECT_NE(read_file(box.file("A.npy")), read_file(box.file("C.npy")));
}

// The CLI's numbers must be the engine's numbers: same files in, reference computed here, compared to scale.
void expect_matches_reference(const Shape& x_shape, const Shape& w_shape, bool with_bias, const std::string& flags,
                              const ConvTranspose2dParams& params) {
  CliSandbox box;
  const Tensor x = Tensor::randn(x_shape, 11), w = Tensor::randn(w_shape, 12);
  write_npy(box.file("X.npy"), x);
  write_npy(box.file("W.npy"), w);
  std::string args = "run --input X.npy --weight W.npy " + flags + " --out Y.npy";
  Tensor b;
  if (with_bias) {
    b = Tensor::randn({w_shape[1] * params.groups}, 13);
    write_npy(box.file("B.npy"), b);
    args += " --bias B.npy";
  }
  const CliResult r = box.run(args);
  ASSERT_EQ(r.code, 0) << r.err;
  const Tensor* bias = with_bias ? &b : nullptr;
  const Tensor expected = conv_transpose2d_reference(x, w, bias, params);
  EXPECT_TRUE(contains(r.out, shape_to_string(expected.shape()))) << r.out;
  EXPECT_TRUE(testing::all_close_to_scale(read_npy(box.file("Y.npy")), expected,
                                          testing::conv_transpose2d_term_scale(x, w, bias, params), 1e-6));
}

TEST(CliRun, NpyFilesMatchInProcessReference) {
  ConvTranspose2dParams params;
  params.stride = 2;
  params.padding = 1;
  params.output_padding = 1;
  const std::string flags = "--stride 2 --padding 1 --output-padding 1";
  expect_matches_reference({1, 3, 5, 5}, {3, 2, 3, 3}, true, flags, params);
  expect_matches_reference({1, 3, 5, 5}, {3, 2, 3, 3}, false, flags, params);
}

TEST(CliRun, GroupsDilationAndPairsMatchInProcessReference) {
  ConvTranspose2dParams params;
  params.stride = {1, 2};
  params.padding = {0, 1};
  params.output_padding = {1, 1};
  params.dilation = {2, 1};
  params.groups = 2;
  expect_matches_reference({2, 4, 4, 3}, {4, 3, 2, 3}, true,
                           "--stride 1,2 --padding 0,1 --output-padding 1,1 --dilation 2,1 --groups 2", params);
}

TEST(CliRun, UnbatchedInputGivesUnbatchedOutput) {
  CliSandbox box;
  const CliResult r =
      box.run("run --input random:3,5,5 --weight random:3,2,3,3 --stride 2 --padding 1 --output-padding 1 --out Y.npy");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_npy(box.file("Y.npy")).shape(), (Shape{2, 10, 10}));
}

TEST(CliRun, JsonIsOneParsableLine) {
  CliSandbox box;
  const nlohmann::json report = parse_json_line(box.run(kRandomRun + " --json --out Y.npy"));
  EXPECT_EQ(report.at("output_shape").get<Shape>(), (Shape{1, 2, 10, 10}));
  EXPECT_TRUE(report.at("time_ms").is_number());
  EXPECT_GE(report.at("time_ms").get<double>(), 0.0);
  const std::vector<std::string> names = backend_names();
  EXPECT_NE(std::find(names.begin(), names.end(), report.at("backend").get<std::string>()), names.end());
  EXPECT_EQ(report.at("formula").at("height").get<std::string>(), "(5-1)*2 - 2*1 + 1*(3-1) + 1 + 1 = 10");
  EXPECT_EQ(report.at("bias_shape"), nullptr);
  EXPECT_EQ(report.at("out").get<std::string>(), "Y.npy");
}

TEST(CliRun, PerAxisPairs) {
  CliSandbox box;
  const nlohmann::json report = parse_json_line(
      box.run("run --input random:1,3,5,6 --weight random:3,2,3,3 --stride 2,3 --padding 1,0 --output-padding 1,2 "
              "--dilation 1,1 --json --out Y.npy"));
  // h: (5-1)*2 - 2 + 2 + 1 + 1 = 10; w: (6-1)*3 - 0 + 2 + 2 + 1 = 20
  EXPECT_EQ(report.at("output_shape").get<Shape>(), (Shape{1, 2, 10, 20}));
  EXPECT_EQ(report.at("params").at("stride"), nlohmann::json::array({2, 3}));
  EXPECT_EQ(report.at("formula").at("width").get<std::string>(), "(6-1)*3 - 2*0 + 1*(3-1) + 2 + 1 = 20");
  EXPECT_EQ(read_npy(box.file("Y.npy")).shape(), (Shape{1, 2, 10, 20}));
}

const std::string kSmall = "run --input random:1,3,5,5 --weight random:3,2,3,3 ";

TEST(CliErrors, CommandLineMistakesExit2) {
  CliSandbox box;
  expect_error(box.run(kSmall + "--out Y.npy --bogus 1"), 2, {"--bogus"});
  expect_error(box.run(kSmall), 2, {"--out"});
  expect_error(box.run("run --weight random:3,2,3,3 --out Y.npy"), 2, {"--input"});
  expect_error(box.run(""), 2, {});
  expect_error(box.run(kSmall + "--stride 2,x --out Y.npy"), 2, {"--stride", "2,x"});
  expect_error(box.run(kSmall + "--padding 1,2,3 --out Y.npy"), 2, {"--padding"});
  expect_error(box.run("run --input random:1,0,5,5 --weight random:3,2,3,3 --out Y.npy"), 2, {"--input"});
  expect_error(box.run(kSmall + "--backend tpu --out Y.npy"), 2, {"--backend"});
}

TEST(CliErrors, InvalidParametersExit2) {
  CliSandbox box;
  expect_error(box.run(kSmall + "--stride 0 --out Y.npy"), 2, {"stride"});
  expect_error(box.run(kSmall + "--dilation 1,0 --out Y.npy"), 2, {"dilation"});
  expect_error(box.run(kSmall + "--padding -1 --out Y.npy"), 2, {"padding"});
  expect_error(box.run(kSmall + "--groups 0 --out Y.npy"), 2, {"groups"});
  expect_error(box.run(kSmall + "--stride 2 --output-padding 2 --out Y.npy"), 2,
               {"output padding must be smaller than either stride or dilation"});
  expect_error(box.run("run --input random:1,3,5,5 --weight random:4,2,3,3 --out Y.npy"), 2, {"channels"});
  expect_error(box.run("run --input random:1,1,1,1 --weight random:1,1,1,1 --padding 1 --out Y.npy"), 2,
               {"too small"});
  write_npy(box.file("B3.npy"), Tensor::ones({3}));
  expect_error(box.run(kSmall + "--bias B3.npy --out Y.npy"), 2, {"bias", "[3]"});
}

TEST(CliErrors, UnavailableBackendsExit2) {
  CliSandbox box;
  if (backend_by_name("cuda").availability().available) GTEST_SKIP() << "a usable CUDA backend is present";
  expect_error(box.run(kSmall + "--backend cuda --out Y.npy"), 2, {"cuda", "not available"});
  EXPECT_TRUE(box.work_entries().empty());
}

TEST(CliErrors, MemoryBudgetRefusesBeforeAllocating) {
  CliSandbox box;
  const auto start = std::chrono::steady_clock::now();
  // 10^10 floats = 40 GB of input, over the 8 GiB default.
  expect_error(box.run("run --input random:1,1,100000,100000 --weight random:1,1,1,1 --out Y.npy"), 2,
               {"bytes", "40000000000"});
  // Small input, but stride makes the output 10^12 elements: refused from the formula, before computing.
  expect_error(box.run("run --input random:1,1,1000,1000 --weight random:1,1,1,1 --stride 1000 --out Y.npy"), 2,
               {"bytes", "output"});
  expect_error(box.run(kSmall + "--out Y.npy", "CONVT_MEMORY_BUDGET=256"), 2, {"bytes", "256"});
  // Allocating (let alone filling) 40 GB would take far longer than this.
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 10.0);
  EXPECT_TRUE(box.work_entries().empty());
}

TEST(CliErrors, FileProblemsExit3) {
  CliSandbox box;
  expect_error(box.run("run --input nope.npy --weight random:3,2,3,3 --out Y.npy"), 3, {"nope.npy"});
  expect_error(box.run("run --input random:1,3,5,5 --weight nope_w.npy --out Y.npy"), 3, {"nope_w.npy"});
  std::ofstream(box.file("bad.npy")) << "this is not an npy file";
  expect_error(box.run("run --input bad.npy --weight random:3,2,3,3 --out Y.npy"), 3, {"bad.npy", "magic"});
  expect_error(box.run(kSmall + "--bias bad.npy --out Y.npy"), 3, {"bad.npy"});
  expect_error(box.run(kSmall + "--out missing/Y.npy"), 3, {"missing"});
  fs::create_directory(box.work() / "adir");
  expect_error(box.run(kSmall + "--out adir"), 3, {"adir", "directory"});
  EXPECT_EQ(box.work_entries(), (std::vector<std::string>{"adir", "bad.npy"}));
  EXPECT_TRUE(fs::is_empty(box.work() / "adir"));
}

TEST(CliErrors, OutIsUntouchedOnFailure) {
  CliSandbox box;
  const std::string sentinel = "previous result, must survive";
  std::ofstream(box.file("Y.npy"), std::ios::binary) << sentinel;
  write_npy(box.file("B3.npy"), Tensor::ones({3}));
  // Invalid parameters, a missing input, a bad bias found after loading, an output over the memory budget.
  const std::vector<std::pair<std::string, int>> failures{
      {kSmall + "--stride 0 --out Y.npy", 2},
      {"run --input nope.npy --weight random:3,2,3,3 --out Y.npy", 3},
      {kSmall + "--bias B3.npy --out Y.npy", 2},
      {kSmall + "--out Y.npy", 2},  // with CONVT_MEMORY_BUDGET below the output's size
  };
  for (size_t i = 0; i < failures.size(); ++i) {
    const auto& [args, code] = failures[i];
    SCOPED_TRACE(args);
    expect_error(box.run(args, i + 1 == failures.size() ? "CONVT_MEMORY_BUDGET=256" : ""), code, {});
    EXPECT_EQ(read_file(box.file("Y.npy")), sentinel);
    EXPECT_EQ(box.work_entries(), (std::vector<std::string>{"B3.npy", "Y.npy"}));
  }
}

TEST(CliDemo, PrintsTheWorkedFormula) {
  CliSandbox box;
  const CliResult r = box.run("demo");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(contains(r.out, "(4-1)*2 - 2*2 + 1*(5-1) + 1 + 1 = 8")) << r.out;
  EXPECT_TRUE(box.work_entries().empty());
}

TEST(CliDemo, JsonParses) {
  CliSandbox box;
  const nlohmann::json report = parse_json_line(box.run("demo --json"));
  EXPECT_EQ(report.at("command"), "demo");
  EXPECT_EQ(report.at("output_shape").get<Shape>(), (Shape{1, 256, 8, 8}));
  EXPECT_EQ(report.at("formula").at("height").get<std::string>(), "(4-1)*2 - 2*2 + 1*(5-1) + 1 + 1 = 8");
  ASSERT_TRUE(report.at("reference_page_examples").is_array());
  EXPECT_FALSE(report.at("reference_page_examples").empty());
}

TEST(CliHelp, HelpExits0) {
  CliSandbox box;
  CliResult r = box.run("--help");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "run") && contains(r.out, "demo")) << r.out;
  r = box.run("run --help");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "--stride") && contains(r.out, "--out")) << r.out;
}

TEST(CliBackends, ListsEveryBackendWithAReason) {
  CliSandbox box;
  const nlohmann::json report = parse_json_line(box.run("backends --json"));
  ASSERT_EQ(report.at("backends").size(), backend_names().size());
  for (const nlohmann::json& backend : report.at("backends")) {
    EXPECT_FALSE(backend.at("reason").get<std::string>().empty());
    if (backend.at("name") == "reference") {
      EXPECT_TRUE(backend.at("available").get<bool>());
      EXPECT_TRUE(backend.at("declined_ops").empty());  // the end of every chain runs everything
    }
    if (backend.at("name") == "cpu") {  // the element-wise ops, each with its reason
      EXPECT_TRUE(backend.at("declined_ops").contains("pixel_shuffle"));
      EXPECT_FALSE(backend.at("declined_ops").contains("conv_transpose2d_grad_weight"));
    }
  }
}

}  // namespace
}  // namespace convt
