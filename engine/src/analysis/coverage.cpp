// Overlap (coverage) and the checkerboard verdict. In the interior, the kernel taps landing on output o depend
// only on the phase (o + p) mod s: c = #{ j in [0, k) : (j*d) mod s == (o + p) mod s }. Unequal counts across
// phases print a checkerboard; a zero count leaves holes that receive only the bias (MATH.md, Odena et al. 2016).
#include <convt/analysis.h>

#include "../common/phase_geometry.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>

namespace convt {
namespace {

// Exact count of (input index, tap) pairs landing on every output position of one axis, borders included.
std::vector<int64_t> axis_counts(int64_t input, int64_t output, int64_t kernel, int64_t stride, int64_t padding,
                                 int64_t dilation) {
  std::vector<int64_t> counts(static_cast<size_t>(output), 0);
  for (int64_t i = 0; i < input; ++i)
    for (int64_t k = 0; k < kernel; ++k) {
      const int64_t o = i * stride - padding + k * dilation;
      if (o >= 0 && o < output) ++counts[static_cast<size_t>(o)];
    }
  return counts;
}

// The multiple of `stride` nearest to `kernel` (ties go up), at least `stride`.
int64_t nearest_multiple(int64_t kernel, int64_t stride) {
  const int64_t below = (kernel / stride) * stride, above = below + stride;
  if (below < stride) return stride;
  return kernel - below < above - kernel ? below : above;
}

// The dilation nearest to `dilation` that shares no factor with `stride` (ties go down; 1 always qualifies).
int64_t nearest_coprime_dilation(int64_t dilation, int64_t stride) {
  for (int64_t distance = 0;; ++distance) {
    if (dilation - distance >= 1 && std::gcd(dilation - distance, stride) == 1) return dilation - distance;
    if (std::gcd(dilation + distance, stride) == 1) return dilation + distance;
  }
}

std::string axis_label(const char* axis, bool square) { return square ? "" : std::string(" (") + axis + ")"; }

// One sentence on what goes wrong along one axis; "" when the axis is even.
std::string axis_problem(const AxisCoverage& a, const char* axis, bool square) {
  std::ostringstream out;
  const std::string label = axis_label(axis, square);
  if (a.verdict == OverlapVerdict::Holes && std::gcd(a.stride, a.dilation) > 1) {
    out << "dilation " << a.dilation << " shares the factor " << std::gcd(a.stride, a.dilation) << " with stride "
        << a.stride << label << ", so taps land on only some phases and the others receive nothing but the bias";
  } else if (a.verdict == OverlapVerdict::Holes) {
    out << "kernel " << a.kernel << " is smaller than stride " << a.stride << label << ", so "
        << a.phases_without_taps << " of every " << a.stride
        << " outputs receive no tap at all and hold only the bias";
  } else if (a.verdict == OverlapVerdict::Uneven) {
    out << "kernel " << a.kernel << " is not a multiple of stride " << a.stride << label
        << ", so neighbouring outputs receive " << a.max_taps << " and " << a.min_taps << " taps in turn";
  }
  return out.str();
}

}  // namespace

const char* to_string(OverlapVerdict verdict) {
  switch (verdict) {
    case OverlapVerdict::Even: return "Even";
    case OverlapVerdict::Uneven: return "Uneven overlap";
    case OverlapVerdict::Holes: return "Holes";
  }
  return "?";
}

OverlapVerdict closed_form_verdict(int64_t kernel, int64_t stride, int64_t dilation) {
  if (kernel < stride || std::gcd(stride, dilation) > 1) return OverlapVerdict::Holes;
  return kernel % stride == 0 ? OverlapVerdict::Even : OverlapVerdict::Uneven;
}

AxisCoverage axis_coverage(int64_t kernel, int64_t stride, int64_t dilation, int64_t padding) {
  AxisCoverage a;
  a.kernel = kernel;
  a.stride = stride;
  a.dilation = dilation;
  a.padding = padding;
  // Taps land on at most min(k, s) phases: count those, so a huge stride costs nothing; the per-phase list is kept
  // for strides a person can read.
  std::vector<std::pair<int64_t, int64_t>> tapped;  // (phase, taps), the same phase math as the backends
  for (int64_t r : phase::phases_with_taps(kernel, stride, dilation))
    tapped.push_back({r, phase::axis_taps(r, kernel, stride, dilation).count});
  a.phases_without_taps = stride - static_cast<int64_t>(tapped.size());
  a.max_taps = 0;
  a.min_taps = tapped.empty() ? 0 : kernel;
  for (const auto& [phase, taps] : tapped) {
    a.max_taps = std::max(a.max_taps, taps);
    a.min_taps = std::min(a.min_taps, taps);
  }
  if (a.phases_without_taps > 0) a.min_taps = 0;
  if (stride <= kMaxListedPhases) {
    a.taps_by_phase.assign(static_cast<size_t>(stride), 0);
    for (const auto& [phase, taps] : tapped) a.taps_by_phase[static_cast<size_t>(phase)] = taps;
  }
  a.verdict = a.min_taps == 0 ? OverlapVerdict::Holes
              : a.min_taps == a.max_taps ? OverlapVerdict::Even
                                         : OverlapVerdict::Uneven;
  return a;
}

CoverageReport coverage_report(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& p, bool with_map) {
  CoverageReport r;
  r.height = axis_coverage(g.kernel_h, p.stride.h, p.dilation.h, p.padding.h);
  r.width = axis_coverage(g.kernel_w, p.stride.w, p.dilation.w, p.padding.w);
  r.out_h = g.out_h;
  r.out_w = g.out_w;
  r.row_counts = axis_counts(g.in_h, g.out_h, g.kernel_h, p.stride.h, p.padding.h, p.dilation.h);
  r.col_counts = axis_counts(g.in_w, g.out_w, g.kernel_w, p.stride.w, p.padding.w, p.dilation.w);
  if (with_map) {
    r.counts.resize(static_cast<size_t>(g.out_h * g.out_w));
    for (int64_t y = 0; y < g.out_h; ++y)
      for (int64_t x = 0; x < g.out_w; ++x)
        r.counts[static_cast<size_t>(y * g.out_w + x)] = r.row_counts[static_cast<size_t>(y)] * r.col_counts[static_cast<size_t>(x)];
  }

  r.verdict = std::max(r.height.verdict, r.width.verdict);  // Holes > Uneven > Even
  const int64_t min_taps = r.height.min_taps * r.width.min_taps;
  r.max_min_ratio = min_taps == 0 ? std::numeric_limits<double>::infinity()
                                  : static_cast<double>(r.height.max_taps * r.width.max_taps) / min_taps;

  r.suggested_kernel = {g.kernel_h, g.kernel_w};
  r.suggested_dilation = p.dilation;
  r.suggested_padding = p.padding;
  r.suggested_output_padding = p.output_padding;
  if (r.verdict == OverlapVerdict::Even) {
    r.explanation = "Every interior output receives the same number of kernel taps (" +
                    std::to_string(r.height.max_taps * r.width.max_taps) +
                    "), so the geometry alone cannot cause a checkerboard; learned weights still can.";
    return r;
  }

  const bool square = g.kernel_h == g.kernel_w && p.stride.h == p.stride.w && p.dilation.h == p.dilation.w;
  std::string problem = axis_problem(r.height, "height", square);
  if (!square) {
    const std::string width_problem = axis_problem(r.width, "width", square);
    if (problem.empty()) problem = width_problem;
    else if (!width_problem.empty()) problem += "; and " + width_problem;
  }
  problem[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(problem[0])));
  std::ostringstream ratio;
  if (r.verdict == OverlapVerdict::Uneven) ratio << " (max/min " << r.max_min_ratio << " in 2-D)";
  r.explanation = problem + ratio.str() + ".";

  // The fix: coprime dilation and a kernel that is a multiple of the stride, with a padding that keeps the
  // output size when one exists.
  std::ostringstream fix;
  IntPair padding = p.padding, output_padding = p.output_padding;
  bool keeps_size = true;
  for (int axis = 0; axis < 2; ++axis) {
    const AxisCoverage& a = axis == 0 ? r.height : r.width;
    const int64_t dilation = nearest_coprime_dilation(a.dilation, a.stride);
    const int64_t kernel = a.kernel % a.stride == 0 && a.kernel >= a.stride ? a.kernel : nearest_multiple(a.kernel, a.stride);
    (axis == 0 ? r.suggested_dilation.h : r.suggested_dilation.w) = dilation;
    (axis == 0 ? r.suggested_kernel.h : r.suggested_kernel.w) = kernel;
    if (a.verdict == OverlapVerdict::Even) continue;  // this axis keeps its padding
    const int64_t input = axis == 0 ? g.in_h : g.in_w, output = axis == 0 ? g.out_h : g.out_w;
    const std::vector<PaddingChoice> choices = solve_padding(input, kernel, a.stride, dilation, output);
    if (choices.empty()) {
      keeps_size = false;
    } else {
      (axis == 0 ? padding.h : padding.w) = choices.front().padding;
      (axis == 0 ? output_padding.h : output_padding.w) = choices.front().output_padding;
    }
  }
  r.keeps_output_size = keeps_size;
  if (keeps_size) {
    r.suggested_padding = padding;
    r.suggested_output_padding = output_padding;
  }
  fix << "Use kernel_size " << to_string(r.suggested_kernel);
  if (r.suggested_dilation != p.dilation) fix << " with dilation " << to_string(r.suggested_dilation);
  if (keeps_size)
    fix << ", padding " << to_string(padding) << ", output_padding " << to_string(output_padding) << " (keeps the "
        << g.out_h << "x" << g.out_w << " output)";
  const bool pairs_differ = r.suggested_kernel.h != r.suggested_kernel.w || padding.h != padding.w ||
                            output_padding.h != output_padding.w || r.suggested_dilation.h != r.suggested_dilation.w;
  if (pairs_differ) fix << " (pairs are height, width)";
  fix << "; or upsample with nearest/bilinear interpolate and follow with a stride-1 convolution.";
  r.fix = fix.str();
  return r;
}

ArtifactScore artifact_score(const Tensor& output, const ConvTranspose2dParams& params, IntPair kernel,
                             IntPair leading) {
  // The interior: outputs every tap can reach, i.e. away from the partially covered borders. The begin crop is
  // `padding`; the end crop is padding_end when ONNX's pads differ.
  auto border = [](int64_t k, int64_t d, int64_t p) { return std::max<int64_t>(0, d * (k - 1) - p); };
  const IntPair end = params.end_padding();
  const IntPair low{leading.h + border(kernel.h, params.dilation.h, params.padding.h),
                    leading.w + border(kernel.w, params.dilation.w, params.padding.w)};
  const IntPair high{border(kernel.h, params.dilation.h, end.h - params.output_padding.h),
                     border(kernel.w, params.dilation.w, end.w - params.output_padding.w)};
  // Row o' is row o' - leading of the transposed convolution, whose phase is (o + p) mod s.
  auto phase = [](int64_t p, int64_t lead, int64_t s) { return ((p - lead) % s + s) % s; };
  const IntPair offset{phase(params.padding.h, leading.h, params.stride.h),
                       phase(params.padding.w, leading.w, params.stride.w)};
  return artifact_score_in_region(output, params.stride, offset, low, high);
}

ArtifactScore artifact_score_in_region(const Tensor& output, IntPair period, IntPair phase_offset, IntPair border_low,
                                       IntPair border_high) {
  ArtifactScore score;
  const Tensor y = output.dim() == 3 ? output.reshaped({1, output.size(0), output.size(1), output.size(2)}) : output;
  const int64_t planes = y.size(0) * y.size(1), OH = y.size(2), OW = y.size(3);
  const int64_t sh = period.h, sw = period.w;
  auto interior = [](int64_t size, int64_t low, int64_t high, int64_t s) {
    const int64_t begin = std::max<int64_t>(0, low), end = std::min<int64_t>(size, size - std::max<int64_t>(0, high));
    if (end - begin < s) return std::pair<int64_t, int64_t>{0, size};  // too small: measure everything
    return std::pair<int64_t, int64_t>{begin, end};
  };
  const auto [y0, y1] = interior(OH, border_low.h, border_high.h, sh);
  const auto [x0, x1] = interior(OW, border_low.w, border_high.w, sw);
  score.interior_pixels = (y1 - y0) * (x1 - x0);
  if (y1 - y0 <= sh && x1 - x0 <= sw) {
    // Every measured pixel is a phase of its own: the phase "explains" everything, which says nothing.
    score.level = "n/a";
    return score;
  }

  // Phase ids per row and column: (o + p) mod s, numbered compactly so a stride larger than the output costs no
  // more than the output (each row or column is then its own phase).
  auto phase_ids = [](int64_t size, int64_t padding, int64_t stride, int64_t& count) {
    std::vector<size_t> ids(static_cast<size_t>(size));
    count = std::min(size, stride);
    for (int64_t o = 0; o < size; ++o) ids[static_cast<size_t>(o)] = static_cast<size_t>(stride <= size ? (o + padding) % stride : o);
    return ids;
  };
  int64_t phase_rows = 0, phase_cols = 0;
  const std::vector<size_t> row_phase = phase_ids(OH, phase_offset.h, sh, phase_rows);
  const std::vector<size_t> col_phase = phase_ids(OW, phase_offset.w, sw, phase_cols);
  const size_t phases = static_cast<size_t>(phase_rows * phase_cols);
  score.phase_means.assign(phases, 0.0);
  double between = 0, total = 0, squares = 0;
  for (int64_t plane = 0; plane < planes; ++plane) {
    std::vector<double> sum(phases, 0.0);
    std::vector<int64_t> count(phases, 0);
    double plane_sum = 0;
    for (int64_t oy = y0; oy < y1; ++oy)
      for (int64_t ox = x0; ox < x1; ++ox) {
        const double v = y[(plane * OH + oy) * OW + ox];
        const size_t phase = row_phase[static_cast<size_t>(oy)] * static_cast<size_t>(phase_cols) + col_phase[static_cast<size_t>(ox)];
        sum[phase] += v;
        ++count[phase];
        plane_sum += v;
        squares += v * v;
      }
    const double mean = plane_sum / static_cast<double>(score.interior_pixels);
    for (int64_t oy = y0; oy < y1; ++oy)
      for (int64_t ox = x0; ox < x1; ++ox) {
        const double v = y[(plane * OH + oy) * OW + ox];
        total += (v - mean) * (v - mean);
      }
    for (size_t r = 0; r < phases; ++r) {
      if (!count[r]) continue;
      const double phase_mean = sum[r] / static_cast<double>(count[r]);
      between += static_cast<double>(count[r]) * (phase_mean - mean) * (phase_mean - mean);
      score.phase_means[r] += phase_mean / static_cast<double>(planes);
    }
  }
  // Variation below 1e-4 of the signal's RMS is float rounding, not structure: it must not count.
  const double pixels = static_cast<double>(score.interior_pixels * planes);
  const double noise_floor = pixels > 0 ? pixels * 1e-8 * (squares / pixels) : 0.0;
  const double denominator = total + noise_floor;
  score.score = denominator > 0 ? std::clamp(between / denominator, 0.0, 1.0) : 0.0;
  score.level = score.score < 0.02 ? "none" : score.score < 0.1 ? "faint" : "strong";
  return score;
}

}  // namespace convt
