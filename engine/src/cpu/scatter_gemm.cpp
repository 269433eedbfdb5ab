// conv_transpose2d's forward through column tiles scattered into the output (scatter_gemm.h).
#include "scatter_gemm.h"

#include "float_runs.h"
#include "microkernels.h"
#include "parallel_threshold.h"
#include "scratch.h"
#include "weight_panels.h"

#include <convt/aligned.h>
#include <convt/cpu.h>

#include <algorithm>
#include <numeric>
#include <vector>

namespace convt::cpu {
namespace {

// A tile group's packed B (C_in/groups rows of nr floats per tile) stays within half of a 512 KB L2 while every
// block of A meets it; at most 8 tiles, as in the phase GEMM.
constexpr int64_t kTileGroupBytes = int64_t{256} << 10;
constexpr int64_t kMaxTilesPerGroup = 8;
constexpr int64_t kBlocksPerUnit = 8;
static_assert(kMaxNr <= 32, "a tile's pixels are bits of a uint32_t");

// How one call is cut. A's rows are (co, tap) pairs, co major, in blocks of mr; a task owns whole images and a
// range of output channels, so that no two tasks ever add into the same output element. Channel ranges are whole
// numbers of `quantum` channels, which is exactly a whole number of blocks of rows.
struct ScatterPlan {
  int64_t taps = 1, rows = 0, blocks = 0;
  int64_t pixels = 0, out_plane = 0;
  int64_t quantum = 1, quanta = 1;
  int64_t tiles_per_group = 1;
  int64_t images_per_task = 1, image_ranges = 1, channel_ranges = 1, tasks = 1;
  // Each tap's displacement from a pixel's first output: rows and columns, and as an offset in an output plane.
  std::vector<int64_t> tap_dy, tap_dx, tap_offset;
  // How scatter_tile adds a block's rows into the output: a whole kernel row of `row_taps` taps at once
  // (add_kernel_row; 0 for none), or the rows of taps kx and kx + pair_step together (add_run_pairs; kernel_w for
  // none), or each row alone (add_runs).
  int64_t row_taps = 0, pair_step = 1;
};

ScatterPlan plan_of(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params, const MicroKernel& kernel,
             int threads) {
  ScatterPlan p;
  p.taps = g.kernel_h * g.kernel_w;
  p.rows = g.out_channels_per_group * p.taps;
  p.blocks = (p.rows + kernel.mr - 1) / kernel.mr;
  p.pixels = g.in_h * g.in_w;
  p.out_plane = g.out_h * g.out_w;
  for (int64_t tap = 0; tap < p.taps; ++tap) {
    p.tap_dy.push_back(tap / g.kernel_w * params.dilation.h);
    p.tap_dx.push_back(tap % g.kernel_w * params.dilation.w);
    p.tap_offset.push_back(p.tap_dy.back() * g.out_w + p.tap_dx.back());
  }
  // With add_run_pairs, the row of tap (ky, kx) and the row of tap (ky, kx + stride), when both are in the block,
  // are added together: the second's pixel j lands where the first's pixel j + 1 does (without dilation). Each
  // output is then loaded and stored once for the two: progan's forward ran 1.05 to 1.08 times as fast, seg_k4s2's
  // 1.03 to 1.04; gan_k4s2b's and dcgan's, whose runs are 8 and 4 pixels, within the noise.
  p.pair_step = kernel.add_run_pairs && params.dilation.w == 1 ? params.stride.w : g.kernel_w;
  // With add_kernel_row, at stride 2 a whole kernel row of 3 or 4 taps (where the block holds all of it) is added at
  // once, each output loaded and stored once for the row, where pairs took two masked loads and stores of every
  // output line: progan's, seg_k4s2's, dcgan's and unet_k4s2's forwards ran 1.01 to 1.04 times as fast, a 3x3
  // kernel's (256 to 128 channels) 1.04 (best and median of 7 alternating rounds, the Intel Xeon). The additions
  // stay about a tenth of progan's forward: they wait on the output lines' loads.
  const bool whole_rows = kernel.add_kernel_row && params.stride.w == 2 && params.dilation.w == 1 &&
                          (g.kernel_w == 3 || g.kernel_w == 4);
  p.row_taps = whole_rows ? g.kernel_w : 0;
  p.quantum = kernel.mr / std::gcd(p.taps, kernel.mr);
  p.quanta = (g.out_channels_per_group + p.quantum - 1) / p.quantum;
  const int64_t tile_bytes = g.in_channels_per_group * kernel.nr * static_cast<int64_t>(sizeof(float));
  p.tiles_per_group = std::clamp<int64_t>(kTileGroupBytes / tile_bytes, 1, kMaxTilesPerGroup);
  // Enough images per task to fill a tile group, so that each block of A serves that many tiles.
  p.images_per_task = std::clamp<int64_t>((p.tiles_per_group * kernel.nr + p.pixels - 1) / p.pixels, 1, g.batch);
  p.image_ranges = (g.batch + p.images_per_task - 1) / p.images_per_task;
  // About four tasks per thread; channel ranges make up what images and groups lack.
  const int64_t wanted = threads > 1 ? 4 * static_cast<int64_t>(threads) : 1;
  const int64_t have = g.groups * p.image_ranges;
  p.channel_ranges = std::clamp<int64_t>((wanted + have - 1) / have, 1, p.quanta);
  p.tasks = have * p.channel_ranges;
  return p;
}

// The weight [C_in, C_out/groups, kH, kW] is already A transposed: input channel ci's row holds every (co, tap)
// in A's row order. Packing cuts it into blocks of mr rows, [group][block][ci][mr] (rows past the last zeroed).
// The tasks pack it as their GEMM loop first needs each block (LazyPanels, weight_panels.h).
class ScatterPacker final : public BlockPacker {
 public:
  ScatterPacker(const ConvTranspose2dGeometry& g, const ScatterPlan& p, int64_t mr, const float* weight,
                float* panels)
      : g_(g), p_(p), mr_(mr), weight_(weight), panels_(panels) {}

  // `unit` is kBlocksPerUnit blocks of mr rows: input channel by input channel, a stretch of kBlocksPerUnit * mr
  // floats of its row is read and dealt out to the blocks. The stretches lie a whole row apart, where the hardware
  // prefetcher does not follow, so the ones a few channels on are asked for meanwhile.
  void pack_block(int64_t group, int64_t unit, int64_t ci_begin, int64_t ci_end) const override {
    constexpr int64_t kChannelsAhead = 16;
    const int64_t cig = g_.in_channels_per_group, block_begin = unit * kBlocksPerUnit;
    const int64_t block_end = std::min(p_.blocks, block_begin + kBlocksPerUnit);
    const int64_t first = block_begin * mr_, count = std::min(p_.rows, block_end * mr_) - first;
    const float* rows = weight_ + group * cig * p_.rows + first;
    float* panel = panels_ + (group * p_.blocks + block_begin) * cig * mr_;
    for (int64_t ci = ci_begin; ci < ci_end; ++ci) {
      if (ci + kChannelsAhead < ci_end) {
        const float* ahead = rows + (ci + kChannelsAhead) * p_.rows;
        for (int64_t k = 0; k < count; k += 16) __builtin_prefetch(ahead + k);
        __builtin_prefetch(ahead + count - 1);
      }
      const float* source = rows + ci * p_.rows;
      for (int64_t block = 0; block < block_end - block_begin; ++block) {
        float* destination = panel + (block * cig + ci) * mr_;
        const float* from = source + block * mr_;
        // A whole block by 16-byte moves (copy_run: the packing's share of unet_k4s2's forward, with the tall
        // tile's 12 rows, fell from 11.4% to 9.9%; the rest waits on the weight's lines); the last block element by
        // element, with the rows past the last zeroed.
        if ((block + 1) * mr_ <= count) {
          copy_run(from, mr_, destination);
          continue;
        }
        for (int64_t m = 0; m < mr_; ++m) destination[m] = block * mr_ + m < count ? from[m] : 0.0f;
      }
    }
  }

 private:
  const ConvTranspose2dGeometry& g_;
  const ScatterPlan& p_;
  int64_t mr_;
  const float* weight_;
  float* panels_;
};

// One task's share: its group, images [image_begin, image_end) and output channels [co_begin, co_end).
struct Task {
  int64_t group, image_begin, image_end, co_begin, co_end;
};

Task task_of(const ConvTranspose2dGeometry& g, const ScatterPlan& p, int64_t index) {
  Task t;
  t.group = index / (p.image_ranges * p.channel_ranges);
  const int64_t range = index / p.channel_ranges % p.image_ranges, part = index % p.channel_ranges;
  t.image_begin = range * p.images_per_task;
  t.image_end = std::min(g.batch, t.image_begin + p.images_per_task);
  t.co_begin = p.quanta * part / p.channel_ranges * p.quantum;
  t.co_end = std::min(g.out_channels_per_group, p.quanta * (part + 1) / p.channel_ranges * p.quantum);
  return t;
}

// A stretch of output to set to one value: rows of one output plane.
struct FillSpan {
  float* begin;
  int64_t count;
  float value;
};

// Output rows queued to be filled a few lines at a time (drain), between the microkernel calls of the tile group
// before the one whose additions need them: the fill's misses then overlap the products, where filled just before
// the additions they stood alone (progan's forward 1.01 to 1.03 times faster, seg_k4s2's and unet_k4s2's 1.01 to
// 1.04; run_task's share of progan's forward 7.6% to 5.2%). Each span is filled once, front to back.
class FillQueue {
 public:
  explicit FillQueue(std::vector<FillSpan>& spans) : spans_(spans) { spans_.clear(); }
  void push(float* begin, int64_t count, float value) {
    if (count <= 0) return;
    spans_.push_back({begin, count, value});
    queued_ += count;
  }
  int64_t queued() const { return queued_; }
  // Fills the first min(floats, queued()) floats of the queue.
  void drain(int64_t floats) {
    while (floats > 0 && next_ < spans_.size()) {
      FillSpan& span = spans_[next_];
      const int64_t n = std::min(floats, span.count);
      std::fill(span.begin, span.begin + n, span.value);
      span.begin += n;
      span.count -= n;
      floats -= n;
      queued_ -= n;
      if (span.count == 0) ++next_;
    }
    if (next_ == spans_.size()) spans_.clear(), next_ = 0;
  }
  void drain_all() { drain(queued_); }

 private:
  std::vector<FillSpan>& spans_;
  size_t next_ = 0;
  int64_t queued_ = 0;
};

// Per-thread scratch, kept between calls.
struct Scratch {
  AlignedFloats b;  // [tile][ci][nr]
  AlignedFloats c;  // [mr][nr]
  // [tile][tap]: bit j set when pixel j's output at that tap is inside the output (a tile has at most 32 pixels).
  std::vector<uint32_t> inside;
  // [tile][run]: each tile's pixels by input rows, whose outputs lie the stride apart (MicroKernel::add_runs).
  std::vector<OutputRun> runs;
  std::vector<int64_t> run_count;  // runs in each tile
  std::vector<int64_t> filled;     // run_task's rows filled, per image
  std::vector<FillSpan> fills;     // run_task's rows queued to fill ahead (FillQueue)
};

Scratch& thread_scratch() {
  static thread_local Scratch scratch;
  return scratch;
}

AlignedFloats& call_panels() {
  static thread_local AlignedFloats panels;
  return panels;
}

struct Call {
  const ConvTranspose2dGeometry& g;
  const ConvTranspose2dParams& params;
  const ScatterPlan& plan;
  const MicroKernel& kernel;
  const float* input;
  const float* panels;
  LazyPanels& lazy;
  const float* bias;
  float* output;
};

// Packs tile `slot`'s B: the task's pixels [first, first + count) (over its images, in order), every input
// channel of the group, zero past the count; and records where its pixels' outputs start, by input rows (the
// output runs) and which of their taps land inside the output.
void prepare_tile(const Call& call, const Task& task, int64_t first, int64_t count, int64_t slot, Scratch& s) {
  const ConvTranspose2dGeometry& g = call.g;
  const int64_t nr = call.kernel.nr, cig = g.in_channels_per_group, pixels = call.plan.pixels;
  // The tile's pixels are one run per image it touches, each contiguous in every channel plane. out_y and out_x
  // are where each pixel's tap (0, 0) lands, possibly outside the output.
  Run runs[kMaxNr + 1];
  int64_t out_y[kMaxNr], out_x[kMaxNr];
  int64_t run_count = 0;
  // The output runs start at each input row (and image) the tile's pixels reach.
  OutputRun* output_runs = s.runs.data() + slot * nr;
  int64_t output_run_count = 0;
  for (int64_t j = 0; j < count;) {
    const int64_t image = task.image_begin + (first + j) / pixels, q = (first + j) % pixels;
    const int64_t length = std::min(count - j, pixels - q);
    runs[run_count++] = {static_cast<int32_t>(j), static_cast<int32_t>(length),
                         (image - task.image_begin) * g.in_channels * pixels + q, 1};
    for (int64_t i = 0; i < length; ++i) {
      out_y[j + i] = (q + i) / g.in_w * call.params.stride.h - call.params.padding.h;
      out_x[j + i] = (q + i) % g.in_w * call.params.stride.w - call.params.padding.w;
      // A run's offset: where its first pixel's tap (0, 0) lands, from channel 0 of the output tensor (possibly
      // outside the output: `inside` says which taps land).
      if (i == 0 || (q + i) % g.in_w == 0)
        output_runs[output_run_count++] = {
            static_cast<int32_t>(j + i), 0,
            image * g.out_channels * call.plan.out_plane + out_y[j + i] * g.out_w + out_x[j + i]};
      ++output_runs[output_run_count - 1].length;
    }
    j += length;
  }
  s.run_count[static_cast<size_t>(slot)] = output_run_count;
  if (count < nr) runs[run_count++] = {static_cast<int32_t>(count), static_cast<int32_t>(nr - count), -1, 1};
  const float* first_channel = call.input + (task.image_begin * g.in_channels + task.group * cig) * pixels;
  call.kernel.pack_rows(runs, run_count, first_channel, pixels, cig, s.b.data() + slot * cig * nr, nr);
  for (int64_t tap = 0; tap < call.plan.taps; ++tap) {
    const int64_t dy = call.plan.tap_dy[static_cast<size_t>(tap)], dx = call.plan.tap_dx[static_cast<size_t>(tap)];
    uint32_t bits = 0;
    for (int64_t j = 0; j < count; ++j) {
      const int64_t y = out_y[j] + dy, x = out_x[j] + dx;
      if (y >= 0 && y < g.out_h && x >= 0 && x < g.out_w) bits |= 1u << j;
    }
    s.inside[static_cast<size_t>(slot * call.plan.taps + tap)] = bits;
  }
}

// Adds C's rows [first_row, first_row + rows) of A (each a (co, tap) pair) into the output at their taps, through
// the kernel's add_runs (or add_run_pairs, or add_kernel_row, as the plan says), which leave the pixels whose taps
// land outside the output.
void scatter_tile(const Call& call, const Task& task, int64_t slot, int64_t first_row, int64_t rows, const Scratch& s) {
  const ConvTranspose2dGeometry& g = call.g;
  const ScatterPlan& p = call.plan;
  const int64_t nr = call.kernel.nr;
  const uint32_t* inside = s.inside.data() + slot * p.taps;
  const OutputRun* runs = s.runs.data() + slot * nr;
  const int64_t run_count = s.run_count[static_cast<size_t>(slot)];
  uint32_t added = 0;  // rows already added with their pair's first
  for (int64_t r = 0; r < rows; ++r) {
    if (added >> r & 1u) continue;
    const int64_t co = (first_row + r) / p.taps, tap = (first_row + r) % p.taps;
    float* plane = call.output + (task.group * g.out_channels_per_group + co) * p.out_plane +
                   p.tap_offset[static_cast<size_t>(tap)];
    const float* c = s.c.data() + r * nr;
    const uint32_t bits = inside[tap];
    if (p.row_taps && tap % g.kernel_w == 0 && r + p.row_taps <= rows) {
      call.kernel.add_kernel_row(c, nr, inside + tap, p.row_taps, runs, run_count, plane);
      r += p.row_taps - 1;
      continue;
    }
    if (tap % g.kernel_w + p.pair_step < g.kernel_w && r + p.pair_step < rows) {
      call.kernel.add_run_pairs(c, c + p.pair_step * nr, runs, run_count, bits, inside[tap + p.pair_step],
                                call.params.stride.w, plane);
      added |= 1u << (r + p.pair_step);
    } else {
      call.kernel.add_runs(c, runs, run_count, bits, call.params.stride.w, plane);
    }
  }
}

void run_task(const Call& call, int64_t index, Scratch& s) {
  const ConvTranspose2dGeometry& g = call.g;
  const ScatterPlan& p = call.plan;
  const MicroKernel& kernel = call.kernel;
  const int64_t mr = kernel.mr, nr = kernel.nr, cig = g.in_channels_per_group;
  const Task task = task_of(g, p, index);
  // Never true (there are at most as many channel ranges as quanta), but without it GCC 12 laid out the scatter
  // loops below 2 to 4% slower on gan_k4s2b and dcgan (old binary against new, alternating).
  if (task.co_begin >= task.co_end) return;
  // The task's outputs start at the bias (or zero), and every column that lands on them is then added. Each tile
  // group's output rows that its pixels' taps are the first to reach are filled during the group before it
  // (FillQueue; the first group's just before its products), so those lines are still in the core's cache when the
  // additions come. A task with a single tile group (a few small images) fills them all before its products.
  // (Filling the task's whole outputs first, 4 MB of progan's, took 4% of its forward, and the additions then
  // fetched the lines again; filled as they are reached, gan_k4s2b's forward ran 1.13 to 1.18 times as fast,
  // dcgan's and unet_k4s2's within 2% either way.) filled[i]: the rows of image i queued so far.
  std::vector<int64_t>& filled = s.filled;
  filled.assign(static_cast<size_t>(task.image_end - task.image_begin), 0);
  FillQueue fills(s.fills);
  auto fill_rows = [&](int64_t image, int64_t up_to) {
    int64_t& from = filled[static_cast<size_t>(image - task.image_begin)];
    if (up_to <= from) return;
    for (int64_t co = task.co_begin; co < task.co_end; ++co) {
      const int64_t channel = task.group * g.out_channels_per_group + co;
      float* plane = call.output + (image * g.out_channels + channel) * p.out_plane;
      fills.push(plane + from * g.out_w, (up_to - from) * g.out_w, call.bias ? call.bias[channel] : 0.0f);
    }
    from = up_to;
  };
  // One past the last output row that an input row's taps reach.
  const int64_t reach_below = (g.kernel_h - 1) * call.params.dilation.h - call.params.padding.h + 1;
  auto rows_reached = [&](int64_t input_row) {
    return std::clamp<int64_t>(input_row * call.params.stride.h + reach_below, 0, g.out_h);
  };
  const int64_t row_begin = task.co_begin * p.taps, row_end = task.co_end * p.taps;
  const int64_t block_begin = row_begin / mr, block_end = (row_end + mr - 1) / mr;
  const int64_t pixels = (task.image_end - task.image_begin) * p.pixels;
  const int64_t tiles = (pixels + nr - 1) / nr;
  const float* group_panels = call.panels + task.group * p.blocks * cig * mr;
  // The task walks its blocks; the packing's units are kBlocksPerUnit of them.
  const auto walk = LazyPanels::BlockWalk::for_range(block_begin, block_end, task.image_begin / p.images_per_task);
  const LazyPanels::BlockWalk unit_walk{walk.begin / kBlocksPerUnit, (walk.end - 1) / kBlocksPerUnit + 1,
                                        walk.first / kBlocksPerUnit};
  // Queues the output rows that the taps of the group from tile tile0 are the first to reach: the group's pixels
  // [tile0 * nr, last], over the task's images in order, each image's rows up to its last. No tap of an earlier
  // group reaches them.
  auto queue_rows_of_group = [&](int64_t tile0) {
    const int64_t group_tiles = std::min(p.tiles_per_group, tiles - tile0);
    const int64_t first_pixel = tile0 * nr, last_pixel = std::min(pixels, (tile0 + group_tiles) * nr) - 1;
    for (int64_t image = first_pixel / p.pixels; image <= last_pixel / p.pixels; ++image) {
      const int64_t last_in_image = std::min(last_pixel, (image + 1) * p.pixels - 1) % p.pixels;
      fill_rows(task.image_begin + image, rows_reached(last_in_image / g.in_w));
    }
  };
  queue_rows_of_group(0);
  for (int64_t tile0 = 0; tile0 < tiles; tile0 += p.tiles_per_group) {
    const int64_t group_tiles = std::min(p.tiles_per_group, tiles - tile0);
    for (int64_t t = 0; t < group_tiles; ++t)
      prepare_tile(call, task, (tile0 + t) * nr, std::min(nr, pixels - (tile0 + t) * nr), t, s);
    // This group's rows: the first group's, queued above; for the others a safeguard, as the group before drained
    // them all. Then the next group's, spread over this group's microkernel calls.
    fills.drain_all();
    if (tile0 + p.tiles_per_group < tiles) queue_rows_of_group(tile0 + p.tiles_per_group);
    const int64_t per_call = fills.queued() / (walk.size() * group_tiles) + 1;
    for (int64_t i = 0; i < walk.size(); ++i) {
      const int64_t block = walk.at(i);
      call.lazy.need(task.group, block / kBlocksPerUnit, 0, unit_walk);
      const float* a = group_panels + block * cig * mr;
      const int64_t first_row = block * mr, rows = std::min(mr, row_end - first_row);
      for (int64_t t = 0; t < group_tiles; ++t) {
        kernel.run_store(cig, a, s.b.data() + t * cig * nr, s.c.data(), nr);
        scatter_tile(call, task, t, first_row, rows, s);
        fills.drain(per_call);
      }
    }
  }
  // Rows that no tap reaches (an output_padding's) hold the bias alone.
  for (int64_t image = task.image_begin; image < task.image_end; ++image) fill_rows(image, g.out_h);
  fills.drain_all();
}

}  // namespace

bool use_scatter_gemm(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params, bool thin,
                      PhaseGemmInput phase_gemm) {
  switch (forced_kernel_path()) {
    case KernelPath::ScatterGemm: return true;
    case KernelPath::Automatic: break;
    default: return false;
  }
  // Per product, the phase GEMM's packing costs about 1 / C_out (each packed float serves every output channel)
  // and this path's scatter about 1 / C_in (each column float adds into one output), a scattered float costing
  // about twice a packed one. Measured on 2 threads against the phase GEMM (AVX2, the layers of bench/): 1.05 to
  // 1.37 times faster on 11 layers with C_in >= 2 C_out at stride 2 (U-Net and DCGAN decoders, 4x4 to 32x32
  // inputs); 0.9 to 1.05 at C_in = C_out and at stride 1; 0.5 at C_in = C_out / 2. Each level says from what
  // ratio (MicroKernel::scatter_in_per_out).
  const MicroKernel& kernel = active_microkernel();
  const bool strided = params.stride.h > 1 || params.stride.w > 1;
  if (thin || !strided || g.in_channels_per_group < kernel.scatter_in_per_out * g.out_channels_per_group) return false;
  if (phase_gemm == PhaseGemmInput::Packed) return true;
  // The phase GEMM with its input in place vectorises over the output channels, nr to a tile: at 16 or fewer of
  // AVX-512's 32, half of its lanes or more compute nothing, where this path's tiles are pixels. On layers drawn by
  // bench/random_layers.py (seeds 1203, 1204 and 1206; the Intel Xeon, 2 threads, best of 3 to 5) this path ran
  // 1.16 to 1.92 times as fast as the in-place GEMM on eight such layers of 2 to 16 images, 0.96 on one; but on
  // single images 0.55 to 0.69 on three of five (with one image its tasks split only the output channels, and each
  // packs every pixel).
  return kernel.scatter_for_empty_lanes && phase_gemm == PhaseGemmInput::InPlace &&
         2 * g.out_channels_per_group <= kernel.nr && g.batch >= 2;
}

void conv_transpose2d_scatter_gemm(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params,
                                   const float* input, const float* weight, const float* bias, float* output) {
  // The GEMM's rows are every output channel's taps: many, so taller tiles read B fewer times.
  const MicroKernel& kernel =
      kernel_for_rows(active_microkernel(), g.out_channels_per_group * g.kernel_h * g.kernel_w);
  const int threads = threads_for_work(g.useful_flops());
  const ScatterPlan plan = plan_of(g, params, kernel, threads);
  AlignedFloats& panels = call_panels();
  at_least(panels, g.groups * plan.blocks * g.in_channels_per_group * kernel.mr);
  const ScatterPacker packer(g, plan, kernel.mr, weight, panels.data());
  static thread_local LazyPanels lazy;
  lazy.start(packer, g.groups, (plan.blocks + kBlocksPerUnit - 1) / kBlocksPerUnit, g.in_channels_per_group,
             g.in_channels_per_group);
  const Call call{g, params, plan, kernel, input, panels.data(), lazy, bias, output};
#pragma omp parallel num_threads(threads)
  {
    Scratch& s = thread_scratch();
    const int64_t slots = plan.tiles_per_group * kernel.nr;
    at_least(s.b, slots * g.in_channels_per_group);
    at_least(s.c, kernel.mr * kernel.nr);
    at_least(s.inside, plan.tiles_per_group * plan.taps);
    at_least(s.runs, slots);
    at_least(s.run_count, plan.tiles_per_group);
#pragma omp for schedule(dynamic)
    for (int64_t task = 0; task < plan.tasks; ++task) run_task(call, task, s);
  }
}

}  // namespace convt::cpu
