// Coverage, the checkerboard verdict, the measured artifact score, the size solver and the weight initialisers,
// each against a brute-force definition from MATH.md or a hand-checked value.
#include "random_config.h"
#include "test_util.h"

#include <convt/analysis.h>
#include <convt/error.h>
#include <convt/ops.h>
#include <convt/shape.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <regex>
#include <set>
#include <vector>

namespace convt {
namespace {

ConvTranspose2dGeometry geometry_for(int64_t h, int64_t w, IntPair kernel, const ConvTranspose2dParams& p) {
  return validate_conv_transpose2d({1, 1, h, w}, {1, 1, kernel.h, kernel.w}, std::nullopt, p);
}
ConvTranspose2dParams params_with(IntPair stride, IntPair padding = 0, IntPair dilation = 1, IntPair op = 0) {
  ConvTranspose2dParams p;
  p.stride = stride, p.padding = padding, p.dilation = dilation, p.output_padding = op;
  return p;
}
std::vector<int64_t> sorted(std::vector<int64_t> v) { return std::sort(v.begin(), v.end()), v; }
std::vector<float> values(const Tensor& t) { return {t.data(), t.data() + t.numel()}; }
std::vector<float> outer(const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<float> out;
  for (float u : a)
    for (float v : b) out.push_back(u * v);
  return out;
}

// ---- Coverage counts ----------------------------------------------------------------------------------------

// counts[oy, ox] = #(input pixel, tap) pairs landing there, borders included; in the fully covered interior it
// is the product of the two axes' taps_by_phase.
TEST(CoverageReport, CountsMatchBruteForceOnRandomConfigs) {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 120; ++trial) {
    const testing::RandomCase c = testing::random_conv_transpose2d_case(rng);
    const ConvTranspose2dParams& p = c.params;
    const ConvTranspose2dGeometry g = validate_conv_transpose2d(c.input.shape(), c.weight.shape(), std::nullopt, p);
    const CoverageReport r = coverage_report(g, p);
    SCOPED_TRACE("trial " + std::to_string(trial));
    ASSERT_EQ(IntPair(r.out_h, r.out_w), IntPair(g.out_h, g.out_w));
    std::vector<int64_t> expected(static_cast<size_t>(g.out_h * g.out_w), 0);
    testing::for_each_landing(g, p, [&](int64_t, int64_t, int64_t, int64_t, int64_t oy, int64_t ox) {
      ++expected[static_cast<size_t>(oy * g.out_w + ox)];
    });
    ASSERT_EQ(r.counts, expected);
    // An axis position is fully covered when every tap that could reach it comes from an existing input.
    auto full = [](int64_t o, int64_t i, int64_t k, int64_t s, int64_t pad, int64_t d) {
      for (int64_t j = 0; j < k; ++j) {
        const int64_t t = o + pad - j * d;
        if (t % s == 0 && (t < 0 || t / s >= i)) return false;
      }
      return true;
    };
    for (int64_t oy = 0; oy < g.out_h; ++oy)
      for (int64_t ox = 0; ox < g.out_w; ++ox)
        if (full(oy, g.in_h, g.kernel_h, p.stride.h, p.padding.h, p.dilation.h) &&
            full(ox, g.in_w, g.kernel_w, p.stride.w, p.padding.w, p.dilation.w)) {
          ASSERT_EQ(expected[static_cast<size_t>(oy * g.out_w + ox)],
                    r.height.taps_by_phase[static_cast<size_t>((oy + p.padding.h) % p.stride.h)] *
                        r.width.taps_by_phase[static_cast<size_t>((ox + p.padding.w) % p.stride.w)]);
        }
    EXPECT_EQ(r.verdict, std::max(r.height.verdict, r.width.verdict));
  }
}

// ---- The verdict --------------------------------------------------------------------------------------------

// For every k <= 7, s <= 6, d <= 5: the phase counts from actually landing taps on a long axis, and the
// verdict by its definition, by axis_coverage and by the closed form of MATH.md all agree.
TEST(VerdictAxisCoverage, MatchesBruteForceAndClosedFormForAllSmallGeometries) {
  std::set<OverlapVerdict> seen;
  for (int64_t k = 1; k <= 7; ++k)
    for (int64_t s = 1; s <= 6; ++s)
      for (int64_t d = 1; d <= 5; ++d)
        for (int64_t pad : {0, 2}) {
          const int64_t inputs = k * d + 3 * s, first = d * (k - 1);  // positions from `first` on are interior
          std::vector<int64_t> by_phase(static_cast<size_t>(s), 0);
          for (int64_t o = first; o < first + s; ++o)
            for (int64_t i = 0; i < inputs; ++i)
              for (int64_t j = 0; j < k; ++j) by_phase[static_cast<size_t>((o + pad) % s)] += i * s - pad + j * d == o;
          const auto [lo, hi] = std::minmax_element(by_phase.begin(), by_phase.end());
          const OverlapVerdict expected = *lo == 0 ? OverlapVerdict::Holes
                                          : *lo == *hi ? OverlapVerdict::Even
                                                       : OverlapVerdict::Uneven;
          const AxisCoverage a = axis_coverage(k, s, d, pad);
          SCOPED_TRACE("k " + std::to_string(k) + " s " + std::to_string(s) + " d " + std::to_string(d));
          ASSERT_EQ(a.taps_by_phase, by_phase);
          ASSERT_EQ(std::make_pair(a.min_taps, a.max_taps), std::make_pair(*lo, *hi));
          ASSERT_EQ(a.verdict, expected);
          ASSERT_EQ(closed_form_verdict(k, s, d), expected);
          ASSERT_EQ(std::make_tuple(a.kernel, a.stride, a.dilation, a.padding), std::make_tuple(k, s, d, pad));
          seen.insert(expected);
        }
  EXPECT_EQ(seen.size(), 3u);  // the sweep reaches all three verdicts
}

IntPair parse_pair(const std::string& text) {  // "2" or "(2, 3)", as to_string(IntPair) writes them
  if (text[0] != '(') return std::stoll(text);
  return {std::stoll(text.substr(1)), std::stoll(text.substr(text.find(',') + 1))};
}

// When the fix claims to keep the output size, its padding / output_padding with the suggested kernel and
// dilation must really give that size, obey the op rule, and the suggested geometry must be Even.
void check_fix(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& p, const CoverageReport& r) {
  ASSERT_EQ(closed_form_verdict(r.suggested_kernel.h, p.stride.h, r.suggested_dilation.h), OverlapVerdict::Even);
  ASSERT_EQ(closed_form_verdict(r.suggested_kernel.w, p.stride.w, r.suggested_dilation.w), OverlapVerdict::Even);
  static const std::regex keeps(
      R"(, padding (\(\d+, \d+\)|\d+), output_padding (\(\d+, \d+\)|\d+) \(keeps the (\d+)x(\d+) output\))");
  std::smatch m;
  if (!std::regex_search(r.fix, m, keeps)) return;
  const IntPair pad = parse_pair(m[1]), op = parse_pair(m[2]);
  ASSERT_EQ(IntPair(std::stoll(m[3]), std::stoll(m[4])), IntPair(g.out_h, g.out_w));
  for (int axis = 0; axis < 2; ++axis) {
    const int64_t s = p.stride[axis], d = r.suggested_dilation[axis];
    EXPECT_TRUE(op[axis] < s || op[axis] < d) << r.fix;
    EXPECT_EQ(transposed_axis_size(axis ? g.in_w : g.in_h, r.suggested_kernel[axis], s, pad[axis], op[axis], d).output,
              axis ? g.out_w : g.out_h)
        << r.fix;
  }
}

TEST(VerdictCoverageReport, KnownCases) {
  const ConvTranspose2dParams s2p1 = params_with(2, 1), s2 = params_with(2), s2d2 = params_with(2, 0, 2);
  // k3 s2: the textbook checkerboard, 2 and 1 taps per axis, 4 vs 1 in 2-D; k4 is the fix (p 2, op 1 keeps 15).
  const ConvTranspose2dGeometry g3 = geometry_for(8, 8, 3, s2p1);
  const CoverageReport k3 = coverage_report(g3, s2p1);
  EXPECT_STREQ(to_string(k3.verdict), "Uneven overlap");
  EXPECT_DOUBLE_EQ(k3.max_min_ratio, 4.0);
  EXPECT_EQ(sorted(k3.height.taps_by_phase), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(sorted(k3.width.taps_by_phase), (std::vector<int64_t>{1, 2}));
  for (const char* part : {"kernel_size 4", "interpolate", "keeps the 15x15 output"})
    EXPECT_NE(k3.fix.find(part), std::string::npos) << k3.fix;
  EXPECT_EQ(k3.suggested_kernel, IntPair(4, 4));
  EXPECT_EQ(k3.suggested_dilation, IntPair(1, 1));
  check_fix(g3, s2p1, k3);
  // k4 s2: every interior output gets 2x2 taps; nothing to fix.
  const CoverageReport k4 = coverage_report(geometry_for(8, 8, 4, s2p1), s2p1);
  EXPECT_STREQ(to_string(k4.verdict), "Even");
  EXPECT_DOUBLE_EQ(k4.max_min_ratio, 1.0);
  EXPECT_TRUE(k4.fix.empty());
  EXPECT_EQ(k4.suggested_kernel, IntPair(4, 4));
  // k1 s2: every other output holds only the bias.
  const ConvTranspose2dGeometry g1 = geometry_for(5, 5, 1, s2);
  const CoverageReport k1 = coverage_report(g1, s2);
  EXPECT_STREQ(to_string(k1.verdict), "Holes");
  EXPECT_TRUE(std::isinf(k1.max_min_ratio));
  EXPECT_EQ(sorted(k1.height.taps_by_phase), (std::vector<int64_t>{0, 1}));
  EXPECT_NE(k1.fix.find("interpolate"), std::string::npos);
  EXPECT_EQ(k1.suggested_kernel, IntPair(2, 2));
  check_fix(g1, s2, k1);
  // k2 s2 d2: k >= s, yet gcd(s, d) = 2 leaves holes: counts {2, 0}; the fix drops the dilation.
  const ConvTranspose2dGeometry g2 = geometry_for(6, 6, 2, s2d2);
  const CoverageReport k2 = coverage_report(g2, s2d2);
  EXPECT_EQ(k2.verdict, OverlapVerdict::Holes);
  EXPECT_EQ(sorted(k2.width.taps_by_phase), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(k2.suggested_dilation, IntPair(1, 1));
  check_fix(g2, s2d2, k2);
  // Mixed axes: the worse axis decides (Holes > Uneven > Even).
  const ConvTranspose2dParams mixed = params_with({2, 3});
  EXPECT_EQ(coverage_report(geometry_for(6, 6, {4, 4}, mixed), mixed).verdict, OverlapVerdict::Uneven);
  EXPECT_EQ(coverage_report(geometry_for(6, 6, {3, 2}, mixed), mixed).verdict, OverlapVerdict::Holes);
}

TEST(VerdictCoverageReport, FixIsEvenAndKeepsTheOutputOnRandomConfigs) {
  std::mt19937_64 rng(23);
  for (int trial = 0; trial < 150; ++trial) {
    const testing::RandomCase c = testing::random_conv_transpose2d_case(rng);
    const ConvTranspose2dParams& p = c.params;
    const ConvTranspose2dGeometry g = validate_conv_transpose2d(c.input.shape(), c.weight.shape(), std::nullopt, p);
    const CoverageReport r = coverage_report(g, p);
    SCOPED_TRACE("trial " + std::to_string(trial) + ": " + r.fix);
    ASSERT_EQ(r.fix.empty(), r.verdict == OverlapVerdict::Even);  // a fix exactly when something needs one
    ASSERT_FALSE(r.explanation.empty());
    if (r.verdict != OverlapVerdict::Even) check_fix(g, p, r);
  }
}

// ---- Measured artifact score --------------------------------------------------------------------------------

Tensor separable(const std::vector<float>& a) {
  return Tensor::from_data({1, 1, static_cast<int64_t>(a.size()), static_cast<int64_t>(a.size())}, outer(a, a));
}
ArtifactScore score_of(const Tensor& x, const Tensor& w, const ConvTranspose2dParams& p) {
  return artifact_score(conv_transpose2d_reference(x, w, nullptr, p), p, {w.size(2), w.size(3)});
}

TEST(ArtifactScore, GeometryAndWeightsBothCount) {
  const Tensor ones = Tensor::ones({1, 1, 16, 16});
  const ConvTranspose2dParams s2p1 = params_with(2, 1);
  // Even geometry, flat weights, flat input: a flat output.
  const ArtifactScore flat = score_of(ones, Tensor::ones({1, 1, 4, 4}), s2p1);
  EXPECT_LT(flat.score, 0.02);
  EXPECT_EQ(flat.level, "none");
  // k3 s2: the interior output is 4, 2, 2 or 1 by phase alone.
  const ArtifactScore checker = score_of(ones, Tensor::ones({1, 1, 3, 3}), s2p1);
  EXPECT_GT(checker.score, 0.99);  // a function of the phase alone scores 1 (analysis.h)
  EXPECT_EQ(checker.level, "strong");
  // Output 31: the fully covered outputs are [d(k-1) - p, (i-1)s - p] = [1, 29] per axis.
  EXPECT_EQ(checker.interior_pixels, 29 * 29);
  // Phase ((oy + p) mod 2, (ox + p) mod 2): residue 0 gets taps 0 and 2, residue 1 gets tap 1.
  EXPECT_EQ(checker.phase_means, (std::vector<double>{4, 2, 2, 1}));
  // Learned weights can cancel the geometry: [.5 1 .5] puts 1 on each phase although the verdict is Uneven.
  const ArtifactScore cancelled = score_of(ones, separable({0.5f, 1, 0.5f}), s2p1);
  EXPECT_LT(cancelled.score, 0.02);
  EXPECT_EQ(cancelled.level, "none");
  EXPECT_EQ(coverage_report(geometry_for(16, 16, 3, s2p1), s2p1).verdict, OverlapVerdict::Uneven);
  // ... or create artifacts on an Even geometry: [1 0 1 0] feeds one phase only.
  const ArtifactScore created = score_of(ones, separable({1, 0, 1, 0}), s2p1);
  EXPECT_GT(created.score, 0.99);  // 4 on one phase, 0 on the other three
  EXPECT_EQ(created.level, "strong");
  EXPECT_EQ(coverage_report(geometry_for(16, 16, 4, s2p1), s2p1).verdict, OverlapVerdict::Even);
}

// The bilinear kernel on smooth images (a ramp, a slow sinusoid) leaves no phase structure.
TEST(ArtifactScore, BilinearKernelOnSmoothImagesScoresNone) {
  Tensor ramp({1, 1, 24, 24}), wave({1, 1, 24, 24});
  for (int64_t y = 0; y < 24; ++y)
    for (int64_t x = 0; x < 24; ++x) {
      ramp.at(0, 0, y, x) = static_cast<float>(0.5 * y + 0.25 * x);
      wave.at(0, 0, y, x) = static_cast<float>(std::sin(0.3 * y) * std::cos(0.2 * x));
    }
  const Tensor w = make_weight(WeightInit::Bilinear, {1, 1, 4, 4}, 0);
  for (const Tensor* image : {&ramp, &wave}) {
    const ArtifactScore a = score_of(*image, w, params_with(2, 1));
    EXPECT_LT(a.score, 0.02);
    EXPECT_EQ(a.level, "none");
  }
}

// ---- Size solver --------------------------------------------------------------------------------------------

TEST(SizeSolver, SolvePaddingFindsExactlyTheValidAnswers) {
  std::mt19937_64 rng(41);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  int solvable = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const int64_t i = pick(1, 10), k = pick(1, 7), s = pick(1, 5), d = pick(1, 4), wanted = pick(1, 60);
    const std::vector<PaddingChoice> choices = solve_padding(i, k, s, d, wanted);
    std::set<std::pair<int64_t, int64_t>> got, expected;
    for (const PaddingChoice& c : choices) {
      EXPECT_GE(c.padding, 0);
      EXPECT_TRUE(c.output_padding >= 0 && (c.output_padding < s || c.output_padding < d));
      EXPECT_EQ(transposed_axis_size(i, k, s, c.padding, c.output_padding, d).output, wanted);
      got.insert({c.padding, c.output_padding});
    }
    for (int64_t p = 0; p <= 64; ++p)
      for (int64_t op = 0; op < std::max(s, d); ++op)
        if (transposed_axis_size(i, k, s, p, op, d).output == wanted) expected.insert({p, op});
    ASSERT_EQ(got, expected) << "i " << i << " k " << k << " s " << s << " d " << d << " wanted " << wanted;
    solvable += !expected.empty();
  }
  EXPECT_GT(solvable, 100);
  EXPECT_TRUE(solve_padding(0, 3, 2, 1, 5).empty());
  EXPECT_TRUE(solve_padding(4, 3, 2, 1, 0).empty());
}

TEST(SizeSolver, Conv2dInputsMappingToIsTheOutputPaddingAmbiguity) {
  std::mt19937_64 rng(43);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  int indexed = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const int64_t o = pick(1, 30), k = pick(1, 6), s = pick(1, 5), p = pick(0, 4), d = pick(1, 3);
    const std::vector<ForwardInput> inputs = conv2d_inputs_mapping_to(o, k, s, p, d);
    std::vector<int64_t> sizes, expected;
    for (const ForwardInput& f : inputs) sizes.push_back(f.input);
    for (int64_t i = 1; i <= 200; ++i)
      if (i + 2 * p >= d * (k - 1) + 1 && conv_axis_size(i, k, s, p, d) == o) expected.push_back(i);
    ASSERT_EQ(sizes, expected) << "o " << o << " k " << k << " s " << s << " p " << p << " d " << d;
    ASSERT_LE(static_cast<int64_t>(inputs.size()), s);
    // The transposed conv with each listed output_padding (always < s, so allowed) produces that input size.
    for (const ForwardInput& f : inputs) {
      ++indexed;
      EXPECT_LT(f.output_padding, s);
      EXPECT_EQ(transposed_axis_size(o, k, s, p, f.output_padding, d).output, f.input)
          << "o " << o << " k " << k << " s " << s << " p " << p << " d " << d << " op " << f.output_padding;
    }
  }
  EXPECT_GT(indexed, 200);
}

// A stride of 10^9 has half a billion answers and a billion phases: the solvers list the first few and the
// analysis counts phases without visiting them, so each call is immediate.
TEST(SizeSolver, HugeStridesListTheFirstAnswersAndAnalysisStaysCheap) {
  const int64_t s = 1000000000;
  const std::vector<PaddingChoice> choices = solve_padding(1, 3, s, 1, 3);
  ASSERT_EQ(static_cast<int64_t>(choices.size()), kMaxListedAnswers);
  for (size_t i = 0; i < choices.size(); ++i) {
    EXPECT_EQ(choices[i].output_padding, static_cast<int64_t>(2 * i));
    EXPECT_EQ(transposed_axis_size(1, 3, s, choices[i].padding, choices[i].output_padding, 1).output, 3);
  }
  const std::vector<ForwardInput> inputs = conv2d_inputs_mapping_to(3, 3, s, 0, 1);
  ASSERT_EQ(static_cast<int64_t>(inputs.size()), kMaxListedAnswers);
  EXPECT_EQ(inputs.front().input, 2 * s + 3);
  const AxisCoverage a = axis_coverage(3, s, 1, 0);
  EXPECT_TRUE(a.taps_by_phase.empty());
  EXPECT_EQ(a.phases_without_taps, s - 3);
  EXPECT_EQ(a.verdict, OverlapVerdict::Holes);
  const AxisCoverage listed = axis_coverage(3, 4, 2, 0);  // taps on phases 0, 2, 0
  EXPECT_EQ(listed.taps_by_phase, (std::vector<int64_t>{2, 0, 1, 0}));
  EXPECT_EQ(listed.phases_without_taps, 2);

  const ConvTranspose2dParams params{IntPair(s), IntPair(0), IntPair(0), IntPair(1), 1};
  const Tensor input = Tensor::randn({1, 2, 1, 1}, 1), weight = Tensor::randn({2, 3, 3, 3}, 2);
  const Tensor output = conv_transpose2d_reference(input, weight, nullptr, params);
  const CoverageReport report = coverage_report(
      validate_conv_transpose2d(input.shape(), weight.shape(), std::nullopt, params), params);
  EXPECT_EQ(report.verdict, OverlapVerdict::Holes);
  EXPECT_EQ(artifact_score(output, params, {3, 3}).level, "n/a") << "each pixel of a 3x3 output is its own phase";
}

// ---- Weight initialisers ------------------------------------------------------------------------------------

TEST(WeightInit, StructuredKernels) {
  const std::vector<float> k4{0.25f, 0.75f, 0.75f, 0.25f}, k3{0.5f, 1, 0.5f};
  EXPECT_EQ(values(bilinear_kernel({4, 4})), outer(k4, k4));  // the FCN kernel
  EXPECT_EQ(values(bilinear_kernel({3, 3})), outer(k3, k3));
  EXPECT_EQ(values(bilinear_kernel({3, 4})), outer(k3, k4));
  EXPECT_EQ(values(make_weight(WeightInit::Bilinear, {1, 1, 4, 4}, 0)), outer(k4, k4));
  // groups = 1, C_in = C_out: each channel upsampled on its own (kernel on the diagonal, zeros elsewhere).
  const std::vector<float> diag = values(make_weight(WeightInit::Bilinear, {3, 3, 3, 3}, 0)), k33 = outer(k3, k3);
  for (int64_t ci = 0; ci < 3; ++ci)
    for (int64_t co = 0; co < 3; ++co)
      EXPECT_EQ(std::vector<float>(diag.begin() + (ci * 3 + co) * 9, diag.begin() + (ci * 3 + co + 1) * 9),
                ci == co ? k33 : std::vector<float>(9, 0.0f));
  EXPECT_EQ(values(make_weight(WeightInit::Nearest, {1, 1, 2, 3}, 0)), std::vector<float>(6, 1.0f));
  for (int64_t k : {3, 5}) {
    const Tensor impulse = make_weight(WeightInit::Impulse, {1, 1, k, k}, 0);
    EXPECT_EQ(std::count(impulse.data(), impulse.data() + impulse.numel(), 1.0f), 1);
    EXPECT_EQ(std::count(impulse.data(), impulse.data() + impulse.numel(), 0.0f), k * k - 1);
    EXPECT_EQ(impulse.at(0, 0, k / 2, k / 2), 1.0f);
  }
  EXPECT_EQ(values(make_weight(WeightInit::Constant, {2, 3, 2, 2}, 0, 0.5f)), std::vector<float>(24, 0.5f));
  EXPECT_THROW(make_weight(WeightInit::Nearest, {3, 3}, 0), Error);
}

TEST(WeightInit, RandomInitialisersAreSeededAndBounded) {
  const Shape shape{8, 4, 3, 3};  // fan_in = size(1) * kH * kW = 36, not size(0) * ... = 72
  const double bound = 1.0 / std::sqrt(36.0);
  const Tensor kaiming = make_weight(WeightInit::KaimingUniform, shape, 9);
  const auto [lo, hi] = std::minmax_element(kaiming.data(), kaiming.data() + kaiming.numel());
  EXPECT_GE(*lo, -bound);
  EXPECT_LE(*hi, bound);
  EXPECT_LT(*lo, -0.9 * bound);  // fills the range (288 draws)
  EXPECT_GT(*hi, 0.9 * bound);
  for (float v : values(make_weight(WeightInit::Uniform, shape, 9))) ASSERT_TRUE(v >= -1.0f && v <= 1.0f);
  for (WeightInit init : {WeightInit::Normal, WeightInit::Uniform, WeightInit::KaimingUniform}) {
    EXPECT_EQ(values(make_weight(init, shape, 5)), values(make_weight(init, shape, 5))) << to_string(init);
    EXPECT_NE(values(make_weight(init, shape, 5)), values(make_weight(init, shape, 6))) << to_string(init);
  }
}

TEST(WeightInit, ParseRoundTripsAndRejectsUnknownNames) {
  for (WeightInit init : {WeightInit::Bilinear, WeightInit::Nearest, WeightInit::Constant, WeightInit::Impulse,
                          WeightInit::Normal, WeightInit::Uniform, WeightInit::KaimingUniform})
    EXPECT_EQ(parse_weight_init(to_string(init)), init);
  EXPECT_STREQ(to_string(WeightInit::KaimingUniform), "kaiming");
  for (const char* bad : {"", "bicubic", "kaiming_uniform", "bilinear "}) EXPECT_THROW(parse_weight_init(bad), Error);
}

// MATH.md: the FCN bilinear kernel, k = 2s - s%2, p = (k - s + 1)/2, one group per channel (or groups=1 with
// the diagonal weight), is bilinear interpolate (align_corners=False) away from the border.
TEST(WeightInit, BilinearKernelReproducesBilinearInterpolate) {
  const Tensor x = Tensor::randn({2, 3, 7, 9}, 13);
  const double max_x = std::fabs(*std::max_element(x.data(), x.data() + x.numel(),
                                                   [](float a, float b) { return std::fabs(a) < std::fabs(b); }));
  for (int64_t s : {2, 3, 4}) {
    InterpolateParams ip;
    ip.mode = InterpolateMode::Bilinear;
    ip.scale_h = ip.scale_w = static_cast<double>(s);
    const Tensor expected = interpolate_reference(x, ip);
    const int64_t k = 2 * s - s % 2;
    for (int64_t groups : {3, 1}) {
      ConvTranspose2dParams p = params_with(s, (k - s + 1) / 2);
      p.groups = groups;
      const Tensor w = make_weight(WeightInit::Bilinear, {3, 3 / groups, k, k}, 0);
      const Tensor y = conv_transpose2d_reference(x, w, nullptr, p);
      ASSERT_EQ(y.shape(), expected.shape()) << "s " << s;
      for (int64_t n = 0; n < 2; ++n)
        for (int64_t c = 0; c < 3; ++c)
          for (int64_t oy = s; oy < y.size(2) - s; ++oy)
            for (int64_t ox = s; ox < y.size(3) - s; ++ox)
              ASSERT_NEAR(y.at(n, c, oy, ox), expected.at(n, c, oy, ox), 1e-5 * max_x)
                  << "s " << s << " groups " << groups << " at " << oy << "," << ox;
    }
  }
}

}  // namespace
}  // namespace convt
