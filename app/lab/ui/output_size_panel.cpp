// Output size: the formula per axis with the live numbers (updating while a value is dragged or typed), the
// input and output shapes, why output_padding exists, and the size solver whose answers apply with a click.
#include "panels.h"
#include "widgets.h"

#include <convt/analysis.h>

#include <string>

namespace convt::lab::ui {
namespace {

const char* kAxisNames[] = {"height", "width"};

void formula_line(const TransposedAxisSize& axis, const char* name) {
  ImGui::Text("%-6s", name);
  ImGui::SameLine();
  const std::string formula = axis.formula();
  const size_t equals = formula.rfind('=');
  ImGui::TextUnformatted(formula.substr(0, equals + 1).c_str());
  ImGui::SameLine(0, 4);
  const ImU32 colour = axis.output >= 1 ? IM_COL32(120, 220, 140, 255) : IM_COL32(255, 110, 110, 255);
  ImGui::PushStyleColor(ImGuiCol_Text, colour);
  ImGui::Text("%lld", static_cast<long long>(axis.output));
  ImGui::PopStyleColor();
}

void solver(PanelContext& context) {
  LabModel& model = context.model;
  ConvTranspose2dParams& p = model.state().layer().params;
  const Shape& input = model.input_shape();
  const Shape& weight = model.weight_shape();
  if (input.size() != 4 || weight.size() != 4) return;
  ImGui::Spacing();
  ImGui::TextUnformatted("Size solver: (padding, output_padding) for a wanted size");
  for (int axis = 0; axis < 2; ++axis) {
    int64_t& want = axis == 0 ? context.ui.want_h : context.ui.want_w;
    const TransposedAxisSize live = model.live_axis(axis);
    if (want <= 0) want = live.output > 0 ? live.output : 1;
    ImGui::PushID(axis);
    int_input(kAxisNames[axis], want, 1, 1 << 20);
    const int64_t i = input[2 + static_cast<size_t>(axis)], k = weight[2 + static_cast<size_t>(axis)];
    const std::vector<PaddingChoice> choices = solve_padding(i, k, p.stride[axis], p.dilation[axis], want);
    if (choices.empty()) {
      ImGui::SameLine();
      ImGui::TextDisabled("none: change kernel, stride or dilation");
    }
    for (const PaddingChoice& c : choices) {
      ImGui::SameLine();
      const std::string label = "p " + std::to_string(c.padding) + ", op " + std::to_string(c.output_padding);
      if (ImGui::SmallButton(label.c_str())) {
        (axis == 0 ? p.padding.h : p.padding.w) = c.padding;
        (axis == 0 ? p.output_padding.h : p.output_padding.w) = c.output_padding;
        context.ui.layer.link_padding = p.padding.h == p.padding.w;
        context.ui.layer.link_output_padding = p.output_padding.h == p.output_padding.w;
      }
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("apply padding %lld, output_padding %lld on the %s axis",
                                                    static_cast<long long>(c.padding),
                                                    static_cast<long long>(c.output_padding), kAxisNames[axis]);
    }
    ImGui::PopID();
  }
}

}  // namespace

void draw_output_size_panel(PanelContext& context) {
  LabModel& model = context.model;
  const ConvTranspose2dParams& p = model.state().layer().params;
  ImGui::TextDisabled("o = %s", p.padding_end ? TransposedAxisSize::symbolic_asymmetric() : TransposedAxisSize::symbolic());
  const Shape& input = model.input_shape();
  if (input.empty()) {
    // The input comes from a file that is loading, or that could not be read: no numbers to fill in yet.
    ImGui::TextDisabled(model.error() ? "this layer's input size is not known: see the error under Layer"
                                      : "reading the input's size...");
    return;
  }
  for (int axis = 0; axis < 2; ++axis) formula_line(model.live_axis(axis), kAxisNames[axis]);

  if (const auto& g = model.geometry()) {
    ImGui::Text("input  %s", shape_to_string(input).c_str());
    ImGui::Text("weight %s", shape_to_string(model.weight_shape()).c_str());
    ImGui::Text("output %s", shape_to_string(g->output_shape()).c_str());
  } else {
    ImGui::TextDisabled("input %s -> (invalid layer)", shape_to_string(input).c_str());
  }

  if (p.padding_end) {
    // A model's node with ONNX's pads: the ambiguity and the solver below speak of PyTorch's one padding per axis.
    if (p.asymmetric())
      ImGui::TextWrapped("This node crops %s at the top/left and %s at the bottom/right (ONNX's pads). The size "
                         "solver and output_padding's ambiguity assume PyTorch's one padding for both ends, so they "
                         "are not shown for it.",
                         to_string(p.padding).c_str(), to_string(*p.padding_end).c_str());
    else
      ImGui::TextWrapped("This node's output_padding %s is not below its stride or dilation, which ONNX allows and "
                         "PyTorch does not. The size solver and output_padding's ambiguity follow PyTorch's rules, so "
                         "they are not shown for it.",
                         to_string(p.output_padding).c_str());
    return;
  }
  // The ambiguity output_padding resolves, per axis.
  if (input.size() == 4 && model.weight_shape().size() == 4) {
    for (int axis = 0; axis < 2; ++axis) {
      const int64_t i = input[2 + static_cast<size_t>(axis)], k = model.weight_shape()[2 + static_cast<size_t>(axis)];
      const std::vector<ForwardInput> forward = conv2d_inputs_mapping_to(i, k, p.stride[axis], p.padding[axis], p.dilation[axis]);
      if (forward.size() < 2) continue;
      std::string sizes;
      for (const ForwardInput& f : forward)
        sizes += (sizes.empty() ? "" : ", ") + std::to_string(f.input) + " (op " + std::to_string(f.output_padding) + ")";
      if (static_cast<int64_t>(forward.size()) == kMaxListedAnswers && p.stride[axis] > kMaxListedAnswers)
        sizes += " and more, up to op " + std::to_string(p.stride[axis] - 1);
      ImGui::TextWrapped("%s: a stride-%lld conv2d maps sizes %s all to %lld; output_padding picks which one comes back.",
                         kAxisNames[axis], static_cast<long long>(p.stride[axis]), sizes.c_str(), static_cast<long long>(i));
    }
  }
  solver(context);
}

}  // namespace convt::lab::ui
