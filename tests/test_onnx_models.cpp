// PyTorch models exported to ONNX (tests/models, written by tests/models/make_models.py) loaded and run by the graph
// executor on each backend, against PyTorch's float64 outputs. Each output element may differ from PyTorch's by
// 1e-4 of the magnitude of the sum that produced it (NAME.scale.npy, the model run on absolute values; see the
// script's docstring): float32 rounding of any summation order stays far below that, while a misplaced pixel, a
// wrong mode or a wrong attribute moves an element by about its own size, which is well above it (checked below by
// shifting PyTorch's own output one pixel).
#include "test_util.h"

#include <convt/backend.h>
#include <convt/error.h>
#include <convt/io.h>
#include <convt/onnx.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace convt {
namespace {

namespace fs = std::filesystem;

const std::string kModelsDir = CONVT_MODELS_DIR;
constexpr double kRelativeTolerance = 1e-4;

// Every model the script writes, each with the op types its export must contain (so a regenerated file that
// silently lost an op, e.g. BatchNorm folded away, is noticed).
struct ModelCase {
  const char* name;
  std::vector<std::string> ops;
};

const std::vector<ModelCase>& model_cases() {
  static const std::vector<ModelCase> cases = {
      {"dcgan", {"ConvTranspose", "BatchNormalization", "Relu", "Tanh"}},
      {"espcn", {"Conv", "Tanh", "DepthToSpace", "Sigmoid"}},
      {"resize_conv", {"Resize", "Conv", "LeakyRelu", "PRelu"}},
      {"unet_step", {"ConvTranspose", "Concat", "Conv", "Relu", "Add", "Mul"}},
      {"upsample_opset9", {"Upsample", "Conv"}},
      {"convt_groups_dilation", {"ConvTranspose", "Relu"}},
  };
  return cases;
}

// The exact backends: the reference and the CPU backend always, CUDA where a device answers (TF32 is not exact
// float32 and is left out).
std::vector<std::string> exact_backends() {
  std::vector<std::string> names = {"reference", "cpu"};
  const std::vector<std::string> all = backend_names();
  if (std::find(all.begin(), all.end(), "cuda") != all.end() && backend_by_name("cuda").availability().available)
    names.push_back("cuda");
  return names;
}

// NAME.input.npy for a one-input graph, NAME.input.<INPUT>.npy per graph input otherwise (make_models.py).
std::map<std::string, onnx::Value> model_feeds(const onnx::Model& model, const std::string& name) {
  std::map<std::string, onnx::Value> feeds;
  for (const onnx::ValueInfo& input : model.inputs) {
    const std::string file = model.inputs.size() == 1 ? name + ".input.npy" : name + ".input." + input.name + ".npy";
    onnx::Value value;
    value.tensor = read_npy(kModelsDir + "/" + file);
    feeds.emplace(input.name, std::move(value));
  }
  return feeds;
}

// Where actual and expected differ most relative to the bound, for a failure message.
std::string worst_element(const Tensor& actual, const Tensor& expected, const Tensor& scale) {
  if (actual.shape() != expected.shape()) return "shapes differ";
  double worst_ratio = -1, worst_diff = 0, max_diff = 0;
  int64_t worst = -1;
  for (int64_t i = 0; i < actual.numel(); ++i) {
    const double diff = std::fabs(static_cast<double>(actual[i]) - expected[i]);
    const double ratio = std::isnan(diff) ? INFINITY : diff / (kRelativeTolerance * scale[i] + 1e-7);
    max_diff = std::max(max_diff, std::isnan(diff) ? INFINITY : diff);
    if (ratio > worst_ratio) worst_ratio = ratio, worst_diff = diff, worst = i;
  }
  std::string where = "element " + std::to_string(worst);
  if (actual.dim() == 4 && worst >= 0) {
    const Shape& s = actual.shape();
    const int64_t w = worst % s[3], h = worst / s[3] % s[2], c = worst / (s[3] * s[2]) % s[1],
                  n = worst / (s[3] * s[2] * s[1]);
    where = "[n " + std::to_string(n) + ", c " + std::to_string(c) + ", y " + std::to_string(h) + ", x " +
            std::to_string(w) + "]";
  }
  return "max |diff| " + std::to_string(max_diff) + "; worst against the bound at " + where + ": |diff| " +
         std::to_string(worst_diff) + " = " + std::to_string(worst_ratio) + " x bound";
}

bool all_zero(const Tensor& t) {
  for (int64_t i = 0; i < t.numel(); ++i)
    if (t[i] != 0.0f) return false;
  return true;
}

void check_model(const std::string& name) {
  const auto found = std::find_if(model_cases().begin(), model_cases().end(),
                                  [&](const ModelCase& c) { return name == c.name; });
  ASSERT_NE(found, model_cases().end()) << name;
  const std::string path = kModelsDir + "/" + name + ".onnx";
  onnx::Model model;
  try {
    model = onnx::load_model(path);
  } catch (const Error& e) {
    FAIL() << "load_model(" << path << ") threw: " << e.what();
  }

  // What the export is: its op types, one output named "output" with PyTorch's shape.
  for (const std::string& op : found->ops)
    EXPECT_TRUE(std::any_of(model.nodes.begin(), model.nodes.end(),
                            [&](const onnx::Node& n) { return n.op_type == op; }))
        << name << " has no " << op << " node";
  const Tensor expected = read_npy(kModelsDir + "/" + name + ".output.npy");
  const Tensor scale = read_npy(kModelsDir + "/" + name + ".scale.npy");
  ASSERT_EQ(scale.shape(), expected.shape());
  ASSERT_FALSE(all_zero(expected));
  ASSERT_EQ(model.outputs.size(), 1u);
  EXPECT_EQ(model.outputs[0].name, "output");
  EXPECT_EQ(model.outputs[0].concrete_shape(), std::optional<Shape>(expected.shape()))
      << "declared " << model.outputs[0].shape_text();

  const std::map<std::string, onnx::Value> feeds = model_feeds(model, name);
  for (const std::string& backend : exact_backends()) {
    SCOPED_TRACE(name + " on backend " + backend);
    onnx::RunOptions options;
    options.backend = backend;
    onnx::RunResult result;
    try {
      result = onnx::run_model(model, feeds, options);
    } catch (const Error& e) {
      ADD_FAILURE() << "run_model threw: " << e.what();
      continue;
    }
    ASSERT_EQ(result.outputs.size(), 1u);
    EXPECT_EQ(result.outputs[0].first, "output");
    EXPECT_EQ(result.node_shapes.size(), model.nodes.size());
    const Tensor& actual = result.outputs[0].second;
    ASSERT_EQ(actual.shape(), expected.shape())
        << "got " << shape_to_string(actual.shape()) << ", PyTorch " << shape_to_string(expected.shape());
    EXPECT_FALSE(all_zero(actual)) << "the output is all zeros";
    EXPECT_TRUE(testing::all_close_to_scale(actual, expected, scale, kRelativeTolerance))
        << worst_element(actual, expected, scale);
  }
}

TEST(OnnxModels, DcganGeneratorWithBatchNorm) { check_model("dcgan"); }
TEST(OnnxModels, EspcnSubPixel) { check_model("espcn"); }
TEST(OnnxModels, ResizeConvDecoder) { check_model("resize_conv"); }
TEST(OnnxModels, UNetDecoderStepWithTwoInputs) { check_model("unet_step"); }
TEST(OnnxModels, UpsampleOpset9) { check_model("upsample_opset9"); }
TEST(OnnxModels, GroupedDilatedConvTransposeWithOutputPadding) { check_model("convt_groups_dilation"); }

// Every model in the folder with PyTorch's output beside it (what make_models.py writes; other tests keep
// hand-made graphs there too) has a test above.
TEST(OnnxModels, EveryModelInTheFolderIsTested) {
  std::vector<std::string> on_disk;
  for (const fs::directory_entry& entry : fs::directory_iterator(kModelsDir)) {
    const std::string stem = entry.path().stem().string();
    if (entry.path().extension() == ".onnx" && fs::exists(fs::path(kModelsDir) / (stem + ".output.npy")))
      on_disk.push_back(stem);
  }
  std::sort(on_disk.begin(), on_disk.end());
  std::vector<std::string> listed;
  for (const ModelCase& c : model_cases()) listed.push_back(c.name);
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(on_disk, listed);
}

// The tolerance is tight enough to matter: PyTorch's own output moved one element along x (in row-major order)
// fails it, for every model.
TEST(OnnxModels, ToleranceRejectsAOnePixelShift) {
  for (const ModelCase& c : model_cases()) {
    SCOPED_TRACE(c.name);
    const Tensor expected = read_npy(kModelsDir + "/" + std::string(c.name) + ".output.npy");
    const Tensor scale = read_npy(kModelsDir + "/" + std::string(c.name) + ".scale.npy");
    Tensor shifted = expected;
    for (int64_t i = 0; i + 1 < expected.numel(); ++i) shifted[i] = expected[i + 1];
    EXPECT_FALSE(testing::all_close_to_scale(shifted, expected, scale, kRelativeTolerance));
    EXPECT_TRUE(testing::all_close_to_scale(expected, expected, scale, kRelativeTolerance));
  }
}

}  // namespace
}  // namespace convt
