#include <convt/error.h>
#include <convt/patterns.h>

#include "name_list.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <vector>

namespace convt {

namespace {

using Rgb = std::array<double, 3>;

Rgb mix(const Rgb& a, const Rgb& b, double t) {
  return {a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t};
}

Rgb scaled(const Rgb& a, double s) { return {a[0] * s, a[1] * s, a[2] * s}; }

double smoothstep(double edge0, double edge1, double x) {
  const double t = std::clamp((x - edge0) / (edge1 - edge0), 0.0, 1.0);
  return t * t * (3.0 - 2.0 * t);
}

// Value noise: seeded random values on a square lattice, interpolated with a C2 fade. The lattice is rotated
// and offset, and its cell (in pixels) is not an integer, so its knots never line up with the pixel grid: an
// axis-aligned lattice with a cell of 2 or 4 pixels would give the image a phase structure of its own.
class ValueNoise {
 public:
  ValueNoise(double cell, double angle, uint64_t seed, double extent) : cell_(cell), c_(std::cos(angle)), s_(std::sin(angle)) {
    // Enough knots to cover the rotated image without wrapping (plus margin for the offset).
    size_ = static_cast<int64_t>(std::ceil(extent / cell)) + 4;
    knots_ = Tensor::uniform({size_ * size_}, seed);
    const Tensor offset = Tensor::uniform({2}, seed ^ 0x5EEDull);
    ox_ = 1.0 + offset[0];
    oy_ = 1.0 + offset[1];
  }

  // In [0, 1]; x, y in pixels, within the extent given to the constructor from the image centre.
  double at(double x, double y) const {
    const double u = (c_ * x - s_ * y) / cell_ + size_ / 2.0 + ox_ - 1.0;
    const double v = (s_ * x + c_ * y) / cell_ + size_ / 2.0 + oy_ - 1.0;
    const double fu = std::floor(u), fv = std::floor(v);
    const int64_t iu = wrap(static_cast<int64_t>(fu)), iv = wrap(static_cast<int64_t>(fv));
    const int64_t ju = wrap(iu + 1), jv = wrap(iv + 1);
    const double tu = fade(u - fu), tv = fade(v - fv);
    const double top = knot(iu, iv) + (knot(ju, iv) - knot(iu, iv)) * tu;
    const double bottom = knot(iu, jv) + (knot(ju, jv) - knot(iu, jv)) * tu;
    return top + (bottom - top) * tv;
  }

 private:
  static double fade(double t) { return t * t * t * (t * (t * 6.0 - 15.0) + 10.0); }
  int64_t wrap(int64_t i) const { return ((i % size_) + size_) % size_; }
  double knot(int64_t i, int64_t j) const { return knots_[j * size_ + i]; }

  double cell_, c_, s_, ox_ = 0, oy_ = 0;
  int64_t size_ = 0;
  Tensor knots_;
};

// Fractal (1/f-like) noise: octaves whose cell halves as their amplitude halves, so the amplitude spectrum
// falls roughly as 1/f, as in natural images. Centred on 0, roughly in [-1, 1].
class FractalNoise {
 public:
  FractalNoise(double coarsest_cell, int octaves, uint64_t seed, double extent, double finest_cell = 1.7) {
    double cell = coarsest_cell, amplitude = 1.0;
    for (int o = 0; o < octaves && cell >= finest_cell; ++o) {
      // Irrational-ish ratios between octaves and a different angle each, so no two lattices share knots.
      octaves_.emplace_back(cell, 0.61 + 1.37 * o, seed * 1000003ull + static_cast<uint64_t>(o), extent);
      amplitudes_.push_back(amplitude);
      total_ += amplitude;
      cell /= 2.07;
      amplitude *= 0.5;
    }
  }

  double at(double x, double y) const {
    double sum = 0;
    for (size_t o = 0; o < octaves_.size(); ++o) sum += amplitudes_[o] * (octaves_[o].at(x, y) - 0.5);
    return total_ > 0 ? 2.0 * sum / total_ : 0.0;
  }

 private:
  std::vector<ValueNoise> octaves_;
  std::vector<double> amplitudes_;
  double total_ = 0;
};

// The photo-like scene (patterns.h), into t: R, G, B as channels 0, 1, 2 (repeating), or grey for one channel.
void draw_scene(Tensor& t) {
  const int64_t channels = t.size(1), height = t.size(2), width = t.size(3);
  // Lengths are in units of the shorter side, so the layout scales; noise cells are in pixels of a 256 image.
  const double unit = static_cast<double>(std::min(height, width));
  const double px = unit / 256.0;
  const double cx = width / 2.0, cy = height / 2.0;
  const double extent = std::hypot(static_cast<double>(height), static_cast<double>(width)) + 2.0;
  const FractalNoise clouds(70.3 * px, 5, 11, extent);
  const FractalNoise ridge(41.7 * px, 4, 12, extent);
  const FractalNoise grass(5.3 * px, 3, 13, extent);
  const FractalNoise meadow(57.1 * px, 5, 14, extent);
  const FractalNoise foliage(9.7 * px, 3, 15, extent);
  const FractalNoise ripples(13.1 * px, 3, 16, extent);
  const FractalNoise grain(37.9 * px, 7, 17, extent);  // the whole image's 1/f noise, down to the finest octave
  // A hard edge: the pixel's coverage of a shape whose signed distance (in pixels, negative inside) is d.
  const auto hard = [](double d) { return std::clamp(0.5 - d, 0.0, 1.0); };

  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x) {
      const double u = (x + 0.5) / unit, v = (y + 0.5) / unit;  // in units of the shorter side
      const double nx = x - cx, ny = y - cy;                    // noise coordinates, pixels from the centre
      const double aspect = static_cast<double>(width) / unit;  // u runs to this
      const double w = u / aspect;                              // 0..1 across

      // Sky: deep blue at the top fading to a pale haze at the horizon, with soft clouds.
      Rgb colour = mix({0.22, 0.42, 0.78}, {0.78, 0.84, 0.90}, smoothstep(0.0, 0.55, v));
      const double cloud = smoothstep(0.05, 0.45, clouds.at(nx * 0.6, ny * 1.8) + 0.15 - 0.4 * v);
      colour = mix(colour, scaled({0.97, 0.97, 0.98}, 1.0 - 0.15 * smoothstep(0.3, 0.9, cloud)), 0.85 * cloud);
      // The sun: a soft disc with a glow.
      const double sun_d = std::hypot(w - 0.80, v - 0.16);
      colour = mix(colour, {1.0, 0.93, 0.70}, 0.35 * std::exp(-(sun_d / 0.12) * (sun_d / 0.12)));
      colour = mix(colour, {1.0, 0.97, 0.86}, smoothstep(0.065, 0.045, sun_d));

      // Distant hills: a soft, hazy silhouette.
      const double hills = 0.47 + 0.04 * std::sin(5.1 * w + 0.7) + 0.05 * ridge.at(nx, 0.0);
      const double in_hills = smoothstep(-0.006, 0.006, v - hills);
      colour = mix(colour, mix({0.42, 0.52, 0.58}, {0.30, 0.42, 0.36}, smoothstep(hills, hills + 0.1, v)), in_hills);

      // The meadow: a wavy, sharper horizon; grass darkening towards the viewer, with fine blades of texture.
      const double horizon = 0.57 + 0.025 * std::sin(3.3 * w + 2.0) + 0.02 * ridge.at(0.0, nx * 0.7);
      const double in_meadow = smoothstep(-0.0025, 0.0025, v - horizon);
      Rgb ground = mix({0.46, 0.56, 0.24}, {0.20, 0.33, 0.10}, smoothstep(horizon, 1.0, v));
      ground = mix(ground, {0.55, 0.48, 0.26}, 0.5 * smoothstep(0.1, 0.6, meadow.at(nx, ny)));  // dry patches
      const double depth = smoothstep(horizon, 1.0, v);  // the texture grows towards the viewer
      ground = scaled(ground, 1.0 + (0.08 + 0.22 * depth) * grass.at(nx * 2.5, ny * 0.5));
      colour = mix(colour, ground, in_meadow);

      // A lake: a hard-edged ellipse reflecting the sky, with horizontal ripples.
      const double lake_r = std::hypot((w - 0.30) / 0.20, (v - 0.80) / 0.065);
      const double lake_edge = (lake_r - 1.0) * 0.065 * unit;  // ~ the distance in pixels near the top and bottom
      Rgb water = mix({0.52, 0.64, 0.80}, {0.22, 0.36, 0.55}, smoothstep(0.74, 0.86, v));
      water = scaled(water, 1.0 + 0.12 * ripples.at(nx * 0.25, ny * 3.0));
      colour = mix(colour, water, hard(lake_edge));

      // A tree: a trunk with hard edges, a crown with a soft, ragged edge and leafy texture lit from the top left.
      const double trunk_d = std::max(std::abs(w - 0.16) - 0.012, std::abs(v - 0.63) - 0.07) * unit;
      colour = mix(colour, {0.30, 0.20, 0.12}, hard(trunk_d));
      const double crown_dx = w - 0.16, crown_dy = v - 0.47;
      const double crown_r = std::hypot(crown_dx, crown_dy / 1.2) / (0.085 * (1.0 + 0.18 * foliage.at(nx * 0.5, ny * 0.5)));
      const double light = std::clamp(0.75 - 2.5 * (crown_dx + crown_dy), 0.35, 1.15);
      const Rgb leaves = scaled({0.16, 0.36, 0.12}, light * (1.0 + 0.35 * foliage.at(nx * 1.7, ny * 1.7)));
      colour = mix(colour, leaves, smoothstep(1.05, 0.9, crown_r));

      // A house: a red wall lit from the left, a dark roof, a window; all hard-edged.
      const double wall_d = std::max(std::abs(w - 0.64) - 0.09, std::abs(v - 0.66) - 0.075) * unit;
      const Rgb wall = scaled({0.78, 0.33, 0.24}, 1.05 - 0.35 * smoothstep(0.55, 0.73, w));
      colour = mix(colour, wall, hard(wall_d));
      const double roof_d = std::max({v - 0.585, 0.48 - v, std::abs(w - 0.64) - 0.11 * (v - 0.48) / 0.105}) * unit;
      colour = mix(colour, scaled({0.32, 0.19, 0.17}, 1.0 + 0.15 * grain.at(nx * 3.0, ny * 3.0)), hard(roof_d));
      const double window_d = std::max(std::abs(w - 0.605) - 0.022, std::abs(v - 0.645) - 0.022) * unit;
      colour = mix(colour, {0.14, 0.18, 0.26}, hard(window_d));
      const double door_d = std::max(std::abs(w - 0.685) - 0.018, std::abs(v - 0.695) - 0.04) * unit;
      colour = mix(colour, {0.36, 0.24, 0.14}, hard(door_d));

      // A ball on the grass: a sphere shaded by a light from the top left, with a highlight and a soft shadow.
      const double bx = (w - 0.86) / 0.055, by = (v - 0.84) / 0.055;
      const double shadow = std::hypot(bx - 0.5, (by - 0.9) * 2.5);
      colour = scaled(colour, 1.0 - 0.35 * smoothstep(1.3, 0.6, shadow));
      const double b2 = bx * bx + by * by;
      if (b2 < 1.6) {
        const double bz = std::sqrt(std::max(0.0, 1.0 - b2));
        const double lambert = std::max(0.0, (-0.5 * bx - 0.6 * by + 0.62 * bz) / 0.97);
        const double highlight = std::pow(std::max(0.0, (-0.5 * bx - 0.6 * by + 1.62 * bz) / 1.76), 24.0);
        Rgb ball = scaled({0.95, 0.62, 0.12}, 0.18 + 0.82 * lambert);
        ball = mix(ball, {1.0, 1.0, 1.0}, 0.7 * highlight);
        colour = mix(colour, ball, hard((std::sqrt(b2) - 1.0) * 0.055 * unit));
      }

      // Over everything: a little 1/f noise (exposure variation and grain) and a gentle vignette.
      const double vignette = 1.0 - 0.18 * std::pow(std::hypot(w - 0.5, v / (static_cast<double>(height) / unit) - 0.5), 2.0) * 2.0;
      colour = scaled(colour, vignette * (1.0 + 0.05 * grain.at(nx, ny)));

      for (double& c : colour) c = std::clamp(c, 0.0, 1.0);
      if (channels == 1) {
        t.at(0, 0, y, x) = static_cast<float>(0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]);
      } else {
        for (int64_t c = 0; c < channels; ++c) t.at(0, c, y, x) = static_cast<float>(colour[static_cast<size_t>(c % 3)]);
      }
    }
}

}  // namespace

std::span<const char* const> pattern_names() {
  static constexpr const char* names[] = {"impulse", "checkerboard", "zoneplate", "gradient", "scene"};
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
  if (pattern == Pattern::Scene) {
    draw_scene(t);
    return t;
  }
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
          case Pattern::Scene: break;  // drawn above
        }
        t.at(0, c, y, x) = static_cast<float>(v);
      }
  return t;
}

}  // namespace convt
