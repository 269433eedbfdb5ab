// The microkernel's panels of a correlation's weights: one per (plan, group), laid out [blocks][K][width] with K
// ordered (input channel, ty, tx). A call packs them on the fly, one cache block at a time, inside its GEMM loop
// (LazyPanels); a caller that keeps them packs them all at once (pack_panels, strided_correlation.h).
#pragma once

#include "strided_correlation.h"

#include <convt/aligned.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace convt::cpu {

inline int64_t round_up(int64_t value, int64_t multiple) { return (value + multiple - 1) / multiple * multiple; }

// Packs one block of a call's weight for the microkernel: output-channel block `block` of `group` (what a block
// holds is the packer's), input channels [ci_begin, ci_end).
class BlockPacker {
 public:
  virtual void pack_block(int64_t group, int64_t block, int64_t ci_begin, int64_t ci_end) const = 0;

 protected:
  ~BlockPacker() = default;
};

// Whether each output channel's row of the weight is contiguous and in the panels' K order = (ci, ky, kx): a
// conv2d-layout weight read by one plan with every tap in kernel order (conv2d and grad_input, not a phase of a
// transposed conv).
bool weight_rows_in_k_order(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, WeightLayout layout);

// What packing any block of a call's panels reads and where it writes, worked out once per call.
class PanelPacker final : public BlockPacker {
 public:
  // Sizes `panels` ([plan * groups + group]); a panel kept from an earlier call of the same size is reused as it is
  // (every element is written by pack_block).
  PanelPacker(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, const float* weight,
              WeightLayout layout, int64_t width, std::vector<AlignedFloats>& panels);

  // Output channels [block * width, (block + 1) * width) and input channels [ci_begin, ci_end) of one group, for
  // every plan at once: the phases of a transposed conv share each kernel's cache line (packing them one after
  // another read the weight four times). Rows past C_out/groups are zeroed.
  void pack_block(int64_t group, int64_t block, int64_t ci_begin, int64_t ci_end) const override;

  int64_t blocks() const { return blocks_; }

 private:
  // Every plan's taps in one list: entry e copies the kernels' element `source` into row `row` (of the input
  // channel's rows) of plan `plan`'s panel.
  struct TapEntry {
    int64_t source;
    size_t plan;
    int64_t row, taps, k_total;  // the row, and the plan's taps and K
  };
  void transpose_rows(int64_t group, int64_t block, int64_t ci_begin, int64_t ci_end) const;

  const ConvShape& shape_;
  const float* weight_;
  WeightLayout layout_;
  int64_t width_, blocks_;
  bool whole_rows_;
  std::vector<TapEntry> entries_;
  std::vector<float*> panels_;  // [plan * groups + group]
};

// A call's panels packed inside its GEMM loop. A block (group, output-channel block, input-channel block) is packed
// by the first task that needs it, and the microkernel then reads it from that core's caches; the weight is read
// once per call, and no pass over all of it comes before the products. Tasks that share output channels (ranges of
// tiles) use each other's blocks, each starting at its own part of them (BlockWalk::for_range).
class LazyPanels {
 public:
  // Before the tasks run (outside the parallel region): every block unpacked.
  void start(const BlockPacker& packer, int64_t groups, int64_t blocks, int64_t in_per_group, int64_t ci_block);

  // A task's walk through its blocks [begin, end): from `first`, wrapping around.
  struct BlockWalk {
    int64_t begin, end, first;

    // The walk of the task of the `range`-th range of pixels. Tasks of consecutive ranges share their blocks and run
    // at the same time, one per thread: starting range r at (r mod T) / T of the blocks on T threads, each packs its
    // own part and finds the others' packed by the time it gets there. (Starting at range / ranges, the task that
    // followed a packer through blocks it only read caught up with it and waited: dcgan's forward 0.95 of the time
    // before.) The start depends on the task, not on which thread runs it, so that no result does (the scatter
    // GEMM's sums follow the block order). Called inside the parallel region.
    static BlockWalk for_range(int64_t begin, int64_t end, int64_t range);

    int64_t size() const { return end - begin; }
    // The i-th block of the walk.
    int64_t at(int64_t i) const {
      const int64_t block = first + i;
      return block < end ? block : block - size();
    }
  };

  // Returns once block (group, block, the input-channel block starting at ci0) is packed: packing it if no task
  // has, or, while another does, packing the blocks at the far end of the caller's walk. (Packing the blocks
  // right after it instead had both threads racing through the same blocks: unet_k4s2's grad-input 0.94 to 0.96
  // of the time before.)
  void need(int64_t group, int64_t block, int64_t ci0, const BlockWalk& walk) {
    // Inline for the common case, a block already packed: a call per block of every tile or row cost 2% of a
    // small layer.
    const int64_t index = index_of(group, block, ci0 / ci_block_);
    if (state_[index].load(std::memory_order_acquire) != kPacked) pack_or_wait(index, block, walk);
  }

  // Packs every block not yet packed, shared out over the enclosing parallel region's threads (an orphaned
  // `omp for`).
  void pack_all();

 private:
  enum State : uint8_t { kUnpacked, kPacking, kPacked };
  bool try_pack(int64_t index);
  void pack_or_wait(int64_t index, int64_t block, const BlockWalk& walk);
  int64_t index_of(int64_t group, int64_t block, int64_t ci_index) const {
    return (group * blocks_ + block) * ci_blocks_ + ci_index;
  }

  const BlockPacker* packer_ = nullptr;
  int64_t blocks_ = 0, ci_blocks_ = 0, ci_block_ = 1, in_per_group_ = 0, count_ = 0, capacity_ = 0;
  std::unique_ptr<std::atomic<uint8_t>[]> state_;
};

}  // namespace convt::cpu
