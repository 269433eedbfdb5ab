#include "strided_correlation.h"

#include <algorithm>
#include <cstring>

namespace convt::cpu {
namespace {

// K is blocked so a packed B block (kKc x NR floats) stays in L1 while every output-channel block reuses it.
constexpr int64_t kKc = 256;

int64_t round_up(int64_t value, int64_t multiple) { return (value + multiple - 1) / multiple * multiple; }

// A for one (plan, group): [M blocks][K][MR], K ordered (ci, ty, tx), zero rows past C_out/groups.
std::vector<float> pack_weights(const CorrelationPlan& plan, const ConvShape& s, const float* weight,
                                WeightLayout layout, int64_t group, int64_t mr) {
  const int64_t ty_count = static_cast<int64_t>(plan.y.tap_kernel.size());
  const int64_t tx_count = static_cast<int64_t>(plan.x.tap_kernel.size());
  const int64_t k_total = s.in_per_group * ty_count * tx_count;
  const int64_t m_padded = round_up(s.out_per_group, mr);
  std::vector<float> packed(static_cast<size_t>(m_padded * k_total), 0.0f);
  const int64_t taps = s.kernel_h * s.kernel_w;
  for (int64_t ci = 0; ci < s.in_per_group; ++ci)
    for (int64_t ty = 0; ty < ty_count; ++ty)
      for (int64_t tx = 0; tx < tx_count; ++tx) {
        const int64_t k = (ci * ty_count + ty) * tx_count + tx;
        const int64_t tap = plan.y.tap_kernel[static_cast<size_t>(ty)] * s.kernel_w + plan.x.tap_kernel[static_cast<size_t>(tx)];
        for (int64_t co = 0; co < s.out_per_group; ++co) {
          const int64_t index = layout == WeightLayout::Transposed
                                    ? ((group * s.in_per_group + ci) * s.out_per_group + co) * taps + tap
                                    : ((group * s.out_per_group + co) * s.in_per_group + ci) * taps + tap;
          packed[static_cast<size_t>(((co / mr) * k_total + k) * mr + co % mr)] = weight[index];
        }
      }
  return packed;
}

// One unit of parallel work: pixel tile `tile` of every plan (phase) of one group. Keeping all phases of the same
// output rows on one thread matters: phases interleave in memory (stride s), so splitting them across threads
// would have two cores writing the same cache lines.
struct WorkItem {
  int64_t group, tile;
};

// A run of tile pixels whose sources are consecutive input elements (copied with one memcpy), or all outside
// the input (source < 0: zeros). Tiles cover whole rows of a phase, so a few runs describe a tap's 32 pixels.
struct Run {
  int32_t first, length;
  int64_t source;
};

// Per-thread scratch: one packed B block, the C tile for every output channel of the group, and per tap the
// source offset of every pixel of the tile (-1 where the tap falls outside the input: a zero) and its runs.
struct Scratch {
  std::vector<float> b, c;
  std::vector<int64_t> out_offset;
  std::vector<int64_t> tap_source;  // [taps][nr]
  std::vector<Run> runs;
  std::vector<int64_t> tap_runs;  // [taps + 1]: runs of tap t are runs[tap_runs[t], tap_runs[t + 1])
};

void build_runs(int64_t taps, int64_t nr, Scratch& scratch) {
  scratch.runs.clear();
  scratch.tap_runs.assign(static_cast<size_t>(taps + 1), 0);
  for (int64_t t = 0; t < taps; ++t) {
    const int64_t* source = scratch.tap_source.data() + t * nr;
    for (int64_t j = 0; j < nr;) {
      int64_t end = j + 1;
      if (source[j] < 0)
        while (end < nr && source[end] < 0) ++end;
      else
        while (end < nr && source[end] == source[end - 1] + 1) ++end;
      scratch.runs.push_back({static_cast<int32_t>(j), static_cast<int32_t>(end - j), source[j]});
      j = end;
    }
    scratch.tap_runs[static_cast<size_t>(t + 1)] = static_cast<int64_t>(scratch.runs.size());
  }
}

void run_tile(const CorrelationPlan& plan, const ConvShape& s, const float* input, const float* packed_a,
              const float* bias, float* output, int64_t group, int64_t tile, const MicroKernel& kernel, Scratch& scratch) {
  const int64_t nr = kernel.nr, mr = kernel.mr;
  const int64_t plane_pixels = plan.y.count * plan.x.count;
  const int64_t first = tile * nr, valid = std::min(nr, s.batch * plane_pixels - first);
  const int64_t ty_count = static_cast<int64_t>(plan.y.tap_offset.size());
  const int64_t tx_count = static_cast<int64_t>(plan.x.tap_offset.size());
  const int64_t taps = ty_count * tx_count;
  const int64_t plane = s.in_h * s.in_w;
  scratch.tap_source.resize(static_cast<size_t>(std::max<int64_t>(1, taps) * nr));
  for (int64_t j = 0; j < nr; ++j) {
    const int64_t p = first + std::min(j, valid - 1);  // pad the tail with the last pixel; it is never stored
    const int64_t n = p / plane_pixels, rest = p % plane_pixels;
    const int64_t qy = plan.y.q_begin + rest / plan.x.count, qx = plan.x.q_begin + rest % plan.x.count;
    scratch.out_offset[static_cast<size_t>(j)] =
        (n * s.out_channels + group * s.out_per_group) * s.out_h * s.out_w + (qy * plan.y.out_stride + plan.y.out_base) * s.out_w +
        qx * plan.x.out_stride + plan.x.out_base;
    for (int64_t ty = 0; ty < ty_count; ++ty) {
      const int64_t iy = qy * plan.y.in_stride + plan.y.tap_offset[static_cast<size_t>(ty)];
      for (int64_t tx = 0; tx < tx_count; ++tx) {
        const int64_t ix = qx * plan.x.in_stride + plan.x.tap_offset[static_cast<size_t>(tx)];
        const bool inside = iy >= 0 && iy < s.in_h && ix >= 0 && ix < s.in_w;
        scratch.tap_source[static_cast<size_t>((ty * tx_count + tx) * nr + j)] =
            inside ? n * s.in_channels * plane + iy * s.in_w + ix : -1;
      }
    }
  }
  build_runs(taps, nr, scratch);
  const int64_t m_padded = round_up(s.out_per_group, mr);
  float* c = scratch.c.data();
  for (int64_t m = 0; m < m_padded; ++m) {
    const float start = (bias && m < s.out_per_group) ? bias[group * s.out_per_group + m] : 0.0f;
    std::fill(c + m * nr, c + (m + 1) * nr, start);
  }

  const int64_t k_total = s.in_per_group * taps;
  for (int64_t k0 = 0; k0 < k_total; k0 += kKc) {
    const int64_t kc = std::min(kKc, k_total - k0);
    for (int64_t kk = 0; kk < kc; ++kk) {
      const int64_t k = k0 + kk, ci = k / taps;
      const float* channel = input + (group * s.in_per_group + ci) * plane;
      const int64_t t = k % taps;
      float* row = scratch.b.data() + kk * nr;
      for (int64_t r = scratch.tap_runs[static_cast<size_t>(t)]; r < scratch.tap_runs[static_cast<size_t>(t + 1)]; ++r) {
        const Run& run = scratch.runs[static_cast<size_t>(r)];
        if (run.source < 0) std::memset(row + run.first, 0, sizeof(float) * static_cast<size_t>(run.length));
        else std::memcpy(row + run.first, channel + run.source, sizeof(float) * static_cast<size_t>(run.length));
      }
    }
    for (int64_t m0 = 0; m0 < m_padded; m0 += mr)
      kernel.run(kc, packed_a + ((m0 / mr) * k_total + k0) * mr, scratch.b.data(), c + m0 * nr);
  }

  const int64_t out_plane = s.out_h * s.out_w;
  for (int64_t m = 0; m < s.out_per_group; ++m)
    for (int64_t j = 0; j < valid; ++j) output[scratch.out_offset[static_cast<size_t>(j)] + m * out_plane] = c[m * nr + j];
}

}  // namespace

void run_correlations(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, const float* input,
                      const float* weight, WeightLayout layout, const float* bias, float* output) {
  const MicroKernel& kernel = active_microkernel();
  // Packed weights for every (plan, group): together they are the weight tensor, rearranged.
  std::vector<std::vector<float>> packed(plans.size() * static_cast<size_t>(shape.groups));
  std::vector<WorkItem> work;
  int64_t max_tiles = 0;
  for (size_t p = 0; p < plans.size(); ++p) {
    const int64_t pixels = shape.batch * plans[p].y.count * plans[p].x.count;
    max_tiles = std::max(max_tiles, (pixels + kernel.nr - 1) / kernel.nr);
    for (int64_t g = 0; g < shape.groups; ++g)
      packed[p * static_cast<size_t>(shape.groups) + static_cast<size_t>(g)] =
          pack_weights(plans[p], shape, weight, layout, g, kernel.mr);
  }
  for (int64_t g = 0; g < shape.groups; ++g)
    for (int64_t tile = 0; tile < max_tiles; ++tile) work.push_back({g, tile});
  const int64_t m_padded = round_up(shape.out_per_group, kernel.mr);
#pragma omp parallel
  {
    Scratch scratch;
    scratch.b.resize(static_cast<size_t>(kKc * kernel.nr));
    scratch.c.resize(static_cast<size_t>(m_padded * kernel.nr));
    scratch.out_offset.resize(static_cast<size_t>(kernel.nr));
#pragma omp for schedule(dynamic)
    for (size_t i = 0; i < work.size(); ++i) {
      const WorkItem& item = work[i];
      for (size_t p = 0; p < plans.size(); ++p) {
        const int64_t pixels = shape.batch * plans[p].y.count * plans[p].x.count;
        if (item.tile * kernel.nr >= pixels) continue;
        run_tile(plans[p], shape, input, packed[p * static_cast<size_t>(shape.groups) + static_cast<size_t>(item.group)].data(),
                 bias, output, item.group, item.tile, kernel, scratch);
      }
    }
  }
}

}  // namespace convt::cpu
