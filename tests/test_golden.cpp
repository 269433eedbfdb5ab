// The reference ops against golden vectors produced by PyTorch (tests/golden/make_goldens.py, Debian's
// python3-torch). conv goldens were computed in float64 from float32 data, so the bound is float32 rounding of
// the sum of absolute terms; interpolate goldens are PyTorch's float32 results.
#include "golden_util.h"
#include "test_util.h"

#include <convt/ops.h>
#include <convt/reference.h>

#include <string>

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

class GoldenConvTranspose2d : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenConvTranspose2d, ReferenceMatchesPyTorch) {
  const json& entry = GetParam().entry;
  SCOPED_TRACE(entry.at("note").get<std::string>());
  const Tensor x = load(entry, "input"), w = load(entry, "weight"), expected = load(entry, "expected");
  std::optional<Tensor> b;
  if (!entry.at("bias").is_null()) b = load(entry, "bias");
  const ConvTranspose2dParams params = transposed_params(entry);
  const Tensor scale = testing::conv_transpose2d_term_scale(x, w, b ? &*b : nullptr, params);
  // The reference by its own name; then the PyTorch-ordered entry point, which runs the default backend.
  EXPECT_TRUE(testing::all_close_to_scale(conv_transpose2d_reference(x, w, b ? &*b : nullptr, params), expected, scale, 1e-6));
  const Tensor y = conv_transpose2d(x, w, b, params.stride, params.padding, params.output_padding, params.groups,
                                    params.dilation);
  EXPECT_TRUE(testing::all_close_to_scale(y, expected, scale, 1e-6));
}

INSTANTIATE_TEST_SUITE_P(PyTorch, GoldenConvTranspose2d, ::testing::ValuesIn(cases("conv_transpose2d")), case_name);

class GoldenConv2d : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenConv2d, ReferenceMatchesPyTorch) {
  const json& entry = GetParam().entry;
  SCOPED_TRACE(entry.at("note").get<std::string>());
  const Tensor x = load(entry, "input"), w = load(entry, "weight"), expected = load(entry, "expected");
  std::optional<Tensor> b;
  if (!entry.at("bias").is_null()) b = load(entry, "bias");
  const Conv2dParams p = conv2d_params(entry);
  std::optional<Tensor> abs_b;
  if (b) abs_b = testing::abs_of(*b);
  const Tensor scale = conv2d_reference(testing::abs_of(x), testing::abs_of(w), abs_b ? &*abs_b : nullptr, p);
  // The reference by its own name; then the PyTorch-ordered entry point, which runs the default backend.
  EXPECT_TRUE(testing::all_close_to_scale(conv2d_reference(x, w, b ? &*b : nullptr, p), expected, scale, 1e-6));
  const Tensor y = conv2d(x, w, b, p.stride, p.padding, p.dilation, p.groups);
  EXPECT_TRUE(testing::all_close_to_scale(y, expected, scale, 1e-6));
}

INSTANTIATE_TEST_SUITE_P(PyTorch, GoldenConv2d, ::testing::ValuesIn(cases("conv2d")), case_name);

class GoldenInterpolate : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenInterpolate, ReferenceMatchesPyTorch) {
  const json& entry = GetParam().entry;
  SCOPED_TRACE(entry.at("note").get<std::string>());
  const Tensor x = load(entry, "input"), expected = load(entry, "expected");
  InterpolateParams params;
  params.mode = entry.at("mode") == "nearest" ? InterpolateMode::Nearest : InterpolateMode::Bilinear;
  params.align_corners = entry.at("align_corners").get<bool>();
  if (!entry.at("size").is_null()) {
    params.has_size = true;
    params.size = pair(entry, "size");
  } else {
    params.scale_h = entry.at("scale_factor")[0].get<double>();
    params.scale_w = entry.at("scale_factor")[1].get<double>();
  }
  // Interpolation weights sum to 1, so |input| bounds every term's magnitude.
  float max_abs = 0;
  for (int64_t i = 0; i < x.numel(); ++i) max_abs = std::max(max_abs, std::fabs(x[i]));
  const Tensor scale = Tensor::full(expected.shape(), max_abs);
  // The reference by its own name; then the entry point, which runs the default backend.
  EXPECT_TRUE(testing::all_close_to_scale(interpolate_reference(x, params), expected, scale, 2e-6, 0.0));
  const Tensor y = interpolate(x, params);
  EXPECT_TRUE(testing::all_close_to_scale(y, expected, scale, 2e-6, 0.0));
}

INSTANTIATE_TEST_SUITE_P(PyTorch, GoldenInterpolate, ::testing::ValuesIn(cases("interpolate")), case_name);

TEST(GoldenManifest, CoversEveryParameter) {
  bool groups = false, dilation = false, asymmetric = false, op_via_dilation = false, unbatched = false,
       k_below_s = false, one_by_one = false, batch = false, no_bias = false, big_padding = false;
  for (const json& entry : manifest().at("conv_transpose2d")) {
    const Tensor x = load(entry, "input"), w = load(entry, "weight");
    const IntPair s = pair(entry, "stride"), p = pair(entry, "padding"), op = pair(entry, "output_padding"),
                  d = pair(entry, "dilation");
    groups |= entry.at("groups").get<int64_t>() > 1;
    dilation |= d.h > 1 || d.w > 1;
    asymmetric |= s.h != s.w || p.h != p.w || op.h != op.w;
    op_via_dilation |= op.h >= s.h || op.w >= s.w;
    unbatched |= x.dim() == 3;
    k_below_s |= w.size(2) < s.h || w.size(3) < s.w;
    one_by_one |= x.size(-1) == 1 && x.size(-2) == 1;
    batch |= x.dim() == 4 && x.size(0) > 1;
    no_bias |= entry.at("bias").is_null();
    big_padding |= p.h > d.h * (w.size(2) - 1) || p.w > d.w * (w.size(3) - 1);
  }
  EXPECT_TRUE(groups && dilation && asymmetric && op_via_dilation && unbatched && k_below_s && one_by_one && batch &&
              no_bias && big_padding);
}

}  // namespace
}  // namespace convt
