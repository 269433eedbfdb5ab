// The index work of one tile of a correlation's pixels (strided_correlation.cpp): which output each pixel writes,
// and where B's rows are read from, as runs to copy or as offsets into a zero-padded input to gather through.
#pragma once

#include "microkernels.h"
#include "padded_planes.h"
#include "strided_correlation.h"

#include <cstdint>
#include <vector>

namespace convt::cpu {

// How a tile's B sources are described: what the reader of B needs.
enum class TileSources {
  Runs,        // tap_source and its runs (packing B by copying runs: MicroKernel::pack_rows)
  PaddedBase,  // pixel_base (gathering through the zero-padded input, or reading it in place)
  Gather,      // gather_source (gathering from the input itself: MicroKernel::gather_rows)
};

// The index work of one tile: every pixel's output offset and, per tap, the source offset of every pixel (-1 where
// the tap falls outside the input: a zero) and its runs.
struct TileIndex {
  std::vector<int64_t> out_offset;  // [nr]
  std::vector<int64_t> pixel_base;  // [nr]: PaddedBase, each pixel's offset into the padded input (tap offsets add)
  std::vector<int64_t> tap_source;  // [taps][nr]: Runs
  std::vector<int32_t> gather_source;  // [taps][nr]: Gather, the same offsets in 32 bits
  std::vector<Run> runs;
  std::vector<int64_t> tap_runs;  // [taps + 1]: runs of tap t are runs[tap_runs[t], tap_runs[t + 1])
  int64_t valid = 0;              // pixels of the tile inside the plan (the rest pad the microkernel's width)
};

// The input rows and columns the taps of the plans with outputs read, the input itself at least (so the lows are
// at most 0 and the highs at least its last row and column): the extent a zero-padded copy must cover.
struct ReadExtent {
  int64_t y_lo, y_hi, x_lo, x_hi;
};
ReadExtent read_extent(const std::vector<CorrelationPlan>& plans, const ConvShape& s);

// The parts of a tile that do not depend on the group: every pixel's output offset (group 0) and, per tap, its
// source offset (group 0, input channel 0) as `sources` asks. Groups then share them. PaddedBase (`padded` not null)
// keeps only each pixel's offset into the padded input: every tap then reads inside it. Gather needs every offset
// to fit 32 bits (gather_fits_int32).
void prepare_tile(const CorrelationPlan& plan, const ConvShape& s, int64_t tile, int64_t nr, TileSources sources,
                  const PaddedPlanes* padded, TileIndex& index);

// Whether every source offset of a tile (batch x input channels x plane) fits TileIndex::gather_source.
bool gather_fits_int32(const ConvShape& s);

}  // namespace convt::cpu
