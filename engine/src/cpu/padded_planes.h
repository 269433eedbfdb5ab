// A copy of an activation's planes, padded with zeros and split by the x stride, that lets the fast kernels read
// every tap of a strided, padded convolution without bounds checks, and along x as contiguous runs:
// element (y, x) of a plane sits at padded coordinates (Y, X) = (y + pad_top, x + pad_left), stored at
// [plane][Y][X % stride_x][X / stride_x] in sub-rows of `row` floats (with spare zeros after each, for vector loads
// that run past the end). A read of X = q*stride_x + c over q is then contiguous: sub-row c % stride_x, from
// index c / stride_x.
#pragma once

#include "../common/phase_geometry.h"

#include <cstdint>
#include <vector>

namespace convt::cpu {

struct PaddedPlanes {
  std::vector<float> storage;  // the copy (empty for a view of planes that need no padding)
  const float* data = nullptr;
  int64_t pad_top = 0, pad_left = 0, height = 0, stride_x = 1, row = 0;

  int64_t plane_size() const { return height * stride_x * row; }
  // Where padded row `y` of plane `plane` holds padded column X = c (and X = q*stride_x + c at +q).
  const float* at(int64_t plane, int64_t y, int64_t c) const {
    const int64_t index = phase::floor_div(c, stride_x);
    return data + ((plane * height + y) * stride_x + (c - index * stride_x)) * row + index;
  }
};

// Floats of zeros after each sub-row, beyond its last column.
constexpr int64_t kPaddedRowSlack = 16;

// Fills `out` from source planes [planes][in_h][in_w] for source rows [y_lo, y_hi] and columns [x_lo, x_hi] (those
// outside the source read as zeros; y_lo and x_lo are at most 0), on `threads` threads. Every element is written,
// so `out` can be reused from call to call without clearing.
void pad_planes(const float* source, int64_t planes, int64_t in_h, int64_t in_w, int64_t y_lo, int64_t y_hi,
                int64_t x_lo, int64_t x_hi, int64_t stride_x, int threads, PaddedPlanes& out);

// The same planes when no tap reads outside them and nothing reads past a row's end (scalar gathers): `out` then
// views `source` itself, with no copy. Otherwise as pad_planes with stride 1.
void pad_planes_for_gathers(const float* source, int64_t planes, int64_t in_h, int64_t in_w, int64_t y_lo,
                            int64_t y_hi, int64_t x_lo, int64_t x_hi, int threads, PaddedPlanes& out);

}  // namespace convt::cpu
