// The graph executor on hand-built graphs (our plain Model, no file): each op against its definition written out
// here, the feeds' checks, unsupported ops, stopping after a node, and keeping intermediates.
#include "test_util.h"

#include <convt/error.h>
#include <convt/onnx.h>
#include <convt/reference.h>

#include <gtest/gtest.h>

namespace convt {
namespace {

using onnx::Attribute;
using onnx::Model;
using onnx::Node;
using onnx::Value;

Value floats(const Tensor& t) {
  Value v;
  v.tensor = t;
  return v;
}

Value integers(std::vector<int64_t> values) {
  Value v;
  v.tensor = Tensor::from_data({static_cast<int64_t>(values.size())}, std::vector<float>(values.begin(), values.end()));
  v.integers = std::move(values);
  v.element_type = 7;
  return v;
}

onnx::ValueInfo declared(const std::string& name, const Shape& shape) {
  onnx::ValueInfo info;
  info.name = name;
  info.element_type = 1;
  info.has_shape = true;
  for (const int64_t d : shape) info.dims.push_back({d, ""});
  return info;
}

Attribute int_attr(int64_t v) {
  Attribute a;
  a.kind = Attribute::Kind::Int;
  a.i = v;
  return a;
}

Attribute ints_attr(std::vector<int64_t> v) {
  Attribute a;
  a.kind = Attribute::Kind::Ints;
  a.ints = std::move(v);
  return a;
}

Attribute float_attr(float v) {
  Attribute a;
  a.kind = Attribute::Kind::Float;
  a.f = v;
  return a;
}

Attribute string_attr(std::string s) {
  Attribute a;
  a.kind = Attribute::Kind::String;
  a.s = std::move(s);
  return a;
}

// A one-node model: inputs x (and more), output y.
Model one_node(const std::string& op, const std::vector<std::pair<std::string, Shape>>& inputs,
               std::map<std::string, Attribute> attributes = {}, std::vector<std::string> node_inputs = {}) {
  Model model;
  model.path = "test.onnx";
  model.opset = 13;
  Node node;
  node.name = "the_" + op;
  node.op_type = op;
  for (const auto& [name, shape] : inputs) {
    model.inputs.push_back(declared(name, shape));
    node.inputs.push_back(name);
  }
  for (const std::string& name : node_inputs) node.inputs.push_back(name);
  node.outputs = {"y"};
  node.attributes = std::move(attributes);
  model.nodes.push_back(node);
  model.outputs.push_back(declared("y", {}));
  model.outputs.back().has_shape = false;
  return model;
}

Tensor run_one(const Model& model, const std::map<std::string, Value>& feeds, const std::string& backend = "cpu") {
  onnx::RunOptions options;
  options.backend = backend;
  const onnx::RunResult result = onnx::run_model(model, feeds, options);
  EXPECT_EQ(result.outputs.size(), 1u);
  return result.outputs.at(0).second;
}

void expect_equal(const Tensor& actual, const Tensor& expected, double tolerance = 0.0) {
  ASSERT_EQ(actual.shape(), expected.shape());
  for (int64_t i = 0; i < actual.numel(); ++i) ASSERT_NEAR(actual[i], expected[i], tolerance) << "element " << i;
}

TEST(OnnxExecutor, ConvTransposeRunsOnEveryBackendLikeTheReference) {
  Model model = one_node("ConvTranspose", {{"x", {1, 2, 4, 5}}},
                         {{"strides", ints_attr({2, 2})}, {"pads", ints_attr({0, 1, 1, 0})}}, {"w", "b"});
  const Tensor w = Tensor::randn({2, 3, 3, 3}, 7), b = Tensor::randn({3}, 8), x = Tensor::randn({1, 2, 4, 5}, 9);
  model.initializers["w"] = floats(w);
  model.initializers["b"] = floats(b);
  ConvTranspose2dParams p;
  p.stride = 2;
  p.padding = {0, 1};
  p.padding_end = IntPair{1, 0};
  const Tensor expected = conv_transpose2d_reference(x, w, &b, p);
  EXPECT_EQ(expected.shape(), (Shape{1, 3, 8, 10}));  // (4-1)*2 - 0 - 1 + 3, (5-1)*2 - 1 - 0 + 3
  for (const char* backend : {"reference", "cpu", "auto"}) expect_equal(run_one(model, {{"x", floats(x)}}, backend), expected, 1e-5);
}

TEST(OnnxExecutor, ConvWithUnevenPadsPadsTheInputFirst) {
  Model model = one_node("Conv", {{"x", {1, 1, 5, 5}}}, {{"pads", ints_attr({1, 0, 0, 2})}}, {"w"});
  const Tensor w = Tensor::randn({2, 1, 3, 3}, 3), x = Tensor::randn({1, 1, 5, 5}, 4);
  model.initializers["w"] = floats(w);
  const Tensor y = run_one(model, {{"x", floats(x)}});
  ASSERT_EQ(y.shape(), (Shape{1, 2, 4, 5}));  // 5 + 1 - 2 = 4 rows, 5 + 2 - 2 = 5 columns
  for (int64_t co = 0; co < 2; ++co)
    for (int64_t oy = 0; oy < 4; ++oy)
      for (int64_t ox = 0; ox < 5; ++ox) {
        double sum = 0;
        for (int64_t ky = 0; ky < 3; ++ky)
          for (int64_t kx = 0; kx < 3; ++kx) {
            const int64_t iy = oy - 1 + ky, ix = ox + kx;
            if (iy >= 0 && iy < 5 && ix < 5) sum += x.at(0, 0, iy, ix) * w.at(co, 0, ky, kx);
          }
        ASSERT_NEAR(y.at(0, co, oy, ox), sum, 1e-5);
      }
}

TEST(OnnxExecutor, BatchNormalizationUsesTheRunningStatistics) {
  Model model = one_node("BatchNormalization", {{"x", {2, 3, 2, 2}}}, {}, {"s", "b", "m", "v"});
  const Tensor s = Tensor::from_data({3}, {1, 2, -1}), b = Tensor::from_data({3}, {0, 1, 2});
  const Tensor m = Tensor::from_data({3}, {0.5f, -1, 0}), v = Tensor::from_data({3}, {1, 4, 0.25f});
  for (const auto& [name, t] : {std::pair{"s", s}, {"b", b}, {"m", m}, {"v", v}}) model.initializers[name] = floats(t);
  const Tensor x = Tensor::randn({2, 3, 2, 2}, 5);
  const Tensor y = run_one(model, {{"x", floats(x)}});
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t c = (i / 4) % 3;
    ASSERT_NEAR(y[i], (x[i] - m[c]) / std::sqrt(v[c] + 1e-5) * s[c] + b[c], 1e-5);
  }
}

TEST(OnnxExecutor, ArithmeticBroadcastsLikeNumpy) {
  const Tensor a = Tensor::randn({2, 3, 1, 4}, 1), b = Tensor::randn({3, 5, 1}, 2);
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
    const Model model = one_node(op, {{"a", {2, 3, 1, 4}}, {"b", {3, 5, 1}}});
    const Tensor y = run_one(model, {{"a", floats(a)}, {"b", floats(b)}});
    ASSERT_EQ(y.shape(), (Shape{2, 3, 5, 4})) << op;
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t c = 0; c < 3; ++c)
        for (int64_t h = 0; h < 5; ++h)
          for (int64_t w = 0; w < 4; ++w) {
            const float x = a[(n * 3 + c) * 4 + w], z = b[c * 5 + h];
            const std::string o = op;
            const float want = o == "Add" ? x + z : o == "Sub" ? x - z : o == "Mul" ? x * z : x / z;
            ASSERT_FLOAT_EQ(y.at(n, c, h, w), want) << op;
          }
  }
  EXPECT_THROW(run_one(one_node("Add", {{"a", {2, 3}}, {"b", {4}}}),
                       {{"a", floats(Tensor::zeros({2, 3}))}, {"b", floats(Tensor::zeros({4}))}}),
               Error);
}

TEST(OnnxExecutor, ActivationsFollowTheirDefinitions) {
  const Tensor x = Tensor::randn({1, 2, 3, 3}, 11);
  Model prelu = one_node("PRelu", {{"x", {1, 2, 3, 3}}}, {}, {"slope"});
  prelu.initializers["slope"] = floats(Tensor::from_data({2, 1, 1}, {0.25f, -2.0f}));
  const Tensor p = run_one(prelu, {{"x", floats(x)}});
  const Tensor leaky = run_one(one_node("LeakyRelu", {{"x", {1, 2, 3, 3}}}, {{"alpha", float_attr(0.3f)}}),
                               {{"x", floats(x)}});
  const Tensor sigmoid = run_one(one_node("Sigmoid", {{"x", {1, 2, 3, 3}}}), {{"x", floats(x)}});
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float slope = i < 9 ? 0.25f : -2.0f;
    ASSERT_FLOAT_EQ(p[i], x[i] < 0 ? x[i] * slope : x[i]);
    ASSERT_FLOAT_EQ(leaky[i], x[i] < 0 ? x[i] * 0.3f : x[i]);
    ASSERT_NEAR(sigmoid[i], 1.0 / (1.0 + std::exp(-x[i])), 1e-6);
  }
}

// DepthToSpace by its definition: DCR reads channel (by*b + bx)*C' + c, CRD channel c*b*b + by*b + bx.
Tensor depth_to_space_by_definition(const Tensor& x, int64_t b, bool dcr) {
  const int64_t N = x.size(0), C = x.size(1) / (b * b), H = x.size(2), W = x.size(3);
  Tensor y({N, C, H * b, W * b});
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t h = 0; h < H * b; ++h)
        for (int64_t w = 0; w < W * b; ++w) {
          const int64_t by = h % b, bx = w % b;
          const int64_t source = dcr ? (by * b + bx) * C + c : c * b * b + by * b + bx;
          y.at(n, c, h, w) = x.at(n, source, h / b, w / b);
        }
  return y;
}

TEST(OnnxExecutor, DepthToSpaceAndSpaceToDepthInBothModes) {
  const Tensor x = Tensor::randn({2, 12, 3, 4}, 21);
  for (const char* mode : {"DCR", "CRD"}) {
    const Model model = one_node("DepthToSpace", {{"x", {2, 12, 3, 4}}}, {{"blocksize", int_attr(2)}, {"mode", string_attr(mode)}});
    expect_equal(run_one(model, {{"x", floats(x)}}), depth_to_space_by_definition(x, 2, std::string(mode) == "DCR"));
  }
  // SpaceToDepth is DCR DepthToSpace's inverse.
  const Tensor image = depth_to_space_by_definition(x, 2, true);
  const Model s2d = one_node("SpaceToDepth", {{"x", image.shape()}}, {{"blocksize", int_attr(2)}});
  expect_equal(run_one(s2d, {{"x", floats(image)}}), x);
}

TEST(OnnxExecutor, ReshapeTransposeReshapeIsAPixelShuffle) {
  // PyTorch's older exports of pixel_shuffle(r=2): [N, C*4, H, W] -> [N, C, 2, 2, H, W] -> perm -> [N, C, 2H, 2W].
  Model model;
  model.path = "shuffle.onnx";
  model.opset = 9;
  model.inputs.push_back(declared("x", {1, 8, 3, 3}));
  model.initializers["s1"] = integers({1, 2, 2, 2, 3, 3});
  model.initializers["s2"] = integers({0, 2, -1, 6});
  Node r1{"r1", "Reshape", "", {"x", "s1"}, {"a"}, {}};
  Node t{"t", "Transpose", "", {"a"}, {"b"}, {{"perm", ints_attr({0, 1, 4, 2, 5, 3})}}};
  Node r2{"r2", "Reshape", "", {"b", "s2"}, {"y"}, {}};
  model.nodes = {r1, t, r2};
  model.outputs.push_back(declared("y", {1, 2, 6, 6}));
  const Tensor x = Tensor::randn({1, 8, 3, 3}, 31);
  expect_equal(run_one(model, {{"x", floats(x)}}), pixel_shuffle_reference(x, 2));
}

TEST(OnnxExecutor, ConcatJoinsAlongTheAxis) {
  const Tensor a = Tensor::randn({1, 2, 2, 3}, 1), b = Tensor::randn({1, 3, 2, 3}, 2);
  const Tensor y = run_one(one_node("Concat", {{"a", {1, 2, 2, 3}}, {"b", {1, 3, 2, 3}}}, {{"axis", int_attr(-3)}}),
                           {{"a", floats(a)}, {"b", floats(b)}});
  ASSERT_EQ(y.shape(), (Shape{1, 5, 2, 3}));
  for (int64_t i = 0; i < a.numel(); ++i) ASSERT_EQ(y[i], a[i]);
  for (int64_t i = 0; i < b.numel(); ++i) ASSERT_EQ(y[a.numel() + i], b[i]);
}

TEST(OnnxExecutor, ResizeTakesScalesOrSizesFromAnySource) {
  // Nearest x2 with asymmetric/floor: each pixel repeated; sizes given as a graph input in int64.
  const Tensor x = Tensor::randn({1, 1, 2, 3}, 41);
  Model model = one_node("Resize", {{"x", {1, 1, 2, 3}}, {"roi", {0}}, {"scales", {0}}, {"sizes", {4}}},
                         {{"coordinate_transformation_mode", string_attr("asymmetric")},
                          {"nearest_mode", string_attr("floor")}});
  Value empty = floats(Tensor(Shape{0}));
  const Tensor y = run_one(model, {{"x", floats(x)}, {"roi", empty}, {"scales", empty}, {"sizes", integers({1, 1, 4, 6})}});
  ASSERT_EQ(y.shape(), (Shape{1, 1, 4, 6}));
  for (int64_t h = 0; h < 4; ++h)
    for (int64_t w = 0; w < 6; ++w) ASSERT_EQ(y.at(0, 0, h, w), x.at(0, 0, h / 2, w / 2));
  // Linear with align_corners: the corners are kept and the middle of two pixels is their mean.
  Model linear = one_node("Resize", {{"x", {1, 1, 2, 3}}}, {{"mode", string_attr("linear")},
                                                             {"coordinate_transformation_mode", string_attr("align_corners")}},
                          {"", "scales"});
  linear.initializers["scales"] = floats(Tensor::from_data({4}, {1, 1, 1.5f, 2.0f}));
  const Tensor z = run_one(linear, {{"x", floats(x)}});
  ASSERT_EQ(z.shape(), (Shape{1, 1, 3, 6}));
  EXPECT_FLOAT_EQ(z.at(0, 0, 2, 5), x.at(0, 0, 1, 2));
  EXPECT_NEAR(z.at(0, 0, 1, 0), (x.at(0, 0, 0, 0) + x.at(0, 0, 1, 0)) / 2, 1e-6);
}

TEST(OnnxExecutor, UnsupportedModesAndOpsAreRefusedByName) {
  const Tensor x = Tensor::randn({1, 1, 2, 2}, 1);
  Model cubic = one_node("Resize", {{"x", {1, 1, 2, 2}}}, {{"mode", string_attr("cubic")}}, {"", "scales"});
  cubic.initializers["scales"] = floats(Tensor::from_data({4}, {1, 1, 2, 2}));
  try {
    run_one(cubic, {{"x", floats(x)}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Resize node 'the_Resize': mode 'cubic' is not supported"), std::string::npos)
        << e.what();
  }
  try {
    run_one(one_node("LSTM", {{"x", {1, 1, 2, 2}}}), {{"x", floats(x)}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("node 'the_LSTM': op LSTM is not supported"), std::string::npos) << e.what();
  }
}

TEST(OnnxExecutor, FeedsAreCheckedByNameAndShape) {
  const Model model = one_node("Relu", {{"x", {1, 2, 3, 3}}});
  EXPECT_THROW(run_one(model, {}), Error);                                                  // missing
  EXPECT_THROW(run_one(model, {{"x", floats(Tensor::zeros({1, 2, 3, 4}))}}), Error);       // wrong shape
  EXPECT_THROW(run_one(model, {{"x", floats(Tensor::zeros({1, 2, 3, 3}))}, {"z", floats(Tensor::zeros({1}))}}),
               Error);  // no such input
  const std::map<std::string, Value> random = onnx::random_feeds(model, 5);
  EXPECT_EQ(random.at("x").shape(), (Shape{1, 2, 3, 3}));
}

TEST(OnnxExecutor, StopsAfterANodeAndKeepsIntermediates) {
  Model model;
  model.path = "chain.onnx";
  model.opset = 13;
  model.inputs.push_back(declared("x", {1, 1, 2, 2}));
  model.nodes = {Node{"n1", "Relu", "", {"x"}, {"a"}, {}}, Node{"n2", "Sigmoid", "", {"a"}, {"b"}, {}},
                 Node{"n3", "Tanh", "", {"b"}, {"y"}, {}}};
  model.outputs.push_back(declared("y", {1, 1, 2, 2}));
  const std::map<std::string, Value> feeds{{"x", floats(Tensor::randn({1, 1, 2, 2}, 3))}};
  onnx::RunOptions options;
  options.stop_after = "n2";
  const onnx::RunResult stopped = onnx::run_model(model, feeds, options);
  EXPECT_TRUE(stopped.outputs.empty());
  EXPECT_TRUE(stopped.values.count("a") && stopped.values.count("b"));
  EXPECT_FALSE(stopped.values.count("y"));
  options.stop_after.clear();
  options.keep_intermediates = true;
  size_t progress_calls = 0;
  options.progress = [&](size_t done, size_t total) {
    ++progress_calls;
    EXPECT_EQ(total, 3u);
    EXPECT_LE(done, total);
  };
  const onnx::RunResult all = onnx::run_model(model, feeds, options);
  EXPECT_EQ(progress_calls, 3u);
  for (const char* name : {"x", "a", "b", "y"}) EXPECT_TRUE(all.values.count(name)) << name;
  std::atomic<bool> cancel{true};
  options.cancel = &cancel;
  EXPECT_THROW(onnx::run_model(model, feeds, options), Error);
}

TEST(OnnxExecutor, SafeFileNamesNeverLeaveTheFolder) {
  EXPECT_EQ(onnx::safe_file_name("../evil"), "_.._evil");
  EXPECT_EQ(onnx::safe_file_name(".."), "_..");
  EXPECT_EQ(onnx::safe_file_name(""), "_");
  EXPECT_EQ(onnx::safe_file_name("conv/out:0"), "conv_out_0");
  EXPECT_EQ(onnx::safe_file_name("up1.output"), "up1.output");
}

}  // namespace
}  // namespace convt
