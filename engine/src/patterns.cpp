#include <convt/error.h>
#include <convt/patterns.h>

#include "name_list.h"

#include <cmath>
#include <numbers>

namespace convt {

std::span<const char* const> pattern_names() {
  static constexpr const char* names[] = {"impulse", "checkerboard", "zoneplate", "gradient"};
  return names;
}

Pattern parse_pattern(const std::string& name) {
  const int index = find_name(pattern_names(), name);
  if (index < 0) throw_invalid("unknown pattern '" + name + "': expected " + list_names(pattern_names()));
  return static_cast<Pattern>(index);
}

const char* to_string(Pattern pattern) { return pattern_names()[static_cast<size_t>(pattern)]; }

Tensor make_pattern(Pattern pattern, int64_t channels, int64_t height, int64_t width) {
  if (channels < 1 || height < 1 || width < 1)
    throw_invalid("pattern size " + std::to_string(channels) + "x" + std::to_string(height) + "x" +
                  std::to_string(width) + " is invalid: every dimension must be >= 1");
  Tensor t({1, channels, height, width});
  const double cy = (height - 1) / 2.0, cx = (width - 1) / 2.0;
  // Zone plate: the local frequency grows linearly with the radius and reaches half the Nyquist frequency at
  // the shorter edge, so the rings stay readable at small sizes.
  const double radius = std::max(1.0, std::min(height, width) / 2.0);
  const double chirp = std::numbers::pi / (4.0 * radius);
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t y = 0; y < height; ++y)
      for (int64_t x = 0; x < width; ++x) {
        double v = 0;
        switch (pattern) {
          case Pattern::Impulse: v = (y == height / 2 && x == width / 2) ? 1.0 : 0.0; break;
          case Pattern::Checkerboard: v = ((y / 4 + x / 4) % 2 == 0) ? 1.0 : 0.0; break;
          case Pattern::ZonePlate: {
            const double r2 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
            v = 0.5 + 0.5 * std::cos(chirp * r2);
            break;
          }
          case Pattern::Gradient: {
            const double u = width > 1 ? static_cast<double>(x) / (width - 1) : 0.0;
            const double w = height > 1 ? static_cast<double>(y) / (height - 1) : 0.0;
            v = c % 3 == 0 ? u : c % 3 == 1 ? w : 1.0 - 0.5 * (u + w);
            break;
          }
        }
        t.at(0, c, y, x) = static_cast<float>(v);
      }
  return t;
}

}  // namespace convt
