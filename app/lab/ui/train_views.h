// What the Train lab's panels share: each contender's colour and name, the artifact score's words and colour, and
// a tensor view magnified by a whole number (so every pixel is the same square and a one-pixel checkerboard stays
// a checkerboard on screen).
#pragma once

#include "panels.h"
#include "plane_textures.h"

#include "../model/train_session.h"

#include <imgui.h>

#include <memory>
#include <string>

namespace convt::lab::ui {

// Distinct for colour-blind readers too (Okabe and Ito's palette).
ImU32 contender_colour(size_t index);
// "deconv, kernel 3, kaiming init"
std::string contender_name(const ContenderSettings& settings);
// A square in the contender's colour, then its number, on the current line.
void contender_swatch(size_t index);

// Green "none", orange "faint", red "strong" (analysis.h's levels).
ImU32 score_colour(const std::string& level);
// "artifact score 0.270 (strong)", the score in its colour.
void score_text(const char* what, const ArtifactScore& score);

// A tensor of the snapshot, kept alive by the view or snapshot that holds it.
template <typename Owner>
std::shared_ptr<const Tensor> tensor_of(const std::shared_ptr<const Owner>& owner, const Tensor& tensor) {
  return std::shared_ptr<const Tensor>(owner, &tensor);
}

// Plane `channel` of `spec`'s tensor within `max`, at a whole-number magnification while `state.zoom` is 0 (the
// wheel and drag still zoom and pan; a double click goes back). A hovered pixel's value shows in a tooltip.
PlaneImage train_image(PanelContext& context, const char* id, const PlaneSpec& spec, ImVec2 max, ViewState& state);

}  // namespace convt::lab::ui
