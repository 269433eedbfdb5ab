// The Model panel's session: an ONNX model read, checked and run on a worker thread of its own (at a lowered
// priority, like the app's other workers). The UI asks for a file and its feeds (configure) and reads an
// immutable snapshot once per frame; it never waits on the file or the run. A new file loads it; new feeds (or a
// new backend) run it again, cancelling a run in progress. The run keeps every node's output, from which each
// ConvTranspose node gets its real input activation; when the model cannot run up to a node (an unsupported op,
// a missing feed), that node opens with a seeded random input of the shape ONNX's shape inference gives, and says
// so. Whatever goes wrong becomes a message in the snapshot, never an exception on the UI thread. No ImGui, no GL.
#pragma once

#include <convt/analysis.h>
#include <convt/onnx.h>
#include <convt/onnx_audit.h>
#include <convt/tensor.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace convt::lab {

// What the session is asked for.
struct ModelRequest {
  std::string path;
  std::string input = "random";  // model.input: "random" or FILE[,FILE...]
  uint64_t seed = 0;
  std::string backend = "auto";
  bool operator==(const ModelRequest&) const = default;
};

// Where a ConvTranspose node's input activation comes from.
enum class ActivationSource {
  Run,     // the model's run: the real activation
  Random,  // seeded U(-1, 1) of the inferred shape: the model could not run up to this node
};

// One ConvTranspose node, ready for the panels.
struct ModelLayer {
  std::string node;
  size_t node_index = 0;  // in Model::nodes
  std::optional<onnx::ConvTransposeResolution> resolution;
  std::shared_ptr<const Tensor> input, weight, bias;  // input and weight are null when it cannot open
  ActivationSource source = ActivationSource::Random;
  std::string weight_name, bias_name;  // the graph values they are
  std::string error;  // why it cannot open ("" when it can)
  std::string note;   // what the panels cannot show of it ("" when nothing)
  bool ready() const { return input && weight && resolution && error.empty(); }
};

// What the session did with the request.
enum class RunStatus { NotRun, Running, Ran, Partial, Failed, Cancelled };

// Per node: what the list shows besides its name and op.
struct ModelNodeInfo {
  std::vector<std::string> input_shapes, output_shapes;  // "[1, 16, 4, 4]" or "?" (inputs in node order)
  std::string parameters;  // "k4 s2 p1", "x2, 2 nearest (asymmetric)", "blocksize 3 CRD", or the attributes
  bool upsampling = false;  // ConvTranspose, Resize, Upsample, DepthToSpace
  // ConvTranspose: from its geometry (the coverage report). Resize, Upsample: an interpolation blends the same
  // number of inputs everywhere (Even), except nearest at a scale that is not a whole number, which repeats some
  // rows or columns more often (Uneven). DepthToSpace: a rearrangement (Even); its checkerboard, if any, is the
  // weights' of the conv before it.
  std::optional<OverlapVerdict> verdict;
  std::string verdict_text;  // the verdict in words, or why there is none
  int64_t layer = -1;                     // its index in ModelSnapshot::layers (ConvTranspose only)
  bool ran = false;                       // the run reached it
};

struct ModelSnapshot {
  uint64_t version = 0;  // grows with every snapshot
  ModelRequest request;  // what this snapshot answers
  bool loading = false;  // the file is being read: nothing below belongs to `request.path` yet
  std::string load_error;
  std::shared_ptr<const onnx::Model> model;
  uint64_t model_id = 0;  // grows with every load

  RunStatus run = RunStatus::NotRun;
  std::string run_error;   // why the run failed or stopped early
  std::string feeds_text;  // what each graph input was fed, one line per input
  double run_ms = 0;
  std::vector<std::pair<std::string, Shape>> outputs;  // the graph outputs after a complete run

  std::vector<ModelNodeInfo> nodes;  // per Model::nodes entry (empty while loading)
  std::vector<ModelLayer> layers;    // the ConvTranspose nodes in graph order
  uint64_t layers_id = 0;            // grows whenever the layers' tensors change

  // The engine's audit (onnx_audit.h) of the same feeds, made after the layers: per ConvTranspose its measured
  // artifact score and its weights' phase imbalance, the upsampling chain's coverage, and the diagnosis.
  bool auditing = false;
  std::shared_ptr<const onnx::AuditReport> audit;
  std::string audit_error;
  const onnx::ConvTransposeAudit* audit_of(const std::string& node) const;

  const ModelLayer* layer(const std::string& node) const;
  // The index of `node` in layers, or -1.
  int64_t layer_index(const std::string& node) const;
};

class ModelSession {
 public:
  ModelSession();
  ~ModelSession();
  ModelSession(const ModelSession&) = delete;
  ModelSession& operator=(const ModelSession&) = delete;

  // Loads (a new path) or runs again (new feeds or backend) when `request` differs from the last one asked for.
  void configure(const ModelRequest& request);
  // Reads the file again and runs it (it changed on disk).
  void reload();
  // Stops a run in progress; the nodes it did not reach open with random inputs.
  void cancel();

  // True while something asked for is not yet in the snapshot (a load, a run).
  bool working() const;
  std::shared_ptr<const ModelSnapshot> snapshot() const;
  // The running model's progress: nodes done and the node count (0, 0 when not running).
  std::pair<size_t, size_t> progress() const;

  // Waits (tests) until working() is false; false on timeout.
  bool wait_until_idle(double timeout_seconds) const;

 private:
  void loop();
  void process(const ModelRequest& request, bool reload);
  void publish(std::shared_ptr<ModelSnapshot> next);

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::optional<ModelRequest> requested_;
  bool pending_ = false, reload_pending_ = false, busy_ = false, stopping_ = false;
  uint64_t version_ = 0;
  std::shared_ptr<const ModelSnapshot> snapshot_;
  std::atomic<bool> cancel_{false};
  std::atomic<size_t> done_{0}, total_{0};

  // The worker's own.
  std::string loaded_path_;
  std::shared_ptr<const onnx::Model> model_;
  std::string load_error_;
  uint64_t model_id_ = 0, layers_id_ = 0;

  std::thread worker_;  // last: starts after everything it uses exists
};

// Text for the list and for tests: "k4 s2 p1 op1 d2 g2" (pads begin/end when they differ), an attribute's value.
std::string conv_transpose_text(const ConvTranspose2dParams& params, IntPair kernel);
std::string attribute_text(const onnx::Attribute& attribute);

}  // namespace convt::lab
