// The lab's computation, as a pure function of prepared inputs: the layer's output through the chosen backend,
// the scatter-then-convolve steps and replay of the chosen slice, coverage and verdict, the artifact score, and
// the resize-then-convolve comparison. Runs on the worker for big layers, inline for small ones.
#pragma once

#include "job_runner.h"
#include "lab_state.h"

#include <convt/analysis.h>
#include <convt/shape.h>
#include <convt/tensor.h>

#include <memory>
#include <optional>
#include <string>

namespace convt::lab {

// Tensors built from the state on the UI thread (cheap) and shared read-only with the worker.
struct PreparedLayer {
  std::shared_ptr<const Tensor> input;   // always 4-D
  std::shared_ptr<const Tensor> weight;  // [C_in, C_out/groups, kH, kW]
  std::shared_ptr<const Tensor> bias;    // null without bias
  ConvTranspose2dParams params;
  ConvTranspose2dGeometry geometry;  // validated
  std::string backend;
};

// The offending parameter (a key of the engine's Error::parameter(), or "input.image", "weight.file",
// "out_channels", "backend", "memory") and the one-line rule it broke.
struct FieldError {
  std::string parameter;
  std::string message;
};

struct ComputeResult {
  uint64_t generation = 0;
  std::optional<FieldError> error;  // set when the computation itself failed; nothing else is then valid
  LabState state;  // the state these results belong to
  PreparedLayer layer;
  Tensor output;  // [N, C_out, OH, OW]
  std::string backend_name;
  double run_ms = 0;

  // The chosen slice (view.batch_index, in_channel, out_channel), clamped to valid, same-group channels.
  int64_t batch_index = 0, in_channel = 0, out_channel = 0;
  ScatterConvolveSteps steps;
  std::shared_ptr<const ScatterReplay> replay;

  CoverageReport coverage;
  ArtifactScore score;
  Tensor comparison;  // resize-then-convolve of the chosen (batch, out_channel): [1, 1, H', W']
  NonFiniteCount input_nonfinite, output_nonfinite;  // reported in the views, drawn magenta

  uint64_t output_bytes() const { return static_cast<uint64_t>(output.numel()) * sizeof(float); }
  double gflops() const { return run_ms > 0 ? layer.geometry.useful_flops() / (run_ms * 1e6) : 0.0; }
};

// Work estimate used to decide between running inline and on the worker: the useful FLOPs of the layer.
double estimated_flops(const PreparedLayer& layer);

// The previous output, when only the chosen slice or comparison changed: the layer is not run again.
struct ReusedOutput {
  Tensor output;
  std::string backend_name;
  double run_ms = 0;
};

// True when two prepared layers are the same computation (same tensors, parameters and backend).
bool same_layer(const PreparedLayer& a, const PreparedLayer& b);

// Runs everything; checks `context` between stages (throws JobCancelled when superseded). Failures (an
// unavailable backend, memory) come back in ComputeResult::error, never as exceptions.
ComputeResult compute(const LabState& state, const PreparedLayer& layer, JobContext& context,
                      const std::optional<ReusedOutput>& reuse = std::nullopt);

}  // namespace convt::lab
