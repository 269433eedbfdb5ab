#include "model_command.h"

#include "cli_options.h"
#include "layer_options.h"

#include <convt/error.h>
#include <convt/io.h>
#include <convt/onnx.h>
#include <convt/onnx_audit.h>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <set>

namespace convt::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// "\rrunning: node 3/40 (8%)" on stderr, at most ten times a second, when stderr is a terminal; erased when done.
class NodeProgress {
 public:
  explicit NodeProgress(const char* what) : what_(what), enabled_(::isatty(STDERR_FILENO) == 1) {}
  NodeProgress(const NodeProgress&) = delete;
  NodeProgress& operator=(const NodeProgress&) = delete;
  void update(size_t done, size_t total) {
    if (!enabled_ || total == 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (done != total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    std::fprintf(stderr, "\r%s: node %zu/%zu (%.0f%%)", what_, done, total,
                 100.0 * static_cast<double>(done) / static_cast<double>(total));
    std::fflush(stderr);
    shown_ = true;
  }
  ~NodeProgress() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  const char* what_;
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

// ---- options ----

uint64_t checked_seed(int64_t seed) {
  if (seed < 0) throw_invalid("--seed " + std::to_string(seed) + " is invalid: it must be 0 or more", "seed");
  return static_cast<uint64_t>(seed);
}

struct FeedSpec {
  std::string name, file;
};

// "NAME=FILE": names may hold '=' themselves, so the split is the first '=' whose left side names a graph input.
std::vector<FeedSpec> parse_feed_specs(const onnx::Model& model, const std::vector<std::string>& specs) {
  std::set<std::string> input_names;
  for (const onnx::ValueInfo& input : model.inputs) input_names.insert(input.name);
  std::vector<FeedSpec> feeds;
  std::set<std::string> seen;
  for (const std::string& spec : specs) {
    size_t split = spec.find('=');
    if (split == std::string::npos || split == 0 || split + 1 == spec.size())
      throw_invalid("--input '" + spec + "' is invalid: expected NAME=FILE (a .npy, or a TensorProto .pb)", "input");
    size_t chosen = split;
    for (size_t at = split; at != std::string::npos; at = spec.find('=', at + 1))
      if (input_names.count(spec.substr(0, at))) {
        chosen = at;
        break;
      }
    FeedSpec feed{spec.substr(0, chosen), spec.substr(chosen + 1)};
    if (feed.file.empty())
      throw_invalid("--input '" + spec + "' is invalid: expected NAME=FILE (a .npy, or a TensorProto .pb)", "input");
    if (!input_names.count(feed.name)) {
      std::string names;
      for (const onnx::ValueInfo& input : model.inputs) names += (names.empty() ? "'" : ", '") + input.name + "'";
      throw_invalid("--input '" + spec + "': the model has no input named '" + feed.name + "'" +
                        (names.empty() ? std::string(" (it takes no inputs)") : "; its inputs: " + names),
                    "input");
    }
    if (!seen.insert(feed.name).second) throw_invalid("--input names '" + feed.name + "' twice", "input");
    feeds.push_back(std::move(feed));
  }
  return feeds;
}

std::map<std::string, onnx::Value> read_feeds(const std::vector<FeedSpec>& specs) {
  std::map<std::string, onnx::Value> feeds;
  for (const FeedSpec& spec : specs) feeds.emplace(spec.name, onnx::read_feed(spec.file));
  return feeds;
}

// The output folder: an existing folder, or a new one whose parent exists (created only when there is something
// to write). Checked before the model runs.
void check_out_dir(const std::string& dir) {
  std::error_code error;
  const fs::file_status status = fs::status(dir, error);
  if (fs::exists(status)) {
    if (!fs::is_directory(status)) throw_io("--out-dir '" + dir + "' is not a directory");
    return;
  }
  fs::path parent = fs::path(dir).lexically_normal().parent_path();
  if (parent.empty()) parent = ".";
  if (!fs::is_directory(parent, error))
    throw_io("cannot create --out-dir '" + dir + "': its parent '" + parent.string() + "' is not a directory");
}

void make_out_dir(const std::string& dir) {
  std::error_code error;
  if (fs::is_directory(dir, error)) return;
  if (!fs::create_directory(dir, error) && !fs::is_directory(dir))
    throw_io("cannot create --out-dir '" + dir + "': " + error.message());
}

// ---- text and JSON pieces ----

json dims_json(const onnx::ValueInfo& info) {
  if (!info.has_shape) return nullptr;
  json dims = json::array();
  for (const onnx::Dim& dim : info.dims)
    dims.push_back(dim.known() ? json(dim.value) : dim.symbol.empty() ? json(nullptr) : json(dim.symbol));
  return dims;
}

json value_info_json(const onnx::ValueInfo& info) {
  return {{"name", info.name}, {"element_type", onnx::element_type_name(info.element_type)}, {"shape", dims_json(info)}};
}

json shape_json(const std::optional<Shape>& shape) { return shape ? json(*shape) : json(nullptr); }
std::string shape_text(const std::optional<Shape>& shape) { return shape ? shape_to_string(*shape) : "?"; }

json number_or_null(double value) { return std::isfinite(value) ? json(value) : json(nullptr); }

std::string pair_text(const IntPair& p) { return p.h == p.w ? std::to_string(p.h) : std::to_string(p.h) + "," + std::to_string(p.w); }

std::string params_text(const onnx::ConvTransposeResolution& r) {
  const ConvTranspose2dParams& p = r.params;
  const IntPair end = p.end_padding();
  std::string text = "kernel " + std::to_string(r.kernel.h) + "x" + std::to_string(r.kernel.w) + ", stride " +
                     pair_text(p.stride) + ", pads " + std::to_string(p.padding.h) + "," + std::to_string(p.padding.w) +
                     "," + std::to_string(end.h) + "," + std::to_string(end.w) +
                     " (top,left,bottom,right), output_padding " + pair_text(p.output_padding) + ", dilation " +
                     pair_text(p.dilation) + ", groups " + std::to_string(p.groups);
  if (r.auto_pad != "NOTSET") text += ", auto_pad " + r.auto_pad;
  if (r.from_output_shape) text += ", pads from output_shape";
  return text;
}

json resolution_json(const onnx::ConvTransposeResolution& r) {
  json params = params_json(r.params);
  const IntPair end = r.params.end_padding();
  params["padding_end"] = {end.h, end.w};
  params["pads"] = {r.params.padding.h, r.params.padding.w, end.h, end.w};
  params["kernel"] = {r.kernel.h, r.kernel.w};
  params["auto_pad"] = r.auto_pad;
  params["from_output_shape"] = r.from_output_shape;
  params["leading"] = {r.leading.h, r.leading.w};
  params["in_channels"] = r.in_channels;
  params["out_channels"] = r.out_channels;
  return params;
}

std::string verdict_text(const onnx::ConvTransposeStatic& s) {
  if (!s.verdict) return "unknown";
  std::string text = to_string(*s.verdict);
  if (*s.verdict == OverlapVerdict::Uneven && std::isfinite(s.max_min_ratio)) {
    char ratio[64];
    std::snprintf(ratio, sizeof ratio, " (max/min taps %.4g in 2-D)", s.max_min_ratio);
    text += ratio;
  }
  return text;
}

json static_json(const onnx::ConvTransposeStatic& s) {
  const onnx::ConvTransposeResolution* r = s.resolution ? &*s.resolution : nullptr;
  json entry = {
      {"name", s.name},
      {"op", "ConvTranspose"},
      {"input", {{"name", s.input_name}, {"shape", shape_json(s.input_shape)}}},
      {"weight", {{"name", s.weight_name}, {"shape", shape_json(s.weight_shape)}}},
      {"bias", s.bias_name.empty() ? json(nullptr) : json(s.bias_name)},
      {"output", {{"name", s.output_name}, {"shape", shape_json(s.output_shape)}}},
      {"resolved", r != nullptr},
      {"unresolved", r ? json(nullptr) : json(s.unresolved)},
      {"params", r ? resolution_json(*r) : json(nullptr)},
      {"output_size", r ? json({r->output_size.h, r->output_size.w}) : json(nullptr)},
      {"formula", s.height && s.width ? json({{"height", s.height_formula}, {"width", s.width_formula}})
                                      : json(nullptr)},
      {"pytorch", r ? json(r->pytorch_call) : json(nullptr)},
      {"has_pytorch_call", r ? r->has_pytorch_call : false},
      {"verdict", s.verdict ? json(to_string(*s.verdict)) : json(nullptr)},
      {"max_min_ratio", s.verdict ? number_or_null(s.max_min_ratio) : json(nullptr)},
      {"explanation", s.explanation},
      {"fix", s.fix},
  };
  return entry;
}

void print_static(const onnx::ConvTransposeStatic& s) {
  std::printf("\nConvTranspose '%s'\n", s.name.c_str());
  std::printf("  tensors  input '%s' %s, weight '%s' %s%s%s -> output '%s' %s\n", s.input_name.c_str(),
              shape_text(s.input_shape).c_str(), s.weight_name.c_str(), shape_text(s.weight_shape).c_str(),
              s.bias_name.empty() ? ", no bias" : ", bias '", s.bias_name.empty() ? "" : (s.bias_name + "'").c_str(),
              s.output_name.c_str(), shape_text(s.output_shape).c_str());
  if (!s.resolution) {
    std::printf("  resolve  not resolved: %s\n", s.unresolved.c_str());
  } else {
    const onnx::ConvTransposeResolution& r = *s.resolution;
    std::printf("  params   %s\n", params_text(r).c_str());
    if (s.height && s.width) {
      std::printf("  formula  %s\n", s.resolution->params.asymmetric() ? TransposedAxisSize::symbolic_asymmetric()
                                                                        : TransposedAxisSize::symbolic());
      std::printf("  height   %s\n  width    %s\n", s.height_formula.c_str(), s.width_formula.c_str());
    }
    if (r.has_pytorch_call)
      std::printf("  pytorch  equivalent PyTorch call: %s\n", r.pytorch_call.c_str());
    else
      std::printf("  pytorch  no equivalent PyTorch call: %s\n", r.pytorch_call.c_str());
  }
  std::printf("  verdict  %s\n", verdict_text(s).c_str());
  if (!s.explanation.empty()) std::printf("  why      %s\n", s.explanation.c_str());
  if (!s.fix.empty()) std::printf("  fix      %s\n", s.fix.c_str());
}

// ---- inspect ----

void execute_model_inspect(const ModelOptions& options) {
  const onnx::Model model = onnx::load_model(options.model);
  const onnx::ModelSummary summary = onnx::inspect_model(model);
  if (options.json) {
    json report = {{"command", "model inspect"},
                   {"model", options.model},
                   {"ir_version", summary.ir_version},
                   {"opset", summary.opset},
                   {"producer", summary.producer},
                   {"initializers", summary.initializer_count},
                   {"parameters", summary.parameter_count},
                   {"inputs", json::array()},
                   {"outputs", json::array()},
                   {"nodes", json::array()},
                   {"unsupported_ops", summary.unsupported_ops},
                   {"conv_transposes", json::array()}};
    for (const onnx::ValueInfo& info : summary.inputs) report["inputs"].push_back(value_info_json(info));
    for (const onnx::ValueInfo& info : summary.outputs) report["outputs"].push_back(value_info_json(info));
    for (size_t i = 0; i < summary.nodes.size(); ++i) {
      const onnx::NodeSummary& node = summary.nodes[i];
      json shapes = json::array();
      for (const auto& shape : node.output_shapes) shapes.push_back(shape_json(shape));
      report["nodes"].push_back({{"index", i},
                                 {"name", node.name},
                                 {"op_type", node.op_type},
                                 {"domain", node.domain},
                                 {"inputs", node.inputs},
                                 {"outputs", node.outputs},
                                 {"output_shapes", shapes},
                                 {"supported", node.supported}});
    }
    for (const onnx::ConvTransposeStatic& s : summary.conv_transposes) report["conv_transposes"].push_back(static_json(s));
    std::cout << report.dump() << "\n";
    return;
  }

  std::printf("model    %s: ONNX IR %lld, opset %lld%s%s\n", options.model.c_str(),
              static_cast<long long>(summary.ir_version), static_cast<long long>(summary.opset),
              summary.producer.empty() ? "" : ", from ", summary.producer.c_str());
  std::printf("weights  %zu initializers, %lld values\n", summary.initializer_count,
              static_cast<long long>(summary.parameter_count));
  std::printf("inputs%s\n", summary.inputs.empty() ? "   none" : "");
  for (const onnx::ValueInfo& info : summary.inputs)
    std::printf("  '%s' %s %s\n", info.name.c_str(), onnx::element_type_name(info.element_type), info.shape_text().c_str());
  std::printf("outputs\n");
  for (const onnx::ValueInfo& info : summary.outputs)
    std::printf("  '%s' %s %s\n", info.name.c_str(), onnx::element_type_name(info.element_type), info.shape_text().c_str());
  std::printf("nodes    %zu\n", summary.nodes.size());
  for (size_t i = 0; i < summary.nodes.size(); ++i) {
    const onnx::NodeSummary& node = summary.nodes[i];
    std::string ins, outs, shapes;
    for (const std::string& name : node.inputs) ins += (ins.empty() ? "" : ", ") + (name.empty() ? "-" : name);
    for (size_t o = 0; o < node.outputs.size(); ++o) {
      outs += (o ? ", " : "") + node.outputs[o];
      shapes += (o ? " " : "") + shape_text(node.output_shapes[o]);
    }
    std::printf("  %3zu  %-18s '%s'  (%s) -> (%s)  %s%s\n", i,
                (node.domain.empty() || node.domain == "ai.onnx" ? node.op_type : node.domain + "." + node.op_type).c_str(),
                node.name.c_str(), ins.c_str(), outs.c_str(), shapes.c_str(), node.supported ? "" : "  [unsupported]");
  }
  if (summary.unsupported_ops.empty()) {
    std::printf("ops      every op is supported by convt model run\n");
  } else {
    std::string ops;
    for (const std::string& op : summary.unsupported_ops) ops += (ops.empty() ? "" : ", ") + op;
    std::printf("ops      not supported: %s (model run refuses this model; model audit measures each ConvTranspose "
                "on the part that runs, or alone)\n", ops.c_str());
  }
  if (summary.conv_transposes.empty()) std::printf("\nNo ConvTranspose node.\n");
  for (const onnx::ConvTransposeStatic& s : summary.conv_transposes) print_static(s);
}

// ---- run ----

void execute_model_run(const ModelOptions& options) {
  const uint64_t seed = checked_seed(options.seed);
  if (options.out_dir.empty()) throw_invalid("--out-dir is required", "out_dir");
  check_out_dir(options.out_dir);
  const onnx::Model model = onnx::load_model(options.model);
  const std::vector<FeedSpec> specs = parse_feed_specs(model, options.inputs);
  std::map<std::string, std::string> feed_files;
  for (const FeedSpec& spec : specs) feed_files[spec.name] = spec.file;
  const onnx::CompletedFeeds feeds = onnx::complete_feeds(model, read_feeds(specs), seed);

  onnx::RunOptions run_options;
  run_options.backend = options.backend;
  run_options.keep_intermediates = options.keep_intermediates;
  const auto start = std::chrono::steady_clock::now();
  onnx::RunResult result;
  {
    NodeProgress progress("running");
    run_options.progress = [&](size_t done, size_t total) { progress.update(done, total); };
    result = onnx::run_model(model, feeds.feeds, run_options);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // What is written, in order: the graph outputs, then (kept) every node output that is not one of them.
  struct Written {
    std::string name;
    const Tensor* tensor;
    bool intermediate;
  };
  std::vector<Written> written;
  std::set<std::string> names;
  for (const auto& [name, tensor] : result.outputs)
    if (names.insert(name).second) written.push_back({name, &tensor, false});
  if (options.keep_intermediates)
    for (const onnx::Node& node : model.nodes)
      for (const std::string& output : node.outputs) {
        if (output.empty() || names.count(output)) continue;
        const auto found = result.values.find(output);
        if (found == result.values.end()) continue;
        names.insert(output);
        written.push_back({output, &found->second.tensor, true});
      }
  std::vector<std::string> tensor_names;
  for (const Written& w : written) tensor_names.push_back(w.name);
  const std::vector<std::string> files = onnx::unique_file_names(tensor_names);
  make_out_dir(options.out_dir);
  for (size_t i = 0; i < written.size(); ++i)
    write_npy((fs::path(options.out_dir) / files[i]).string(), *written[i].tensor);

  for (const auto& [name, tensor] : result.outputs) {
    const NonFiniteCount nonfinite = count_nonfinite(tensor);
    if (nonfinite.any())
      std::fprintf(stderr, "warning: output '%s' has %lld NaN and %lld infinite values\n", name.c_str(),
                   static_cast<long long>(nonfinite.nan), static_cast<long long>(nonfinite.inf));
  }
  auto path_of = [&](size_t i) { return (fs::path(options.out_dir) / files[i]).string(); };
  auto renamed = [&](size_t i) { return files[i] != onnx::safe_file_name(written[i].name) + ".npy"; };

  if (options.json) {
    json report = {{"command", "model run"},
                   {"model", options.model},
                   {"backend", options.backend},
                   {"seed", options.seed},
                   {"time_ms", seconds * 1e3},
                   {"out_dir", options.out_dir},
                   {"inputs", json::array()},
                   {"outputs", json::array()},
                   {"intermediates", json::array()}};
    for (const onnx::ValueInfo& input : model.inputs) {
      const auto feed = feeds.feeds.find(input.name);
      const bool random = !feed_files.count(input.name);
      report["inputs"].push_back({{"name", input.name},
                                  {"shape", feed == feeds.feeds.end() ? json(nullptr) : json(feed->second.shape())},
                                  {"source", random ? "random" : "file"},
                                  {"file", random ? json(nullptr) : json(feed_files[input.name])}});
    }
    for (size_t i = 0; i < written.size(); ++i)
      report[written[i].intermediate ? "intermediates" : "outputs"].push_back(
          {{"name", written[i].name}, {"shape", written[i].tensor->shape()}, {"file", path_of(i)}, {"renamed", renamed(i)}});
    std::cout << report.dump() << "\n";
    return;
  }
  std::printf("model    %s (%zu nodes)\n", options.model.c_str(), model.nodes.size());
  for (const onnx::ValueInfo& input : model.inputs) {
    const auto feed = feeds.feeds.find(input.name);
    const std::string shape = feed == feeds.feeds.end() ? "?" : shape_to_string(feed->second.shape());
    if (feed_files.count(input.name))
      std::printf("input    '%s' %s from %s\n", input.name.c_str(), shape.c_str(), feed_files[input.name].c_str());
    else
      std::printf("input    '%s' %s random U(-1, 1), seed %lld (note: no --input %s=FILE was given; the shape is the "
                  "declared one, symbolic dimensions as 1)\n", input.name.c_str(), shape.c_str(),
                  static_cast<long long>(options.seed), input.name.c_str());
  }
  std::printf("ran      %.3f ms, backend %s\n", seconds * 1e3, options.backend.c_str());
  size_t intermediates = 0;
  for (size_t i = 0; i < written.size(); ++i) {
    if (written[i].intermediate) {
      ++intermediates;
      if (!renamed(i)) continue;
    }
    std::printf("%s '%s' %s -> %s%s\n", written[i].intermediate ? "kept    " : "output  ", written[i].name.c_str(),
                shape_to_string(written[i].tensor->shape()).c_str(), path_of(i).c_str(),
                renamed(i) ? " (renamed: another tensor's name gives the same file name)" : "");
  }
  if (options.keep_intermediates)
    std::printf("kept     %zu node outputs in %s as NAME.npy (characters outside A-Z a-z 0-9 . _ - become _)\n",
                intermediates, options.out_dir.c_str());
}

// ---- audit ----

json audit_node_json(const onnx::ConvTransposeAudit& a) {
  json entry = static_json(a.node);
  entry["input_source"] = onnx::to_string(a.input);
  entry["measured_input_shape"] = a.input_shape.empty() ? json(nullptr) : json(a.input_shape);
  entry["measured_output_shape"] = a.output_shape.empty() ? json(nullptr) : json(a.output_shape);
  if (a.artifact)
    entry["artifact_score"] = {{"score", a.artifact->score},
                               {"level", a.artifact->level},
                               {"phase_means", a.artifact->phase_means},
                               {"interior_pixels", a.artifact->interior_pixels}};
  else
    entry["artifact_score"] = nullptr;
  if (a.imbalance)
    entry["phase_imbalance"] = {{"per_channel", a.imbalance->per_channel},
                                {"max", a.imbalance->max},
                                {"mean", a.imbalance->mean},
                                {"worst_channel", a.imbalance->worst_channel},
                                {"phases", a.imbalance->phases > 0 ? json(a.imbalance->phases) : json(nullptr)},
                                {"worst_channel_sums", a.imbalance->worst_channel_sums}};
  else
    entry["phase_imbalance"] = nullptr;
  entry["note"] = a.note;
  return entry;
}

json chain_json(const onnx::ChainCoverage& c) {
  json stages = json::array();
  for (const auto& [h, w] : c.stage_sizes) stages.push_back({h, w});
  return {{"nodes", c.nodes},
          {"off_chain", c.off_chain},
          {"input_shape", c.input_shape.empty() ? json(nullptr) : json(c.input_shape)},
          {"stage_sizes", stages},
          {"computed", c.computed},
          {"verdict", c.computed ? json(to_string(c.summary.verdict)) : json(nullptr)},
          {"interior_min", c.computed ? number_or_null(c.summary.interior_min) : json(nullptr)},
          {"interior_max", c.computed ? number_or_null(c.summary.interior_max) : json(nullptr)},
          {"ratio", c.computed ? number_or_null(c.summary.ratio) : json(nullptr)},
          {"border", c.border},
          {"note", c.note}};
}

void print_audit_node(const onnx::ConvTransposeAudit& a) {
  const onnx::ConvTransposeStatic& s = a.node;
  std::printf("\nConvTranspose '%s'\n", s.name.c_str());
  if (s.resolution)
    std::printf("  params   %s\n", params_text(*s.resolution).c_str());
  else
    std::printf("  resolve  not resolved: %s\n", s.unresolved.c_str());
  if (!a.input_shape.empty())
    std::printf("  shapes   input '%s' %s (%s) -> output '%s' %s\n", s.input_name.c_str(),
                shape_to_string(a.input_shape).c_str(), onnx::to_string(a.input), s.output_name.c_str(),
                shape_to_string(a.output_shape).c_str());
  else
    std::printf("  shapes   input '%s' %s -> output '%s' %s (not measured)\n", s.input_name.c_str(),
                shape_text(s.input_shape).c_str(), s.output_name.c_str(), shape_text(s.output_shape).c_str());
  std::printf("  verdict  %s\n", verdict_text(s).c_str());
  if (!s.explanation.empty()) std::printf("  why      %s\n", s.explanation.c_str());
  if (a.artifact)
    std::printf("  score    %.4f (%s): artifact score of the node's output, the fraction of its interior variance "
                "explained by the output phase\n", a.artifact->score, a.artifact->level.c_str());
  else
    std::printf("  score    not measured\n");
  if (a.imbalance) {
    const onnx::PhaseImbalance& im = *a.imbalance;
    std::printf("  weights  phase imbalance max %.4f (output channel %lld), mean %.4f over %zu output channels",
                im.max, static_cast<long long>(im.worst_channel), im.mean, im.per_channel.size());
    if (!im.worst_channel_sums.empty()) {
      std::printf("; channel %lld's phase sums:", static_cast<long long>(im.worst_channel));
      for (size_t r = 0; r < im.worst_channel_sums.size(); ++r) std::printf("%s %.4g", r ? "," : "", im.worst_channel_sums[r]);
    }
    std::printf("\n           (max - min of the sub-kernel sums over max |sum|: what a constant input prints)\n");
  }
  if (!a.note.empty()) std::printf("  note     %s\n", a.note.c_str());
}

void execute_model_audit(const ModelOptions& options) {
  const uint64_t seed = checked_seed(options.seed);
  const onnx::Model model = onnx::load_model(options.model);
  const std::map<std::string, onnx::Value> feeds = read_feeds(parse_feed_specs(model, options.inputs));
  onnx::AuditOptions audit_options;
  audit_options.seed = seed;
  audit_options.run.backend = options.backend;
  onnx::AuditReport report;
  {
    NodeProgress progress("auditing");
    audit_options.run.progress = [&](size_t done, size_t total) { progress.update(done, total); };
    report = onnx::audit_model(model, feeds, audit_options);
  }

  if (options.json) {
    json out = {{"command", "model audit"},
                {"model", options.model},
                {"backend", options.backend},
                {"seed", options.seed},
                {"random_inputs", report.random_inputs},
                {"model_ran", report.model_ran},
                {"run_error", report.model_ran ? json(nullptr) : json(report.run_error)},
                {"conv_transposes", json::array()},
                {"chain", chain_json(report.chain)},
                {"diagnosis", report.diagnosis}};
    for (const onnx::ConvTransposeAudit& a : report.nodes) out["conv_transposes"].push_back(audit_node_json(a));
    std::cout << out.dump() << "\n";
    return;
  }
  std::printf("model    %s: %zu ConvTranspose node(s)\n", options.model.c_str(), report.nodes.size());
  for (const std::string& name : report.random_inputs)
    std::printf("input    '%s' random U(-1, 1), seed %lld (note: no --input %s=FILE was given)\n", name.c_str(),
                static_cast<long long>(options.seed), name.c_str());
  if (report.model_ran)
    std::printf("run      the whole graph ran; each ConvTranspose is measured on the input the graph gives it\n");
  else
    std::printf("run      the graph could not run (%s); each ConvTranspose is measured on the part of the graph that "
                "runs, or alone on a random input of its inferred shape\n", report.run_error.c_str());
  for (const onnx::ConvTransposeAudit& a : report.nodes) print_audit_node(a);

  const onnx::ChainCoverage& c = report.chain;
  std::printf("\nchain    ");
  if (c.nodes.empty()) {
    std::printf("none (%s)\n", c.note.c_str());
  } else {
    for (size_t i = 0; i < c.nodes.size(); ++i) std::printf("%s'%s'", i ? " -> " : "", c.nodes[i].c_str());
    std::printf("\n");
    if (c.computed) {
      std::printf("         %s: interior routes per output pixel %.0f to %.0f", to_string(c.summary.verdict),
                  c.summary.interior_min, c.summary.interior_max);
      if (c.summary.verdict == OverlapVerdict::Uneven) std::printf(" (max/min %.4g)", c.summary.ratio);
      std::printf(", on a %lldx%lld input\n", static_cast<long long>(c.input_shape[2]), static_cast<long long>(c.input_shape[3]));
    }
    if (!c.note.empty()) std::printf("         %s\n", c.note.c_str());
  }
  std::printf("\ndiagnosis\n  %s\n", report.diagnosis.c_str());
}

}  // namespace

CLI::App* add_model_command(CLI::App& app, ModelOptions& options) {
  CLI::App* model = app.add_subcommand("model", "Inspect, run and audit real ONNX models (ConvTranspose checkerboards)");
  model->require_subcommand(1);

  CLI::App* inspect = model->add_subcommand(
      "inspect", "List inputs, outputs and nodes; each ConvTranspose's parameters, output-size formula and verdict");
  inspect->add_option("model", options.model, "The .onnx file")->required();
  inspect->add_flag("--json", options.json, "Print one JSON object instead of text");
  inspect->callback([&options] { options.action = ModelOptions::Action::Inspect; });

  CLI::App* run = model->add_subcommand(
      "run", "Run the graph and write every graph output (and with --keep-intermediates every node output) to "
             "DIR/NAME.npy");
  run->add_option("model", options.model, "The .onnx file")->required();
  run->add_option("--input", options.inputs,
                  "NAME=FILE: feed graph input NAME from a .npy or a TensorProto .pb (repeat per input; inputs left "
                  "out are random U(-1, 1) of their declared shape)")
      ->allow_extra_args(false);
  run->add_option("--out-dir", options.out_dir,
                  "Folder for the .npy files (created when its parent exists); nothing is written outside it")
      ->required();
  run->add_flag("--keep-intermediates", options.keep_intermediates, "Also write every node's output");
  run->add_option("--seed", options.seed, "Seed of the random inputs")->capture_default_str();
  add_backend_option(*run, options.backend);
  run->add_flag("--json", options.json, "Print one JSON object instead of text");
  run->callback([&options] { options.action = ModelOptions::Action::Run; });

  CLI::App* audit = model->add_subcommand(
      "audit", "Per ConvTranspose: verdict, measured artifact score and the weights' phase imbalance; the chain's "
               "coverage and a diagnosis with fixes");
  audit->add_option("model", options.model, "The .onnx file")->required();
  audit->add_option("--input", options.inputs,
                    "NAME=FILE: feed graph input NAME from a .npy or a TensorProto .pb (repeat per input; inputs left "
                    "out are random U(-1, 1) of their declared shape)")
      ->allow_extra_args(false);
  audit->add_option("--seed", options.seed, "Seed of the random inputs")->capture_default_str();
  add_backend_option(*audit, options.backend);
  audit->add_flag("--json", options.json, "Print one JSON object instead of text");
  audit->callback([&options] { options.action = ModelOptions::Action::Audit; });
  return model;
}

void execute_model(const ModelOptions& options) {
  switch (options.action) {
    case ModelOptions::Action::Inspect: return execute_model_inspect(options);
    case ModelOptions::Action::Run: return execute_model_run(options);
    case ModelOptions::Action::Audit: return execute_model_audit(options);
    case ModelOptions::Action::None: break;
  }
  throw_invalid("convt model needs a subcommand: inspect, run or audit");
}

}  // namespace convt::cli
