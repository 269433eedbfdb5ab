// Output size: the formula per axis with the live numbers (updating while a value is dragged or typed), each of
// its terms labelled with what it does and this layer's numbers, the input and output shapes, why output_padding
// exists, and the size solver whose answers apply with a click.
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

std::string number(int64_t value) { return std::to_string(value); }

// "46" when both axes agree, else "46 (height), 44 (width)": one label line serves both axes.
std::string per_axis(int64_t height, int64_t width) {
  if (height == width) return number(height);
  return number(height) + " (height), " + number(width) + " (width)";
}

// The padding's crop in words, e.g. "crop 1 top/left, 1 bottom/right" or "no crop".
std::string crop_words(const TransposedAxisSize& h, const TransposedAxisSize& w) {
  const int64_t h_end = h.padding_end.value_or(h.padding), w_end = w.padding_end.value_or(w.padding);
  if (h.padding == 0 && h_end == 0 && w.padding == 0 && w_end == 0) return "no crop";
  if (h.padding == w.padding && h_end == w_end)
    return "crop " + number(h.padding) + " top/left, " + number(h_end) + " bottom/right";
  return "crop " + number(h.padding) + " top, " + number(h_end) + " bottom, " + number(w.padding) + " left, " +
         number(w_end) + " right";
}

// Each term of the formula, what it does, and its value for this layer (both axes when they differ).
void labelled_terms(const TransposedAxisSize& h, const TransposedAxisSize& w) {
  const bool asymmetric = h.padding_end || w.padding_end;
  ImGui::TextDisabled("(i-1)*s");
  ImGui::SameLine();
  ImGui::TextWrapped("= %s: the last input pixel's stamp starts there (i input size, s stride)",
                     per_axis((h.input - 1) * h.stride, (w.input - 1) * w.stride).c_str());
  ImGui::TextDisabled("d*(k-1)+1");
  ImGui::SameLine();
  ImGui::TextWrapped("= %s: the kernel's reach, the pixels one stamp spans (k kernel size, d dilation)",
                     per_axis(h.dilation * (h.kernel - 1) + 1, w.dilation * (w.kernel - 1) + 1).c_str());
  ImGui::TextDisabled(asymmetric ? "-p_begin-p_end" : "-2p");
  ImGui::SameLine();
  if (asymmetric)
    ImGui::TextWrapped("= %s: cropped by padding: %s",
                       per_axis(h.padding + h.padding_end.value_or(h.padding), w.padding + w.padding_end.value_or(w.padding)).c_str(),
                       crop_words(h, w).c_str());
  else
    ImGui::TextWrapped("= %s: cropped by padding, p from each end: %s", per_axis(2 * h.padding, 2 * w.padding).c_str(),
                       crop_words(h, w).c_str());
  ImGui::TextDisabled("+op");
  ImGui::SameLine();
  ImGui::TextWrapped("= %s: extra rows/columns from output_padding, at the bottom/right only (PyTorch allows op below "
                     "max(stride, dilation))",
                     per_axis(h.output_padding, w.output_padding).c_str());
}

// The solver's answers for one axis as buttons that wrap within the panel; a click applies one.
void solver_choices(PanelContext& context, int axis, const std::vector<PaddingChoice>& choices) {
  ConvTranspose2dParams& p = context.model.state().layer().params;
  for (size_t index = 0; index < choices.size(); ++index) {
    const PaddingChoice& c = choices[index];
    const std::string label = "padding " + number(c.padding) + ", output_padding " + number(c.output_padding);
    const float width = ImGui::CalcTextSize(label.c_str()).x + ImGui::GetStyle().FramePadding.x * 2;
    if (index > 0) ImGui::SameLine();
    if (index > 0 && ImGui::GetContentRegionAvail().x < width) ImGui::NewLine();
    ImGui::PushID(static_cast<int>(index));
    if (ImGui::SmallButton(label.c_str())) {
      (axis == 0 ? p.padding.h : p.padding.w) = c.padding;
      (axis == 0 ? p.output_padding.h : p.output_padding.w) = c.output_padding;
      context.ui.layer.link_padding = p.padding.h == p.padding.w;
      context.ui.layer.link_output_padding = p.output_padding.h == p.output_padding.w;
    }
    ImGui::PopID();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("apply padding %lld, output_padding %lld on the %s axis",
                                                  static_cast<long long>(c.padding),
                                                  static_cast<long long>(c.output_padding), kAxisNames[axis]);
  }
}

void solver(PanelContext& context) {
  LabModel& model = context.model;
  const ConvTranspose2dParams& p = model.state().layer().params;
  const Shape& input = model.input_shape();
  const Shape& weight = model.weight_shape();
  if (input.size() != 4 || weight.size() != 4) return;
  ImGui::Spacing();
  ImGui::TextUnformatted("Size solver: type the size you want");
  help_marker("Lists every (padding, output_padding) pair that gives that output size with this kernel, stride and "
              "dilation; click one to apply it to the layer.");
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
    solver_choices(context, axis, choices);
    ImGui::PopID();
  }
}

}  // namespace

void draw_output_size_panel(PanelContext& context) {
  LabModel& model = context.model;
  const ConvTranspose2dParams& p = model.state().layer().params;
  ImGui::TextDisabled("o = %s", p.padding_end ? TransposedAxisSize::symbolic_asymmetric() : TransposedAxisSize::symbolic());
  help_marker("o output size, i input size, s stride, p padding, d dilation, k kernel size, op output_padding; one "
              "formula per axis (height and width). The terms are labelled below the numbers.");
  const Shape& input = model.input_shape();
  if (input.empty()) {
    // The input comes from a file that is loading, or that could not be read: no numbers to fill in yet.
    ImGui::TextDisabled(model.error() ? "this layer's input size is not known: see the error under Layer"
                                      : "reading the input's size...");
    return;
  }
  for (int axis = 0; axis < 2; ++axis) formula_line(model.live_axis(axis), kAxisNames[axis]);
  labelled_terms(model.live_axis(0), model.live_axis(1));

  if (const auto& g = model.geometry()) {
    ImGui::Text("input  %s", shape_to_string(input).c_str());
    ImGui::SameLine();
    ImGui::TextDisabled("N batch, C_in channels, H, W");
    ImGui::Text("weight %s", shape_to_string(model.weight_shape()).c_str());
    ImGui::SameLine();
    ImGui::TextDisabled("C_in, C_out/groups, kH, kW");
    ImGui::Text("output %s", shape_to_string(g->output_shape()).c_str());
    ImGui::SameLine();
    ImGui::TextDisabled("N, C_out, height, width");
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
      std::string sizes, picks;
      for (const ForwardInput& f : forward) {
        sizes += (sizes.empty() ? "" : ", ") + number(f.input);
        picks += (picks.empty() ? "" : ", ") + number(f.output_padding) + " gives " + number(f.input);
      }
      if (static_cast<int64_t>(forward.size()) == kMaxListedAnswers && p.stride[axis] > kMaxListedAnswers) {
        sizes += " and more";
        picks += ", and so on up to output_padding " + number(p.stride[axis] - 1);
      }
      ImGui::TextWrapped("%s: a stride-%lld conv2d maps sizes %s all to %lld, so the transposed conv cannot know which "
                         "to give back; output_padding picks: %s.",
                         kAxisNames[axis], static_cast<long long>(p.stride[axis]), sizes.c_str(), static_cast<long long>(i),
                         picks.c_str());
    }
  }
  solver(context);
}

}  // namespace convt::lab::ui
