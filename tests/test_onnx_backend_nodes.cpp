// The ONNX project's own backend node tests (Debian's libonnx-testdata) for the upsampling ops: every test directory
// whose name starts with one of the families below, found by listing the folder at run time. Each is loaded, fed
// test_data_set_0/input_N.pb to the graph inputs in order, run on the reference and the CPU backend, and compared
// with output_N.pb by ONNX's own backend test rule (numpy's assert_allclose with rtol 1e-3, atol 1e-7). The few the
// executor refuses by design are listed in kRefusals; they must throw convt::Error naming what is unsupported.
// Everything else must pass.
#include "test_util.h"

#include <convt/error.h>
#include <convt/onnx.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace convt {
namespace {

namespace fs = std::filesystem;

// Where libonnx-testdata installs the node tests; CONVT_ONNX_NODE_TESTS overrides it.
std::string node_tests_dir() {
  if (const char* dir = std::getenv("CONVT_ONNX_NODE_TESTS"); dir && *dir) return dir;
  return "/usr/share/libonnx-testdata/data/node";
}

constexpr double kRtol = 1e-3, kAtol = 1e-7;  // onnx/backend/test/case/node: assert_allclose's defaults there

// Cases refused by design: a part of the directory name, and the word the convt::Error message must contain.
struct Refusal {
  const char* name_part;
  const char* keyword;
};
constexpr Refusal kRefusals[] = {
    {"test_convtranspose_1d", "2-D"},
    {"test_convtranspose_3d", "2-D"},
    {"cubic", "cubic"},
    {"tf_crop_and_resize", "tf_crop_and_resize"},
    {"tf_half_pixel_for_nn", "tf_half_pixel_for_nn"},
};

std::optional<std::string> expected_refusal(const std::string& case_name) {
  for (const Refusal& r : kRefusals)
    if (case_name.find(r.name_part) != std::string::npos) return std::string(r.keyword);
  return std::nullopt;
}

// The test directories whose names start with `prefix`, sorted.
std::vector<std::string> discover(const std::string& prefix) {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(node_tests_dir())) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && name.rfind(prefix, 0) == 0) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> data_files(const fs::path& set, const std::string& stem) {
  std::vector<std::string> files;
  for (int i = 0; fs::exists(set / (stem + std::to_string(i) + ".pb")); ++i)
    files.push_back((set / (stem + std::to_string(i) + ".pb")).string());
  return files;
}

// One run of a case on one backend: the outputs, or what was thrown.
struct Attempt {
  std::vector<std::pair<std::string, Tensor>> outputs;
  std::optional<std::string> error;  // set when something was thrown
  bool convt_error = false;          // ... and it was a convt::Error
};

Attempt attempt(const fs::path& dir, const std::string& backend) {
  Attempt result;
  try {
    const onnx::Model model = onnx::load_model((dir / "model.onnx").string());
    const fs::path set = dir / "test_data_set_0";
    const std::vector<std::string> inputs = data_files(set, "input_");
    if (inputs.size() != model.inputs.size())
      throw std::runtime_error("the data set has " + std::to_string(inputs.size()) + " inputs, the graph " +
                               std::to_string(model.inputs.size()));
    std::map<std::string, onnx::Value> feeds;
    for (size_t i = 0; i < inputs.size(); ++i) feeds.emplace(model.inputs[i].name, onnx::read_tensor_pb(inputs[i]));
    onnx::RunOptions options;
    options.backend = backend;
    result.outputs = onnx::run_model(model, feeds, options).outputs;
  } catch (const Error& e) {
    result.error = e.what();
    result.convt_error = true;
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  return result;
}

// Whether one attempt did what the case must do; records a failure naming the case and backend when not.
bool check_attempt(const std::string& name, const fs::path& dir, const std::string& backend, const Attempt& run,
                   const std::optional<std::string>& refusal) {
  const std::string where = name + " on " + backend + ": ";
  if (run.error && !run.convt_error) {
    ADD_FAILURE() << where << "threw something other than convt::Error: " << *run.error;
    return false;
  }
  if (refusal) {
    if (!run.error) {
      ADD_FAILURE() << where << "expected a convt::Error naming '" << *refusal << "', but it ran";
      return false;
    }
    if (run.error->find(*refusal) == std::string::npos) {
      ADD_FAILURE() << where << "refused, but the message does not name '" << *refusal << "': " << *run.error;
      return false;
    }
    return true;
  }
  if (run.error) {
    ADD_FAILURE() << where << "threw convt::Error: " << *run.error;
    return false;
  }
  const std::vector<std::string> expected_files = data_files(dir / "test_data_set_0", "output_");
  if (run.outputs.size() != expected_files.size()) {
    ADD_FAILURE() << where << run.outputs.size() << " outputs, expected " << expected_files.size();
    return false;
  }
  bool ok = true;
  for (size_t i = 0; i < run.outputs.size(); ++i) {
    const Tensor expected = onnx::read_tensor_pb(expected_files[i]).tensor;
    const Tensor& actual = run.outputs[i].second;
    // assert_allclose: |actual - expected| <= atol + rtol * |expected|.
    const ::testing::AssertionResult close =
        testing::all_close_to_scale(actual, expected, testing::abs_of(expected), kRtol, kAtol);
    if (close) continue;
    ok = false;
    std::string values;
    if (actual.shape() == expected.shape() && actual.numel() <= 64) {
      values = "\n  got      ";
      for (int64_t j = 0; j < actual.numel(); ++j) values += std::to_string(actual[j]) + " ";
      values += "\n  expected ";
      for (int64_t j = 0; j < expected.numel(); ++j) values += std::to_string(expected[j]) + " ";
    }
    ADD_FAILURE() << where << "output " << i << " ('" << run.outputs[i].first << "', "
                  << shape_to_string(actual.shape()) << "): " << close.message() << values;
  }
  return ok;
}

// Runs every case of a family on the reference and the CPU backend and prints a one-line summary.
void check_family(const std::string& prefix) {
  if (!fs::is_directory(node_tests_dir()))
    GTEST_SKIP() << "libonnx-testdata is not installed; scripts/setup.sh --test installs it (looked in "
                 << node_tests_dir() << ")";
  const std::vector<std::string> cases = discover(prefix);
  ASSERT_FALSE(cases.empty()) << "no " << prefix << "* directory in " << node_tests_dir();
  int passed = 0, refused = 0;
  for (const std::string& name : cases) {
    SCOPED_TRACE(name);
    const fs::path dir = fs::path(node_tests_dir()) / name;
    const std::optional<std::string> refusal = expected_refusal(name);
    bool ok = true;
    for (const char* backend : {"reference", "cpu"})
      ok = check_attempt(name, dir, backend, attempt(dir, backend), refusal) && ok;
    if (ok) ++(refusal ? refused : passed);
  }
  std::cout << "[ onnx     ] " << prefix << "*: " << cases.size() << " cases, " << passed << " passed, " << refused
            << " refused as expected\n";
}

TEST(OnnxBackendNodes, ConvTranspose) { check_family("test_convtranspose"); }
TEST(OnnxBackendNodes, Resize) { check_family("test_resize"); }
TEST(OnnxBackendNodes, Upsample) { check_family("test_upsample"); }
TEST(OnnxBackendNodes, DepthToSpace) { check_family("test_depthtospace"); }
TEST(OnnxBackendNodes, SpaceToDepth) { check_family("test_spacetodepth"); }

// The refusal table only names cases that exist, so a renamed case cannot leave an entry silently unused.
TEST(OnnxBackendNodes, EveryRefusalNamesAnExistingCase) {
  if (!fs::is_directory(node_tests_dir()))
    GTEST_SKIP() << "libonnx-testdata is not installed; scripts/setup.sh --test installs it";
  std::vector<std::string> all;
  for (const char* prefix :
       {"test_convtranspose", "test_resize", "test_upsample", "test_depthtospace", "test_spacetodepth"}) {
    const std::vector<std::string> found = discover(prefix);
    all.insert(all.end(), found.begin(), found.end());
  }
  for (const Refusal& r : kRefusals)
    EXPECT_TRUE(std::any_of(all.begin(), all.end(),
                            [&](const std::string& name) { return name.find(r.name_part) != std::string::npos; }))
        << r.name_part;
}

}  // namespace
}  // namespace convt
