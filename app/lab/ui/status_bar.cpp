// Status bar: backend, time per run, useful GFLOP/s, output size in bytes, and progress while the worker runs.
#include "panels.h"
#include "widgets.h"

#include <cmath>

namespace convt::lab::ui {
namespace {

std::string bytes_text(uint64_t bytes) {
  char text[64];
  if (bytes >= (uint64_t{1} << 20)) std::snprintf(text, sizeof text, "%.1f MiB (%llu bytes)", bytes / 1048576.0, static_cast<unsigned long long>(bytes));
  else std::snprintf(text, sizeof text, "%llu bytes", static_cast<unsigned long long>(bytes));
  return text;
}

// A spinner shows life where no progress can be reported.
char spinner(double time) { return "|/-\\"[static_cast<int>(time * 8) % 4]; }

}  // namespace

void draw_status_bar(PanelContext& context) {
  LabModel& model = context.model;
  const ComputeResult* r = model.result();
  if (r) {
    ImGui::Text("backend %s   %.2f ms per run   %.2f GFLOP/s useful   output %s   %s", r->backend_name.c_str(), r->run_ms,
                r->gflops(), shape_to_string(r->output().shape()).c_str(), bytes_text(r->output_bytes()).c_str());
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("backend: where the layer ran (cpu, cuda or the reference). ms per run: the shown layer's time. "
                        "GFLOP/s useful: billions of floating-point operations per second, counting only the layer's "
                        "real work, 2 * N * C_in * H * W * C_out/groups * kH * kW (one multiply and one add per input "
                        "pixel and tap). output: [N, C_out, height, width], and its size in memory as float32.");
    if (r->stages.size() > 1) {
      ImGui::SameLine();
      ImGui::TextDisabled("   layer %lld of %zu; the stack %.2f ms", static_cast<long long>(r->stack.selected + 1),
                          r->stages.size(), r->stack_ms);
    }
  } else {
    ImGui::TextDisabled("no result yet");
  }
  if (model.computing()) {
    ImGui::SameLine();
    // The reference backend cannot report its own progress, so the bar moves by stage.
    ImGui::Text("   %c %s (%.1f s)", spinner(context.time), model.progress_stage().c_str(),
                model.busy_seconds());
    ImGui::SameLine();
    ImGui::ProgressBar(model.progress(), ImVec2(ImGui::GetFontSize() * 8, 0));
  } else if (model.model_session() && model.model_session()->working()) {
    ImGui::SameLine();
    const auto [done, total] = model.model_session()->progress();
    if (total > 0)
      ImGui::TextDisabled("   %c running the model: %zu of %zu nodes", spinner(context.time), done, total);
    else
      ImGui::TextDisabled("   %c reading the model", spinner(context.time));
  } else if (model.busy()) {
    ImGui::SameLine();
    ImGui::TextDisabled("   %c preparing the views", spinner(context.time));
  } else if (model.stale() && r) {
    ImGui::SameLine();
    badge("stale", IM_COL32(170, 90, 20, 255));
  }
  if (!context.ui.notice.empty() && context.time < context.ui.notice_until) {
    ImGui::SameLine();
    ImGui::TextDisabled("   %s", context.ui.notice.c_str());
  }
}

}  // namespace convt::lab::ui
