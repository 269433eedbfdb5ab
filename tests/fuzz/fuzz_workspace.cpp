// libFuzzer target: workspace JSON must load (and its tensors build) or throw convt::Error, never crash.
#include <convt/error.h>
#include <convt/tensor.h>
#include <convt/workspace.h>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Hostile sizes in a workspace must be refused by the budget, not allocated.
  static const bool budget = (convt::set_memory_budget_bytes(64u << 20), true);
  (void)budget;
  try {
    const convt::Workspace workspace =
        convt::workspace_from_json(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json");
    if (workspace.input.kind != convt::InputKind::Image) {  // no file reads from fuzzed paths
      const convt::Tensor input = convt::build_input(workspace.input);
      if (!workspace.layers.front().weight.from_file) convt::build_weight(workspace.layers.front(), input.size(1));
    }
  } catch (const convt::Error&) {
  }
  return 0;
}
