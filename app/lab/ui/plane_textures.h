// Turns tensor planes into ImGui textures through the GPU colormap (gfx::PlaneCache), choosing the value range
// (per channel, global, or symmetric for the diverging map) with the engine's range helpers.
#pragma once

#include "panels.h"

#include <convt/image.h>
#include <convt/tensor.h>

#include <string>

namespace convt::lab::ui {

struct PlaneImage {
  ImTextureID texture = nullptr;
  int64_t height = 0, width = 0;
  ValueRange range;
};

// Plane (n, c) of a 4-D tensor (or the [H, W] / [1, 1, H, W] tensor itself when `channel` < 0). `version`
// must change whenever the tensor's contents may have. `global` takes the range over the whole tensor;
// `composite` shows channels c..c+2 as RGB (each with its own range).
PlaneImage plane_image(PanelContext& context, const std::string& slot, const Tensor& tensor, int64_t batch,
                       int64_t channel, uint64_t version, Colormap colormap, bool global = false,
                       bool composite = false);

// A plane from a raw float array (e.g. the coverage counts).
PlaneImage raw_plane_image(PanelContext& context, const std::string& slot, const float* data, int64_t height,
                           int64_t width, uint64_t version, Colormap colormap, ValueRange range);

}  // namespace convt::lab::ui
