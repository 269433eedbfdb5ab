// Reads the window's back buffer after rendering and writes it as a PNG (atomically), for `--screenshot`,
// the GUI smoke test and F12.
#pragma once

#include <string>

namespace convt::lab::gfx {

// Captures the current default framebuffer of size width x height (in pixels). Throws convt::Error on failure.
void write_screenshot(const std::string& path, int width, int height);

}  // namespace convt::lab::gfx
