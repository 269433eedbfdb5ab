// The Train lab's left column: play, pause, step and reset with the speed; the data (image, crop, factor, colour)
// with the target and the input the models see; the contenders (model, kernel, init); the loss and the optimiser.
// Every control edits state().train.setup; the model rebuilds the trainers when it changes.
#include "panels.h"
#include "train_views.h"
#include "widgets.h"

#include "../model/train_keys.h"

#include <imgui_stdlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace convt::lab::ui {
namespace {

void section(const char* title) {
  ImGui::Spacing();
  ImGui::TextDisabled("%s", title);
  ImGui::Separator();
}

void controls(PanelContext& context, const TrainSnapshot* shown) {
  TrainSettings& train = context.model.state().train;
  TrainSession* session = context.model.training();
  const float width = ImGui::GetFontSize() * 4.2f;
  if (ImGui::Button(train.playing ? "Pause" : "Play", ImVec2(width, 0))) train.playing = !train.playing;
  ImGui::SameLine();
  if (ImGui::Button("Step", ImVec2(width, 0)) && session) train.steps += 1;
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("one optimiser step for every contender");
  ImGui::SameLine();
  if (ImGui::Button("10 steps", ImVec2(width, 0)) && session) train.steps += 10;
  ImGui::SameLine();
  if (ImGui::Button("Reset", ImVec2(width, 0)) && session) session->reset();
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("every contender back to its initial weights (the same seed), step 0");
  if (!shown) {
    ImGui::TextDisabled("starting...");
    return;
  }
  ImGui::Text("step %lld", static_cast<long long>(shown->steps));
  ImGui::SameLine();
  ImGui::TextDisabled(train.playing ? "   running" : "   paused");
  if (shown->steps_per_second > 0) ImGui::Text("%.1f steps per second", shown->steps_per_second);
  else ImGui::TextDisabled("steps per second: not measured yet");
  help_marker("A step is one full-batch optimiser update of every contender: forward pass, loss, backward pass, "
              "update. The speed counts steps of all contenders together per second of wall time.");
  if (shown->preparing) ImGui::TextDisabled("building the contenders...");
}

void image_choice(PanelContext& context) {
  TrainSetup& setup = context.model.state().train.setup;
  TrainPanelState& ui = context.ui.train;
  const std::string samples = (std::filesystem::path(CONVT_ASSETS_DIR) / "samples").string();
  const auto listing = context.model.analyses().directory(samples, {".png"}, 0);
  ImGui::TextUnformatted("image");
  if (listing.value) {
    for (const std::string& file : listing.value->files) {
      const std::string name = std::filesystem::path(file).stem().string();
      const float width = ImGui::CalcTextSize(name.c_str()).x + ImGui::GetStyle().FramePadding.x * 2;
      ImGui::SameLine();
      if (ImGui::GetContentRegionAvail().x < width) ImGui::NewLine();
      ImGui::PushStyleColor(ImGuiCol_Button, setup.image == name ? ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive)
                                                                 : ImGui::GetStyleColorVec4(ImGuiCol_Button));
      if (ImGui::SmallButton(name.c_str())) setup.image = name;
      ImGui::PopStyleColor();
    }
  }
  ImGui::SameLine();
  if (ImGui::GetContentRegionAvail().x < ImGui::CalcTextSize("the app's input").x + 12) ImGui::NewLine();
  if (ImGui::SmallButton("the app's input")) setup.image = "input";
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("the layer explorer's current input (one image, [1, C, H, W])");
  if (ui.image_path_text.empty() && setup.image.find('/') != std::string::npos) ui.image_path_text = setup.image;
  ImGui::SetNextItemWidth(-ImGui::GetFontSize() * 7.5f);
  if (ImGui::InputTextWithHint("##train_image", "an image file", &ui.image_path_text, ImGuiInputTextFlags_EnterReturnsTrue))
    setup.image = ui.image_path_text;
  ImGui::SameLine();
  if (ImGui::Button("Load")) setup.image = ui.image_path_text;
  ImGui::SameLine();
  if (ImGui::Button("Browse")) context.ui.browser.request = BrowseTarget::TrainImage;
}

void data_controls(PanelContext& context, const TrainSnapshot* shown) {
  TrainSetup& setup = context.model.state().train.setup;
  TrainPanelState& ui = context.ui.train;
  image_choice(context);
  pair_input("crop size", setup.crop_size, ui.link_crop_size, 0, false,
             "The target: this crop of the image (height, width), a multiple of the factor. 0 takes the whole image.");
  pair_input("crop corner", setup.crop_at, ui.link_crop_at, -1, false,
             "The crop's top-left row and column in the image; -1 centres it.");
  ImGui::TextUnformatted("factor");
  for (int64_t f = 2; f <= kMaxTrainFactor; ++f) {
    ImGui::SameLine();
    if (ImGui::RadioButton(std::to_string(f).c_str(), setup.factor == f) && setup.factor != f) {
      setup.factor = f;
      // Keep the crop a multiple of the factor (the rule the data must meet), rounding down.
      if (setup.crop_size.h > 0) setup.crop_size.h = std::max<int64_t>(f, setup.crop_size.h / f * f);
      if (setup.crop_size.w > 0) setup.crop_size.w = std::max<int64_t>(f, setup.crop_size.w / f * f);
    }
  }
  help_marker("The upsampling factor f. The input is the target averaged over f x f blocks; each model learns to "
              "undo that, producing f x f output pixels per input pixel.");
  ImGui::TextUnformatted("colour");
  ImGui::SameLine();
  enum_radio(setup.color, train_color_names());

  if (!shown || !shown->target) return;
  // The data the contenders learn from: what they are given, and what they should produce.
  const float column = (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x) / 2;
  const int64_t channels = shown->target->size(1);
  // Image values: one fixed range, 0 black and 1 white, so the two compare.
  PlaneSpec target(shown->target, 0, 0, channels == 3, Colormap::Grey);
  PlaneSpec input(shown->input, 0, 0, channels == 3, Colormap::Grey);
  target.fixed_range = input.fixed_range = ValueRange{0, 1};
  ImGui::BeginGroup();
  ImGui::Text("input %lldx%lld", static_cast<long long>(shown->input->size(2)), static_cast<long long>(shown->input->size(3)));
  train_image(context, "train.input", input, ImVec2(column, column), ui.input);
  ImGui::EndGroup();
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenBlockedByActiveItem))
    ImGui::SetTooltip("what every model is given: the target averaged over %lld x %lld blocks",
                      static_cast<long long>(shown->setup.factor), static_cast<long long>(shown->setup.factor));
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::Text("target %lldx%lld", static_cast<long long>(shown->target->size(2)), static_cast<long long>(shown->target->size(3)));
  train_image(context, "train.target", target, ImVec2(column, column), ui.target);
  ImGui::EndGroup();
}

void init_choice(PanelContext& context, size_t index) {
  ContenderSettings& contender = context.model.state().train.setup.contender[index];
  std::string& path_text = context.ui.train.init_path_text[index];
  const std::span<const char* const> names = train_init_names();
  int chosen = static_cast<int>(names.size()) - 1;  // a file
  for (size_t i = 0; i + 1 < names.size(); ++i)
    if (contender.init == names[i]) chosen = static_cast<int>(i);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
  if (ImGui::Combo("init", &chosen, names.data(), static_cast<int>(names.size()))) {
    if (chosen + 1 < static_cast<int>(names.size())) contender.init = names[static_cast<size_t>(chosen)];
    else contender.init = path_text.empty() ? "weights.safetensors" : path_text;
  }
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("kaiming: PyTorch's default; icnr: subpixel only, every phase starts equal; bilinear: deconv "
                      "only, kernel 2f - f mod 2; file: a .safetensors file with up.weight, up.bias (and features.*)");
  if (chosen + 1 == static_cast<int>(names.size())) {
    if (path_text.empty()) path_text = contender.init;
    ImGui::SetNextItemWidth(-1);
    if (ImGui::InputText("##init_path", &path_text, ImGuiInputTextFlags_EnterReturnsTrue)) contender.init = path_text;
  }
}

void contender_controls(PanelContext& context) {
  TrainSetup& setup = context.model.state().train.setup;
  ImGui::TextUnformatted("contenders");
  for (int64_t n = 1; n <= kMaxContenders; ++n) {
    ImGui::SameLine();
    if (ImGui::RadioButton((std::to_string(n) + "##count").c_str(), setup.contenders == n)) setup.contenders = n;
  }
  for (size_t i = 0; i < static_cast<size_t>(setup.contenders); ++i) {
    ContenderSettings& contender = setup.contender[i];
    ImGui::PushID(static_cast<int>(i));
    contender_swatch(i);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    enum_combo("##model", contender.model, upsampler_kind_names());
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("deconv: a transposed convolution with stride f\nresize-conv: resize by f, then a convolution\n"
                        "subpixel: a convolution to f x f channels, then pixel shuffle");
    ImGui::SameLine();
    ImGui::TextUnformatted("kernel");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5);
    int kernel = static_cast<int>(contender.kernel);
    if (ImGui::InputInt("##kernel", &kernel)) contender.kernel = std::clamp<int64_t>(kernel, 1, kMaxTrainKernel);
    ImGui::Indent(ImGui::GetFontSize() * 2);
    init_choice(context, i);
    ImGui::Unindent(ImGui::GetFontSize() * 2);
    ImGui::PopID();
  }
  int hidden = static_cast<int>(setup.hidden);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
  if (ImGui::InputInt("hidden width", &hidden)) setup.hidden = std::clamp<int64_t>(hidden, 0, kMaxTrainHidden);
  help_marker("Channels of the feature layer (a 3x3 convolution and ReLU) before the upsampling layer; 0 leaves it "
              "out, so the upsampling layer sees the input itself.");
  const bool any_resize = std::any_of(setup.contender.begin(), setup.contender.begin() + setup.contenders,
                                      [](const ContenderSettings& c) { return c.model == UpsamplerKind::ResizeConv; });
  if (any_resize) {
    ImGui::TextUnformatted("resize");
    ImGui::SameLine();
    enum_radio(setup.resize, comparison_resize_names());
  }
}

void optimiser_controls(PanelContext& context) {
  TrainSetup& setup = context.model.state().train.setup;
  ImGui::TextUnformatted("loss");
  ImGui::SameLine();
  enum_radio(setup.loss, loss_names());
  help_marker("mse: the mean squared error; l1: the mean absolute error, over every output pixel.");
  ImGui::TextUnformatted("optimiser");
  ImGui::SameLine();
  enum_radio(setup.optimizer, optimizer_names());
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
  ImGui::SliderFloat("learning rate", &setup.learning_rate, 1e-4f, 1.0f, "%.4g", ImGuiSliderFlags_Logarithmic);
  setup.learning_rate = std::clamp(setup.learning_rate, 1e-6f, 10.0f);
  if (setup.optimizer == OptimizerKind::Sgd) {
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
    ImGui::SliderFloat("momentum", &setup.momentum, 0.0f, 0.99f, "%.2f");
  }
  int64_t seed = static_cast<int64_t>(setup.seed);
  if (int_input("seed", seed, 0, INT64_MAX)) setup.seed = static_cast<uint64_t>(seed);
  help_marker("The seed of the initial weights: the same seed, the same run, step for step.");
}

}  // namespace

void draw_train_setup_panel(PanelContext& context) {
  TrainSession* session = context.model.training();
  const std::shared_ptr<const TrainSnapshot> shown = session ? session->snapshot() : nullptr;
  if (ImGui::Button("Back to the layer explorer")) context.model.state().train.enabled = false;
  ImGui::SameLine();
  help_marker("Learnable upsampling, trained live. Each contender learns to turn the input (the target averaged "
              "over f x f blocks) back into the target. Watch whether its output keeps a checkerboard: uneven "
              "kernel overlap (deconv with a kernel that is not a multiple of the stride) and random initial "
              "weights make one, training may or may not remove it (Odena et al. 2016; Aitken et al. 2017).");
  if (!context.ui.notice.empty() && context.time < context.ui.notice_until) ImGui::TextDisabled("%s", context.ui.notice.c_str());
  controls(context, shown.get());
  if (shown && !shown->error.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 120, 120, 255));
    ImGui::TextWrapped("%s", shown->error.c_str());
    ImGui::PopStyleColor();
  }
  section("Data");
  data_controls(context, shown.get());
  section("Contenders");
  contender_controls(context);
  section("Loss and optimiser");
  optimiser_controls(context);
}

}  // namespace convt::lab::ui
