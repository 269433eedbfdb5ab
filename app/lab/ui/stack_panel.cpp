// Stack: the chain of layers as a strip, input -> layer 1 -> ... -> layer N. Each stage shows a thumbnail of its
// output (after its activation), its shape, its parameters and its own overlap verdict; hovering shows its
// output-size formulas, clicking selects it for the other panels. The whole chain's verdict closes the strip.
#include "exports.h"
#include "panels.h"
#include "plane_textures.h"
#include "widgets.h"

#include <convt/onnx_audit.h>

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
  // ONNX's pads with two different ends read "p1/2" (top/left, bottom/right).
  const std::string padding = p.asymmetric() ? " p" + to_string(p.padding) + "/" + to_string(*p.padding_end)
                                             : pair_text("p", p.padding, 0);
  text += pair_text("s", p.stride, -1) + padding + pair_text("op", p.output_padding, 0) + pair_text("d", p.dilation, 1);
  if (p.groups > 1) text += " g" + std::to_string(p.groups);
  if (layer.activation != Activation::None) text += std::string(" ") + to_string(layer.activation);
  return text;
}

// The shorthand of layer_text in words: "kernel 4, stride 2, padding 1, dilation 1, output_padding 0, then relu".
std::string layer_words(const PreparedLayer& layer) {
  const ConvTranspose2dGeometry& g = layer.geometry;
  const ConvTranspose2dParams& p = layer.params;
  std::string text = "kernel " + (g.kernel_h == g.kernel_w ? std::to_string(g.kernel_h)
                                                           : std::to_string(g.kernel_h) + "x" + std::to_string(g.kernel_w));
  text += ", stride " + to_string(p.stride);
  text += p.asymmetric() ? ", padding " + to_string(p.padding) + " top/left and " + to_string(*p.padding_end) + " bottom/right"
                         : ", padding " + to_string(p.padding);
  text += ", output_padding " + to_string(p.output_padding) + ", dilation " + to_string(p.dilation);
  if (p.groups > 1) text += ", groups " + std::to_string(p.groups);
  text += layer.activation != Activation::None ? std::string(", then ") + to_string(layer.activation) : ", no activation";
  return text;
}

// The strip's shorthand, spelled out in one line under it.
void shorthand_legend() {
  ImGui::TextDisabled("k kernel, s stride, p padding, op output_padding, d dilation, g groups;  256 x 8 x 8: channels x "
                      "height x width");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("A parameter at its default (padding and output_padding 0, dilation and groups 1) is left out. "
                      "Hover a layer's line for it in words.");
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
  const ModelLayer* node = is_input ? nullptr : context.model.model_layer(index);
  if (is_input) {
    ImGui::TextUnformatted("input");
  } else if (node) {
    // A model's node by its name, clipped to the thumbnail's width (the tooltip has it whole).
    ImGui::TextColored(selected ? ImVec4(1.0f, 0.84f, 0.0f, 1.0f) : ImGui::GetStyleColorVec4(ImGuiCol_Text), "%s", node->node.c_str());
    ImGui::TextDisabled("%s", layer_text(r.stack.layers[static_cast<size_t>(index)]).c_str());
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", layer_words(r.stack.layers[static_cast<size_t>(index)]).c_str());
  } else {
    const PreparedLayer& layer = r.stack.layers[static_cast<size_t>(index)];
    ImGui::Text("layer %lld%s", static_cast<long long>(index + 1), selected ? "  (shown)" : "");
    ImGui::TextDisabled("%s", layer_text(layer).c_str());
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", layer_words(layer).c_str());
  }
  ImGui::TextUnformatted(channels_and_size(tensor.shape()).c_str());
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("channels x height x width of this stage's output");
  if (!is_input) {
    const OverlapVerdict verdict = r.stages[static_cast<size_t>(index)].coverage->verdict;
    ImGui::PushStyleColor(ImGuiCol_Text, verdict_colour(verdict));
    ImGui::TextUnformatted(to_string(verdict));
    ImGui::PopStyleColor();
  }
  ImGui::EndGroup();
  if (hovered) {
    if (is_input) {
      ImGui::SetTooltip(context.model.shows_model_node() ? "the first ConvTranspose node's input activation %s"
                                                         : "the stack's input %s",
                        shape_to_string(tensor.shape()).c_str());
    } else {
      const ConvTranspose2dGeometry& g = r.stack.layers[static_cast<size_t>(index)].geometry;
      const Tensor& input = *layer_input(r.stack, r.stages, static_cast<size_t>(index));
      const std::string name = node ? node->node : "layer " + std::to_string(index + 1);
      ImGui::SetTooltip("%s: %s -> %s\n%s\nheight %s\nwidth  %s\n%s\nclick to show it in every panel", name.c_str(),
                        shape_to_string(input.shape()).c_str(), shape_to_string(g.output_shape()).c_str(),
                        layer_words(r.stack.layers[static_cast<size_t>(index)]).c_str(), g.axis_h.formula().c_str(),
                        g.axis_w.formula().c_str(), r.stages[static_cast<size_t>(index)].coverage->explanation.c_str());
    }
  }
  ImGui::PopID();
  return clicked && !is_input;
}

// An uneven chain's spread, in words; "routes" explained on hover.
void routes_ratio(double ratio) {
  ImGui::Text("the most-reached output gets %.3gx", ratio);
  ImGui::Text("the routes of the least-reached");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("A route is one path from an input pixel to a final output pixel, through one kernel tap of "
                      "every layer. Interior outputs only (the border is covered less for another reason).");
}

// Between two of a model's ConvTranspose nodes, the nodes that run in between in the graph's order (BatchNorm,
// ReLU, ...): the next node's input is their output, not the previous node's.
std::string nodes_between(PanelContext& context, int64_t index) {
  const ModelLayer* before = context.model.model_layer(index - 1);
  const ModelLayer* after = context.model.model_layer(index);
  const ModelSnapshot* snapshot = context.model.model_snapshot();
  if (!before || !after || !snapshot || !snapshot->model) return "";
  std::string ops;
  for (size_t i = before->node_index + 1; i < after->node_index && i < snapshot->model->nodes.size(); ++i)
    ops += (ops.empty() ? "" : ", ") + snapshot->model->nodes[i].op_type;
  return ops.empty() ? "nothing: it takes the previous node's output" : ops;
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
  // Room under the thumbnails for a stage's four lines of text and the shorthand's legend.
  const float side = std::clamp(ImGui::GetContentRegionAvail().y - 5.6f * line, 24.0f, ImGui::GetFontSize() * 7);
  for (int64_t index = -1; index < static_cast<int64_t>(r.stages.size()); ++index) {
    if (index >= 0) {
      ImGui::SameLine();
      ImGui::BeginGroup();
      ImGui::Dummy(ImVec2(1, side * 0.4f));
      const bool model = context.model.shows_model_node() && index > 0;
      ImGui::TextDisabled(model ? "..->" : "->");
      ImGui::EndGroup();
      if (model && ImGui::IsItemHovered())
        ImGui::SetTooltip("In the model, between these two ConvTranspose nodes: %s", nodes_between(context, index).c_str());
      ImGui::SameLine();
    }
    if (stage(context, r, index, side)) context.model.state().selected_layer = index;
  }
  ImGui::SameLine(0, ImGui::GetFontSize() * 1.5f);
  ImGui::BeginGroup();
  const ModelSnapshot* snapshot = context.model.shows_model_node() ? context.model.model_snapshot() : nullptr;
  if (snapshot && snapshot->audit && snapshot->audit->chain.computed) {
    // A model's chain as the engine's audit composes it (the nodes that feed one another, whatever lies between).
    const onnx::ChainCoverage& chain = snapshot->audit->chain;
    ImGui::TextUnformatted("The model's chain");
    badge(to_string(chain.summary.verdict), verdict_colour(chain.summary.verdict));
    if (chain.summary.verdict == OverlapVerdict::Uneven) routes_ratio(chain.summary.ratio);
    if (ImGui::IsItemHovered() && !chain.note.empty()) ImGui::SetTooltip("%s", chain.note.c_str());
    ImGui::TextDisabled("%zu nodes, from the audit", chain.nodes.size());
    ImGui::EndGroup();
    shorthand_legend();
    return;
  }
  ImGui::TextUnformatted("The whole stack");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("How evenly the whole chain covers the final output: the routes from the input to each final "
                      "output pixel, one kernel tap per layer on the way");
  const auto coverage = context.model.analyses().stack_coverage(r);
  if (coverage.value) {
    const StackCoverageSummary& summary = coverage.value->summary;
    badge(to_string(summary.verdict), verdict_colour(summary.verdict));
    if (summary.verdict == OverlapVerdict::Uneven) routes_ratio(summary.ratio);
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
  shorthand_legend();
}

}  // namespace convt::lab::ui
