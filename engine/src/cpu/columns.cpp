#include "columns.h"

#include "correlation_tasks.h"
#include "microkernels.h"
#include "parallel_threshold.h"
#include "scratch.h"
#include "thin_groups.h"

#include <convt/aligned.h>

#include <algorithm>
#include <vector>

namespace convt::cpu {
namespace {

// The columns may take at most this many floats (256 MB); larger layers keep the phase GEMM.
constexpr int64_t kMaxColumnFloats = int64_t{64} << 20;

// Products per axis: those the phase GEMM computes (every tap of each output's phase, inside the input or not)
// and those that land (tap of an input pixel inside the output).
struct AxisProducts {
  int64_t computed = 0, useful = 0;
};

AxisProducts axis_products(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation) {
  AxisProducts products;
  for (int64_t o = 0; o < out; ++o)
    for (int64_t k = 0; k < kernel; ++k) products.computed += (o + padding - k * dilation) % stride == 0 ? 1 : 0;
  for (int64_t i = 0; i < in; ++i)
    for (int64_t k = 0; k < kernel; ++k) {
      const int64_t o = i * stride - padding + k * dilation;
      products.useful += (o >= 0 && o < out) ? 1 : 0;
    }
  return products;
}

// The buffers of a call, kept by the calling thread between calls.
AlignedFloats& columns_buffer() {
  static thread_local AlignedFloats columns;
  return columns;
}

struct Sizes {
  int64_t pixels, total_pixels, taps, columns, columns8;  // columns8: the columns handled 8 at a time
};

Sizes sizes_of(const ConvTranspose2dGeometry& g) {
  const int64_t pixels = g.in_h * g.in_w, taps = g.kernel_h * g.kernel_w;
  const int64_t columns = g.out_channels_per_group * taps;
  return {pixels, g.batch * pixels, taps, columns, columns / 8 * 8};
}

// The input value of pixel p (over the batch) in channel c.
float input_at(const float* input, const ConvTranspose2dGeometry& g, const Sizes& z, int64_t p, int64_t c) {
  return input[((p / z.pixels) * g.in_channels + c) * z.pixels + p % z.pixels];
}

// How a pass over the columns is cut: `other_items` (groups times blocks of 4 pixels or rows) times ranges of
// columns, about four items per thread, each range a multiple of 8 columns.
struct ColumnRanges {
  int64_t range, ranges;
};

ColumnRanges column_ranges(const Sizes& z, int64_t other_items, int threads) {
  const int64_t wanted = std::max<int64_t>(1, (4 * threads + other_items - 1) / other_items);
  const int64_t range = std::max<int64_t>(64, (z.columns8 / wanted + 7) / 8 * 8);
  return {range, std::max<int64_t>(1, (z.columns8 + range - 1) / range)};
}

// The threads of a pass (it streams the weight or the weight's gradient), and the columns in the calling thread's
// buffer.
int threads_of(const ConvTranspose2dGeometry& g, const Sizes& z) {
  return threads_for_streaming(g.useful_flops(), static_cast<double>(g.in_channels * z.columns));
}

float* columns_of(const ConvTranspose2dGeometry& g, const Sizes& z) {
  AlignedFloats& buffer = columns_buffer();
  buffer.resize(static_cast<size_t>(g.groups * z.total_pixels * z.columns));
  return buffer.data();
}

// out[j*M + m] = sum over i < terms of coefficients[i*4 + j] * rows[i*M + m], for j < count (at most 4) and the
// columns m of an item: [begin, end) among those done 8 at a time and, for the last item, the M % 8 after them
// (in plain loops: the rows have nothing after them for a vector to read into).
void sum_rows(const MicroKernel& kernel, const Sizes& z, int64_t terms, int64_t count, const float* coefficients,
              const float* rows, int64_t begin, int64_t end, bool last, float* out) {
  static const float kZeros[4] = {};
  if (end > begin) {
    const float* source = rows + begin;
    kernel.thin_rows(end - begin, 1, terms, 1, count, &source, z.columns, coefficients, kZeros, out + begin, z.columns);
  }
  if (!last) return;
  for (int64_t j = 0; j < count; ++j)
    for (int64_t m = z.columns8; m < z.columns; ++m) {
      float sum = 0.0f;
      for (int64_t i = 0; i < terms; ++i) sum += coefficients[i * 4 + j] * rows[i * z.columns + m];
      out[j * z.columns + m] = sum;
    }
}

// Both GEMMs of the columns: output row o (of `outputs`, per group) is the sum over i < terms of
// coefficient(group, i, o) times row i of the group's `rows`, each row M floats; rows of a group lie `rows_group`
// floats apart, and the outputs `out_group`. Items are (group, block of 4 outputs, range of columns).
template <typename Coefficient>
void weighted_row_sums(const MicroKernel& kernel, const Sizes& z, int64_t groups, int64_t outputs, int64_t terms,
                       int threads, Coefficient coefficient, const float* rows, int64_t rows_group, float* out,
                       int64_t out_group) {
  const int64_t blocks = (outputs + 3) / 4;
  const auto [range, ranges] = column_ranges(z, groups * blocks, threads);
  // Items of equal size, dealt out the same way on every call, so that a thread meets the rows it read last time in
  // its own core's L2: a batch-1 layer's weight (dcgan_z's 3.2 MB) then stays there between calls. Dealt out
  // dynamically, half of it came from the other core's cache (dcgan_z's three passes 1.24 to 1.38 times slower on
  // the Intel Xeon).
#pragma omp parallel num_threads(threads)
  {
    AlignedFloats coefficients4(static_cast<size_t>(terms * 4));
#pragma omp for schedule(static)
    for (int64_t item = 0; item < groups * blocks * ranges; ++item) {
      const int64_t group = item / (blocks * ranges), o0 = item / ranges % blocks * 4, r = item % ranges;
      const int64_t count = std::min<int64_t>(4, outputs - o0);
      for (int64_t i = 0; i < terms; ++i)
        for (int64_t j = 0; j < 4; ++j)
          coefficients4[static_cast<size_t>(i * 4 + j)] = j < count ? coefficient(group, i, o0 + j) : 0.0f;
      const int64_t begin = r * range;
      sum_rows(kernel, z, terms, count, coefficients4.data(), rows + group * rows_group, begin,
               std::min(z.columns8, begin + range), r + 1 == ranges, out + group * out_group + o0 * z.columns);
    }
  }
}

// Input channels per K block of the forward's GEMM: a block of the weight (256 rows of one column block, 32 KB
// with AVX-512's 32 columns) stays in L1 while every pixel block meets it.
constexpr int64_t kGemmKc = 256;

// The calling thread's buffer of the packed pixels, kept between calls and shared by the call's threads.
AlignedFloats& packed_pixels_buffer() {
  static thread_local AlignedFloats packed;
  return packed;
}

// The forward's columns as a GEMM on the microkernel: C[p][m] = sum over ci of x[ci, p] * w[ci, m], with the
// pixels as A (packed, kernel.mr at a time) and the weight's rows as B, read where they lie (run_b_rows). Each
// weight float is read from memory once per call and serves every pixel block from L1, each K step loading a
// vector of columns for mr pixels (thin_rows broadcast each weight float to 4 pixels, and read the weight once
// per 4 pixels). The tasks split the column blocks of each group.
void columns_by_gemm(const MicroKernel& kernel, const ConvTranspose2dGeometry& g, const Sizes& z, int threads,
                     const float* input, const float* weight, float* columns) {
  const int64_t mr = kernel.mr, nr = kernel.nr, cig = g.in_channels_per_group, m_total = z.columns;
  const int64_t pixels = z.total_pixels, pixel_blocks = (pixels + mr - 1) / mr;
  const int64_t column_blocks = (m_total + nr - 1) / nr;
  // About four tasks per thread, each a range of one group's column blocks.
  const int64_t ranges = std::clamp<int64_t>((4 * threads + g.groups - 1) / g.groups, 1, column_blocks);
  AlignedFloats& packed = packed_pixels_buffer();
  at_least(packed, g.groups * pixel_blocks * cig * mr);
#pragma omp parallel num_threads(threads)
  {
    // A: [group][pixel block][ci][mr], zero past the last pixel.
#pragma omp for schedule(static)
    for (int64_t item = 0; item < g.groups * pixel_blocks; ++item) {
      const int64_t group = item / pixel_blocks, pb = item % pixel_blocks;
      float* a = packed.data() + item * cig * mr;
      for (int64_t ci = 0; ci < cig; ++ci)
        for (int64_t m = 0; m < mr; ++m) {
          const int64_t p = pb * mr + m;
          a[ci * mr + m] = p < pixels ? input_at(input, g, z, p, group * cig + ci) : 0.0f;
        }
    }
    // Edge tiles (the last pixels, the last columns) through a tile of their own; the last column block's B copied
    // with zeros after the weight's last column, which a read in place would pass. Kept by each thread between
    // calls, so that a call allocates nothing.
    static thread_local AlignedFloats tile, tail_b;
    at_least(tile, mr * nr);
    at_least(tail_b, kGemmKc * nr);
#pragma omp for schedule(dynamic)
    for (int64_t task = 0; task < g.groups * ranges; ++task) {
      const int64_t group = task / ranges, range = task % ranges;
      const int64_t jb_begin = column_blocks * range / ranges, jb_end = column_blocks * (range + 1) / ranges;
      for (int64_t ci0 = 0; ci0 < cig; ci0 += kGemmKc) {
        const int64_t kc = std::min(kGemmKc, cig - ci0);
        const float* rows = weight + (group * cig + ci0) * m_total;
        for (int64_t jb = jb_begin; jb < jb_end; ++jb) {
          const int64_t width = std::min(nr, m_total - jb * nr);
          const float* b = rows + jb * nr;
          int64_t ldb = m_total;
          if (width < nr) {
            for (int64_t k = 0; k < kc; ++k)
              for (int64_t n = 0; n < nr; ++n)
                tail_b[static_cast<size_t>(k * nr + n)] = n < width ? b[k * m_total + n] : 0.0f;
            b = tail_b.data(), ldb = nr;
          }
          for (int64_t pb = 0; pb < pixel_blocks; ++pb) {
            const float* a = packed.data() + ((group * pixel_blocks + pb) * cig + ci0) * mr;
            float* c = columns + (group * pixels + pb * mr) * m_total + jb * nr;
            const int64_t height = std::min(mr, pixels - pb * mr);
            if (height == mr && width == nr) {
              (ci0 == 0 ? kernel.run_b_rows_store : kernel.run_b_rows)(kc, a, b, ldb, c, m_total);
              continue;
            }
            kernel.run_b_rows_store(kc, a, b, ldb, tile.data(), nr);
            for (int64_t m = 0; m < height; ++m)
              for (int64_t n = 0; n < width; ++n)
                c[m * m_total + n] = (ci0 == 0 ? 0.0f : c[m * m_total + n]) + tile[static_cast<size_t>(m * nr + n)];
          }
        }
      }
    }
  }
}

// Whether the columns, [group][image][channel][tap], are laid out as the output itself: a 1x1 input whose taps fill
// the output exactly, one tap per output (no padding, dilation or output_padding: a generator's first layer), with
// groups or images one. The forward then computes its columns in the output, and the backward passes read
// grad_output as their columns: no col2im, no gather, and no parallel region for either (a fifth of dcgan_z's 40 us
// forward).
bool columns_are_output(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params, const Sizes& z) {
  return z.pixels == 1 && params.padding.h == 0 && params.padding.w == 0 && params.dilation.h == 1 &&
         params.dilation.w == 1 && g.out_h == g.kernel_h && g.out_w == g.kernel_w && (g.groups == 1 || g.batch == 1);
}

// Gathers grad_output at every tap of every pixel into the calling thread's columns, which it returns:
// columns[(g*P + p)*M + co*taps + tap], zero where the tap lands outside the output (its product has no term in the
// sums).
const float* gather_columns(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params, const Sizes& z,
                            const float* grad_output, int threads) {
  if (columns_are_output(g, params, z)) return grad_output;
  float* columns = columns_of(g, z);
  const int64_t items = g.groups * z.total_pixels;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t item = 0; item < items; ++item) {
    const int64_t group = item / z.total_pixels, p = item % z.total_pixels;
    const int64_t n = p / z.pixels, iy = p % z.pixels / g.in_w, ix = p % g.in_w;
    float* column = columns + item * z.columns;
    for (int64_t co = 0; co < g.out_channels_per_group; ++co) {
      const float* plane = grad_output + (n * g.out_channels + group * g.out_channels_per_group + co) * g.out_h * g.out_w;
      for (int64_t ky = 0; ky < g.kernel_h; ++ky) {
        const int64_t oy = iy * params.stride.h - params.padding.h + ky * params.dilation.h;
        for (int64_t kx = 0; kx < g.kernel_w; ++kx) {
          const int64_t ox = ix * params.stride.w - params.padding.w + kx * params.dilation.w;
          const bool inside = oy >= 0 && oy < g.out_h && ox >= 0 && ox < g.out_w;
          column[co * z.taps + ky * g.kernel_w + kx] = inside ? plane[oy * g.out_w + ox] : 0.0f;
        }
      }
    }
  }
  return columns;
}

}  // namespace

bool use_columns_path(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params) {
  const Sizes z = sizes_of(g);
  if (g.groups * z.total_pixels * z.columns > kMaxColumnFloats) return false;
  if (forced_kernel_path() == KernelPath::Columns) return true;
  if (forced_kernel_path() != KernelPath::Automatic) return false;
  const AxisProducts y = axis_products(g.in_h, g.out_h, g.kernel_h, params.stride.h, params.padding.h, params.dilation.h);
  const AxisProducts x = axis_products(g.in_w, g.out_w, g.kernel_w, params.stride.w, params.padding.w, params.dilation.w);
  return 2 * y.useful * x.useful < y.computed * x.computed;
}

bool use_columns_forward(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params) {
  if (use_columns_path(g, params)) return true;
  const Sizes z = sizes_of(g);
  if (forced_kernel_path() != KernelPath::Automatic || g.groups * z.total_pixels * z.columns > kMaxColumnFloats)
    return false;
  const MicroKernel& kernel = active_microkernel();
  if (z.total_pixels <= kernel.columns_forward_pixels) return true;
  // At strides of 3x3 and more (a product of 9 or more) the phase GEMM cuts the layer into as many phases, and
  // where the input's pixels fit about one task's tiles it streams the weight through all of them; the columns GEMM
  // makes one product of the whole layer. Layers drawn by bench/random_layers.py, the Intel Xeon, 2 threads, best of 3:
  // - seed 1204 (stride 3 and 4, 50 to 217 pixels, 24 to 512 input channels; 9 layers), where the rule was found:
  //   the columns 1.5 to 2.5 times faster on six, about as fast on two, 0.83 times as fast on one (2x96x8x8, k3 s3);
  // - seed 1205, unseen until the rule was written (14 layers, 16 to 256 pixels): 0.99 to 1.87 times as fast.
  // Longer K blocks for the streaming GEMM did not close the gap.
  constexpr int64_t kManyPhases = 9;
  const int64_t phases = std::min(params.stride.h, kManyPhases) * std::min(params.stride.w, kManyPhases);
  return kernel.columns_for_many_phases && phases >= kManyPhases && z.total_pixels <= kMaxTilesPerTask * kernel.nr &&
         !use_thin_path(g.in_channels_per_group, g.out_channels_per_group);
}

void conv_transpose2d_columns(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params,
                              const float* input, const float* weight, const float* bias, float* output) {
  const MicroKernel& kernel = active_microkernel();
  const Sizes z = sizes_of(g);
  const int threads = threads_of(g, z);
  // The columns computed in the output itself where it has their layout; only the bias is then added.
  const bool in_output = columns_are_output(g, params, z);
  float* columns = in_output ? output : columns_of(g, z);
  const int64_t cig = g.in_channels_per_group;
  if (z.total_pixels >= kernel.mr) {
    columns_by_gemm(kernel, g, z, threads, input, weight, columns);
  } else {
    // Columns of 4 pixels at a time (fewer than a tile's): each weight row (one input channel) is read once for all 4.
    weighted_row_sums(
        kernel, z, g.groups, z.total_pixels, cig, threads,
        [&](int64_t group, int64_t ci, int64_t p) { return input_at(input, g, z, p, group * cig + ci); }, weight,
        cig * z.columns, columns, z.total_pixels * z.columns);
  }
  if (in_output) {
    if (bias == nullptr) return;
    // On the calling thread below 64 K outputs: a parallel region costs more than the adds.
    const int64_t planes = g.batch * g.out_channels;
#pragma omp parallel for schedule(static) num_threads(threads) if (planes * z.taps >= (int64_t{1} << 16))
    for (int64_t plane = 0; plane < planes; ++plane)
      for (int64_t tap = 0; tap < z.taps; ++tap) output[plane * z.taps + tap] += bias[plane % g.out_channels];
    return;
  }
  // col2im: each output plane is the bias plus its columns added at their taps.
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t plane_index = 0; plane_index < g.batch * g.out_channels; ++plane_index) {
    const int64_t n = plane_index / g.out_channels, channel = plane_index % g.out_channels;
    const int64_t group = channel / g.out_channels_per_group, co = channel % g.out_channels_per_group;
    float* plane = output + plane_index * g.out_h * g.out_w;
    std::fill(plane, plane + g.out_h * g.out_w, bias ? bias[channel] : 0.0f);
    for (int64_t pixel = 0; pixel < z.pixels; ++pixel) {
      const int64_t iy = pixel / g.in_w, ix = pixel % g.in_w;
      const float* column = columns + (group * z.total_pixels + n * z.pixels + pixel) * z.columns + co * z.taps;
      for (int64_t ky = 0; ky < g.kernel_h; ++ky) {
        const int64_t oy = iy * params.stride.h - params.padding.h + ky * params.dilation.h;
        if (oy < 0 || oy >= g.out_h) continue;
        for (int64_t kx = 0; kx < g.kernel_w; ++kx) {
          const int64_t ox = ix * params.stride.w - params.padding.w + kx * params.dilation.w;
          if (ox >= 0 && ox < g.out_w) plane[oy * g.out_w + ox] += column[ky * g.kernel_w + kx];
        }
      }
    }
  }
}

void conv_transpose2d_grad_input_columns(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params,
                                         const float* weight, const float* grad_output, float* grad_input) {
  const MicroKernel& kernel = active_microkernel();
  const Sizes z = sizes_of(g);
  const int threads = threads_of(g, z);
  const float* columns = gather_columns(g, params, z, grad_output, threads);
  // Dot products of a weight row with 4 pixels' columns, in float over 1024 columns at a time, then in double.
  constexpr int64_t kChunk = 1024;
  const int64_t items = g.groups * g.in_channels_per_group;
  // Dealt out the same way on every call, as in weighted_row_sums.
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t item = 0; item < items; ++item) {
    const int64_t group = item / g.in_channels_per_group, ci = item % g.in_channels_per_group;
    const float* row = weight + item * z.columns;
    for (int64_t p0 = 0; p0 < z.total_pixels; p0 += 4) {
      const int64_t count = std::min<int64_t>(4, z.total_pixels - p0);
      double sums[4] = {};
      for (int64_t m0 = 0; m0 < z.columns8; m0 += kChunk) {
        const int64_t length = std::min(kChunk, z.columns8 - m0);
        const float* a = row + m0;
        const float* b[4];
        for (int64_t j = 0; j < count; ++j) b[j] = columns + (group * z.total_pixels + p0 + j) * z.columns + m0;
        float part[4];
        kernel.thin_dots(length, 1, count, &a, b, part);
        for (int64_t j = 0; j < count; ++j) sums[j] += part[j];
      }
      for (int64_t j = 0; j < count; ++j) {
        const float* column = columns + (group * z.total_pixels + p0 + j) * z.columns;
        for (int64_t m = z.columns8; m < z.columns; ++m) sums[j] += static_cast<double>(row[m]) * column[m];
        const int64_t p = p0 + j;
        grad_input[((p / z.pixels) * g.in_channels + group * g.in_channels_per_group + ci) * z.pixels + p % z.pixels] =
            static_cast<float>(sums[j]);
      }
    }
  }
}

void conv_transpose2d_grad_weight_columns(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params,
                                          const float* input, const float* grad_output, float* grad_weight) {
  const MicroKernel& kernel = active_microkernel();
  const Sizes z = sizes_of(g);
  const int threads = threads_of(g, z);
  const float* columns = gather_columns(g, params, z, grad_output, threads);
  // Row ci of grad_weight is the sum over pixels of x[ci, p] times pixel p's columns: 4 rows at a time.
  const int64_t cig = g.in_channels_per_group;
  weighted_row_sums(
      kernel, z, g.groups, cig, z.total_pixels, threads,
      [&](int64_t group, int64_t p, int64_t ci) { return input_at(input, g, z, p, group * cig + ci); }, columns,
      z.total_pixels * z.columns, grad_weight, cig * z.columns);
}

}  // namespace convt::cpu
