#include "screenshot.h"

#include "gl.h"

#include <convt/image.h>

#include <vector>

namespace convt::lab::gfx {

RgbImage capture_screen(int width, int height) {
  std::vector<uint8_t> pixels(static_cast<size_t>(width) * height * 3);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadBuffer(GL_BACK);
  glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, pixels.data());
  RgbImage image(width, height);
  // GL's rows start at the bottom; PNG's at the top.
  for (int y = 0; y < height; ++y)
    std::copy(pixels.begin() + static_cast<ptrdiff_t>(y) * width * 3,
              pixels.begin() + static_cast<ptrdiff_t>(y + 1) * width * 3,
              image.pixels.begin() + static_cast<ptrdiff_t>(height - 1 - y) * width * 3);
  return image;
}

void write_screenshot(const std::string& path, int width, int height) { write_png(path, capture_screen(width, height)); }

}  // namespace convt::lab::gfx
