// Register-blocked GEMM microkernels: C[MR][NR] += A[kc][MR]^T * B[kc][NR], A and B packed contiguously.
// One per instruction-set level, chosen at run time (AVX-512, AVX2+FMA, portable), each in its own translation
// unit compiled with its own -m flags so the binary runs on any x86-64.
#pragma once

#include <convt/cpu.h>

#include <cstdint>

namespace convt::cpu {

// A run of tile pixels whose sources are evenly spaced input elements (step 1 in a transposed conv's phases, the
// stride in a strided correlation), or all outside the input (source < 0: zeros). Packing one row of B (one input
// channel and tap, nr pixels) is copying its few runs.
struct Run {
  int32_t first, length;
  int64_t source;
  int64_t step;
};

// A run of a tile's pixels whose outputs lie `step` floats apart in one output row (the scatter GEMM's): pixel
// first + i adds into out[offset + i * step].
struct OutputRun {
  int32_t first, length;
  int64_t offset;
};

// The bits of `inside` (bit j: tile pixel j lands inside the output) for a run's pixels, the run's first at bit 0.
inline uint32_t run_inside_bits(const OutputRun& run, uint32_t inside) {
  const uint32_t run_mask = run.length >= 32 ? ~0u : (1u << run.length) - 1u;
  return (inside >> run.first) & run_mask;
}

// The loop of every kernel's add_runs around its own additions of one run: add(run, bits, source, out) for each run
// with a pixel inside the output, its bits from run_inside_bits, source at its first pixel in the C row `c`, out at
// its first output in `plane`.
template <typename Add>
void for_each_run_inside(const float* c, const OutputRun* runs, int64_t count, uint32_t inside, float* plane, Add add) {
  for (int64_t r = 0; r < count; ++r) {
    const OutputRun& run = runs[r];
    const uint32_t bits = run_inside_bits(run, inside);
    if (bits != 0) add(run, bits, c + run.first, plane + run.offset);
  }
}

// One run's additions a float at a time, at any step: the portable kernel's add_runs, and the others' beyond steps 1
// and 2.
inline void add_run_by_floats(const OutputRun& run, uint32_t bits, const float* source, int64_t step, float* out) {
  for (int32_t i = 0; i < run.length; ++i)
    if (bits >> i & 1u) out[i * step] += source[i];
}

// How many input channels ahead pack_rows asks for the lines it will copy: channels lie a plane apart, where the
// hardware prefetcher does not follow (packing fell from 12% to 8% of seg_k4s2's forward, 13% to 11% of its
// grad_input, in perf samples).
constexpr int64_t kPackPrefetchChannels = 4;

// The loops of every kernel's pack_rows around its own copy of one run: copy(run, source, destination), with the
// source at the run's first element in its channel (null when the run is zeros) and the destination in B.
template <typename CopyRun>
void pack_rows_with(CopyRun copy, const Run* runs, int64_t count, const float* channel, int64_t channel_stride,
                    int64_t channels, float* row, int64_t row_stride) {
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t r = 0; r < count; ++r) {
      const Run& run = runs[r];
      if (run.source >= 0 && c + kPackPrefetchChannels < channels) {
        const float* ahead = channel + (c + kPackPrefetchChannels) * channel_stride + run.source;
        __builtin_prefetch(ahead);
        __builtin_prefetch(ahead + (run.length - 1) * run.step);
      }
      copy(run, run.source < 0 ? nullptr : channel + c * channel_stride + run.source, row + c * row_stride + run.first);
    }
}

// The largest tile of any kernel (AVX-512's tall 12 x 32), for arrays sized at compile time.
constexpr int64_t kMaxMr = 12, kMaxNr = 32;

// Pixels per segment of B read in place (MicroKernel::run_in_place): one AVX2 vector.
constexpr int64_t kInPlaceSegment = 8;

struct MicroKernel {
  const char* name;  // "avx512", "avx2", "generic"
  int64_t mr;        // output channels per tile
  int64_t nr;        // output pixels per tile
  // C is row-major [mr][nr] (ldc = nr); accumulates.
  void (*run)(int64_t kc, const float* a, const float* b, float* c);
  // The same with A read in place, unpacked: A[k][m] = rows[m][offset[k]] (mr row pointers), or rows[m][k] where
  // offset is null. A weight used by few pixels (a batch-1 layer) is read straight from the caller's layout this
  // way, with no copy of it at all.
  void (*run_rows)(int64_t kc, const float* const* rows, const int64_t* offset, const float* b, float* c);
  // The same with C = A * B (not accumulated): the first K block of a tile, which then needs no C = 0 before it.
  void (*run_rows_store)(int64_t kc, const float* const* rows, const int64_t* offset, const float* b, float* c);
  // C = A * B (not accumulated) into rows ldc floats apart: a tile finished by one call goes straight to its place.
  void (*run_store)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc);
  // C += A * B (run_b_rows) or C = A * B (run_b_rows_store), A packed and B read in place: B's row k is the nr
  // floats at b + k * ldb (a stretch of a weight row, where it lies). C's rows are ldc floats apart.
  void (*run_b_rows)(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc);
  void (*run_b_rows_store)(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc);
  // The direct kernels of thin groups (thin_kernel_impl.h).
  void (*thin_rows)(int64_t count, int64_t rows, int64_t cin, int64_t taps, int64_t cout, const float* const* sources,
                    int64_t ci_stride, const float* w, const float* bias, float* out, int64_t out_stride);
  void (*thin_dots)(int64_t count, int64_t rows, int64_t taps, const float* const* a_rows, const float* const* b_rows,
                    float* sums);
  // Packs one tap's row of B for `channels` input channels: runs[0, count) of channel c (at channel + c *
  // channel_stride) into row + c * row_stride (nr floats), zero-filling the runs outside the input. Every channel
  // shares the runs, so each run is decoded once for all of them.
  void (*pack_rows)(const Run* runs, int64_t count, const float* channel, int64_t channel_stride, int64_t channels,
                    float* row, int64_t row_stride);
  // Packs a tile's B by gathering, for `channels` input channels: row (c, tap), nr floats at rows + (c * taps + tap)
  // * nr, takes channel c's floats (at channel + c * channel_stride) at source[tap * nr + j], and zero where that is
  // -1 (outside the input). For tiles whose rows would be many short runs (a small image), read straight from the
  // input, with no zero-padded copy of it first. Null where not written (the caller then gathers through that copy).
  void (*gather_rows)(const int32_t* source, int64_t taps, const float* channel, int64_t channel_stride,
                      int64_t channels, float* rows);
  // run_rows with B in place as well: B[k][n] = segments[n / kInPlaceSegment][b_offset[k] + n % kInPlaceSegment]
  // (nr / kInPlaceSegment segments, each that many contiguous floats: a stretch of one pixel row in the input's
  // padded planes). Nothing of either operand is packed. Null where not written (the caller then packs B).
  void (*run_in_place)(int64_t kc, const float* const* rows, const int64_t* a_offset, const float* const* segments,
                       const int64_t* b_offset, float* c);
  // Two C tiles whose pixels land side by side (the two column phases of a stride-2 transposed conv), a run of
  // pixels from pixel `first` of each, stored interleaved: out[co * out_plane + 2i + phase] = tile `phase`'s (pixel
  // first + i, channel co), for co < channels and 2i + phase < floats (2 * length for a run of `length` pixels, or
  // one less where the second tile's last pixel is past the row). Pixel-major tiles are the GEMM's with the input in
  // place, [mr pixels][nr channels]. Null where not written (the caller then stores each tile alone, and pairs no
  // phases).
  void (*store_pixel_major_pair)(const float* c0, const float* c1, int64_t first, int64_t floats, int64_t channels,
                                 float* out, int64_t out_plane);
  // One pixel-major tile whose mr pixels are contiguous outputs: out[co * out_plane + j] = (pixel j, channel co).
  void (*store_pixel_major)(const float* c, int64_t channels, float* out, int64_t out_plane);
  // The packed GEMM's channel-major tiles ([mr channels][nr pixels], rows ldc floats apart), a run of `length`
  // pixels of each: out[m * out_plane + 2i + phase] = tile `phase`'s (channel m, pixel i), for m < rows and the
  // first `floats` of each channel's 2 * length (one less where the second tile's last pixel is past the row).
  // Null where not written (the caller then stores each tile alone, and pairs no phases).
  void (*store_channel_major_pair_run)(const float* c0, const float* c1, int64_t ldc, int64_t rows, int64_t length,
                                       int64_t floats, float* out, int64_t out_plane);
  // A run of `length` pixels of a channel-major tile (rows ldc floats apart) whose outputs lie `step` (1 or 2)
  // floats apart: out[m * out_plane + i * step] = c[m * ldc + i] for m < rows. Null where not written (the caller
  // then stores element by element).
  void (*store_run)(const float* c, int64_t ldc, int64_t rows, int64_t length, int64_t step, float* out,
                    int64_t out_plane);
  // Adds one row of C (a tile's pixels, `c`) into an output plane by runs, each run's outputs `step` (the stride)
  // apart: plane[run.offset + i * step] += c[run.first + i] for the pixels whose bit is set in `inside` (bit j for
  // pixel j; the rest land outside the output).
  void (*add_runs)(const float* c, const OutputRun* runs, int64_t count, uint32_t inside, int64_t step, float* plane);
  // add_runs for two rows at once, where b's pixel j lands `step` floats past a's (the next pixel's output in a run:
  // taps kx and kx + stride of one kernel row): output i of a run takes a's pixel i and b's pixel i - 1, so the two
  // share each output's load and store. b's bits in `inside_b`. Null where not written (two add_runs instead).
  void (*add_run_pairs)(const float* a, const float* b, const OutputRun* runs, int64_t count, uint32_t inside_a,
                        uint32_t inside_b, int64_t step, float* plane);
  // At stride 2, a whole kernel row of 3 or 4 taps at once: row t of C (tap kx + t, t < taps, at c + t *
  // row_stride) has its pixel i land t floats past row 0's, so output 2i of a run takes row 0's pixel i and row 2's
  // pixel i - 1, output 2i + 1 row 1's pixel i and row 3's pixel i - 1. Each output is loaded and stored once for
  // the whole row. inside[t] as add_runs' `inside`. Null where not written (pairs or single rows instead).
  void (*add_kernel_row)(const float* c, int64_t row_stride, const uint32_t* inside, int64_t taps,
                         const OutputRun* runs, int64_t count, float* plane);
  // Copies `count` (at most 16) pixels of `rows` channels, channel m's at source + m * source_stride, to pixel-major
  // rows `width` floats apart: destination[i * width + m] = source[m * source_stride + i], zero for m in [rows,
  // width) (grad_weight's packing of its summed operand, pack_a). Null where not written (the caller then copies
  // element by element).
  void (*pack_transposed)(const float* source, int64_t source_stride, int64_t rows, int64_t count, float* destination,
                          int64_t width);
  // The same level with tiles of half the pixels, for calls whose few pixels would leave this kernel's tiles half
  // empty (kernel_for_call in strided_correlation.cpp). Null where there is none.
  const MicroKernel* narrow;
  // The same level with tiles of more rows, for the packed GEMMs of calls with many rows (kernel_for_rows): each
  // float of B then serves more FMAs. Null where there is none.
  const MicroKernel* tall;
  // How many input channels' kernels a streaming K block reads at once from conv_transpose2d's layout, where each
  // is its own stream through memory. Measured on the machines each level was tuned on: on a Zen 3 (AVX2) more
  // than 8 outran its prefetchers (latency's forward, a 32 MB weight, 1.19 times faster with 8); on a Zen 5
  // (AVX-512) 32 made gen_first's forward 1.1 times faster than 8.
  int64_t streamed_channels;
  // Up to how many input pixels (batch x H x W) conv_transpose2d's forward goes through the columns GEMM
  // (columns.h) rather than the phase GEMM, whatever its padding: a vector of weight columns then serves every
  // pixel, where the phase GEMM's tiles broadcast each weight float to one vector of pixels. Measured per level.
  int64_t columns_forward_pixels;
  // From how many times as many input channels as output channels (per group) a strided conv_transpose2d's forward
  // goes through the scatter GEMM (scatter_gemm.h) rather than the phase GEMM, where the latter would pack its
  // input. Measured per level.
  int64_t scatter_in_per_out;
  // Whether strides whose product is 9 or more, on few pixels, go through the columns GEMM (use_columns_forward),
  // and whether a strided forward of several images whose phase GEMM would read its input in place with half of its
  // tiles' output channels or more empty goes through the scatter GEMM (use_scatter_gemm). Both were measured on the
  // AVX-512 level only (the Intel Xeon); the other levels keep the phase GEMM there.
  bool columns_for_many_phases = false;
  bool scatter_for_empty_lanes = false;
};

const MicroKernel& microkernel_avx512();
const MicroKernel& microkernel_avx2();
const MicroKernel& microkernel_generic();

// The kernel used by the fast paths: the best supported, or the one forced by force_kernel_level (convt/cpu.h).
const MicroKernel& active_microkernel();

// The kernel for a packed GEMM of `rows` rows: `kernel`'s tall tiles where it has them and the rows are many enough
// that rounding them up to whole tiles costs little, else `kernel` itself.
const MicroKernel& kernel_for_rows(const MicroKernel& kernel, int64_t rows);

// The path a test forced with force_kernel_path (convt/cpu.h), or Automatic.
KernelPath forced_kernel_path();

// Whether the packed GEMMs gather a short or many-run input with the kernel's vector gathers (force_vector_gathers
// in convt/cpu.h): forced by a test, or whether the processor is Intel's.
bool prefers_vector_gathers();

}  // namespace convt::cpu
