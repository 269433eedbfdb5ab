// Stack: the chain of layers as a strip, input -> layer 1 -> ... -> layer N. Each stage shows a thumbnail of its
// output (after its activation), its shape, its parameters and its own overlap verdict; hovering shows its
// output-size formulas, clicking selects it for the other panels. The whole chain's verdict closes the strip.
#include "exports.h"
#include "panels.h"
#include "plane_textures.h"
#include "widgets.h"

#include <algorithm>
#include <string>

namespace convt::lab::ui {
namespace {

std::string channels_and_size(const Shape& shape) {
  return std::to_string(shape[1]) + " x " + std::to_string(shape[2]) + " x " + std::to_string(shape[3]);
}

std::string pair_text(const char* name, const IntPair& pair, int64_t skip_value) {
  if (pair.h == skip_value && pair.w == skip_value) return "";
  return std::string(" ") + name + (pair.h == pair.w ? std::to_string(pair.h) : to_string(pair));
}

std::string layer_text(const PreparedLayer& layer) {
  const ConvTranspose2dGeometry& g = layer.geometry;
  const ConvTranspose2dParams& p = layer.params;
  std::string text = "k" + (g.kernel_h == g.kernel_w ? std::to_string(g.kernel_h)
                                                     : std::to_string(g.kernel_h) + "x" + std::to_string(g.kernel_w));
  text += pair_text("s", p.stride, -1) + pair_text("p", p.padding, 0) + pair_text("op", p.output_padding, 0) +
          pair_text("d", p.dilation, 1);
  if (p.groups > 1) text += " g" + std::to_string(p.groups);
  if (layer.activation != Activation::None) text += std::string(" ") + to_string(layer.activation);
  return text;
}

// One stage: thumbnail, then its lines of text. Returns true when clicked.
bool stage(PanelContext& context, const ComputeResult& r, int64_t index, float side) {
  const bool is_input = index < 0;
  const std::shared_ptr<const Tensor>& stage_tensor = is_input ? r.stack.input : r.stages[static_cast<size_t>(index)].output;
  const Tensor& tensor = *stage_tensor;
  const bool rgb = context.ui.feature_maps.rgb_composite && tensor.size(1) == 3;
  const bool selected = index == r.stack.selected;
  ImGui::PushID(static_cast<int>(index + 1));
  ImGui::BeginGroup();
  const PlaneSpec spec{stage_tensor, std::clamp<int64_t>(r.batch_index, 0, tensor.size(0) - 1), 0, rgb,
                       context.model.state().view.colormap};
  const bool clicked = plane_thumbnail(context, ("stack." + std::to_string(index)).c_str(), spec, side, selected);
  const bool hovered = ImGui::IsItemHovered();
  if (is_input) {
    ImGui::TextUnformatted("input");
  } else {
    const PreparedLayer& layer = r.stack.layers[static_cast<size_t>(index)];
    ImGui::Text("layer %lld%s", static_cast<long long>(index + 1), selected ? "  (shown)" : "");
    ImGui::TextDisabled("%s", layer_text(layer).c_str());
  }
  ImGui::TextUnformatted(channels_and_size(tensor.shape()).c_str());
  if (!is_input) {
    const OverlapVerdict verdict = r.stages[static_cast<size_t>(index)].coverage->verdict;
    ImGui::PushStyleColor(ImGuiCol_Text, verdict_colour(verdict));
    ImGui::TextUnformatted(to_string(verdict));
    ImGui::PopStyleColor();
  }
  ImGui::EndGroup();
  if (hovered) {
    if (is_input) {
      ImGui::SetTooltip("the stack's input %s", shape_to_string(tensor.shape()).c_str());
    } else {
      const ConvTranspose2dGeometry& g = r.stack.layers[static_cast<size_t>(index)].geometry;
      const Tensor& layer_input = index == 0 ? *r.stack.input : *r.stages[static_cast<size_t>(index - 1)].output;
      ImGui::SetTooltip("layer %lld: %s -> %s\nheight %s\nwidth  %s\n%s\nclick to show this layer in every panel",
                        static_cast<long long>(index + 1), shape_to_string(layer_input.shape()).c_str(),
                        shape_to_string(g.output_shape()).c_str(), g.axis_h.formula().c_str(), g.axis_w.formula().c_str(),
                        r.stages[static_cast<size_t>(index)].coverage->explanation.c_str());
    }
  }
  ImGui::PopID();
  return clicked && !is_input;
}

}  // namespace

void draw_stack_panel(PanelContext& context) {
  const ComputeResult* result = context.model.result();
  if (!result || result->stages.size() < 2) {
    // The state has a stack (this panel is only shown then) but no stack result yet.
    if (context.model.error()) ImGui::TextDisabled("no valid stack yet: %s", context.model.error()->message.c_str());
    else ImGui::TextDisabled("computing the stack...");
    return;
  }
  const ComputeResult& r = *result;
  const float line = ImGui::GetTextLineHeightWithSpacing();
  const float side = std::clamp(ImGui::GetContentRegionAvail().y - 4.6f * line, 24.0f, ImGui::GetFontSize() * 7);
  for (int64_t index = -1; index < static_cast<int64_t>(r.stages.size()); ++index) {
    if (index >= 0) {
      ImGui::SameLine();
      ImGui::BeginGroup();
      ImGui::Dummy(ImVec2(1, side * 0.4f));
      ImGui::TextDisabled("->");
      ImGui::EndGroup();
      ImGui::SameLine();
    }
    if (stage(context, r, index, side)) context.model.state().selected_layer = index;
  }
  ImGui::SameLine(0, ImGui::GetFontSize() * 1.5f);
  ImGui::BeginGroup();
  ImGui::TextUnformatted("The whole stack");
  const auto coverage = context.model.analyses().stack_coverage(r);
  if (coverage.value) {
    const StackCoverageSummary& summary = coverage.value->summary;
    badge(to_string(summary.verdict), verdict_colour(summary.verdict));
    if (summary.verdict == OverlapVerdict::Uneven) ImGui::Text("routes per output, max/min %.3g", summary.ratio);
  } else {
    ImGui::TextDisabled(coverage.error.empty() ? "counting routes..." : coverage.error.c_str());
  }
  if (ImGui::SmallButton("details")) context.model.state().view.whole_stack = true;
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Show the whole stack's coverage in the Checkerboard panel");
  ImGui::SameLine();
  if (ImGui::SmallButton("Export stages")) export_stages(context, r);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Every stage's output (after its activation) as .npy and a PNG channel grid, in a new folder");
  ImGui::EndGroup();
}

}  // namespace convt::lab::ui
