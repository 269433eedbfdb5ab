// Built-in test inputs that make transposed-convolution behaviour visible: an impulse shows the kernel stamp,
// a checkerboard and a zone plate show aliasing and overlap, a gradient shows smooth-input artifacts.
#pragma once

#include <convt/tensor.h>

#include <span>
#include <string>

namespace convt {

enum class Pattern { Impulse, Checkerboard, ZonePlate, Gradient };

// "impulse", "checkerboard", "zoneplate", "gradient": the names in enum order (the CLI, --set, workspaces, the app).
std::span<const char* const> pattern_names();
Pattern parse_pattern(const std::string& name);
const char* to_string(Pattern pattern);

// A [1, channels, height, width] tensor with values in [0, 1] (every channel the same, except the gradient,
// which runs in a different direction per channel so colour composites show it).
Tensor make_pattern(Pattern pattern, int64_t channels, int64_t height, int64_t width);

}  // namespace convt
