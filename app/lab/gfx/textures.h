// GL textures for tensor planes: float data uploaded once (R32F, or RGB32F for colour composites) and an RGBA8
// render target the colormap pass draws into, which ImGui then shows. GL calls on the main thread only.
#pragma once

#include "gl.h"

#include <cstdint>

namespace convt::lab::gfx {

class FloatTexture {
 public:
  FloatTexture() = default;
  ~FloatTexture();
  FloatTexture(const FloatTexture&) = delete;
  FloatTexture& operator=(const FloatTexture&) = delete;

  // Uploads a [height, width] plane, or `channels` = 3 planes of one tensor (CHW, plane_stride apart) as an
  // interleaved RGB texture. Nearest filtering: a tensor pixel is a square, never a blur.
  void upload(const float* data, int64_t height, int64_t width, int channels, int64_t plane_stride);
  GLuint id() const { return texture_; }
  int64_t height() const { return height_; }
  int64_t width() const { return width_; }
  int channels() const { return channels_; }

 private:
  GLuint texture_ = 0;
  int64_t height_ = 0, width_ = 0;
  int channels_ = 1;
};

class RenderTarget {
 public:
  RenderTarget() = default;
  ~RenderTarget();
  RenderTarget(const RenderTarget&) = delete;
  RenderTarget& operator=(const RenderTarget&) = delete;

  // (Re)allocates an RGBA8 texture of this size with a framebuffer around it.
  void resize(int64_t height, int64_t width);
  GLuint texture() const { return texture_; }
  GLuint framebuffer() const { return framebuffer_; }
  int64_t height() const { return height_; }
  int64_t width() const { return width_; }

 private:
  GLuint texture_ = 0, framebuffer_ = 0;
  int64_t height_ = 0, width_ = 0;
};

}  // namespace convt::lab::gfx
