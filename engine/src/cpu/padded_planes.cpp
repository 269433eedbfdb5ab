#include "padded_planes.h"

#include "../common/phase_geometry.h"

#include <algorithm>

namespace convt::cpu {
namespace {

// Every kStride-th float of `source` into `count` consecutive ones: a stride known at compile time lets the
// compiler vectorise the copy (the loop with the stride a variable copied one float at a time, 10% of a batch-1
// grad_input that reads its B from these planes).
template <int64_t kStride>
void copy_every(const float* source, int64_t count, float* destination) {
  for (int64_t j = 0; j < count; ++j) destination[j] = source[j * kStride];
}

// Padded row `y` of one plane (every sub-row of it) at `destination`, from the plane's rows [in_h][in_w] at `plane`:
// zeros where y or a column lies outside them.
// Inlined: as a call of its own it made sr_k3s2's grad-input (60% of it padding) 1.1 times slower.
inline __attribute__((always_inline)) void pad_row(const float* plane, int64_t in_h, int64_t in_w, int64_t y,
                                                   const PaddedPlanes& out, float* destination) {
  const int64_t stride_x = out.stride_x, x_lo = -out.pad_left;
  if (y < 0 || y >= in_h) {
    std::fill(destination, destination + stride_x * out.row, 0.0f);
    return;
  }
  const float* row = plane + y * in_w;
  if (stride_x == 1) {  // zeros, the row, zeros (the columns cover the whole row)
    const int64_t left = -x_lo;
    std::fill(destination, destination + left, 0.0f);
    std::copy(row, row + in_w, destination + left);
    std::fill(destination + left + in_w, destination + out.row, 0.0f);
    return;
  }
  // Sub-row r holds x = j*stride_x + r + x_lo: zeros, then the columns inside the row, then zeros.
  for (int64_t r = 0; r < stride_x; ++r) {
    float* sub_row = destination + r * out.row;
    const int64_t first = std::clamp<int64_t>(phase::ceil_div(-r - x_lo, stride_x), 0, out.row);
    const int64_t end = std::clamp<int64_t>(phase::floor_div(in_w - 1 - r - x_lo, stride_x) + 1, first, out.row);
    std::fill(sub_row, sub_row + first, 0.0f);
    const float* source_column = row + first * stride_x + r + x_lo;
    if (stride_x == 2)
      copy_every<2>(source_column, end - first, sub_row + first);
    else
      for (int64_t j = first; j < end; ++j, source_column += stride_x) sub_row[j] = *source_column;
    std::fill(sub_row + end, sub_row + out.row, 0.0f);
  }
}

}  // namespace

void set_padded_geometry(int64_t y_lo, int64_t y_hi, int64_t x_lo, int64_t x_hi, int64_t stride_x, int64_t row_slack,
                         PaddedPlanes& out) {
  out.pad_top = -y_lo;
  out.pad_left = -x_lo;
  out.height = y_hi - y_lo + 1;
  out.stride_x = stride_x;
  out.row = phase::ceil_div(x_hi - x_lo + 1, stride_x) + row_slack;
}

void pad_planes(const float* source, int64_t planes, int64_t in_h, int64_t in_w, int64_t y_lo, int64_t y_hi,
                int64_t x_lo, int64_t x_hi, int64_t stride_x, int threads, PaddedPlanes& out, int64_t row_slack) {
  set_padded_geometry(y_lo, y_hi, x_lo, x_hi, stride_x, row_slack, out);
  out.storage.resize(static_cast<size_t>(planes * out.plane_size()));
  out.data = out.storage.data();
  const int64_t rows = planes * out.height;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t index = 0; index < rows; ++index) {
    const int64_t plane = index / out.height, y = index % out.height + y_lo;
    pad_row(source + plane * in_h * in_w, in_h, in_w, y, out, out.storage.data() + index * stride_x * out.row);
  }
}

void pad_window(const float* source, int64_t planes, int64_t in_h, int64_t in_w, int64_t y_lo, int64_t y_hi,
                const PaddedPlanes& columns, PaddedPlanes& out) {
  set_padded_geometry(y_lo, y_hi, -columns.pad_left, columns.row - 1 - columns.pad_left, 1, 0, out);
  const size_t size = static_cast<size_t>(planes * out.plane_size());
  if (out.storage.size() < size) out.storage.resize(size);
  out.data = out.storage.data();
  for (int64_t plane = 0; plane < planes; ++plane)
    for (int64_t y = y_lo; y <= y_hi; ++y)
      pad_row(source + plane * in_h * in_w, in_h, in_w, y, out,
              out.storage.data() + (plane * out.height + y - y_lo) * out.row);
}

LinesAhead::LinesAhead(const float* source, int64_t planes_in, int64_t in_h, int64_t in_w, int64_t y_lo, int64_t y_hi,
                       int64_t steps)
    : plane_floats(in_h * in_w), planes(planes_in) {
  y_lo = std::max<int64_t>(0, y_lo);
  y_hi = std::min(in_h - 1, y_hi);
  first = source + y_lo * in_w;
  span = std::max<int64_t>(0, (y_hi - y_lo + 1) * in_w);
  plane_lines = phase::ceil_div(span, 16);
  per_step = phase::ceil_div(planes * plane_lines, std::max<int64_t>(1, steps));
}

void pad_planes_for_gathers(const float* source, int64_t planes, int64_t in_h, int64_t in_w, int64_t y_lo,
                            int64_t y_hi, int64_t x_lo, int64_t x_hi, int threads, PaddedPlanes& out) {
  if (reaches_outside(y_lo, y_hi, x_lo, x_hi, in_h, in_w))
    return pad_planes(source, planes, in_h, in_w, y_lo, y_hi, x_lo, x_hi, 1, threads, out, 0);
  out.storage.clear();
  out.data = source;
  out.pad_top = out.pad_left = 0;
  out.height = in_h;
  out.stride_x = 1;
  out.row = in_w;
}

}  // namespace convt::cpu
