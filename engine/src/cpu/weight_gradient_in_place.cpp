// The weight gradient with B read in place: the GEMM's roles swap,
//     C[j, a] = sum over pixels P of Bt[j, P] * A[a, P],   j = (b, ky, kx),  P = (n, y, x)
// and the microkernel reads Bt where it lies (run_rows): row m of a tile is column j, at its offset into padded B,
// and a K step is a pixel's offset, so nothing of B is packed. A is packed once per call, in blocks of kernel.nr
// channels, and is the GEMM's B. The packed-B GEMM (weight_gradient.cpp) copies every tap of every pixel, K x N
// floats for M / mr row blocks to share; here the copy is A's K x M floats, shared by N / mr row blocks, and N is
// CBg * kH * kW, usually the longer side. The tasks split the columns j, so every task sums all of K into tiles of
// its own and no copies of C are added at the end. Padded B is a copy of all of B made first, or (where
// weight_gradient_pads_b_windows says) each task's window of it for one K chunk, padded as the chunk begins.
#include "microkernels.h"
#include "padded_planes.h"
#include "scratch.h"
#include "weight_gradient_parts.h"

#include <convt/aligned.h>

#include <omp.h>

#include <algorithm>
#include <vector>

namespace convt::cpu {
namespace {

// Each row block meets every block of A's chunk in turn, so A's chunk should stay in L2: at 128 channels it is 256
// KB. At 512 (unet_k4s2) this path was 0.9 times the speed of the packed-B one.
constexpr int64_t kInPlaceMaxChannels = 128;

// Per task scratch: the chunk's pixel offsets into padded B, and the task's tiles of C, [row block][a block][mr][nr].
struct InPlaceScratch {
  std::vector<int64_t> b_pixel;
  AlignedFloats c;
  PaddedPlanes window;  // the task's window of B for one chunk, when B is not padded whole
};

InPlaceScratch& thread_scratch() {
  static thread_local InPlaceScratch scratch;
  return scratch;
}

// The tasks: groups times ranges of row blocks (mr columns j each), about four per thread.
struct InPlaceTasks {
  int64_t row_blocks, a_blocks, row_ranges, tasks, most_rows;
};

InPlaceTasks tasks_of(const WeightGradientProblem& p, const GradientSizes& z, const MicroKernel& kernel, int threads) {
  InPlaceTasks t;
  t.row_blocks = phase::ceil_div(z.n, kernel.mr);
  t.a_blocks = phase::ceil_div(z.m, kernel.nr);
  const int64_t wanted = 4 * static_cast<int64_t>(threads);
  t.row_ranges = std::min(t.row_blocks, std::max<int64_t>(1, phase::ceil_div(wanted, p.groups)));
  t.tasks = p.groups * t.row_ranges;
  t.most_rows = phase::ceil_div(t.row_blocks, t.row_ranges);
  return t;
}

}  // namespace

bool weight_gradient_reads_b_in_place(const WeightGradientProblem& p, const GradientSizes& z,
                                      const MicroKernel& kernel, int threads) {
  switch (forced_kernel_path()) {
    case KernelPath::Gemm: return false;
    case KernelPath::GemmInPlace: return true;
    default: break;
  }
  // The packed-B path copies a 4-wide kernel's rows 16 bytes at a time (pack_b_rows_of_4), and against it this one
  // wins only where A fills its blocks of nr channels: 1.04 to 1.5 times faster at 32, 64 and 128 channels, but
  // 0.89 at 48, 0.74 to 0.82 at 40, 0.78 at 16, 0.6 at 8 (AVX-512's 32-channel blocks). Other kernels' columns are
  // copied float by float there, and this path wins with blocks a quarter full: 8 channels of a 3x3 kernel 1.33
  // times faster, 12 1.77, 16 of a 5x5 1.3.
  const bool packs_whole_rows = p.kernel_w == 4 && p.dilation.w == 1;
  const bool fills_blocks = z.m % kernel.nr == 0;
  return z.n >= z.m && z.m <= kInPlaceMaxChannels && (fills_blocks || !packs_whole_rows) &&
         phase::ceil_div(z.n, kernel.mr) >= 2 * static_cast<int64_t>(threads);
}

namespace {

// The part of B that a task's window for one K chunk holds: rows [y_lo, y_hi] (some may lie outside B) of the
// task's channels of B (columns [j_begin, j_end)), from `planes` on, in the chunk's one image.
struct ChunkWindow {
  const float* planes;
  int64_t channels, first_channel, y_lo, y_hi, k_in_image, kc;
};

ChunkWindow chunk_window(const WeightGradientProblem& p, const GradientSizes& z, const float* b_values,
                         int64_t group, int64_t j_begin, int64_t j_end, int64_t k0) {
  const int64_t a_plane = p.a_h * p.a_w, image = k0 / a_plane;
  ChunkWindow w;
  w.k_in_image = k0 % a_plane;
  w.kc = std::min(kWeightGradientKc, z.k - k0);
  w.first_channel = j_begin / z.taps;
  w.channels = (j_end - 1) / z.taps - w.first_channel + 1;
  w.y_lo = w.k_in_image / p.a_w * p.stride.h - p.padding.h;
  w.y_hi = (w.k_in_image + w.kc - 1) / p.a_w * p.stride.h + (p.kernel_h - 1) * p.dilation.h - p.padding.h;
  w.planes = b_values + (image * p.b_channels + group * (p.b_channels / p.groups) + w.first_channel) * p.b_h * p.b_w;
  return w;
}

}  // namespace

bool weight_gradient_pads_b_windows(const WeightGradientProblem& p, const GradientSizes& z, const MicroKernel& kernel,
                                    int threads) {
  const InPlaceTasks t = tasks_of(p, z, kernel, threads);
  const bool chunks_in_one_image = p.batch == 1 || p.a_h * p.a_w % kWeightGradientKc == 0;
  return chunks_in_one_image && t.most_rows * kernel.mr >= 2 * z.taps;
}

void weight_gradient_b_in_place(const WeightGradientProblem& p, const GradientSizes& z, const MicroKernel& kernel,
                                const float* a, const PaddedPlanes& b, const float* windows_of, int threads,
                                AlignedFloats& packed_a, float* grad_weight) {
  const int64_t mr = kernel.mr, nr = kernel.nr, kc_most = kWeightGradientKc;
  const InPlaceTasks t = tasks_of(p, z, kernel, threads);
  at_least(packed_a, p.groups * t.a_blocks * nr * z.k);
#pragma omp parallel num_threads(threads)
  {
    InPlaceScratch& s = thread_scratch();
    at_least(s.b_pixel, kc_most);
    at_least(s.c, t.most_rows * t.a_blocks * mr * nr);
    pack_a_blocks(kernel, p, z, a, nr, t.a_blocks, packed_a.data());
#pragma omp for schedule(dynamic)
    for (int64_t task = 0; task < t.tasks; ++task) {
      const int64_t group = task / t.row_ranges, range = task % t.row_ranges;
      const int64_t rb_begin = t.row_blocks * range / t.row_ranges, rb_end = t.row_blocks * (range + 1) / t.row_ranges;
      auto c_tile = [&](int64_t rb, int64_t block) {
        return s.c.data() + ((rb - rb_begin) * t.a_blocks + block) * mr * nr;
      };
      // A chunk's pixels meet every row block of the range before the next chunk: the chunk of A (the GEMM's B)
      // stays in L2, and the lines of B it reads serve the neighbouring taps of the next row blocks.
      for (int64_t chunk = 0; chunk < z.k_chunks; ++chunk) {
        const int64_t kc = std::min(kc_most, z.k - chunk * kc_most);
        // B padded whole, or the task's window of it for this chunk (its channels, its rows), whose columns j then
        // count from the window's first channel.
        const PaddedPlanes& source = windows_of ? s.window : b;
        int64_t j_shift = 0;
        LinesAhead ahead;  // the next chunk's lines of B, asked for a share per row block
        if (windows_of) {
          const int64_t j_begin = rb_begin * mr, j_end = std::min(rb_end * mr, z.n);
          const ChunkWindow w = chunk_window(p, z, windows_of, group, j_begin, j_end, chunk * kc_most);
          pad_window(w.planes, w.channels, p.b_h, p.b_w, w.y_lo, w.y_hi, b, s.window);
          decode_chunk(p, s.window, w.k_in_image, kc, s.b_pixel.data());
          j_shift = w.first_channel * z.taps;
          if (chunk + 1 < z.k_chunks) {
            const ChunkWindow next = chunk_window(p, z, windows_of, group, j_begin, j_end, (chunk + 1) * kc_most);
            ahead = LinesAhead(next.planes, next.channels, p.b_h, p.b_w, next.y_lo, next.y_hi, rb_end - rb_begin);
          }
        } else {
          decode_chunk(p, b, chunk * kc_most, kc, s.b_pixel.data());
        }
        const auto run_rows = chunk == 0 ? kernel.run_rows_store : kernel.run_rows;
        for (int64_t rb = rb_begin; rb < rb_end; ++rb) {
          ahead.ask();
          // Rows past N repeat the last column: their results are never stored.
          const float* rows[kMaxMr];
          for (int64_t m = 0; m < mr; ++m)
            rows[m] = source.data + b_column_offset(p, source, z.taps, windows_of ? 0 : group,
                                                    std::min(rb * mr + m, z.n - 1) - j_shift);
          for (int64_t block = 0; block < t.a_blocks; ++block) {
            const float* a_block = packed_a.data() + a_block_at(z, group, chunk, block, kc, nr, t.a_blocks);
            run_rows(kc, rows, s.b_pixel.data(), a_block, c_tile(rb, block));
          }
        }
      }
      // C[j][a] to grad_weight[a][j]: each channel a's columns of a row block are mr contiguous floats.
      for (int64_t rb = rb_begin; rb < rb_end; ++rb)
        for (int64_t block = 0; block < t.a_blocks; ++block) {
          const float* c = c_tile(rb, block);
          const int64_t columns = std::min(mr, z.n - rb * mr), channels = std::min(nr, z.m - block * nr);
          for (int64_t ai = 0; ai < channels; ++ai) {
            float* destination = grad_weight + (group * z.m + block * nr + ai) * z.n + rb * mr;
            for (int64_t m = 0; m < columns; ++m) destination[m] = c[m * nr + ai];
          }
        }
    }
  }
}

}  // namespace convt::cpu
