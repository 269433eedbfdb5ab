// What `convt model inspect` and `convt model audit` (and the app's model view) say about an ONNX model's
// transposed convolutions. Everything is computed here, so a front end only formats it:
//  - inspect_model: the graph as the file and shape inference give it, each ConvTranspose resolved with its
//    output-size formula and its geometric verdict; no tensor is computed.
//  - audit_model: the model run on the given feeds (random where none is given), and per ConvTranspose the
//    verdict, the artifact score measured on its real output, and its weights' own phase imbalance; then the
//    coverage of the whole upsampling chain and a diagnosis with fixes (MATH.md, Odena et al. 2016).
#pragma once

#include <convt/analysis.h>
#include <convt/onnx.h>
#include <convt/shape.h>
#include <convt/stack.h>
#include <convt/tensor.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace convt::onnx {

// ---- feeds ----

// The graph's feeds: the given ones, checked against the model's inputs (a name that is no graph input, listing
// the inputs, or a shape that does not fit the declared one is InvalidArgument), and for every input without one
// a seeded U(-1, 1) tensor of its declared shape, symbolic dimensions as 1, as random_feeds gives it (exactly
// random_feeds(model, seed) when no feed is given).
struct CompletedFeeds {
  std::map<std::string, Value> feeds;
  std::vector<std::string> random_inputs;  // the inputs filled at random, in the model's order
};
CompletedFeeds complete_feeds(const Model& model, std::map<std::string, Value> given, uint64_t seed);

// The file names ("NAME.npy") tensors are written under inside one folder, in the given order: safe_file_name,
// cut to at most 200 characters, and made unique: a name whose file is already taken (compared without case, so
// the files stay apart on case-insensitive file systems too) gets "-2", "-3", ... before ".npy". A later
// tensor never overwrites an earlier one's file.
std::vector<std::string> unique_file_names(const std::vector<std::string>& tensor_names);

// A value's shape where the model knows it: an initializer's, a fed input's declared shape, or what shape
// inference found, symbolic dimensions (a batch "N") as 1. nullopt when some dimension is unknown.
std::optional<Shape> inferred_shape(const Model& model, const std::string& name);

// ---- the static view: a ConvTranspose as the file describes it ----

struct ConvTransposeStatic {
  std::string name;  // the node's name
  std::string input_name, weight_name, bias_name, output_name;  // bias_name "" when there is none
  std::optional<Shape> input_shape, weight_shape, output_shape;  // from the file and shape inference
  // Set when the node resolves (input and weight shapes known, attributes valid); otherwise `unresolved` says why.
  std::optional<ConvTransposeResolution> resolution;
  std::string unresolved;
  // The output-size formula per axis with the numbers ("(4-1)*2 - 2*1 + 1*(4-1) + 0 + 1 = 8"); with asymmetric
  // pads it names both ends ("(4-1)*2 - 1 - 2 + ...").
  std::optional<TransposedAxisSize> height, width;
  // The same as text, with the rows or columns that precede the full result (resolution.leading, bias only)
  // added when there are any: "... = 15, + 1 leading = 16".
  std::string height_formula, width_formula;
  // The geometric verdict (needs only kernel, stride and dilation, so it is set whenever the attributes and the
  // weight shape are known): per axis and combined, the 2-D max/min tap ratio (infinite with holes), and the
  // coverage report's explanation and fix when the node resolved.
  std::optional<OverlapVerdict> verdict;
  std::optional<AxisCoverage> coverage_h, coverage_w;
  double max_min_ratio = 1.0;
  std::string explanation, fix;
  // The coverage report's fix as numbers: a kernel that is a multiple of the stride (and a coprime dilation),
  // with a PyTorch padding and output_padding that keep the output size when `keeps_output_size`.
  IntPair suggested_kernel, suggested_padding, suggested_output_padding;
  bool keeps_output_size = false;
};

struct NodeSummary {
  std::string name, op_type, domain;
  std::vector<std::string> inputs, outputs;
  std::vector<std::optional<Shape>> output_shapes;  // from shape inference, per output
  bool supported = true;  // the executor runs this op
};

struct ModelSummary {
  std::string path, producer;
  int64_t ir_version = 0, opset = 0;
  std::vector<ValueInfo> inputs, outputs;
  size_t initializer_count = 0;
  int64_t parameter_count = 0;  // elements in all initializers
  std::vector<NodeSummary> nodes;
  std::vector<ConvTransposeStatic> conv_transposes;  // in graph order
  std::vector<std::string> unsupported_ops;  // op types the executor does not run, each once, in graph order
};

ModelSummary inspect_model(const Model& model);

// What one ConvTranspose node looks like without running anything (what inspect_model lists).
ConvTransposeStatic describe_conv_transpose(const Model& model, const Node& node);

// ---- the audit ----

// Where the input a ConvTranspose was measured on came from.
enum class AuditInput {
  Given,          // the graph ran on the feeds the caller gave
  PartlyRandom,   // the graph ran; some graph inputs were random
  Random,         // the graph ran on random graph inputs only
  Isolated,       // the graph could not run up to this node: the node ran alone on a random input of its
                  // inferred shape (U(-1, 1), batch 1)
  NotMeasured,    // nothing could run (see `note`)
};
const char* to_string(AuditInput input);  // "given", "partly random", "random", "isolated random", "not measured"

// Per output channel, the sums of the sub-kernel of each output phase: for a phase (ry, rx), the taps with
// (ky*dh) mod sh == ry and (kx*dw) mod sw == rx, over the channel's input channels. A constant input c shows
// exactly this pattern in the output's interior: bias + c * sum. A phase no tap reaches sums to 0.
struct PhaseImbalance {
  // (max - min) / max |sum| over the phases, per output channel: 0 when every phase sums alike; 1 when some phase
  // gets nothing (or cancels) while another carries the weight; up to 2 when the sums have opposite signs. 0 for
  // a channel whose sums are all 0.
  std::vector<double> per_channel;
  double max = 0, mean = 0;
  int64_t worst_channel = -1;
  // The phases, row-major (ry * sw + rx), listed only when sh * sw <= kMaxListedImbalancePhases.
  int64_t phases = 0;
  std::vector<double> worst_channel_sums;  // the worst channel's sums (when listed)
};
constexpr int64_t kMaxListedImbalancePhases = 64;

// A 4-D weight [C_in, C_out/groups, kH, kW] with the node's stride, dilation and groups.
PhaseImbalance phase_imbalance(const Tensor& weight, const ConvTranspose2dParams& params);

struct ConvTransposeAudit {
  ConvTransposeStatic node;  // the static view; the resolution is redone on the measured shapes when they differ
  AuditInput input = AuditInput::NotMeasured;
  Shape input_shape, output_shape;  // as measured (empty when not measured)
  std::optional<ArtifactScore> artifact;            // of the node's own output (before any activation)
  std::optional<PhaseImbalance> imbalance;          // of its weight (when the weight is known)
  std::string note;  // why something is missing, or how the input was made
};

// The ConvTranspose nodes that feed one another (each reaches the next through its data input, whatever lies
// between), composed as if each fed the next directly, on one channel with unit kernels: the route count of every
// final output pixel (stack_coverage), summarised over the interior that every layer fully covers.
struct ChainCoverage {
  std::vector<std::string> nodes;  // the longest such chain, in order
  std::vector<std::string> off_chain;  // ConvTranspose nodes on other branches
  Shape input_shape;  // [1, 1, H, W] counted on: the first node's input size, or larger when that leaves no interior
  std::vector<std::pair<int64_t, int64_t>> stage_sizes;  // (H, W) after each node of the chain, from input_shape
  bool computed = false;
  StackCoverageSummary summary;  // when computed
  int64_t border = 0;            // pixels left out on each side
  std::string note;              // why not computed, or a caveat
};

struct AuditOptions {
  RunOptions run;     // backend, progress, cancel; the audit sets keep_intermediates and stop_after itself
  uint64_t seed = 0;  // of the random feeds and of isolated inputs
};

struct AuditReport {
  std::string path;
  std::vector<std::string> random_inputs;  // graph inputs fed at random
  bool model_ran = false;                  // the whole graph ran
  std::string run_error;                   // why it did not
  std::vector<ConvTransposeAudit> nodes;   // one per ConvTranspose, in graph order
  ChainCoverage chain;
  std::string diagnosis;  // one paragraph: what is wrong, where, and the fixes
};

// Runs the model on `feeds` (completed with random inputs, see complete_feeds) and audits every ConvTranspose.
// When the whole graph cannot run (an unsupported op, a feed it refuses, the memory budget), each node is
// measured on the longest runnable prefix of the graph that reaches it, or else alone on a random input of its
// inferred shape, and `run_error` says why. Errors in the given feeds (see complete_feeds) are thrown.
AuditReport audit_model(const Model& model, const std::map<std::string, Value>& feeds, const AuditOptions& options = {});

// The diagnosis paragraph for audited nodes and their chain (what audit_model puts in `diagnosis`).
std::string diagnose(const std::vector<ConvTransposeAudit>& nodes, const ChainCoverage& chain);

}  // namespace convt::onnx
