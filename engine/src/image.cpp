#include <convt/error.h>
#include <convt/image.h>
#include <convt/io.h>

#include "jpeg_decode.h"
#include "name_list.h"

#include <stb_image.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace convt {
namespace {

struct Anchor {
  float t;
  uint8_t r, g, b;
};

// Sampled from matplotlib's viridis (perceptually uniform) and Moreland's cool-warm diverging map; the GLSL
// colormaps in shaders/ use the same anchors.
constexpr Anchor kViridis[] = {{0.000f, 68, 1, 84},    {0.125f, 71, 44, 122},  {0.250f, 59, 81, 139},
                               {0.375f, 44, 113, 142}, {0.500f, 33, 144, 141}, {0.625f, 39, 173, 129},
                               {0.750f, 92, 200, 99},  {0.875f, 170, 220, 50}, {1.000f, 253, 231, 37}};
constexpr Anchor kDiverging[] = {{0.00f, 59, 76, 192},  {0.25f, 141, 176, 254}, {0.50f, 221, 221, 221},
                                 {0.75f, 244, 154, 123}, {1.00f, 180, 4, 38}};

template <size_t N>
void interpolate_anchors(const Anchor (&anchors)[N], float t, uint8_t rgb[3]) {
  size_t i = 1;
  while (i < N - 1 && t > anchors[i].t) ++i;
  const Anchor& a = anchors[i - 1];
  const Anchor& b = anchors[i];
  const float u = std::clamp((t - a.t) / (b.t - a.t), 0.0f, 1.0f);
  rgb[0] = static_cast<uint8_t>(std::lround(a.r + u * (b.r - a.r)));
  rgb[1] = static_cast<uint8_t>(std::lround(a.g + u * (b.g - a.g)));
  rgb[2] = static_cast<uint8_t>(std::lround(a.b + u * (b.b - a.b)));
}

void append_to_string(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
}

}  // namespace

std::span<const char* const> colormap_names() {
  static constexpr const char* names[] = {"grey", "viridis", "diverging"};
  return names;
}

Colormap parse_colormap(const std::string& name) {
  if (name == "gray") return Colormap::Grey;
  const int index = find_name(colormap_names(), name);
  if (index < 0) throw_invalid("unknown colormap '" + name + "': expected " + list_names(colormap_names()));
  return static_cast<Colormap>(index);
}

const char* to_string(Colormap colormap) { return colormap_names()[static_cast<size_t>(colormap)]; }

void RgbImage::set(int64_t x, int64_t y, const uint8_t rgb[3]) {
  if (x < 0 || y < 0 || x >= width || y >= height) return;
  std::copy(rgb, rgb + 3, pixels.begin() + (y * width + x) * 3);
}

ValueRange finite_range(const float* values, int64_t count) {
  float low = INFINITY, high = -INFINITY;
  for (int64_t i = 0; i < count; ++i)
    if (std::isfinite(values[i])) {
      low = std::min(low, values[i]);
      high = std::max(high, values[i]);
    }
  if (low > high) return {0.0f, 1.0f};
  return {low, high};
}

ValueRange display_range(const float* values, int64_t count, Colormap colormap) {
  const ValueRange range = finite_range(values, count);
  if (colormap != Colormap::Diverging) return range;
  const float extent = std::max(std::fabs(range.low), std::fabs(range.high));
  return {-extent, extent};
}

void colormap_rgb(Colormap colormap, float t, uint8_t rgb[3]) {
  if (std::isnan(t)) {
    rgb[0] = 255, rgb[1] = 0, rgb[2] = 255;
    return;
  }
  t = std::clamp(t, 0.0f, 1.0f);
  switch (colormap) {
    case Colormap::Grey: rgb[0] = rgb[1] = rgb[2] = static_cast<uint8_t>(std::lround(t * 255.0f)); return;
    case Colormap::Viridis: interpolate_anchors(kViridis, t, rgb); return;
    case Colormap::Diverging: interpolate_anchors(kDiverging, t, rgb); return;
  }
}

RgbImage colorize(const float* plane, int64_t height, int64_t width, Colormap colormap, ValueRange range,
                  int64_t scale) {
  RgbImage image(width * scale, height * scale);
  const float span = range.high > range.low ? range.high - range.low : 1.0f;
  // A flat plane sits in the middle of the map rather than at one end.
  const float flat_offset = range.high > range.low ? 0.0f : 0.5f;
  uint8_t rgb[3];
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x) {
      const float value = plane[y * width + x];
      colormap_rgb(colormap, std::isnan(value) ? NAN : (value - range.low) / span + flat_offset, rgb);
      for (int64_t dy = 0; dy < scale; ++dy)
        for (int64_t dx = 0; dx < scale; ++dx) image.set(x * scale + dx, y * scale + dy, rgb);
    }
  return image;
}

RgbImage image_from_tensor(const Tensor& tensor) {
  if (tensor.dim() != 4 || tensor.size(0) != 1 || (tensor.size(1) != 1 && tensor.size(1) != 3))
    throw_invalid("image_from_tensor: expected a [1, 1 or 3, H, W] tensor, got " + shape_to_string(tensor.shape()));
  const int64_t channels = tensor.size(1), h = tensor.size(2), w = tensor.size(3);
  RgbImage image(w, h);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int64_t c = 0; c < 3; ++c) {
        const float v = tensor.at(0, channels == 3 ? c : 0, y, x);
        image.pixels[static_cast<size_t>((y * w + x) * 3 + c)] =
            static_cast<uint8_t>(std::lround(std::clamp(std::isnan(v) ? 0.0f : v, 0.0f, 1.0f) * 255.0f));
      }
  return image;
}

void blit(RgbImage& canvas, const RgbImage& tile, int64_t x, int64_t y) {
  for (int64_t ty = 0; ty < tile.height; ++ty)
    for (int64_t tx = 0; tx < tile.width; ++tx) canvas.set(x + tx, y + ty, &tile.pixels[(ty * tile.width + tx) * 3]);
}

void draw_rectangle(RgbImage& image, int64_t x0, int64_t y0, int64_t x1, int64_t y1, const uint8_t rgb[3]) {
  for (int64_t x = x0; x <= x1; ++x) {
    image.set(x, y0, rgb);
    image.set(x, y1, rgb);
  }
  for (int64_t y = y0; y <= y1; ++y) {
    image.set(x0, y, rgb);
    image.set(x1, y, rgb);
  }
}

namespace {

// 3x5 glyphs, one row of three bits per entry, top row first.
struct Glyph {
  char c;
  uint8_t rows[5];
};
constexpr Glyph kGlyphs[] = {
    {'0', {7, 5, 5, 5, 7}}, {'1', {2, 6, 2, 2, 7}}, {'2', {7, 1, 7, 4, 7}}, {'3', {7, 1, 7, 1, 7}},
    {'4', {5, 5, 7, 1, 1}}, {'5', {7, 4, 7, 1, 7}}, {'6', {7, 4, 7, 5, 7}}, {'7', {7, 1, 1, 1, 1}},
    {'8', {7, 5, 7, 5, 7}}, {'9', {7, 5, 7, 1, 7}}, {'-', {0, 0, 7, 0, 0}}, {'+', {0, 2, 7, 2, 0}},
    {'.', {0, 0, 0, 0, 2}}, {'e', {0, 7, 7, 4, 7}}, {' ', {0, 0, 0, 0, 0}},
};

}  // namespace

void draw_text(RgbImage& image, int64_t x, int64_t y, const std::string& text, const uint8_t rgb[3], int64_t size) {
  for (char c : text) {
    for (const Glyph& glyph : kGlyphs) {
      if (glyph.c != c) continue;
      for (int64_t row = 0; row < 5; ++row)
        for (int64_t column = 0; column < 3; ++column)
          if (glyph.rows[row] & (4 >> column))
            for (int64_t dy = 0; dy < size; ++dy)
              for (int64_t dx = 0; dx < size; ++dx) image.set(x + column * size + dx, y + row * size + dy, rgb);
    }
    x += 4 * size;
  }
}

RgbImage channel_grid(const Tensor& tensor, int64_t batch, Colormap colormap, bool global, int64_t scale) {
  if (tensor.dim() != 3 && tensor.dim() != 4)
    throw_invalid("channel_grid: expected a 3-D or 4-D tensor, got " + shape_to_string(tensor.shape()));
  const int64_t channels = tensor.size(-3), h = tensor.size(-2), w = tensor.size(-1);
  const int64_t samples = tensor.dim() == 4 ? tensor.size(0) : 1;
  if (batch < 0 || batch >= samples) throw_invalid("channel_grid: sample " + std::to_string(batch) + " is out of range");
  if (scale <= 0) scale = std::max<int64_t>(1, 96 / std::max(h, w));
  const float* base = tensor.data() + batch * channels * h * w;
  const ValueRange all = display_range(base, channels * h * w, colormap);
  const int64_t columns = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(channels))));
  const int64_t rows = (channels + columns - 1) / columns, gap = 4, bar_height = 12, label_height = 14;
  const int64_t width = std::max<int64_t>(columns * (w * scale + gap) + gap, 160);
  RgbImage grid(width, rows * (h * scale + gap) + gap + bar_height + label_height + 2 * gap, 24);
  for (int64_t c = 0; c < channels; ++c) {
    const float* plane = base + c * h * w;
    const ValueRange range = global ? all : display_range(plane, h * w, colormap);
    blit(grid, colorize(plane, h, w, colormap, range, scale), gap + (c % columns) * (w * scale + gap),
         gap + (c / columns) * (h * scale + gap));
  }
  const int64_t bar_top = rows * (h * scale + gap) + gap, bar_width = width - 2 * gap;
  for (int64_t x = 0; x < bar_width; ++x) {
    uint8_t rgb[3];
    colormap_rgb(colormap, (static_cast<float>(x) + 0.5f) / static_cast<float>(bar_width), rgb);
    for (int64_t y = 0; y < bar_height; ++y) grid.set(gap + x, bar_top + y, rgb);
  }
  char low[32], high[32];
  std::snprintf(low, sizeof low, "%.4g", all.low);
  std::snprintf(high, sizeof high, "%.4g", all.high);
  const uint8_t white[3] = {230, 230, 230};
  draw_text(grid, gap, bar_top + bar_height + 3, low, white);
  draw_text(grid, width - gap - static_cast<int64_t>(std::strlen(high)) * 8, bar_top + bar_height + 3, high, white);
  return grid;
}

std::string encode_png(const RgbImage& image) {
  if (image.width < 1 || image.height < 1 || image.width > (1 << 20) || image.height > (1 << 20))
    throw_invalid("cannot encode a " + std::to_string(image.width) + "x" + std::to_string(image.height) + " PNG");
  std::string bytes;
  if (!stbi_write_png_to_func(append_to_string, &bytes, static_cast<int>(image.width), static_cast<int>(image.height),
                              3, image.pixels.data(), static_cast<int>(image.width * 3)))
    throw_io("PNG encoding failed");
  return bytes;
}

void write_png(const std::string& path, const RgbImage& image) { write_file_atomically(path, encode_png(image)); }

void export_npy_and_png(const std::string& stem, const Tensor& tensor, int64_t batch, Colormap colormap, bool global) {
  const RgbImage grid = channel_grid(tensor, batch, colormap, global);  // first: a bad sample writes nothing
  write_npy(stem + ".npy", tensor);
  write_png(stem + ".png", grid);
}

Tensor read_image(const std::string& path) { return decode_image(read_file(path), path); }

Tensor decode_image(std::string_view bytes, const std::string& path) {
  if (looks_like_jpeg(bytes)) return decode_jpeg(bytes, path);
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    throw_io("cannot load image '" + path + "': the file is larger than 2 GiB");
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int length = static_cast<int>(bytes.size());
  int width = 0, height = 0, channels = 0;
  if (!stbi_info_from_memory(data, length, &width, &height, &channels))
    throw_io("cannot load image '" + path + "': " + stbi_failure_reason() + " (expected PNG, JPEG, BMP or TGA)");
  check_memory_budget({1, channels, height, width}, "image '" + path + "'");
  stbi_uc* pixels = stbi_load_from_memory(data, length, &width, &height, &channels, 0);
  if (!pixels) throw_io("cannot load image '" + path + "': " + stbi_failure_reason());
  Tensor t({1, channels, height, width});
  for (int c = 0; c < channels; ++c)
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x)
        t.at(0, c, y, x) = pixels[(static_cast<size_t>(y) * width + x) * channels + c] / 255.0f;
  stbi_image_free(pixels);
  return t;
}

}  // namespace convt
