// The model view and the checkerboard audit of an ONNX model's transposed convolutions (convt/onnx_audit.h).
// The graph runs with every intermediate kept (whole, or up to the last ConvTranspose it reaches); each
// ConvTranspose is then judged three ways: its geometry (the coverage verdict of MATH.md), its real output (the
// artifact score over the fully covered interior), and its weights alone (the phase sums a constant input would
// print). A model that cannot run still gets every node audited, on the part of the graph that runs or on a random
// input of the node's inferred shape. Every loop is bounded by a tensor that exists or by a cap, never by a size a
// file merely declares.
#include <convt/onnx_audit.h>

#include <convt/backend.h>
#include <convt/error.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <sstream>

namespace convt::onnx {
namespace {

__extension__ using wide_int = __int128;  // exact tap phases for any int64 stride and dilation

// Above these sizes coverage_report's per-row counts (O(input * kernel) time, O(output) memory) are not worth
// computing for a summary: a hostile file can declare a billion rows. The verdict then comes from the axes alone.
constexpr int64_t kMaxCountedAxis = int64_t{1} << 24;
// The chain's coverage is counted on one channel of the final size: at most this many pixels.
constexpr int64_t kMaxChainPixels = int64_t{1} << 24;
// File names are cut to this many characters before ".npy" (and a "-N" suffix), well under NAME_MAX (255).
constexpr size_t kMaxFileStem = 200;

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string format_number(double value, int precision = 3) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*g", precision, value);
  return buffer;
}

std::string quoted_list(const std::vector<std::string>& names, size_t most = 6) {
  std::string text;
  for (size_t i = 0; i < names.size() && i < most; ++i) text += (i ? ", '" : "'") + names[i] + "'";
  if (names.size() > most) text += " and " + std::to_string(names.size() - most) + " more";
  return text;
}

const Value* find_value(const Model& model, const std::map<std::string, Value>& values, const std::string& name) {
  if (name.empty()) return nullptr;
  if (const auto found = values.find(name); found != values.end()) return &found->second;
  if (const auto found = model.initializers.find(name); found != model.initializers.end()) return &found->second;
  return nullptr;
}

// The kernel, stride and dilation a node's attributes and weight shape give, for the verdict when the node does
// not resolve (its input shape unknown, say). nullopt when the attributes are not 2-D.
struct AxisGeometry {
  IntPair kernel, stride, dilation;
};
std::optional<AxisGeometry> attribute_geometry(const Node& node, const std::optional<Shape>& weight_shape) {
  try {
    AxisGeometry g{{1, 1}, {1, 1}, {1, 1}};
    auto pair_of = [](const std::vector<int64_t>& values, IntPair fallback) -> std::optional<IntPair> {
      if (values.empty()) return fallback;
      if (values.size() != 2 || values[0] < 1 || values[1] < 1) return std::nullopt;
      return IntPair{values[0], values[1]};
    };
    const auto stride = pair_of(node.ints_attribute("strides"), {1, 1});
    const auto dilation = pair_of(node.ints_attribute("dilations"), {1, 1});
    std::optional<IntPair> kernel = pair_of(node.ints_attribute("kernel_shape"), {0, 0});
    if (kernel && kernel->h == 0) {
      if (!weight_shape || weight_shape->size() != 4 || (*weight_shape)[2] < 1 || (*weight_shape)[3] < 1)
        return std::nullopt;
      kernel = IntPair{(*weight_shape)[2], (*weight_shape)[3]};
    }
    if (!stride || !dilation || !kernel) return std::nullopt;
    g.kernel = *kernel;
    g.stride = *stride;
    g.dilation = *dilation;
    return g;
  } catch (const Error&) {  // an attribute of the wrong kind: the resolution says so
    return std::nullopt;
  }
}

// The geometry coverage_report reads (sizes and kernel), built from a resolution without allocating anything.
ConvTranspose2dGeometry geometry_of(const ConvTransposeResolution& r) {
  ConvTranspose2dGeometry g;
  g.in_channels = r.in_channels;
  g.out_channels = r.out_channels;
  g.in_h = r.input_size.h;
  g.in_w = r.input_size.w;
  g.out_h = r.output_size.h - r.leading.h;
  g.out_w = r.output_size.w - r.leading.w;
  g.kernel_h = r.kernel.h;
  g.kernel_w = r.kernel.w;
  g.groups = r.params.groups;
  return g;
}

void fill_formulas(ConvTransposeStatic& s) {
  const ConvTransposeResolution& r = *s.resolution;
  const ConvTranspose2dParams& p = r.params;
  try {
    if (p.asymmetric()) {
      s.height = transposed_axis_size(r.input_size.h, r.kernel.h, p.stride.h, p.padding.h, p.end_padding().h,
                                      p.output_padding.h, p.dilation.h);
      s.width = transposed_axis_size(r.input_size.w, r.kernel.w, p.stride.w, p.padding.w, p.end_padding().w,
                                     p.output_padding.w, p.dilation.w);
    } else {
      s.height = transposed_axis_size(r.input_size.h, r.kernel.h, p.stride.h, p.padding.h, p.output_padding.h,
                                      p.dilation.h);
      s.width = transposed_axis_size(r.input_size.w, r.kernel.w, p.stride.w, p.padding.w, p.output_padding.w,
                                     p.dilation.w);
    }
  } catch (const Error&) {  // the resolver accepted it, so this cannot overflow; keep the view regardless
    s.height.reset();
    s.width.reset();
  }
  auto text = [](const std::optional<TransposedAxisSize>& axis, int64_t leading) {
    if (!axis) return std::string();
    std::string formula = axis->formula();
    if (leading > 0)
      formula += ", + " + std::to_string(leading) + " leading (bias only) = " + std::to_string(axis->output + leading);
    return formula;
  };
  s.height_formula = text(s.height, r.leading.h);
  s.width_formula = text(s.width, r.leading.w);
}

std::string generic_explanation(OverlapVerdict verdict) {
  return verdict == OverlapVerdict::Even    ? "Every interior output receives the same number of kernel taps."
         : verdict == OverlapVerdict::Holes ? "Some output phases receive no kernel tap at all and hold only the bias."
                                            : "Neighbouring outputs receive different numbers of kernel taps.";
}

void fill_verdict(ConvTransposeStatic& s, const std::optional<AxisGeometry>& attributes) {
  s.verdict.reset();
  s.coverage_h.reset();
  s.coverage_w.reset();
  s.max_min_ratio = 1.0;
  s.explanation.clear();
  s.fix.clear();
  s.suggested_kernel = s.suggested_padding = s.suggested_output_padding = IntPair{0, 0};
  s.keeps_output_size = false;
  std::optional<AxisGeometry> g = attributes;
  IntPair padding{0, 0};
  if (s.resolution) {
    g = AxisGeometry{s.resolution->kernel, s.resolution->params.stride, s.resolution->params.dilation};
    padding = s.resolution->params.padding;
  }
  if (!g) return;
  s.suggested_kernel = g->kernel;
  if (g->kernel.h > kMaxCountedAxis || g->kernel.w > kMaxCountedAxis) {
    // axis_coverage costs O(k); for an absurd kernel the closed-form rule of MATH.md gives the verdict alone.
    s.verdict = std::max(closed_form_verdict(g->kernel.h, g->stride.h, g->dilation.h),
                         closed_form_verdict(g->kernel.w, g->stride.w, g->dilation.w));
    s.max_min_ratio = std::numeric_limits<double>::quiet_NaN();
    s.explanation = generic_explanation(*s.verdict);
    return;
  }
  s.coverage_h = axis_coverage(g->kernel.h, g->stride.h, g->dilation.h, padding.h);
  s.coverage_w = axis_coverage(g->kernel.w, g->stride.w, g->dilation.w, padding.w);
  if (s.resolution) {
    const ConvTransposeResolution& r = *s.resolution;
    const bool countable = r.input_size.h <= kMaxCountedAxis / std::max<int64_t>(1, r.kernel.h) &&
                           r.input_size.w <= kMaxCountedAxis / std::max<int64_t>(1, r.kernel.w) &&
                           r.output_size.h <= kMaxCountedAxis && r.output_size.w <= kMaxCountedAxis;
    if (countable) {
      const CoverageReport report = coverage_report(geometry_of(r), r.params, /*with_map=*/false);
      s.verdict = report.verdict;
      s.max_min_ratio = report.max_min_ratio;
      s.explanation = report.explanation;
      s.fix = report.fix;
      s.suggested_kernel = report.suggested_kernel;
      s.suggested_padding = report.suggested_padding;
      s.suggested_output_padding = report.suggested_output_padding;
      s.keeps_output_size = report.keeps_output_size;
      return;
    }
  }
  s.verdict = std::max(s.coverage_h->verdict, s.coverage_w->verdict);
  const int64_t min_taps = s.coverage_h->min_taps * s.coverage_w->min_taps;
  s.max_min_ratio = min_taps == 0 ? std::numeric_limits<double>::infinity()
                                  : static_cast<double>(s.coverage_h->max_taps * s.coverage_w->max_taps) / min_taps;
  s.explanation = generic_explanation(*s.verdict);
}

// ---- running the graph ----

struct GraphRun {
  std::map<std::string, Value> values;
  size_t covered = 0;  // ConvTranspose nodes (in graph order) whose inputs and outputs are in `values`
  bool whole = false;
  std::string error;
};

bool cancelled(const RunOptions& options) { return options.cancel && options.cancel->load(); }

GraphRun run_graph(const Model& model, const std::map<std::string, Value>& feeds, const std::vector<std::string>& cts,
                   const RunOptions& base) {
  GraphRun run;
  RunOptions options = base;
  options.keep_intermediates = true;
  options.stop_after.clear();
  try {
    run.values = run_model(model, feeds, options).values;
    run.whole = true;
    run.covered = cts.size();
    return run;
  } catch (const Error& e) {
    if (cancelled(base)) throw;
    run.error = e.what();
  }
  // The longest prefix that reaches a ConvTranspose: it runs every node before it, so it covers the earlier
  // ConvTransposes too.
  for (size_t j = cts.size(); j-- > 0;) {
    options.stop_after = cts[j];
    try {
      run.values = run_model(model, feeds, options).values;
      run.covered = j + 1;
      return run;
    } catch (const Error&) {
      if (cancelled(base)) throw;
    }
  }
  return run;
}

// ---- the chain ----

// The longest chain of ConvTransposes that feed one another through their data inputs: a longest-path pass over
// the graph in its (checked topological) order, each value carrying the deepest chain that ends at or before it.
std::vector<size_t> longest_chain(const Model& model, const std::vector<size_t>& ct_node_indices) {
  struct Best {
    int64_t depth = 0;
    int64_t last = -1;  // index into ct_node_indices
  };
  std::map<std::string, Best> best;
  std::vector<int64_t> previous(ct_node_indices.size(), -1);
  std::vector<int64_t> depth(ct_node_indices.size(), 0);
  size_t next_ct = 0;
  for (size_t n = 0; n < model.nodes.size(); ++n) {
    const Node& node = model.nodes[n];
    const bool is_ct = next_ct < ct_node_indices.size() && ct_node_indices[next_ct] == n;
    Best in;
    const size_t data_inputs = is_ct ? std::min<size_t>(1, node.inputs.size()) : node.inputs.size();
    for (size_t i = 0; i < data_inputs; ++i) {
      const auto found = best.find(node.inputs[i]);
      if (found != best.end() && found->second.depth > in.depth) in = found->second;
    }
    Best out = in;
    if (is_ct) {
      previous[next_ct] = in.last;
      depth[next_ct] = in.depth + 1;
      out = {in.depth + 1, static_cast<int64_t>(next_ct)};
      ++next_ct;
    }
    if (out.depth > 0)
      for (const std::string& output : node.outputs) best[output] = out;
  }
  int64_t end = -1;
  for (size_t j = 0; j < depth.size(); ++j)
    if (end < 0 || depth[j] >= depth[static_cast<size_t>(end)]) end = static_cast<int64_t>(j);
  std::vector<size_t> chain;
  for (int64_t j = end; j >= 0; j = previous[static_cast<size_t>(j)]) chain.push_back(static_cast<size_t>(j));
  std::reverse(chain.begin(), chain.end());
  return chain;
}

ChainCoverage chain_coverage(const Model& model, const std::vector<size_t>& ct_node_indices,
                             const std::vector<ConvTransposeAudit>& audits) {
  ChainCoverage chain;
  if (audits.empty()) {
    chain.note = "the model has no ConvTranspose node";
    return chain;
  }
  const std::vector<size_t> members = longest_chain(model, ct_node_indices);
  std::vector<bool> on_chain(audits.size(), false);
  for (size_t j : members) {
    on_chain[j] = true;
    chain.nodes.push_back(audits[j].node.name);
  }
  for (size_t j = 0; j < audits.size(); ++j)
    if (!on_chain[j]) chain.off_chain.push_back(audits[j].node.name);

  // The layers' geometry on one channel; the first node's input size from the run, else from shape inference.
  std::vector<StackLayerShape> layers;
  for (size_t j : members) {
    const ConvTransposeStatic& s = audits[j].node;
    if (!s.resolution) {
      chain.note = "node '" + s.name + "' does not resolve, so the chain's coverage cannot be counted";
      return chain;
    }
    StackLayerShape layer;
    layer.weight_shape = {1, 1, s.resolution->kernel.h, s.resolution->kernel.w};
    layer.params = s.resolution->params;
    layer.params.groups = 1;
    layers.push_back(layer);
  }
  // The partially covered border, per side: each layer's own (d*(k-1) - pads_begin at the top/left,
  // d*(k-1) - pads_end + output_padding at the bottom/right), stretched by every later stride. The widest side is
  // left out everywhere. (stack_border takes the begin pad for both ends and ignores output_padding.)
  IntPair low{0, 0}, high{0, 0}, period{1, 1};
  for (const StackLayerShape& layer : layers) {
    const ConvTranspose2dParams& p = layer.params;
    const IntPair end = p.end_padding();
    for (int axis = 0; axis < 2; ++axis) {
      const int64_t k = layer.weight_shape[static_cast<size_t>(2 + axis)];
      const int64_t s = p.stride[axis], d = p.dilation[axis];
      int64_t& lo = axis == 0 ? low.h : low.w;
      int64_t& hi = axis == 0 ? high.h : high.w;
      int64_t& per = axis == 0 ? period.h : period.w;
      // Capped: a chain that large is refused below anyway, and the caps keep the arithmetic in range.
      lo = std::min(lo * std::min(s, kMaxChainPixels) + std::max<int64_t>(0, d * (k - 1) - p.padding[axis]), kMaxChainPixels);
      hi = std::min(hi * std::min(s, kMaxChainPixels) + std::max<int64_t>(0, d * (k - 1) - end[axis] + p.output_padding[axis]),
                    kMaxChainPixels);
      per = std::min(per * std::min(s, kMaxChainPixels), kMaxChainPixels);
    }
  }
  const int64_t border = std::max({low.h, low.w, high.h, high.w});
  chain.border = border;

  // The interior's pattern repeats with the product of the strides whatever the input size, so an input too small
  // to leave two periods inside the border (a GAN's 1x1 latent) is counted on a larger one.
  const ConvTransposeStatic& first = audits[members.front()].node;
  IntPair size = first.resolution->input_size;
  const IntPair real = size;
  try {
    std::vector<ConvTranspose2dGeometry> stages;
    for (int attempt = 0;; ++attempt) {
      stages = validate_stack({1, 1, size.h, size.w}, layers);
      const int64_t out_h = stages.back().out_h, out_w = stages.back().out_w;
      if (out_h > kMaxChainPixels / std::max<int64_t>(1, out_w)) {
        chain.note = "the chain's output (" + std::to_string(out_h) + "x" + std::to_string(out_w) +
                     ") is too large to count routes on";
        return chain;
      }
      const bool tall = out_h - 2 * border >= 2 * period.h, wide = out_w - 2 * border >= 2 * period.w;
      if ((tall && wide) || attempt == 24) break;
      if (!tall) size.h *= 2;
      if (!wide) size.w *= 2;
    }
    chain.input_shape = {1, 1, size.h, size.w};
    for (const ConvTranspose2dGeometry& g : stages) chain.stage_sizes.push_back({g.out_h, g.out_w});
    const Tensor coverage = stack_coverage(chain.input_shape, layers);
    chain.summary = summarize_stack_coverage(coverage, border);
    chain.computed = true;
    std::vector<std::string> notes;
    if (members.size() < audits.size())
      notes.push_back(std::to_string(audits.size() - members.size()) + " ConvTranspose node(s) lie on other branches");
    if (size != real)
      notes.push_back("counted on a " + std::to_string(size.h) + "x" + std::to_string(size.w) + " input: the real " +
                      std::to_string(real.h) + "x" + std::to_string(real.w) +
                      " one leaves no fully covered interior, and the interior's pattern does not depend on the size");
    const int64_t out_h = stages.back().out_h, out_w = stages.back().out_w;
    if (out_h - 2 * border < 1 || out_w - 2 * border < 1)
      notes.push_back("the output has no fully covered interior, so every pixel was measured");
    if (members.size() > 1)
      notes.push_back("only the ConvTransposes' own geometry is counted, not the layers between them");
    for (const std::string& note : notes) chain.note += (chain.note.empty() ? "" : "; ") + note;
  } catch (const Error& e) {
    chain.note = std::string("the chain's coverage cannot be counted: ") + e.what();
  }
  return chain;
}

// ---- measuring one node ----

void measure(ConvTransposeAudit& audit, const Tensor& input, const Tensor& weight, const Tensor& output,
             const Node& node) {
  audit.input_shape = input.shape();
  audit.output_shape = output.shape();
  ConvTransposeStatic& s = audit.node;
  // The measured shapes decide the resolution (a symbolic batch, or shape inference that knew less).
  if (!s.resolution || s.input_shape != input.shape() || s.weight_shape != weight.shape()) {
    try {
      s.resolution = resolve_conv_transpose(node, input.shape(), weight.shape());
      s.unresolved.clear();
      s.input_shape = input.shape();
      s.weight_shape = weight.shape();
      fill_formulas(s);
      fill_verdict(s, attribute_geometry(node, s.weight_shape));
    } catch (const Error& e) {
      s.resolution.reset();
      s.unresolved = e.what();
      audit.note += std::string(audit.note.empty() ? "" : "; ") + "the node does not resolve on its measured shapes: " +
                    s.unresolved;
      return;
    }
  }
  if (output.dim() == 4 && output.numel() > 0)
    audit.artifact =
        artifact_score(output, s.resolution->params, s.resolution->kernel, s.resolution->leading);
  if (weight.dim() == 4) audit.imbalance = phase_imbalance(weight, s.resolution->params);
}

}  // namespace

// ---- feeds and file names ----

CompletedFeeds complete_feeds(const Model& model, std::map<std::string, Value> given, uint64_t seed) {
  check_given_feeds(model, given);
  CompletedFeeds completed;
  Model missing;  // only the inputs that need a random feed
  missing.path = model.path;
  for (const ValueInfo& input : model.inputs)
    if (!given.count(input.name)) {
      missing.inputs.push_back(input);
      completed.random_inputs.push_back(input.name);
    }
  completed.feeds = std::move(given);
  if (missing.inputs.empty()) return completed;
  // With no feed given at all this is exactly random_feeds(model, seed), as `convt model run` writes it.
  for (auto& [name, value] : random_feeds(missing.inputs.size() == model.inputs.size() ? model : missing, seed))
    completed.feeds.emplace(name, std::move(value));
  return completed;
}

std::vector<std::string> unique_file_names(const std::vector<std::string>& tensor_names) {
  std::vector<std::string> files;
  std::set<std::string> taken;  // lowercase
  for (const std::string& name : tensor_names) {
    std::string stem = safe_file_name(name);
    if (stem.size() > kMaxFileStem) stem.resize(kMaxFileStem);
    std::string file = stem + ".npy";
    for (int64_t n = 2; taken.count(lowercase(file)); ++n) file = stem + "-" + std::to_string(n) + ".npy";
    taken.insert(lowercase(file));
    files.push_back(file);
  }
  return files;
}

std::optional<Shape> inferred_shape(const Model& model, const std::string& name) {
  if (name.empty()) return std::nullopt;
  if (auto shape = model.known_shape(name)) return shape;
  for (const ValueInfo& input : model.inputs)
    if (input.name == name) return input.concrete_shape(1);
  if (const auto found = model.value_info.find(name); found != model.value_info.end())
    return found->second.concrete_shape(1);
  for (const ValueInfo& output : model.outputs)
    if (output.name == name) return output.concrete_shape(1);
  return std::nullopt;
}

// ---- inspect ----

ConvTransposeStatic describe_conv_transpose(const Model& model, const Node& node) {
  ConvTransposeStatic s;
  s.name = node.name;
  auto input = [&](size_t i) { return i < node.inputs.size() ? node.inputs[i] : std::string(); };
  s.input_name = input(0);
  s.weight_name = input(1);
  s.bias_name = input(2);
  s.output_name = node.outputs.empty() ? std::string() : node.outputs[0];
  s.input_shape = inferred_shape(model, s.input_name);
  s.weight_shape = inferred_shape(model, s.weight_name);
  s.output_shape = inferred_shape(model, s.output_name);
  if (!s.input_shape)
    s.unresolved = "the shape of its input '" + s.input_name + "' is not known before running";
  else if (!s.weight_shape)
    s.unresolved = "the shape of its weight '" + s.weight_name + "' is not known before running";
  else {
    try {
      s.resolution = resolve_conv_transpose(node, *s.input_shape, *s.weight_shape);
      fill_formulas(s);
    } catch (const Error& e) {
      s.unresolved = e.what();
    }
  }
  fill_verdict(s, attribute_geometry(node, s.weight_shape));
  return s;
}

ModelSummary inspect_model(const Model& model) {
  ModelSummary summary;
  summary.path = model.path;
  summary.producer = model.producer;
  summary.ir_version = model.ir_version;
  summary.opset = model.opset;
  summary.inputs = model.inputs;
  summary.outputs = model.outputs;
  summary.initializer_count = model.initializers.size();
  for (const auto& [name, value] : model.initializers) summary.parameter_count += value.tensor.numel();
  const std::vector<std::string>& supported = supported_ops();
  for (const Node& node : model.nodes) {
    NodeSummary n;
    n.name = node.name;
    n.op_type = node.op_type;
    n.domain = node.domain;
    n.inputs = node.inputs;
    n.outputs = node.outputs;
    for (const std::string& output : node.outputs) n.output_shapes.push_back(inferred_shape(model, output));
    const bool default_domain = node.domain.empty() || node.domain == "ai.onnx";
    n.supported = default_domain && std::find(supported.begin(), supported.end(), node.op_type) != supported.end();
    if (!n.supported) {
      const std::string op = default_domain ? node.op_type : node.domain + "." + node.op_type;
      if (std::find(summary.unsupported_ops.begin(), summary.unsupported_ops.end(), op) == summary.unsupported_ops.end())
        summary.unsupported_ops.push_back(op);
    }
    summary.nodes.push_back(std::move(n));
    if (node.op_type == "ConvTranspose" && default_domain)
      summary.conv_transposes.push_back(describe_conv_transpose(model, node));
  }
  return summary;
}

// ---- measures ----

const char* to_string(AuditInput input) {
  switch (input) {
    case AuditInput::Given: return "given";
    case AuditInput::PartlyRandom: return "partly random";
    case AuditInput::Random: return "random";
    case AuditInput::Isolated: return "isolated random";
    case AuditInput::NotMeasured: return "not measured";
  }
  return "?";
}

PhaseImbalance phase_imbalance(const Tensor& weight, const ConvTranspose2dParams& params) {
  if (weight.dim() != 4) throw_invalid("phase_imbalance: the weight must be 4-D, got " + shape_to_string(weight.shape()), "weight");
  const int64_t c_in = weight.size(0), per_group = weight.size(1), kh = weight.size(2), kw = weight.size(3);
  const int64_t groups = std::max<int64_t>(1, params.groups);
  if (c_in % groups != 0)
    throw_invalid("phase_imbalance: " + std::to_string(c_in) + " input channels do not split into " +
                      std::to_string(groups) + " groups", "groups");
  const int64_t in_per_group = c_in / groups, c_out = per_group * groups;
  const int64_t sh = std::max<int64_t>(1, params.stride.h), sw = std::max<int64_t>(1, params.stride.w);
  const int64_t dh = std::max<int64_t>(1, params.dilation.h), dw = std::max<int64_t>(1, params.dilation.w);

  // Each tap's phase per axis, numbered compactly (at most k phases are reached, whatever the stride).
  auto phase_ids = [](int64_t k, int64_t s, int64_t d, std::vector<int64_t>& phase_of_id) {
    std::vector<size_t> ids(static_cast<size_t>(k));
    std::map<int64_t, size_t> id_of_phase;
    for (int64_t j = 0; j < k; ++j) {
      const int64_t r = static_cast<int64_t>(static_cast<wide_int>(j) * d % s);  // (j*d) mod s, exact
      const auto [at, added] = id_of_phase.emplace(r, phase_of_id.size());
      if (added) phase_of_id.push_back(r);
      ids[static_cast<size_t>(j)] = at->second;
    }
    return ids;
  };
  std::vector<int64_t> rows, cols;
  const std::vector<size_t> row_id = phase_ids(kh, sh, dh, rows), col_id = phase_ids(kw, sw, dw, cols);
  const size_t reached = rows.size() * cols.size();
  PhaseImbalance result;
  // sh * sw may overflow for a hostile stride; only whether it exceeds `reached` and the listing limit matter.
  const bool all_reached = static_cast<int64_t>(rows.size()) == sh && static_cast<int64_t>(cols.size()) == sw;
  result.phases = sh <= kMaxListedImbalancePhases && sw <= kMaxListedImbalancePhases ? sh * sw : -1;
  const bool listed = result.phases > 0 && result.phases <= kMaxListedImbalancePhases;
  std::vector<std::vector<double>> sums(static_cast<size_t>(c_out), std::vector<double>(reached, 0.0));
  const float* w = weight.data();
  for (int64_t ci = 0; ci < c_in; ++ci) {
    const int64_t group = ci / in_per_group;
    for (int64_t col = 0; col < per_group; ++col) {
      std::vector<double>& channel = sums[static_cast<size_t>(group * per_group + col)];
      const float* kernel = w + (ci * per_group + col) * kh * kw;
      for (int64_t ky = 0; ky < kh; ++ky)
        for (int64_t kx = 0; kx < kw; ++kx)
          channel[row_id[static_cast<size_t>(ky)] * cols.size() + col_id[static_cast<size_t>(kx)]] += kernel[ky * kw + kx];
    }
  }
  result.per_channel.reserve(static_cast<size_t>(c_out));
  double total = 0;
  for (int64_t co = 0; co < c_out; ++co) {
    const std::vector<double>& channel = sums[static_cast<size_t>(co)];
    double lo = all_reached ? std::numeric_limits<double>::infinity() : 0.0;  // a phase without taps sums to 0
    double hi = all_reached ? -std::numeric_limits<double>::infinity() : 0.0;
    double scale = 0;
    for (double v : channel) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      scale = std::max(scale, std::abs(v));
    }
    const double imbalance = scale > 0 && std::isfinite(scale) ? (hi - lo) / scale : 0.0;
    result.per_channel.push_back(imbalance);
    total += imbalance;
    if (result.worst_channel < 0 || imbalance > result.max) {
      result.max = imbalance;
      result.worst_channel = co;
    }
  }
  result.mean = c_out > 0 ? total / static_cast<double>(c_out) : 0.0;
  if (listed && result.worst_channel >= 0) {
    result.worst_channel_sums.assign(static_cast<size_t>(result.phases), 0.0);
    const std::vector<double>& channel = sums[static_cast<size_t>(result.worst_channel)];
    for (size_t y = 0; y < rows.size(); ++y)
      for (size_t x = 0; x < cols.size(); ++x)
        result.worst_channel_sums[static_cast<size_t>(rows[y] * sw + cols[x])] = channel[y * cols.size() + x];
  }
  return result;
}


// ---- the audit ----

AuditReport audit_model(const Model& model, const std::map<std::string, Value>& feeds, const AuditOptions& options) {
  AuditReport report;
  report.path = model.path;
  std::vector<size_t> ct_node_indices;
  std::vector<std::string> ct_names;
  for (size_t n = 0; n < model.nodes.size(); ++n)
    if (model.nodes[n].op_type == "ConvTranspose" &&
        (model.nodes[n].domain.empty() || model.nodes[n].domain == "ai.onnx")) {
      ct_node_indices.push_back(n);
      ct_names.push_back(model.nodes[n].name);
    }

  // Feeds: a name that is no input is the caller's mistake and is thrown; an input that cannot be made at
  // random (an unknown dimension) only stops the graph from running.
  std::map<std::string, Value> graph_feeds;
  bool feeds_ready = true;
  {
    check_given_feeds(model, feeds);
    try {
      CompletedFeeds completed = complete_feeds(model, feeds, options.seed);
      graph_feeds = std::move(completed.feeds);
      report.random_inputs = std::move(completed.random_inputs);
    } catch (const Error& e) {
      feeds_ready = false;
      report.run_error = e.what();
      for (const ValueInfo& input : model.inputs)
        if (!feeds.count(input.name)) report.random_inputs.push_back(input.name);
    }
  }
  const AuditInput graph_input = report.random_inputs.empty()                         ? AuditInput::Given
                                 : report.random_inputs.size() == model.inputs.size() ? AuditInput::Random
                                                                                       : AuditInput::PartlyRandom;

  GraphRun run;
  if (feeds_ready) {
    run = run_graph(model, graph_feeds, ct_names, options.run);
    report.model_ran = run.whole;
    if (!run.whole) report.run_error = run.error;
  }
  graph_feeds.clear();

  for (size_t j = 0; j < ct_node_indices.size(); ++j) {
    if (cancelled(options.run)) throw_invalid("cancelled");
    const Node& node = model.nodes[ct_node_indices[j]];
    ConvTransposeAudit audit;
    audit.node = describe_conv_transpose(model, node);
    const ConvTransposeStatic& s = audit.node;
    const Value* weight = find_value(model, run.values, s.weight_name);
    if (j < run.covered) {
      const Value* input = find_value(model, run.values, s.input_name);
      const Value* output = find_value(model, run.values, s.output_name);
      if (input && weight && output) {
        audit.input = graph_input;
        measure(audit, input->tensor, weight->tensor, output->tensor, node);
        report.nodes.push_back(std::move(audit));
        continue;
      }
    }
    // Alone, on a random input of the inferred shape: the weight must be an initializer (or computed by the part
    // of the graph that ran).
    audit.input = AuditInput::NotMeasured;
    if (!weight) {
      audit.note = "its weight '" + s.weight_name + "' is computed by the graph, which could not run this far";
    } else if (!s.input_shape) {
      audit.note = "the shape of its input '" + s.input_name + "' is not known without running the graph";
    } else {
      try {
        const Tensor input = Tensor::uniform(*s.input_shape, options.seed + 1000 + j, -1.0f, 1.0f);
        const ConvTransposeResolution resolution = resolve_conv_transpose(node, input.shape(), weight->tensor.shape());
        const Value* bias = find_value(model, run.values, s.bias_name);
        const bool bias_known = s.bias_name.empty() || bias;
        const Backend& backend = select_backend(options.run.backend, resolution.params);
        const Tensor output =
            backend.conv_transpose2d(input, weight->tensor, bias ? &bias->tensor : nullptr, resolution.params);
        audit.input = AuditInput::Isolated;
        audit.note = "the graph could not run up to this node, so it ran alone on a random U(-1, 1) input of its "
                     "inferred shape" + std::string(bias_known ? "" : ", without its computed bias");
        measure(audit, input, weight->tensor, output, node);
      } catch (const Error& e) {
        audit.input = AuditInput::NotMeasured;
        audit.note = std::string("not measured: ") + e.what();
      }
    }
    if (!audit.imbalance && weight && weight->tensor.dim() == 4 && audit.node.resolution) {
      try {
        audit.imbalance = phase_imbalance(weight->tensor, audit.node.resolution->params);
      } catch (const Error&) {
      }
    }
    report.nodes.push_back(std::move(audit));
  }
  run.values.clear();

  report.chain = chain_coverage(model, ct_node_indices, report.nodes);
  report.diagnosis = diagnose(report.nodes, report.chain);
  return report;
}

std::string diagnose(const std::vector<ConvTransposeAudit>& nodes, const ChainCoverage& chain) {
  if (nodes.empty())
    return "The model has no ConvTranspose node, so no transposed-convolution overlap can print a checkerboard here; "
           "other upsampling (Resize, DepthToSpace) has no uneven overlap of its own.";
  std::vector<std::string> holes, uneven, weights_only, cancelled_out, unknown;
  std::vector<const ConvTransposeAudit*> geometric;  // the nodes a kernel change would fix
  auto strong = [](const ConvTransposeAudit& a) { return a.artifact && a.artifact->level == "strong"; };
  auto faint = [](const ConvTransposeAudit& a) { return a.artifact && a.artifact->level == "faint"; };
  for (const ConvTransposeAudit& a : nodes) {
    const ConvTransposeStatic& s = a.node;
    if (!s.verdict) {
      unknown.push_back(s.name);
      continue;
    }
    // "'up' (k 3, s 2; score 0.31)"
    std::vector<std::string> facts;
    if (s.coverage_h && s.coverage_w)
      facts.push_back("k " + to_string(IntPair{s.coverage_h->kernel, s.coverage_w->kernel}) + ", s " +
                      to_string(IntPair{s.coverage_h->stride, s.coverage_w->stride}));
    if (a.artifact && a.artifact->level != "n/a") facts.push_back("score " + format_number(a.artifact->score, 2));
    const bool even = *s.verdict == OverlapVerdict::Even;
    if (even && a.imbalance) facts.push_back("weight phase imbalance up to " + format_number(a.imbalance->max, 2));
    std::string label = "'" + s.name + "'";
    for (size_t i = 0; i < facts.size(); ++i) label += (i ? "; " : " (") + facts[i] + (i + 1 == facts.size() ? ")" : "");
    if (*s.verdict == OverlapVerdict::Holes) {
      holes.push_back(label);
      geometric.push_back(&a);
    } else if (*s.verdict == OverlapVerdict::Uneven) {
      uneven.push_back(label);
      geometric.push_back(&a);
      if (a.artifact && a.artifact->level == "none") cancelled_out.push_back("'" + s.name + "'");
    } else if (strong(a) || faint(a)) {
      weights_only.push_back(label);
    }
  }
  auto list = [](const std::vector<std::string>& items) {
    std::string text;
    for (size_t i = 0; i < items.size(); ++i)
      text += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i];
    return text;
  };

  std::ostringstream out;
  if (!holes.empty())
    out << "Holes: in " << list(holes) << " the kernel is smaller than the stride (or the dilation shares a factor "
        << "with it), so some outputs receive no tap and hold only the bias, the most visible checkerboard. ";
  if (!uneven.empty())
    out << "Uneven overlap: in " << list(uneven) << " the kernel is not a multiple of the stride, so neighbouring "
        << "outputs receive different numbers of taps and the output prints a checkerboard. ";
  if (holes.empty() && uneven.empty())
    out << "Every ConvTranspose" << (unknown.empty() ? "" : " that resolves") << " has an even overlap, so the "
        << "geometry alone prints no checkerboard. ";
  if (!cancelled_out.empty())
    out << "On this input the weights of " << list(cancelled_out) << " hide the pattern, but training or another "
        << "input can bring it back. ";
  if (!weights_only.empty())
    out << "Yet the output of " << list(weights_only) << " still depends on the phase: "
        << (weights_only.size() == 1 ? "its" : "their") << " learned sub-kernels differ between phases (a constant "
        << "input prints their sums), which no change of kernel size removes. ";
  if (!unknown.empty()) out << "No verdict for " << quoted_list(unknown) << " (see the entries). ";
  if (chain.computed && chain.nodes.size() > 1) {
    out << "The whole chain of " << chain.nodes.size() << " ConvTransposes is "
        << (chain.summary.verdict == OverlapVerdict::Even ? "even"
            : chain.summary.verdict == OverlapVerdict::Holes ? "left with holes"
                                                             : "uneven (max/min routes " +
                                                                   format_number(chain.summary.ratio) + ")")
        << (chain.summary.verdict == OverlapVerdict::Even && !geometric.empty()
                ? ": later layers even out the earlier ones' counts, though the features in between still carry them"
                : "")
        << ". ";
  }
  if (geometric.empty() && weights_only.empty()) {
    out << "No fix is needed.";
    return out.str();
  }
  out << "Fixes: replace each strided ConvTranspose with resize-conv (nearest or bilinear upsampling by the stride, "
      << "then a stride-1 convolution), or with a sub-pixel convolution (a convolution to C*s*s channels, then "
      << "PixelShuffle) initialised with ICNR so every phase starts equal";
  if (!geometric.empty()) {
    out << "; or keep the transposed convolution with a kernel that is a multiple of the stride";
    std::vector<std::string> suggestions;
    for (const ConvTransposeAudit* a : geometric) {
      const ConvTransposeStatic& s = a->node;
      if (!s.resolution || !s.coverage_h) continue;
      if (s.suggested_kernel == s.resolution->kernel) continue;  // a dilation problem: the fix names it
      std::string text = "'" + s.name + "': kernel " + to_string(s.suggested_kernel);
      if (s.keeps_output_size)
        text += ", padding " + to_string(s.suggested_padding) + ", output_padding " +
                to_string(s.suggested_output_padding) + " keeps the " + std::to_string(s.resolution->output_size.h) +
                "x" + std::to_string(s.resolution->output_size.w) + " output";
      suggestions.push_back(text);
      if (suggestions.size() == 4) break;
    }
    if (!suggestions.empty()) out << " (" << list(suggestions) << ")";
    if (!weights_only.empty())
      out << "; for the nodes whose geometry is already even, only resize-conv or ICNR-initialised sub-pixel "
          << "removes the phase dependence of learned weights";
  }
  out << ".";
  return out.str();
}

}  // namespace convt::onnx
