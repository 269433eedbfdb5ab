#include "plane_textures.h"

#include <cstdint>
#include <map>

namespace convt::lab::ui {
namespace {

// Ranges are scans over the data: computed once per (slot, data, mode), not every frame.
struct CachedRange {
  const float* data = nullptr;
  uint64_t version = 0;
  int mode = -1;
  ValueRange ranges[3];
};

std::map<std::string, CachedRange>& range_cache() {
  static std::map<std::string, CachedRange> cache;
  return cache;
}

}  // namespace

PlaneImage plane_image(PanelContext& context, const std::string& slot, const Tensor& tensor, int64_t batch,
                       int64_t channel, uint64_t version, Colormap colormap, bool global, bool composite) {
  PlaneImage image;
  const int64_t rank = tensor.dim();
  image.height = tensor.size(-2);
  image.width = tensor.size(-1);
  const int64_t plane = image.height * image.width;
  const int64_t channels = rank >= 3 ? tensor.size(-3) : 1;
  const int64_t offset = channel < 0 ? 0 : (batch * channels + channel) * plane;
  const float* data = tensor.data() + offset;

  gfx::ColourSettings colours;
  colours.colormap = colormap;
  gfx::PlaneSource source{data, image.height, image.width, composite ? 3 : 1, plane, version};
  const int mode = composite ? 3 : (global ? 1 : 0) + 4 * static_cast<int>(colormap);
  CachedRange& cached = range_cache()[slot];
  if (cached.data != data || cached.version != version || cached.mode != mode) {
    if (composite)
      for (int c = 0; c < 3; ++c) cached.ranges[c] = finite_range(data + c * plane, plane);
    else
      cached.ranges[0] = global ? display_range(tensor.data(), tensor.numel(), colormap) : display_range(data, plane, colormap);
    cached.data = data;
    cached.version = version;
    cached.mode = mode;
  }
  for (int c = 0; c < (composite ? 3 : 1); ++c) {
    colours.low[c] = cached.ranges[c].low;
    colours.high[c] = cached.ranges[c].high;
  }
  image.range = cached.ranges[0];
  const GLuint texture = context.planes.texture(slot, source, colours);
  image.texture = reinterpret_cast<ImTextureID>(static_cast<uintptr_t>(texture));
  return image;
}

PlaneImage raw_plane_image(PanelContext& context, const std::string& slot, const float* data, int64_t height,
                           int64_t width, uint64_t version, Colormap colormap, ValueRange range) {
  gfx::ColourSettings colours;
  colours.colormap = colormap;
  colours.low[0] = range.low;
  colours.high[0] = range.high;
  const GLuint texture = context.planes.texture(slot, {data, height, width, 1, height * width, version}, colours);
  return {reinterpret_cast<ImTextureID>(static_cast<uintptr_t>(texture)), height, width, range};
}

}  // namespace convt::lab::ui
