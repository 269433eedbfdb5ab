// What a screen can show of a large plane: a box-mean downsampled copy of a region, so a view uploads a texture no
// bigger than its box however large the tensor is (an 8193x8193 output is 268 MB of floats, a view a few hundred
// kilobytes). The app refines the zoomed region with a finer level; hovered values still come from the tensor.
#pragma once

#include <convt/image.h>
#include <convt/tensor.h>

#include <cstdint>
#include <vector>

namespace convt {

// Rows [y0, y1) and columns [x0, x1) of a plane.
struct PlaneRegion {
  int64_t y0 = 0, x0 = 0, y1 = 0, x1 = 0;
  int64_t height() const { return y1 - y0; }
  int64_t width() const { return x1 - x0; }
  bool operator==(const PlaneRegion&) const = default;
};

// `channels` planes of height x width floats, `plane_stride` elements apart, starting at `data`, downsampled over
// `region` by `factor`: [channels, ceil(region h / factor), ceil(region w / factor)], each value the mean of its
// factor x factor block (the blocks at the region's far edges may be smaller). NaN and Inf propagate, so a block
// that holds one stays visibly non-finite. Throws InvalidArgument for a region outside the plane or factor < 1.
Tensor downsample_planes(const float* data, int64_t height, int64_t width, int64_t plane_stride, int channels,
                         const PlaneRegion& region, int64_t factor);

// The same for a separable plane value(y, x) = rows[y] * cols[x] (the coverage map), without building the plane:
// [1, ceil(h / factor), ceil(w / factor)].
Tensor downsample_separable(const std::vector<int64_t>& rows, const std::vector<int64_t>& cols,
                            const PlaneRegion& region, int64_t factor);

// The smallest power-of-two factor that brings `region` within max_height x max_width (at least 1).
int64_t preview_factor(const PlaneRegion& region, int64_t max_height, int64_t max_width);

}  // namespace convt
