#include <convt/error.h>
#include <convt/preview.h>

#include <algorithm>
#include <string>

namespace convt {
namespace {

void check_region(const PlaneRegion& r, int64_t height, int64_t width, int64_t factor) {
  if (factor < 1) throw_invalid("preview: factor " + std::to_string(factor) + " must be >= 1", "factor");
  if (r.y0 < 0 || r.x0 < 0 || r.y1 > height || r.x1 > width || r.y0 >= r.y1 || r.x0 >= r.x1)
    throw_invalid("preview: region rows [" + std::to_string(r.y0) + ", " + std::to_string(r.y1) + ") columns [" +
                      std::to_string(r.x0) + ", " + std::to_string(r.x1) + ") is not inside a " +
                      std::to_string(height) + "x" + std::to_string(width) + " plane",
                  "region");
}

int64_t blocks(int64_t length, int64_t factor) { return (length + factor - 1) / factor; }

}  // namespace

Tensor downsample_planes(const float* data, int64_t height, int64_t width, int64_t plane_stride, int channels,
                         const PlaneRegion& r, int64_t factor) {
  check_region(r, height, width, factor);
  const int64_t out_h = blocks(r.height(), factor), out_w = blocks(r.width(), factor);
  Tensor out = Tensor::zeros({channels, out_h, out_w});
  std::vector<double> row_sums(static_cast<size_t>(out_w));
  for (int c = 0; c < channels; ++c) {
    const float* plane = data + c * plane_stride;
    for (int64_t by = 0; by < out_h; ++by) {
      std::fill(row_sums.begin(), row_sums.end(), 0.0);
      const int64_t y_begin = r.y0 + by * factor, y_end = std::min(r.y1, y_begin + factor);
      // Rows outer, columns inner: each source row is read once, in order.
      for (int64_t y = y_begin; y < y_end; ++y) {
        const float* row = plane + y * width;
        for (int64_t bx = 0; bx < out_w; ++bx) {
          const int64_t x_begin = r.x0 + bx * factor, x_end = std::min(r.x1, x_begin + factor);
          double sum = 0;
          for (int64_t x = x_begin; x < x_end; ++x) sum += row[x];
          row_sums[static_cast<size_t>(bx)] += sum;
        }
      }
      for (int64_t bx = 0; bx < out_w; ++bx) {
        const int64_t x_begin = r.x0 + bx * factor, x_end = std::min(r.x1, x_begin + factor);
        const double count = static_cast<double>((y_end - y_begin) * (x_end - x_begin));
        out[(c * out_h + by) * out_w + bx] = static_cast<float>(row_sums[static_cast<size_t>(bx)] / count);
      }
    }
  }
  return out;
}

Tensor downsample_separable(const std::vector<int64_t>& rows, const std::vector<int64_t>& cols, const PlaneRegion& r,
                            int64_t factor) {
  check_region(r, static_cast<int64_t>(rows.size()), static_cast<int64_t>(cols.size()), factor);
  // The mean of rows[y] * cols[x] over a block is the mean of the rows times the mean of the columns.
  auto block_means = [factor](const std::vector<int64_t>& axis, int64_t begin, int64_t end) {
    std::vector<double> means;
    for (int64_t b = begin; b < end; b += factor) {
      const int64_t stop = std::min(end, b + factor);
      double sum = 0;
      for (int64_t i = b; i < stop; ++i) sum += static_cast<double>(axis[static_cast<size_t>(i)]);
      means.push_back(sum / static_cast<double>(stop - b));
    }
    return means;
  };
  const std::vector<double> row_means = block_means(rows, r.y0, r.y1), col_means = block_means(cols, r.x0, r.x1);
  const int64_t out_h = static_cast<int64_t>(row_means.size()), out_w = static_cast<int64_t>(col_means.size());
  Tensor out = Tensor::zeros({1, out_h, out_w});
  for (int64_t y = 0; y < out_h; ++y)
    for (int64_t x = 0; x < out_w; ++x)
      out[y * out_w + x] = static_cast<float>(row_means[static_cast<size_t>(y)] * col_means[static_cast<size_t>(x)]);
  return out;
}

int64_t preview_factor(const PlaneRegion& region, int64_t max_height, int64_t max_width) {
  int64_t factor = 1;
  while (blocks(region.height(), factor) > std::max<int64_t>(1, max_height) ||
         blocks(region.width(), factor) > std::max<int64_t>(1, max_width))
    factor *= 2;
  return factor;
}

}  // namespace convt
