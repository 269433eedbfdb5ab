#include "padded_planes.h"

#include "../common/phase_geometry.h"

#include <algorithm>

namespace convt::cpu {

void pad_planes(const float* source, int64_t planes, int64_t in_h, int64_t in_w, int64_t y_lo, int64_t y_hi,
                int64_t x_lo, int64_t x_hi, int64_t stride_x, int threads, PaddedPlanes& out) {
  out.pad_top = -y_lo;
  out.pad_left = -x_lo;
  out.height = y_hi - y_lo + 1;
  out.stride_x = stride_x;
  out.row = phase::ceil_div(x_hi - x_lo + 1, stride_x) + kPaddedRowSlack;
  out.data.resize(static_cast<size_t>(planes * out.plane_size()));
  const int64_t rows = planes * out.height;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t index = 0; index < rows; ++index) {
    const int64_t plane = index / out.height, y = index % out.height + y_lo;
    float* destination = out.data.data() + index * stride_x * out.row;
    if (y < 0 || y >= in_h) {
      std::fill(destination, destination + stride_x * out.row, 0.0f);
      continue;
    }
    const float* row = source + (plane * in_h + y) * in_w;
    for (int64_t r = 0; r < stride_x; ++r) {
      float* sub_row = destination + r * out.row;
      for (int64_t j = 0; j < out.row; ++j) {
        const int64_t x = j * stride_x + r + x_lo;
        sub_row[j] = (x >= 0 && x < in_w) ? row[x] : 0.0f;
      }
    }
  }
}

}  // namespace convt::cpu
