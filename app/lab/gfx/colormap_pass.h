// Draws float textures into RGBA targets through shaders/colormap.frag, and caches the result per view slot so
// a plane is uploaded once per result and re-coloured only when the colormap or the range changes.
#pragma once

#include "gl.h"
#include "textures.h"

#include <convt/image.h>

#include <map>
#include <memory>
#include <string>

namespace convt::lab::gfx {

struct ColourSettings {
  Colormap colormap = Colormap::Viridis;
  float low[3] = {0, 0, 0};
  float high[3] = {1, 1, 1};
  bool operator==(const ColourSettings& other) const;
};

class ColormapPass {
 public:
  ColormapPass();  // compiles the embedded shaders; throws std::runtime_error with the GL log on failure
  ~ColormapPass();
  ColormapPass(const ColormapPass&) = delete;
  ColormapPass& operator=(const ColormapPass&) = delete;

  void render(const FloatTexture& source, RenderTarget& target, const ColourSettings& colours);

 private:
  GLuint program_ = 0, vertex_array_ = 0;
  GLint values_location_ = -1, mode_location_ = -1, colormap_location_ = -1, low_location_ = -1, high_location_ = -1;
};

// Identifies the data behind a slot: the result generation plus which tensor and plane, so an upload happens
// exactly when what the slot shows changes.
struct PlaneSource {
  const float* data = nullptr;  // first plane
  int64_t height = 0, width = 0;
  int channels = 1;             // 1, or 3 for an RGB composite
  int64_t plane_stride = 0;     // elements between the composite's planes
  uint64_t version = 0;         // changes whenever the data behind `data` may have changed
  bool operator==(const PlaneSource&) const = default;
};

class PlaneCache {
 public:
  explicit PlaneCache(ColormapPass& pass) : pass_(pass) {}
  // The RGBA texture for `slot`, uploading and re-colouring only when needed.
  GLuint texture(const std::string& slot, const PlaneSource& source, const ColourSettings& colours);
  // The texture `slot` showed last (0 when none): what a view keeps showing while its next picture is made.
  GLuint last_texture(const std::string& slot) const;

 private:
  struct Entry {
    PlaneSource source;
    ColourSettings colours;
    FloatTexture values;
    RenderTarget target;
    bool rendered = false;
  };
  ColormapPass& pass_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
};

}  // namespace convt::lab::gfx
