#include "strided_correlation.h"

#include "parallel_threshold.h"

#include <convt/error.h>
#include <convt/shape.h>

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace convt::cpu {
namespace {

// K is blocked so a packed B block (kKc x NR floats, 64 KB for AVX-512) stays close to L1 while every
// output-channel block reuses it; 512 measured a few per cent faster than 256 on the bench/ layers.
constexpr int64_t kKc = 512;

int64_t round_up(int64_t value, int64_t multiple) { return (value + multiple - 1) / multiple * multiple; }

int64_t panel_size(const CorrelationPlan& plan, const ConvShape& s, int64_t mr) {
  return round_up(s.out_per_group, mr) * s.in_per_group * static_cast<int64_t>(plan.y.tap_kernel.size() * plan.x.tap_kernel.size());
}

// Output channels [co_begin, co_end) of A for one (plan, group) into `packed`, laid out [M blocks][K][MR] with K
// ordered (ci, ty, tx). Rows past C_out/groups are left as they are (zero in a fresh panel). Callers split a panel
// into ranges of whole blocks so one large weight is packed by every core, not one.
void pack_weight_rows(const CorrelationPlan& plan, const ConvShape& s, const float* weight, WeightLayout layout,
                      int64_t group, int64_t mr, int64_t co_begin, int64_t co_end, float* packed) {
  const int64_t ty_count = static_cast<int64_t>(plan.y.tap_kernel.size());
  const int64_t tx_count = static_cast<int64_t>(plan.x.tap_kernel.size());
  const int64_t k_total = s.in_per_group * ty_count * tx_count;
  const int64_t taps = s.kernel_h * s.kernel_w;
  auto pack_kernel = [&](int64_t ci, int64_t co) {
    const float* kernel = weight + (layout == WeightLayout::Transposed
                                        ? ((group * s.in_per_group + ci) * s.out_per_group + co) * taps
                                        : ((group * s.out_per_group + co) * s.in_per_group + ci) * taps);
    float* destination = packed + ((co / mr) * k_total + ci * ty_count * tx_count) * mr + co % mr;
    for (int64_t ty = 0; ty < ty_count; ++ty)
      for (int64_t tx = 0; tx < tx_count; ++tx)
        destination[(ty * tx_count + tx) * mr] =
            kernel[plan.y.tap_kernel[static_cast<size_t>(ty)] * s.kernel_w + plan.x.tap_kernel[static_cast<size_t>(tx)]];
  };
  // The loops follow the source layout (its outer channel first), so the weight is read in order: the other
  // order jumps a whole row of kernels between reads, which made packing a large conv2d weight a sixth of a call.
  const int64_t co_stop = std::min(co_end, s.out_per_group);
  if (layout == WeightLayout::Transposed) {
    for (int64_t ci = 0; ci < s.in_per_group; ++ci)
      for (int64_t co = co_begin; co < co_stop; ++co) pack_kernel(ci, co);
  } else {
    for (int64_t co = co_begin; co < co_stop; ++co)
      for (int64_t ci = 0; ci < s.in_per_group; ++ci) pack_kernel(ci, co);
  }
}

// Packs every (plan, group) panel, inside an enclosing parallel region (an orphaned `omp for`): panels are
// allocated first, then split into row ranges so that there are at least twice as many pieces as threads.
void pack_all_panels(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, const float* weight,
                     WeightLayout layout, int64_t mr, std::vector<std::vector<float>>& panels) {
  const size_t groups = static_cast<size_t>(shape.groups);
#pragma omp for schedule(static)
  for (size_t i = 0; i < panels.size(); ++i)
    panels[i].assign(static_cast<size_t>(panel_size(plans[i / groups], shape, mr)), 0.0f);
  const int64_t blocks = round_up(shape.out_per_group, mr) / mr;
  const int64_t wanted = 2 * static_cast<int64_t>(omp_get_num_threads());
  const int64_t slices = std::min(blocks, std::max<int64_t>(1, (wanted + static_cast<int64_t>(panels.size()) - 1) /
                                                                   static_cast<int64_t>(panels.size())));
  const int64_t pieces = static_cast<int64_t>(panels.size()) * slices;
#pragma omp for schedule(dynamic)
  for (int64_t piece = 0; piece < pieces; ++piece) {
    const size_t i = static_cast<size_t>(piece / slices);
    const int64_t slice = piece % slices;
    pack_weight_rows(plans[i / groups], shape, weight, layout, static_cast<int64_t>(i % groups), mr,
                     blocks * slice / slices * mr, blocks * (slice + 1) / slices * mr, panels[i].data());
  }
}

// One unit of parallel work is a run of consecutive pixel tiles of every plan (phase) and every group. Keeping
// all phases of the same output rows on one thread matters: phases interleave in memory (stride s), so splitting
// them across threads would have two cores writing the same cache lines. Groups share the tiles' index work.
// Several tiles per task let each packed block of A (MR x KC, from L1) serve all of them before the next block is
// loaded: with one tile per task, a weight larger than the caches was streamed from memory once per 16 pixels.

// The index work of one tile: every pixel's output offset and, per tap, the source offset of every pixel (-1 where
// the tap falls outside the input: a zero) and its runs.
struct TileIndex {
  std::vector<int64_t> out_offset;  // [nr]
  std::vector<int64_t> tap_source;  // [taps][nr]
  std::vector<Run> runs;
  std::vector<int64_t> tap_runs;  // [taps + 1]: runs of tap t are runs[tap_runs[t], tap_runs[t + 1])
  int64_t valid = 0;              // pixels of the tile inside the plan (the rest pad the microkernel's width)
};

// Per-thread scratch: the tiles of a task, a packed B block per tile, and a C tile per tile for every output
// channel of the group.
struct Scratch {
  std::vector<TileIndex> tiles;
  std::vector<float> b, c;
};

void build_runs(int64_t taps, int64_t nr, TileIndex& index) {
  index.runs.clear();
  index.tap_runs.assign(static_cast<size_t>(taps + 1), 0);
  for (int64_t t = 0; t < taps; ++t) {
    const int64_t* source = index.tap_source.data() + t * nr;
    for (int64_t j = 0; j < nr;) {
      int64_t end = j + 1;
      if (source[j] < 0)
        while (end < nr && source[end] < 0) ++end;
      else
        while (end < nr && source[end] == source[end - 1] + 1) ++end;
      index.runs.push_back({static_cast<int32_t>(j), static_cast<int32_t>(end - j), source[j]});
      j = end;
    }
    index.tap_runs[static_cast<size_t>(t + 1)] = static_cast<int64_t>(index.runs.size());
  }
}

// The parts of a tile that do not depend on the group: every pixel's output offset (group 0) and, per tap, its
// source offset (group 0, input channel 0) and runs. Groups then share them.
void prepare_tile(const CorrelationPlan& plan, const ConvShape& s, int64_t tile, int64_t nr, TileIndex& index) {
  const int64_t plane_pixels = plan.y.count * plan.x.count;
  const int64_t first = tile * nr;
  index.valid = std::min(nr, s.batch * plane_pixels - first);
  const int64_t ty_count = static_cast<int64_t>(plan.y.tap_offset.size());
  const int64_t tx_count = static_cast<int64_t>(plan.x.tap_offset.size());
  const int64_t taps = ty_count * tx_count;
  const int64_t plane = s.in_h * s.in_w;
  index.out_offset.resize(static_cast<size_t>(nr));
  index.tap_source.resize(static_cast<size_t>(std::max<int64_t>(1, taps) * nr));
  for (int64_t j = 0; j < nr; ++j) {
    const int64_t p = first + std::min(j, index.valid - 1);  // pad the tail with the last pixel; it is never stored
    const int64_t n = p / plane_pixels, rest = p % plane_pixels;
    const int64_t qy = plan.y.q_begin + rest / plan.x.count, qx = plan.x.q_begin + rest % plan.x.count;
    index.out_offset[static_cast<size_t>(j)] = n * s.out_channels * s.out_h * s.out_w +
                                               (qy * plan.y.out_stride + plan.y.out_base) * s.out_w +
                                               qx * plan.x.out_stride + plan.x.out_base;
    for (int64_t ty = 0; ty < ty_count; ++ty) {
      const int64_t iy = qy * plan.y.in_stride + plan.y.tap_offset[static_cast<size_t>(ty)];
      for (int64_t tx = 0; tx < tx_count; ++tx) {
        const int64_t ix = qx * plan.x.in_stride + plan.x.tap_offset[static_cast<size_t>(tx)];
        const bool inside = iy >= 0 && iy < s.in_h && ix >= 0 && ix < s.in_w;
        index.tap_source[static_cast<size_t>((ty * tx_count + tx) * nr + j)] =
            inside ? n * s.in_channels * plane + iy * s.in_w + ix : -1;
      }
    }
  }
  build_runs(taps, nr, index);
}

// One group of `count` prepared tiles: C = bias, then C += A * B over K blocks (each block of A applied to every
// tile's B while it is in L1), then the valid pixels are stored.
void compute_tiles(const CorrelationPlan& plan, const ConvShape& s, const float* input, const float* packed_a,
                   const float* bias, float* output, int64_t group, int64_t count, const MicroKernel& kernel,
                   Scratch& scratch) {
  const int64_t nr = kernel.nr, mr = kernel.mr;
  const int64_t taps = static_cast<int64_t>(plan.y.tap_offset.size() * plan.x.tap_offset.size());
  const int64_t plane = s.in_h * s.in_w;
  const int64_t m_padded = round_up(s.out_per_group, mr);
  const int64_t c_size = m_padded * nr, b_size = kKc * nr;
  for (int64_t t = 0; t < count; ++t) {
    float* c = scratch.c.data() + t * c_size;
    for (int64_t m = 0; m < m_padded; ++m) {
      const float start = (bias && m < s.out_per_group) ? bias[group * s.out_per_group + m] : 0.0f;
      std::fill(c + m * nr, c + (m + 1) * nr, start);
    }
  }

  const int64_t k_total = s.in_per_group * taps;
  for (int64_t k0 = 0; k0 < k_total; k0 += kKc) {
    const int64_t kc = std::min(kKc, k_total - k0);
    for (int64_t t = 0; t < count; ++t) {
      const TileIndex& index = scratch.tiles[static_cast<size_t>(t)];
      for (int64_t kk = 0; kk < kc; ++kk) {
        const int64_t k = k0 + kk, ci = k / taps, tap = k % taps;
        const float* channel = input + (group * s.in_per_group + ci) * plane;
        const int64_t run_begin = index.tap_runs[static_cast<size_t>(tap)];
        kernel.pack_row(index.runs.data() + run_begin, index.tap_runs[static_cast<size_t>(tap + 1)] - run_begin, channel,
                        scratch.b.data() + t * b_size + kk * nr);
      }
    }
    for (int64_t m0 = 0; m0 < m_padded; m0 += mr) {
      const float* a = packed_a + ((m0 / mr) * k_total + k0) * mr;
      for (int64_t t = 0; t < count; ++t)
        kernel.run(kc, a, scratch.b.data() + t * b_size, scratch.c.data() + t * c_size + m0 * nr);
    }
  }

  const int64_t out_plane = s.out_h * s.out_w;
  float* group_output = output + group * s.out_per_group * out_plane;
  for (int64_t t = 0; t < count; ++t) {
    const TileIndex& index = scratch.tiles[static_cast<size_t>(t)];
    const float* c = scratch.c.data() + t * c_size;
    for (int64_t m = 0; m < s.out_per_group; ++m)
      for (int64_t j = 0; j < index.valid; ++j)
        group_output[index.out_offset[static_cast<size_t>(j)] + m * out_plane] = c[m * nr + j];
  }
}

// Shared by both entry points. When `to_pack` is set, the weight is packed into it (it is `panels` itself)
// inside the parallel region, before the tiles run.
void run_all(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, const float* input,
             const std::vector<std::vector<float>>& panels, const MicroKernel& kernel, const float* bias, float* output,
             std::vector<std::vector<float>>* to_pack, const float* weight_to_pack, WeightLayout layout) {
  auto tiles_of = [&](const CorrelationPlan& plan) {
    return (shape.batch * plan.y.count * plan.x.count + kernel.nr - 1) / kernel.nr;
  };
  int64_t max_tiles = 0;
  for (const CorrelationPlan& plan : plans) max_tiles = std::max(max_tiles, tiles_of(plan));
  double flops = 0;
  for (const CorrelationPlan& plan : plans)
    flops += 2.0 * static_cast<double>(shape.batch * plan.y.count * plan.x.count * shape.out_channels * shape.in_per_group) *
             static_cast<double>(plan.y.tap_kernel.size() * plan.x.tap_kernel.size());
  const int threads = threads_for_work(flops);
  // Up to 8 tiles per task while every thread still gets about four tasks to balance the load.
  const int64_t per_task = std::clamp<int64_t>(max_tiles / (4 * static_cast<int64_t>(threads)), 1, 8);
  const int64_t tasks = (max_tiles + per_task - 1) / per_task;
  const int64_t m_padded = round_up(shape.out_per_group, kernel.mr);
  const size_t groups = static_cast<size_t>(shape.groups);
#pragma omp parallel num_threads(threads)
  {
    Scratch scratch;
    scratch.tiles.resize(static_cast<size_t>(per_task));
    scratch.b.resize(static_cast<size_t>(per_task * kKc * kernel.nr));
    scratch.c.resize(static_cast<size_t>(per_task * m_padded * kernel.nr));
    // Packing is a pass over the whole weight: share it out too, rather than leave a core idle.
    if (to_pack) pack_all_panels(plans, shape, weight_to_pack, layout, kernel.mr, *to_pack);
#pragma omp for schedule(dynamic)
    for (int64_t task = 0; task < tasks; ++task) {
      for (size_t p = 0; p < plans.size(); ++p) {
        const int64_t first = task * per_task, count = std::min(per_task, tiles_of(plans[p]) - first);
        if (count <= 0) continue;
        for (int64_t t = 0; t < count; ++t)
          prepare_tile(plans[p], shape, first + t, kernel.nr, scratch.tiles[static_cast<size_t>(t)]);
        for (size_t g = 0; g < groups; ++g)
          compute_tiles(plans[p], shape, input, panels[p * groups + g].data(), bias, output, static_cast<int64_t>(g),
                        count, kernel, scratch);
      }
    }
  }
}

}  // namespace

void check_output_shape(const char* what, const Shape& output, const Shape& expected) {
  if (output != expected)
    throw_invalid(std::string(what) + ": output of shape " + shape_to_string(output) + " does not match the expected " +
                  shape_to_string(expected));
}

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
#pragma omp parallel
  pack_all_panels(plans, shape, weight, layout, packed.kernel->mr, packed.panels);
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
