// The matrix view: why "transposed". One input row and one kernel row make a 1-D layer (the engine's
// TransposeMatrix1d). Its conv1d is a matrix C (I rows x O columns) that maps O values back to I; the transposed
// convolution multiplies by C^T. Both are drawn as grids of cells coloured by value, with x and the output beside
// C^T; hovering an entry lights up its kernel tap, its input and its output position everywhere.
#include "panels.h"
#include "widgets.h"

#include "../model/analyses.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace convt::lab::ui {
namespace {

constexpr ImU32 kHighlight = IM_COL32(255, 214, 0, 255);
constexpr ImU32 kStructuralZero = IM_COL32(255, 255, 255, 12);  // no tap lands there: faint, not a value

// A cell's colour on the diverging map over [-extent, extent] (blue negative, grey 0, red positive).
ImU32 value_colour(double value, double extent) {
  const double t = extent > 0 ? 0.5 + 0.5 * std::clamp(value / extent, -1.0, 1.0) : 0.5;
  uint8_t rgb[3];
  colormap_rgb(Colormap::Diverging, static_cast<float>(t), rgb);
  return IM_COL32(rgb[0], rgb[1], rgb[2], 255);
}

// The symmetric colour range of a vector shown: its largest magnitude.
template <typename Values>
double extent_of(const Values& values) {
  double extent = 0;
  for (const auto value : values) extent = std::max(extent, std::fabs(static_cast<double>(value)));
  return extent;
}

std::string value_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", value);
  return text;
}

// Text centred in a cell, dark on the light middle of the map, white on its saturated ends.
void cell_text(ImDrawList* draw, ImVec2 at, float cell, const std::string& text, double value, double extent) {
  const ImVec2 size = ImGui::CalcTextSize(text.c_str());
  const bool dark_cell = extent > 0 && std::fabs(value) > 0.6 * extent;
  draw->AddText(ImVec2(at.x + (cell - size.x) / 2, at.y + (cell - size.y) / 2),
                dark_cell ? IM_COL32(255, 255, 255, 255) : IM_COL32(20, 20, 20, 255), text.c_str());
}

// What the cells print: values once they fit, else the tap index k of C's entries once a digit fits, else nothing.
enum class CellLabels { None, Taps, Values };

CellLabels labels_for(float cell) {
  if (cell >= ImGui::CalcTextSize("-0.00").x + 4) return CellLabels::Values;
  if (cell >= ImGui::GetFontSize()) return CellLabels::Taps;
  return CellLabels::None;
}

ImVec2 corner(ImVec2 origin, float cell, int64_t row, int64_t col) {
  return ImVec2(origin.x + static_cast<float>(col) * cell, origin.y + static_cast<float>(row) * cell);
}

void outline(ImDrawList* draw, ImVec2 origin, float cell, int64_t row, int64_t col, int64_t rows = 1, int64_t cols = 1) {
  const ImVec2 a = corner(origin, cell, row, col);
  draw->AddRect(a, ImVec2(a.x + static_cast<float>(cols) * cell, a.y + static_cast<float>(rows) * cell), kHighlight, 0, 0, 2.0f);
}

// The cell of a rows x cols grid at `origin` under the pointer, or false.
bool hovered_cell(ImVec2 origin, float cell, int64_t rows, int64_t cols, int64_t& row, int64_t& col) {
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  if (!ImGui::IsWindowHovered() || mouse.x < origin.x || mouse.y < origin.y) return false;
  row = static_cast<int64_t>((mouse.y - origin.y) / cell);
  col = static_cast<int64_t>((mouse.x - origin.x) / cell);
  return row < rows && col < cols;
}

// C (transposed: false) or C^T (true): entry (i, o) of C drawn at (i, o), or at (o, i) for C^T.
void draw_matrix(ImDrawList* draw, const TransposeMatrix1d& m, ImVec2 origin, float cell, bool transposed, double extent) {
  const CellLabels labels = labels_for(cell);
  for (int64_t i = 0; i < m.inputs; ++i)
    for (int64_t o = 0; o < m.outputs; ++o) {
      const ImVec2 a = transposed ? corner(origin, cell, o, i) : corner(origin, cell, i, o);
      const ImVec2 b(a.x + cell, a.y + cell);
      const int32_t tap = m.tap_at(i, o);
      if (tap < 0) {
        draw->AddRectFilled(a, b, kStructuralZero);
        continue;
      }
      draw->AddRectFilled(a, b, value_colour(m.at(i, o), extent));
      if (labels == CellLabels::Values) cell_text(draw, a, cell, value_text(m.at(i, o)), m.at(i, o), extent);
      else if (labels == CellLabels::Taps) cell_text(draw, a, cell, std::to_string(tap), m.at(i, o), extent);
    }
}

// A column vector of `values` at `origin`, one cell each.
template <typename Values>
void draw_vector(ImDrawList* draw, const Values& values, ImVec2 origin, float cell) {
  const double extent = extent_of(values);
  const bool print = labels_for(cell) == CellLabels::Values;
  for (size_t k = 0; k < values.size(); ++k) {
    const ImVec2 a = corner(origin, cell, static_cast<int64_t>(k), 0);
    const double value = static_cast<double>(values[k]);
    draw->AddRectFilled(a, ImVec2(a.x + cell, a.y + cell), value_colour(value, extent));
    if (print) cell_text(draw, a, cell, value_text(value), value, extent);
  }
}

void entry_tooltip(const TransposeMatrix1d& m, int64_t i, int64_t o) {
  const int32_t k = m.tap_at(i, o);
  const long long li = i, lo = o;
  if (k < 0) {
    ImGui::SetTooltip("C[%lld][%lld] = 0: no tap of input %lld's stamp lands on output %lld", li, lo, li, lo);
    return;
  }
  ImGui::SetTooltip("C[%lld][%lld] = w[%d] = %.4g: input %lld's stamp puts tap %d at o = i*s - p + k*d\n"
                    "= %lld*%lld - %lld + %d*%lld = %lld",
                    li, lo, k, m.at(i, o), li, k, li, static_cast<long long>(m.stride), static_cast<long long>(m.padding), k,
                    static_cast<long long>(m.dilation), lo);
}

// The kernel row as a strip of taps w[0] .. w[K-1], the hovered entry's tap outlined.
void kernel_strip(const TransposeMatrix1d& m, int32_t lit_tap, double extent) {
  ImGui::TextUnformatted("kernel row w:");
  ImGui::SameLine();
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const float height = ImGui::GetFrameHeight();
  for (size_t k = 0; k < m.kernel.size(); ++k) {
    const std::string text = "w[" + std::to_string(k) + "] " + value_text(m.kernel[k]);
    const float width = ImGui::CalcTextSize(text.c_str()).x + 10;
    if (k) ImGui::SameLine(0, 3);
    const ImVec2 a = ImGui::GetCursorScreenPos();
    const ImVec2 b(a.x + width, a.y + height);
    draw->AddRectFilled(a, b, value_colour(m.kernel[k], extent));
    const bool dark = extent > 0 && std::fabs(m.kernel[k]) > 0.6 * extent;
    draw->AddText(ImVec2(a.x + 5, a.y + (height - ImGui::GetFontSize()) / 2),
                  dark ? IM_COL32(255, 255, 255, 255) : IM_COL32(20, 20, 20, 255), text.c_str());
    if (static_cast<int32_t>(k) == lit_tap) draw->AddRect(a, b, kHighlight, 0, 0, 2.5f);
    ImGui::Dummy(ImVec2(width, height));
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("kernel tap %zu: w[%zu] = %.4g", k, k, m.kernel[k]);
  }
}

void controls(PanelContext& context, const ComputeResult& r) {
  ViewSettings& view = context.model.state().view;
  const ConvTranspose2dGeometry& g = r.layer.geometry;
  int64_t row = matrix_input_row(r, view.matrix_row);
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("input row");
  ImGui::SameLine();
  if (int_input("##matrix_row", row, 0, std::max<int64_t>(0, g.in_h - 1))) view.matrix_row = row;
  ImGui::SameLine();
  ImGui::Text("of %lld", static_cast<long long>(g.in_h));
  ImGui::SameLine(0, ImGui::GetFontSize() * 1.5f);
  int64_t kernel_row = matrix_kernel_row(r, view.matrix_kernel_row);
  ImGui::TextUnformatted("kernel row ky");
  ImGui::SameLine();
  if (int_input("##matrix_kernel_row", kernel_row, 0, std::max<int64_t>(0, g.kernel_h - 1))) view.matrix_kernel_row = kernel_row;
  ImGui::SameLine();
  ImGui::Text("of %lld", static_cast<long long>(g.kernel_h));
  ImGui::SameLine(0, ImGui::GetFontSize() * 1.5f);
  ImGui::TextUnformatted("inputs");
  ImGui::SameLine();
  int_input("##matrix_inputs", view.matrix_inputs, 1, kMaxMatrixInputs);
  help_marker("How many values of the input row the slice takes, from column 0: few enough to read every entry.");
  ImGui::SameLine(0, ImGui::GetFontSize() * 1.5f);
  int& cell = context.ui.teach.matrix_cell;
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
  ImGui::SliderInt("cell size", &cell, 0, 48, cell == 0 ? "fit" : "%d px");
  help_marker("Screen pixels per matrix entry; 0 fits the pane. Values are printed once a cell is wide enough, "
              "the tap k before that. Larger cells scroll.");
}

// Beside the grids: what they are, the rule behind every entry, and how to read the colours and numbers.
void explanation(const ComputeResult& r, const TransposeMatrix1d& m, int64_t row, int64_t kernel_row, float cell) {
  const long long s = m.stride, p = m.padding, d = m.dilation;
  ImGui::TextWrapped("A 1-D layer cut from this one: input row %lld (its first %lld of %lld values, the I inputs), kernel row "
                     "ky %lld, the width axis's stride %lld, padding %lld, dilation %lld, output_padding %lld: O = %lld "
                     "outputs.",
                     static_cast<long long>(row), static_cast<long long>(m.inputs),
                     static_cast<long long>(r.layer.geometry.in_w), static_cast<long long>(kernel_row), s, p, d,
                     static_cast<long long>(m.output_padding), static_cast<long long>(m.outputs));
  if (m.padding_end != m.padding)
    ImGui::TextWrapped("(Its end is cropped by %lld, not %lld: the layer's separate end padding.)",
                       static_cast<long long>(m.padding_end), p);
  ImGui::TextWrapped("C[i][o] = w[k] where o = i*%lld - %lld + k*%lld (i*stride - padding + k*dilation): input i's "
                     "stamp puts tap k at output o. C is a conv1d from O values back to I; the layer computes "
                     "out = C^T x. Hence \"transposed\". Read a row of C^T from left to right: its taps come in "
                     "reverse order, the kernel rotated in step 4 of scatter-then-convolve.", s, p, d);
  const CellLabels labels = labels_for(cell);
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
  ImGui::TextWrapped("Colour: blue < 0 < red; C shares w's scale, x and the output have their own. Faint cells: no "
                      "tap lands there.");
  ImGui::TextWrapped("%s Hover an entry to light up its tap, input and output.",
                      labels == CellLabels::Values ? "Numbers in C: its values."
                      : labels == CellLabels::Taps ? "Numbers in C's cells: the tap k."
                                                   : "Larger cells (cell size) print the taps and values.");
  ImGui::PopStyleColor();
}

// The entry, input or output lit by last frame's hover (-1: none), when it still belongs to this matrix.
struct Lit {
  int64_t i = -1, o = -1;
  int32_t tap(const TransposeMatrix1d& m) const { return i >= 0 && o >= 0 ? m.tap_at(i, o) : -1; }
};

float column_gap() { return ImGui::GetFontSize() * 1.2f; }
float label_height() { return ImGui::GetTextLineHeightWithSpacing(); }

// C^T with x and the output beside it: [C^T] [x] = [out].
ImVec2 transposed_block_size(const TransposeMatrix1d& m, float cell) {
  const float out_column = std::max(cell, ImGui::CalcTextSize("out").x);  // its label is wider than thin cells
  return ImVec2(static_cast<float>(m.inputs + 1) * cell + out_column + column_gap() * 2.5f,
                label_height() + static_cast<float>(std::max(m.outputs, m.inputs)) * cell + 2);
}
ImVec2 conv_block_size(const TransposeMatrix1d& m, float cell) {
  return ImVec2(static_cast<float>(m.outputs) * cell + 2, label_height() + static_cast<float>(m.inputs) * cell + 2);
}

void transposed_block(TeachViewsUiState& ui, const TransposeMatrix1d& m, int64_t row, float cell, double extent, Lit lit) {
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const ImVec2 at = ImGui::GetCursorScreenPos();
  const ImVec2 grid(at.x, at.y + label_height());
  const ImVec2 x(grid.x + static_cast<float>(m.inputs) * cell + column_gap() / 2, grid.y);
  const ImVec2 out(x.x + cell + column_gap() * 1.5f, grid.y);
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
  std::string label = "C^T (" + std::to_string(m.outputs) + "x" + std::to_string(m.inputs) + ")";
  if (ImGui::CalcTextSize(label.c_str()).x > x.x - grid.x) label = "C^T";
  draw->AddText(at, text, label.c_str());
  draw->AddText(ImVec2(x.x, at.y), text, "x");
  draw->AddText(ImVec2((x.x + cell + out.x - ImGui::CalcTextSize("=").x) / 2, at.y), text, "=");
  draw->AddText(ImVec2(out.x, at.y), text, "out");
  draw_matrix(draw, m, grid, cell, true, extent);
  draw_vector(draw, m.input, x, cell);
  draw_vector(draw, m.output, out, cell);
  if (lit.i >= 0) outline(draw, x, cell, lit.i, 0);
  if (lit.o >= 0) outline(draw, out, cell, lit.o, 0);
  if (lit.i >= 0 && lit.o >= 0) outline(draw, grid, cell, lit.o, lit.i);
  else if (lit.i >= 0) outline(draw, grid, cell, 0, lit.i, m.outputs, 1);  // an input: its column
  else if (lit.o >= 0) outline(draw, grid, cell, lit.o, 0, 1, m.inputs);   // an output: its row
  ImGui::Dummy(transposed_block_size(m, cell));

  int64_t a = 0, b = 0;
  if (hovered_cell(grid, cell, m.outputs, m.inputs, a, b)) {
    ui.matrix_hover_i = b, ui.matrix_hover_o = a;
    entry_tooltip(m, b, a);
  } else if (hovered_cell(x, cell, m.inputs, 1, a, b)) {
    ui.matrix_hover_i = a;
    ImGui::SetTooltip("x[%lld] = %.4g: input row %lld, column %lld", static_cast<long long>(a),
                      m.input[static_cast<size_t>(a)], static_cast<long long>(row), static_cast<long long>(a));
  } else if (hovered_cell(out, cell, m.outputs, 1, a, b)) {
    ui.matrix_hover_o = a;
    ImGui::SetTooltip("out[%lld] = %.4g: row %lld of C^T times x, the sum of x[i] * C[i][%lld] over every input i\n"
                      "(the coloured entries of the row: the taps that land on output %lld)",
                      static_cast<long long>(a), m.output[static_cast<size_t>(a)], static_cast<long long>(a),
                      static_cast<long long>(a), static_cast<long long>(a));
  }
}

void conv_block(TeachViewsUiState& ui, const TransposeMatrix1d& m, float cell, double extent, Lit lit) {
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const ImVec2 at = ImGui::GetCursorScreenPos();
  const ImVec2 grid(at.x, at.y + label_height());
  const std::string label = "C (" + std::to_string(m.inputs) + "x" + std::to_string(m.outputs) +
                            "): the conv1d from O values back to I";
  draw->AddText(at, ImGui::GetColorU32(ImGuiCol_Text), label.c_str());
  draw_matrix(draw, m, grid, cell, false, extent);
  if (lit.i >= 0 && lit.o >= 0) outline(draw, grid, cell, lit.i, lit.o);
  else if (lit.i >= 0) outline(draw, grid, cell, lit.i, 0, 1, m.outputs);  // an input: its row
  else if (lit.o >= 0) outline(draw, grid, cell, 0, lit.o, m.inputs, 1);   // an output: its column
  ImGui::Dummy(conv_block_size(m, cell));
  int64_t a = 0, b = 0;
  if (hovered_cell(grid, cell, m.inputs, m.outputs, a, b)) {
    ui.matrix_hover_i = a, ui.matrix_hover_o = b;
    entry_tooltip(m, a, b);
  }
}

// Cell sizes: C^T's fits the pane's height (it has O rows); C, only I rows tall, gets larger cells where the width
// allows, leaving room below it for the explanation. A chosen size applies to both, and they scroll.
struct Cells {
  float transposed = 8, conv = 8;
};

Cells fitted_cells(const TransposeMatrix1d& m, int chosen, ImVec2 avail) {
  if (chosen > 0) return {static_cast<float>(chosen), static_cast<float>(chosen)};
  const float scrollbar = ImGui::GetStyle().ScrollbarSize;
  Cells cells;
  const float by_height = (avail.y - label_height() - scrollbar) / static_cast<float>(m.outputs);
  const float by_width = (avail.x * 0.4f - column_gap() * 2.5f) / static_cast<float>(m.inputs + 2);
  cells.transposed = std::clamp(std::floor(std::min(by_height, by_width)), 4.0f, 48.0f);
  const float right = avail.x - transposed_block_size(m, cells.transposed).x - ImGui::GetStyle().ItemSpacing.x * 2;
  const float text = ImGui::GetTextLineHeightWithSpacing() * 6;
  const float conv_by_height = (avail.y - label_height() - text) / static_cast<float>(m.inputs);
  cells.conv = std::clamp(std::floor(std::min(right / static_cast<float>(m.outputs), conv_by_height)), cells.transposed, 48.0f);
  return cells;
}

}  // namespace

void draw_matrix_panel(PanelContext& context) {
  const ComputeResult* result = context.model.result();
  if (!result) return;
  const ComputeResult& r = *result;
  const ViewSettings& view = context.model.state().view;
  TeachViewsUiState& ui = context.ui.teach;
  controls(context, r);
  const int64_t row = matrix_input_row(r, view.matrix_row), kernel_row = matrix_kernel_row(r, view.matrix_kernel_row);
  const auto product = context.model.analyses().matrix(r, view.matrix_row, view.matrix_kernel_row, view.matrix_inputs);
  if (!product_ready(product, "computing the matrix...", "No matrix for this row")) return;
  const TransposeMatrix1d& m = *product.value;
  const Lit lit{ui.matrix_hover_i < m.inputs ? ui.matrix_hover_i : -1, ui.matrix_hover_o < m.outputs ? ui.matrix_hover_o : -1};
  const double extent = extent_of(m.kernel);  // C's entries are kernel values: one scale for both
  kernel_strip(m, lit.tap(m), extent);

  // [C^T] [x] = [out] on the left, the pane's height; C on the right, the explanation under it.
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const Cells cells = fitted_cells(m, ui.matrix_cell, avail);
  const float scrollbar = ImGui::GetStyle().ScrollbarSize;
  ui.matrix_hover_i = ui.matrix_hover_o = -1;
  const ImVec2 left = transposed_block_size(m, cells.transposed);
  if (ImGui::BeginChild("##matrix_transposed", ImVec2(std::min(left.x + scrollbar, avail.x * 0.5f), 0), false,
                        ImGuiWindowFlags_HorizontalScrollbar))
    transposed_block(ui, m, row, cells.transposed, extent, lit);
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginGroup();
  const ImVec2 right = ImGui::GetContentRegionAvail();
  const ImVec2 conv = conv_block_size(m, cells.conv);
  const float conv_height = std::min(conv.y + (conv.x > right.x ? scrollbar : 0.0f) + 4, right.y * 0.75f);
  if (ImGui::BeginChild("##matrix_conv", ImVec2(0, conv_height), false, ImGuiWindowFlags_HorizontalScrollbar))
    conv_block(ui, m, cells.conv, extent, lit);
  ImGui::EndChild();
  if (ImGui::BeginChild("##matrix_text", ImVec2(0, 0))) explanation(r, m, row, kernel_row, cells.conv);
  ImGui::EndChild();
  ImGui::EndGroup();
}

}  // namespace convt::lab::ui
