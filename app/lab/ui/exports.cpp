#include "exports.h"

#include <convt/error.h>
#include <convt/image.h>

#include <ctime>
#include <filesystem>
#include <string>

namespace convt::lab::ui {
namespace {

std::string stamped(const char* prefix) {
  char stem[64];
  const std::time_t now = std::time(nullptr);
  std::strftime(stem, sizeof stem, "-%Y%m%d-%H%M%S", std::localtime(&now));
  return prefix + std::string(stem);
}

std::filesystem::path make_folder(const std::string& name) {
  std::error_code error;
  std::filesystem::create_directories(name, error);
  if (!std::filesystem::is_directory(name, error)) throw_io("cannot create the folder '" + name + "'");
  return name;
}

// Runs one export on the worker, reporting "wrote ..." or the one-line error in the status bar.
template <typename Write>
void report(PanelContext& context, Write write) {
  context.ui.notice = "exporting...";
  context.ui.notice_until = context.time + 60;
  // A failure's message becomes the notice: the worker reports what a task throws.
  context.model.run_task([write]() -> std::string { return "wrote " + write(); });
}

}  // namespace

void export_output(PanelContext& context, const ComputeResult& r) {
  const ViewSettings& view = context.model.state().view;
  report(context, [output = r.output_ptr(), batch = r.batch_index, colormap = view.colormap, global = view.global_range,
                   stem = stamped("convt-output")] {
    export_npy_and_png(stem, *output, batch, colormap, global);
    return stem + ".npy and .png";
  });
}

void export_stages(PanelContext& context, const ComputeResult& r) {
  const ViewSettings& view = context.model.state().view;
  std::vector<std::shared_ptr<const Tensor>> outputs;
  for (const StageResult& stage : r.stages) outputs.push_back(stage.output);
  report(context, [outputs, batch = r.batch_index, colormap = view.colormap, global = view.global_range,
                   name = stamped("convt-stack")] {
    const std::filesystem::path folder = make_folder(name);
    for (size_t i = 0; i < outputs.size(); ++i)
      export_npy_and_png((folder / ("layer" + std::to_string(i + 1))).string(), *outputs[i], batch, colormap, global);
    return name + "/layer1.." + std::to_string(outputs.size()) + " (.npy and .png, after each activation)";
  });
}

void export_steps(PanelContext& context, const ComputeResult& r, const std::shared_ptr<const SliceSteps>& steps) {
  report(context, [input = r.layer.input, batch = r.batch_index, steps, name = stamped("convt-steps")] {
    const std::filesystem::path folder = make_folder(name);
    const ScatterConvolveSteps& s = steps->steps;
    const std::pair<const char*, const Tensor*> parts[] = {{"2_zero_inserted", &s.zero_inserted},
                                                           {"3_padded", &s.padded},
                                                           {"4_flipped_kernel", &s.transformed_weight},
                                                           {"5_convolved", &s.convolved},
                                                           {"6_output", &s.direct}};
    export_npy_and_png((folder / "1_input").string(), *input, batch, Colormap::Diverging, false);
    for (const auto& [stem, tensor] : parts) export_npy_and_png((folder / stem).string(), *tensor, 0, Colormap::Diverging, false);
    return name + "/1_input .. 6_output (.npy and .png)";
  });
}

}  // namespace convt::lab::ui
