// Layer: presets, C_out, kernel, stride, padding, output_padding, dilation (per-axis pairs behind a link toggle),
// groups, bias, the weight's initialiser or .npy file, and the backend. The control the current error names
// turns red and the rule it broke is printed under the controls.
#include "panels.h"
#include "widgets.h"

#include "../model/presets.h"

#include <convt/backend.h>
#include <convt/error.h>
#include <convt/io.h>
#include <convt/pytorch_export.h>

#include <imgui_stdlib.h>

namespace convt::lab::ui {
namespace {

const char* kInitNames[] = {"bilinear", "nearest", "constant", "impulse", "normal", "uniform", "kaiming (PyTorch default)"};

void preset_picker(PanelContext& context) {
  const auto& list = presets();
  int chosen = -1;
  for (size_t i = 0; i < list.size(); ++i)
    if (list[i].name == context.ui.preset) chosen = static_cast<int>(i);
  const char* preview = chosen >= 0 ? list[static_cast<size_t>(chosen)].title.c_str() : "choose a preset...";
  ImGui::SetNextItemWidth(-1);
  if (ImGui::BeginCombo("##preset", preview)) {
    for (size_t i = 0; i < list.size(); ++i) {
      if (ImGui::Selectable(list[i].title.c_str(), chosen == static_cast<int>(i))) {
        chosen = static_cast<int>(i);
        context.ui.preset = list[i].name;
        apply_preset(list[i].name, context.model.state());
        context.ui.replay_step = -1;
      }
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", list[i].description.c_str());
    }
    ImGui::EndCombo();
  }
  if (chosen >= 0) ImGui::TextWrapped("%s", list[static_cast<size_t>(chosen)].description.c_str());
}

// For a .safetensors weight: pick one of its 4-D tensors (listed once per file).
void tensor_picker(PanelContext& context) {
  WeightSource& weight = context.model.state().layer().weight;
  const std::string suffix = ".safetensors";
  if (weight.path.size() <= suffix.size() || weight.path.compare(weight.path.size() - suffix.size(), suffix.size(), suffix) != 0)
    return;
  static std::string listed_path;
  static std::vector<SafetensorsEntry> tensors;
  static std::string listing_error;
  if (listed_path != weight.path) {
    listed_path = weight.path;
    tensors.clear();
    listing_error.clear();
    try {
      for (const SafetensorsEntry& e : list_safetensors(weight.path))
        if (e.shape.size() == 4) tensors.push_back(e);
    } catch (const Error& e) {
      listing_error = e.what();
    }
  }
  if (!listing_error.empty()) return;  // the model's error (weight.file) says why
  ImGui::SetNextItemWidth(-1);
  InvalidScope scope(weight.tensor_name.empty());
  if (ImGui::BeginCombo("##tensor", weight.tensor_name.empty() ? "choose a 4-D tensor..." : weight.tensor_name.c_str())) {
    for (const SafetensorsEntry& e : tensors) {
      const std::string label = e.name + "  " + shape_to_string(e.shape) + " " + e.dtype;
      if (ImGui::Selectable(label.c_str(), e.name == weight.tensor_name)) weight.tensor_name = e.name;
    }
    ImGui::EndCombo();
  }
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("With bias on, the tensor's NAME.bias (if the file has one) is the bias");
}

void weight_controls(PanelContext& context) {
  LayerSettings& layer = context.model.state().layer();
  WeightSource& weight = layer.weight;
  int source = weight.from_file ? 1 : 0;
  ImGui::RadioButton("initialiser", &source, 0);
  ImGui::SameLine();
  ImGui::RadioButton(".npy / .safetensors", &source, 1);
  weight.from_file = source == 1;
  if (!weight.from_file) {
    int init = static_cast<int>(weight.init);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12);
    if (ImGui::Combo("weight", &init, kInitNames, IM_ARRAYSIZE(kInitNames))) weight.init = static_cast<WeightInit>(init);
    if (weight.init == WeightInit::Constant) {
      ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7.5f);
      ImGui::InputFloat("value", &weight.constant, 0.1f, 1.0f, "%.3g");
    }
    if (weight.init == WeightInit::Normal || weight.init == WeightInit::Uniform || weight.init == WeightInit::KaimingUniform) {
      int64_t seed = static_cast<int64_t>(weight.seed);
      if (int_input("seed##weight", seed, 0, INT64_MAX)) weight.seed = static_cast<uint64_t>(seed);
    }
    return;
  }
  UiState& ui = context.ui;
  if (ui.weight_path_text.empty()) ui.weight_path_text = weight.path;
  {
    InvalidScope scope(context.model.error_is("weight.file"));
    ImGui::SetNextItemWidth(-ImGui::GetFontSize() * 4.5f);
    if (ImGui::InputText("##weight_path", &ui.weight_path_text, ImGuiInputTextFlags_EnterReturnsTrue)) {
      weight.path = ui.weight_path_text;
      weight.tensor_name.clear();
    }
  }
  ImGui::SameLine();
  if (ImGui::Button("Load##weight") && weight.path != ui.weight_path_text) {
    weight.path = ui.weight_path_text;
    weight.tensor_name.clear();
  }
  if (ImGui::Button("Browse...##weight")) ui.browse = BrowseTarget::Weight;
  tensor_picker(context);
  ImGui::TextDisabled("[C_in, C_out/groups, kH, kW]: C_out and kernel come from the file");
}

void backend_picker(PanelContext& context) {
  std::string& backend = context.model.state().backend;
  InvalidScope scope(context.model.error_is("backend"));
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
  if (ImGui::BeginCombo("backend", backend.c_str())) {
    if (ImGui::Selectable("auto", backend == "auto")) backend = "auto";
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("cuda when a GPU answers and passes its self-check, else cpu");
    for (const std::string& name : backend_names()) {
      const Availability availability = backend_by_name(name).availability();
      ImGui::BeginDisabled(!availability.available);
      if (ImGui::Selectable(name.c_str(), backend == name)) backend = name;
      ImGui::EndDisabled();
      if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) ImGui::SetTooltip("%s", availability.reason.c_str());
    }
    ImGui::EndCombo();
  }
}

}  // namespace

void draw_layer_panel(PanelContext& context) {
  LabModel& model = context.model;
  LayerSettings& layer = model.state().layer();
  ConvTranspose2dParams& p = layer.params;
  UiState& ui = context.ui;
  preset_picker(context);
  ImGui::Separator();

  ImGui::BeginDisabled(layer.weight.from_file);
  if (layer.weight.from_file && model.weight_shape().size() == 4) {
    // The file decides: show what it gives rather than the setting it overrides.
    int64_t from_file = model.weight_shape()[1] * p.groups;
    int_input("C_out", from_file, 1, INT64_MAX);
  } else {
    int_input("C_out", layer.out_channels, 1, 65536, model.error_is("out_channels"));
  }
  pair_input("kernel_size", layer.kernel, ui.link_kernel, 1, model.error_is("kernel") || model.error_is("weight"),
             "kH, kW: the weight is [C_in, C_out/groups, kH, kW]");
  ImGui::EndDisabled();
  pair_input("stride", p.stride, ui.link_stride, 1, model.error_is("stride"), "s: input pixels land s apart in the output");
  pair_input("padding", p.padding, ui.link_padding, 0, model.error_is("padding") || model.error_is("output_size"),
             "p: removes p rows and columns from each side of the full (i-1)*s + d*(k-1) + 1 output");
  pair_input("output_padding", p.output_padding, ui.link_output_padding, 0, model.error_is("output_padding"),
             "op: adds real computed rows/columns at the bottom/right; must be < stride or < dilation");
  pair_input("dilation", p.dilation, ui.link_dilation, 1, model.error_is("dilation"), "d: kernel taps land d apart");
  int_input("groups", p.groups, 1, 4096, model.error_is("groups"));
  ImGui::Checkbox("bias", &layer.bias);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("The weight's NAME.bias from its .safetensors file when there is one, else PyTorch's default "
                      "initialisation U(-1/sqrt(fan_in), 1/sqrt(fan_in))");
  ImGui::Separator();
  weight_controls(context);
  backend_picker(context);
  if (ImGui::Button("Copy as PyTorch")) {
    const std::string code = pytorch_conv_transpose2d_call(p, layer.bias, model.input_shape(), model.weight_shape());
    ImGui::SetClipboardText(("import torch\n" + code + "\n").c_str());
    context.ui.notice = "copied: " + code;
    context.ui.notice_until = context.time + 5;
  }
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("The torch.nn.functional.conv_transpose2d call for this layer, to the clipboard");

  if (const auto& error = model.error()) {
    ImGui::Spacing();
    ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 110, 110, 255));
    ImGui::TextWrapped("%s", error->message.c_str());
    ImGui::PopStyleColor();
    if (model.result()) ImGui::TextDisabled("The views show the last valid layer (marked stale).");
  }
}

}  // namespace convt::lab::ui
