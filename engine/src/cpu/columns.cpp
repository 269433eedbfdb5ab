#include "columns.h"

#include "microkernels.h"
#include "parallel_threshold.h"

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
std::vector<float>& columns_buffer() {
  static thread_local std::vector<float> columns;
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
  std::vector<float>& buffer = columns_buffer();
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
    kernel.thin_rows(end - begin, terms, 1, count, &source, z.columns, coefficients, kZeros, out + begin, z.columns);
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
#pragma omp parallel num_threads(threads)
  {
    std::vector<float> coefficients4(static_cast<size_t>(terms * 4));
#pragma omp for schedule(dynamic)
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

// Gathers grad_output at every tap of every pixel into the calling thread's columns, which it returns:
// columns[(g*P + p)*M + co*taps + tap], zero where the tap lands outside the output (its product has no term in the
// sums).
float* gather_columns(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params, const Sizes& z,
                      const float* grad_output, int threads) {
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

void conv_transpose2d_columns(const ConvTranspose2dGeometry& g, const ConvTranspose2dParams& params,
                              const float* input, const float* weight, const float* bias, float* output) {
  const MicroKernel& kernel = active_microkernel();
  const Sizes z = sizes_of(g);
  const int threads = threads_of(g, z);
  float* columns = columns_of(g, z);
  // Columns of 4 pixels at a time: each weight row (one input channel) is read once for all 4.
  const int64_t cig = g.in_channels_per_group;
  weighted_row_sums(
      kernel, z, g.groups, z.total_pixels, cig, threads,
      [&](int64_t group, int64_t ci, int64_t p) { return input_at(input, g, z, p, group * cig + ci); }, weight,
      cig * z.columns, columns, z.total_pixels * z.columns);
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
#pragma omp parallel for schedule(dynamic) num_threads(threads)
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
