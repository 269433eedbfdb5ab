// A sandbox for running the built `convt` binary end to end: its own work directory, captured streams,
// and helpers for the error contract (one `error:` line, documented exit code).
#pragma once

#include "test_util.h"
#include <convt/backend.h>
#include <convt/io.h>
#include <convt/ops.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace convt::cli_testing {

namespace fs = std::filesystem;

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The CLI runs in work/ (so relative paths stay short and any stray file it leaves shows up there); its streams
// are captured in io/, outside work/, so they never count as files the CLI wrote.
class CliSandbox {
 public:
  CliSandbox() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() /
            ("convt-cli-" + std::to_string(::getpid()) + "-" + info->test_suite_name() + "-" + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "work");
    fs::create_directories(root_ / "io");
  }
  ~CliSandbox() {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }
  CliSandbox(const CliSandbox&) = delete;
  CliSandbox& operator=(const CliSandbox&) = delete;

  fs::path work() const { return root_ / "work"; }
  std::string file(const std::string& name) const { return (work() / name).string(); }
  // The names in the work folder (or a folder under it), sorted.
  std::vector<std::string> work_entries(const std::string& folder = "") const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(work() / folder)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  // `env` is extra VAR=value words; an inherited CONVT_MEMORY_BUDGET is dropped so every run sees the default.
  CliResult run(const std::string& args, const std::string& env = "") const {
    const std::string command = "cd '" + work().string() + "' && env -u CONVT_MEMORY_BUDGET " + env + " '" +
                                CONVT_CLI_PATH + "' " + args + " >'" + (root_ / "io" / "stdout").string() +
                                "' 2>'" + (root_ / "io" / "stderr").string() + "'";
    const int status = std::system(command.c_str());
    CliResult result;
    result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = slurp(root_ / "io" / "stdout");
    result.err = slurp(root_ / "io" / "stderr");
    return result;
  }

 private:
  fs::path root_;
};

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Exactly one "error: " line on stderr, nothing on stdout, the documented exit code, and the key words.
inline void expect_error(const CliResult& r, int code, const std::vector<std::string>& words) {
  EXPECT_EQ(r.code, code) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(!r.err.empty() && r.err.back() == '\n') << r.err;
  for (const std::string& word : words) EXPECT_TRUE(contains(r.err, word)) << "'" << word << "' in: " << r.err;
}

// One line of valid JSON, as a script piping --json output into jq expects.
inline nlohmann::json parse_json_line(const CliResult& r) {
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  return nlohmann::json::parse(r.out);
}

}  // namespace convt::cli_testing
