// `convt model inspect | run | audit` end to end, on tiny ONNX models built here with ONNX's own protobuf classes:
// the listing and its formulas, outputs (and intermediates) written inside --out-dir only, names that would leave
// it or collide, the audit's verdicts and measured scores, a model the executor cannot run, and hostile files and
// feeds that must end in one `error:` line with exit 2 or 3 and nothing written. Expected numbers come from the
// engine's own formulas, never from the command under test.
#include <convt/analysis.h>
#include <convt/io.h>
#include <convt/onnx.h>
#include <convt/onnx_audit.h>
#include <convt/reference.h>
#include <convt/shape.h>

#include <onnx/onnx_pb.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cli_sandbox.h"
#include "onnx_test_util.h"

namespace convt {
namespace {

using namespace cli_testing;
using namespace onnx_testing;
using ::onnx::GraphProto;
using ::onnx::ModelProto;
using ::onnx::NodeProto;
using ::onnx::TensorProto;

// ---- building models ----

void add_ints(NodeProto* node, const std::string& key, const std::vector<int64_t>& values) {
  auto* attribute = node->add_attribute();
  attribute->set_name(key);
  attribute->set_type(::onnx::AttributeProto::INTS);
  for (const int64_t v : values) attribute->add_ints(v);
}

void add_float_initializer(GraphProto& graph, const std::string& name, const Tensor& values) {
  TensorProto* tensor = graph.add_initializer();
  tensor->set_name(name);
  tensor->set_data_type(TensorProto::FLOAT);
  for (const int64_t d : values.shape()) tensor->add_dims(d);
  for (int64_t i = 0; i < values.numel(); ++i) tensor->add_float_data(values[i]);
}

// One ConvTranspose layer of a test model: a square kernel k, stride s, ONNX pads (top, left, bottom, right).
struct Layer {
  std::string name;
  int64_t kernel = 3, stride = 2;
  std::vector<int64_t> pads{0, 0, 0, 0};
  int64_t output_padding = 0;
  int64_t out_channels = 2;
  bool ones = false;  // an all-ones kernel (no bias) instead of seeded U(-1, 1) weights and bias
};

ConvTranspose2dParams params_of(const Layer& layer) {
  ConvTranspose2dParams p;
  p.stride = layer.stride;
  p.padding = {layer.pads[0], layer.pads[1]};
  p.padding_end = IntPair{layer.pads[2], layer.pads[3]};
  p.output_padding = layer.output_padding;
  return p;
}

Tensor weight_of(const Layer& layer, int64_t in_channels, uint64_t seed) {
  const Shape shape{in_channels, layer.out_channels, layer.kernel, layer.kernel};
  return layer.ones ? Tensor::ones(shape) : Tensor::uniform(shape, seed, -1.0f, 1.0f);
}

// Adds `layer` reading `input` (C channels, size h x w) and writing `output`; returns the output's shape.
Shape add_conv_transpose(GraphProto& graph, const Layer& layer, const std::string& input, const Shape& input_shape,
                         const std::string& output, uint64_t seed) {
  const Tensor weight = weight_of(layer, input_shape[1], seed);
  add_float_initializer(graph, layer.name + ".weight", weight);
  std::vector<std::string> inputs{input, layer.name + ".weight"};
  if (!layer.ones) {
    add_float_initializer(graph, layer.name + ".bias", Tensor::uniform({layer.out_channels}, seed + 1, -1.0f, 1.0f));
    inputs.push_back(layer.name + ".bias");
  }
  NodeProto* node = add_node(graph, "ConvTranspose", inputs, {output}, layer.name);
  add_ints(node, "kernel_shape", {layer.kernel, layer.kernel});
  add_ints(node, "strides", {layer.stride, layer.stride});
  add_ints(node, "pads", layer.pads);
  if (layer.output_padding) add_ints(node, "output_padding", {layer.output_padding, layer.output_padding});
  const ConvTranspose2dGeometry g = validate_conv_transpose2d(input_shape, weight.shape(), std::nullopt, params_of(layer));
  return g.output_shape();
}

// x [1, C, H, H] -> the layers in a row -> y.
ModelProto chain_model(const std::vector<Layer>& layers, const Shape& input_shape = {1, 2, 8, 8}) {
  ModelProto model = empty_model();
  GraphProto& graph = *model.mutable_graph();
  add_value(graph.mutable_input(), "x", input_shape);
  Shape shape = input_shape;
  std::string current = "x";
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string output = i + 1 == layers.size() ? "y" : "t" + std::to_string(i);
    shape = add_conv_transpose(graph, layers[i], current, shape, output, 10 + 2 * i);
    current = output;
  }
  add_value(graph.mutable_output(), "y", shape);
  return model;
}

void save(const CliSandbox& box, const std::string& name, const ModelProto& model) {
  std::string bytes;
  ASSERT_TRUE(model.SerializeToString(&bytes));
  write_file_atomically(box.file(name), bytes);
}

// The engine's own formula for a layer's axis, as `model inspect` must print it.
std::string formula_of(const Layer& layer, int64_t input) {
  const bool symmetric = layer.pads[0] == layer.pads[2];
  return (symmetric ? transposed_axis_size(input, layer.kernel, layer.stride, layer.pads[0], layer.output_padding, 1)
                    : transposed_axis_size(input, layer.kernel, layer.stride, layer.pads[0], layer.pads[2],
                                           layer.output_padding, 1))
      .formula();
}

const nlohmann::json* find_named(const nlohmann::json& list, const std::string& name) {
  for (const auto& entry : list)
    if (entry["name"] == name) return &entry;
  return nullptr;
}

// One `error:` line, nothing on stdout, exit 2 or 3 (the kind decides which; both are documented).
void expect_one_line_error(const CliResult& r, const std::string& what) {
  EXPECT_TRUE(r.code == 2 || r.code == 3) << what << ": exit " << r.code << ": " << r.err;
  EXPECT_EQ(r.out, "") << what;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << what << ": " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << ": " << r.err;
}

// ---- inspect ----

TEST(CliModel, InspectListsTheGraphAndEachConvTransposeWithItsFormula) {
  CliSandbox box;
  const Layer up{"up", 3, 2, {1, 1, 1, 1}, 1, 3};
  const Layer tail{"tail", 4, 2, {1, 1, 2, 2}, 0, 2};
  save(box, "m.onnx", chain_model({up, tail}));

  const CliResult text = box.run("model inspect m.onnx");
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_TRUE(contains(text.out, "ConvTranspose 'up'")) << text.out;
  EXPECT_TRUE(contains(text.out, formula_of(up, 8))) << text.out;
  const int64_t middle = transposed_axis_size(8, 3, 2, 1, 1, 1).output;
  EXPECT_TRUE(contains(text.out, formula_of(tail, middle))) << text.out;
  EXPECT_TRUE(contains(text.out, "  pytorch  equivalent PyTorch call: ")) << text.out;
  EXPECT_TRUE(contains(text.out, "no equivalent PyTorch call: ")) << text.out;  // tail's pads are asymmetric
  EXPECT_TRUE(contains(text.out, to_string(closed_form_verdict(3, 2, 1)))) << text.out;
  EXPECT_EQ(text.err, "");

  const nlohmann::json report = parse_json_line(box.run("model inspect m.onnx --json"));
  EXPECT_EQ(report["command"], "model inspect");
  ASSERT_EQ(report["inputs"].size(), 1u);
  EXPECT_EQ(report["inputs"][0]["name"], "x");
  EXPECT_EQ(report["inputs"][0]["shape"], (std::vector<int64_t>{1, 2, 8, 8}));
  EXPECT_EQ(report["outputs"][0]["name"], "y");
  ASSERT_EQ(report["nodes"].size(), 2u);
  EXPECT_EQ(report["nodes"][0]["op_type"], "ConvTranspose");
  EXPECT_TRUE(report["nodes"][0]["supported"].get<bool>());
  EXPECT_TRUE(report["unsupported_ops"].empty());
  ASSERT_EQ(report["conv_transposes"].size(), 2u);
  const nlohmann::json& first = report["conv_transposes"][0];
  EXPECT_EQ(first["name"], "up");
  EXPECT_EQ(first["verdict"], to_string(closed_form_verdict(3, 2, 1)));
  EXPECT_EQ(first["formula"]["height"], formula_of(up, 8));
  EXPECT_EQ(first["output_size"], (std::vector<int64_t>{middle, middle}));
  EXPECT_EQ(first["params"]["stride"], (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(first["params"]["pads"], (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_TRUE(first["has_pytorch_call"].get<bool>());
  EXPECT_TRUE(contains(first["pytorch"].get<std::string>(), "conv_transpose2d"));
  const nlohmann::json& second = report["conv_transposes"][1];
  EXPECT_EQ(second["verdict"], to_string(closed_form_verdict(4, 2, 1)));
  EXPECT_FALSE(second["has_pytorch_call"].get<bool>());
  EXPECT_EQ(second["params"]["padding_end"], (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(second["formula"]["width"], formula_of(tail, middle));
  EXPECT_EQ(box.work_entries(), (std::vector<std::string>{"m.onnx"}));
}

// ---- run ----

// x -> ConvTranspose 'up' -> "t/1" -> Relu -> "../evil", plus two Relus whose outputs "a/b" and "a_b" give the
// same file name once made safe.
ModelProto hostile_names_model(const Layer& up) {
  ModelProto model = empty_model();
  GraphProto& graph = *model.mutable_graph();
  add_value(graph.mutable_input(), "x", {1, 2, 8, 8});
  const Shape shape = add_conv_transpose(graph, up, "x", {1, 2, 8, 8}, "t/1", 10);
  add_node(graph, "Relu", {"t/1"}, {"../evil"}, "relu");
  add_node(graph, "Relu", {"x"}, {"a/b"}, "relu_slash");
  add_node(graph, "Relu", {"x"}, {"a_b"}, "relu_underscore");
  add_value(graph.mutable_output(), "../evil", shape);
  add_value(graph.mutable_output(), "a/b", {1, 2, 8, 8});
  add_value(graph.mutable_output(), "a_b", {1, 2, 8, 8});
  return model;
}

Tensor relu(Tensor t) {
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = std::max(t[i], 0.0f);
  return t;
}

TEST(CliModel, RunWritesEveryOutputInsideTheFolderUnderASafeUniqueName) {
  CliSandbox box;
  const Layer up{"up", 3, 2, {1, 1, 1, 1}, 1, 3};
  save(box, "m.onnx", hostile_names_model(up));
  const Tensor x = Tensor::uniform({1, 2, 8, 8}, 5, -1.0f, 1.0f);
  write_npy(box.file("x.npy"), x);

  const CliResult r = box.run("model run m.onnx --input x=x.npy --out-dir out --json");
  const nlohmann::json report = parse_json_line(r);
  EXPECT_EQ(r.err, "");  // no progress line when stderr is not a terminal
  EXPECT_EQ(box.work_entries(), (std::vector<std::string>{"m.onnx", "out", "x.npy"}));
  EXPECT_FALSE(fs::exists(box.work().parent_path() / "evil.npy"));
  ASSERT_EQ(report["outputs"].size(), 3u);
  std::vector<std::string> files;
  for (const auto& output : report["outputs"]) {
    const fs::path file = output["file"].get<std::string>();
    EXPECT_EQ(file.parent_path(), "out") << file;
    EXPECT_TRUE(fs::is_regular_file(box.work() / file)) << file;
    files.push_back(file.filename().string());
  }
  EXPECT_EQ(files[0], onnx::safe_file_name("../evil") + ".npy");
  EXPECT_EQ(files[1], onnx::safe_file_name("a/b") + ".npy");
  EXPECT_NE(files[2], files[1]);  // "a_b" must not overwrite "a/b"
  EXPECT_TRUE(report["outputs"][2]["renamed"].get<bool>());
  EXPECT_FALSE(report["outputs"][1]["renamed"].get<bool>());
  EXPECT_EQ(box.work_entries("out").size(), 3u);

  // The values are the layer's: relu(conv_transpose2d(x, w, b)).
  const Layer& l = up;
  const Tensor w = weight_of(l, 2, 10), b = Tensor::uniform({3}, 11, -1.0f, 1.0f);
  const Tensor expected = relu(conv_transpose2d_reference(x, w, &b, params_of(l)));
  const Tensor written = read_npy(box.file("out/" + files[0]));
  ASSERT_EQ(written.shape(), expected.shape());
  for (int64_t i = 0; i < expected.numel(); ++i) ASSERT_NEAR(written[i], expected[i], 1e-4f) << i;
  EXPECT_EQ(report["inputs"][0]["source"], "file");
}

TEST(CliModel, KeepIntermediatesWritesEveryNodeOutputToo) {
  CliSandbox box;
  const Layer up{"up", 4, 2, {1, 1, 1, 1}, 0, 3};
  save(box, "m.onnx", hostile_names_model(up));
  const CliResult r = box.run("model run m.onnx --out-dir out --keep-intermediates --json");
  const nlohmann::json report = parse_json_line(r);
  ASSERT_EQ(report["intermediates"].size(), 1u);  // "t/1"; the other node outputs are graph outputs
  EXPECT_EQ(report["intermediates"][0]["name"], "t/1");
  const fs::path file = report["intermediates"][0]["file"].get<std::string>();
  EXPECT_EQ(file, fs::path("out") / (onnx::safe_file_name("t/1") + ".npy"));
  const Tensor t = read_npy((box.work() / file).string());
  EXPECT_EQ(t.shape(), (Shape{1, 3, 16, 16}));
  EXPECT_EQ(box.work_entries("out").size(), 4u);
  EXPECT_EQ(box.work_entries(), (std::vector<std::string>{"m.onnx", "out"}));
}

TEST(CliModel, InputsLeftOutAreRandomWithANoteAndTheSeedDecides) {
  CliSandbox box;
  save(box, "m.onnx", chain_model({Layer{"up", 4, 2, {1, 1, 1, 1}}}));
  const CliResult text = box.run("model run m.onnx --out-dir a");
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_TRUE(contains(text.out, "random")) << text.out;
  EXPECT_TRUE(contains(text.out, "--input x=FILE")) << text.out;
  const nlohmann::json report = parse_json_line(box.run("model run m.onnx --out-dir b --json"));
  EXPECT_EQ(report["inputs"][0]["source"], "random");
  ASSERT_EQ(box.run("model run m.onnx --out-dir c --seed 7").code, 0);
  const Tensor a = read_npy(box.file("a/y.npy")), b = read_npy(box.file("b/y.npy")), c = read_npy(box.file("c/y.npy"));
  ASSERT_EQ(a.shape(), b.shape());
  ASSERT_EQ(a.shape(), c.shape());
  EXPECT_TRUE(std::equal(a.data(), a.data() + a.numel(), b.data()));
  EXPECT_FALSE(std::equal(a.data(), a.data() + a.numel(), c.data()));
}

TEST(CliModel, ATensorProtoFeedsLikeTheSameNpy) {
  CliSandbox box;
  save(box, "m.onnx", chain_model({Layer{"up", 3, 2, {1, 1, 1, 1}, 1}}));
  const Tensor x = Tensor::uniform({1, 2, 8, 8}, 21, -1.0f, 1.0f);
  write_npy(box.file("x.npy"), x);
  TensorProto proto;
  proto.set_name("x");
  proto.set_data_type(TensorProto::FLOAT);
  for (const int64_t d : x.shape()) proto.add_dims(d);
  for (int64_t i = 0; i < x.numel(); ++i) proto.add_float_data(x[i]);
  std::string bytes;
  ASSERT_TRUE(proto.SerializeToString(&bytes));
  write_file_atomically(box.file("x.pb"), bytes);
  ASSERT_EQ(box.run("model run m.onnx --input x=x.npy --out-dir npy").code, 0);
  const CliResult r = box.run("model run m.onnx --input x=x.pb --out-dir pb");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "from x.pb")) << r.out;
  const Tensor a = read_npy(box.file("npy/y.npy")), b = read_npy(box.file("pb/y.npy"));
  ASSERT_EQ(a.shape(), b.shape());
  EXPECT_TRUE(std::equal(a.data(), a.data() + a.numel(), b.data()));
}

TEST(CliModel, FeedMistakesAreOneLineErrors) {
  CliSandbox box;
  save(box, "m.onnx", chain_model({Layer{"up", 4, 2, {1, 1, 1, 1}}}));
  write_npy(box.file("wrong.npy"), Tensor::ones({1, 3, 8, 8}));
  write_npy(box.file("x.npy"), Tensor::ones({1, 2, 8, 8}));
  write_file_atomically(box.file("junk.npy"), "\x93NUMPY garbage");
  write_file_atomically(box.file("out"), "a file, not a folder");
  const std::vector<std::tuple<std::string, int, std::string>> cases = {
      {"--input z=x.npy", 2, "no input named 'z'"},
      {"--input x", 2, "NAME=FILE"},
      {"--input x=", 2, "NAME=FILE"},
      {"--input x=x.npy --input x=x.npy", 2, "twice"},
      {"--input x=missing.npy", 3, "missing.npy"},
      {"--input x=junk.npy", 3, "junk.npy"},
      {"--input x=wrong.npy", 2, "[1, 3, 8, 8]"},
      {"--seed -1", 2, "--seed"},
  };
  for (const auto& [args, code, words] : cases)
    for (const char* command : {"model run m.onnx --out-dir d ", "model audit m.onnx "})
      expect_error(box.run(std::string(command) + args), code, {words});
  expect_error(box.run("model run m.onnx --out-dir out"), 3, {"not a directory"});
  expect_error(box.run("model run m.onnx --out-dir missing/deeper"), 3, {"missing"});
  EXPECT_EQ(box.work_entries(), (std::vector<std::string>{"junk.npy", "m.onnx", "out", "wrong.npy", "x.npy"}));
}

// ---- audit ----

// x [1, 2, 16, 16] feeds three ConvTransposes side by side, each to its own output, with all-ones kernels.
ModelProto three_branches_model() {
  ModelProto model = empty_model();
  GraphProto& graph = *model.mutable_graph();
  const Shape x{1, 2, 16, 16};
  add_value(graph.mutable_input(), "x", x);
  const std::vector<Layer> layers = {Layer{"k3s2", 3, 2, {1, 1, 1, 1}, 1, 2, true},
                                     Layer{"k4s2", 4, 2, {1, 1, 1, 1}, 0, 2, true},
                                     Layer{"k1s2", 1, 2, {0, 0, 0, 0}, 1, 2, true}};
  for (const Layer& layer : layers) {
    const Shape shape = add_conv_transpose(graph, layer, "x", x, "y_" + layer.name, 3);
    add_value(graph.mutable_output(), "y_" + layer.name, shape);
  }
  return model;
}

TEST(CliModel, AuditGivesEachVerdictAndMeasuresTheRealOutputs) {
  CliSandbox box;
  save(box, "m.onnx", three_branches_model());
  // A positive input, so the phases' unequal tap counts show in their means.
  write_npy(box.file("x.npy"), Tensor::uniform({1, 2, 16, 16}, 9, 0.0f, 1.0f));
  const nlohmann::json report = parse_json_line(box.run("model audit m.onnx --input x=x.npy --json"));
  EXPECT_EQ(report["command"], "model audit");
  EXPECT_TRUE(report["model_ran"].get<bool>());
  EXPECT_TRUE(report["random_inputs"].empty());
  ASSERT_EQ(report["conv_transposes"].size(), 3u);
  const nlohmann::json& k3 = *find_named(report["conv_transposes"], "k3s2");
  const nlohmann::json& k4 = *find_named(report["conv_transposes"], "k4s2");
  const nlohmann::json& k1 = *find_named(report["conv_transposes"], "k1s2");
  EXPECT_EQ(k3["verdict"], "Uneven overlap");
  EXPECT_EQ(k4["verdict"], "Even");
  EXPECT_EQ(k1["verdict"], "Holes");
  for (const auto* node : {&k3, &k4, &k1}) {
    EXPECT_EQ((*node)["op"], "ConvTranspose");
    EXPECT_EQ((*node)["input_source"], "given");
    EXPECT_FALSE((*node)["artifact_score"].is_null());
    EXPECT_FALSE((*node)["phase_imbalance"].is_null());
  }
  EXPECT_GT(k3["artifact_score"]["score"].get<double>(), k4["artifact_score"]["score"].get<double>());
  EXPECT_GT(k1["artifact_score"]["score"].get<double>(), k4["artifact_score"]["score"].get<double>());
  // All-ones kernels: k4 s2 sums 2x2 taps in every phase; k3 s2 sums 4, 2, 2 and 1; k1 s2 reaches one phase of 4.
  EXPECT_NEAR(k4["phase_imbalance"]["max"].get<double>(), 0.0, 1e-9);
  EXPECT_NEAR(k3["phase_imbalance"]["max"].get<double>(), (4.0 - 1.0) / 4.0, 1e-9);
  EXPECT_NEAR(k1["phase_imbalance"]["max"].get<double>(), 1.0, 1e-9);
  std::vector<double> sums = k3["phase_imbalance"]["worst_channel_sums"];
  std::sort(sums.begin(), sums.end());
  EXPECT_EQ(sums, (std::vector<double>{2, 4, 4, 8}));  // two input channels of ones
  EXPECT_EQ(k3["phase_imbalance"]["per_channel"].size(), 2u);
  // Side by side, the longest chain is one node; the other two lie on other branches.
  EXPECT_EQ(report["chain"]["nodes"].size(), 1u);
  EXPECT_EQ(report["chain"]["off_chain"].size(), 2u);
  const std::string diagnosis = report["diagnosis"];
  for (const char* word : {"k3s2", "k1s2", "resize-conv", "ICNR", "multiple of the stride"})
    EXPECT_TRUE(contains(diagnosis, word)) << word << " in: " << diagnosis;
  EXPECT_EQ(box.work_entries(), (std::vector<std::string>{"m.onnx", "x.npy"}));  // audit writes nothing

  const CliResult text = box.run("model audit m.onnx --input x=x.npy");
  ASSERT_EQ(text.code, 0) << text.err;
  for (const char* word : {"ConvTranspose 'k3s2'", "Uneven overlap", "Even", "Holes", "score", "phase imbalance",
                           "chain", "diagnosis"})
    EXPECT_TRUE(contains(text.out, word)) << word;
}

TEST(CliModel, AuditOnARandomInputSaysSo) {
  CliSandbox box;
  save(box, "m.onnx", chain_model({Layer{"up", 4, 2, {1, 1, 1, 1}, 0, 2, true}}));
  const CliResult text = box.run("model audit m.onnx");
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_TRUE(contains(text.out, "random U(-1, 1)")) << text.out;
  const nlohmann::json report = parse_json_line(box.run("model audit m.onnx --json"));
  EXPECT_EQ(report["random_inputs"], (std::vector<std::string>{"x"}));
  EXPECT_EQ(report["conv_transposes"][0]["input_source"], "random");
  EXPECT_EQ(report["conv_transposes"][0]["verdict"], "Even");
  EXPECT_TRUE(contains(report["diagnosis"].get<std::string>(), "even")) << report["diagnosis"];
}

TEST(CliModel, ChainCoverageComposesTheLayers) {
  CliSandbox box;
  // k3 s2 then k4 s2: each k4 output sums a 1-tap and a 2-tap neighbour, so the chain is even (stack.h); the
  // other order leaves k3's unevenness on top.
  save(box, "even.onnx", chain_model({Layer{"a", 3, 2, {1, 1, 1, 1}, 1}, Layer{"b", 4, 2, {1, 1, 1, 1}}}));
  save(box, "uneven.onnx", chain_model({Layer{"a", 4, 2, {1, 1, 1, 1}}, Layer{"b", 3, 2, {1, 1, 1, 1}, 1}}));
  const std::vector<std::pair<std::string, std::vector<StackLayerShape>>> models = {
      {"even.onnx", {{{1, 1, 3, 3}, false, params_of(Layer{"a", 3, 2, {1, 1, 1, 1}, 1})},
                     {{1, 1, 4, 4}, false, params_of(Layer{"b", 4, 2, {1, 1, 1, 1}})}}},
      {"uneven.onnx", {{{1, 1, 4, 4}, false, params_of(Layer{"a", 4, 2, {1, 1, 1, 1}})},
                       {{1, 1, 3, 3}, false, params_of(Layer{"b", 3, 2, {1, 1, 1, 1}, 1})}}}};
  for (const auto& [file, layers] : models) {
    const nlohmann::json report = parse_json_line(box.run("model audit " + file + " --json"));
    const nlohmann::json& chain = report["chain"];
    EXPECT_EQ(chain["nodes"], (std::vector<std::string>{"a", "b"})) << file;
    ASSERT_TRUE(chain["computed"].get<bool>()) << chain;
    // The engine's stack analysis of the same geometry decides what the chain's verdict must be.
    const Shape input = chain["input_shape"];
    const StackCoverageSummary expected =
        summarize_stack_coverage(stack_coverage(input, layers), chain["border"].get<int64_t>());
    EXPECT_EQ(chain["verdict"], to_string(expected.verdict)) << file;
  }
  EXPECT_EQ(parse_json_line(box.run("model audit even.onnx --json"))["chain"]["verdict"], "Even");
  EXPECT_NE(parse_json_line(box.run("model audit uneven.onnx --json"))["chain"]["verdict"], "Even");
}

// x -> [Hardmax before] -> ConvTranspose -> [Hardmax after] -> y: the executor runs no Hardmax.
ModelProto unsupported_model(bool before) {
  ModelProto model = empty_model();
  GraphProto& graph = *model.mutable_graph();
  add_value(graph.mutable_input(), "x", {1, 2, 8, 8});
  std::string current = "x";
  if (before) {
    add_node(graph, "Hardmax", {"x"}, {"h"}, "hardmax");
    current = "h";
  }
  const Shape shape = add_conv_transpose(graph, Layer{"up", 3, 2, {1, 1, 1, 1}, 1, 2}, current, {1, 2, 8, 8},
                                         before ? "y" : "t", 10);
  if (!before) add_node(graph, "Hardmax", {"t"}, {"y"}, "hardmax");
  add_value(graph.mutable_output(), "y", shape);
  return model;
}

TEST(CliModel, AnUnsupportedOpStopsRunButNotAudit) {
  CliSandbox box;
  save(box, "before.onnx", unsupported_model(true));
  save(box, "after.onnx", unsupported_model(false));
  for (const std::string file : {"before.onnx", "after.onnx"}) {
    expect_error(box.run("model run " + file + " --out-dir out"), 2, {"Hardmax"});
    const nlohmann::json inspect = parse_json_line(box.run("model inspect " + file + " --json"));
    EXPECT_EQ(inspect["unsupported_ops"], (std::vector<std::string>{"Hardmax"}));
    const CliResult r = box.run("model audit " + file + " --json");
    const nlohmann::json report = parse_json_line(r);
    EXPECT_FALSE(report["model_ran"].get<bool>());
    EXPECT_TRUE(contains(report["run_error"].get<std::string>(), "Hardmax"));
    ASSERT_EQ(report["conv_transposes"].size(), 1u);
    const nlohmann::json& node = report["conv_transposes"][0];
    EXPECT_EQ(node["verdict"], "Uneven overlap");
    EXPECT_FALSE(node["artifact_score"].is_null()) << node;
    EXPECT_EQ(node["measured_output_shape"], (std::vector<int64_t>{1, 2, 16, 16}));
    // Before: the node runs alone on a random input of its inferred shape; after: the graph runs up to it.
    EXPECT_EQ(node["input_source"], file == "before.onnx" ? "isolated random" : "random") << file;
    const CliResult text = box.run("model audit " + file);
    ASSERT_EQ(text.code, 0) << text.err;
    EXPECT_TRUE(contains(text.out, "could not run")) << text.out;
  }
  EXPECT_EQ(box.work_entries(), (std::vector<std::string>{"after.onnx", "before.onnx"}));
}

// ---- hostile files ----

std::string random_bytes(size_t count, uint32_t seed) {
  std::mt19937 generator(seed);
  std::string bytes(count, '\0');
  for (char& c : bytes) c = static_cast<char>(generator() & 0xFF);
  return bytes;
}

TEST(CliModel, HostileFilesEndInOneErrorLineAndWriteNothing) {
  CliSandbox box;
  const ModelProto good = chain_model({Layer{"up", 3, 2, {1, 1, 1, 1}, 1}});
  std::string good_bytes;
  ASSERT_TRUE(good.SerializeToString(&good_bytes));
  std::vector<std::pair<std::string, std::string>> files = {
      {"truncated.onnx", good_bytes.substr(0, good_bytes.size() / 2)},
      {"random.onnx", random_bytes(4096, 1)},
      {"empty.onnx", ""},
  };
  auto add = [&](const std::string& name, const ModelProto& model) {
    std::string bytes;
    ASSERT_TRUE(model.SerializeToString(&bytes));
    files.emplace_back(name, bytes);
  };
  {  // an initializer shorter than its dims
    ModelProto model = good;
    TensorProto* weight = model.mutable_graph()->mutable_initializer(0);
    weight->mutable_float_data()->Truncate(5);
    add("short.onnx", model);
  }
  {  // dims whose product is huge, with a handful of bytes
    ModelProto model = good;
    TensorProto* weight = model.mutable_graph()->mutable_initializer(0);
    weight->clear_dims();
    for (const int64_t d : {int64_t{1} << 20, int64_t{1} << 20, int64_t{3}, int64_t{3}}) weight->add_dims(d);
    add("huge.onnx", model);
  }
  {  // external data outside the model's folder
    ModelProto model = good;
    TensorProto* weight = model.mutable_graph()->mutable_initializer(0);
    weight->clear_float_data();
    weight->set_data_location(TensorProto::EXTERNAL);
    auto* entry = weight->add_external_data();
    entry->set_key("location");
    entry->set_value("../outside.bin");
    add("external.onnx", model);
  }
  {  // a node reading a name nothing defines
    ModelProto model = good;
    model.mutable_graph()->mutable_node(0)->set_input(0, "nowhere");
    add("dangling.onnx", model);
  }
  {  // an op no schema knows
    ModelProto model = good;
    model.mutable_graph()->mutable_node(0)->set_op_type("NoSuchOp");
    add("unknown_op.onnx", model);
  }
  for (const auto& [name, bytes] : files) write_file_atomically(box.file(name), bytes);
  write_file_atomically((box.work().parent_path() / "outside.bin").string(), std::string(4 * 2 * 2 * 9, '\0'));
  fs::create_directories(box.work() / "folder.onnx");
  files.emplace_back("folder.onnx", "");
  files.emplace_back("missing.onnx", "");

  for (const auto& [name, bytes] : files)
    for (const std::string command : {"model inspect ", "model audit ", "model run --out-dir out "}) {
      const CliResult r = box.run(command + name);
      expect_one_line_error(r, command + name);
      EXPECT_TRUE(contains(r.err, name)) << r.err;
    }
  EXPECT_FALSE(fs::exists(box.work() / "out"));
}

TEST(CliModel, HugeDeclaredInputsAreRefusedByRunAndReportedByAudit) {
  CliSandbox box;
  // The weights are small and honest; only the graph input's declared size is absurd.
  ModelProto model = chain_model({Layer{"up", 3, 2, {1, 1, 1, 1}, 1}}, {1, 2, 8, 8});
  auto* dims = model.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  dims->mutable_dim(2)->set_dim_value(int64_t{1} << 30);
  dims->mutable_dim(3)->set_dim_value(int64_t{1} << 30);
  auto* out_dims = model.mutable_graph()->mutable_output(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  out_dims->mutable_dim(2)->set_dim_param("H");
  out_dims->mutable_dim(3)->set_dim_param("W");
  save(box, "huge_input.onnx", model);
  expect_one_line_error(box.run("model run huge_input.onnx --out-dir out"), "run");
  EXPECT_EQ(box.run("model inspect huge_input.onnx").code, 0);
  const nlohmann::json report = parse_json_line(box.run("model audit huge_input.onnx --json"));
  EXPECT_FALSE(report["model_ran"].get<bool>());
  ASSERT_EQ(report["conv_transposes"].size(), 1u);
  EXPECT_EQ(report["conv_transposes"][0]["input_source"], "not measured");
  EXPECT_EQ(report["conv_transposes"][0]["verdict"], "Uneven overlap");  // the geometry needs no tensor
  EXPECT_FALSE(report["conv_transposes"][0]["note"].get<std::string>().empty());
  EXPECT_EQ(box.work_entries(), (std::vector<std::string>{"huge_input.onnx"}));
}

// ---- the engine pieces the commands rely on ----

TEST(CliModel, FileNamesStayInTheFolderAndNeverCollide) {
  const std::vector<std::string> names = {"../evil", "a/b", "a_b", "A_B", "", ".", "..", "a_b-2",
                                          std::string(400, 'x'), std::string(400, 'x')};
  const std::vector<std::string> files = onnx::unique_file_names(names);
  ASSERT_EQ(files.size(), names.size());
  std::vector<std::string> lowered;
  for (const std::string& file : files) {
    EXPECT_EQ(file.find('/'), std::string::npos) << file;
    EXPECT_NE(file.front(), '.') << file;
    EXPECT_LE(file.size(), 255u) << file;
    EXPECT_TRUE(file.size() > 4 && file.compare(file.size() - 4, 4, ".npy") == 0) << file;
    std::string lower = file;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    lowered.push_back(lower);
  }
  std::sort(lowered.begin(), lowered.end());
  EXPECT_EQ(std::adjacent_find(lowered.begin(), lowered.end()), lowered.end());
  EXPECT_EQ(files[0], onnx::safe_file_name("../evil") + ".npy");  // the first keeps its plain name
}

TEST(CliModel, AsymmetricPadsMoveTheMeasuredInteriorsEnd) {
  // k3 s2 with pads begin 2, end 0: the full output's last d*(k-1) = 2 rows and columns are partially covered and
  // nothing crops them, so the interior ends 2 before the edge; the begin pad already cropped the top/left border.
  ConvTranspose2dParams p;
  p.stride = 2;
  p.padding = 2;
  p.padding_end = IntPair{0, 0};
  const Tensor x = Tensor::ones({1, 1, 12, 12});
  const Tensor y = conv_transpose2d_reference(x, Tensor::ones({1, 1, 3, 3}), nullptr, p);
  const int64_t out = y.size(2), interior = out - 2;
  const ArtifactScore score = artifact_score(y, p, {3, 3});
  EXPECT_EQ(score.interior_pixels, interior * interior);
  // A ones input through a ones kernel: the interior holds only the phase pattern 4, 2, 2, 1.
  EXPECT_NEAR(score.score, 1.0, 1e-6);
}

// ---- the PyTorch-exported models, when present ----

TEST(CliModel, ExportedModelsAudit) {
  const fs::path models = CONVT_MODELS_DIR;
  const std::vector<std::string> names = {"dcgan", "unet_step", "resize_conv", "espcn"};
  size_t found = 0;
  CliSandbox box;
  for (const std::string& name : names) {
    const fs::path file = models / (name + ".onnx");
    if (!fs::exists(file)) continue;
    ++found;
    const nlohmann::json inspect = parse_json_line(box.run("model inspect '" + file.string() + "' --json"));
    const nlohmann::json report = parse_json_line(box.run("model audit '" + file.string() + "' --json"));
    EXPECT_TRUE(report["model_ran"].get<bool>()) << name << ": " << report["run_error"];
    EXPECT_EQ(report["conv_transposes"].size(), inspect["conv_transposes"].size()) << name;
    for (const auto& node : report["conv_transposes"]) {
      EXPECT_FALSE(node["verdict"].is_null()) << name;
      EXPECT_FALSE(node["artifact_score"].is_null()) << name;
      EXPECT_TRUE(node["resolved"].get<bool>()) << name;
    }
    EXPECT_FALSE(report["diagnosis"].get<std::string>().empty());
    if (name == "dcgan") {
      EXPECT_EQ(report["conv_transposes"].size(), 3u);
      EXPECT_EQ(report["chain"]["nodes"].size(), 3u);
      EXPECT_EQ(report["chain"]["verdict"], "Even");  // k4 s1 then k4 s2 twice
    }
  }
  if (found == 0) GTEST_SKIP() << "no exported models in " << models;
}

}  // namespace
}  // namespace convt
