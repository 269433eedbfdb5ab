// Images for the headless front end: colour-mapping a float plane to RGB and writing PNG (stb_image_write),
// atomically. The desktop app colour-maps on the GPU with the same colormaps (shaders/), so a PNG from the CLI
// and the app's view of the same data agree.
#pragma once

#include <convt/tensor.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace convt {

enum class Colormap { Grey, Viridis, Diverging };

// "grey", "viridis", "diverging": the names, in enum order, that the CLI, --set, workspaces and the app's combo box use.
std::span<const char* const> colormap_names();
// Parses a name of colormap_names(), or "gray".
Colormap parse_colormap(const std::string& name);
const char* to_string(Colormap colormap);

struct RgbImage {
  int64_t width = 0, height = 0;
  std::vector<uint8_t> pixels;  // row-major RGB, 3 bytes per pixel

  RgbImage() = default;
  RgbImage(int64_t w, int64_t h, uint8_t fill = 0) : width(w), height(h), pixels(static_cast<size_t>(w * h * 3), fill) {}
  void set(int64_t x, int64_t y, const uint8_t rgb[3]);
};

struct ValueRange {
  float low = 0, high = 1;
};

// min and max of the finite values (NaN and Inf are skipped; {0, 1} when none is finite).
ValueRange finite_range(const float* values, int64_t count);
// The range a colormap should use: symmetric about 0 for Diverging, min..max otherwise.
ValueRange display_range(const float* values, int64_t count, Colormap colormap);

// The colour of t in [0, 1] (clamped); NaN maps to magenta so it is never mistaken for data.
void colormap_rgb(Colormap colormap, float t, uint8_t rgb[3]);

// A [h, w] plane, each value mapped through `range` and the colormap, every pixel drawn as a scale x scale block.
RgbImage colorize(const float* plane, int64_t height, int64_t width, Colormap colormap, ValueRange range,
                  int64_t scale = 1);

// A [1, 1 or 3, H, W] tensor with values in [0, 1] as an image (grey or RGB, clamped): the inverse of read_image.
RgbImage image_from_tensor(const Tensor& tensor);

// Copies `tile` into `canvas` with its top-left corner at (x, y), clipped to the canvas.
void blit(RgbImage& canvas, const RgbImage& tile, int64_t x, int64_t y);
// A one-pixel rectangle outline (clipped).
void draw_rectangle(RgbImage& image, int64_t x0, int64_t y0, int64_t x1, int64_t y1, const uint8_t rgb[3]);

// Loads a PNG, JPEG, BMP or TGA file (stb_image) as a [1, C, H, W] tensor with values in [0, 1], C being the
// file's channels (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA). ErrorKind::Io names the file and stb's reason; the
// pixel count is checked against the memory budget before decoding.
Tensor read_image(const std::string& path);
// The same from encoded bytes in memory; `name` is used in error messages.
Tensor decode_image(std::string_view bytes, const std::string& name);

// Every channel of sample `batch` of a 4-D tensor (or of a 3-D one) as a grid of tiles, each pixel drawn as a
// scale x scale block, on a dark background, with a colour bar labelled with the range's low and high values
// underneath: the picture a user attaches to a bug report or a slide. `global` uses one range for all channels
// (otherwise each tile has its own, and the bar shows the global one). scale 0 picks one that makes each tile
// about 96 pixels across.
RgbImage channel_grid(const Tensor& tensor, int64_t batch, Colormap colormap, bool global, int64_t scale = 0);

// Draws `text` (digits, '-', '+', '.', 'e', ' ') in a 3x5 pixel font, each font pixel `size` pixels wide.
void draw_text(RgbImage& image, int64_t x, int64_t y, const std::string& text, const uint8_t rgb[3], int64_t size = 2);

// PNG bytes of an image, and an atomic PNG write (ErrorKind::Io on failure).
std::string encode_png(const RgbImage& image);
void write_png(const std::string& path, const RgbImage& image);

// STEM.npy (the whole tensor) and STEM.png (the channel grid of sample `batch`, with its colour bar), each written
// atomically: how the app and the CLI export an output, a stack's stages or the scatter-then-convolve steps.
void export_npy_and_png(const std::string& stem, const Tensor& tensor, int64_t batch, Colormap colormap, bool global);

}  // namespace convt
