#include "model_keys.h"

#include <convt/error.h>

#include <algorithm>

namespace convt::lab {
namespace {

#define FIELD(member) [](auto& s) -> auto& { return s.model.member; }

constexpr const char* kPanel = "Model";

SettingTable<LabState> make_table() {
  using T = LabState;
  SettingTable<T> t = {
      text_setting<T>("model.path", FIELD(path), "FILE.onnx", kPanel,
                      "the ONNX model to inspect (read and run on the worker); empty closes it"),
      text_setting<T>("model.node", FIELD(node), "NAME", kPanel,
                      "the ConvTranspose node every panel shows, with its real input activation and weights; empty: "
                      "the explorer's own layers"),
      text_setting<T>("model.input", FIELD(input), "random|FILE[,FILE...]", kPanel,
                      "what the model runs on: random (U(-1, 1) of each input's declared shape), or a .npy, .pb or "
                      "image file per graph input, in order, comma-separated (random in a place, or no file, keeps "
                      "that input random)"),
      seed_setting<T>("model.seed", FIELD(seed), kPanel, "the seed of the random inputs"),
  };
  // A malformed list is refused at once, naming the key, rather than when the model runs.
  find_setting(t, "model.input")->set = [](LabState& s, const SettingValue& value) {
    const std::string& text = std::get<std::string>(value);
    model_input_files(text);
    s.model.input = text.empty() ? kRandomModelInput : text;
  };
  return t;
}

#undef FIELD

}  // namespace

const SettingTable<LabState>& model_settings() {
  static const SettingTable<LabState> table = make_table();
  return table;
}

std::vector<std::string> model_setting_keys() { return setting_help_lines(model_settings()); }

std::string model_settings_markdown() { return convt::settings_markdown(model_settings()); }

std::vector<std::string> model_input_files(const std::string& input) {
  if (input.empty() || input == kRandomModelInput) return {};
  std::vector<std::string> files;
  size_t start = 0;
  for (;;) {
    const size_t comma = input.find(',', start);
    const std::string part = input.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (part.empty())
      throw_invalid("model.input: expected random, or files separated by single commas, not '" + input + "'",
                    "model.input");
    files.push_back(part);
    if (comma == std::string::npos) return files;
    start = comma + 1;
  }
}

std::string with_model_input_file(const std::string& input, size_t index, size_t inputs, const std::string& file) {
  std::vector<std::string> files;
  try {
    files = model_input_files(input);
  } catch (const Error&) {
    files.clear();  // a malformed list is replaced
  }
  files.resize(std::max({files.size(), index + 1, size_t{1}}), kRandomModelInput);
  files[index] = file;
  // Trailing random inputs need no word: fewer files than inputs leaves the rest random.
  while (files.size() > 1 && files.back() == kRandomModelInput) files.pop_back();
  if (files.size() > std::max<size_t>(inputs, 1)) files.resize(std::max<size_t>(inputs, 1));
  std::string text;
  for (const std::string& part : files) text += (text.empty() ? "" : ",") + part;
  return text;
}

}  // namespace convt::lab
