#include "textures.h"

#include <vector>

namespace convt::lab::gfx {
namespace {

void set_nearest_clamped() {
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
}

}  // namespace

FloatTexture::~FloatTexture() {
  if (texture_) glDeleteTextures(1, &texture_);
}

void FloatTexture::upload(const float* data, int64_t height, int64_t width, int channels, int64_t plane_stride) {
  if (!texture_) glGenTextures(1, &texture_);
  glBindTexture(GL_TEXTURE_2D, texture_);
  set_nearest_clamped();
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  if (channels == 3) {
    std::vector<float> interleaved(static_cast<size_t>(height * width * 3));
    for (int64_t i = 0; i < height * width; ++i)
      for (int64_t c = 0; c < 3; ++c) interleaved[static_cast<size_t>(i * 3 + c)] = data[c * plane_stride + i];
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGB32F, static_cast<GLsizei>(width), static_cast<GLsizei>(height), 0, GL_RGB,
                 GL_FLOAT, interleaved.data());
  } else {
    glTexImage2D(GL_TEXTURE_2D, 0, GL_R32F, static_cast<GLsizei>(width), static_cast<GLsizei>(height), 0, GL_RED,
                 GL_FLOAT, data);
  }
  height_ = height;
  width_ = width;
  channels_ = channels;
}

RenderTarget::~RenderTarget() {
  if (framebuffer_) glDeleteFramebuffers(1, &framebuffer_);
  if (texture_) glDeleteTextures(1, &texture_);
}

void RenderTarget::resize(int64_t height, int64_t width) {
  if (texture_ && height == height_ && width == width_) return;
  if (!texture_) glGenTextures(1, &texture_);
  if (!framebuffer_) glGenFramebuffers(1, &framebuffer_);
  glBindTexture(GL_TEXTURE_2D, texture_);
  set_nearest_clamped();
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, static_cast<GLsizei>(width), static_cast<GLsizei>(height), 0, GL_RGBA,
               GL_UNSIGNED_BYTE, nullptr);
  glBindFramebuffer(GL_FRAMEBUFFER, framebuffer_);
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, texture_, 0);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  height_ = height;
  width_ = width;
}

}  // namespace convt::lab::gfx
