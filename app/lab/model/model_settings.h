// What the Model panel looks at: an ONNX file, which of its ConvTranspose nodes every panel shows, and what the
// model runs on. Each field is declared once more as a model.* setting (model_keys.h). No ImGui here.
#pragma once

#include <cstdint>
#include <string>

namespace convt::lab {

// model.input's word for a seeded U(-1, 1) feed of each graph input's declared shape (onnx::random_feeds).
inline constexpr const char* kRandomModelInput = "random";

struct ModelSettings {
  std::string path;  // the .onnx file; empty: no model
  // The ConvTranspose node the panels show (its real input activation, weights and bias); empty: the explorer's
  // own layers, with the model still listed in the Model panel.
  std::string node;
  // "random", or files for the graph inputs in their order, separated by commas: .npy, .pb (a TensorProto) or an
  // image (PNG, JPEG, BMP, TGA; resized to a fixed declared height and width). Inputs without a file (or with the
  // word random in their place) are random.
  std::string input = kRandomModelInput;
  uint64_t seed = 0;  // of the random feeds, and of a node's random input when the model cannot run up to it
  bool operator==(const ModelSettings&) const = default;

  // The panels show a node of the model (rather than the explorer's layers).
  bool node_shown() const { return !path.empty() && !node.empty(); }
};

}  // namespace convt::lab
