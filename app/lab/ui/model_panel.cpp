// Model: an ONNX model opened with Ctrl+M, the file browser, a dropped file or --model FILE. Its file and inputs
// (random of the declared shape, a .npy or .pb, or an image), the run on the worker with its progress, and the
// graph as a list of nodes, two lines each: the op and the name, then the shapes and the parameters. Upsampling
// nodes stand out, the ConvTranspose nodes with their overlap verdict; clicking one shows it in every panel (its
// real input activation, weights and bias), clicking another node shows its details below the list.
#include "panels.h"
#include "widgets.h"

#include "../model/model_keys.h"

#include <convt/onnx.h>
#include <convt/onnx_audit.h>

#include <algorithm>
#include <filesystem>
#include <string>

namespace convt::lab::ui {
namespace {

constexpr ImU32 kUpsamplingColour = IM_COL32(110, 190, 255, 255);
constexpr ImU32 kShownColour = IM_COL32(255, 214, 0, 255);

void error_text(const std::string& text) {
  ImGui::PushStyleColor(ImGuiCol_Text, kErrorTextColour);
  ImGui::TextWrapped("%s", text.c_str());
  ImGui::PopStyleColor();
}

std::string file_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

void file_controls(PanelContext& context, const ModelSnapshot* snapshot) {
  ModelSettings& model = context.model.state().model;
  if (ImGui::SmallButton("Open... (Ctrl+M)")) context.ui.browser.request = BrowseTarget::Model;
  ImGui::SameLine();
  ImGui::BeginDisabled(!context.model.model_session());
  if (ImGui::SmallButton("Reload")) context.model.model_session()->reload();
  ImGui::EndDisabled();
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Read the file again (it changed on disk) and run it");
  ImGui::SameLine();
  if (ImGui::SmallButton("Close")) {
    model = ModelSettings{};
    context.ui.model.reset();
  }
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Close the model: the explorer's own layers come back");
  if (!snapshot || snapshot->request.path != model.path || snapshot->loading) {
    ImGui::TextDisabled("reading %s...", file_name(model.path).c_str());
    return;
  }
  if (!snapshot->load_error.empty()) {
    error_text(snapshot->load_error);
    return;
  }
  const onnx::Model& m = *snapshot->model;
  ImGui::TextDisabled("%s, opset %lld, IR %lld, %zu nodes, %zu ConvTranspose", m.producer.empty() ? "unknown producer" : m.producer.c_str(),
                      static_cast<long long>(m.opset), static_cast<long long>(m.ir_version), m.nodes.size(),
                      onnx::conv_transpose_nodes(m).size());
}

// Each graph input with its declared shape and what feeds it: random (the seed), or a file (Browse).
void input_controls(PanelContext& context, const ModelSnapshot& snapshot) {
  ModelSettings& model = context.model.state().model;
  const onnx::Model& m = *snapshot.model;
  std::vector<std::string> files;
  try {
    files = model_input_files(model.input);
  } catch (const Error&) {
  }
  bool any_random = false;
  for (size_t i = 0; i < m.inputs.size(); ++i) {
    const onnx::ValueInfo& input = m.inputs[i];
    const bool from_file = i < files.size() && files[i] != kRandomModelInput;
    any_random = any_random || !from_file;
    ImGui::PushID(static_cast<int>(i));
    ImGui::Text("%s", input.name.c_str());
    ImGui::SameLine();
    ImGui::TextDisabled("%s %s", input.shape_text().c_str(), onnx::element_type_name(input.element_type));
    ImGui::SameLine();
    ImGui::TextUnformatted("<-");
    ImGui::SameLine();
    if (from_file) {
      ImGui::TextUnformatted(file_name(files[i]).c_str());
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", files[i].c_str());
      ImGui::SameLine();
      if (ImGui::SmallButton("random")) model.input = with_model_input_file(model.input, i, m.inputs.size(), kRandomModelInput);
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("Feed seeded U(-1, 1) values of the declared shape instead");
    } else {
      ImGui::TextUnformatted("random");
    }
    ImGui::SameLine();
    if (ImGui::SmallButton("file...")) {
      context.ui.model.browse_input = i;
      context.ui.browser.request = BrowseTarget::ModelInput;
    }
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("Feed a .npy, a .pb (an ONNX TensorProto) or an image (resized to a fixed declared height "
                        "and width; values in [0, 1])");
    ImGui::PopID();
  }
  if (m.inputs.empty()) ImGui::TextDisabled("no graph input: the model runs on its initializers alone");
  if (any_random) {
    int64_t seed = static_cast<int64_t>(model.seed);
    if (int_input("seed##model", seed, 0, INT64_MAX)) model.seed = static_cast<uint64_t>(seed);
    ImGui::SameLine();
    ImGui::TextDisabled("of the random inputs");
  }
}

const char* run_word(RunStatus status) {
  switch (status) {
    case RunStatus::NotRun: return "not run";
    case RunStatus::Running: return "running";
    case RunStatus::Ran: return "ran";
    case RunStatus::Partial: return "ran in part";
    case RunStatus::Failed: return "could not run";
    case RunStatus::Cancelled: return "cancelled";
  }
  return "";
}

void run_status(PanelContext& context, const ModelSnapshot& snapshot) {
  ModelSession* session = context.model.model_session();
  if (snapshot.run == RunStatus::Running) {
    const auto [done, total] = session ? session->progress() : std::pair<size_t, size_t>{0, 0};
    const std::string label = std::to_string(done) + " of " + std::to_string(total) + " nodes";
    ImGui::ProgressBar(total ? static_cast<float>(done) / static_cast<float>(total) : 0.0f,
                       ImVec2(ImGui::GetContentRegionAvail().x - ImGui::GetFontSize() * 5, 0), label.c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton("Cancel") && session) session->cancel();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Stop the run: the nodes it did not reach open with random inputs");
    return;
  }
  std::string line = std::string("run: ") + run_word(snapshot.run);
  if (snapshot.run == RunStatus::Ran || snapshot.run == RunStatus::Partial) {
    char time[32];
    std::snprintf(time, sizeof time, " in %.1f ms", snapshot.run_ms);
    line += time;
  }
  for (const auto& [name, shape] : snapshot.outputs) line += ", " + name + " " + shape_to_string(shape);
  ImGui::TextUnformatted(line.c_str());
  if (!snapshot.feeds_text.empty() && ImGui::IsItemHovered()) ImGui::SetTooltip("fed:\n%s", snapshot.feeds_text.c_str());
  if (!snapshot.run_error.empty()) {
    error_text(snapshot.run_error);
    if (!snapshot.layers.empty())
      ImGui::TextWrapped("ConvTranspose nodes the run did not reach open with a seeded random input of the shape "
                         "ONNX's shape inference gives (marked random).");
  }
}

// One node of the list, two lines: "4  ConvTranspose  /ct2/ConvTranspose", then "-> [1, 8, 8, 8]   k4 s2 p1
// score 0.551" with the verdict's badge on the right. True when clicked.
bool node_row(const onnx::Node& node, const ModelNodeInfo& info, size_t index, bool shown, bool details,
              const ModelSnapshot& snapshot) {
  const float line = ImGui::GetTextLineHeight();
  const float height = line * 2 + ImGui::GetStyle().ItemSpacing.y * 0.5f;
  ImGui::PushID(static_cast<int>(index));
  const bool clicked = ImGui::Selectable("##node", shown || details, 0, ImVec2(0, height));
  const bool hovered = ImGui::IsItemHovered();
  const ImVec2 min = ImGui::GetItemRectMin(), max = ImGui::GetItemRectMax();
  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->PushClipRect(min, max, true);
  if (shown) draw->AddRectFilled(min, ImVec2(min.x + 3, max.y), kShownColour);
  const float x = min.x + 7;
  const std::string number = std::to_string(index + 1);
  draw->AddText(ImVec2(x, min.y), ImGui::GetColorU32(ImGuiCol_TextDisabled), number.c_str());
  const float op_x = x + ImGui::CalcTextSize("000").x;
  const ImU32 op_colour = info.upsampling ? kUpsamplingColour : ImGui::GetColorU32(ImGuiCol_Text);
  draw->AddText(ImVec2(op_x, min.y), op_colour, node.op_type.c_str());
  const float name_x = op_x + ImGui::CalcTextSize(node.op_type.c_str()).x + ImGui::GetFontSize() * 0.6f;
  draw->AddText(ImVec2(name_x, min.y), ImGui::GetColorU32(ImGuiCol_TextDisabled), node.name.c_str());

  // The output's shape (the inputs' are the rows above, and in the details): the row stays short enough for the
  // parameters and the score to show in a narrow column.
  std::string second = "-> ";
  for (size_t i = 0; i < info.output_shapes.size(); ++i) second += (i ? ", " : "") + info.output_shapes[i];
  if (!info.parameters.empty()) second += "   " + info.parameters;
  const onnx::ConvTransposeAudit* audited = snapshot.audit_of(node.name);
  if (audited && audited->artifact) {
    char score[48];
    std::snprintf(score, sizeof score, "   score %.3f", audited->artifact->score);
    second += score;
  }
  // The badge first, on the right, so the second line's text is clipped before it.
  float badge_left = max.x;
  std::string badge_text;
  ImU32 badge_colour = 0;
  if (info.verdict) {
    badge_text = to_string(*info.verdict);
    badge_colour = verdict_colour(*info.verdict);
  }
  if (!badge_text.empty()) {
    const ImVec2 size = ImGui::CalcTextSize(badge_text.c_str());
    badge_left = max.x - size.x - 14;
    draw->AddRectFilled(ImVec2(badge_left, min.y + line), ImVec2(max.x - 4, min.y + 2 * line), badge_colour, 4.0f);
    draw->AddText(ImVec2(badge_left + 5, min.y + line), IM_COL32(255, 255, 255, 255), badge_text.c_str());
  }
  if (info.layer >= 0) {
    // Where the node's input comes from when it is not the run's (a random one, or none: it cannot open), on the
    // first line's right, over the name's end.
    const ModelLayer& layer = snapshot.layers[static_cast<size_t>(info.layer)];
    const char* word = !layer.ready() ? "cannot open" : layer.source == ActivationSource::Random ? "random input" : nullptr;
    if (word) {
      const ImVec2 size = ImGui::CalcTextSize(word);
      const ImVec2 at(max.x - size.x - 8, min.y);
      draw->AddRectFilled(ImVec2(at.x - 4, min.y), ImVec2(max.x, min.y + line), ImGui::GetColorU32(ImGuiCol_WindowBg));
      draw->AddText(at, layer.ready() ? IM_COL32(230, 160, 60, 255) : kErrorTextColour, word);
    }
  }
  draw->PushClipRect(min, ImVec2(badge_left - 4, max.y), true);
  draw->AddText(ImVec2(op_x, min.y + line), ImGui::GetColorU32(ImGuiCol_TextDisabled), second.c_str());
  draw->PopClipRect();
  draw->PopClipRect();
  if (hovered) {
    std::string tip = node.op_type + " " + node.name;
    if (!info.parameters.empty()) tip += "\n" + info.parameters;
    if (!info.verdict_text.empty()) tip += "\n" + info.verdict_text;
    if (audited && audited->artifact) {
      char score[200];
      std::snprintf(score, sizeof score,
                    "\nscore %.3f (%s): the share of the output's interior variance that the output phase explains "
                    "(0: no checkerboard, 1: the phase alone decides the value)",
                    audited->artifact->score, audited->artifact->level.c_str());
      tip += score;
    }
    tip += info.layer >= 0 ? "\nclick to show this node in every panel" : "\nclick for its details";
    ImGui::SetTooltip("%s", tip.c_str());
  }
  ImGui::PopID();
  return clicked;
}

void node_list(PanelContext& context, const ModelSnapshot& snapshot, float height) {
  ModelSettings& model = context.model.state().model;
  ModelPanelState& ui = context.ui.model;
  const onnx::Model& m = *snapshot.model;
  ImGui::BeginChild("nodes", ImVec2(0, height), true);
  const bool scroll = ui.scrolled_for != model.node;
  for (size_t i = 0; i < m.nodes.size() && i < snapshot.nodes.size(); ++i) {
    const onnx::Node& node = m.nodes[i];
    const ModelNodeInfo& info = snapshot.nodes[i];
    const bool shown = context.model.shows_model_node() && node.name == model.node;
    if (node_row(node, info, i, shown, node.name == ui.details_node, snapshot)) {
      if (info.layer >= 0) {
        model.node = node.name;  // every panel shows it (or says why it cannot open)
        ui.details_node.clear();
      } else {
        ui.details_node = node.name;
      }
    }
    if (scroll && node.name == model.node && !ImGui::IsItemVisible()) ImGui::SetScrollHereY(0.3f);
  }
  if (scroll) ui.scrolled_for = model.node;
  ImGui::EndChild();
}

// The details of one node: for a ConvTranspose node first what matters most (the PyTorch call it equals, where its
// input comes from, its verdict and the audit's measurements), then every node's inputs and outputs with shapes
// and its attributes.
// Where the audit measured a node, in words that do not collide with the list's "random input" marker.
const char* measured_on(onnx::AuditInput input) {
  switch (input) {
    case onnx::AuditInput::Given: return "in the run on the given inputs";
    case onnx::AuditInput::PartlyRandom: return "in the run on partly random graph inputs";
    case onnx::AuditInput::Random: return "in the run on random graph inputs";
    case onnx::AuditInput::Isolated: return "alone, on a random input (the run could not reach it)";
    case onnx::AuditInput::NotMeasured: return "not at all";
  }
  return "";
}

void conv_transpose_details(const ModelSnapshot& snapshot, const ModelNodeInfo& info, const onnx::Node& node) {
  const ModelLayer& layer = snapshot.layers[static_cast<size_t>(info.layer)];
  if (!layer.ready()) {
    error_text("cannot open: " + layer.error);
    return;
  }
  ImGui::TextWrapped("%s", layer.resolution->pytorch_call.c_str());
  if (layer.resolution->auto_pad != "NOTSET" || layer.resolution->from_output_shape)
    ImGui::TextDisabled("pads from %s", layer.resolution->from_output_shape ? "output_shape" : layer.resolution->auto_pad.c_str());
  ImGui::TextDisabled(layer.source == ActivationSource::Run ? "input: the run's activation"
                                                            : "input: random U(-1, 1) of the inferred shape (the run did not reach it)");
  if (!layer.note.empty()) ImGui::TextWrapped("Note: %s", layer.note.c_str());
  if (info.verdict) {
    badge(to_string(*info.verdict), verdict_colour(*info.verdict));
    ImGui::SameLine();
    ImGui::TextWrapped("%s", info.verdict_text.c_str());
  }
  if (const onnx::ConvTransposeAudit* audited = snapshot.audit_of(node.name)) {
    if (audited->artifact)
      ImGui::Text("measured artifact score %.3f (%s)", audited->artifact->score, audited->artifact->level.c_str());
    ImGui::TextDisabled("the audit measured it %s", measured_on(audited->input));
    if (audited->imbalance)
      ImGui::Text("weights' phase imbalance %.3f (worst output channel %lld)", audited->imbalance->max,
                  static_cast<long long>(audited->imbalance->worst_channel));
    if (!audited->note.empty()) ImGui::TextDisabled("%s", audited->note.c_str());
  }
  ImGui::Separator();
}

void node_details(PanelContext& context, const ModelSnapshot& snapshot) {
  const ModelSettings& model = context.model.state().model;
  const std::string& name = context.ui.model.details_node.empty() ? model.node : context.ui.model.details_node;
  const onnx::Model& m = *snapshot.model;
  size_t index = m.nodes.size();
  for (size_t i = 0; i < m.nodes.size(); ++i)
    if (m.nodes[i].name == name) index = i;
  if (index == m.nodes.size() || index >= snapshot.nodes.size()) {
    ImGui::TextDisabled("click a node for its details; a ConvTranspose node opens in every panel");
    return;
  }
  const onnx::Node& node = m.nodes[index];
  const ModelNodeInfo& info = snapshot.nodes[index];
  ImGui::Text("%s", node.op_type.c_str());
  ImGui::SameLine();
  ImGui::TextDisabled("%s", node.name.c_str());
  if (info.layer >= 0) {
    conv_transpose_details(snapshot, info, node);
  } else if (info.upsampling && info.verdict) {
    badge(to_string(*info.verdict), verdict_colour(*info.verdict));
    ImGui::SameLine();
    ImGui::TextWrapped("%s", info.verdict_text.c_str());
    ImGui::Separator();
  }
  for (size_t i = 0; i < node.inputs.size(); ++i)
    ImGui::TextDisabled("in  %s %s", node.inputs[i].empty() ? "(omitted)" : node.inputs[i].c_str(),
                        i < info.input_shapes.size() ? info.input_shapes[i].c_str() : "");
  for (size_t i = 0; i < node.outputs.size(); ++i)
    ImGui::TextDisabled("out %s %s", node.outputs[i].c_str(), i < info.output_shapes.size() ? info.output_shapes[i].c_str() : "");
  for (const auto& [key, attribute] : node.attributes)
    ImGui::TextDisabled("%s = %s", key.c_str(), attribute_text(attribute).c_str());
  if (!info.ran && snapshot.run != RunStatus::Running) ImGui::TextDisabled("(the run did not reach it: shapes from inference)");
}

// The engine's audit: the upsampling chain's coverage, each ConvTranspose node's measurements, the diagnosis.
void audit_view(const ModelSnapshot& snapshot) {
  if (snapshot.auditing) {
    ImGui::TextDisabled("auditing: the model runs once more, as `convt model audit` runs it...");
    return;
  }
  if (!snapshot.audit_error.empty()) {
    error_text("no audit: " + snapshot.audit_error);
    return;
  }
  if (!snapshot.audit) {
    ImGui::TextDisabled(snapshot.run == RunStatus::Running ? "the audit follows the run" : "no audit");
    return;
  }
  const onnx::AuditReport& audit = *snapshot.audit;
  ImGui::TextWrapped("%s", audit.diagnosis.c_str());
  const onnx::ChainCoverage& chain = audit.chain;
  if (!chain.nodes.empty()) {
    std::string path;
    for (const std::string& node : chain.nodes) path += (path.empty() ? "" : " -> ") + node;
    ImGui::TextDisabled("chain %s", path.c_str());
    if (chain.computed) {
      badge(to_string(chain.summary.verdict), verdict_colour(chain.summary.verdict));
      ImGui::SameLine();
      ImGui::Text("routes per final output, max/min %.4g", chain.summary.ratio);
    }
    if (!chain.note.empty()) ImGui::TextDisabled("%s", chain.note.c_str());
  }
  help_marker("The chain: the ConvTranspose nodes that feed one another, composed as if each fed the next directly. "
              "The score: the share of the output's interior variance its phase explains (0 none, 1 all). The phase "
              "imbalance: how unequal the sums of the weights are per output phase; a constant input shows exactly "
              "that pattern.");
}

}  // namespace

void draw_model_panel(PanelContext& context) {
  ModelSettings& model = context.model.state().model;
  const ModelSnapshot* snapshot = context.model.model_snapshot();
  file_controls(context, snapshot);
  if (!snapshot || !snapshot->model || snapshot->request.path != model.path || snapshot->loading) return;
  ImGui::Separator();
  input_controls(context, *snapshot);
  run_status(context, *snapshot);
  if (!context.model.model_problem().empty()) error_text(context.model.model_problem());
  if (snapshot->layers.empty() && !snapshot->nodes.empty())
    ImGui::TextWrapped("No ConvTranspose node: the panels keep the explorer's layers; the upsampling nodes are "
                       "marked in the list.");
  if (snapshot->nodes.empty()) {
    ImGui::TextDisabled("running the model to list its nodes with their shapes...");
    return;
  }
  const float details = std::min(ImGui::GetContentRegionAvail().y * 0.45f, ImGui::GetTextLineHeightWithSpacing() * 10);
  node_list(context, *snapshot, std::max(ImGui::GetTextLineHeight() * 4, ImGui::GetContentRegionAvail().y - details));
  if (ImGui::BeginTabBar("##model_tabs")) {
    if (ImGui::BeginTabItem("Node")) {
      ImGui::BeginChild("##node_details");
      node_details(context, *snapshot);
      ImGui::EndChild();
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Audit")) {
      ImGui::BeginChild("##audit");
      audit_view(*snapshot);
      ImGui::EndChild();
      ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
  }
}

}  // namespace convt::lab::ui
