// The tasks one call of the strided correlations (strided_correlation.h) is cut into, and what they share: the
// call's blocking, what every task reads, and each thread's scratch. Private to the engine's CPU backend.
#pragma once

#include "correlation_tiles.h"
#include "microkernels.h"
#include "padded_planes.h"
#include "strided_correlation.h"
#include "weight_panels.h"

#include <convt/aligned.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace convt::cpu {

// How one call is cut into tasks. A task is (group, a range of tiles of every plan, a range of output-channel
// blocks). Keeping all phases of the same output rows in one task matters: phases interleave in memory (stride s),
// so splitting them across threads would have two cores writing the same cache lines. When the pixels are few (a
// batch-1 layer with a small image), tiles alone give too few tasks, so the output channels are split as well.
struct Blocking {
  int64_t tiles_per_task = 1, tile_ranges = 1;
  int64_t m_blocks = 1, m_ranges = 1;
  int64_t tasks = 1;
  // Streaming: no panels at all; the microkernel reads the user's weight in place, input-channel block by block,
  // for every plan at once (ci_block channels, about kKc taps in all). Used when every plan's pixels fit one
  // task's tiles: the tasks split the output channels, so the weight is read once per call, split over the cores,
  // or (own_b) the tiles, each thread then reading the whole weight.
  bool streaming = false;
  // Streaming with B in place too (MicroKernel::run_in_place): B is read from the input's padded planes, split by
  // the x stride so that a row's pixels read contiguous floats, in segments of kInPlaceSegment pixels of one row.
  // Used when every plan's rows are whole segments; nothing of either operand is then packed.
  bool b_in_place = false;
  // Streaming with each task packing its own tiles' B, block by block into its scratch, rather than the call
  // packing every tile's B before the tasks, for all of them to share:
  // - when the tiles go evenly round the threads, each task (one per thread) takes its own tiles and reads the
  //   whole weight, which L3 then serves to every thread: no B is shared between cores, and no pass over B comes
  //   before the tasks (b1_mid's forward, 4 tiles on 2 threads: 1.3 times faster); unevenly too (5 tiles on 2
  //   threads) for fewer than 128 output channels, whose tasks' rows would be too few to repay sharing every tile;
  // - with fewer tiles than threads, when packing is copying contiguous runs (a transposed conv's phases), each
  //   task (one per thread) takes every tile and packs its own copy, which stays in L1 (latency's forward 1.25
  //   times faster, gen_first's 1.15). At stride 2 (grad_input) packing twice costs what it saves.
  bool own_b = false;
  // Input in place: the roles of the GEMM swap. The packed weight is B (kernel.nr output channels wide) and the
  // microkernel reads A, the input, in place through a zero-padded copy: row m of a tile is a pixel, and a K step
  // (ci, tap) an offset into the input. Nothing of the input is packed. Tiles are then kernel.mr pixels, and the
  // "m blocks" count blocks of kernel.nr output channels.
  bool input_in_place = false;
  // The packed-input GEMM with A, the weight, read in place (run_rows) instead of packed into panels: when each
  // output channel's row of K is contiguous in the user's weight, in the panels' K order (weight_rows_in_k_order).
  bool weight_in_place = false;
  int64_t ci_block = 1;
};

// Up to 8 tiles per task: each block of A then serves 8 tiles before the next is loaded, and a task's B blocks
// stay within L2.
constexpr int64_t kMaxTilesPerTask = 8;

// The call's own buffers when it streams: every plan's tiles, and (when the tasks share it) their packed B for
// every group, as [group][tile][plan's K rows][nr] with the plans one after another. Kept by the calling thread
// between calls.
struct SharedTiles {
  std::vector<TileIndex> tiles;  // [plan][tile], per_plan tiles a plan
  int64_t per_plan = 0;
  AlignedFloats b;
};

// Everything a task reads.
struct Call {
  const std::vector<CorrelationPlan>& plans;
  const ConvShape& shape;
  const MicroKernel& kernel;
  const float* input;
  const float* weight;  // the user's weight, read in place (streaming)
  WeightLayout layout;
  const std::vector<AlignedFloats>* panels;  // packed panels (not streaming)
  LazyPanels* lazy;                           // packs them block by block as tasks need them, or null
  const float* bias;
  float* output;
  Blocking blocking;
  std::vector<int64_t> taps;                    // taps of each plan
  std::vector<std::vector<int64_t>> tap_index;  // each plan's taps as ky * kW + kx (streaming)
  std::vector<int64_t> tiles;                   // tiles of each plan
  // Streaming: every plan's taps together, where each plan's start, and the call's tiles and packed B.
  int64_t all_taps = 0, max_taps = 0;
  std::vector<int64_t> tap_prefix;
  SharedTiles* shared = nullptr;
  // Gathering B (phases only a few pixels wide, where each tile row would be many short runs) where the kernel has
  // no gather_rows, or reading the input in place (either GEMM operand): the input padded with zeros, and each
  // plan's taps as offsets into one of its planes.
  const PaddedPlanes* padded = nullptr;
  std::vector<std::vector<int64_t>> gather_offset;
  // How the tiles describe B's sources: PaddedBase with `padded`; Gather when B is gathered from the input itself
  // (MicroKernel::gather_rows); Runs otherwise.
  TileSources b_sources = TileSources::Runs;
  // Either GEMM with panels: for the left plan of a pair of column partners (column_partners), the right one's
  // index; for the right one kRightPartner (it runs with the left); kNoPartner otherwise. Empty when the kernel
  // cannot store pairs, or when streaming.
  std::vector<int64_t> x_partner;
  // Input in place, with taps that read outside the input: each task pads its own window of input rows, for its
  // group, into its thread's scratch (Scratch::window), rather than the call padding the whole input first. The
  // window stays in the core's L2, so the input crosses memory once, not three times (read, written padded, read
  // again). `padded` then only gives the windows' columns (pad_left, row), which the tap offsets depend on.
  bool padded_windows = false;
};

// Per-thread scratch, kept between calls (OpenMP's threads persist) so that calls do not fault in fresh pages.
struct Scratch {
  std::vector<TileIndex> tiles;  // the tiles of a task (with panels, or in place)
  AlignedFloats b, c;
  // One input-channel block's K offsets: into a weight row (streaming), or into the padded input (in place), and
  // into the padded input for B when streaming with B in place.
  std::vector<int64_t> offsets, b_offsets;
  PaddedPlanes window;  // Call::padded_windows: the task's window of the input
};

// The task's share of the work, decoded from its number.
struct TaskRange {
  int64_t group, first_tile, mb_begin, mb_end, rows;
};

inline TaskRange task_range(const Blocking& b, int64_t task, int64_t mr) {
  TaskRange r;
  r.group = task / (b.tile_ranges * b.m_ranges);
  const int64_t range = task / b.m_ranges % b.tile_ranges, part = task % b.m_ranges;
  r.first_tile = range * b.tiles_per_task;
  r.mb_begin = b.m_blocks * part / b.m_ranges;
  r.mb_end = b.m_blocks * (part + 1) / b.m_ranges;
  r.rows = (r.mb_end - r.mb_begin) * mr;
  return r;
}

inline int64_t tile_count(const Call& call, const TaskRange& r, size_t plan) {
  return std::clamp<int64_t>(call.tiles[plan] - r.first_tile, 0, call.blocking.tiles_per_task);
}

constexpr int64_t kNoPartner = -1, kRightPartner = -2;

// Whether two plans' outputs interleave column by column (the column phases of a stride-2 layer, in the same rows):
// b's i-th pixel lands one column right of a's i-th.
bool column_partners(const CorrelationPlan& a, const CorrelationPlan& b);

// Calls run(plan, partner) for each plan of the call but the right partners, which run with their left ones
// (partner is kNoPartner for a plan alone).
template <typename Run>
void for_each_plan_pair(const Call& call, Run run) {
  for (size_t p = 0; p < call.plans.size(); ++p) {
    const int64_t partner = call.x_partner.empty() ? kNoPartner : call.x_partner[p];
    if (partner != kRightPartner) run(p, partner);
  }
}

// A tile of a plan with a column partner, by runs of pixels whose outputs lie 2 apart: a stretch of one output row,
// or on into the next where the two phases fill the row. Calls store(first, length, floats) for each, where floats
// is 2 * length, the run's outputs and its partner's, or one less where the run ends in the row's last column: the
// partner's pixel there is a stand-in one column past the row (a plan widened to tile as its partner does), never
// stored.
template <typename Store>
void for_each_pair_run(const TileIndex& index, int64_t out_w, Store store) {
  const int64_t* offset = index.out_offset.data();
  for (int64_t j = 0; j < index.valid;) {
    int64_t length = 1;
    while (j + length < index.valid && offset[j + length] - offset[j + length - 1] == 2) ++length;
    // An offset's remainder by the row width is its column (the image, channel and row terms are whole rows).
    const bool past_row = offset[j + length - 1] % out_w == out_w - 1;
    store(j, length, 2 * length - (past_row ? 1 : 0));
    j += length;
  }
}

// Whether a tile of `width` pixels is full and its outputs are contiguous, in one output row. Outputs only grow from
// pixel to pixel, by at least one, so the first and the last tell. (A plan with a column partner is stored by runs
// instead: for_each_pair_run.)
inline bool tile_in_one_row(const TileIndex& index, int64_t width) {
  return index.valid == width && index.out_offset[static_cast<size_t>(width - 1)] == index.out_offset[0] + width - 1;
}

// Whether every task of an input-in-place call reads a single image (all its plans' tiles in one), as a window of
// input rows needs (Call::padded_windows).
bool tasks_read_one_image(const Call& call);

// Input in place (Blocking::input_in_place, input_in_place.cpp): one task's tiles, every plan, from C = bias to the
// stored outputs.
void run_task_input_in_place(const Call& call, int64_t task, Scratch& scratch);

}  // namespace convt::cpu
