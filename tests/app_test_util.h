// Helpers for the app model's tests: states written as `--set` assignments, and waiting for the model's products
// (analyses.h). A product is made on the worker unless it is small, so a test asks for it every "frame" (as a
// panel does) until it is made, with a bound so a hang fails the test.
#pragma once

#include "model/lab_model.h"
#include "model/state_keys.h"

#include <convt/error.h>

#include <initializer_list>
#include <string>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace convt::lab::app_testing {

// `state` with each "key=value" applied, as `convt-lab --set` does.
inline LabState with(LabState state, std::initializer_list<std::string> settings) {
  for (const std::string& setting : settings) apply_setting(setting, state);
  return state;
}

// Calls `ask` (which returns a ProductCache::Typed<T>) once per frame until its value or error is there.
template <typename Ask>
auto made(LabModel& model, Ask ask, double timeout_seconds = 60) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  for (;;) {
    auto product = ask();
    if (product.value || !product.error.empty()) return product;
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "the product was not made in " << timeout_seconds << " s";
      return product;
    }
    model.update();  // the next frame
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// The message of a --set assignment the schema refuses; a refused value must leave the state untouched.
inline std::string refusal(const std::string& assignment) {
  LabState state;
  try {
    apply_setting(assignment, state);
  } catch (const Error& e) {
    EXPECT_EQ(state, LabState()) << "a refused value changes nothing";
    return e.what();
  }
  ADD_FAILURE() << assignment << " was accepted";
  return "";
}

// The README's text between the line `begin` (which ends in a newline) and the line `end`: where a generated
// settings table lives. Empty, with a failure naming the missing line, when either is not there.
inline std::string readme_between(const std::string& begin, const std::string& end) {
  std::ifstream file(std::filesystem::path(CONVT_GOLDEN_DIR).parent_path().parent_path() / "README.md");
  std::stringstream text;
  text << file.rdbuf();
  const std::string readme = text.str();
  const size_t from = readme.find(begin), to = readme.find(end);
  if (from == std::string::npos) ADD_FAILURE() << "README.md lacks the line " << begin;
  if (to == std::string::npos) ADD_FAILURE() << "README.md lacks the line " << end;
  if (from == std::string::npos || to == std::string::npos) return "";
  return readme.substr(from + begin.size(), to - from - begin.size());
}

}  // namespace convt::lab::app_testing
