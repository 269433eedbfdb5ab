#include "model_session.h"

#include "job_runner.h"
#include "model_keys.h"

#include <convt/error.h>
#include <convt/image.h>
#include <convt/ops.h>
#include <convt/shape.h>
#include <convt/train.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

namespace convt::lab {
namespace {

using Clock = std::chrono::steady_clock;

const std::set<std::string> kUpsamplingOps = {"ConvTranspose", "Resize", "Upsample", "DepthToSpace"};

bool default_domain(const onnx::Node& node) { return node.domain.empty() || node.domain == "ai.onnx"; }

std::string pair_word(const char* name, IntPair pair, int64_t skip) {
  if (pair.h == skip && pair.w == skip) return "";
  return std::string(" ") + name + (pair.h == pair.w ? std::to_string(pair.h) : std::to_string(pair.h) + "," + std::to_string(pair.w));
}

std::string number_text(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

bool is_image_path(const std::string& path) {
  std::string extension = std::filesystem::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return std::tolower(c); });
  return extension == ".png" || extension == ".jpg" || extension == ".jpeg" || extension == ".bmp" || extension == ".tga";
}

// An image as the feed of `input`: [1, C, H, W] in [0, 1], resized (bilinear) to the declared height and width
// when they are fixed. A model that takes 1 or 3 channels gets the image as grey or RGB (alpha dropped), the way
// the Train lab reads images (make_training_data: BT.601 luma, or grey repeated); other counts must match.
onnx::Value image_feed(const std::string& path, const onnx::ValueInfo& input) {
  Tensor image = read_image(path);
  if (input.has_shape && input.dims.size() == 4) {
    const onnx::Dim& channels = input.dims[1];
    if (channels.known() && channels.value != image.size(1) && (channels.value == 1 || channels.value == 3))
      image = make_training_data(image, Crop{}, 1, channels.value == 1 ? TrainColor::Grey : TrainColor::Rgb).target;
    if (channels.known() && channels.value != image.size(1))
      throw_invalid("model.input: '" + path + "' has " + std::to_string(image.size(1)) + " channels; input '" +
                        input.name + "' takes " + std::to_string(channels.value) + " " + input.shape_text(),
                    "model.input");
    const onnx::Dim &height = input.dims[2], &width = input.dims[3];
    const IntPair size{height.known() ? height.value : image.size(2), width.known() ? width.value : image.size(3)};
    if (size.h != image.size(2) || size.w != image.size(3)) {
      InterpolateParams resize;
      resize.mode = InterpolateMode::Bilinear;
      resize.has_size = true;
      resize.size = size;
      image = interpolate(image, resize);
    }
  } else if (input.has_shape) {
    throw_invalid("model.input: an image feeds a 4-D input; '" + input.name + "' is " + input.shape_text(), "model.input");
  }
  onnx::Value value;
  value.tensor = std::move(image);
  return value;
}

// The feeds model.input names: a file per graph input (or "random" in its place). The rest are random, as the
// engine's complete_feeds makes them (the same values random_feeds gives).
std::map<std::string, onnx::Value> file_feeds(const onnx::Model& model, const ModelRequest& request) {
  const std::vector<std::string> files = model_input_files(request.input);
  if (files.size() > model.inputs.size())
    throw_invalid("model.input names " + std::to_string(files.size()) + " files, but the model has " +
                      std::to_string(model.inputs.size()) + " input" + (model.inputs.size() == 1 ? "" : "s"),
                  "model.input");
  std::map<std::string, onnx::Value> feeds;
  for (size_t i = 0; i < files.size(); ++i)
    if (files[i] != kRandomModelInput)
      feeds[model.inputs[i].name] = is_image_path(files[i]) ? image_feed(files[i], model.inputs[i]) : onnx::read_feed(files[i]);
  return feeds;
}

// One line per graph input: what it was fed.
std::string feeds_text(const onnx::Model& model, const ModelRequest& request, const onnx::CompletedFeeds& feeds) {
  const std::vector<std::string> files = model_input_files(request.input);
  std::string text;
  for (size_t i = 0; i < model.inputs.size(); ++i) {
    const std::string& name = model.inputs[i].name;
    const bool random = std::find(feeds.random_inputs.begin(), feeds.random_inputs.end(), name) != feeds.random_inputs.end();
    const auto feed = feeds.feeds.find(name);
    const std::string shape = feed == feeds.feeds.end() ? "?" : shape_to_string(feed->second.shape());
    text += (text.empty() ? "" : "\n") + name + ": " +
            (random ? "random U(-1, 1) " + shape + ", seed " + std::to_string(request.seed) : files.at(i) + " " + shape);
  }
  return text;
}

// A Constant node's value for `name`, when a Constant node makes it.
const onnx::Value* constant_value(const onnx::Model& model, const std::string& name) {
  for (const onnx::Node& node : model.nodes)
    if (node.op_type == "Constant" && !node.outputs.empty() && node.outputs[0] == name)
      if (const onnx::Attribute* value = node.attribute("value"); value && value->tensor) return &*value->tensor;
  return nullptr;
}

// The values a run left, shared: each taken out of the run's map once, so two nodes reading one value share it.
class ValuePool {
 public:
  ValuePool(const onnx::Model& model, std::shared_ptr<const onnx::Model> keep, std::map<std::string, onnx::Value> values)
      : model_(model), keep_(std::move(keep)), values_(std::move(values)) {}

  // The value `name` has: from the run (or the feeds), an initializer, or a Constant node; null when unknown.
  std::shared_ptr<const Tensor> find(const std::string& name) {
    if (const auto shared = shared_.find(name); shared != shared_.end()) return shared->second;
    std::shared_ptr<const Tensor> found;
    if (auto value = values_.find(name); value != values_.end()) {
      found = std::make_shared<const Tensor>(std::move(value->second.tensor));
      values_.erase(value);
    } else if (const auto init = model_.initializers.find(name); init != model_.initializers.end()) {
      found = std::shared_ptr<const Tensor>(keep_, &init->second.tensor);  // the model's own, not a copy
    } else if (const onnx::Value* constant = constant_value(model_, name)) {
      found = std::shared_ptr<const Tensor>(keep_, &constant->tensor);
    }
    if (found) shared_[name] = found;
    return found;
  }
  const onnx::Value* peek(const std::string& name) const {
    if (const auto value = values_.find(name); value != values_.end()) return &value->second;
    if (const auto init = model_.initializers.find(name); init != model_.initializers.end()) return &init->second;
    return constant_value(model_, name);
  }
  std::optional<Shape> shape(const std::string& name) const {
    if (const auto shared = shared_.find(name); shared != shared_.end()) return shared->second->shape();
    if (const onnx::Value* value = peek(name)) return value->shape();
    return std::nullopt;
  }

 private:
  const onnx::Model& model_;
  std::shared_ptr<const onnx::Model> keep_;
  std::map<std::string, onnx::Value> values_;
  std::map<std::string, std::shared_ptr<const Tensor>> shared_;
};

std::string shape_text(const onnx::Model& model, const ValuePool& pool, const std::string& name) {
  if (name.empty()) return "-";
  if (const std::optional<Shape> shape = pool.shape(name)) return shape_to_string(*shape);
  if (const std::optional<Shape> known = model.known_shape(name)) return shape_to_string(*known);
  if (const auto info = model.value_info.find(name); info != model.value_info.end()) return info->second.shape_text();
  for (const onnx::ValueInfo& input : model.inputs)
    if (input.name == name) return input.shape_text();
  return "?";
}

// "x2, 2" from a Resize or Upsample scales value (its last two members), or "" when unknown.
std::string scales_text(const ValuePool& pool, const std::string& name) {
  const onnx::Value* value = name.empty() ? nullptr : pool.peek(name);
  if (!value || value->tensor.numel() < 2) return "";
  const Tensor& t = value->tensor;
  return "x" + number_text(t[t.numel() - 2]) + ", " + number_text(t[t.numel() - 1]);
}

// Resize's sizes input as "[h, w]" (its last two members), or "?".
std::string sizes_text(const ValuePool& pool, const std::string& name) {
  const onnx::Value* value = name.empty() ? nullptr : pool.peek(name);
  if (!value || value->tensor.numel() < 2) return "?";
  const Tensor& t = value->tensor;
  return "[" + number_text(t[t.numel() - 2]) + ", " + number_text(t[t.numel() - 1]) + "]";
}

std::string parameters_text(const onnx::Node& node, const ValuePool& pool, const ModelLayer* layer) {
  if (layer && layer->resolution) return conv_transpose_text(layer->resolution->params, layer->resolution->kernel);
  try {
    if (node.op_type == "Resize" || node.op_type == "Upsample") {
      std::string text = node.op_type == "Resize" ? scales_text(pool, node.inputs.size() > 2 ? node.inputs[2] : "")
                                                  : scales_text(pool, node.inputs.size() > 1 ? node.inputs[1] : "");
      if (text.empty() && node.op_type == "Resize" && node.inputs.size() > 3)
        text = "sizes " + sizes_text(pool, node.inputs[3]);
      if (text.empty() && node.op_type == "Upsample") {
        const std::vector<float>& scales = node.attribute("scales") ? node.attribute("scales")->floats : std::vector<float>{};
        if (scales.size() >= 2) text = "x" + number_text(scales[scales.size() - 2]) + ", " + number_text(scales.back());
      }
      text += (text.empty() ? "" : " ") + node.string_attribute("mode", "nearest");
      if (node.op_type == "Resize")
        text += " (" + node.string_attribute("coordinate_transformation_mode", "half_pixel") + ")";
      return text;
    }
    if (node.op_type == "DepthToSpace")
      return "blocksize " + std::to_string(node.int_attribute("blocksize", 0)) + " " + node.string_attribute("mode", "DCR");
    if (node.op_type == "Conv") {
      // As a ConvTranspose reads: "k3 p1", "k5 s2 p2 d2 g4" (pads begin/end when they differ).
      std::vector<int64_t> kernel = node.ints_attribute("kernel_shape");
      if (kernel.empty() && node.inputs.size() > 1)
        if (const std::optional<Shape> weight = pool.shape(node.inputs[1]); weight && weight->size() == 4)
          kernel = {(*weight)[2], (*weight)[3]};
      const std::vector<int64_t> strides = node.ints_attribute("strides"), pads = node.ints_attribute("pads"),
                                 dilations = node.ints_attribute("dilations");
      if (kernel.size() == 2 && (strides.empty() || strides.size() == 2) && (pads.empty() || pads.size() == 4) &&
          (dilations.empty() || dilations.size() == 2)) {
        ConvTranspose2dParams p;
        if (!strides.empty()) p.stride = {strides[0], strides[1]};
        if (!pads.empty()) {
          p.padding = {pads[0], pads[1]};
          p.padding_end = IntPair{pads[2], pads[3]};
        }
        if (!dilations.empty()) p.dilation = {dilations[0], dilations[1]};
        p.groups = node.int_attribute("group", 1);
        std::string text = conv_transpose_text(p, {kernel[0], kernel[1]});
        const std::string auto_pad = node.string_attribute("auto_pad", "NOTSET");
        if (auto_pad != "NOTSET") text += " " + auto_pad;
        return text;
      }
    }
  } catch (const Error&) {
    // A malformed attribute: the generic listing below shows it as it is.
  }
  std::string text;
  for (const auto& [name, attribute] : node.attributes) {
    if (attribute.kind == onnx::Attribute::Kind::Tensor) continue;  // a Constant's value: its shape is the output's
    text += (text.empty() ? "" : " ") + name + " " + attribute_text(attribute);
  }
  return text;
}

// The input a ConvTranspose node gets when the run did not reach it: seeded U(-1, 1) of the inferred shape. Each
// node has its own seed, so two such nodes do not see the same values.
uint64_t random_input_seed(uint64_t seed, size_t node_index) { return seed * 1000003 + node_index + 1; }

ModelLayer make_layer(const onnx::Model& model, size_t index, ValuePool& pool, uint64_t seed) {
  const onnx::Node& node = model.nodes[index];
  ModelLayer layer;
  layer.node = node.name;
  layer.node_index = index;
  try {
    if (node.inputs.size() < 2 || node.inputs[0].empty() || node.inputs[1].empty())
      throw_invalid("it has no input or no weight");
    const std::string& input_name = node.inputs[0];
    layer.weight_name = node.inputs[1];
    if (node.inputs.size() > 2) layer.bias_name = node.inputs[2];
    std::shared_ptr<const Tensor> input = pool.find(input_name);
    if (input) {
      layer.source = ActivationSource::Run;
    } else {
      const std::optional<Shape> shape = model.known_shape(input_name);
      if (!shape)
        throw_invalid("the model did not run up to it, and shape inference does not know the shape of its input '" +
                      input_name + "'");
      input = std::make_shared<const Tensor>(Tensor::uniform(*shape, random_input_seed(seed, index), -1.0f, 1.0f));
      layer.source = ActivationSource::Random;
    }
    std::shared_ptr<const Tensor> weight = pool.find(layer.weight_name);
    if (!weight)
      throw_invalid("its weight '" + layer.weight_name + "' is computed by the graph, and the model did not run up to it");
    if (input->dim() != 4)
      throw_invalid("its input is " + shape_to_string(input->shape()) + "; the panels show 2-D ConvTranspose ([N, C, H, W])");
    layer.resolution = onnx::resolve_conv_transpose(node, input->shape(), weight->shape());
    if (!layer.bias_name.empty()) {
      layer.bias = pool.find(layer.bias_name);
      if (!layer.bias)
        throw_invalid("its bias '" + layer.bias_name + "' is computed by the graph, and the model did not run up to it");
    }
    const IntPair leading = layer.resolution->leading;
    if (leading.h != 0 || leading.w != 0)
      layer.note = "the node's output starts with " + to_string(leading) +
                   " rows and columns of bias alone (SAME_LOWER with a larger output_shape); the panels show the "
                   "transposed convolution after them";
    layer.input = std::move(input);
    layer.weight = std::move(weight);
  } catch (const std::exception& e) {
    layer.error = e.what();
    layer.input.reset();
    layer.weight.reset();
    layer.bias.reset();
  }
  return layer;
}

// The known [N, C, H, W] of a value, or nullopt.
std::optional<Shape> known_4d(const onnx::Model& model, const ValuePool& pool, const std::string& name) {
  std::optional<Shape> shape = pool.shape(name);
  if (!shape) shape = model.known_shape(name);
  if (!shape || shape->size() != 4) return std::nullopt;
  return shape;
}

// The verdict of an upsampling node without weights, from its op and the sizes it maps between (model_session.h,
// ModelNodeInfo::verdict).
void interpolation_verdict(const onnx::Model& model, const onnx::Node& node, const ValuePool& pool, ModelNodeInfo& info) {
  if (node.op_type == "DepthToSpace") {
    info.verdict = OverlapVerdict::Even;
    info.verdict_text = "A rearrangement: each output pixel is one input channel's pixel, with no overlap. A "
                        "checkerboard here comes from the conv before it, whose output channels are the phases (ICNR "
                        "initialisation starts them equal).";
    return;
  }
  const std::optional<Shape> in = node.inputs.empty() ? std::nullopt : known_4d(model, pool, node.inputs[0]);
  const std::optional<Shape> out = node.outputs.empty() ? std::nullopt : known_4d(model, pool, node.outputs[0]);
  if (!in || !out || (*in)[2] < 1 || (*in)[3] < 1) {
    info.verdict_text = "its sizes are not known yet";
    return;
  }
  std::string mode;
  try {
    mode = node.string_attribute("mode", "nearest");
  } catch (const Error& e) {
    info.verdict_text = e.what();
    return;
  }
  const bool whole = (*out)[2] % (*in)[2] == 0 && (*out)[3] % (*in)[3] == 0;
  const std::string factor = number_text(static_cast<double>((*out)[2]) / static_cast<double>((*in)[2])) + " x " +
                             number_text(static_cast<double>((*out)[3]) / static_cast<double>((*in)[3]));
  if (mode == "nearest" && !whole) {
    info.verdict = OverlapVerdict::Uneven;
    info.verdict_text = "Nearest by " + factor + ", not a whole number: some input rows or columns are repeated more "
                        "often than others, a periodic pattern of its own.";
  } else if (mode == "nearest") {
    info.verdict = OverlapVerdict::Even;
    info.verdict_text = "Nearest by " + factor + ": each output copies one input pixel, every input the same number "
                        "of times. No overlap, no holes (blocky, but no checkerboard).";
  } else {
    info.verdict = OverlapVerdict::Even;
    info.verdict_text = "A " + mode + " interpolation by " + factor + ": every output blends the same number of "
                        "neighbours, with weights that follow its position smoothly. No uneven overlap.";
  }
}

void describe_nodes(const onnx::Model& model, const ValuePool& pool, const std::set<std::string>& reached,
                    ModelSnapshot& snapshot) {
  snapshot.nodes.clear();
  for (size_t i = 0; i < model.nodes.size(); ++i) {
    const onnx::Node& node = model.nodes[i];
    ModelNodeInfo info;
    for (const std::string& input : node.inputs) info.input_shapes.push_back(shape_text(model, pool, input));
    for (const std::string& output : node.outputs) info.output_shapes.push_back(shape_text(model, pool, output));
    info.upsampling = default_domain(node) && kUpsamplingOps.count(node.op_type) > 0;
    info.ran = reached.count(node.name) > 0;
    const ModelLayer* layer = nullptr;
    for (size_t l = 0; l < snapshot.layers.size(); ++l)
      if (snapshot.layers[l].node_index == i) {
        layer = &snapshot.layers[l];
        info.layer = static_cast<int64_t>(l);
      }
    info.parameters = parameters_text(node, pool, layer);
    if (layer && layer->ready()) {
      try {
        const ConvTranspose2dParams& params = layer->resolution->params;
        const ConvTranspose2dGeometry g = validate_conv_transpose2d(
            layer->input->shape(), layer->weight->shape(),
            layer->bias ? std::optional<Shape>(layer->bias->shape()) : std::nullopt, params);
        const CoverageReport report = coverage_report(g, params, false);
        info.verdict = report.verdict;
        info.verdict_text = report.explanation;
      } catch (const std::exception& e) {
        info.verdict_text = e.what();
      }
    } else if (node.op_type == "ConvTranspose" && info.upsampling) {
      // Not open (yet, or at all): the verdict the file and shape inference give.
      try {
        const onnx::ConvTransposeStatic described = onnx::describe_conv_transpose(model, node);
        info.verdict = described.verdict;
        info.verdict_text = described.explanation.empty() ? described.unresolved : described.explanation;
        if (described.resolution)
          info.parameters = conv_transpose_text(described.resolution->params, described.resolution->kernel);
      } catch (const std::exception& e) {
        info.verdict_text = e.what();
      }
      if (layer) info.verdict_text = "cannot open: " + layer->error + (info.verdict_text.empty() ? "" : "\n" + info.verdict_text);
    } else if (info.upsampling) {
      interpolation_verdict(model, node, pool, info);
    }
    snapshot.nodes.push_back(std::move(info));
  }
}

// The first node the executor cannot run, or nodes.size().
size_t first_unsupported(const onnx::Model& model) {
  const std::vector<std::string>& supported = onnx::supported_ops();
  for (size_t i = 0; i < model.nodes.size(); ++i) {
    const onnx::Node& node = model.nodes[i];
    if (!default_domain(node) || std::find(supported.begin(), supported.end(), node.op_type) == supported.end()) return i;
  }
  return model.nodes.size();
}

double milliseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

const ModelLayer* ModelSnapshot::layer(const std::string& node) const {
  const int64_t index = layer_index(node);
  return index < 0 ? nullptr : &layers[static_cast<size_t>(index)];
}

const onnx::ConvTransposeAudit* ModelSnapshot::audit_of(const std::string& node) const {
  if (!audit) return nullptr;
  for (const onnx::ConvTransposeAudit& audited : audit->nodes)
    if (audited.node.name == node) return &audited;
  return nullptr;
}

int64_t ModelSnapshot::layer_index(const std::string& node) const {
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i].node == node) return static_cast<int64_t>(i);
  return -1;
}

ModelSession::ModelSession() : worker_([this] { loop(); }) {}

ModelSession::~ModelSession() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cancel_.store(true);
  changed_.notify_all();
  worker_.join();
}

void ModelSession::configure(const ModelRequest& request) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (requested_ && *requested_ == request) return;
  requested_ = request;
  pending_ = true;
  cancel_.store(true);  // a run in progress belongs to the old request
  changed_.notify_all();
}

void ModelSession::reload() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!requested_) return;
  pending_ = reload_pending_ = true;
  cancel_.store(true);
  changed_.notify_all();
}

void ModelSession::cancel() { cancel_.store(true); }

bool ModelSession::working() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pending_ || busy_;
}

std::shared_ptr<const ModelSnapshot> ModelSession::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return snapshot_;
}

std::pair<size_t, size_t> ModelSession::progress() const { return {done_.load(), total_.load()}; }

bool ModelSession::wait_until_idle(double timeout_seconds) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, std::chrono::duration<double>(timeout_seconds), [this] { return !pending_ && !busy_; });
}

void ModelSession::loop() {
  lower_this_thread_priority();
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || pending_; });
    if (stopping_) return;
    const ModelRequest request = *requested_;
    const bool reload = reload_pending_;
    pending_ = reload_pending_ = false;
    busy_ = true;
    cancel_.store(false);
    lock.unlock();
    try {
      process(request, reload);
    } catch (const std::exception& e) {
      // Nothing in process() should throw; if something does, the snapshot says so and the worker goes on.
      auto failed = std::make_shared<ModelSnapshot>();
      failed->request = request;
      failed->load_error = std::string("the model session failed: ") + e.what();
      publish(failed);
    } catch (...) {
      auto failed = std::make_shared<ModelSnapshot>();
      failed->request = request;
      failed->load_error = "the model session failed with an exception that is not a std::exception";
      publish(failed);
    }
    lock.lock();
    busy_ = false;
    done_.store(0);
    total_.store(0);
    changed_.notify_all();
  }
}

void ModelSession::publish(std::shared_ptr<ModelSnapshot> next) {
  std::lock_guard<std::mutex> lock(mutex_);
  next->version = ++version_;
  snapshot_ = std::move(next);
  changed_.notify_all();
}

void ModelSession::process(const ModelRequest& request, bool reload) {
  const std::shared_ptr<const ModelSnapshot> previous = snapshot();
  if (request.path.empty()) {
    model_.reset();
    loaded_path_.clear();
    load_error_.clear();
    auto empty = std::make_shared<ModelSnapshot>();
    empty->request = request;
    publish(empty);
    return;
  }
  if (request.path != loaded_path_ || reload) {
    auto loading = std::make_shared<ModelSnapshot>();
    loading->request = request;
    loading->loading = true;
    publish(loading);
    model_.reset();  // the old model's memory goes before the new one is read
    load_error_.clear();
    loaded_path_ = request.path;
    try {
      model_ = std::make_shared<const onnx::Model>(onnx::load_model(request.path));
      ++model_id_;
    } catch (const std::exception& e) {
      load_error_ = e.what();
    }
  }
  auto next = std::make_shared<ModelSnapshot>();
  next->request = request;
  next->load_error = load_error_;
  if (!model_) {
    publish(next);
    return;
  }
  const onnx::Model& model = *model_;
  next->model = model_;
  next->model_id = model_id_;
  // While it runs again, the panels keep the layers they have (new inputs change the activations, not the nodes).
  if (previous && previous->model_id == model_id_ && previous->model) {
    next->layers = previous->layers;
    next->layers_id = previous->layers_id;
    next->nodes = previous->nodes;
  }
  next->run = RunStatus::Running;
  if (next->nodes.empty()) {
    // The list shows at once, with the shapes shape inference knows; the run fills in the rest.
    const ValuePool nothing(model, model_, {});
    describe_nodes(model, nothing, {}, *next);
  }
  publish(std::make_shared<ModelSnapshot>(*next));

  // The run: every node the executor supports, up to the first one it does not.
  std::map<std::string, onnx::Value> values, given;
  std::set<std::string> reached;
  bool feeds_ok = false;
  try {
    given = file_feeds(model, request);
    onnx::CompletedFeeds completed = onnx::complete_feeds(model, given, request.seed);
    next->feeds_text = feeds_text(model, request, completed);
    values = std::move(completed.feeds);
    feeds_ok = true;
  } catch (const std::exception& e) {
    next->run = RunStatus::Failed;
    next->run_error = std::string("the inputs: ") + e.what();
  }
  if (next->run == RunStatus::Running) {
    const size_t unsupported = first_unsupported(model);
    onnx::RunOptions options;
    options.backend = request.backend;
    options.keep_intermediates = true;
    options.cancel = &cancel_;
    options.progress = [this](size_t done, size_t total) {
      done_.store(done);
      total_.store(total);
    };
    if (unsupported < model.nodes.size()) {
      const onnx::Node& node = model.nodes[unsupported];
      next->run_error = "node '" + node.name + "': " + (node.domain.empty() ? "" : node.domain + ".") + node.op_type +
                        " is not an op the executor runs; the nodes from it on were not run";
      if (unsupported > 0) options.stop_after = model.nodes[unsupported - 1].name;
    }
    total_.store(model.nodes.size());
    if (unsupported == 0) {
      next->run = RunStatus::Failed;
    } else {
      const Clock::time_point start = Clock::now();
      try {
        onnx::RunResult result = onnx::run_model(model, values, options);
        next->run_ms = milliseconds_since(start);
        for (const auto& [name, shapes] : result.node_shapes) reached.insert(name);
        if (unsupported < model.nodes.size()) {
          next->run = RunStatus::Partial;
        } else {
          next->run = RunStatus::Ran;
          for (const auto& [name, tensor] : result.outputs) next->outputs.emplace_back(name, tensor.shape());
        }
        for (auto& [name, value] : result.values) values[name] = std::move(value);
      } catch (const std::exception& e) {
        const bool cancelled = cancel_.load();
        next->run = cancelled ? RunStatus::Cancelled : RunStatus::Failed;
        next->run_error = cancelled ? "cancelled" : e.what();
      }
    }
  }

  ValuePool pool(model, model_, std::move(values));
  next->layers.clear();
  for (size_t i = 0; i < model.nodes.size(); ++i)
    if (model.nodes[i].op_type == "ConvTranspose" && default_domain(model.nodes[i]))
      next->layers.push_back(make_layer(model, i, pool, request.seed));
  next->layers_id = ++layers_id_;
  describe_nodes(model, pool, reached, *next);
  if (!feeds_ok || cancel_.load()) {
    publish(next);
    return;
  }
  // The panels have their tensors: publish them, then audit (which runs the model once more, as `convt model
  // audit` does, so its numbers are the CLI's).
  next->auditing = true;
  publish(std::make_shared<ModelSnapshot>(*next));
  next->auditing = false;
  try {
    onnx::AuditOptions options;
    options.run.backend = request.backend;
    options.run.cancel = &cancel_;
    options.run.progress = [this](size_t done, size_t total) {
      done_.store(done);
      total_.store(total);
    };
    options.seed = request.seed;
    next->audit = std::make_shared<const onnx::AuditReport>(onnx::audit_model(model, given, options));
  } catch (const std::exception& e) {
    next->audit_error = cancel_.load() ? "cancelled" : e.what();
  }
  publish(next);
}

std::string conv_transpose_text(const ConvTranspose2dParams& params, IntPair kernel) {
  std::string text = "k" + (kernel.h == kernel.w ? std::to_string(kernel.h) : std::to_string(kernel.h) + "x" + std::to_string(kernel.w));
  text += pair_word("s", params.stride, -1);
  if (params.asymmetric())
    text += " pads " + to_string(params.padding) + "/" + to_string(params.end_padding());
  else
    text += pair_word("p", params.padding, 0);
  text += pair_word("op", params.output_padding, 0) + pair_word("d", params.dilation, 1);
  if (params.groups > 1) text += " g" + std::to_string(params.groups);
  return text;
}

std::string attribute_text(const onnx::Attribute& a) {
  auto join = [](const auto& list) {
    std::string text;
    for (const auto& item : list) {
      std::ostringstream one;
      one << item;
      text += (text.empty() ? "" : ",") + one.str();
    }
    return text;
  };
  switch (a.kind) {
    case onnx::Attribute::Kind::Float: return number_text(a.f);
    case onnx::Attribute::Kind::Int: return std::to_string(a.i);
    case onnx::Attribute::Kind::String: return a.s;
    case onnx::Attribute::Kind::Tensor: return a.tensor ? shape_to_string(a.tensor->shape()) : "tensor";
    case onnx::Attribute::Kind::Floats: return join(a.floats);
    case onnx::Attribute::Kind::Ints: return join(a.ints);
    case onnx::Attribute::Kind::Strings: return join(a.strings);
    case onnx::Attribute::Kind::Other: return "(graph)";
  }
  return "";
}

}  // namespace convt::lab
