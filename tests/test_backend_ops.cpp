// Every op on every backend, through the interface: a backend either runs a call and agrees with the reference
// backend, or declines it with a reason, and then dispatch() falls back along the chain recording that reason.
// Also what "auto" picks (one answer for every test: cuda when a device answers, else cpu) and the ops.h entry
// points, which run the default backend.
#include "test_util.h"

#include <convt/backend.h>
#include <convt/error.h>
#include <convt/ops.h>
#include <convt/shape.h>

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

namespace convt {
namespace {

using testing::abs_of;

// Small calls that exercise every parameter of each op (asymmetric pairs, groups, dilation, output_padding).
const ConvTranspose2dParams kTransposed{IntPair(2, 1), IntPair(1, 0), IntPair(1, 0), IntPair(1, 2), 2};
const Conv2dParams kConv{IntPair(2, 1), IntPair(1, 0), IntPair(1, 2), 2};

InterpolateParams bilinear_by_two() {
  InterpolateParams params;
  params.mode = InterpolateMode::Bilinear;
  params.scale_h = 2.0;
  params.scale_w = 1.5;
  return params;
}

OpRequest request_for(Op op) {
  switch (op) {
    case Op::ConvTranspose2d:
    case Op::ConvTranspose2dGradInput:
    case Op::ConvTranspose2dGradWeight: return {op, kTransposed};
    case Op::Conv2d:
    case Op::Conv2dGradInput:
    case Op::Conv2dGradWeight: return {op, kConv};
    case Op::Interpolate:
    case Op::InterpolateBackward: return {op, bilinear_by_two()};
    default: return {op, std::monostate{}};
  }
}

// The op's outputs on `backend` (a loss as a one-element tensor). `absolute` runs it on the operands' absolute
// values instead, which for the convolutions gives each output's sum of |terms|, the tolerance scale.
std::vector<Tensor> run_op(const Backend& backend, Op op, bool absolute = false) {
  auto operand = [&](const Shape& shape, uint64_t seed) {
    const Tensor t = Tensor::randn(shape, seed);
    return absolute ? abs_of(t) : t;
  };
  const Tensor tx = operand({2, 4, 5, 6}, 1), tw = operand({4, 3, 3, 2}, 2), tb = operand({6}, 3);
  const Shape t_out = validate_conv_transpose2d(tx.shape(), tw.shape(), std::nullopt, kTransposed).output_shape();
  const Tensor cx = operand({2, 4, 9, 8}, 4), cw = operand({6, 2, 3, 2}, 5), cb = operand({6}, 6);
  const Shape c_out = validate_conv2d(cx.shape(), cw.shape(), std::nullopt, kConv).output_shape();
  const Tensor image = operand({1, 2, 3, 4}, 7), target = operand({1, 2, 3, 4}, 8);
  switch (op) {
    case Op::ConvTranspose2d: return {backend.conv_transpose2d(tx, tw, &tb, kTransposed)};
    case Op::ConvTranspose2dGradInput:
      return {backend.conv_transpose2d_grad_input(tx.shape(), tw, operand(t_out, 9), kTransposed)};
    case Op::ConvTranspose2dGradWeight: {
      const WeightGradients g = backend.conv_transpose2d_grad_weight(tx, tw.shape(), operand(t_out, 9), true, kTransposed);
      return {g.grad_weight, *g.grad_bias};
    }
    case Op::Conv2d: return {backend.conv2d(cx, cw, &cb, kConv)};
    case Op::Conv2dGradInput: return {backend.conv2d_grad_input(cx.shape(), cw, operand(c_out, 10), kConv)};
    case Op::Conv2dGradWeight: {
      const WeightGradients g = backend.conv2d_grad_weight(cx, cw.shape(), operand(c_out, 10), true, kConv);
      return {g.grad_weight, *g.grad_bias};
    }
    case Op::Interpolate: return {backend.interpolate(image, bilinear_by_two())};
    case Op::InterpolateBackward:
      return {backend.interpolate_backward(operand({1, 2, 6, 6}, 11), image.shape(), bilinear_by_two())};
    case Op::PixelShuffle: return {backend.pixel_shuffle(operand({1, 8, 3, 2}, 12), 2)};
    case Op::PixelUnshuffle: return {backend.pixel_unshuffle(operand({1, 2, 6, 4}, 13), 2)};
    case Op::Activation: return {backend.activation(image, Activation::LeakyReLU, 0.2f)};
    case Op::ActivationBackward:
      return {backend.activation_backward(image, target, Activation::Tanh, 0.0f)};
    case Op::Loss:
      return {Tensor::full({1}, static_cast<float>(backend.loss(LossKind::Mse, image, target))),
              Tensor::full({1}, static_cast<float>(backend.loss(LossKind::L1, image, target)))};
    case Op::LossBackward:
      return {backend.loss_backward(LossKind::Mse, image, target), backend.loss_backward(LossKind::L1, image, target)};
  }
  return {};
}

// The convolutions are the ops whose request carries convolution parameters.
bool is_convolution(Op op) {
  const OpRequest request = request_for(op);
  return std::holds_alternative<ConvTranspose2dParams>(request.params) ||
         std::holds_alternative<Conv2dParams>(request.params);
}

class EveryOpOnEveryBackend : public ::testing::TestWithParam<std::tuple<std::string, Op>> {};

TEST_P(EveryOpOnEveryBackend, RunsAndAgreesWithTheReferenceOrDeclinesWithAReason) {
  const auto& [name, op] = GetParam();
  const Backend& backend = backend_by_name(name);
  const Availability availability = backend.availability();
  if (!availability.available) GTEST_SKIP() << "backend '" << name << "' skipped: " << availability.reason;
  const OpRequest request = request_for(op);
  const Support support = backend.supports(request);
  if (!support.supported) {
    EXPECT_FALSE(support.reason.empty());
    const Dispatch chosen = dispatch(name, request);
    ASSERT_NE(chosen.backend, &backend);
    ASSERT_FALSE(chosen.declined.empty());
    EXPECT_EQ(chosen.declined.front(), name + ": " + support.reason);
    return;
  }
  EXPECT_EQ(dispatch(name, request).backend, &backend);
  const Backend& reference = backend_by_name("reference");
  const std::vector<Tensor> actual = run_op(backend, op), expected = run_op(reference, op);
  const std::vector<Tensor> scale = is_convolution(op) ? run_op(reference, op, true) : expected;
  ASSERT_EQ(actual.size(), expected.size());
  // TF32 keeps 10 mantissa bits in its products; everything else is exact float32 arithmetic.
  const double tolerance = name == "cuda-tf32" ? 2e-3 : 1e-5;
  for (size_t i = 0; i < actual.size(); ++i) {
    const Tensor bound = is_convolution(op) ? scale[i] : Tensor::full(expected[i].shape(), 1.0f);
    EXPECT_TRUE(testing::all_close_to_scale(actual[i], expected[i], bound, tolerance)) << op_name(op) << " output " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, EveryOpOnEveryBackend,
                         ::testing::Combine(::testing::ValuesIn(backend_names()), ::testing::ValuesIn(all_ops())),
                         [](const auto& info) {
                           std::string name = std::get<0>(info.param) + "_" + op_name(std::get<1>(info.param));
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

// The one answer to what "auto" picks: the GPU when it answers and passes its self-check, else the fast CPU path;
// never the reference or TF32 for a convolution either backend runs.
TEST(BackendOps, AutoPicksCudaWhenADeviceAnswersElseCpu) {
  const bool gpu = backend_by_name("cuda").availability().available;
  const std::string expected = gpu ? "cuda" : "cpu";
  EXPECT_EQ(select_backend("auto", ConvTranspose2dParams{}).name(), expected);
  EXPECT_EQ(dispatch("auto", request_for(Op::Conv2d)).backend->name(), expected);
  EXPECT_EQ(dispatch("auto", request_for(Op::ConvTranspose2dGradInput)).backend->name(), expected);
  // grad_weight runs on the CPU on every machine; the GPU's decline is recorded when there is one.
  const Dispatch weight = dispatch("auto", request_for(Op::ConvTranspose2dGradWeight));
  EXPECT_EQ(weight.backend->name(), "cpu");
  EXPECT_EQ(weight.declined.size(), gpu ? 1u : 0u);
  // An element-wise op ends on the reference, each faster backend's reason recorded.
  const Dispatch shuffle = dispatch("auto", request_for(Op::PixelShuffle));
  EXPECT_EQ(shuffle.backend->name(), "reference");
  ASSERT_FALSE(shuffle.declined.empty());
  EXPECT_EQ(shuffle.declined.back().rfind("cpu: ", 0), 0u) << shuffle.declined.back();
}

TEST(BackendOps, EntryPointsRunTheDefaultBackend) {
  struct Restore {
    ~Restore() { set_default_backend("auto"); }
  } restore;
  EXPECT_EQ(default_backend(), "auto");
  const Tensor x = Tensor::randn({1, 2, 3, 3}, 1), w = Tensor::randn({2, 2, 3, 3}, 2);
  const Tensor fast = conv_transpose2d(x, w, std::nullopt, 2, 1, 1);
  EXPECT_TRUE(last_fallbacks().empty());
  set_default_backend("reference");
  EXPECT_EQ(default_backend(), "reference");
  const Tensor slow = conv_transpose2d(x, w, std::nullopt, 2, 1, 1);
  const ConvTranspose2dParams params{IntPair(2), IntPair(1), IntPair(1), IntPair(1), 1};
  EXPECT_TRUE(testing::all_close_to_scale(fast, slow, testing::conv_transpose2d_term_scale(x, w, nullptr, params), 1e-5));
  set_default_backend("cpu");
  pixel_shuffle(Tensor::randn({1, 4, 2, 2}, 3), 2);
  ASSERT_EQ(last_fallbacks().size(), 1u);
  EXPECT_EQ(last_fallbacks().front().rfind("cpu: pixel_shuffle", 0), 0u) << last_fallbacks().front();
  EXPECT_THROW(set_default_backend("tpu"), Error);
  EXPECT_EQ(default_backend(), "cpu");
}

TEST(BackendOps, BackwardEntryPointsAgreeWithTheReference) {
  const Tensor x = Tensor::randn({2, 4, 5, 6}, 1), w = Tensor::randn({4, 3, 3, 2}, 2);
  const Shape out = validate_conv_transpose2d(x.shape(), w.shape(), std::nullopt, kTransposed).output_shape();
  const Tensor gy = Tensor::randn(out, 3);
  const ConvGradients fast = conv_transpose2d_backward(x, w, true, gy, kTransposed);
  const ConvGradients expected = conv_transpose2d_backward_reference(x, w, true, gy, kTransposed);
  const ConvGradients scale = conv_transpose2d_backward_reference(abs_of(x), abs_of(w), true, abs_of(gy), kTransposed);
  EXPECT_TRUE(testing::all_close_to_scale(fast.grad_input, expected.grad_input, scale.grad_input, 1e-5));
  EXPECT_TRUE(testing::all_close_to_scale(fast.grad_weight, expected.grad_weight, scale.grad_weight, 1e-5));
  EXPECT_TRUE(testing::all_close_to_scale(*fast.grad_bias, *expected.grad_bias, *scale.grad_bias, 1e-5));
  // conv2d's backward through its entry point, without a bias this time.
  const Tensor cx = Tensor::randn({2, 4, 9, 8}, 4), cw = Tensor::randn({6, 2, 3, 2}, 5);
  const Tensor cgy = Tensor::randn(validate_conv2d(cx.shape(), cw.shape(), std::nullopt, kConv).output_shape(), 6);
  const ConvGradients c = conv2d_backward(cx, cw, false, cgy, kConv);
  const ConvGradients c_expected = conv2d_backward_reference(cx, cw, false, cgy, kConv);
  const ConvGradients c_scale = conv2d_backward_reference(abs_of(cx), abs_of(cw), false, abs_of(cgy), kConv);
  EXPECT_FALSE(c.grad_bias.has_value());
  EXPECT_TRUE(testing::all_close_to_scale(c.grad_input, c_expected.grad_input, c_scale.grad_input, 1e-5));
  EXPECT_TRUE(testing::all_close_to_scale(c.grad_weight, c_expected.grad_weight, c_scale.grad_weight, 1e-5));
}

}  // namespace
}  // namespace convt
