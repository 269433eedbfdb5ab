// Layer: presets, the stack's layers (which one is shown, add, remove), C_out, kernel, stride, padding,
// output_padding, dilation (per-axis pairs behind a link toggle), groups, bias, the activation, the weight's
// initialiser or file, and the backend. The control the current error names turns red and the rule it broke is
// printed under the controls.
#include "panels.h"
#include "widgets.h"

#include "../model/presets.h"

#include <convt/backend.h>
#include <convt/error.h>
#include <convt/io.h>
#include <convt/pytorch_export.h>

#include <imgui_stdlib.h>

#include <algorithm>

namespace convt::lab::ui {
namespace {

// The preset's one-line description, marked "(modified)" once a parameter differs from the preset's, so that it
// never describes a screen it no longer matches. A reference page example whose claimed shape is wrong says so,
// with a button that applies the parameters giving the claimed shape.
void preset_caption(PanelContext& context, const Preset& preset) {
  LabState& state = context.model.state();
  const bool modified = preset_modified(preset.name, state);
  ImGui::TextWrapped("%s%s", preset.description.c_str(), modified ? " (modified)" : "");
  if (modified && ImGui::IsItemHovered())
    ImGui::SetTooltip("A parameter or the input changed since this preset was chosen: the line above describes the "
                      "preset, not the screen. Choose the preset again to go back to it.");
  const PresetCorrection* correction = preset_correction(preset.name);
  if (!correction) return;
  LabState corrected = state;
  apply_preset_correction(preset.name, corrected);
  if (corrected == state) {  // applying it would change nothing: it is applied
    ImGui::TextDisabled("corrected: %s", correction->note.c_str());
    return;
  }
  ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(230, 160, 60, 255));
  ImGui::TextWrapped("The page's claimed shape is wrong for these parameters: %s.", correction->note.c_str());
  ImGui::PopStyleColor();
  if (ImGui::SmallButton("Apply the corrected parameters")) apply_preset_correction(preset.name, state);
  if (ImGui::IsItemHovered()) {
    std::string settings;
    for (const std::string& setting : correction->settings) settings += (settings.empty() ? "" : ", ") + setting;
    ImGui::SetTooltip("Sets %s", settings.c_str());
  }
}

void preset_picker(PanelContext& context) {
  const auto& list = presets();
  int chosen = -1;
  for (size_t i = 0; i < list.size(); ++i)
    if (list[i].name == context.ui.preset) chosen = static_cast<int>(i);
  // While a model's node is shown, no preset is: choosing one shows its layers instead (the model stays listed).
  if (context.model.shows_model_node()) chosen = -1;
  const char* preview = chosen >= 0                            ? list[static_cast<size_t>(chosen)].title.c_str()
                        : context.model.shows_model_node() ? "a preset instead of the node..."
                                                           : "choose a preset...";
  ImGui::SetNextItemWidth(-1);
  if (ImGui::BeginCombo("##preset", preview)) {
    for (size_t i = 0; i < list.size(); ++i) {
      if (ImGui::Selectable(list[i].title.c_str(), chosen == static_cast<int>(i))) {
        chosen = static_cast<int>(i);
        context.ui.preset = list[i].name;
        apply_preset(list[i].name, context.model.state());
        context.ui.state_replaced();
      }
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", list[i].description.c_str());
    }
    ImGui::EndCombo();
  }
  if (chosen >= 0) preset_caption(context, list[static_cast<size_t>(chosen)]);
}

// For a .safetensors weight: pick one of its 4-D tensors (the file is listed on the worker, once per path).
void tensor_picker(PanelContext& context) {
  WeightSource& weight = context.model.state().layer().weight;
  if (!is_safetensors_path(weight.path)) return;
  const auto listing = context.model.analyses().safetensors_tensors(weight.path);
  if (!listing.error.empty()) return;  // the model's error (weight.file) says why
  if (!listing.value) {
    ImGui::TextDisabled("reading the file's tensors...");
    return;
  }
  ImGui::SetNextItemWidth(-1);
  InvalidScope scope(weight.tensor_name.empty());
  if (ImGui::BeginCombo("##tensor", weight.tensor_name.empty() ? "choose a 4-D tensor..." : weight.tensor_name.c_str())) {
    for (const SafetensorsEntry& e : *listing.value) {
      const std::string label = e.name + "  " + shape_to_string(e.shape) + " " + e.dtype;
      if (ImGui::Selectable(label.c_str(), e.name == weight.tensor_name)) weight.tensor_name = e.name;
    }
    ImGui::EndCombo();
  }
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("With bias on, the tensor's NAME.bias (if the file has one) is the bias");
}

// A model's node: its weight and bias are the model's tensors, named here; its parameters can be edited (what if
// this node had stride 1?) and reset to the node's.
void model_weight(PanelContext& context, const ModelLayer& node) {
  ImGui::TextDisabled("weight %s %s", node.weight_name.c_str(), shape_to_string(node.weight->shape()).c_str());
  if (node.bias) ImGui::TextDisabled("bias %s %s", node.bias_name.c_str(), shape_to_string(node.bias->shape()).c_str());
  else ImGui::TextDisabled("no bias");
  ImGui::BeginDisabled(!context.model.model_layer_edited());
  if (ImGui::SmallButton("Reset to the node's parameters")) context.model.reset_model_layer();
  ImGui::EndDisabled();
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
    ImGui::SetTooltip("The parameters are the node's, resolved from its attributes; edit them to see what another "
                      "geometry would do with the same weights and input");
  if (!node.note.empty()) ImGui::TextWrapped("Note: %s", node.note.c_str());
}

void weight_controls(PanelContext& context) {
  if (const ModelLayer* node = context.model.model_layer(context.model.state().selected())) {
    model_weight(context, *node);
    return;
  }
  LayerSettings& layer = context.model.state().layer();
  WeightSource& weight = layer.weight;
  int source = weight.from_file ? 1 : 0;
  ImGui::RadioButton("initialiser", &source, 0);
  ImGui::SameLine();
  ImGui::RadioButton(".npy / .safetensors", &source, 1);
  weight.from_file = source == 1;
  if (!weight.from_file) {
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12);
    enum_combo("weight", weight.init, weight_init_names());
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("kaiming is PyTorch's default initialisation for ConvTranspose2d");
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
  LayerPanelState& ui = context.ui.layer;
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
  if (ImGui::Button("Browse...##weight")) context.ui.browser.request = BrowseTarget::Weight;
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

// Which layer of the stack the panels show, and adding or removing layers. A new layer copies the shown one and
// goes right after it, so "add" on a k4 s2 layer doubles the resolution again.
void stack_controls(PanelContext& context) {
  LabState& state = context.model.state();
  const int64_t count = static_cast<int64_t>(state.layers.size());
  const int64_t shown = state.selected();
  const bool model = context.model.shows_model_node();
  ImGui::BeginDisabled(shown == 0);
  if (ImGui::ArrowButton("##previous_layer", ImGuiDir_Left)) state.selected_layer = shown - 1;
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::Text(model ? "ConvTranspose %lld of %lld" : "layer %lld of %lld", static_cast<long long>(shown + 1),
              static_cast<long long>(count));
  ImGui::SameLine();
  ImGui::BeginDisabled(shown + 1 >= count);
  if (ImGui::ArrowButton("##next_layer", ImGuiDir_Right)) state.selected_layer = shown + 1;
  ImGui::EndDisabled();
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) ImGui::SetTooltip("Page Up / Page Down");
  if (model) {
    // The model's ConvTranspose nodes are the stack: it has no layers to add or remove.
    ImGui::TextColored(ImVec4(1.0f, 0.84f, 0.0f, 1.0f), "%s", state.model.node.c_str());
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("The model's node every panel shows (model.node)");
    return;
  }
  ImGui::SameLine();
  if (ImGui::SmallButton("+ layer")) {
    state.layers.insert(state.layers.begin() + shown + 1, next_layer_like(state, state.layer()));
    state.selected_layer = shown + 1;
  }
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Add a layer like this one after it: same geometry and activation, its C_in following the stack, "
                      "and its own generated weights");
  ImGui::SameLine();
  ImGui::BeginDisabled(count == 1);
  if (ImGui::SmallButton("- layer")) {
    state.layers.erase(state.layers.begin() + shown);
    state.selected_layer = std::min(shown, count - 2);
  }
  ImGui::EndDisabled();
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) ImGui::SetTooltip("Remove this layer from the stack");
}

void activation_picker(LayerSettings& layer) {
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
  enum_combo("activation", layer.activation, activation_names());
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Applied to this layer's output before the next layer (leaky_relu with slope 0.01). The views "
                      "show the output before it.");
}

// The PyTorch code of the shown layer, or of the whole stack from the shapes the model prepared (known whenever
// the stack is valid, even while it computes).
std::string pytorch_code(const LabModel& model, std::string& problem) {
  const LabState& state = model.state();
  const LayerSettings& layer = state.layer();
  if (const ModelLayer* node = model.model_layer(state.selected())) {
    // A model's node: the one call it equals, as the engine resolved it, when it has one; edited, the call of
    // the edited parameters (asymmetric pads in their PyTorch form, when there is one).
    if (!model.model_layer_edited()) {
      if (!node->resolution->has_pytorch_call) {
        problem = node->resolution->pytorch_call;
        return "";
      }
      return "import torch\n# " + node->node + "\n" + node->resolution->pytorch_call + "\n";
    }
    std::optional<ConvTranspose2dParams> params = analysis_params(layer.params);
    if (!params) {
      problem = "no single F.conv_transpose2d call: the bottom/right crop " + to_string(layer.params.end_padding()) +
                " is more than the top/left " + to_string(layer.params.padding) + " and output_padding allow";
      return "";
    }
    params->padding_end.reset();
    return "import torch\n# " + node->node + ", edited\n" +
           pytorch_conv_transpose2d_call(*params, node->bias != nullptr, model.input_shape(), model.weight_shape()) + "\n";
  }
  if (state.layers.size() == 1)
    return "import torch\n" +
           pytorch_conv_transpose2d_call(layer.params, layer.bias, model.input_shape(), model.weight_shape()) + "\n";
  if (model.layer_shapes().size() != state.layers.size()) {
    problem = model.error() ? model.error()->message : "the stack is not ready yet";
    return "";
  }
  return pytorch_stack_code(model.stack_input_shape(), model.layer_shapes());
}

void copy_as_pytorch(PanelContext& context) {
  const bool stack = context.model.state().layers.size() > 1 && !context.model.shows_model_node();
  if (ImGui::Button(stack ? "Copy stack as PyTorch" : "Copy as PyTorch")) {
    std::string problem;
    const std::string code = pytorch_code(context.model, problem);
    if (code.empty()) {
      context.ui.notice = "nothing copied: " + problem;
    } else {
      ImGui::SetClipboardText(code.c_str());
      context.ui.notice = "copied " + std::to_string(std::count(code.begin(), code.end(), '\n')) + " lines of PyTorch";
    }
    context.ui.notice_until = context.time + 5;
  }
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip(stack ? "The torch.nn.functional calls of every layer, with activations, to the clipboard"
                            : "The torch.nn.functional.conv_transpose2d call for this layer, to the clipboard");
}

}  // namespace

void draw_layer_panel(PanelContext& context) {
  LabModel& model = context.model;
  LayerPanelState& ui = context.ui.layer;
  // Presets and the stack controls may replace the layers: the references below are taken after them.
  preset_picker(context);
  ImGui::Separator();
  stack_controls(context);
  LayerSettings& layer = model.state().layer();
  ConvTranspose2dParams& p = layer.params;

  ImGui::BeginDisabled(layer.weight.from_file);
  if (layer.weight.from_file && model.weight_shape().size() == 4) {
    // The file decides: show what it gives rather than the setting it overrides.
    int64_t from_file = model.weight_shape()[1] * p.groups;
    int_input("C_out", from_file, 1, INT64_MAX);
  } else {
    int_input("C_out", layer.out_channels, 1, 65536, model.error_is("out_channels"));
  }
  help_marker("C_out, the output channels: how many feature maps the layer makes. Every input channel has its own "
              "kernel for each output channel (of its group), so the weight is [C_in, C_out/groups, kH, kW].");
  pair_input("kernel_size", layer.kernel, ui.link_kernel, 1, model.error_is("kernel") || model.error_is("weight"),
             "The kernel's height and width in taps (kH, kW). Each input pixel stamps a copy of the kernel, scaled by "
             "its value, onto the output.");
  ImGui::EndDisabled();
  pair_input("stride", p.stride, ui.link_stride, 1, model.error_is("stride"),
             "s, the upsampling factor: neighbouring input pixels' stamps start s output pixels apart, so stride 2 "
             "about doubles the height and width.");
  pair_input("padding", p.padding, ui.link_padding, 0, model.error_is("padding") || model.error_is("output_size"),
             "p: how many rows and columns are cropped from each side of the full output, (i-1)*s + d*(k-1) + 1 per "
             "axis. Unlike conv2d's padding, it makes the output smaller.");
  pair_input("output_padding", p.output_padding, ui.link_output_padding, 0, model.error_is("output_padding"),
             "op: extra rows at the bottom and columns at the right, computed like the rest of the output. It picks "
             "one of the sizes a stride-s conv2d would map back to the same input size (see Output size). Must be "
             "smaller than the stride or the dilation.");
  pair_input("dilation", p.dilation, ui.link_dilation, 1, model.error_is("dilation"),
             "d: the spacing of the kernel's taps. Tap k lands k*d pixels from the stamp's start, so a kernel of k taps "
             "reaches d*(k-1) + 1 pixels; d 1 is a plain kernel.");
  int_input("groups", p.groups, 1, 4096, model.error_is("groups"));
  help_marker("Splits the channels into groups that do not mix: the input channels of group g feed only the output "
              "channels of group g. C_in and C_out must both divide by it; 1 connects every channel to every channel.");
  if (p.padding_end) {
    // ONNX's pads: the bottom/right crop is its own number (the Output size panel's formula shows both).
    const IntPair end = *p.padding_end;
    ImGui::TextDisabled("padding_end %s", to_string(end).c_str());
    help_marker("ONNX's pads give the bottom/right crop apart from the top/left one (padding). The node's own; it "
                "follows no edit. PyTorch has one padding for both ends: Copy as PyTorch says when no single call "
                "equals this node.");
  }
  const bool from_model = model.shows_model_node();
  ImGui::BeginDisabled(from_model);  // the node has its bias or not, and what follows it is in the graph
  ImGui::Checkbox("bias", &layer.bias);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("The weight's NAME.bias from its .safetensors file when there is one, else PyTorch's default "
                      "initialisation U(-1/sqrt(fan_in), 1/sqrt(fan_in))");
  activation_picker(layer);
  ImGui::EndDisabled();
  ImGui::Separator();
  weight_controls(context);
  backend_picker(context);
  copy_as_pytorch(context);

  if (const auto& error = model.error()) {
    ImGui::Spacing();
    ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 110, 110, 255));
    ImGui::TextWrapped("%s", error->message.c_str());
    ImGui::PopStyleColor();
    if (model.result()) ImGui::TextDisabled("The views show the last valid layer (marked stale).");
  }
}

}  // namespace convt::lab::ui
