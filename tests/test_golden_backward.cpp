// The reference backward passes against PyTorch autograd goldens (tests/golden/make_goldens.py): for each case,
// y = F.conv_transpose2d(x, w, b, ...) (resp. F.conv2d) in float64, y.backward(g), and the expected x.grad,
// w.grad and b.grad rounded to float32. The bound is float32 rounding of the sum of the absolute terms, which is
// the same backward on |x|, |w| and |g|.
#include "golden_util.h"
#include "test_util.h"

#include <convt/ops.h>

#include <cmath>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace convt {
namespace {

using golden::case_name;
using golden::cases;
using golden::GoldenCase;
using golden::json;
using golden::load;
using golden::manifest;
using golden::conv2d_params;
using golden::pair;
using golden::transposed_params;
using testing::abs_of;
using testing::all_close_to_scale;

constexpr double kRel = 1e-5;

// One case's data and the backward (with the bias flag) that the case checks.
struct BackwardCase {
  Tensor x, w, g;
  bool with_bias = false;
  std::function<ConvGradients(const Tensor&, const Tensor&, const Tensor&)> backward;  // (x, w, grad_output)
};

BackwardCase load_case(const json& entry, bool transposed) {
  BackwardCase c{load(entry, "input"), load(entry, "weight"), load(entry, "grad_output"), !entry.at("bias").is_null(),
                 {}};
  const bool with_bias = c.with_bias;
  if (transposed) {
    const ConvTranspose2dParams params = transposed_params(entry);
    c.backward = [=](const Tensor& x, const Tensor& w, const Tensor& g) {
      return conv_transpose2d_backward_reference(x, w, with_bias, g, params);
    };
  } else {
    const Conv2dParams params = conv2d_params(entry);
    c.backward = [=](const Tensor& x, const Tensor& w, const Tensor& g) {
      return conv2d_backward_reference(x, w, with_bias, g, params);
    };
  }
  return c;
}

// Runs the case's backward and compares every gradient with PyTorch's.
void check_against_golden(const json& entry, bool transposed) {
  SCOPED_TRACE(entry.at("note").get<std::string>());
  const BackwardCase c = load_case(entry, transposed);
  const ConvGradients got = c.backward(c.x, c.w, c.g);
  const ConvGradients scale = c.backward(abs_of(c.x), abs_of(c.w), abs_of(c.g));

  EXPECT_TRUE(all_close_to_scale(got.grad_input, load(entry, "expected_grad_input"), scale.grad_input, kRel))
      << "grad_input";
  EXPECT_TRUE(all_close_to_scale(got.grad_weight, load(entry, "expected_grad_weight"), scale.grad_weight, kRel))
      << "grad_weight";
  if (c.with_bias) {
    ASSERT_FALSE(entry.at("expected_grad_bias").is_null());
    ASSERT_TRUE(got.grad_bias.has_value()) << "the case has a bias but no grad_bias came back";
    ASSERT_TRUE(scale.grad_bias.has_value());
    EXPECT_TRUE(all_close_to_scale(*got.grad_bias, load(entry, "expected_grad_bias"), *scale.grad_bias, kRel))
        << "grad_bias";
  } else {
    EXPECT_TRUE(entry.at("expected_grad_bias").is_null());
    EXPECT_FALSE(got.grad_bias.has_value()) << "the case has no bias but a grad_bias came back";
  }
}

class GoldenConvTranspose2dBackward : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenConvTranspose2dBackward, ReferenceMatchesPyTorchAutograd) { check_against_golden(GetParam().entry, true); }

INSTANTIATE_TEST_SUITE_P(PyTorch, GoldenConvTranspose2dBackward,
                         ::testing::ValuesIn(cases("conv_transpose2d_backward")), case_name);

class GoldenConv2dBackward : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenConv2dBackward, ReferenceMatchesPyTorchAutograd) { check_against_golden(GetParam().entry, false); }

INSTANTIATE_TEST_SUITE_P(PyTorch, GoldenConv2dBackward, ::testing::ValuesIn(cases("conv2d_backward")), case_name);

// The tolerance is tight enough to matter: a 0.1% error in the largest-magnitude element of any gradient of any
// case is rejected.
TEST(GoldenBackwardTolerance, RejectsAPerturbedGolden) {
  for (const char* op : {"conv_transpose2d_backward", "conv2d_backward"}) {
    for (const json& entry : manifest().at(op)) {
      SCOPED_TRACE(std::string(op) + " " + entry.at("name").get<std::string>());
      const BackwardCase c = load_case(entry, std::string(op) == "conv_transpose2d_backward");
      const ConvGradients scale = c.backward(abs_of(c.x), abs_of(c.w), abs_of(c.g));
      std::vector<std::pair<const char*, const Tensor*>> grads{{"expected_grad_input", &scale.grad_input},
                                                               {"expected_grad_weight", &scale.grad_weight}};
      if (c.with_bias) grads.emplace_back("expected_grad_bias", &*scale.grad_bias);
      for (const auto& [key, grad_scale] : grads) {
        const Tensor expected = load(entry, key);
        int64_t largest = 0;
        for (int64_t i = 1; i < expected.numel(); ++i)
          if (std::fabs(expected[i]) > std::fabs(expected[largest])) largest = i;
        ASSERT_GT(std::fabs(expected[largest]), 0.0f) << key;
        Tensor perturbed = expected;
        perturbed[largest] *= 1.001f;
        EXPECT_TRUE(all_close_to_scale(expected, expected, *grad_scale, kRel)) << key;
        EXPECT_FALSE(all_close_to_scale(perturbed, expected, *grad_scale, kRel)) << key;
      }
    }
  }
}

// The goldens vary every parameter, as the forward goldens do.
TEST(GoldenBackwardManifest, CoversEveryParameter) {
  for (const char* op : {"conv_transpose2d_backward", "conv2d_backward"}) {
    SCOPED_TRACE(op);
    const bool transposed = std::string(op) == "conv_transpose2d_backward";
    bool groups = false, dilation = false, asymmetric = false, op_via_dilation = !transposed, unbatched = false,
         k_below_s = false, one_by_one = false, batch = false, bias = false, no_bias = false, big_padding = false;
    EXPECT_GE(manifest().at(op).size(), 8u);
    for (const json& entry : manifest().at(op)) {
      const Tensor x = load(entry, "input"), w = load(entry, "weight");
      const IntPair s = pair(entry, "stride"), p = pair(entry, "padding"), d = pair(entry, "dilation");
      groups |= entry.at("groups").get<int64_t>() > 1;
      dilation |= d.h > 1 || d.w > 1;
      asymmetric |= s.h != s.w || p.h != p.w || d.h != d.w || w.size(2) != w.size(3);
      if (transposed) {
        const IntPair op_pad = pair(entry, "output_padding");
        asymmetric |= op_pad.h != op_pad.w;
        op_via_dilation |= op_pad.h >= s.h || op_pad.w >= s.w;
      }
      unbatched |= x.dim() == 3;
      k_below_s |= w.size(2) < s.h || w.size(3) < s.w;
      one_by_one |= x.size(-1) == 1 && x.size(-2) == 1;
      batch |= x.dim() == 4 && x.size(0) > 1;
      bias |= !entry.at("bias").is_null();
      no_bias |= entry.at("bias").is_null();
      big_padding |= p.h > d.h * (w.size(2) - 1) || p.w > d.w * (w.size(3) - 1);
    }
    EXPECT_TRUE(groups && dilation && asymmetric && op_via_dilation && unbatched && k_below_s && one_by_one &&
                batch && bias && no_bias && big_padding);
  }
}

}  // namespace
}  // namespace convt
