// Built-in test inputs that make transposed-convolution behaviour visible: an impulse shows the kernel stamp,
// a checkerboard and a zone plate show aliasing and overlap, a gradient shows smooth-input artifacts.
#pragma once

#include <convt/tensor.h>

#include <string>

namespace convt {

enum class Pattern { Impulse, Checkerboard, ZonePlate, Gradient };

// Parses "impulse", "checkerboard", "zoneplate", "gradient".
Pattern parse_pattern(const std::string& name);
const char* to_string(Pattern pattern);

// A [1, channels, height, width] tensor with values in [0, 1] (every channel the same, except the gradient,
// which runs in a different direction per channel so colour composites show it).
Tensor make_pattern(Pattern pattern, int64_t channels, int64_t height, int64_t width);

}  // namespace convt
