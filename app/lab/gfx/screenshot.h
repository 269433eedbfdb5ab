// Reads the window's back buffer after rendering and writes it as a PNG (atomically), for `--screenshot`,
// the GUI smoke test and F12.
#pragma once

#include <convt/image.h>

#include <string>

namespace convt::lab::gfx {

// The current default framebuffer of size width x height (in pixels), top row first. GL thread only.
RgbImage capture_screen(int width, int height);

// Captures it and writes it as a PNG. Throws convt::Error on failure.
void write_screenshot(const std::string& path, int width, int height);

}  // namespace convt::lab::gfx
