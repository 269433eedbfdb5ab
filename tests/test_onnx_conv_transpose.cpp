// ONNX's ConvTranspose: the engine's asymmetric padding (padding_end) on every backend against the reference and
// against an independent construction (crop the full result), and the attribute resolution of MATH.md.
#include "random_config.h"
#include "test_util.h"

#include <convt/analysis.h>
#include <convt/backend.h>
#include <convt/error.h>
#include <convt/onnx.h>
#include <convt/ops.h>
#include <convt/reference.h>
#include <convt/shape.h>

#include <gtest/gtest.h>

#include <random>

namespace convt {
namespace {

using testing::all_close_to_scale;
using testing::conv_transpose2d_term_scale;

// A random case with ONNX-style pads: begin and end drawn separately, output_padding up to 2*stride.
testing::RandomCase random_asymmetric_case(std::mt19937_64& rng) {
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (;;) {
    testing::RandomCase c = testing::random_conv_transpose2d_case(rng);
    c.params.padding = {pick(0, 4), pick(0, 4)};
    c.params.padding_end = IntPair{pick(0, 4), pick(0, 4)};
    c.params.output_padding = {pick(0, 2 * c.params.stride.h), pick(0, 2 * c.params.stride.w)};
    try {
      validate_conv_transpose2d(c.input.shape(), c.weight.shape(), std::nullopt, c.params);
      return c;
    } catch (const Error&) {
    }
  }
}

// The definition: the full result (no crop, no output_padding), with output_padding more rows and columns of
// bias at the end, cropped by the begin pads at the top/left and the end pads at the bottom/right.
Tensor crop_of_full_result(const testing::RandomCase& c) {
  ConvTranspose2dParams full_params = c.params;
  full_params.padding = 0;
  full_params.padding_end.reset();
  full_params.output_padding = 0;
  const Tensor input = c.input.dim() == 3 ? c.input.reshaped({1, c.input.size(0), c.input.size(1), c.input.size(2)})
                                          : c.input;
  const Tensor full = conv_transpose2d_reference(input, c.weight, c.bias ? &*c.bias : nullptr, full_params);
  const IntPair end = c.params.end_padding();
  const int64_t N = full.size(0), C = full.size(1), FH = full.size(2), FW = full.size(3);
  const int64_t OH = FH + c.params.output_padding.h - c.params.padding.h - end.h;
  const int64_t OW = FW + c.params.output_padding.w - c.params.padding.w - end.w;
  Tensor out({N, C, OH, OW});
  for (int64_t n = 0; n < N; ++n)
    for (int64_t ch = 0; ch < C; ++ch)
      for (int64_t y = 0; y < OH; ++y)
        for (int64_t x = 0; x < OW; ++x) {
          const int64_t fy = y + c.params.padding.h, fx = x + c.params.padding.w;
          out.at(n, ch, y, x) = fy < FH && fx < FW ? full.at(n, ch, fy, fx) : (c.bias ? (*c.bias)[ch] : 0.0f);
        }
  return c.input.dim() == 3 ? out.reshaped({C, OH, OW}) : out;
}

TEST(OnnxConvTranspose, AsymmetricPaddingIsTheFullResultCropped) {
  std::mt19937_64 rng(1401);
  for (int trial = 0; trial < 150; ++trial) {
    const testing::RandomCase c = random_asymmetric_case(rng);
    SCOPED_TRACE("trial " + std::to_string(trial) + ": padding " + to_string(c.params.padding) + " end " +
                 to_string(*c.params.padding_end) + " output_padding " + to_string(c.params.output_padding));
    const Tensor reference = conv_transpose2d_reference(c.input, c.weight, c.bias ? &*c.bias : nullptr, c.params);
    const Tensor scale = conv_transpose2d_term_scale(c.input, c.weight, c.bias ? &*c.bias : nullptr, c.params);
    ASSERT_TRUE(all_close_to_scale(reference, crop_of_full_result(c), scale, 1e-6));
  }
}

TEST(OnnxConvTranspose, EveryFastBackendMatchesTheReferenceOnAsymmetricPadding) {
  for (const std::string& name : backend_names()) {
    const Backend& backend = backend_by_name(name);
    if (name == "reference") continue;
    if (!backend.availability().available) {
      std::cout << "[ SKIPPED  ] backend " << name << " on asymmetric padding: " << backend.availability().reason
                << "\n";
      continue;
    }
    std::mt19937_64 rng(1402);
    for (int trial = 0; trial < 120; ++trial) {
      const testing::RandomCase c = random_asymmetric_case(rng);
      SCOPED_TRACE(name + " trial " + std::to_string(trial));
      const Tensor* bias = c.bias ? &*c.bias : nullptr;
      const Tensor expected = conv_transpose2d_reference(c.input, c.weight, bias, c.params);
      const Tensor scale = conv_transpose2d_term_scale(c.input, c.weight, bias, c.params);
      const double rel = name == "cuda-tf32" ? 2e-3 : 1e-5;
      ASSERT_TRUE(all_close_to_scale(backend.conv_transpose2d(c.input, c.weight, bias, c.params), expected, scale, rel));
    }
  }
}

TEST(OnnxConvTranspose, ScatterThenConvolveRebuildsAsymmetricPadding) {
  std::mt19937_64 rng(1403);
  for (int trial = 0; trial < 60; ++trial) {
    const testing::RandomCase c = random_asymmetric_case(rng);
    const ScatterConvolveSteps steps = scatter_then_convolve(c.input, c.weight, c.bias ? &*c.bias : nullptr, c.params);
    ASSERT_EQ(steps.convolved.shape(), steps.direct.shape()) << "trial " << trial;
    ASSERT_LT(steps.max_abs_difference, 1e-4) << "trial " << trial;
  }
}

TEST(OnnxConvTranspose, PytorchRulesStillHoldWithoutPaddingEnd) {
  ConvTranspose2dParams p;
  p.stride = 2;
  p.output_padding = 3;
  EXPECT_THROW(validate_params(p), Error);  // PyTorch: output_padding < max(stride, dilation)
  p.padding_end = IntPair{0, 0};
  EXPECT_NO_THROW(validate_params(p));  // ONNX has no such bound
  p.padding_end = IntPair{-1, 0};
  EXPECT_THROW(validate_params(p), Error);
}

TEST(OnnxConvTranspose, BackwardPassesRefuseAsymmetricPadding) {
  ConvTranspose2dParams p;
  p.stride = 2;
  p.padding = 1;
  p.padding_end = IntPair{0, 1};
  const Tensor x = Tensor::randn({1, 2, 3, 3}, 1), w = Tensor::randn({2, 2, 3, 3}, 2);
  const Tensor y = conv_transpose2d_reference(x, w, nullptr, p);
  try {
    conv_transpose2d_grad_input(x.shape(), w, y, p);
    FAIL() << "expected a refusal";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("symmetric"), std::string::npos) << e.what();
  }
  p.padding_end = IntPair{1, 1};  // equal ends are PyTorch's padding
  EXPECT_NO_THROW(conv_transpose2d_grad_input(x.shape(), w, conv_transpose2d_reference(x, w, nullptr, p), p));
}

onnx::Node conv_transpose_node(std::map<std::string, onnx::Attribute> attributes) {
  onnx::Node node;
  node.name = "up";
  node.op_type = "ConvTranspose";
  node.inputs = {"x", "w"};
  node.outputs = {"y"};
  node.attributes = std::move(attributes);
  return node;
}

onnx::Attribute ints(std::vector<int64_t> values) {
  onnx::Attribute a;
  a.kind = onnx::Attribute::Kind::Ints;
  a.ints = std::move(values);
  return a;
}

onnx::Attribute text(std::string value) {
  onnx::Attribute a;
  a.kind = onnx::Attribute::Kind::String;
  a.s = std::move(value);
  return a;
}

TEST(OnnxConvTranspose, SymmetricPadsGiveThePytorchCall) {
  const onnx::ConvTransposeResolution r = onnx::resolve_conv_transpose(
      conv_transpose_node({{"strides", ints({2, 2})}, {"pads", ints({1, 1, 1, 1})}, {"output_padding", ints({1, 1})}}),
      {1, 4, 5, 5}, {4, 3, 3, 3});
  EXPECT_TRUE(r.has_pytorch_call);
  EXPECT_NE(r.pytorch_call.find("stride=2, padding=1, output_padding=1"), std::string::npos) << r.pytorch_call;
  EXPECT_EQ(r.output_size, IntPair(10, 10));  // (5-1)*2 - 2 + 3 + 1
  EXPECT_EQ(r.out_channels, 3);
}

TEST(OnnxConvTranspose, ALargerEndPadHasNoPytorchCallAndALargerBeginPadIsOutputPadding) {
  const onnx::ConvTransposeResolution end_heavy = onnx::resolve_conv_transpose(
      conv_transpose_node({{"strides", ints({2, 2})}, {"pads", ints({0, 1, 1, 1})}}), {1, 1, 4, 4}, {1, 1, 3, 3});
  EXPECT_FALSE(end_heavy.has_pytorch_call);
  EXPECT_NE(end_heavy.pytorch_call.find("no single F.conv_transpose2d call: asymmetric padding (top 0, bottom 1)"),
            std::string::npos)
      << end_heavy.pytorch_call;
  EXPECT_EQ(end_heavy.output_size, IntPair(8, 7));

  // Cropping one more at the begin than the end is PyTorch's padding with output_padding 1.
  const onnx::ConvTransposeResolution begin_heavy = onnx::resolve_conv_transpose(
      conv_transpose_node({{"strides", ints({2, 2})}, {"pads", ints({1, 1, 0, 0})}}), {1, 1, 4, 4}, {1, 1, 3, 3});
  EXPECT_TRUE(begin_heavy.has_pytorch_call);
  EXPECT_NE(begin_heavy.pytorch_call.find("padding=1, output_padding=1"), std::string::npos)
      << begin_heavy.pytorch_call;
}

TEST(OnnxConvTranspose, AutoPadSameGivesInputTimesStrideSplitByMode) {
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER"}) {
    const onnx::ConvTransposeResolution r = onnx::resolve_conv_transpose(
        conv_transpose_node({{"strides", ints({2, 3})}, {"auto_pad", text(mode)}}), {1, 1, 3, 4}, {1, 1, 3, 4});
    EXPECT_EQ(r.output_size, IntPair(6, 12)) << mode;
    // Total crops: h (3-1)*2 + 3 - 6 = 1, w (4-1)*3 + 4 - 12 = 1; the odd one goes to the end for SAME_UPPER.
    const bool upper = std::string(mode) == "SAME_UPPER";
    EXPECT_EQ(r.params.padding, IntPair(upper ? 0 : 1, upper ? 0 : 1)) << mode;
    EXPECT_EQ(r.params.end_padding(), IntPair(upper ? 1 : 0, upper ? 1 : 0)) << mode;
  }
}

TEST(OnnxConvTranspose, OutputShapeOverridesPadsAndMayExtendTheOutput) {
  // libonnx-testdata's test_convtranspose_output_shape: 3x3 input, stride 3, k 3 -> full 9x9; asks for 10x8.
  const onnx::ConvTransposeResolution r = onnx::resolve_conv_transpose(
      conv_transpose_node({{"strides", ints({3, 2})}, {"output_shape", ints({10, 8})}, {"pads", ints({5, 5, 5, 5})}}),
      {1, 1, 3, 3}, {1, 2, 3, 3});
  EXPECT_TRUE(r.from_output_shape);
  EXPECT_EQ(r.output_size, IntPair(10, 8));
  EXPECT_EQ(r.params.padding, IntPair(0, 0));
  EXPECT_EQ(r.params.output_padding.h, 1);  // a negative end crop of 1 is one more row

  const onnx::ConvTransposeResolution lower = onnx::resolve_conv_transpose(
      conv_transpose_node({{"strides", ints({3, 3})}, {"output_shape", ints({12, 9})}, {"auto_pad", text("SAME_LOWER")}}),
      {1, 1, 3, 3}, {1, 1, 3, 3});
  EXPECT_EQ(lower.output_size, IntPair(12, 9));
  EXPECT_EQ(lower.leading, IntPair(2, 0));  // total -3: SAME_LOWER's larger (negative) half at the begin
  EXPECT_FALSE(lower.has_pytorch_call);
}

TEST(OnnxConvTranspose, OneAndThreeDimensionalKernelsAreRefused) {
  for (const Shape& weight : {Shape{1, 1, 3}, Shape{1, 1, 3, 3, 3}}) {
    Shape input = weight;
    input[0] = 1;
    try {
      onnx::resolve_conv_transpose(conv_transpose_node({}), input, weight);
      FAIL() << "expected a refusal for weight " << shape_to_string(weight);
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("only 2-D ConvTranspose is supported"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(weight.size() == 3 ? "1-D" : "3-D"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("'up'"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(onnx::resolve_conv_transpose(conv_transpose_node({{"kernel_shape", ints({5, 5})}}), {1, 1, 3, 3},
                                            {1, 1, 3, 3}),
               Error);
  EXPECT_THROW(onnx::resolve_conv_transpose(conv_transpose_node({{"strides", ints({2, 2, 2})}}), {1, 1, 3, 3},
                                            {1, 1, 3, 3}),
               Error);
}

}  // namespace
}  // namespace convt
