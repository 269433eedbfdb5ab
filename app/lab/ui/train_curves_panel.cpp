// The Train lab's curves: loss, PSNR and artifact score against step, every contender overlaid in its colour, so
// a learner sees which checkerboard fades, which stays, and what it costs in PSNR.
#include "panels.h"
#include "plot_widget.h"
#include "train_views.h"
#include "widgets.h"

#include <vector>

namespace convt::lab::ui {
namespace {

// One series per contender: its history, then the record at its current parameters (the snapshot's step).
std::vector<PlotSeries> series_of(const TrainSnapshot& shown, double StepRecord::*value) {
  std::vector<PlotSeries> series;
  for (size_t i = 0; i < shown.contenders.size(); ++i) {
    const ContenderSnapshot& c = shown.contenders[i];
    if (!c.error.empty()) continue;
    PlotSeries s;
    s.name = std::to_string(i + 1) + ": " + contender_name(c.settings);
    s.colour = contender_colour(i);
    for (const StepRecord& record : c.history) {
      s.x.push_back(static_cast<float>(record.step));
      s.y.push_back(static_cast<float>(record.*value));
    }
    if (c.latest && (c.history.empty() || c.latest->step > c.history.back().step)) {
      s.x.push_back(static_cast<float>(c.latest->step));
      s.y.push_back(static_cast<float>((*c.latest).*value));
    }
    series.push_back(std::move(s));
  }
  return series;
}

}  // namespace

void draw_train_curves_panel(PanelContext& context) {
  TrainSession* session = context.model.training();
  const std::shared_ptr<const TrainSnapshot> shown = session ? session->snapshot() : nullptr;
  if (!shown || shown->contenders.empty()) {
    ImGui::TextDisabled("the curves appear once the contenders train");
    return;
  }
  // One legend for the three plots: the contenders keep their colours everywhere.
  const std::vector<PlotSeries> losses = series_of(*shown, &StepRecord::loss);
  plot_legend(losses);
  ImGui::SameLine();
  help_marker("Each record is measured before the update of its step: step 0 is the initial weights. Hover a plot "
              "to read every contender's value at a step.");
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const ImVec2 size((avail.x - 2 * spacing) / 3, avail.y);

  PlotOptions loss;
  loss.title = std::string("loss (") + (shown->setup.loss == LossKind::Mse ? "mean squared error" : "mean absolute error") +
               "), log scale";
  loss.x_label = "step";
  loss.log_y = true;
  loss.legend = false;
  line_plot("##loss", losses, loss, size);
  ImGui::SameLine();

  PlotOptions psnr;
  psnr.title = "PSNR, peak signal-to-noise ratio (dB): higher is better";
  psnr.x_label = "step";
  psnr.legend = false;
  psnr.y_unit = "dB";
  line_plot("##psnr", series_of(*shown, &StepRecord::psnr), psnr, size);
  ImGui::SameLine();

  PlotOptions score;
  score.title = "artifact score: the checkerboard's share of the output";
  score.x_label = "step";
  score.legend = false;
  score.has_y_min = true;
  score.y_min = 0;
  score.y_max_at_least = 0.12f;  // the "faint" line always shows: a score of 0.0004 must not fill the plot
  score.guides = {{0.02f, "none below 0.02"}, {0.1f, "faint below 0.1"}};
  line_plot("##score", series_of(*shown, &StepRecord::artifact_score), score, size);
}

}  // namespace convt::lab::ui
