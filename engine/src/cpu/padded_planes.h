// A copy of an activation's planes, padded with zeros and split by the x stride, that lets the fast kernels read
// every tap of a strided, padded convolution without bounds checks, and along x as contiguous runs:
// element (y, x) of a plane sits at padded coordinates (Y, X) = (y + pad_top, x + pad_left), stored at
// [plane][Y][X % stride_x][X / stride_x] in sub-rows of `row` floats (with spare zeros after each, for vector loads
// that run past the end). A read of X = q*stride_x + c over q is then contiguous: sub-row c % stride_x, from
// index c / stride_x.
#pragma once

#include "../common/phase_geometry.h"

#include <convt/aligned.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace convt::cpu {

struct PaddedPlanes {
  AlignedFloats storage;  // the copy (empty for a view of planes that need no padding)
  const float* data = nullptr;
  int64_t pad_top = 0, pad_left = 0, height = 0, stride_x = 1, row = 0;

  int64_t plane_size() const { return height * stride_x * row; }
  // Where padded row `y` of plane `plane` holds padded column X = c (and X = q*stride_x + c at +q).
  const float* at(int64_t plane, int64_t y, int64_t c) const {
    const int64_t index = phase::floor_div(c, stride_x);
    return data + ((plane * height + y) * stride_x + (c - index * stride_x)) * row + index;
  }
  // A pixel's and a tap's parts of where a tap of a pixel reads: input row in_y and column q * x_stride (both
  // unpadded) for the pixel, offsets (oy, ox) from them for the tap. The two add up to the element's offset from its
  // plane's start when stride_x is 1 or x_stride itself (a pixel's columns then differ by whole sub-row steps).
  int64_t pixel_offset(int64_t in_y, int64_t q, int64_t x_stride) const {
    return (in_y + pad_top) * stride_x * row + q * (x_stride / stride_x);
  }
  int64_t tap_offset(int64_t oy, int64_t ox) const {
    const int64_t index = phase::floor_div(ox + pad_left, stride_x);
    return (oy * stride_x + (ox + pad_left - index * stride_x)) * row + index;
  }
};

// Floats of zeros after each sub-row, beyond its last column.
constexpr int64_t kPaddedRowSlack = 16;

// Sets the geometry of `out` (not its data) for source rows [y_lo, y_hi] and columns [x_lo, x_hi], split by
// stride_x, with `row_slack` zeros after each sub-row.
void set_padded_geometry(int64_t y_lo, int64_t y_hi, int64_t x_lo, int64_t x_hi, int64_t stride_x, int64_t row_slack,
                         PaddedPlanes& out);

// Whether source rows [y_lo, y_hi] and columns [x_lo, x_hi] reach outside planes of in_h x in_w: whether reading
// them needs a copy padded with zeros.
inline bool reaches_outside(int64_t y_lo, int64_t y_hi, int64_t x_lo, int64_t x_hi, int64_t in_h, int64_t in_w) {
  return y_lo < 0 || x_lo < 0 || y_hi >= in_h || x_hi >= in_w;
}

// Fills `out` from source planes [planes][in_h][in_w] for source rows [y_lo, y_hi] and columns [x_lo, x_hi] (those
// outside the source read as zeros; y_lo and x_lo are at most 0), on `threads` threads, with `row_slack` zeros after
// each sub-row. Every element is written, so `out` can be reused from call to call without clearing.
void pad_planes(const float* source, int64_t planes, int64_t in_h, int64_t in_w, int64_t y_lo, int64_t y_hi,
                int64_t x_lo, int64_t x_hi, int64_t stride_x, int threads, PaddedPlanes& out,
                int64_t row_slack = kPaddedRowSlack);

// A window of an activation that one task reads: rows [y_lo, y_hi] of `planes` source planes, with the columns of
// `columns` (a call's geometry for its windows: stride 1, no spare zeros, every column of the planes and the zeros
// around them, as set_padded_geometry gives), on the calling thread, with zeros where the window lies outside the
// planes. So every window of a call shares its tap offsets. `out` keeps its storage between windows and only grows it.
void pad_window(const float* source, int64_t planes, int64_t in_h, int64_t in_w, int64_t y_lo, int64_t y_hi,
                const PaddedPlanes& columns, PaddedPlanes& out);

// The lines of rows [y_lo, y_hi] (those inside the planes) of `planes` source planes [in_h][in_w] from `source`,
// asked for from memory `per_step` at a time over `steps` steps: a window padded later then copies from the cache.
struct LinesAhead {
  const float* first = nullptr;
  int64_t plane_floats = 0, span = 0, planes = 0, plane_lines = 0, per_step = 0;  // span: floats read per plane
  int64_t plane = 0, line = 0;

  LinesAhead() = default;
  LinesAhead(const float* source, int64_t planes, int64_t in_h, int64_t in_w, int64_t y_lo, int64_t y_hi,
             int64_t steps);

  void ask() {
    for (int64_t i = 0; i < per_step && plane < planes; ++i) {
      __builtin_prefetch(first + plane * plane_floats + std::min(line * 16, span - 1));
      if (++line == plane_lines) line = 0, ++plane;
    }
  }
};

// The same planes when no tap reads outside them and nothing reads past a row's end (scalar gathers): `out` then
// views `source` itself, with no copy. Otherwise as pad_planes with stride 1 and no spare zeros, which single-float
// readers never reach (a fifth less to write and read on big_small's forward: 1.02 times faster).
void pad_planes_for_gathers(const float* source, int64_t planes, int64_t in_h, int64_t in_w, int64_t y_lo,
                            int64_t y_hi, int64_t x_lo, int64_t x_hi, int threads, PaddedPlanes& out);

}  // namespace convt::cpu
