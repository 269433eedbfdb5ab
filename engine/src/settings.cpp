// The engine's settings, each declared once: the input (input.*) and one layer (layer.*), and where the layers run.
#include <convt/backend.h>
#include <convt/io.h>
#include <convt/settings_schema.h>

namespace convt {

std::span<const char* const> input_kind_names() {
  static constexpr const char* names[] = {"pattern", "random", "image"};
  return names;
}

std::span<const char* const> distribution_names() {
  static constexpr const char* names[] = {"normal", "uniform"};
  return names;
}

namespace {

#define FIELD(member) [](auto& s) -> auto& { return s.member; }

constexpr const char* kWeightSources[] = {"init", "file"};  // WeightSource::from_file false, true

// layer.weight, the command line's shortcut: an initialiser's name, a .npy, a .safetensors (its tensor chosen
// later) or FILE.safetensors:NAME.
Setting<LayerSettings> weight_shortcut() {
  std::string initialisers;
  for (const char* name : weight_init_names()) initialisers += (initialisers.empty() ? "" : "|") + std::string(name);
  Setting<LayerSettings> s = text_setting<LayerSettings>(
      "layer.weight", FIELD(weight.path), initialisers + ", W.npy, M.safetensors or M.safetensors:NAME", "Layer",
      "the weight: an initialiser, or a file (sets layer.weight_source, layer.init, layer.weight_file, "
      "layer.weight_tensor)");
  s.info.stored = false;
  s.get = [](const LayerSettings& l) {
    const WeightSource& w = l.weight;
    if (!w.from_file) return SettingValue(std::string(to_string(w.init)));
    return SettingValue(w.tensor_name.empty() ? w.path : w.path + ":" + w.tensor_name);
  };
  s.set = [](LayerSettings& l, const SettingValue& value) {
    const std::string& text = std::get<std::string>(value);
    const auto model_tensor = split_safetensors_spec(text);
    const bool is_npy = text.size() > 4 && text.substr(text.size() - 4) == ".npy";
    const bool is_model = is_safetensors_path(text);  // the tensor is chosen later
    if (model_tensor) {
      l.weight.path = model_tensor->first;
      l.weight.tensor_name = model_tensor->second;
    } else if (is_npy || is_model) {
      l.weight.path = text;
      l.weight.tensor_name.clear();
    } else {
      l.weight.init = parse_weight_init(text);  // throws before anything changes
    }
    l.weight.from_file = model_tensor || is_npy || is_model;
  };
  return s;
}

}  // namespace

const SettingTable<InputSettings>& input_settings() {
  using T = InputSettings;
  static const SettingTable<T> table = [] {
    SettingTable<T> t = {
        choice_setting<T>("input.kind", FIELD(kind), input_kind_names(), "Input",
                          "where the input comes from: a built-in pattern, a random tensor or an image file"),
        choice_setting<T>("input.pattern", FIELD(pattern), pattern_names(), "Input", "the built-in pattern"),
        int_setting<T>("input.pattern_channels", FIELD(pattern_channels), 1, kSettingMax, "Input", "channels of the pattern"),
        int_setting<T>("input.pattern_size", FIELD(pattern_size), 1, kSettingMax, "Input", "height and width of the pattern"),
        int_setting<T>("input.batch", FIELD(batch), 1, kSettingMax, "Input", "N of the random tensor"),
        int_setting<T>("input.channels", FIELD(channels), 1, kSettingMax, "Input", "C of the random tensor"),
        int_setting<T>("input.height", FIELD(height), 1, kSettingMax, "Input", "H of the random tensor"),
        int_setting<T>("input.width", FIELD(width), 1, kSettingMax, "Input", "W of the random tensor"),
        choice_setting<T>("input.distribution", FIELD(distribution), distribution_names(), "Input",
                          "values of the random tensor: N(0, 1) or U(-1, 1)"),
        seed_setting<T>("input.seed", FIELD(seed), "Input", "seed of the random tensor"),
        text_setting<T>("input.image", FIELD(image_path), "PATH", "Input",
                        "the image file (PNG, JPEG, BMP, TGA); on the command line it also sets input.kind=image"),
        bool_setting<T>("input.resize", FIELD(resize_image), "Input",
                        "resize the image so that its longer side is input.working_size"),
        int_setting<T>("input.working_size", FIELD(working_size), 1, kSettingMax, "Input",
                       "the image's longer side after resizing"),
    };
    find_setting(t, "input.image")->also_on_command_line = [](T& input) { input.kind = InputKind::Image; };
    return t;
  }();
  return table;
}

const SettingTable<LayerSettings>& layer_settings() {
  using T = LayerSettings;
  static const SettingTable<T> table = {
      int_setting<T>("layer.out_channels", FIELD(out_channels), 1, kSettingMax, "Layer",
                     "C_out, the output channels (divisible by groups)"),
      pair_setting<T>("layer.kernel", FIELD(kernel), "K", 1, kSettingMax, "Layer", "kernel size"),
      pair_setting<T>("layer.stride", FIELD(params.stride), "S", 1, kSettingMax, "Layer",
                      "stride: the step between the input pixels' stamps in the output"),
      pair_setting<T>("layer.padding", FIELD(params.padding), "P", 0, kSettingMax, "Layer",
                      "padding: the rows and columns removed from each side of the full output"),
      pair_setting<T>("layer.output_padding", FIELD(params.output_padding), "OP", 0, kSettingMax, "Layer",
                      "extra rows and columns on one side of the output (smaller than the stride or the dilation)"),
      pair_setting<T>("layer.dilation", FIELD(params.dilation), "D", 1, kSettingMax, "Layer",
                      "spacing between the kernel's taps"),
      int_setting<T>("layer.groups", FIELD(params.groups), 1, kSettingMax, "Layer",
                     "groups: C_in and C_out split into this many independent groups"),
      bool_setting<T>("layer.bias", FIELD(bias), "Layer",
                      "add a bias: the weight file's NAME.bias when there is one, else PyTorch's default init"),
      weight_shortcut(),
      choice_setting<T>("layer.weight_source", FIELD(weight.from_file), kWeightSources, "Layer",
                        "where the weight comes from: an initialiser (layer.init) or a file (layer.weight_file)"),
      choice_setting<T>("layer.init", FIELD(weight.init), weight_init_names(), "Layer",
                        "the weight initialiser; kaiming is PyTorch's default"),
      text_setting<T>("layer.weight_file", FIELD(weight.path), "PATH", "Layer",
                      "the weight's file: a .npy [C_in, C_out/groups, kH, kW], or a model's .safetensors"),
      text_setting<T>("layer.weight_tensor", FIELD(weight.tensor_name), "NAME", "Layer",
                      "the tensor of a .safetensors weight file"),
      float_setting<T>("layer.constant", FIELD(weight.constant), -std::numeric_limits<float>::max(),
                       std::numeric_limits<float>::max(), "Layer", "the value of the constant initialiser"),
      seed_setting<T>("layer.seed", FIELD(weight.seed), "Layer", "seed of the random initialisers (the bias uses seed+1)"),
      choice_setting<T>("layer.activation", FIELD(activation), activation_names(), "Layer",
                        "applied to this layer's output, before the next layer (leaky_relu: slope 0.01)"),
  };
  return table;
}

const SettingTable<std::string>& backend_settings() {
  static const SettingTable<std::string> table = [] {
    Setting<std::string> s;
    s.info = setting_info("layer.backend", SettingType::Choice, "Layer",
                          "where the layers run: auto is cuda when a GPU answers, else cpu; cuda-tf32 only when named");
    s.info.choices = backend_choices();
    s.get = [](const std::string& backend) { return SettingValue(backend); };
    s.set = [](std::string& backend, const SettingValue& value) { backend = std::get<std::string>(value); };
    return SettingTable<std::string>{s};
  }();
  return table;
}

#undef FIELD

}  // namespace convt
