// Built-in test inputs that make transposed-convolution behaviour visible: an impulse shows the kernel stamp,
// a checkerboard and a zone plate show aliasing and overlap, a gradient shows smooth-input artifacts, and a scene
// stands in for a photo (the project ships none) in super-resolution experiments.
#pragma once

#include <convt/tensor.h>

#include <span>
#include <string>

namespace convt {

enum class Pattern { Impulse, Checkerboard, ZonePlate, Gradient, Scene };

// "impulse", "checkerboard", "zoneplate", "gradient", "scene": the names in enum order (the CLI, --set,
// workspaces, the app).
std::span<const char* const> pattern_names();
Pattern parse_pattern(const std::string& name);
const char* to_string(Pattern pattern);

// A [1, channels, height, width] tensor with values in [0, 1] (every channel the same, except the gradient,
// which runs in a different direction per channel so colour composites show it, and the scene, whose channels
// are R, G, B in turn, or its grey (0.299 R + 0.587 G + 0.114 B) for one channel).
//
// The scene is a deterministic, photo-like landscape: sky with soft clouds and a sun, hills, grass, a lake, a
// tree, a house and a shaded ball, i.e. smooth shading, soft and hard edges of different colours, fine texture
// and 1/f-like noise (octaves of value noise from the seeded generator of Tensor::uniform). Its lattices are
// rotated and have non-integer cell sizes, so nothing in it repeats with a period of a few pixels (which would
// fool the phase artifact score). Its layout scales with the size; it is designed at 256 x 256.
Tensor make_pattern(Pattern pattern, int64_t channels, int64_t height, int64_t width);

}  // namespace convt
