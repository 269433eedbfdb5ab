// Pixel inspector: the pinned pixel (view.pin, view.pin_input) of the shown slice, term by term. For an output
// pixel, every product x * w that lands on it (input channel, input pixel, kernel tap), their sum plus the bias,
// and the value the output holds there, so the learner sees the two agree. For an input pixel, its footprint: the
// output pixels its kernel stamp reaches, with the tap and the product, and the taps the padding cut off. The
// terms come from the engine (convt/inspect.h) through the model's products; nothing is computed here.
#include "panels.h"
#include "widgets.h"

#include <algorithm>
#include <string>

namespace convt::lab::ui {
namespace {

constexpr ImU32 kShownChannelRow = IM_COL32(255, 214, 0, 40);

long long ll(int64_t value) { return static_cast<long long>(value); }


// Starts a scrolling table of `rows` rows: as tall as they need, but leaving `reserve` pixels under it for the
// lines that follow (it scrolls then). False when not drawn.
bool begin_terms_table(const char* id, const char* const* headers, int columns, size_t rows, float reserve) {
  const float row = ImGui::GetTextLineHeight() + ImGui::GetStyle().CellPadding.y * 2;
  const float needed = row * static_cast<float>(rows + 1) + 4;
  const float height = std::max(row * 4, std::min(needed, ImGui::GetContentRegionAvail().y - reserve));
  const ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_BordersOuterH;
  if (!ImGui::BeginTable(id, columns, flags, ImVec2(0, height))) return false;
  ImGui::TableSetupScrollFreeze(0, 1);
  for (int c = 0; c < columns; ++c) ImGui::TableSetupColumn(headers[c]);
  ImGui::TableHeadersRow();
  return true;
}

void integer_cell(int64_t value) {
  ImGui::TableNextColumn();
  ImGui::Text("%lld", ll(value));
}

void value_cell(double value) {
  ImGui::TableNextColumn();
  ImGui::Text("%.4g", value);
}

// "24 = 12*2 - 0 + 0*1": why a tap of input pixel i lands on output o, along one axis.
std::string landing_text(int64_t o, int64_t i, int64_t s, int64_t p, int64_t k, int64_t d) {
  return std::to_string(o) + " = " + std::to_string(i) + "*" + std::to_string(s) + " - " + std::to_string(p) + " + " +
         std::to_string(k) + "*" + std::to_string(d);
}

// The rule every term obeys, with the numbers of one term: the learner can check any row the same way.
std::string landing_rule(const ConvTranspose2dParams& p, const PixelTerm& t) {
  return "why here: oy = iy*s - p + ky*d, ox = ix*s - p + kx*d; row 1: " +
         landing_text(t.oy, t.iy, p.stride.h, p.padding.h, t.ky, p.dilation.h) + ", " +
         landing_text(t.ox, t.ix, p.stride.w, p.padding.w, t.kx, p.dilation.w);
}

// The height `text` takes wrapped to the panel, plus `lines` lines of one row each: what goes under a table.
float height_below(const std::string& text, float lines) {
  const float width = ImGui::GetContentRegionAvail().x - ImGui::CalcTextSize("(?)").x - ImGui::GetStyle().ItemSpacing.x;
  const float wrapped = text.empty() ? 0.0f
                                     : ImGui::CalcTextSize(text.c_str(), nullptr, false, width).y +
                                           ImGui::GetStyle().ItemSpacing.y;
  return wrapped + lines * ImGui::GetTextLineHeightWithSpacing();
}

const char* const kRuleHelp =
    "s stride, p padding, d dilation (height's numbers for oy, width's for ox). Input pixel iy stamps its kernel "
    "starting at output row iy*s - p; tap ky lands ky*d further down. Every row of the table obeys it.";

// The rule under the table, its (?) first so that the marker never runs past the panel's edge.
void rule_line(const std::string& rule) {
  if (rule.empty()) return;
  ImGui::TextDisabled("(?)");
  if (ImGui::IsItemHovered()) {
    ImGui::BeginTooltip();
    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30.0f);
    ImGui::TextUnformatted(kRuleHelp);
    ImGui::PopTextWrapPos();
    ImGui::EndTooltip();
  }
  ImGui::SameLine();
  ImGui::TextWrapped("%s", rule.c_str());
}


// How many input channels have at least one term (the terms come grouped by input channel).
int64_t contributing_channels(const OutputPixelTerms& terms) {
  int64_t channels = 0;
  for (size_t i = 0; i < terms.terms.size(); ++i)
    if (i == 0 || terms.terms[i].in_channel != terms.terms[i - 1].in_channel) ++channels;
  return channels;
}

void output_terms_table(const OutputPixelTerms& terms, int64_t shown_in_channel, bool mark_shown, float reserve) {
  static const char* const headers[] = {"n", "c", "iy", "ix", "ky", "kx", "x", "w", "x*w"};
  if (!begin_terms_table("##terms", headers, 9, terms.terms.size(), reserve)) return;
  ImGuiListClipper clipper;  // thousands of rows for a wide layer: only the visible ones are laid out
  clipper.Begin(static_cast<int>(terms.terms.size()));
  while (clipper.Step())
    for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row) {
      const PixelTerm& t = terms.terms[static_cast<size_t>(row)];
      ImGui::TableNextRow();
      if (mark_shown && t.in_channel == shown_in_channel) ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, kShownChannelRow);
      integer_cell(t.batch);
      integer_cell(t.in_channel);
      integer_cell(t.iy);
      integer_cell(t.ix);
      integer_cell(t.ky);
      integer_cell(t.kx);
      value_cell(t.x);
      value_cell(t.w);
      value_cell(t.product);
    }
  ImGui::EndTable();
}

void output_pixel(PanelContext& context, const ComputeResult& r, const PixelPin& pin) {
  const auto product = context.model.analyses().pixel_terms(r, pin.y, pin.x);
  ImGui::Text("output pixel y[%lld, %lld, %lld, %lld]", ll(r.batch_index), ll(r.out_channel), ll(pin.y), ll(pin.x));
  help_marker("y[sample n, output channel, row oy, column ox]: every (input pixel, kernel tap) pair that lands on this "
              "pixel adds x * w to it. The table lists them all, from every input channel of its group.");
  if (!product_ready(product, "computing...", nullptr, kErrorTextColour)) return;  // a pin outside names the size
  const OutputPixelTerms& terms = *product.value;
  const size_t count = terms.terms.size();
  if (count == 0) {
    ImGui::TextWrapped("No (input pixel, kernel tap) pair lands here: a hole. Its value is the bias alone (0 without one).");
  } else {
    const int64_t channels = contributing_channels(terms);
    const bool several = channels > 1;
    if (several)
      ImGui::TextWrapped("%zu pairs from %lld input channels; rows of input channel %lld (outlined in Feature maps) "
                         "are tinted.",
                         count, ll(channels), ll(r.in_channel));
    else
      ImGui::TextWrapped("%zu pairs, each x (input value) * w (kernel tap):", count);
    const std::string rule = landing_rule(r.layer.params, terms.terms.front());
    output_terms_table(terms, r.in_channel, several, height_below(rule, 2));
    rule_line(rule);
  }
  // The engine sums in double; the layer's output is float32: the two agree to float32 rounding.
  const double products = terms.sum - (terms.has_bias ? terms.bias : 0.0);
  ImGui::Text("sum of %zu terms %.6g + bias %.6g = %.6g", count, products, terms.has_bias ? terms.bias : 0.0f, terms.sum);
  if (!terms.has_bias) help_marker("This layer has no bias (the bias checkbox under Layer): it adds 0.");
  const float shown = r.output().at(r.batch_index, r.out_channel, pin.y, pin.x);
  ImGui::Text("the output shows y[%lld, %lld, %lld, %lld] = %.6g", ll(r.batch_index), ll(r.out_channel), ll(pin.y),
              ll(pin.x), shown);
  help_marker("The layer computes in float32 and the inspector adds the terms in double, so the last digits may "
              "differ by float32 rounding (relative to the terms' size, not to the result).");
}

void footprint_table(const InputPixelFootprint& footprint, float reserve) {
  static const char* const headers[] = {"oy", "ox", "ky", "kx", "w", "x*w"};
  if (!begin_terms_table("##footprint", headers, 6, footprint.terms.size(), reserve)) return;
  ImGuiListClipper clipper;
  clipper.Begin(static_cast<int>(footprint.terms.size()));
  while (clipper.Step())
    for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row) {
      const PixelTerm& t = footprint.terms[static_cast<size_t>(row)];
      ImGui::TableNextRow();
      integer_cell(t.oy);
      integer_cell(t.ox);
      integer_cell(t.ky);
      integer_cell(t.kx);
      value_cell(t.w);
      value_cell(t.product);
    }
  ImGui::EndTable();
}

void input_pixel(PanelContext& context, const ComputeResult& r, const PixelPin& pin) {
  const auto product = context.model.analyses().footprint(r, pin.y, pin.x);
  ImGui::Text("input pixel x[%lld, %lld, %lld, %lld]", ll(r.batch_index), ll(r.in_channel), ll(pin.y), ll(pin.x));
  help_marker("x[sample n, input channel, row iy, column ix]: its value times the whole kernel w[input channel, output "
              "channel] is stamped onto the output, one tap per output pixel. Its footprint is where that stamp lands.");
  if (!product_ready(product, "computing...", nullptr, kErrorTextColour)) return;  // a pin outside names the size
  const InputPixelFootprint& footprint = *product.value;
  const ConvTranspose2dGeometry& g = r.layer.geometry;
  ImGui::TextWrapped("x = %.4g, stamped onto output channel %lld: %zu output pixels, each gets x * w of one tap.",
                     footprint.x, ll(footprint.out_channel), footprint.terms.size());
  const std::string rule = footprint.terms.empty() ? "" : landing_rule(r.layer.params, footprint.terms.front());
  footprint_table(footprint, height_below(rule, 2.2f));
  rule_line(rule);
  ImGui::Text("%zu of %lld taps land inside; %lld cropped by the padding", footprint.terms.size(),
              ll(g.kernel_h * g.kernel_w), ll(footprint.cropped_taps));
  help_marker("Taps that would land above or left of row/column 0, or past the last one, fall outside the output: "
              "padding p crops p rows and columns from each side of the full output, and those taps go with them.");
  ImGui::TextDisabled("Click an outlined output pixel to list all its terms.");
}

}  // namespace

void draw_inspector_panel(PanelContext& context) {
  ViewSettings& view = context.model.state().view;
  if (ImGui::SmallButton("Unpin")) {
    view.pin = {};
    return;
  }
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Escape, or right-click a feature map, also unpins");
  ImGui::SameLine();
  const ComputeResult* result = context.model.result();
  if (!result) {
    ImGui::TextDisabled(context.model.computing() ? "computing the first result..." : "no valid layer yet");
    return;
  }
  const PixelPin pin = view.pin;
  if (pin.target == PinTarget::Output) output_pixel(context, *result, pin);
  else if (pin.target == PinTarget::Input) input_pixel(context, *result, pin);
}

}  // namespace convt::lab::ui
