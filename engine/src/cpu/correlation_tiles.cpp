#include "correlation_tiles.h"

#include <algorithm>
#include <limits>

namespace convt::cpu {
namespace {

// Splits each tap's sources into runs: stretches of zeros, and stretches of evenly spaced sources (a stride-s
// correlation reads every s-th element: one run per image row, not one per pixel).
void build_runs(int64_t taps, int64_t nr, TileIndex& index) {
  index.runs.clear();
  index.tap_runs.assign(static_cast<size_t>(taps + 1), 0);
  for (int64_t t = 0; t < taps; ++t) {
    const int64_t* source = index.tap_source.data() + t * nr;
    for (int64_t j = 0; j < nr;) {
      int64_t end = j + 1, step = 1;
      if (source[j] < 0) {
        while (end < nr && source[end] < 0) ++end;
      } else {
        if (end < nr && source[end] > source[j]) step = source[end] - source[j];
        while (end < nr && source[end] >= 0 && source[end] == source[end - 1] + step) ++end;
      }
      index.runs.push_back({static_cast<int32_t>(j), static_cast<int32_t>(end - j), source[j], step});
      j = end;
    }
    index.tap_runs[static_cast<size_t>(t + 1)] = static_cast<int64_t>(index.runs.size());
  }
}

}  // namespace

ReadExtent read_extent(const std::vector<CorrelationPlan>& plans, const ConvShape& s) {
  ReadExtent e{0, s.in_h - 1, 0, s.in_w - 1};
  for (const CorrelationPlan& plan : plans) {
    if (plan.y.count == 0 || plan.x.count == 0) continue;
    for (int64_t offset : plan.y.tap_offset) {
      e.y_lo = std::min(e.y_lo, plan.y.q_begin * plan.y.in_stride + offset);
      e.y_hi = std::max(e.y_hi, (plan.y.q_begin + plan.y.count - 1) * plan.y.in_stride + offset);
    }
    for (int64_t offset : plan.x.tap_offset) {
      e.x_lo = std::min(e.x_lo, plan.x.q_begin * plan.x.in_stride + offset);
      e.x_hi = std::max(e.x_hi, (plan.x.q_begin + plan.x.count - 1) * plan.x.in_stride + offset);
    }
  }
  return e;
}

bool gather_fits_int32(const ConvShape& s) {
  return s.batch * s.in_channels * s.in_h * s.in_w <= std::numeric_limits<int32_t>::max();
}

void prepare_tile(const CorrelationPlan& plan, const ConvShape& s, int64_t tile, int64_t nr, TileSources sources,
                  const PaddedPlanes* padded, TileIndex& index) {
  const int64_t plane_pixels = plan.y.count * plan.x.count;
  const int64_t first = tile * nr;
  index.valid = std::min(nr, s.batch * plane_pixels - first);
  const int64_t ty_count = static_cast<int64_t>(plan.y.tap_offset.size());
  const int64_t tx_count = static_cast<int64_t>(plan.x.tap_offset.size());
  const int64_t taps = ty_count * tx_count;
  const int64_t plane = s.in_h * s.in_w;
  const size_t tap_sources = static_cast<size_t>(std::max<int64_t>(1, taps) * nr);
  index.out_offset.resize(static_cast<size_t>(nr));
  if (sources == TileSources::PaddedBase)
    index.pixel_base.resize(static_cast<size_t>(nr));
  else if (sources == TileSources::Gather)
    index.gather_source.resize(tap_sources);
  else
    index.tap_source.resize(tap_sources);
  // What the pixels' offsets are made of, worked out once into locals: the index's stores might alias the plan's,
  // the shape's and the padded planes' fields as far as the compiler knows, so it reloaded them, and divided in
  // pixel_offset, for every pixel (a quarter of prepare_tile's samples on that one division, in big_small's
  // forward).
  const AxisPlan &y = plan.y, &x = plan.x;
  const int64_t y_count = y.count, x_count = x.count, y_begin = y.q_begin, x_begin = x.q_begin, valid = index.valid;
  const int64_t y_stride = y.in_stride, x_stride = x.in_stride, in_h = s.in_h, in_w = s.in_w;
  const int64_t in_image = s.in_channels * plane;
  const int64_t *y_taps = y.tap_offset.data(), *x_taps = x.tap_offset.data();
  const int64_t out_image = s.out_channels * s.out_h * s.out_w, out_w = s.out_w, out_x_step = x.out_stride;
  const int64_t out_row_base = y.out_base * out_w + x.out_base, out_row_step = y.out_stride * out_w;
  // A pixel's padded base is linear in its image, input row and column (PaddedPlanes::pixel_offset).
  int64_t base_origin = 0, base_per_image = 0, base_per_row = 0, base_per_column = 0;
  if (sources == TileSources::PaddedBase) {
    base_origin = padded->pixel_offset(0, 0, x_stride);
    base_per_image = s.in_channels * padded->plane_size();
    base_per_row = (padded->pixel_offset(1, 0, x_stride) - base_origin) * y_stride;
    base_per_column = padded->pixel_offset(0, 1, x_stride) - base_origin;
  }
  // The first pixel by division, each next one by a step along its row: three divisions per pixel took 3% of
  // big_small's forward, whose tiles are 6 pixels.
  int64_t n = first / plane_pixels, row = first % plane_pixels / x_count, column = first % x_count;
  for (int64_t j = 0; j < nr; ++j) {
    // The tail is padded with the last pixel, whose results are never stored.
    if (j > 0 && j < valid && ++column == x_count) {
      column = 0;
      if (++row == y_count) row = 0, ++n;
    }
    const int64_t qy = y_begin + row, qx = x_begin + column;
    index.out_offset[static_cast<size_t>(j)] = n * out_image + qy * out_row_step + qx * out_x_step + out_row_base;
    if (sources == TileSources::PaddedBase) {
      index.pixel_base[static_cast<size_t>(j)] =
          n * base_per_image + base_origin + qy * base_per_row + qx * base_per_column;
      continue;
    }
    const int64_t image_base = n * in_image;
    for (int64_t ty = 0; ty < ty_count; ++ty) {
      const int64_t iy = qy * y_stride + y_taps[ty];
      for (int64_t tx = 0; tx < tx_count; ++tx) {
        const int64_t ix = qx * x_stride + x_taps[tx];
        const bool inside = iy >= 0 && iy < in_h && ix >= 0 && ix < in_w;
        const int64_t source = inside ? image_base + iy * in_w + ix : -1;
        const size_t at = static_cast<size_t>((ty * tx_count + tx) * nr + j);
        if (sources == TileSources::Gather)
          index.gather_source[at] = static_cast<int32_t>(source);
        else
          index.tap_source[at] = source;
      }
    }
  }
  if (sources == TileSources::Runs) build_runs(taps, nr, index);
}

}  // namespace convt::cpu
