// Packing a correlation's weights into the microkernel's panels (weight_panels.h).
#include "weight_panels.h"

#include <convt/aligned.h>

#include <omp.h>

#include <algorithm>
#include <thread>

namespace convt::cpu {
namespace {

// How many input channels ahead the kernels a block will pack are asked for: consecutive input channels' kernels
// lie a whole row of kernels apart, where the hardware prefetcher does not follow.
constexpr int64_t kPrefetchChannels = 4;


// A wait on another core's packing, which takes microseconds: spin, and give the core away only if it takes
// longer (more threads than cores).
void pause_briefly(int64_t& spins) {
  if (++spins % 1024 == 0) {
    std::this_thread::yield();
    return;
  }
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

PanelPacker::PanelPacker(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, const float* weight,
                         WeightLayout layout, int64_t width, std::vector<AlignedFloats>& panels)
    : shape_(shape), weight_(weight), layout_(layout), width_(width),
      blocks_(round_up(shape.out_per_group, width) / width) {
  panels.resize(plans.size() * static_cast<size_t>(shape.groups));
  for (size_t p = 0; p < plans.size(); ++p) {
    const int64_t taps = static_cast<int64_t>(plans[p].y.tap_kernel.size() * plans[p].x.tap_kernel.size());
    const int64_t k_total = shape.in_per_group * taps;
    int64_t row = 0;
    for (int64_t ky : plans[p].y.tap_kernel)
      for (int64_t kx : plans[p].x.tap_kernel) entries_.push_back({ky * shape.kernel_w + kx, p, row++, taps, k_total});
    for (int64_t g = 0; g < shape.groups; ++g) {
      AlignedFloats& panel = panels[p * static_cast<size_t>(shape.groups) + static_cast<size_t>(g)];
      panel.resize(static_cast<size_t>(blocks_ * width * k_total));
      panels_.push_back(panel.data());
    }
  }
  whole_rows_ = weight_rows_in_k_order(plans, shape, layout);
}

bool weight_rows_in_k_order(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, WeightLayout layout) {
  if (plans.size() != 1 || layout != WeightLayout::Forward) return false;
  int64_t row = 0;
  for (int64_t ky : plans[0].y.tap_kernel)
    for (int64_t kx : plans[0].x.tap_kernel)
      if (ky * shape.kernel_w + kx != row++) return false;
  return row == shape.kernel_h * shape.kernel_w;
}

// From whole rows: a transpose of `width` rows, each read along K side by side with the others and the panel
// written in order. Per kernel with its tap indices (below), the packing took 1.8 times as long (0.79 against
// 0.43 ms on one thread for a [512, 4096] weight).
void PanelPacker::transpose_rows(int64_t group, int64_t block, int64_t ci_begin, int64_t ci_end) const {
  const ConvShape& s = shape_;
  const int64_t taps = s.kernel_h * s.kernel_w, k_total = s.in_per_group * taps;
  const int64_t co_begin = block * width_, height = std::clamp<int64_t>(s.out_per_group - co_begin, 0, width_);
  const float* row[kMaxNr];
  for (int64_t m = 0; m < height; ++m) row[m] = weight_ + (group * s.out_per_group + co_begin + m) * k_total;
  float* destination = panels_[static_cast<size_t>(group)] + (block * k_total + ci_begin * taps) * width_;
  const int64_t k_begin = ci_begin * taps, k_end = ci_end * taps;
  for (int64_t k = k_begin; k < k_end; ++k, destination += width_) {
    for (int64_t m = 0; m < height; ++m) destination[m] = row[m][k];
    for (int64_t m = height; m < width_; ++m) destination[m] = 0.0f;
  }
}

// Input channel by input channel: the block's kernels of one input channel (width of them, side by side in
// conv_transpose2d's layout) are transposed into one row per tap, each tap's row in its plan's panel, with the
// rows past C_out/groups zeroed. One pass over the weight fills every plan: the phases of a transposed conv share
// each kernel's cache line (packing them one after another read the weight four times). Going plan by plan and
// tap by tap for each kernel instead spent more on the loops than on the copies (frac's forward: 1.7 ns a float).
void PanelPacker::pack_block(int64_t group, int64_t block, int64_t ci_begin, int64_t ci_end) const {
  if (whole_rows_) {
    transpose_rows(group, block, ci_begin, ci_end);
    return;
  }
  const ConvShape& s = shape_;
  const int64_t taps = s.kernel_h * s.kernel_w, co_begin = block * width_;
  const int64_t height = std::min(width_, s.out_per_group - co_begin);
  const bool transposed = layout_ == WeightLayout::Transposed;
  // Where input channel ci's kernel of output channel co_begin starts, and how far apart two output channels'
  // kernels are.
  const int64_t co_step = transposed ? taps : s.in_per_group * taps;
  auto first_kernel = [&](int64_t ci) {
    return weight_ + (transposed ? ((group * s.in_per_group + ci) * s.out_per_group + co_begin) * taps
                                 : ((group * s.out_per_group + co_begin) * s.in_per_group + ci) * taps);
  };
  for (int64_t ci = ci_begin; ci < ci_end; ++ci) {
    const float* kernels = first_kernel(ci);
    if (ci + kPrefetchChannels < s.in_per_group) {
      const float* ahead = first_kernel(ci + kPrefetchChannels);
      for (int64_t m = 0; m < height; m += transposed ? std::max<int64_t>(1, 16 / taps) : 1)
        __builtin_prefetch(ahead + m * co_step), __builtin_prefetch(ahead + m * co_step + taps - 1);
    }
    for (const TapEntry& e : entries_) {
      float* row = panels_[e.plan * static_cast<size_t>(s.groups) + static_cast<size_t>(group)] +
                   (block * e.k_total + ci * e.taps + e.row) * width_;
      const float* source = kernels + e.source;
      for (int64_t m = 0; m < height; ++m) row[m] = source[m * co_step];
      for (int64_t m = height; m < width_; ++m) row[m] = 0.0f;
    }
  }
}

void LazyPanels::start(const BlockPacker& packer, int64_t groups, int64_t blocks, int64_t in_per_group,
                       int64_t ci_block) {
  packer_ = &packer;
  blocks_ = blocks;
  in_per_group_ = in_per_group;
  ci_block_ = std::max<int64_t>(ci_block, 1);
  ci_blocks_ = (in_per_group + ci_block_ - 1) / ci_block_;
  count_ = groups * blocks_ * ci_blocks_;
  if (count_ > capacity_) {
    state_ = std::make_unique<std::atomic<uint8_t>[]>(static_cast<size_t>(count_));
    capacity_ = count_;
  }
  for (int64_t i = 0; i < count_; ++i) state_[i].store(kUnpacked, std::memory_order_relaxed);
}

bool LazyPanels::try_pack(int64_t index) {
  std::atomic<uint8_t>& state = state_[index];
  uint8_t unpacked = kUnpacked;
  if (state.load(std::memory_order_relaxed) != kUnpacked ||
      !state.compare_exchange_strong(unpacked, kPacking, std::memory_order_acquire))
    return false;
  const int64_t ci_begin = index % ci_blocks_ * ci_block_, block = index / ci_blocks_ % blocks_;
  const int64_t group = index / ci_blocks_ / blocks_;
  packer_->pack_block(group, block, ci_begin, std::min(ci_begin + ci_block_, in_per_group_));
  state.store(kPacked, std::memory_order_release);
  return true;
}

void LazyPanels::pack_or_wait(int64_t index, int64_t block, const BlockWalk& walk) {
  if (try_pack(index)) return;
  const int64_t ci_index = index % ci_blocks_, group = index / ci_blocks_ / blocks_;
  std::atomic<uint8_t>& state = state_[index];
  // Another task packs it: meanwhile, pack the blocks this one reaches last, from the far end of its walk (the
  // packer works forwards from the near end, so the two do not meet on every block).
  auto previous = [&](int64_t b) { return b == walk.begin ? walk.end - 1 : b - 1; };
  for (int64_t b = previous(walk.first); b != block && state.load(std::memory_order_acquire) != kPacked;
       b = previous(b))
    try_pack(index_of(group, b, ci_index));
  for (int64_t spins = 0; state.load(std::memory_order_acquire) != kPacked;) pause_briefly(spins);
}

LazyPanels::BlockWalk LazyPanels::BlockWalk::for_range(int64_t begin, int64_t end, int64_t range) {
  const int64_t threads = omp_get_num_threads();
  return {begin, end, begin + (end - begin) * (range % threads) / threads};
}

void LazyPanels::pack_all() {
#pragma omp for schedule(dynamic)
  for (int64_t index = 0; index < count_; ++index) try_pack(index);
}

PackedPanels pack_panels(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, const float* weight,
                         WeightLayout layout) {
  PackedPanels packed;
  packed.kernel = &active_microkernel();
  packed.input_in_place = reads_input_in_place(plans, shape);
  packed.groups = shape.groups;
  const int64_t width = packed.input_in_place ? packed.kernel->nr : packed.kernel->mr;
  const PanelPacker packer(plans, shape, weight, layout, width, packed.panels);
  // One piece per (group, block of output channels), every input channel: many more pieces than threads.
  LazyPanels pieces;
  pieces.start(packer, shape.groups, packer.blocks(), shape.in_per_group, shape.in_per_group);
#pragma omp parallel
  pieces.pack_all();
  return packed;
}

}  // namespace convt::cpu
