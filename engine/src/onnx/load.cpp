// Loading an ONNX model into our plain Model. The file is hostile until checked, so the order matters:
//   1. parse the protobuf (size-limited), find the default-domain opset;
//   2. check every tensor's declaration and every external data location, and the graph's names and order,
//      all without reading any external file;
//   3. only then run onnx::checker (which stat()s external files) and convert, reading the checked byte ranges;
//   4. run ONNX shape inference for value_info, on the proto whose large tensors have been converted and freed,
//      in a child process, because libonnx's inference can crash on shapes that contradict each other.
#include "proto_convert.h"

#include <convt/io.h>

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <optional>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>

namespace onnx::checker {
// libonnx 1.12 exports this overload (checker.cc) but its checker.h does not declare it. It is the only entry
// point that takes a context, and the context is the only way to give the checker the model's folder, against
// which it stat()s external data files.
void check_model(const ModelProto& model, CheckerContext& ctx);
}  // namespace onnx::checker

namespace convt::onnx {
namespace {

using namespace detail;
namespace fs = std::filesystem;
using ::onnx::AttributeProto;
using ::onnx::GraphProto;
using ::onnx::ModelProto;
using ::onnx::NodeProto;
using ::onnx::TensorProto;

// Shape inference reads the values of shape-like inputs (Reshape's shape, Resize's sizes), which are tiny; the
// data of tensors larger than this is freed after conversion, leaving their dims and type for inference.
constexpr int64_t kShapeInferenceValueLimit = 4096;

// The checker's messages can carry whole names; one line of this much is plenty.
constexpr size_t kMaxCheckerMessage = 300;

using TensorPlans = std::unordered_map<const TensorProto*, TensorPlan>;

// ---- parsing and the header ----

ModelProto parse_model_proto(const std::string& bytes, const std::string& file) {
  if (bytes.size() > kMaxProtobufBytes)
    throw_io(file + ": " + std::to_string(bytes.size()) + " bytes, over protobuf's limit of " +
             std::to_string(kMaxProtobufBytes) + " bytes for one model (large weights belong in external data)");
  if (bytes.empty()) throw_io(file + ": the file is empty, not an ONNX model");
  ModelProto proto;
  if (!parse_protobuf(bytes, proto)) throw_io(file + ": not an ONNX model (protobuf parse failed)");
  // Arbitrary bytes sometimes parse as a message of unknown fields; a model always has a graph.
  if (!proto.has_graph()) throw_io(file + ": not an ONNX model (it parses, but holds no graph)");
  return proto;
}

bool is_default_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

int64_t default_opset(const ModelProto& proto, const std::string& file) {
  std::optional<int64_t> opset;
  for (const auto& import : proto.opset_import()) {
    if (!is_default_domain(import.domain())) continue;
    if (opset && *opset != import.version())
      throw_invalid(file + ": opset_import names the default domain twice, as opsets " + std::to_string(*opset) +
                    " and " + std::to_string(import.version()));
    opset = import.version();
  }
  if (!opset) throw_invalid(file + ": declares no default-domain opset (no opset_import for domain '' or 'ai.onnx')");
  if (*opset < kMinimumOpset)
    throw_invalid(file + ": uses default-domain opset " + std::to_string(*opset) + "; convt needs opset " +
                  std::to_string(kMinimumOpset) + " or newer");
  return *opset;
}

void empty_default_domain_in_graph(GraphProto& graph) {
  for (auto& node : *graph.mutable_node()) {
    if (node.domain() == "ai.onnx") node.set_domain("");
    for (auto& attribute : *node.mutable_attribute()) {
      if (attribute.has_g()) empty_default_domain_in_graph(*attribute.mutable_g());
      for (auto& subgraph : *attribute.mutable_graphs()) empty_default_domain_in_graph(subgraph);
    }
  }
}

// ONNX allows the default domain to be spelled "ai.onnx", but libonnx 1.12's checker and shape inference know it
// only as "" (they refuse "No opset import for domain ''"), so the proto they see spells it "". Returns the
// domains of the main graph's nodes as the file spells them, for Node::domain.
std::vector<std::string> spell_default_domain_empty(ModelProto& proto) {
  std::vector<std::string> domains;
  for (const auto& node : proto.graph().node()) domains.push_back(node.domain());
  const auto normalise_imports = [](auto& imports) {
    for (auto& import : imports)
      if (import.domain() == "ai.onnx") import.set_domain("");
  };
  normalise_imports(*proto.mutable_opset_import());
  empty_default_domain_in_graph(*proto.mutable_graph());
  for (auto& function : *proto.mutable_functions()) {
    normalise_imports(*function.mutable_opset_import());
    for (auto& node : *function.mutable_node())
      if (node.domain() == "ai.onnx") node.set_domain("");
  }
  return domains;
}

// Files from newer exporters declare an IR version or a default opset newer than Debian's libonnx knows, which its
// checker refuses outright. The copy it checks and infers shapes on claims the newest ones the library knows, so
// such a file is checked by the library's newest rules (an attribute added later is still refused, by name); the
// executor itself follows the file's own opset.
void claim_versions_the_library_knows(ModelProto& proto) {
  if (proto.ir_version() > ::onnx::IR_VERSION) proto.set_ir_version(::onnx::IR_VERSION);
  const auto& ranges = ::onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  const auto newest = ranges.find("");
  if (newest == ranges.end()) return;
  for (auto& import : *proto.mutable_opset_import())
    if (import.domain().empty() && import.version() > newest->second.second) import.set_version(newest->second.second);
}

// "pytorch 1.13.1", on one line whatever the file holds.
std::string producer_text(const ModelProto& proto) {
  std::string text = proto.producer_name();
  if (!proto.producer_version().empty()) text += (text.empty() ? "" : " ") + proto.producer_version();
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  return text;
}

// ---- names and order ----

// Each node's name: its own, or "<op_type>_<index>" when empty; a name used again gets "_2", "_3", ... Names
// the file gives keep precedence over made-up ones, so a node is found under the name the file says.
std::vector<std::string> unique_node_names(const GraphProto& graph) {
  std::unordered_set<std::string> taken;
  std::vector<bool> keeps_own(static_cast<size_t>(graph.node_size()), false);
  for (int i = 0; i < graph.node_size(); ++i) {
    const std::string& name = graph.node(i).name();
    keeps_own[static_cast<size_t>(i)] = !name.empty() && taken.insert(name).second;
  }
  std::unordered_map<std::string, int64_t> next_suffix;
  std::vector<std::string> names;
  names.reserve(keeps_own.size());
  for (int i = 0; i < graph.node_size(); ++i) {
    const NodeProto& node = graph.node(i);
    if (keeps_own[static_cast<size_t>(i)]) {
      names.push_back(node.name());
      continue;
    }
    const std::string base = node.name().empty() ? node.op_type() + "_" + std::to_string(i) : node.name();
    std::string name = base;
    if (taken.count(name)) {
      int64_t& suffix = next_suffix.try_emplace(base, 2).first->second;
      do name = base + "_" + std::to_string(suffix++);
      while (taken.count(name));
    }
    taken.insert(name);
    names.push_back(name);
  }
  return names;
}

std::string node_text(const std::vector<std::string>& names, size_t index) { return "node " + quoted(names[index]); }

// Graph inputs and initializers: the names that exist before any node runs. Duplicates are refused.
std::unordered_set<std::string> graph_sources(const GraphProto& graph, const std::string& file) {
  std::unordered_set<std::string> inputs, sources;
  for (const auto& input : graph.input()) {
    if (input.name().empty()) throw_invalid(file + ": a graph input has no name");
    if (!inputs.insert(input.name()).second)
      throw_invalid(file + ": graph input " + quoted(input.name()) + " is declared twice");
  }
  sources = inputs;
  std::unordered_set<std::string> initializers;
  for (const auto& init : graph.initializer()) {
    if (init.name().empty()) throw_invalid(file + ": an initializer has no name");
    if (!initializers.insert(init.name()).second)
      throw_invalid(file + ": initializer " + quoted(init.name()) + " is defined twice");
    sources.insert(init.name());  // also a graph input in models of IR version < 4: one source, not two
  }
  return sources;
}

// Every node reads only names that exist before it runs, every name is written once, and every graph output
// is produced. "" marks an omitted optional input or output.
void check_topology(const GraphProto& graph, const std::vector<std::string>& names, const std::string& file) {
  const std::unordered_set<std::string> sources = graph_sources(graph, file);
  std::unordered_map<std::string, size_t> producer;
  for (size_t i = 0; i < names.size(); ++i)
    for (const std::string& output : graph.node(static_cast<int>(i)).output()) {
      if (output.empty()) continue;
      if (sources.count(output))
        throw_invalid(file + ": " + node_text(names, i) + " writes " + quoted(output) +
                      ", which is already a graph input or initializer");
      const auto [previous, fresh] = producer.try_emplace(output, i);
      if (!fresh)
        throw_invalid(file + ": " + node_text(names, i) + " writes " + quoted(output) + ", which " +
                      node_text(names, previous->second) + " also writes");
    }
  for (size_t i = 0; i < names.size(); ++i)
    for (const std::string& input : graph.node(static_cast<int>(i)).input()) {
      if (input.empty() || sources.count(input)) continue;
      const auto found = producer.find(input);
      if (found == producer.end())
        throw_invalid(file + ": " + node_text(names, i) + " reads " + quoted(input) +
                      ", which no earlier node, input or initializer produces");
      if (found->second >= i)
        throw_invalid(
            file + ": " + node_text(names, i) + " reads " + quoted(input) + ", which " +
            (found->second == i ? "it writes itself" : node_text(names, found->second) + " writes only later") +
            " (nodes must be in topological order)");
    }
  for (const auto& output : graph.output()) {
    if (output.name().empty()) throw_invalid(file + ": a graph output has no name");
    if (!sources.count(output.name()) && !producer.count(output.name()))
      throw_invalid(file + ": graph output " + quoted(output.name()) + " is produced by no node, input or initializer");
  }
}

// ---- tensors: every declaration checked before anything is read ----

std::string attribute_text(const std::vector<std::string>& names, size_t node, const std::string& key) {
  return node_text(names, node) + " attribute " + quoted(key);
}

// Adds a tensor's bytes to the model's total, refusing the model when they would pass the memory budget.
void tally(uint64_t& total, const TensorPlan& plan, const std::string& file) {
  const uint64_t budget = memory_budget_bytes();
  if (plan.memory_bytes > budget - total)
    throw Error(ErrorKind::OutOfMemoryBudget,
                file + ": the model's tensors would need more than " + std::to_string(budget) +
                    " bytes together, over the memory budget (set CONVT_MEMORY_BUDGET to change it)");
  total += plan.memory_bytes;
}

// External locations of tensors that are never converted (subgraphs, functions, sparse and list attributes),
// so that nothing, the checker included, looks outside the model's folder.
void check_locations_in_graph(const GraphProto& graph, const TensorSite& where);

void check_locations_in_attribute(const AttributeProto& attribute, const TensorSite& where) {
  const auto check = [&](const TensorProto& tensor) {
    check_external_location(tensor,
                            {where.file, "tensor " + quoted(tensor.name()) + " in " + where.what, where.folder});
  };
  if (attribute.has_t()) check(attribute.t());
  for (const auto& tensor : attribute.tensors()) check(tensor);
  if (attribute.has_sparse_tensor()) {
    check(attribute.sparse_tensor().values());
    check(attribute.sparse_tensor().indices());
  }
  for (const auto& sparse : attribute.sparse_tensors()) {
    check(sparse.values());
    check(sparse.indices());
  }
  if (attribute.has_g()) check_locations_in_graph(attribute.g(), where);
  for (const auto& graph : attribute.graphs()) check_locations_in_graph(graph, where);
}

void check_locations_in_graph(const GraphProto& graph, const TensorSite& where) {
  const auto check = [&](const TensorProto& tensor) {
    check_external_location(tensor,
                            {where.file, "tensor " + quoted(tensor.name()) + " in " + where.what, where.folder});
  };
  for (const auto& tensor : graph.initializer()) check(tensor);
  for (const auto& sparse : graph.sparse_initializer()) {
    check(sparse.values());
    check(sparse.indices());
  }
  for (const auto& node : graph.node())
    for (const auto& attribute : node.attribute()) check_locations_in_attribute(attribute, where);
}

// Plans the tensors that become Values (initializers and tensor attributes of the main graph's nodes) and checks
// the locations of all others.
TensorPlans plan_tensors(const ModelProto& proto, const std::vector<std::string>& names, const std::string& file,
                         const std::string& folder) {
  const GraphProto& graph = proto.graph();
  TensorPlans plans;
  uint64_t total = 0;
  const auto plan = [&](const TensorProto& tensor, const std::string& what) {
    const TensorPlan& planned = plans.emplace(&tensor, plan_tensor(tensor, {file, what, folder})).first->second;
    tally(total, planned, file);
  };
  for (const auto& init : graph.initializer()) plan(init, "initializer " + quoted(init.name()));
  for (size_t i = 0; i < names.size(); ++i)
    for (const auto& attribute : graph.node(static_cast<int>(i)).attribute()) {
      const std::string what = attribute_text(names, i, attribute.name());
      if (attribute.type() == AttributeProto::TENSOR) plan(attribute.t(), what);
      const bool subgraph = attribute.has_g() || attribute.graphs_size() > 0;
      check_locations_in_attribute(attribute, {file, subgraph ? "a subgraph of " + node_text(names, i) : what, folder});
    }
  for (const auto& function : proto.functions())
    for (const auto& node : function.node())
      for (const auto& attribute : node.attribute())
        check_locations_in_attribute(attribute, {file, "function " + quoted(function.name()), folder});
  return plans;
}

void refuse_sparse_initializers(const GraphProto& graph, const std::string& file) {
  if (graph.sparse_initializer_size() > 0)
    throw_invalid(file + ": sparse initializer " + quoted(graph.sparse_initializer(0).values().name()) +
                  " is not supported (convt reads dense initializers only)");
}

// ---- the checker ----

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find_first_of("\r\n"));
  if (line.size() > kMaxCheckerMessage) line = line.substr(0, kMaxCheckerMessage) + "...";
  return line;
}

void run_checker(const ModelProto& proto, const std::string& file, const std::string& folder) {
  ::onnx::checker::CheckerContext context;
  context.set_model_dir(folder);  // where it stat()s external data, whose every location we have already vetted
  try {
    ::onnx::checker::check_model(proto, context);
  } catch (const std::exception& error) {
    throw_invalid(file + ": the ONNX checker refuses the model: " + first_line(error.what()));
  } catch (...) {
    throw_invalid(file + ": the ONNX checker refuses the model (it failed without a message)");
  }
}

// ---- conversion ----

ValueInfo convert_value_info(const ::onnx::ValueInfoProto& proto) {
  ValueInfo info;
  info.name = proto.name();
  if (!proto.type().has_tensor_type()) return info;  // sequences, maps, optionals: no tensor type to tell
  const auto& tensor_type = proto.type().tensor_type();
  info.element_type = tensor_type.elem_type();
  if (!tensor_type.has_shape()) return info;
  info.has_shape = true;
  for (const auto& dim : tensor_type.shape().dim()) {
    Dim converted;
    if (dim.has_dim_value() && dim.dim_value() >= 0)
      converted.value = dim.dim_value();
    else if (dim.has_dim_param())
      converted.symbol = dim.dim_param();
    info.dims.push_back(converted);
  }
  return info;
}

// A graph input or output as declared; a negative dimension is a broken declaration, not an unknown one.
ValueInfo declared_value_info(const ::onnx::ValueInfoProto& proto, const std::string& file, const char* role) {
  if (proto.type().has_tensor_type())
    for (const auto& dim : proto.type().tensor_type().shape().dim())
      if (dim.has_dim_value() && dim.dim_value() < 0)
        throw_invalid(file + ": graph " + role + " " + quoted(proto.name()) + " declares dimension " +
                      std::to_string(dim.dim_value()));
  return convert_value_info(proto);
}

Attribute convert_attribute(const AttributeProto& proto, const TensorPlans& plans, const TensorSite& site) {
  Attribute attribute;
  switch (proto.type()) {
    case AttributeProto::FLOAT: attribute.kind = Attribute::Kind::Float; attribute.f = proto.f(); break;
    case AttributeProto::INT: attribute.kind = Attribute::Kind::Int; attribute.i = proto.i(); break;
    case AttributeProto::STRING: attribute.kind = Attribute::Kind::String; attribute.s = proto.s(); break;
    case AttributeProto::TENSOR:
      attribute.kind = Attribute::Kind::Tensor;
      attribute.tensor = read_tensor(proto.t(), plans.at(&proto.t()), site);
      break;
    case AttributeProto::FLOATS:
      attribute.kind = Attribute::Kind::Floats;
      attribute.floats.assign(proto.floats().begin(), proto.floats().end());
      break;
    case AttributeProto::INTS:
      attribute.kind = Attribute::Kind::Ints;
      attribute.ints.assign(proto.ints().begin(), proto.ints().end());
      break;
    case AttributeProto::STRINGS:
      attribute.kind = Attribute::Kind::Strings;
      attribute.strings.assign(proto.strings().begin(), proto.strings().end());
      break;
    default: break;  // graphs (control flow), sparse tensors, type protos: the executor refuses their ops
  }
  return attribute;
}

Node convert_node(const NodeProto& proto, const std::vector<std::string>& names, size_t index,
                  const TensorPlans& plans, const std::string& file, const std::string& folder) {
  Node node;
  node.name = names[index];
  node.op_type = proto.op_type();
  node.inputs.assign(proto.input().begin(), proto.input().end());
  node.outputs.assign(proto.output().begin(), proto.output().end());
  for (const auto& attribute : proto.attribute()) {
    const TensorSite site{file, attribute_text(names, index, attribute.name()), folder};
    if (node.attributes.count(attribute.name()))
      throw_invalid(file + ": " + node_text(names, index) + " has attribute " + quoted(attribute.name()) + " twice");
    node.attributes.emplace(attribute.name(), convert_attribute(attribute, plans, site));
  }
  return node;
}

// After conversion the proto's copy of a large tensor is dead weight; shape inference needs only its dims and type.
void free_large_tensor_data(TensorProto& tensor) {
  int64_t numel = 1;
  for (const int64_t d : tensor.dims()) {
    if (d != 0 && numel > kShapeInferenceValueLimit / d) numel = kShapeInferenceValueLimit + 1;  // stop counting
    else numel *= d;
  }
  if (numel <= kShapeInferenceValueLimit) return;
  std::unique_ptr<std::string> raw(tensor.release_raw_data());  // frees the bytes (clear_ would keep them)
  google::protobuf::RepeatedField<float>().Swap(tensor.mutable_float_data());
  google::protobuf::RepeatedField<int32_t>().Swap(tensor.mutable_int32_data());
  google::protobuf::RepeatedField<int64_t>().Swap(tensor.mutable_int64_data());
  google::protobuf::RepeatedField<double>().Swap(tensor.mutable_double_data());
  google::protobuf::RepeatedField<uint64_t>().Swap(tensor.mutable_uint64_data());
}

void convert_graph(ModelProto& proto, const std::vector<std::string>& names, const std::vector<std::string>& domains,
                   const TensorPlans& plans, const std::string& file, const std::string& folder, Model& model) {
  GraphProto& graph = *proto.mutable_graph();
  for (auto& init : *graph.mutable_initializer()) {
    const TensorSite site{file, "initializer " + quoted(init.name()), folder};
    model.initializers.emplace(init.name(), read_tensor(init, plans.at(&init), site));
    free_large_tensor_data(init);
  }
  for (const auto& input : graph.input())
    if (!model.initializers.count(input.name())) model.inputs.push_back(declared_value_info(input, file, "input"));
  for (const auto& output : graph.output()) model.outputs.push_back(declared_value_info(output, file, "output"));
  for (size_t i = 0; i < names.size(); ++i) {
    model.nodes.push_back(convert_node(graph.node(static_cast<int>(i)), names, i, plans, file, folder));
    model.nodes.back().domain = domains[i];
    for (auto& attribute : *graph.mutable_node(static_cast<int>(i))->mutable_attribute())
      if (attribute.has_t()) free_large_tensor_data(*attribute.mutable_t());
  }
}

// ---- shape inference ----
//
// libonnx 1.12's inference functions trust the shapes they are given: ConvTranspose's, for one, indexes its
// weight's dims by the input's rank, so a model whose weight has rank 1 makes it read past the end and crash
// (found by fuzz_onnx). The checker does not catch this. So inference runs in a child process: it sends back
// the inferred value_info and graph outputs, serialized, and when it crashes, hangs past the time limit or says
// too much, the model loads with the file's own declarations. The child only computes and writes to a pipe.

constexpr int kShapeInferenceSeconds = 30;
constexpr size_t kMaxInferenceAnswerBytes = size_t{256} << 20;

bool write_all(int fd, const std::string& bytes) {
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t wrote = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return false;
    done += static_cast<size_t>(wrote);
  }
  return true;
}

[[noreturn]] void infer_in_child(ModelProto& proto, int answer_fd) {
  // A crash here should end this process quietly: no crash handler of the parent's, no core file.
  for (const int number : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::signal(number, SIG_DFL);
  const struct rlimit no_core {0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  int status = 1;
  try {
    // Default options: a node whose inference fails is skipped; no data propagation (which would evaluate
    // shape arithmetic from the file).
    ::onnx::shape_inference::InferShapes(proto);
    GraphProto answer;
    *answer.mutable_value_info() = proto.graph().value_info();
    *answer.mutable_output() = proto.graph().output();
    std::string bytes;
    if (answer.SerializeToString(&bytes) && write_all(answer_fd, bytes)) status = 0;
  } catch (...) {
  }
  ::_exit(status);  // no atexit handlers or destructors of the parent's objects
}

// Everything the child writes, until it closes the pipe; nullopt past the time or size limit.
std::optional<std::string> read_answer(int fd) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kShapeInferenceSeconds);
  std::string answer;
  char buffer[1 << 16];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd poll_fd{fd, POLLIN, 0};
    const int ready = ::poll(&poll_fd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return std::nullopt;
    if (got == 0) return answer;
    if (answer.size() + static_cast<size_t>(got) > kMaxInferenceAnswerBytes) return std::nullopt;
    answer.append(buffer, static_cast<size_t>(got));
  }
}

// The inferred graph (value_info and outputs only), or nullopt when inference failed in any way.
std::optional<GraphProto> infer_isolated(ModelProto& proto) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(fds[0]);
    infer_in_child(proto, fds[1]);
  }
  ::close(fds[1]);
  if (child < 0) {
    ::close(fds[0]);
    return std::nullopt;
  }
  const std::optional<std::string> answer = read_answer(fds[0]);
  ::close(fds[0]);
  ::kill(child, SIGKILL);  // a no-op once it has exited; ends it when it hangs or says too much
  int status = 0;
  pid_t reaped;
  do reaped = ::waitpid(child, &status, 0);
  while (reaped < 0 && errno == EINTR);
  // Only a child known to have finished cleanly has said all it meant to (a crash can cut an answer short).
  const bool clean = reaped == child && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  GraphProto graph;
  if (!answer || !clean || !parse_protobuf(*answer, graph)) return std::nullopt;
  return graph;
}

void add_value_infos(const GraphProto& graph, Model& model) {
  for (const auto& info : graph.value_info()) model.value_info[info.name()] = convert_value_info(info);
  for (const auto& output : graph.output()) model.value_info[output.name()] = convert_value_info(output);
}

// value_info from ONNX shape inference, on top of what the file declares. Inference is a help, not a
// requirement: when it fails, the file's own declarations stand.
void infer_shapes(ModelProto& proto, Model& model) {
  add_value_infos(proto.graph(), model);
  if (const std::optional<GraphProto> inferred = infer_isolated(proto)) add_value_infos(*inferred, model);
}

}  // namespace

Model parse_model(const std::string& bytes, const std::string& name, const std::string& folder) {
  ModelProto proto = parse_model_proto(bytes, name);
  Model model;
  model.path = name;
  model.ir_version = proto.ir_version();
  model.opset = default_opset(proto, name);
  model.producer = producer_text(proto);

  const std::vector<std::string> domains = spell_default_domain_empty(proto);
  claim_versions_the_library_knows(proto);
  const GraphProto& graph = proto.graph();
  refuse_sparse_initializers(graph, name);
  const std::vector<std::string> names = unique_node_names(graph);
  const TensorPlans plans = plan_tensors(proto, names, name, folder);
  check_topology(graph, names, name);
  run_checker(proto, name, folder);

  convert_graph(proto, names, domains, plans, name, folder, model);
  infer_shapes(proto, model);
  return model;
}

Model load_model(const std::string& path) {
  const std::string bytes = read_protobuf_file(path, "an ONNX model");
  const std::string folder = fs::path(path).parent_path().string();
  return parse_model(bytes, path, folder.empty() ? "." : folder);
}

}  // namespace convt::onnx
