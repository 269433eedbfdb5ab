// The weight gradient as a GEMM on the forward passes' microkernels (weight_gradient.h):
//     C[a, j] = sum over pixels P of A[a, P] * Bt[j, P],   j = (b, ky, kx),  P = (n, y, x)
// M = CAg rows, N = CBg*kH*kW columns and a K of every pixel of the batch, which is usually the longest side. So,
// unlike the forward (one tile of output pixels per task), the work is split three ways: groups, ranges of column
// blocks and, when those are too few for the cores, parts of K, each part summing into its own copy of C (the
// copies are added at the end; a single part sums in grad_weight itself). A is packed once per call and shared by
// every task; per K chunk a task packs B once per column block. B is a gather of the taps from a copy of its operand
// padded with zeros (padded_planes.h), so every tap of every pixel is read at a pixel's offset plus a column's, with
// no bounds to check. When A has few channels next to B's columns, the roles swap and B is read in place instead
// (weight_gradient_in_place.cpp).
#include "weight_gradient.h"

#include "float_runs.h"
#include "microkernels.h"
#include "padded_planes.h"
#include "parallel_threshold.h"
#include "scratch.h"
#include "weight_gradient_parts.h"

#include <convt/aligned.h>

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace convt::cpu {
namespace {

constexpr int64_t kKc = kWeightGradientKc;
constexpr int64_t kMcBlocks = 16;                   // row blocks of A applied together (96 or 128 rows)
constexpr int64_t kMaxPartialBytes = int64_t{256} << 20;  // the copies of C that K-splitting may allocate

struct Layout : GradientSizes {
  int64_t m_blocks = 0, n_blocks = 0;
  int64_t tile = 0;        // mr * nr floats
  int64_t group_tiles = 0;  // m_blocks * n_blocks
};

// Columns [first, first + length) of a column block: consecutive floats of padded B, from a pixel's offset plus
// `offset`.
struct ColumnRun {
  int64_t first, length, offset;
};

// Per task scratch: the chunk's pixel offsets into padded B, and the task's column blocks of B, packed.
struct Scratch {
  std::vector<int64_t> b_pixel, b_column;
  std::vector<ColumnRun> b_runs;
  AlignedFloats b_pack;
};

// A column block of whole 4-wide kernel rows (4 of them with AVX2's 16 columns, 8 with AVX-512's 32): kRuns 16-byte
// copies per pixel, their offsets held in registers (the loop over runs spent more on reading them than on the
// copies: 25% of big_small's grad_weight on AVX-512 went to it). Each kernel row is its own stream through padded
// B, 8 bytes a pixel at stride 2, so the lines 64 pixels on are asked for every 4 pixels: the packing's share of
// big_small's grad_weight fell from 26% to 20% of the perf samples (unet64's 13% to 11%, seg_k4s2's 9.5% to 8%).
template <int64_t kRuns>
void pack_b_rows_of_4(const int64_t* b_pixel, const float* data, const std::vector<ColumnRun>& runs, int64_t kc,
                      float* packed) {
  int64_t offset[kRuns];
  for (int64_t i = 0; i < kRuns; ++i) offset[i] = runs[static_cast<size_t>(i)].offset;
  for (int64_t k = 0; k < kc; ++k) {
    const float* pixel = data + b_pixel[k];
    if (k % 4 == 0 && k + 64 < kc)
      for (int64_t i = 0; i < kRuns; ++i) __builtin_prefetch(data + b_pixel[k + 64] + offset[i]);
    float* row = packed + k * 4 * kRuns;
    for (int64_t i = 0; i < kRuns; ++i) std::memcpy(row + 4 * i, pixel + offset[i], 4 * sizeof(float));
  }
}

// Columns [jb*nr, jb*nr + nr) of Bt for the chunk into `packed`, as [k][nr]; zero past N. Column j = (channel,
// ky, kx) of pixel (n, y, x) is padded B at the pixel's offset plus the column's. Neighbouring taps of a kernel row
// are neighbouring floats (at dilation 1), so the columns are copied as runs: each pixel's 16 columns of a 4x4
// kernel are 4 copies of 4 floats, where one load per float took 60% of the packing's time and 8 to 13% of a large
// layer's (progan's grad-weight, perf samples). Runs shorter than 4 on average (dilation, 1- to 3-wide kernels)
// are gathered float by float: looping over runs of one float made dilated's grad-weight 1.3 times slower.
void pack_b(const WeightGradientProblem& p, const Layout& l, const PaddedPlanes& b, int64_t group, int64_t jb,
            int64_t kc, int64_t nr, float* packed, Scratch& s) {
  const int64_t width = std::min(nr, l.n - jb * nr);
  int64_t* column = s.b_column.data();
  std::vector<ColumnRun>& runs = s.b_runs;
  runs.clear();
  for (int64_t jj = 0; jj < width; ++jj) {
    column[jj] = b_column_offset(p, b, l.taps, group, jb * nr + jj);
    if (!runs.empty() && runs.back().offset + runs.back().length == column[jj])
      ++runs.back().length;
    else
      runs.push_back({jj, 1, column[jj]});
  }
  const bool by_runs = static_cast<int64_t>(runs.size()) * 4 <= width;
  const float* data = b.data;
  // A 4-wide kernel's block: whole kernel rows.
  if (width == nr && static_cast<int64_t>(runs.size()) * 4 == nr &&
      std::all_of(runs.begin(), runs.end(), [](const ColumnRun& run) { return run.length == 4; })) {
    if (nr == 16) return pack_b_rows_of_4<4>(s.b_pixel.data(), data, runs, kc, packed);
    if (nr == 32) return pack_b_rows_of_4<8>(s.b_pixel.data(), data, runs, kc, packed);
  }
  for (int64_t k = 0; k < kc; ++k) {
    const float* pixel = data + s.b_pixel[static_cast<size_t>(k)];
    float* row = packed + k * nr;
    if (by_runs)
      for (const ColumnRun& run : runs) copy_run(pixel + run.offset, run.length, row + run.first);
    else
      for (int64_t jj = 0; jj < width; ++jj) row[jj] = pixel[column[jj]];
    for (int64_t jj = width; jj < nr; ++jj) row[jj] = 0.0f;
  }
}

// One K chunk's product for tile (mb, jb) of C, stored in grad_weight (the first chunk) or added to what is there.
// A tile on the edge goes through a small buffer. Inlined, as the loops it replaced were: a batch-1 layer has many
// tiles of only 16 K steps each.
inline __attribute__((always_inline)) void add_tile(const MicroKernel& kernel, const Layout& l, const float* a,
                                                   const float* b_block, int64_t group, int64_t mb, int64_t jb,
                                                   int64_t kc, bool accumulate, float* grad_weight) {
  const int64_t mr = kernel.mr, nr = kernel.nr;
  float* corner = grad_weight + (group * l.m + mb * mr) * l.n + jb * nr;
  const int64_t width = std::min(nr, l.n - jb * nr), height = std::min(mr, l.m - mb * mr);
  if (width == nr && height == mr) {
    // Packed B is B read in place with rows nr floats apart.
    if (accumulate)
      kernel.run_b_rows(kc, a, b_block, nr, corner, l.n);
    else
      kernel.run_store(kc, a, b_block, corner, l.n);
    return;
  }
  float tile[kMaxMr * kMaxNr];
  kernel.run_store(kc, a, b_block, tile, nr);
  for (int64_t mm = 0; mm < height; ++mm)
    for (int64_t jj = 0; jj < width; ++jj)
      corner[mm * l.n + jj] = (accumulate ? corner[mm * l.n + jj] : 0.0f) + tile[mm * nr + jj];
}

// The whole of K in one chunk: each tile of C is finished by one microkernel call and stored in place, row block
// by row block so that every row of grad_weight is written in order (A and B are small; the output is the traffic).
void store_tiles(const MicroKernel& kernel, const Layout& l, const Scratch& s, const float* packed_a, int64_t group,
                 int64_t jb_begin, int64_t jb_end, int64_t kc, float* grad_weight) {
  const int64_t mr = kernel.mr, nr = kernel.nr;
  for (int64_t mb = 0; mb < l.m_blocks; ++mb)
    for (int64_t jb = jb_begin; jb < jb_end; ++jb) {
      const float* a = packed_a + a_block_at(l, group, 0, mb, kc, mr, l.m_blocks);
      add_tile(kernel, l, a, s.b_pack.data() + (jb - jb_begin) * kc * nr, group, mb, jb, kc, false, grad_weight);
    }
}

// Each thread's scratch, kept between calls (OpenMP's threads persist): a fresh one zeroed its packed A and B on
// every call, a tenth of a batch-1 layer's weight gradient. Every element the microkernel reads is packed first.
Scratch& thread_scratch() {
  static thread_local Scratch scratch;
  return scratch;
}

// The calling thread's buffers for a call, kept between calls and shared by the call's threads: the copies of C,
// A packed, and B padded with zeros.
struct CallBuffers {
  AlignedFloats partial, packed_a;
  PaddedPlanes padded_b;
};

CallBuffers& call_buffers() {
  static thread_local CallBuffers buffers;
  return buffers;
}

// The GEMM's sizes and its tiles' counts for `kernel`.
Layout layout_for(const WeightGradientProblem& p, const MicroKernel& kernel) {
  Layout l{gradient_sizes(p)};
  l.m_blocks = phase::ceil_div(l.m, kernel.mr);
  l.n_blocks = phase::ceil_div(l.n, kernel.nr);
  l.tile = kernel.mr * kernel.nr;
  l.group_tiles = l.m_blocks * l.n_blocks;
  return l;
}

}  // namespace

TapExtent b_tap_extent(const WeightGradientProblem& p) {
  const int64_t reach_y = (p.a_h - 1) * p.stride.h - p.padding.h + (p.kernel_h - 1) * p.dilation.h;
  const int64_t reach_x = (p.a_w - 1) * p.stride.w - p.padding.w + (p.kernel_w - 1) * p.dilation.w;
  return {std::min<int64_t>(0, -p.padding.h), std::max(p.b_h - 1, reach_y), std::min<int64_t>(0, -p.padding.w),
          std::max(p.b_w - 1, reach_x)};
}

void weight_gradient(const WeightGradientProblem& p, const float* a, const float* b, float* grad_weight) {
  const MicroKernel& base = active_microkernel();
  Layout l = layout_for(p, base);

  const double flops = 2.0 * static_cast<double>(p.groups * l.m * l.n) * static_cast<double>(l.k);
  const int threads = threads_for_work(flops);
  // A reference taken here, before the parallel region, where naming the thread_local would give each thread its own.
  CallBuffers& buffers = call_buffers();
  // B padded with zeros wherever a tap reaches outside it: all of it here, or, reading B in place, by each task as it
  // goes (weight_gradient_pads_b_windows).
  PaddedPlanes& padded_b = buffers.padded_b;
  const TapExtent e = b_tap_extent(p);
  const bool in_place = weight_gradient_reads_b_in_place(p, l, base, threads);
  if (in_place && reaches_outside(e.y_lo, e.y_hi, e.x_lo, e.x_hi, p.b_h, p.b_w) &&
      weight_gradient_pads_b_windows(p, l, base, threads)) {
    set_padded_geometry(e.y_lo, e.y_hi, e.x_lo, e.x_hi, 1, 0, padded_b);
    padded_b.data = nullptr;
    return weight_gradient_b_in_place(p, l, base, a, padded_b, b, threads, buffers.packed_a, grad_weight);
  }
  pad_planes_for_gathers(b, p.batch * p.b_channels, p.b_h, p.b_w, e.y_lo, e.y_hi, e.x_lo, e.x_hi, threads, padded_b);
  if (in_place)
    return weight_gradient_b_in_place(p, l, base, a, padded_b, nullptr, threads, buffers.packed_a, grad_weight);

  // Both operands packed: taller tiles where the rows are many and K is deep enough to pay for them. (B read in
  // place keeps the base kernel's tiles, whose rows are pointers into B. With a few pixels, a tile's few K steps are
  // outweighed by its stores into grad_weight: tall tiles made gen_first's 16 pixels 0.86 and b1_mid's 64 0.95 times
  // as fast, where unet_k4s2's 512 ran 1.15 times faster.)
  constexpr int64_t kTallPixelsAtLeast = 256;
  const MicroKernel& kernel = l.k >= kTallPixelsAtLeast ? kernel_for_rows(base, l.m) : base;
  const int64_t mr = kernel.mr, nr = kernel.nr;
  if (&kernel != &base) l = layout_for(p, kernel);

  // Enough tasks for every core twice over: column ranges first (no extra memory), then K parts.
  const int64_t wanted = 2 * static_cast<int64_t>(threads);
  const int64_t column_ranges = std::min(l.n_blocks, std::max<int64_t>(1, phase::ceil_div(wanted, p.groups)));
  int64_t parts = std::min(l.k_chunks, std::max<int64_t>(1, phase::ceil_div(wanted, p.groups * column_ranges)));
  const int64_t partial_bytes = p.groups * l.group_tiles * l.tile * static_cast<int64_t>(sizeof(float));
  while (parts > 1 && parts * partial_bytes > kMaxPartialBytes) --parts;

  // When every pixel fits one K chunk (a small image, a batch of one), each tile of C is finished by one microkernel
  // call, so it goes straight into grad_weight: the copies of C would only add a zeroed buffer the size of the
  // weight, written and read again (a batch-1 layer with a 32 MB weight spent most of its time there).
  const bool direct = l.k_chunks == 1;
  // Copies of C, one per part, only when K is split into parts: a single part sums its chunks in grad_weight itself,
  // where a copy of C in tiles would only be read back and rearranged into the weight's layout at the end, a pass
  // over the whole gradient (8% of dcgan's grad-weight). The copies are not cleared (each part's first chunk stores
  // its tiles rather than adding to them), so a call neither faults in nor zeroes a buffer the size of the weight.
  const bool copies_of_c = parts > 1;
  AlignedFloats& partial = buffers.partial;
  if (copies_of_c) partial.resize(static_cast<size_t>(parts * p.groups * l.group_tiles * l.tile));
  // A packed once for the whole call (pack_a_blocks): about the size of A, as padded B is a copy of B.
  AlignedFloats& packed_a = buffers.packed_a;
  at_least(packed_a, p.groups * l.m_blocks * mr * l.k);
  const int64_t tasks = p.groups * column_ranges * parts;
#pragma omp parallel num_threads(threads)
  {
    Scratch& s = thread_scratch();
    at_least(s.b_pixel, kKc);
    at_least(s.b_column, nr);
    at_least(s.b_pack, kKc * nr * phase::ceil_div(l.n_blocks, column_ranges));
    pack_a_blocks(kernel, p, l, a, mr, l.m_blocks, packed_a.data());
#pragma omp for schedule(dynamic)
    for (int64_t task = 0; task < tasks; ++task) {
      const int64_t group = task / (column_ranges * parts), range = task / parts % column_ranges, part = task % parts;
      const int64_t jb_begin = l.n_blocks * range / column_ranges, jb_end = l.n_blocks * (range + 1) / column_ranges;
      const int64_t chunk_begin = l.k_chunks * part / parts, chunk_end = l.k_chunks * (part + 1) / parts;
      // This part's copy of C (none without copies: partial may then be empty).
      float* c = copies_of_c ? partial.data() + (part * p.groups + group) * l.group_tiles * l.tile : nullptr;
      for (int64_t chunk = chunk_begin; chunk < chunk_end; ++chunk) {
        const int64_t k0 = chunk * kKc, kc = std::min(kKc, l.k - k0);
        decode_chunk(p, padded_b, k0, kc, s.b_pixel.data());
        for (int64_t jb = jb_begin; jb < jb_end; ++jb)
          pack_b(p, l, padded_b, group, jb, kc, nr, s.b_pack.data() + (jb - jb_begin) * kc * nr, s);
        if (direct) {
          store_tiles(kernel, l, s, packed_a.data(), group, jb_begin, jb_end, kc, grad_weight);
          continue;
        }
        // A in blocks of kMcBlocks row blocks (about 200 KB: L2) applied to every column block's B (32 KB: L1)
        // before the next: a whole A per column block would stream from L3 once per 16 or 32 columns.
        for (int64_t mb0 = 0; mb0 < l.m_blocks; mb0 += kMcBlocks)
          for (int64_t jb = jb_begin; jb < jb_end; ++jb)
            for (int64_t mb = mb0; mb < std::min(l.m_blocks, mb0 + kMcBlocks); ++mb) {
              const float* a_rows = packed_a.data() + a_block_at(l, group, chunk, mb, kc, mr, l.m_blocks);
              const float* b_block = s.b_pack.data() + (jb - jb_begin) * kc * nr;
              if (!copies_of_c) {
                add_tile(kernel, l, a_rows, b_block, group, mb, jb, kc, chunk != chunk_begin, grad_weight);
                continue;
              }
              float* tile = c + (mb * l.n_blocks + jb) * l.tile;
              if (chunk == chunk_begin)
                kernel.run_store(kc, a_rows, b_block, tile, nr);
              else
                kernel.run(kc, a_rows, b_block, tile);
            }
      }
    }
    // The copies of C summed into the weight's own layout, one row block at a time (contiguous in both). Every
    // thread takes the same branch, as a work-sharing loop requires.
    if (copies_of_c) {
      const int64_t row_blocks = p.groups * l.m_blocks;
#pragma omp for schedule(static)
      for (int64_t row_block = 0; row_block < row_blocks; ++row_block) {
        const int64_t group = row_block / l.m_blocks, mb = row_block % l.m_blocks;
        const float* tiles = partial.data() + (group * l.group_tiles + mb * l.n_blocks) * l.tile;
        const int64_t part_stride = p.groups * l.group_tiles * l.tile;
        for (int64_t mm = 0; mm < mr && mb * mr + mm < l.m; ++mm) {
          float* destination = grad_weight + (group * l.m + mb * mr + mm) * l.n;
          for (int64_t jb = 0; jb < l.n_blocks; ++jb) {
            const float* source = tiles + jb * l.tile + mm * nr;
            const int64_t width = std::min(nr, l.n - jb * nr);
            for (int64_t jj = 0; jj < width; ++jj) destination[jb * nr + jj] = source[jj];
            for (int64_t part = 1; part < parts; ++part)
              for (int64_t jj = 0; jj < width; ++jj) destination[jb * nr + jj] += source[part * part_stride + jj];
          }
        }
      }
    }
  }
}

void bias_gradient(const float* grad_output, int64_t batch, int64_t channels, int64_t plane, float* grad_bias) {
#pragma omp parallel for schedule(static) num_threads(threads_for_work(static_cast<double>(batch * channels * plane)))
  for (int64_t c = 0; c < channels; ++c) {
    double sum = 0.0;
    for (int64_t n = 0; n < batch; ++n) {
      const float* values = grad_output + (n * channels + c) * plane;
      for (int64_t i = 0; i < plane; ++i) sum += values[i];
    }
    grad_bias[c] = static_cast<float>(sum);
  }
}

}  // namespace convt::cpu
