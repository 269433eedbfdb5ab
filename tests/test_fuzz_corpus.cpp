// Replays the fuzzers' regression corpus (tests/fuzz/corpus/, seeds plus inputs the fuzzers found interesting)
// through the same loaders in every normal test run: each file must load or be refused with convt::Error, never
// crash. Crashes found by scripts/fuzz.sh are added here once fixed.
#include <convt/error.h>
#include <convt/image.h>
#include <convt/io.h>
#include <convt/onnx.h>
#include <convt/workspace.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace convt {
namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(CONVT_GOLDEN_DIR).parent_path() / "fuzz" / "corpus";

template <typename Load>
int replay(const std::string& target, Load load) {
  int files = 0;
  for (const auto& entry : fs::directory_iterator(kCorpus / target)) {
    const std::string bytes = read_file(entry.path().string());
    try {
      load(bytes);
    } catch (const Error&) {
      // A clear refusal is a pass; anything else escapes and fails the test.
    }
    ++files;
  }
  return files;
}

TEST(FuzzCorpus, NpyFilesLoadOrAreRefused) {
  EXPECT_GT(replay("npy", [](const std::string& bytes) { parse_npy(bytes, "corpus.npy"); }), 2);
}

TEST(FuzzCorpus, SafetensorsFilesLoadOrAreRefused) {
  EXPECT_GT(replay("safetensors",
                   [](const std::string& bytes) {
                     for (const SafetensorsEntry& e : list_safetensors_bytes(bytes, "corpus.safetensors")) {
                       try {
                         read_safetensors_bytes(bytes, "corpus.safetensors", e.name);
                       } catch (const Error&) {
                       }
                     }
                   }),
            1);
}

TEST(FuzzCorpus, ImagesLoadOrAreRefused) {
  set_memory_budget_bytes(64u << 20);
  const int files = replay("image", [](const std::string& bytes) { decode_image(bytes, "corpus.png"); });
  set_memory_budget_bytes(0);
  EXPECT_GT(files, 1);
}

TEST(FuzzCorpus, WorkspacesLoadOrAreRefused) {
  set_memory_budget_bytes(64u << 20);
  const int files = replay("workspace", [](const std::string& bytes) {
    const Workspace workspace = workspace_from_json(bytes, "corpus.json");
    if (workspace.input.kind != InputKind::Image) {
      const Tensor input = build_input(workspace.input);
      if (!workspace.layers.front().weight.from_file) build_weight(workspace.layers.front(), input.size(1));
    }
  });
  set_memory_budget_bytes(0);
  EXPECT_GT(files, 1);
}

TEST(FuzzCorpus, OnnxModelsAndTensorsLoadOrAreRefused) {
  set_memory_budget_bytes(64u << 20);
  const int files = replay("onnx", [](const std::string& bytes) {
    try {
      onnx::parse_model(bytes, "corpus.onnx", "");  // no folder: external data is refused, never looked for
    } catch (const Error&) {
    }
    onnx::parse_tensor_pb(bytes, "corpus.pb");
  });
  set_memory_budget_bytes(0);
  EXPECT_GT(files, 10);
}

}  // namespace
}  // namespace convt
