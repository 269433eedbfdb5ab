// Packing a correlation's weights into the microkernel's panels (weight_panels.h).
#include "weight_panels.h"

#include <omp.h>

#include <algorithm>

namespace convt::cpu {
namespace {

int64_t panel_size(const CorrelationPlan& plan, const ConvShape& s, int64_t width) {
  const int64_t taps = static_cast<int64_t>(plan.y.tap_kernel.size() * plan.x.tap_kernel.size());
  return round_up(s.out_per_group, width) * s.in_per_group * taps;
}

// How many input channels ahead the kernels a block will pack are asked for: consecutive input channels' kernels
// lie a whole row of kernels apart, where the hardware prefetcher does not follow.
constexpr int64_t kPrefetchChannels = 4;

// A conv2d-layout weight read by one plan with every tap in kernel order (conv2d and grad_input, not a phase of a
// transposed conv): each output channel's row of K = (ci, ky, kx) is then contiguous, in the panel's K order.
bool reads_whole_rows(size_t plans, const std::vector<int64_t>& tap_index, WeightLayout layout, int64_t taps) {
  if (plans != 1 || layout != WeightLayout::Forward || static_cast<int64_t>(tap_index.size()) != taps) return false;
  for (int64_t t = 0; t < taps; ++t)
    if (tap_index[static_cast<size_t>(t)] != t) return false;
  return true;
}

// Panel blocks [co_begin, co_end) / width from whole rows: a transpose of `width` rows of K floats, read row by row
// side by side and written in order. Per kernel with its tap indices, the general path below took 1.8 times as long
// (0.79 against 0.43 ms on one thread for a [512, 4096] weight).
void transpose_rows(const ConvShape& s, const float* rows, int64_t width, int64_t co_begin, int64_t co_end,
                    float* panel) {
  const int64_t k_total = s.in_per_group * s.kernel_h * s.kernel_w;
  const float* row[kMaxNr];
  for (int64_t block = co_begin; block < co_end; block += width) {
    const int64_t height = std::clamp<int64_t>(s.out_per_group - block, 0, width);
    for (int64_t m = 0; m < height; ++m) row[m] = rows + (block + m) * k_total;
    float* destination = panel + block * k_total;
    for (int64_t k = 0; k < k_total; ++k, destination += width) {
      for (int64_t m = 0; m < height; ++m) destination[m] = row[m][k];
      for (int64_t m = height; m < width; ++m) destination[m] = 0.0f;
    }
  }
}

// Output channels [co_begin, co_end) of the weight for one group, for every plan at once, into panels[plan * groups +
// group], each laid out [blocks][K][width] with K ordered (ci, ty, tx). One pass over the weight fills all the
// plans: the phases of a transposed conv share each kernel's cache line (4 phases of a 4x4 kernel: packing them
// one after another read the weight four times). Rows past C_out/groups (in the last block) are zeroed. Callers
// split the output channels into ranges of whole blocks so one large weight is packed by every core, not one.
void pack_weight_rows(const std::vector<CorrelationPlan>& plans, const ConvShape& s, const float* weight,
                      WeightLayout layout, int64_t group, int64_t width, int64_t co_begin, int64_t co_end,
                      std::vector<std::vector<float>>& panels) {
  struct PlanTaps {
    std::vector<int64_t> index;  // the plan's taps as offsets into a kernel
    float* panel;
    int64_t k_total;
  };
  std::vector<PlanTaps> plan_taps;
  for (size_t p = 0; p < plans.size(); ++p) {
    PlanTaps taps;
    for (int64_t ky : plans[p].y.tap_kernel)
      for (int64_t kx : plans[p].x.tap_kernel) taps.index.push_back(ky * s.kernel_w + kx);
    taps.panel = panels[p * static_cast<size_t>(s.groups) + static_cast<size_t>(group)].data();
    taps.k_total = s.in_per_group * static_cast<int64_t>(taps.index.size());
    plan_taps.push_back(std::move(taps));
  }
  const int64_t taps = s.kernel_h * s.kernel_w;
  if (reads_whole_rows(plan_taps.size(), plan_taps.front().index, layout, taps)) {
    transpose_rows(s, weight + group * s.out_per_group * plan_taps.front().k_total, width, co_begin, co_end,
                   plan_taps.front().panel);
    return;
  }
  auto kernel_of = [&](int64_t ci, int64_t co) {
    return weight + (layout == WeightLayout::Transposed
                         ? ((group * s.in_per_group + ci) * s.out_per_group + co) * taps
                         : ((group * s.out_per_group + co) * s.in_per_group + ci) * taps);
  };
  auto pack_kernel = [&](int64_t ci, int64_t co) {
    const float* kernel = kernel_of(ci, co);
    if (ci + kPrefetchChannels < s.in_per_group) {
      const float* ahead = kernel_of(ci + kPrefetchChannels, co);
      for (int64_t i = 0; i < taps; i += 16) __builtin_prefetch(ahead + i);
      __builtin_prefetch(ahead + taps - 1);
    }
    for (const PlanTaps& plan : plan_taps) {
      const int64_t count = static_cast<int64_t>(plan.index.size());
      float* destination = plan.panel + ((co / width) * plan.k_total + ci * count) * width + co % width;
      for (int64_t t = 0; t < count; ++t) destination[t * width] = kernel[plan.index[static_cast<size_t>(t)]];
    }
  };
  // One block of output channels at a time, input channel by input channel: each panel is then written in order
  // (one stream per plan), and the block's kernels are asked for a few input channels ahead. Following the source
  // layout instead (every block for one input channel) kept a partly written line open in every block of every
  // plan. Packing took 10% of unet_k4s2's forward that way, 8% now (perf samples; the call's time moves more
  // than that from run to run).
  const int64_t co_stop = std::min(co_end, s.out_per_group);
  for (int64_t block = co_begin; block < co_stop; block += width)
    for (int64_t ci = 0; ci < s.in_per_group; ++ci)
      for (int64_t co = block; co < std::min(block + width, co_stop); ++co) pack_kernel(ci, co);
  for (const PlanTaps& plan : plan_taps)
    for (int64_t co = co_stop; co < co_end; ++co) {
      float* destination = plan.panel + (co / width) * plan.k_total * width + co % width;
      for (int64_t k = 0; k < plan.k_total; ++k) destination[k * width] = 0.0f;
    }
}

}  // namespace

// Packs every (plan, group) panel, inside an enclosing parallel region (an orphaned `omp for`): panels are sized
// first (a panel kept from an earlier call of the same size is reused as it is: every element is written below),
// then each group's output channels are split into ranges so that there are at least twice as many pieces as
// threads.
void pack_all_panels(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, const float* weight,
                     WeightLayout layout, int64_t width, std::vector<std::vector<float>>& panels) {
  const size_t groups = static_cast<size_t>(shape.groups);
#pragma omp for schedule(static)
  for (size_t i = 0; i < panels.size(); ++i)
    panels[i].resize(static_cast<size_t>(panel_size(plans[i / groups], shape, width)));
  const int64_t blocks = round_up(shape.out_per_group, width) / width;
  const int64_t wanted = 2 * static_cast<int64_t>(omp_get_num_threads());
  const int64_t slices = std::min(blocks, std::max<int64_t>(1, (wanted + shape.groups - 1) / shape.groups));
  const int64_t pieces = shape.groups * slices;
#pragma omp for schedule(dynamic)
  for (int64_t piece = 0; piece < pieces; ++piece) {
    const int64_t group = piece / slices, slice = piece % slices;
    pack_weight_rows(plans, shape, weight, layout, group, width, blocks * slice / slices * width,
                     blocks * (slice + 1) / slices * width, panels);
  }
}

PackedPanels pack_panels(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, const float* weight,
                         WeightLayout layout) {
  PackedPanels packed;
  packed.kernel = &active_microkernel();
  packed.input_in_place = reads_input_in_place(plans, shape);
  packed.groups = shape.groups;
  packed.panels.resize(plans.size() * static_cast<size_t>(shape.groups));
  const int64_t width = packed.input_in_place ? packed.kernel->nr : packed.kernel->mr;
#pragma omp parallel
  pack_all_panels(plans, shape, weight, layout, width, packed.panels);
  return packed;
}

}  // namespace convt::cpu
