#include "train_keys.h"

#include "state_keys.h"

#include <convt/error.h>

namespace convt::lab {
namespace {

#define FIELD(member) [](auto& s) -> auto& { return s.train.member; }

constexpr const char* kPanel = "Train";
constexpr const char* kInitNames[] = {"kaiming", "icnr", "bilinear", "file"};
// InterpolateMode's names, in its order (nearest, bilinear): the same words the comparison uses.
std::span<const char* const> resize_names() { return comparison_resize_names(); }

// train.N.model, train.N.kernel, train.N.init for contender N (1-based).
SettingTable<LabState> contender_settings(size_t index) {
  const std::string prefix = "train." + std::to_string(index + 1) + ".";
  const std::string which = "contender " + std::to_string(index + 1) + "'s ";
  Setting<LabState> model = choice_setting<LabState>(
      prefix + "model", [index](auto& s) -> auto& { return s.train.setup.contender[index].model; },
      upsampler_kind_names(), kPanel, which + "upsampling layer (deconv: a transposed convolution)");
  Setting<LabState> kernel = int_setting<LabState>(
      prefix + "kernel", [index](auto& s) -> auto& { return s.train.setup.contender[index].kernel; }, 1,
      kMaxTrainKernel, kPanel, which + "kernel size k (odd for resize-conv and subpixel)");
  Setting<LabState> init = text_setting<LabState>(
      prefix + "init", [index](auto& s) -> auto& { return s.train.setup.contender[index].init; },
      "kaiming|icnr|bilinear|FILE.safetensors", kPanel, which + "initial weights");
  // A misspelt init is refused here, naming the key, rather than when the trainers are built.
  init.set = [index](LabState& s, const SettingValue& value) {
    const std::string& text = std::get<std::string>(value);
    parse_init(text, 0);
    s.train.setup.contender[index].init = text;
  };
  return {model, kernel, init};
}

SettingTable<LabState> make_table() {
  using T = LabState;
  SettingTable<T> t = {
      bool_setting<T>("train.enabled", FIELD(enabled), kPanel,
                      "shows the Train lab (learnable upsampling trained live) instead of the layer explorer"),
      bool_setting<T>("train.play", FIELD(playing), kPanel, "trains continuously (false: paused)"),
      int_setting<T>("train.steps", FIELD(steps), 0, 100000, kPanel,
                     "runs N training steps at start; --screenshot waits until they are done and shown"),
      text_setting<T>("train.image", FIELD(setup.image), "NAME|PATH|input", kPanel,
                      "the image to learn: a sample's name (assets/samples), an image file, or input (the app's "
                      "current input)"),
      pair_setting<T>("train.crop", FIELD(setup.crop_size), "S", 0, kSettingMax, kPanel,
                      "the target crop's height and width, multiples of the factor; 0 takes the whole image"),
      pair_setting<T>("train.crop_at", FIELD(setup.crop_at), "Y", -1, kSettingMax, kPanel,
                      "the crop's top-left row and column; -1 centres it"),
      int_setting<T>("train.factor", FIELD(setup.factor), 2, kMaxTrainFactor, kPanel,
                     "the upsampling factor f: the input is the target averaged over f x f blocks"),
      choice_setting<T>("train.color", FIELD(setup.color), train_color_names(), kPanel,
                        "grey (0.299 R + 0.587 G + 0.114 B) or rgb"),
      int_setting<T>("train.hidden", FIELD(setup.hidden), 0, kMaxTrainHidden, kPanel,
                     "the feature layer's width (a 3x3 conv and ReLU before the upsampling layer); 0: none"),
      choice_setting<T>("train.resize", FIELD(setup.resize), resize_names(), kPanel,
                        "how resize-conv contenders resize before their convolution"),
      choice_setting<T>("train.loss", FIELD(setup.loss), loss_names(), kPanel, "mse (mean squared error) or l1 (mean absolute error)"),
      choice_setting<T>("train.optimizer", FIELD(setup.optimizer), optimizer_names(), kPanel,
                        "sgd (with momentum) or adam (betas 0.9, 0.999)"),
      float_setting<T>("train.lr", FIELD(setup.learning_rate), 1e-6, 10, kPanel, "the learning rate"),
      float_setting<T>("train.momentum", FIELD(setup.momentum), 0, 0.999, kPanel, "SGD's momentum"),
      seed_setting<T>("train.seed", FIELD(setup.seed), kPanel, "the seed of the initial weights"),
      int_setting<T>("train.contenders", FIELD(setup.contenders), 1, kMaxContenders, kPanel,
                     "how many contenders train side by side"),
  };
  find_setting(t, "train.steps")->info.stored = false;  // an action, like stack.append
  find_setting(t, "train.play")->info.stored = false;   // a workspace opens paused, as the app starts
  find_setting(t, "train.color")->info.aliases = {{"gray", "grey"}};
  for (size_t i = 0; i < kMaxContenders; ++i) {
    const SettingTable<T> more = contender_settings(i);
    t.insert(t.end(), more.begin(), more.end());
  }
  return t;
}

#undef FIELD

}  // namespace

const SettingTable<LabState>& train_settings() {
  static const SettingTable<LabState> table = make_table();
  return table;
}

std::vector<std::string> train_setting_keys() { return setting_help_lines(train_settings()); }

std::string train_settings_markdown() { return convt::settings_markdown(train_settings()); }

std::span<const char* const> train_init_names() { return kInitNames; }

}  // namespace convt::lab
