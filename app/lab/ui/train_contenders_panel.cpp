// The Train lab's contenders, side by side on the same data: each one's name (and the PyTorch module it equals),
// its output size with the formula, loss, PSNR and artifact score, then its output, the mean of each output phase,
// its upsampling kernel per phase, its difference from the target, and the gradient of the loss with respect to the
// input image.
#include "panels.h"
#include "train_views.h"
#include "widgets.h"

#include <convt/shape.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace convt::lab::ui {
namespace {

const char* kPhaseHelp =
    "The output's mean over the pixels of each phase (row mod f, column mod f), in the interior. Equal means: no "
    "checkerboard. The artifact score is the share of the output's variance that these differences explain.";
const char* kKernelHelp =
    "The upsampling layer's weights (from input channel 0 to output channel 0) grouped by the output phase they "
    "reach, all on one colour scale (red positive, blue negative). deconv: the taps that land on each phase; with a "
    "kernel that is not a multiple of f the phases get different numbers of taps, which is the uneven overlap. "
    "subpixel: each phase's own sub-filter (ICNR starts them equal). resize-conv: one kernel serves every phase.";
const char* kGradientHelp =
    "d loss / d input: how each input pixel should change to lower the loss, i.e. where the model still errs, seen "
    "from its input. It flows back through the upsampling layer's adjoint, a strided convolution in which every "
    "input pixel collects all k x k taps, so its artifact score (phase = input row and column mod f) stays near 0. "
    "Distill's gradient checkerboard (Odena et al. 2016) is the other direction: a strided convolution in the "
    "forward pass, such as a GAN's discriminator, sends back its adjoint, a transposed convolution, with its uneven "
    "overlap.";

// "output size (64-1)*2 - 2*1 + 1*(3-1) + 1 + 1 = 128" for a deconv; f*h for the others, whose convolutions keep the
// size (padding (k-1)/2).
void output_size(const ContenderSnapshot& c, const Shape& input) {
  const int64_t h = input[2], w = input[3], f = c.spec.factor, k = c.spec.kernel;
  const Shape out = model_output_shape(c.spec, input);
  std::string text, help;
  if (c.spec.kind == UpsamplerKind::Deconv) {
    const ConvTranspose2dParams p = deconv_params(k, f);
    text = transposed_axis_size(h, k, f, p.padding.h, p.output_padding.h, 1).formula();
    if (w != h) text += ",  " + transposed_axis_size(w, k, f, p.padding.w, p.output_padding.w, 1).formula();
    help = std::string("conv_transpose2d: o = ") + TransposedAxisSize::symbolic() + ", with stride s = f = " +
           std::to_string(f) + ", padding p = max(0, ceil((k - f) / 2)) = " + std::to_string(p.padding.h) +
           " and output_padding op = f + 2p - k = " + std::to_string(p.output_padding.h) + ": exactly f times the input.";
  } else {
    text = std::to_string(f) + "*" + std::to_string(h) + " = " + std::to_string(out[2]);
    if (w != h) text += ",  " + std::to_string(f) + "*" + std::to_string(w) + " = " + std::to_string(out[3]);
    help = c.spec.kind == UpsamplerKind::Subpixel
               ? "A " + std::to_string(k) + "x" + std::to_string(k) + " convolution with padding " +
                     std::to_string((k - 1) / 2) + " keeps the size and makes f*f channels per output channel; "
                     "pixel_shuffle(f) turns them into an f times larger image."
               : "interpolate(scale_factor=f) makes the image f times larger; the " + std::to_string(k) + "x" +
                     std::to_string(k) + " convolution after it, with padding " + std::to_string((k - 1) / 2) +
                     ", keeps that size.";
  }
  ImGui::TextDisabled("output size");
  ImGui::SameLine();
  ImGui::TextUnformatted(text.c_str());
  help_marker(help.c_str());
}

// The f x f mean map, each cell in the grey of its mean, with the value printed when it fits.
void phase_means(const ContenderSnapshot& c, float width) {
  const std::vector<double>& means = c.view->score.phase_means;
  const int64_t f = c.spec.factor;
  ImGui::TextUnformatted("mean per phase");
  help_marker(kPhaseHelp);
  if (static_cast<int64_t>(means.size()) != f * f) {
    ImGui::TextDisabled("not measured");
    return;
  }
  const float cell = std::floor(std::min(width / static_cast<float>(f), ImGui::GetFontSize() * 3.4f));
  const bool numbers = cell >= ImGui::CalcTextSize("0.000").x + 4;
  const ImVec2 start = ImGui::GetCursorScreenPos();
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  for (int64_t r = 0; r < f; ++r)
    for (int64_t q = 0; q < f; ++q) {
      const double mean = means[static_cast<size_t>(r * f + q)];
      const float grey = std::clamp(static_cast<float>(mean), 0.0f, 1.0f);
      const ImVec2 lo(start.x + q * cell, start.y + r * cell), hi(lo.x + cell - 1, lo.y + cell - 1);
      const auto level = static_cast<int>(grey * 255);
      draw->AddRectFilled(lo, hi, IM_COL32(level, level, level, 255));
      if (numbers) {
        char text[16];
        std::snprintf(text, sizeof text, "%.3f", mean);
        const ImVec2 size = ImGui::CalcTextSize(text);
        draw->AddText(ImVec2(lo.x + (cell - size.x) / 2, lo.y + (cell - size.y) / 2),
                      grey > 0.5f ? IM_COL32(0, 0, 0, 255) : IM_COL32(255, 255, 255, 255), text);
      }
      if (mouse.x >= lo.x && mouse.x < hi.x && mouse.y >= lo.y && mouse.y < hi.y && ImGui::IsWindowHovered())
        ImGui::SetTooltip("phase (%lld, %lld): mean %.5f", static_cast<long long>(r), static_cast<long long>(q), mean);
    }
  ImGui::Dummy(ImVec2(cell * f, cell * f));
}

// Each phase's taps as squares on one diverging scale, the phases laid out like the output's f x f block.
void kernel_phases(const ContenderSnapshot& c, float width) {
  const std::vector<Tensor>& phases = c.view->kernel_phases;
  ImGui::TextUnformatted(phases.size() == 1 ? "kernel (one for every phase)" : "kernel per phase");
  help_marker(kKernelHelp);
  if (phases.empty()) return;
  const int64_t columns = phases.size() == 1 ? 1 : c.spec.factor;
  const int64_t rows = (static_cast<int64_t>(phases.size()) + columns - 1) / columns;
  int64_t most_h = 1, most_w = 1;
  for (const Tensor& phase : phases) {
    most_h = std::max(most_h, phase.size(-2));
    most_w = std::max(most_w, phase.size(-1));
  }
  const float gap = 6;
  const float tap = std::clamp(std::floor((width - gap * (columns - 1)) / static_cast<float>(columns * most_w)), 3.0f, 18.0f);
  const float block_w = tap * most_w, block_h = tap * most_h;
  const ValueRange range = c.kernel_range;
  const ImVec2 start = ImGui::GetCursorScreenPos();
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  for (size_t i = 0; i < phases.size(); ++i) {
    const Tensor& phase = phases[i];
    const int64_t h = phase.size(-2), w = phase.size(-1);
    const int64_t r = static_cast<int64_t>(i) / columns, q = static_cast<int64_t>(i) % columns;
    // Centred in its block, so a phase with fewer taps looks smaller.
    const ImVec2 block(start.x + q * (block_w + gap), start.y + r * (block_h + gap));
    const ImVec2 origin(block.x + std::floor((most_w - w) * tap / 2), block.y + std::floor((most_h - h) * tap / 2));
    draw->AddRectFilled(block, ImVec2(block.x + block_w, block.y + block_h), IM_COL32(30, 30, 36, 255));
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        const float value = phase.data()[y * w + x];
        uint8_t rgb[3];
        colormap_rgb(Colormap::Diverging, (value - range.low) / (range.high - range.low), rgb);
        const ImVec2 lo(origin.x + x * tap, origin.y + y * tap), hi(lo.x + tap, lo.y + tap);
        draw->AddRectFilled(lo, hi, IM_COL32(rgb[0], rgb[1], rgb[2], 255));
        if (mouse.x >= lo.x && mouse.x < hi.x && mouse.y >= lo.y && mouse.y < hi.y && ImGui::IsWindowHovered())
          ImGui::SetTooltip("phase %zu, tap (%lld, %lld): %.4g", i, static_cast<long long>(y), static_cast<long long>(x), value);
      }
  }
  ImGui::Dummy(ImVec2(columns * block_w + (columns - 1) * gap, rows * block_h + (rows - 1) * gap));
  ImGui::TextDisabled("scale +-%.3g", range.high);
}

// As wide as the view, and wide enough for its two limits to print apart.
float bar_width(const PlaneImage& image) {
  return std::max(image.view.box_max.x - image.view.box_min.x, ImGui::CalcTextSize("-0.0000000 -0.0000000").x);
}

void stats(const ContenderSnapshot& c) {
  if (c.latest) {
    ImGui::Text("loss %.3e", c.latest->loss);
    ImGui::SameLine(0, ImGui::GetFontSize() * 1.2f);
    ImGui::Text("PSNR %.2f dB", c.latest->psnr);
    help_marker("loss: the chosen loss over every output pixel. PSNR: peak signal-to-noise ratio, 10 log10(1 / mean "
                "squared error) with peak 1; higher is closer to the target.");
  }
  if (c.latest && diverged(*c.latest)) return;  // the column says so below instead
  score_text("artifact score", c.view->score);
  help_marker("The share of the output's interior variance explained by the output phase (row mod f, column mod f), "
              "the number `convt analyze` reports: below 0.02 none, below 0.1 faint, else strong.");
}

void contender_column(PanelContext& context, const TrainSnapshot& shown, size_t index) {
  const ContenderSnapshot& c = shown.contenders[index];
  TrainPanelState::ContenderViews& views = context.ui.train.contenders[index];
  contender_swatch(index);
  ImGui::SameLine();
  ImGui::TextUnformatted(contender_name(c.settings).c_str());
  if (!c.pytorch.empty()) help_marker(("The PyTorch module it equals:\n\n" + c.pytorch).c_str());
  if (!c.error.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 120, 120, 255));
    ImGui::TextWrapped("%s", c.error.c_str());
    ImGui::PopStyleColor();
    return;
  }
  output_size(c, shown.input->shape());
  if (!c.view) {
    ImGui::TextDisabled("measuring...");
    return;
  }
  stats(c);
  if (c.latest && diverged(*c.latest)) {
    // Blown-up weights make every view below meaningless (and the score of a NaN output reads a reassuring 0).
    ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 120, 120, 255));
    ImGui::TextWrapped("Diverged at or before step %lld: the loss left any sensible range. Lower the learning rate "
                       "and press Reset.", static_cast<long long>(c.latest->step));
    ImGui::PopStyleColor();
    return;
  }

  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const float avail = ImGui::GetContentRegionAvail().x;
  const float line = ImGui::GetTextLineHeightWithSpacing();
  const float height = ImGui::GetContentRegionAvail().y;
  const float side = std::min(avail * 0.36f, ImGui::GetFontSize() * 9.0f);
  const int64_t channels = c.view->output.size(1);
  // The ids name the GL texture slots too: each contender needs its own.
  const std::string slot = "train." + std::to_string(index) + ".";

  ImGui::BeginGroup();
  ImGui::TextUnformatted(channels == 3 ? "output (the maps below: red)" : "output");
  PlaneSpec output(tensor_of(c.view, c.view->output), 0, 0, channels == 3, Colormap::Grey);
  output.fixed_range = ValueRange{0, 1};
  train_image(context, (slot + "output").c_str(), output, ImVec2(avail - side - spacing, height * 0.58f - line), views.output);
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  phase_means(c, side);
  kernel_phases(c, side);
  ImGui::EndGroup();

  // The difference and the gradient: one diverging scale each, symmetric about 0, with its range.
  const float half = (avail - spacing) / 2;
  const float lower = std::max(40.0f, ImGui::GetContentRegionAvail().y - 4 * line);
  ImGui::BeginGroup();
  ImGui::TextUnformatted("difference from the target");
  const PlaneImage difference = train_image(context, (slot + "difference").c_str(), {tensor_of(c.view, c.view->difference), 0, 0, false, Colormap::Diverging},
                                            ImVec2(half, lower), views.difference);
  colour_bar(Colormap::Diverging, difference.range.low, difference.range.high, bar_width(difference));
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::TextUnformatted("d loss / d input");
  help_marker(kGradientHelp);
  const PlaneImage gradient = train_image(context, (slot + "gradient").c_str(), {tensor_of(c.view, c.view->input_gradient), 0, 0, false, Colormap::Diverging},
                                          ImVec2(half, lower), views.gradient);
  colour_bar(Colormap::Diverging, gradient.range.low, gradient.range.high, bar_width(gradient));
  if (c.gradient_score) score_text("its artifact score", *c.gradient_score);
  ImGui::EndGroup();
}

}  // namespace

void draw_train_contenders_panel(PanelContext& context) {
  TrainSession* session = context.model.training();
  const std::shared_ptr<const TrainSnapshot> shown = session ? session->snapshot() : nullptr;
  if (!shown || (shown->contenders.empty() && shown->error.empty())) {
    ImGui::TextDisabled("building the contenders...");
    return;
  }
  if (!shown->error.empty()) {
    ImGui::TextWrapped("Nothing to train: %s", shown->error.c_str());
    return;
  }
  const int columns = static_cast<int>(shown->contenders.size());
  if (!ImGui::BeginTable("contenders", columns, ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingStretchSame)) return;
  ImGui::TableNextRow();
  for (int i = 0; i < columns; ++i) {
    ImGui::TableSetColumnIndex(i);
    ImGui::PushID(i);
    contender_column(context, *shown, static_cast<size_t>(i));
    ImGui::PopID();
  }
  ImGui::EndTable();
}

}  // namespace convt::lab::ui
