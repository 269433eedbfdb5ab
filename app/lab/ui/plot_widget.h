// A small line plot drawn with ImDrawList: several series overlaid, each in its colour, with a legend, axis labels,
// tick values, optional horizontal guide lines (thresholds), and a hover readout of every series at one x. ImGui's
// PlotLines draws one series without axes; a learner comparing contenders needs them together and labelled.
#pragma once

#include <imgui.h>

#include <span>
#include <string>
#include <vector>

namespace convt::lab::ui {

struct PlotSeries {
  std::string name;
  ImU32 colour = IM_COL32(255, 255, 255, 255);
  std::vector<float> x, y;  // same length; x increasing
};

struct PlotGuide {
  float y = 0;
  std::string label;  // drawn at the line's right end
};

struct PlotOptions {
  std::string title;    // above the plot
  std::string x_label;  // under the x axis
  std::string y_unit;   // after the hover values ("dB")
  bool log_y = false;   // a logarithmic y axis (values <= 0 are left out)
  bool has_y_min = false, has_y_max = false;  // fixed ends of the y axis (otherwise the data's range)
  float y_min = 0, y_max = 1;
  float y_max_at_least = 0;  // the axis reaches at least this high (a scale that does not blow up tiny values)
  std::vector<PlotGuide> guides;
  bool legend = true;  // inside the plot, top right (false when the caller draws one legend for several plots)
};

// One row of legend entries (a swatch and the name), wrapping to the width: a legend several plots share.
void plot_legend(std::span<const PlotSeries> series);

// Draws the plot in a box of `size` at the cursor.
void line_plot(const char* id, std::span<const PlotSeries> series, const PlotOptions& options, ImVec2 size);

}  // namespace convt::lab::ui
