#include "strided_correlation.h"

#include <convt/error.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace convt::cpu {
namespace {

// K is blocked so a packed B block (kKc x NR floats, 64 KB for AVX-512) stays close to L1 while every
// output-channel block reuses it; 512 measured a few per cent faster than 256 on the bench/ layers.
constexpr int64_t kKc = 512;

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
  // Loop order follows the source layout so each kernel's taps are read from one or two cache lines.
  for (int64_t ci = 0; ci < s.in_per_group; ++ci)
    for (int64_t co = 0; co < s.out_per_group; ++co) {
      const float* kernel = weight + (layout == WeightLayout::Transposed
                                          ? ((group * s.in_per_group + ci) * s.out_per_group + co) * taps
                                          : ((group * s.out_per_group + co) * s.in_per_group + ci) * taps);
      float* destination = packed.data() + ((co / mr) * k_total + ci * ty_count * tx_count) * mr + co % mr;
      for (int64_t ty = 0; ty < ty_count; ++ty)
        for (int64_t tx = 0; tx < tx_count; ++tx)
          destination[(ty * tx_count + tx) * mr] =
              kernel[plan.y.tap_kernel[static_cast<size_t>(ty)] * s.kernel_w + plan.x.tap_kernel[static_cast<size_t>(tx)]];
    }
  return packed;
}

// One unit of parallel work is pixel tile `tile` of every plan (phase) and every group. Keeping all phases of
// the same output rows on one thread matters: phases interleave in memory (stride s), so splitting them across
// threads would have two cores writing the same cache lines. Groups share the tile's index work.

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

// The parts of a tile that do not depend on the group: every pixel's output offset (group 0) and, per tap, its
// source offset (group 0, input channel 0) and runs. Groups then share them.
void prepare_tile(const CorrelationPlan& plan, const ConvShape& s, int64_t tile, int64_t nr, Scratch& scratch) {
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
    scratch.out_offset[static_cast<size_t>(j)] = n * s.out_channels * s.out_h * s.out_w +
                                                 (qy * plan.y.out_stride + plan.y.out_base) * s.out_w +
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
}

// One group of a prepared tile: C = bias, then C += A * B over K blocks, then the valid pixels are stored.
void compute_tile(const CorrelationPlan& plan, const ConvShape& s, const float* input, const float* packed_a,
                  const float* bias, float* output, int64_t group, int64_t tile, const MicroKernel& kernel,
                  Scratch& scratch) {
  const int64_t nr = kernel.nr, mr = kernel.mr;
  const int64_t valid = std::min(nr, s.batch * plan.y.count * plan.x.count - tile * nr);
  const int64_t taps = static_cast<int64_t>(plan.y.tap_offset.size() * plan.x.tap_offset.size());
  const int64_t plane = s.in_h * s.in_w;
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
      const int64_t k = k0 + kk, ci = k / taps, t = k % taps;
      const float* channel = input + (group * s.in_per_group + ci) * plane;
      const int64_t run_begin = scratch.tap_runs[static_cast<size_t>(t)];
      kernel.pack_row(scratch.runs.data() + run_begin, scratch.tap_runs[static_cast<size_t>(t + 1)] - run_begin, channel,
                      scratch.b.data() + kk * nr);
    }
    for (int64_t m0 = 0; m0 < m_padded; m0 += mr)
      kernel.run(kc, packed_a + ((m0 / mr) * k_total + k0) * mr, scratch.b.data(), c + m0 * nr);
  }

  const int64_t out_plane = s.out_h * s.out_w;
  float* group_output = output + group * s.out_per_group * out_plane;
  for (int64_t m = 0; m < s.out_per_group; ++m)
    for (int64_t j = 0; j < valid; ++j) group_output[scratch.out_offset[static_cast<size_t>(j)] + m * out_plane] = c[m * nr + j];
}

}  // namespace

namespace {

// Shared by both entry points. When `to_pack` is set, the weight is packed into it (it is `panels` itself)
// inside the parallel region, before the tiles run.
void run_all(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, const float* input,
             const std::vector<std::vector<float>>& panels, const MicroKernel& kernel, const float* bias, float* output,
             std::vector<std::vector<float>>* to_pack, const float* weight_to_pack, WeightLayout layout) {
  int64_t max_tiles = 0;
  for (const CorrelationPlan& plan : plans)
    max_tiles = std::max(max_tiles, (shape.batch * plan.y.count * plan.x.count + kernel.nr - 1) / kernel.nr);
  const int64_t m_padded = round_up(shape.out_per_group, kernel.mr);
  const size_t groups = static_cast<size_t>(shape.groups);
#pragma omp parallel
  {
    Scratch scratch;
    scratch.b.resize(static_cast<size_t>(kKc * kernel.nr));
    scratch.c.resize(static_cast<size_t>(m_padded * kernel.nr));
    scratch.out_offset.resize(static_cast<size_t>(kernel.nr));
    if (to_pack) {
      // Packing is a pass over the whole weight: share it out too, rather than leave a core idle.
#pragma omp for schedule(dynamic)
      for (size_t i = 0; i < to_pack->size(); ++i)
        (*to_pack)[i] = pack_weights(plans[i / groups], shape, weight_to_pack, layout, static_cast<int64_t>(i % groups), kernel.mr);
    }
#pragma omp for schedule(dynamic)
    for (int64_t tile = 0; tile < max_tiles; ++tile) {
      for (size_t p = 0; p < plans.size(); ++p) {
        if (tile * kernel.nr >= shape.batch * plans[p].y.count * plans[p].x.count) continue;
        prepare_tile(plans[p], shape, tile, kernel.nr, scratch);
        for (size_t g = 0; g < groups; ++g)
          compute_tile(plans[p], shape, input, panels[p * groups + g].data(), bias, output, static_cast<int64_t>(g), tile,
                       kernel, scratch);
      }
    }
  }
}

}  // namespace

AxisPlan strided_axis(int64_t output, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation) {
  AxisPlan axis;
  axis.q_begin = 0;
  axis.count = output;
  axis.out_stride = 1;
  axis.out_base = 0;
  axis.in_stride = stride;
  for (int64_t k = 0; k < kernel; ++k) {
    axis.tap_kernel.push_back(k);
    axis.tap_offset.push_back(k * dilation - padding);
  }
  return axis;
}

PackedPanels pack_panels(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, const float* weight,
                         WeightLayout layout) {
  PackedPanels packed;
  packed.kernel = &active_microkernel();
  packed.groups = shape.groups;
  packed.panels.resize(plans.size() * static_cast<size_t>(shape.groups));
  const size_t groups = static_cast<size_t>(shape.groups);
#pragma omp parallel for schedule(dynamic)
  for (size_t i = 0; i < packed.panels.size(); ++i)
    packed.panels[i] = pack_weights(plans[i / groups], shape, weight, layout, static_cast<int64_t>(i % groups), packed.kernel->mr);
  return packed;
}

void run_correlations(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, const float* input,
                      const float* weight, WeightLayout layout, const float* bias, float* output) {
  std::vector<std::vector<float>> panels(plans.size() * static_cast<size_t>(shape.groups));
  run_all(plans, shape, input, panels, active_microkernel(), bias, output, &panels, weight, layout);
}

void run_correlations_packed(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, const float* input,
                             const PackedPanels& packed, const float* bias, float* output) {
  if (packed.kernel != &active_microkernel())
    throw_invalid("packed weights were made for the " + std::string(packed.kernel->name) +
                  " microkernel, but the active one is " + active_microkernel().name + "; pack them again");
  run_all(plans, shape, input, packed.panels, *packed.kernel, bias, output, nullptr, nullptr, WeightLayout::Transposed);
}

}  // namespace convt::cpu
