// Reading the PyTorch goldens (tests/golden/manifest.json and tests/golden/data/*.npy) for the golden tests.
#pragma once

#include <convt/io.h>
#include <convt/params.h>
#include <convt/tensor.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace convt::golden {

using nlohmann::json;

inline const std::string kGoldenDir = CONVT_GOLDEN_DIR;

inline const json& manifest() {
  static const json parsed = [] {
    std::ifstream in(kGoldenDir + "/manifest.json");
    if (!in) throw std::runtime_error("cannot open " + kGoldenDir + "/manifest.json");
    return json::parse(in);
  }();
  return parsed;
}

// One manifest entry; printed by its name so test listings stay readable.
struct GoldenCase {
  json entry;
  friend void PrintTo(const GoldenCase& c, std::ostream* out) { *out << c.entry.at("name").get<std::string>(); }
};

inline std::vector<GoldenCase> cases(const char* op) {
  std::vector<GoldenCase> result;
  for (const json& entry : manifest().at(op)) result.push_back({entry});
  return result;
}

inline Tensor load(const json& entry, const char* key) {
  return read_npy(kGoldenDir + "/data/" + entry.at(key).get<std::string>());
}

inline IntPair pair(const json& entry, const char* key) {
  return {entry.at(key)[0].get<int64_t>(), entry.at(key)[1].get<int64_t>()};
}

// A case's conv_transpose2d or conv2d parameters.
inline ConvTranspose2dParams transposed_params(const json& entry) {
  return {pair(entry, "stride"), pair(entry, "padding"), pair(entry, "output_padding"), pair(entry, "dilation"),
          entry.at("groups").get<int64_t>()};
}

inline Conv2dParams conv2d_params(const json& entry) {
  return {pair(entry, "stride"), pair(entry, "padding"), pair(entry, "dilation"), entry.at("groups").get<int64_t>()};
}

inline std::string case_name(const ::testing::TestParamInfo<GoldenCase>& info) {
  return info.param.entry.at("name").get<std::string>();
}

}  // namespace convt::golden
