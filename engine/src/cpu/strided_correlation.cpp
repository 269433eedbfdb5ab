#include "strided_correlation.h"

#include "cache_sizes.h"
#include "correlation_tasks.h"
#include "correlation_tiles.h"
#include "padded_planes.h"
#include "parallel_threshold.h"
#include "scratch.h"
#include "weight_panels.h"

#include <convt/aligned.h>
#include <convt/error.h>
#include <convt/shape.h>

#include <algorithm>
#include <numeric>
#include <optional>
#include <string>

namespace convt::cpu {
namespace {

// K is blocked so a packed B block (kKc x NR floats, 64 KB for AVX-512) stays close to L1 while every
// output-channel block reuses it; 512 measured a few per cent faster than 256 on the bench/ layers.
constexpr int64_t kKc = 512;
// With the input in place, a microkernel call reads kKcInPlace x NR floats of the packed weight (8 KB with AVX2's
// NR of 16) besides its pixels' input lines, which stay in L1 while every output-channel block meets them.
constexpr int64_t kKcInPlace = 128;
// Floats of each weight row asked for ahead when streaming a weight whose rows are contiguous (run_task_streaming).
constexpr int64_t kContiguousPrefetch = 256;

Scratch& thread_scratch() {
  static thread_local Scratch scratch;
  return scratch;
}

// C = bias (or zero) for the task's rows of one tile.
void start_tile(const Call& call, const TaskRange& r, float* c) {
  const ConvShape& s = call.shape;
  const int64_t nr = call.kernel.nr;
  for (int64_t m = 0; m < r.rows; ++m) {
    const int64_t co = r.mb_begin * call.kernel.mr + m;
    const float start = (call.bias && co < s.out_per_group) ? call.bias[r.group * s.out_per_group + co] : 0.0f;
    std::fill(c + m * nr, c + (m + 1) * nr, start);
  }
}

// Packs rows k = (ci, tap) for ci in [ci0, ci0 + cn) of one tile's B, as [k][nr]: copying each tap's runs, or
// gathering, from the input itself with the kernel's gather_rows, or through the padded input, one load per element
// at the pixel's offset plus the tap's.
void pack_b(const Call& call, size_t plan, int64_t group, const TileIndex& index, int64_t ci0, int64_t cn,
            float* packed) {
  const ConvShape& s = call.shape;
  const int64_t plane = s.in_h * s.in_w, nr = call.kernel.nr, taps = call.taps[plan];
  const float* first_channel = call.input + (group * s.in_per_group + ci0) * plane;
  if (call.b_sources == TileSources::Gather) {
    call.kernel.gather_rows(index.gather_source.data(), taps, first_channel, plane, cn, packed);
    return;
  }
  if (call.padded) {
    const int64_t* base = index.pixel_base.data();
    const int64_t* tap_offset = call.gather_offset[plan].data();
    for (int64_t c = 0; c < cn; ++c) {
      const float* channel = call.padded->data + (group * s.in_per_group + ci0 + c) * call.padded->plane_size();
      for (int64_t tap = 0; tap < taps; ++tap) {
        const float* source = channel + tap_offset[tap];
        float* row = packed + (c * taps + tap) * nr;
        // Unrolled: the rolled loop's seven instructions ran 10% slower in builds that placed them across a 64-byte
        // line of code (gan_k5s2's forward, the same source built twice).
#pragma GCC unroll 8
        for (int64_t j = 0; j < nr; ++j) row[j] = source[base[j]];
      }
    }
    return;
  }
  for (int64_t tap = 0; tap < taps; ++tap) {
    const int64_t run_begin = index.tap_runs[static_cast<size_t>(tap)];
    call.kernel.pack_rows(index.runs.data() + run_begin, index.tap_runs[static_cast<size_t>(tap + 1)] - run_begin,
                          first_channel, plane, cn, packed + tap * nr, taps * nr);
  }
}

// The task's valid rows and pixels of one tile, from C to the output.
void store_tile(const Call& call, const TaskRange& r, const TileIndex& index, const float* c) {
  const ConvShape& s = call.shape;
  const int64_t out_plane = s.out_h * s.out_w, nr = call.kernel.nr;
  const int64_t first_row = r.mb_begin * call.kernel.mr;
  const int64_t valid_rows = std::min(r.rows, s.out_per_group - first_row);
  float* group_output = call.output + (r.group * s.out_per_group + first_row) * out_plane;
  const int64_t* offset = index.out_offset.data();
  // Runs of pixels whose outputs lie evenly apart (a stretch of one output row of the phase), where that is the next
  // float or every other one (at stride 3, s3's forward ran 0.92 times as fast by runs as one float at a time).
  const int64_t phase_step = index.valid > 1 ? offset[1] - offset[0] : 1;
  if (call.kernel.store_run && (phase_step == 1 || phase_step == 2)) {
    for (int64_t j = 0; j < index.valid;) {
      int64_t length = 1;
      while (j + length < index.valid && offset[j + length] - offset[j + length - 1] == phase_step) ++length;
      call.kernel.store_run(c + j, nr, valid_rows, length, phase_step, group_output + offset[j], out_plane);
      j += length;
    }
    return;
  }
  const int64_t first = offset[0], last = offset[index.valid - 1];
  for (int64_t m = 0; m < valid_rows; ++m) {
    float* channel = group_output + m * out_plane;
    // The output rows two channels on are asked for (to write): a phase writes every s-th float of lines that the
    // other phases' stores have let fall out of the caches (store_tile went from 8% to 7% of seg_k4s2's forward).
    if (m + 2 < valid_rows) {
      __builtin_prefetch(channel + 2 * out_plane + first, 1);
      __builtin_prefetch(channel + 2 * out_plane + last, 1);
    }
    for (int64_t j = 0; j < index.valid; ++j) channel[index.out_offset[static_cast<size_t>(j)]] = c[m * nr + j];
  }
}

// A plan's tile and its column partner's (the same pixels, one output column right), stored together run by run
// (for_each_pair_run): each channel's floats of a run written whole, where store_tile writes every other float of
// lines that the partner writes again later.
void store_pair(const Call& call, const TaskRange& r, const TileIndex& index, const float* c0, const float* c1) {
  const ConvShape& s = call.shape;
  const int64_t out_plane = s.out_h * s.out_w, nr = call.kernel.nr;
  const int64_t first_row = r.mb_begin * call.kernel.mr;
  const int64_t valid_rows = std::min(r.rows, s.out_per_group - first_row);
  float* group_output = call.output + (r.group * s.out_per_group + first_row) * out_plane;
  for_each_pair_run(index, s.out_w, [&](int64_t first, int64_t length, int64_t floats) {
    call.kernel.store_channel_major_pair_run(c0 + first, c1 + first, nr, valid_rows, length, floats,
                                             group_output + index.out_offset[static_cast<size_t>(first)], out_plane);
  });
}

// With packed panels, one plan after another: C = bias, then C += A * B over K blocks of kKc (each block of A
// applied to every tile's B while it is in L1), then the valid pixels are stored. A plan with a column partner
// (Call::x_partner) runs with it, on tiles of the same output pixels one column apart, and the two are stored
// together (store_pair).
void run_task_with_panels(const Call& call, int64_t task, Scratch& scratch) {
  const ConvShape& s = call.shape;
  const MicroKernel& kernel = call.kernel;
  const int64_t mr = kernel.mr, nr = kernel.nr, tiles = call.blocking.tiles_per_task;
  const TaskRange r = task_range(call.blocking, task, mr);
  const auto walk =
      LazyPanels::BlockWalk::for_range(r.mb_begin, r.mb_end, r.first_tile / call.blocking.tiles_per_task);
  // Slot 0 holds a plan's tiles and C, slot 1 its partner's.
  auto tile_of = [&](int64_t slot, int64_t t) -> TileIndex& {
    return scratch.tiles[static_cast<size_t>(slot * tiles + t)];
  };
  auto c_tile = [&](int64_t slot, int64_t t) { return scratch.c.data() + (slot * tiles + t) * r.rows * nr; };
  auto multiply = [&](size_t p, int64_t slot) {
    const int64_t count = tile_count(call, r, p), taps = call.taps[p];
    const int64_t k_total = s.in_per_group * taps;
    const bool weight_in_place = call.blocking.weight_in_place;
    const float* panel =
        weight_in_place ? nullptr
                        : (*call.panels)[p * static_cast<size_t>(s.groups) + static_cast<size_t>(r.group)].data();
    // Without a bias, the first K block writes C rather than adding to a zeroed one.
    for (int64_t t = 0; t < count; ++t) {
      prepare_tile(call.plans[p], s, r.first_tile + t, nr, call.b_sources, call.padded, tile_of(slot, t));
      if (call.bias) start_tile(call, r, c_tile(slot, t));
    }
    for (int64_t ci0 = 0; ci0 < s.in_per_group; ci0 += call.blocking.ci_block) {
      const int64_t cn = std::min(call.blocking.ci_block, s.in_per_group - ci0), kc = cn * taps;
      for (int64_t t = 0; t < count; ++t)
        pack_b(call, p, r.group, tile_of(slot, t), ci0, cn, scratch.b.data() + t * kc * nr);
      for (int64_t i = 0; i < walk.size(); ++i) {
        const int64_t mb = walk.at(i);
        if (call.lazy) call.lazy->need(r.group, mb, ci0, walk);
        const bool first = ci0 == 0 && !call.bias;
        if (weight_in_place) {
          // Rows past C_out/groups repeat a valid one: their results are never stored.
          const float* rows[kMaxMr];
          for (int64_t m = 0; m < mr; ++m)
            rows[m] = call.weight + (r.group * s.out_per_group + std::min(mb * mr + m, s.out_per_group - 1)) * k_total +
                      ci0 * taps;
          // A K block's steps lie one after another along each weight row: no offsets.
          const auto run_rows = first ? kernel.run_rows_store : kernel.run_rows;
          for (int64_t t = 0; t < count; ++t)
            run_rows(kc, rows, nullptr, scratch.b.data() + t * kc * nr,
                     c_tile(slot, t) + (mb - r.mb_begin) * mr * nr);
          continue;
        }
        const float* a = panel + (mb * k_total + ci0 * taps) * mr;
        for (int64_t t = 0; t < count; ++t) {
          const float* b = scratch.b.data() + t * kc * nr;
          float* c = c_tile(slot, t) + (mb - r.mb_begin) * mr * nr;
          if (first)
            kernel.run_store(kc, a, b, c, nr);
          else
            kernel.run(kc, a, b, c);
        }
      }
    }
  };
  for_each_plan_pair(call, [&](size_t p, int64_t partner) {
    multiply(p, 0);
    if (partner >= 0) multiply(static_cast<size_t>(partner), 1);
    for (int64_t t = 0; t < tile_count(call, r, p); ++t) {
      if (partner >= 0)
        store_pair(call, r, tile_of(0, t), c_tile(0, t), c_tile(1, t));
      else
        store_tile(call, r, tile_of(0, t), c_tile(0, t));
    }
  });
}

SharedTiles& call_tiles() {
  static thread_local SharedTiles shared;
  return shared;
}

const TileIndex& shared_tile(const Call& call, size_t plan, int64_t tile) {
  return call.shared->tiles[plan * static_cast<size_t>(call.shared->per_plan) + static_cast<size_t>(tile)];
}

float* shared_b(const Call& call, int64_t group, size_t plan, int64_t tile) {
  const int64_t k_all = call.shape.in_per_group * call.all_taps;
  return call.shared->b.data() +
         ((group * call.blocking.tiles_per_task + tile) * k_all + call.shape.in_per_group * call.tap_prefix[plan]) *
             call.kernel.nr;
}

// Streaming: no copy of the weight at all. Every plan runs together, input-channel block by input-channel block,
// with the microkernel reading A in place (run_rows): row m of an m block is output channel co's weight, and a K
// step (ci, tap) is an offset into it. The task's kernels of one input-channel block are read from memory once
// and serve all its tiles of every phase from L1. B, the task's tiles' input, comes one of three ways:
// - read in place from the input's padded planes (Blocking::b_in_place);
// - packed by the task itself, block by block into its scratch (Blocking::own_b);
// - otherwise the call's, packed once for every tile before the tasks run (each task holds every tile).
void run_task_streaming(const Call& call, int64_t task, Scratch& scratch) {
  const ConvShape& s = call.shape;
  const MicroKernel& kernel = call.kernel;
  const Blocking& b = call.blocking;
  const int64_t mr = kernel.mr, nr = kernel.nr, tiles = b.tiles_per_task;
  const int64_t kernel_taps = s.kernel_h * s.kernel_w;
  const TaskRange r = task_range(b, task, mr);
  auto slot = [&](size_t p, int64_t t) { return static_cast<int64_t>(p) * tiles + t; };
  auto tile_of = [&](size_t p, int64_t t) -> const TileIndex& { return shared_tile(call, p, r.first_tile + t); };
  auto c_tile = [&](size_t p, int64_t t) { return scratch.c.data() + slot(p, t) * r.rows * nr; };
  // Without a bias, a packed B's first K block writes C (run_rows_store) rather than adding to a zeroed one.
  const bool store_first = !call.bias && !b.b_in_place;
  for (size_t p = 0; p < call.plans.size() && !store_first; ++p)
    for (int64_t t = 0; t < tile_count(call, r, p); ++t) start_tile(call, r, c_tile(p, t));
  // Where output channel co's kernels start, and how far apart two input channels' kernels are, in each layout.
  const bool transposed = call.layout == WeightLayout::Transposed;
  const float* group_weight = call.weight + r.group * s.in_per_group * s.out_per_group * kernel_taps;
  const int64_t co_step = transposed ? kernel_taps : s.in_per_group * kernel_taps;
  const int64_t ci_step = transposed ? s.out_per_group * kernel_taps : kernel_taps;
  auto row_of = [&](int64_t mb, int64_t m) {
    return group_weight + std::min(mb * mr + m, s.out_per_group - 1) * co_step;
  };
  // In conv2d's layout a row's block is one contiguous stream, which the hardware prefetchers follow once it has
  // started: only its first lines are asked for. (A block of whole rows holds all of each, 32 KB in latency's
  // grad_input; asking for all of it would fill L1 several times over.)
  const int64_t prefetched_channels =
      transposed ? b.ci_block : std::max<int64_t>(1, kContiguousPrefetch / kernel_taps);
  auto prefetch_block = [&](int64_t mb, int64_t ci0, int64_t cn) {
    cn = std::min(cn, prefetched_channels);
    for (int64_t m = 0; m < mr; ++m)
      for (int64_t c = 0; c < cn; ++c) {
        const float* kernel = row_of(mb, m) + (ci0 + c) * ci_step;
        for (int64_t i = 0; i < kernel_taps; i += 16) __builtin_prefetch(kernel + i);
        __builtin_prefetch(kernel + kernel_taps - 1);
      }
  };
  // B in place: where the group's input planes start, and each tile's segments.
  const int64_t plane_size = b.b_in_place ? call.padded->plane_size() : 0;
  const float* group_input = b.b_in_place ? call.padded->data + r.group * s.in_per_group * plane_size : nullptr;
  // Each tile's segments depend on the tile alone: found once for the task, not for every block of the weight.
  const int64_t per_tile = nr / kInPlaceSegment;
  std::vector<const float*> segments;
  for (size_t p = 0; b.b_in_place && p < call.plans.size(); ++p)
    for (int64_t t = 0; t < tiles; ++t) {
      if (t >= tile_count(call, r, p)) {
        segments.insert(segments.end(), static_cast<size_t>(per_tile), nullptr);  // never read
        continue;
      }
      const TileIndex& index = tile_of(p, t);
      for (int64_t i = 0; i < per_tile; ++i) {
        // A segment past the plan's last pixel repeats the first: its results are never stored.
        const int64_t first = i * kInPlaceSegment < index.valid ? i * kInPlaceSegment : 0;
        segments.push_back(group_input + index.pixel_base[static_cast<size_t>(first)]);
      }
    }
  // B packed: the task's own block of it in scratch, or the call's.
  const int64_t own_stride = b.ci_block * call.max_taps * nr;
  auto packed_b = [&](size_t p, int64_t t, int64_t ci0) -> const float* {
    if (b.own_b) return scratch.b.data() + slot(p, t) * own_stride;
    return shared_b(call, r.group, p, t) + ci0 * call.taps[p] * nr;
  };
  std::vector<int64_t>& offsets = scratch.offsets;
  std::vector<int64_t>& b_offsets = scratch.b_offsets;
  for (int64_t ci0 = 0; ci0 < s.in_per_group; ci0 += b.ci_block) {
    const int64_t cn = std::min(b.ci_block, s.in_per_group - ci0);
    offsets.clear();
    b_offsets.clear();
    for (size_t p = 0; p < call.plans.size(); ++p)
      for (int64_t c = 0; c < cn; ++c) {
        for (int64_t index : call.tap_index[p]) offsets.push_back((ci0 + c) * ci_step + index);
        if (b.b_in_place)
          for (int64_t tap_offset : call.gather_offset[p]) b_offsets.push_back((ci0 + c) * plane_size + tap_offset);
      }
    if (b.own_b && !b.b_in_place)
      for (size_t p = 0; p < call.plans.size(); ++p)
        for (int64_t t = 0; t < tile_count(call, r, p); ++t)
          pack_b(call, p, r.group, tile_of(p, t), ci0, cn, scratch.b.data() + slot(p, t) * own_stride);
    for (int64_t mb = r.mb_begin; mb < r.mb_end; ++mb) {
      // Rows past C_out/groups repeat a valid one: their results are never stored.
      const float* rows[kMaxMr];
      for (int64_t m = 0; m < mr; ++m) rows[m] = row_of(mb, m);
      // The kernels a step reads lie one input channel apart (far apart in conv_transpose2d's layout), where the
      // hardware prefetcher does not follow, and each is read once: the next block's are asked for while this one
      // computes (about 15% on a batch-1 grad_input here; within the noise on the forward).
      if (mb + 1 < r.mb_end)
        prefetch_block(mb + 1, ci0, cn);
      else if (ci0 + cn < s.in_per_group)
        prefetch_block(r.mb_begin, ci0 + cn, std::min(b.ci_block, s.in_per_group - ci0 - cn));
      const int64_t* offset = offsets.data();
      const int64_t* b_offset = b_offsets.data();
      for (size_t p = 0; p < call.plans.size(); ++p) {
        const int64_t kc = cn * call.taps[p];
        for (int64_t t = 0; t < tile_count(call, r, p); ++t) {
          float* c = c_tile(p, t) + (mb - r.mb_begin) * mr * nr;
          if (b.b_in_place) {
            kernel.run_in_place(kc, rows, offset, segments.data() + slot(p, t) * per_tile, b_offset, c);
          } else if (ci0 == 0 && store_first) {
            kernel.run_rows_store(kc, rows, offset, packed_b(p, t, ci0), c);
          } else {
            kernel.run_rows(kc, rows, offset, packed_b(p, t, ci0), c);
          }
        }
        offset += kc;
        if (b.b_in_place) b_offset += kc;
      }
    }
  }
  for (size_t p = 0; p < call.plans.size(); ++p)
    for (int64_t t = 0; t < tile_count(call, r, p); ++t) store_tile(call, r, tile_of(p, t), c_tile(p, t));
}

// The panels a call packs for itself when it does not stream, kept by the calling thread between calls so that a
// large weight does not fault in fresh pages every call.
std::vector<AlignedFloats>& call_panels() {
  static thread_local std::vector<AlignedFloats> panels;
  return panels;
}

// Whether B is gathered rather than copied run by run: when a phase's rows are so short (a small image) that a
// tile row of B would be several runs, each a call's worth of overhead for a few floats.
bool gathers_b(const std::vector<CorrelationPlan>& plans, int64_t nr) {
  for (const CorrelationPlan& plan : plans)
    if (plan.y.count > 0 && plan.x.count > 0 && !plan.x.tap_offset.empty() && !plan.y.tap_offset.empty() &&
        2 * plan.x.count < nr)
      return true;
  return false;
}

// Whether a tile's runs are many: some plan reads its rows with a stride, their width is not a whole number of
// tiles (a tile spans more than one row, a run each), and taps read past the rows' ends (the padding's zeros, a run
// of their own at each end of a row).
bool strided_runs_are_many(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, int64_t nr) {
  const ReadExtent e = read_extent(plans, shape);
  if (e.x_lo >= 0 && e.x_hi < shape.in_w) return false;
  for (const CorrelationPlan& plan : plans)
    if (plan.y.count > 0 && plan.x.count > 0 && plan.x.in_stride > 1 && plan.x.count % nr != 0) return true;
  return false;
}

// Whether packing B copies contiguous runs of the input (stride 1 along both axes: a transposed conv's phases).
bool copies_contiguous_runs(const std::vector<CorrelationPlan>& plans) {
  for (const CorrelationPlan& plan : plans)
    if (plan.x.in_stride != 1 || plan.y.in_stride != 1) return false;
  return true;
}

// Whether B can be read in place when streaming (Blocking::b_in_place): every plan's rows are whole segments, so
// that no segment spans two rows, and the plans share their x stride (the padded planes are split by it).
bool reads_b_in_place(const std::vector<CorrelationPlan>& plans, const MicroKernel& kernel) {
  if (kernel.run_in_place == nullptr || kernel.nr % kInPlaceSegment != 0 || plans.empty()) return false;
  for (const CorrelationPlan& plan : plans)
    if (plan.x.count % kInPlaceSegment != 0 || plan.x.in_stride != plans[0].x.in_stride) return false;
  return true;
}

// The input padded with zeros so that every tap of every pixel reads inside it (kept by the calling thread between
// calls), and each plan's taps as offsets into one of its planes.
void prepare_gathering(Call& call, int threads) {
  const ConvShape& s = call.shape;
  const ReadExtent e = read_extent(call.plans, s);
  static thread_local PaddedPlanes padded;
  if (call.blocking.b_in_place) {
    // Split by the x stride, so that a segment's pixels read contiguous floats, and with no spare zeros after each
    // sub-row: a segment's 8 pixels are all the plan's, so its reads all lie inside the extent.
    pad_planes(call.input, s.batch * s.in_channels, s.in_h, s.in_w, e.y_lo, e.y_hi, e.x_lo, e.x_hi,
               call.plans[0].x.in_stride, threads, padded, 0);
  } else if (call.blocking.input_in_place && reaches_outside(e.y_lo, e.y_hi, e.x_lo, e.x_hi, s.in_h, s.in_w) &&
             tasks_read_one_image(call)) {
    // Each task pads its own window (Call::padded_windows): here only the columns every window takes (pad_window).
    call.padded_windows = true;
    set_padded_geometry(e.y_lo, e.y_hi, e.x_lo, e.x_hi, 1, 0, padded);
    padded.data = nullptr;
  } else {
    // Both other readers (B's gathers, the in-place microkernel's broadcasts) load single floats, so planes that
    // need no padding are read as they are.
    pad_planes_for_gathers(call.input, s.batch * s.in_channels, s.in_h, s.in_w, e.y_lo, e.y_hi, e.x_lo, e.x_hi,
                           threads, padded);
  }
  call.padded = &padded;
  for (const CorrelationPlan& plan : call.plans) {
    std::vector<int64_t> offsets;
    for (int64_t off_y : plan.y.tap_offset)
      for (int64_t off_x : plan.x.tap_offset) offsets.push_back(padded.tap_offset(off_y, off_x));
    call.gather_offset.push_back(std::move(offsets));
  }
}

// Streaming wins over both GEMMs when every plan's pixels fit one task's tiles, unless a test forced the input in
// place.
bool streams_weight(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, const MicroKernel& kernel) {
  int64_t max_pixels = 0;
  for (const CorrelationPlan& plan : plans)
    max_pixels = std::max(max_pixels, shape.batch * plan.y.count * plan.x.count);
  return (max_pixels + kernel.nr - 1) / kernel.nr <= kMaxTilesPerTask &&
         forced_kernel_path() != KernelPath::GemmInPlace;
}

// The active kernel, or its narrow shape (MicroKernel::narrow) when streaming with it pays (takes_narrow_tiles), or
// its tall shape (kernel_for_rows) when both operands are packed, the weight into panels (neither it nor the input
// read in place) for many output channels.
const MicroKernel& kernel_for_call(const std::vector<CorrelationPlan>& plans, const ConvShape& shape,
                                   WeightLayout layout) {
  const MicroKernel& wide = active_microkernel();
  if (!streams_weight(plans, shape, wide))
    return packs_input(plans, shape) && !weight_rows_in_k_order(plans, shape, layout)
               ? kernel_for_rows(wide, shape.out_per_group)
               : wide;
  if (wide.narrow == nullptr || !streams_weight(plans, shape, *wide.narrow)) return wide;
  std::vector<int64_t> plan_pixels;
  for (const CorrelationPlan& plan : plans) plan_pixels.push_back(shape.batch * plan.y.count * plan.x.count);
  return takes_narrow_tiles(plan_pixels, wide) ? *wide.narrow : wide;
}

// The narrowest left phase whose short partner is widened: the stand-in column adds 1 / (2 * width) to the products.
constexpr int64_t kMinWidenedWidth = 16;

// Pairs each plan with its column partner (column_partners), whose tiles then run and are stored together: for the
// left one, the right one's index (Call::x_partner), for the right one kRightPartner, kNoPartner for a plan alone.
// A right phase one pixel a row short of its left partner (an odd output width) is paired too, widened by a
// stand-in column so that the two tile alike: `widened` then holds the plans with every such phase widened (it
// stays empty where none is). The stand-in reads what lies there (zeros outside the input), and its results, one
// column past the output row, are never stored (for_each_pair_run). Paired and stored by runs, progan's forward
// (phases 32 and 31 wide) ran 1.05 times as fast, dcgan's (4 and 4) 1.03 to 1.04.
std::vector<int64_t> pair_column_phases(const std::vector<CorrelationPlan>& plans,
                                        std::vector<CorrelationPlan>& widened) {
  std::vector<int64_t> partner(plans.size(), kNoPartner);
  for (size_t p = 0; p < plans.size(); ++p)
    for (size_t q = 0; q < plans.size() && partner[p] == kNoPartner; ++q) {
      if (q == p || partner[q] != kNoPartner) continue;
      const int64_t width = plans[p].x.count;
      const bool short_one = width >= kMinWidenedWidth && plans[q].x.count == width - 1;
      CorrelationPlan right = short_one ? plans[q] : CorrelationPlan{};
      if (short_one) right.x.count = width;
      if (!column_partners(plans[p], short_one ? right : plans[q])) continue;
      if (short_one) {
        if (widened.empty()) widened = plans;
        widened[q] = std::move(right);
      }
      partner[p] = static_cast<int64_t>(q);
      partner[q] = kRightPartner;
    }
  return partner;
}

// Shared by both entry points: `panels` is null when the call packs the weight itself; otherwise `in_place` says
// which GEMM they were packed for.
void run_all(const std::vector<CorrelationPlan>& given_plans, const ConvShape& shape, const float* input,
             const std::vector<AlignedFloats>* panels, bool in_place, const MicroKernel& kernel, const float* bias,
             float* output, const float* weight, WeightLayout layout) {
  Blocking blocking;
  blocking.streaming = !panels && streams_weight(given_plans, shape, kernel);
  blocking.b_in_place = blocking.streaming && reads_b_in_place(given_plans, kernel);
  blocking.input_in_place = panels ? in_place : !blocking.streaming && reads_input_in_place(given_plans, shape);
  blocking.weight_in_place = !panels && !blocking.streaming && !blocking.input_in_place &&
                             weight_rows_in_k_order(given_plans, shape, layout);
  // Both GEMMs with panels store column phases in pairs where the kernel can; only their tasks know a stand-in
  // column, so the path is chosen before the plans are widened.
  const bool pairs = !blocking.streaming && (blocking.input_in_place ? kernel.store_pixel_major_pair != nullptr
                                                                     : kernel.store_channel_major_pair_run != nullptr);
  std::vector<CorrelationPlan> widened;
  std::vector<int64_t> partners;
  if (pairs) partners = pair_column_phases(given_plans, widened);
  const std::vector<CorrelationPlan>& plans = widened.empty() ? given_plans : widened;
  Call call{plans, shape, kernel, input, weight, layout, panels, nullptr, bias, output, blocking, {}, {}, {}, 0, 0, {},
            nullptr, nullptr, {}, TileSources::Runs, std::move(partners), {}};
  double flops = 0;
  int64_t max_tiles = 0, all_taps = 0, max_taps = 1;
  Blocking& b = call.blocking;
  const int64_t tile_pixels = b.input_in_place ? kernel.mr : kernel.nr;
  for (const CorrelationPlan& plan : plans) {
    const int64_t pixels = shape.batch * plan.y.count * plan.x.count;
    const int64_t taps = static_cast<int64_t>(plan.y.tap_kernel.size() * plan.x.tap_kernel.size());
    std::vector<int64_t> index;
    for (int64_t ky : plan.y.tap_kernel)
      for (int64_t kx : plan.x.tap_kernel) index.push_back(ky * shape.kernel_w + kx);
    call.taps.push_back(taps);
    call.tap_index.push_back(std::move(index));
    call.tiles.push_back((pixels + tile_pixels - 1) / tile_pixels);
    max_tiles = std::max(max_tiles, call.tiles.back());
    call.tap_prefix.push_back(all_taps);
    all_taps += taps;
    max_taps = std::max(max_taps, taps);
    flops += 2.0 * static_cast<double>(pixels * shape.out_channels * shape.in_per_group * taps);
  }
  if (max_tiles == 0) return;
  const int threads = threads_for_work(flops);
  // About four tasks per thread, to balance the load. With panels, ranges of fewer tiles cost nothing (the panels
  // are shared); output-channel ranges, which repack B for each range, only make up what tiles and groups lack.
  // Streaming: every task holds all the tiles, with a range of the output channels, or (Blocking::own_b) its
  // thread's share of the tiles.
  const int64_t wanted = threads > 1 ? 4 * static_cast<int64_t>(threads) : 1;
  if (b.streaming) {
    // Blocking::own_b: the tiles split over one task per thread, or each such task packs every tile.
    const bool tiles_split = splits_streamed_tiles(max_tiles, threads, shape.out_per_group);
    b.own_b = tiles_split || (max_tiles < threads && copies_contiguous_runs(plans));
    b.tiles_per_task = tiles_split ? (max_tiles + threads - 1) / threads : max_tiles;
  } else if (b.input_in_place) {
    // Tiles of mr pixels, as many pixels per task as the packed-input GEMM's; the ranges are a whole number of
    // rounds over the threads (a 9th task on 2 threads left one idle for a ninth of the call).
    const int64_t most = kMaxTilesPerTask * kernel.nr / kernel.mr;
    int64_t ranges = std::max((max_tiles + most - 1) / most, (wanted + shape.groups - 1) / shape.groups);
    ranges = std::min(round_up(ranges, threads / std::gcd<int64_t>(threads, shape.groups)), max_tiles);
    b.tiles_per_task = (max_tiles + ranges - 1) / ranges;
  } else {
    b.tiles_per_task = std::clamp<int64_t>(max_tiles / (wanted * shape.groups), 1, kMaxTilesPerTask);
  }
  b.tile_ranges = (max_tiles + b.tiles_per_task - 1) / b.tiles_per_task;
  const int64_t block_rows = b.input_in_place ? kernel.nr : kernel.mr;
  b.m_blocks = round_up(shape.out_per_group, block_rows) / block_rows;
  const int64_t have = shape.groups * b.tile_ranges;
  // Own B: one task per thread. Otherwise about four per thread, with the output channels split as well.
  const int64_t ranges_wanted = b.own_b ? threads : wanted;
  b.m_ranges = std::clamp<int64_t>((ranges_wanted + have - 1) / have, 1, b.m_blocks);
  b.tasks = have * b.m_ranges;
  // A K block is about kKc deep (kKcInPlace with the input in place): per plan with panels, over every plan's taps
  // together when streaming.
  const int64_t kc_target = b.input_in_place ? kKcInPlace : kKc;
  b.ci_block = std::clamp<int64_t>(kc_target / (b.streaming ? all_taps : max_taps), 1, shape.in_per_group);
  // Streaming conv_transpose2d's weight, consecutive input channels' kernels lie a whole row of C_out/groups
  // kernels apart: each channel of a block is its own stream through memory. With one tile per plan each weight
  // float meets a single tile, so the call runs at the speed of those streams, and on the AVX2 machine 32 at once
  // outran what the prefetchers kept in flight: at most MicroKernel::streamed_channels then. With more tiles a
  // block serves each of them from L1, and shorter blocks only cost more calls (b1_mid's forward, 4 tiles per
  // plan: 0.85 with the cap).
  if (b.streaming && layout == WeightLayout::Transposed && max_tiles == 1)
    b.ci_block = std::min(b.ci_block, kernel.streamed_channels);
  // In conv2d's layout (which grad_input reads) a weight row holds its K steps in order, so each row of a block is
  // one stream through memory. Blocks of kKc cut those streams into 2 KB pieces of rows 32 KB apart (latency's
  // grad_input), each on a fresh page where the hardware prefetchers start over: the weight came at 23 GB/s. Blocks
  // of whole rows, as far as a block's B for the task's tiles fits a quarter of L2 (the rest holds the weight
  // passing through), ran 1.1 to 1.15 times as fast.
  if (b.streaming && layout == WeightLayout::Forward) {
    const int64_t b_bytes_per_channel =
        all_taps * kernel.nr * b.tiles_per_task * static_cast<int64_t>(sizeof(float));
    b.ci_block = std::clamp<int64_t>(l2_bytes_per_core() / 4 / b_bytes_per_channel, b.ci_block, shape.in_per_group);
  }
  call.all_taps = all_taps;
  call.max_taps = max_taps;
  // B gathered: through a zero-padded copy of the input, or from the input itself where the kernel can. A streaming
  // call's few pixels cannot pay for a pass over the input before the products: the copy was 13 of b1_mid's 240 us
  // on its grad_input. With panels the copy is paid for by many tiles, and which gathers win depends on the
  // processor (prefers_vector_gathers): on a Zen 5 the scalar gathers through the copy (unet_k4s2's grad_input ran
  // 0.85 to 0.90 times as fast with vector gathers); on the Intel Xeon the kernel's vector gathers, with no copy
  // (the grad_input of dcgan 1.08 to 1.10 times faster, unet_k4s2 1.01 to 1.04, a 3x3 kernel's on 12x12 images
  // 1.08 to 1.22, gan_k4s2b's 0.93 to 1.26 over three noisy runs; gan_k5s2's forward 1.01 to 1.10; best and median
  // of 5 to 9 alternating rounds).
  const bool packs_b = !b.input_in_place && !b.b_in_place;
  const bool gathers = packs_b && gathers_b(plans, kernel.nr);
  const bool can_gather_from_input = kernel.gather_rows != nullptr && gather_fits_int32(shape);
  const bool vector_gathers = can_gather_from_input && prefers_vector_gathers();
  const bool gathers_from_input = gathers && can_gather_from_input && (b.streaming || vector_gathers);
  // Many runs per tap (strided_runs_are_many): copying them, two to four per tile row of B, took 16% of progan's
  // grad_input. Where vector gathers are preferred, they take one index per float whatever the runs, and made the
  // grad_input of progan and seg_k4s2 1.05 to 1.06 times faster, a 24-pixel row's (c192) 1.06 to 1.07, a 48-pixel
  // row's 1.04, and frac's (16-pixel rows, streaming its weight) 1.22 (best medians of 3 to 5 alternating rounds,
  // the Intel Xeon). Fewer runs are copied: gathers ran 0.88 to 0.99 times as fast for a 2x2 kernel at stride 2
  // (two runs a tile, no zeros), 0.97 to 0.98 for rows of whole tiles.
  const bool gathers_many_runs =
      packs_b && !gathers && vector_gathers && strided_runs_are_many(plans, shape, kernel.nr);
  if (!packs_b || (gathers && !gathers_from_input)) prepare_gathering(call, threads);
  call.b_sources = call.padded                             ? TileSources::PaddedBase
                   : gathers_from_input || gathers_many_runs ? TileSources::Gather
                                                            : TileSources::Runs;

  const int64_t max_rows = (b.m_blocks + b.m_ranges - 1) / b.m_ranges * block_rows;
  const size_t plan_tiles = plans.size() * static_cast<size_t>(b.tiles_per_task);
  // Without panels from the caller (nor streaming), the tasks pack them as they go, block by block.
  std::optional<PanelPacker> packer;
  static thread_local LazyPanels lazy;
  if (!panels && !b.streaming && !b.weight_in_place) {
    packer.emplace(plans, shape, weight, layout, block_rows, call_panels());
    lazy.start(*packer, shape.groups, packer->blocks(), shape.in_per_group, b.ci_block);
    call.panels = &call_panels();
    call.lazy = &lazy;
  }
  const int64_t ci_blocks = (shape.in_per_group + b.ci_block - 1) / b.ci_block;
  const int64_t b_pieces = shape.groups * static_cast<int64_t>(plan_tiles) * ci_blocks;
  if (b.streaming) {
    call.shared = &call_tiles();
    call.shared->per_plan = max_tiles;
    at_least(call.shared->tiles, static_cast<int64_t>(plans.size()) * max_tiles);
    for (size_t p = 0; p < plans.size(); ++p)
      for (int64_t t = 0; t < call.tiles[p]; ++t)
        prepare_tile(plans[p], shape, t, kernel.nr, call.b_sources, call.padded,
                     call.shared->tiles[p * static_cast<size_t>(max_tiles) + static_cast<size_t>(t)]);
    if (!b.b_in_place && !b.own_b)
      at_least(call.shared->b, shape.groups * b.tiles_per_task * shape.in_per_group * all_taps * kernel.nr);
  }
#pragma omp parallel num_threads(threads)
  {
    Scratch& scratch = thread_scratch();
    if (b.streaming) {
      at_least(scratch.c, static_cast<int64_t>(plan_tiles) * max_rows * kernel.nr);
      if (b.own_b) at_least(scratch.b, static_cast<int64_t>(plan_tiles) * b.ci_block * max_taps * kernel.nr);
    } else {
      at_least(scratch.tiles, 2 * b.tiles_per_task);  // twice over for a plan and its column partner in place
      at_least(scratch.b, b.tiles_per_task * kKc * kernel.nr);
      // Also [tile][block][mr][nr] in place, twice over for a plan and its column partner.
      at_least(scratch.c, 2 * b.tiles_per_task * max_rows * kernel.nr);
    }
    // When every task reads every tile, their B is packed once, by all threads, before any task runs (unless it is
    // read in place). Every thread takes the same branch, as a worksharing loop requires.
    if (b.streaming && !b.own_b && !b.b_in_place) {
#pragma omp for schedule(dynamic)
      for (int64_t piece = 0; piece < b_pieces; ++piece) {
        const int64_t block = piece % ci_blocks, rest = piece / ci_blocks;
        const size_t p = static_cast<size_t>(rest % static_cast<int64_t>(plans.size()));
        const int64_t t = rest / static_cast<int64_t>(plans.size()) % b.tiles_per_task;
        const int64_t group = rest / static_cast<int64_t>(plan_tiles);
        if (t >= call.tiles[p]) continue;
        const int64_t ci0 = block * b.ci_block, cn = std::min(b.ci_block, shape.in_per_group - ci0);
        pack_b(call, p, group, shared_tile(call, p, t), ci0, cn,
               shared_b(call, group, p, t) + ci0 * call.taps[p] * kernel.nr);
      }
    }
#pragma omp for schedule(dynamic)
    for (int64_t task = 0; task < b.tasks; ++task) {
      if (b.streaming)
        run_task_streaming(call, task, scratch);
      else if (b.input_in_place)
        run_task_input_in_place(call, task, scratch);
      else
        run_task_with_panels(call, task, scratch);
    }
  }
}

}  // namespace

bool splits_streamed_tiles(int64_t tiles, int threads, int64_t out_per_group) {
  // An even split always pays. An uneven one (5 tiles on 2 threads) pays only with few output channels: sharing
  // every tile's B, each task's rows are too few to make up for reading all of it. On layers drawn at random (seeds
  // 1203 to 1208, forward and grad_input, the Intel Xeon) the split ran 1.08 to 1.42 times as fast on all 15 passes
  // with fewer than 128 channels (1.42 at AVX2's level too), 1.00 to 1.15 at 128, and 0.86 to 1.06 from 256 on,
  // where its load imbalance (3 tiles to 2) costs more than sharing saves.
  // Only splits that give every thread a task were measured: 4 tiles on 3 threads would make 2 ranges of 2.
  constexpr int64_t kSharedTilesRowsAtLeast = 128;
  if (tiles % threads == 0) return true;
  const int64_t per_task = (tiles + threads - 1) / threads;
  return out_per_group < kSharedTilesRowsAtLeast && (tiles + per_task - 1) / per_task == threads;
}

bool takes_narrow_tiles(const std::vector<int64_t>& plan_pixels, const MicroKernel& kernel) {
  if (kernel.narrow == nullptr) return false;
  int64_t wide_pixels = 0, narrow_pixels = 0;
  for (int64_t pixels : plan_pixels) {
    wide_pixels += round_up(pixels, kernel.nr);
    narrow_pixels += round_up(pixels, kernel.narrow->nr);
  }
  // A narrow tile's k step loads one vector of B for every 8 broadcasts of the weight, the wide tile's two: per
  // pixel the narrow tile cost 1.25 to 1.5 times as much (the Intel Xeon). It wins where it halves the pixels (16
  // pixels a phase: latency's grad_input 1.6 times faster than with wide tiles) and lost where it saved a quarter or
  // less: at 48 pixels a phase against 64 (three 4x4 images) the forward ran 0.73 times as fast, at 7 tiles against
  // 4 (four 5x5 images) 0.76 to 0.81, the grad_input 0.77 to 0.87. So it must save more than a third.
  return 3 * narrow_pixels < 2 * wide_pixels;
}

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

PhaseGemmInput phase_gemm_input(const std::vector<CorrelationPlan>& plans, const ConvShape& shape) {
  if (streams_weight(plans, shape, active_microkernel())) return PhaseGemmInput::Streamed;
  return reads_input_in_place(plans, shape) ? PhaseGemmInput::InPlace : PhaseGemmInput::Packed;
}

bool packs_input(const std::vector<CorrelationPlan>& plans, const ConvShape& shape) {
  return phase_gemm_input(plans, shape) == PhaseGemmInput::Packed;
}

void run_correlations(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, const float* input,
                      const float* weight, WeightLayout layout, const float* bias, float* output) {
  run_all(plans, shape, input, nullptr, false, kernel_for_call(plans, shape, layout), bias, output, weight, layout);
}

void run_correlations_packed(const std::vector<CorrelationPlan>& plans, const ConvShape& shape, const float* input,
                             const PackedPanels& packed, const float* bias, float* output) {
  if (packed.kernel != &active_microkernel())
    throw_invalid("packed weights were made for the " + std::string(packed.kernel->name) +
                  " microkernel, but the active one is " + active_microkernel().name + "; pack them again");
  run_all(plans, shape, input, &packed.panels, packed.input_in_place, *packed.kernel, bias, output, nullptr,
          WeightLayout::Transposed);
}

}  // namespace convt::cpu
