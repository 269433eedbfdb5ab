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

// Runs one export, reporting "wrote ..." or the one-line error in the status bar.
template <typename Write>
void report(PanelContext& context, Write write) {
  try {
    context.ui.notice = "wrote " + write();
  } catch (const Error& e) {
    context.ui.notice = e.what();
  }
  context.ui.notice_until = context.time + 6;
}

}  // namespace

void export_output(PanelContext& context, const ComputeResult& r) {
  const ViewSettings& view = context.model.state().view;
  report(context, [&] {
    const std::string stem = stamped("convt-output");
    export_npy_and_png(stem, r.output(), r.batch_index, view.colormap, view.global_range);
    return stem + ".npy and .png";
  });
}

void export_stages(PanelContext& context, const ComputeResult& r) {
  const ViewSettings& view = context.model.state().view;
  report(context, [&] {
    const std::string name = stamped("convt-stack");
    const std::filesystem::path folder = make_folder(name);
    for (size_t i = 0; i < r.stages.size(); ++i)
      export_npy_and_png((folder / ("layer" + std::to_string(i + 1))).string(), *r.stages[i].output, r.batch_index,
                         view.colormap, view.global_range);
    return name + "/layer1.." + std::to_string(r.stages.size()) + " (.npy and .png, after each activation)";
  });
}

void export_steps(PanelContext& context, const ComputeResult& r) {
  report(context, [&] {
    const std::string name = stamped("convt-steps");
    const std::filesystem::path folder = make_folder(name);
    const ScatterConvolveSteps& s = r.steps;
    const std::pair<const char*, const Tensor*> steps[] = {{"2_zero_inserted", &s.zero_inserted},
                                                           {"3_padded", &s.padded},
                                                           {"4_flipped_kernel", &s.transformed_weight},
                                                           {"5_convolved", &s.convolved},
                                                           {"6_output", &s.direct}};
    export_npy_and_png((folder / "1_input").string(), *r.layer.input, r.batch_index, Colormap::Diverging, false);
    for (const auto& [stem, tensor] : steps)
      export_npy_and_png((folder / stem).string(), *tensor, 0, Colormap::Diverging, false);
    return name + "/1_input .. 6_output (.npy and .png)";
  });
}

}  // namespace convt::lab::ui
