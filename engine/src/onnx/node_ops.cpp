// The executor's ops. The convolutions and the activations PyTorch has run on the chosen backend through the
// engine's ops; the rest (broadcasting arithmetic, BatchNorm, layout changes) are memory-bound copies done here in
// float32, exactly as ONNX defines them.
#include "onnx/node_ops.h"

#include <convt/analysis.h>
#include <convt/backend.h>
#include <convt/error.h>
#include <convt/shape.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace convt::onnx::detail {
namespace {

const Backend& backend_for(const NodeContext& context, const OpRequest& request) {
  return *dispatch(context.backend, request).backend;
}

void require_rank(const NodeContext& context, const Value& value, size_t rank, const char* what) {
  if (value.shape().size() != rank)
    context.refuse(std::string(what) + " has shape " + shape_to_string(value.shape()) + "; " + std::to_string(rank) +
                   "-D is needed");
}

// The value with data `data` and its own shape; integers kept when both are exact.
Value with_shape(const Value& value, const Shape& shape) {
  Value out;
  out.tensor = value.tensor.reshaped(shape);
  out.integers = value.integers;
  out.element_type = value.element_type;
  return out;
}

// ---- convolutions ----

std::vector<Value> run_conv_transpose(const NodeContext& c) {
  const Value& x = c.input(0, "X");
  const Value& w = c.input(1, "W");
  const Value* b = c.optional_input(2);
  const ConvTransposeResolution r = resolve_conv_transpose(c.node, x.shape(), w.shape());
  std::optional<Tensor> bias;
  if (b) bias = b->tensor.reshaped({b->tensor.numel()});
  Tensor y = backend_for(c, OpRequest{Op::ConvTranspose2d, r.params})
                 .conv_transpose2d(x.tensor, w.tensor, bias ? &*bias : nullptr, r.params);
  if (r.leading.h || r.leading.w) {
    // Rows and columns before the full result receive no input, so they hold the bias alone.
    const int64_t N = y.size(0), C = y.size(1), H = y.size(2), W = y.size(3);
    Tensor extended({N, C, H + r.leading.h, W + r.leading.w});
    for (int64_t n = 0; n < N; ++n)
      for (int64_t ch = 0; ch < C; ++ch)
        for (int64_t yy = 0; yy < H + r.leading.h; ++yy)
          for (int64_t xx = 0; xx < W + r.leading.w; ++xx) {
            const bool inside = yy >= r.leading.h && xx >= r.leading.w;
            extended.at(n, ch, yy, xx) = inside ? y.at(n, ch, yy - r.leading.h, xx - r.leading.w)
                                                : (bias ? (*bias)[ch] : 0.0f);
          }
    y = std::move(extended);
  }
  return {float_value(std::move(y))};
}

std::vector<Value> run_conv(const NodeContext& c) {
  const Value& x = c.input(0, "X");
  const Value& w = c.input(1, "W");
  const Value* b = c.optional_input(2);
  if (w.shape().size() != 4 || x.shape().size() != 4)
    c.refuse("only 2-D Conv is supported (input " + shape_to_string(x.shape()) + ", weight " +
             shape_to_string(w.shape()) + ")", "kernel_shape");
  auto pair_attribute = [&](const char* key, int64_t fallback) {
    std::vector<int64_t> v = c.node.ints_attribute(key);
    if (v.empty()) return IntPair{fallback, fallback};
    if (v.size() != 2) c.refuse(std::string("attribute '") + key + "' needs 2 values for a 2-D Conv", key);
    return IntPair{v[0], v[1]};
  };
  Conv2dParams params;
  params.stride = pair_attribute("strides", 1);
  params.dilation = pair_attribute("dilations", 1);
  params.groups = c.node.int_attribute("group", 1);
  if (params.stride.h < 1 || params.stride.w < 1 || params.dilation.h < 1 || params.dilation.w < 1)
    c.refuse("strides and dilations must be >= 1");
  std::vector<int64_t> pads = c.node.ints_attribute("pads");
  if (pads.empty()) pads.assign(4, 0);
  if (pads.size() != 4) c.refuse("attribute 'pads' needs 4 values for a 2-D Conv", "padding");
  const std::string auto_pad = c.node.string_attribute("auto_pad", "NOTSET");
  if (auto_pad == "VALID") pads.assign(4, 0);
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    for (int axis = 0; axis < 2; ++axis) {
      const int64_t in = x.shape()[2 + axis], s = params.stride[axis];
      const int64_t reach = params.dilation[axis] * (w.shape()[2 + axis] - 1) + 1;
      const int64_t total = std::max<int64_t>(0, ((in + s - 1) / s - 1) * s + reach - in);
      pads[axis] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pads[axis + 2] = total - pads[axis];
    }
  } else if (auto_pad != "NOTSET" && auto_pad != "VALID") {
    c.refuse("auto_pad '" + auto_pad + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID", "auto_pad");
  }
  for (const int64_t p : pads)
    if (p < 0) c.refuse("pads must be >= 0", "padding");
  Tensor input = x.tensor;
  if (pads[0] == pads[2] && pads[1] == pads[3]) {
    params.padding = {pads[0], pads[1]};
  } else {
    // conv2d pads symmetrically; uneven pads are zeros added to the input first.
    input = pad_or_crop(input, {pads[0], pads[1]}, {pads[2], pads[3]});
  }
  std::optional<Tensor> bias;
  if (b) bias = b->tensor.reshaped({b->tensor.numel()});
  return {float_value(backend_for(c, OpRequest{Op::Conv2d, params})
                          .conv2d(input, w.tensor, bias ? &*bias : nullptr, params))};
}

std::vector<Value> run_batch_norm(const NodeContext& c) {
  const Value& x = c.input(0, "X");
  if (c.node.outputs.size() > 1 && std::any_of(c.node.outputs.begin() + 1, c.node.outputs.end(),
                                               [](const std::string& name) { return !name.empty(); }))
    c.refuse("training mode (running mean and variance outputs) is not supported; export the model in eval mode");
  if (c.node.int_attribute("training_mode", 0) != 0) c.refuse("training_mode=1 is not supported", "training_mode");
  if (x.shape().size() < 2) c.refuse("input of shape " + shape_to_string(x.shape()) + " has no channel axis");
  const int64_t channels = x.shape()[1];
  const char* names[] = {"scale", "B", "input_mean", "input_var"};
  const float* params[4];
  for (size_t i = 0; i < 4; ++i) {
    const Value& v = c.input(i + 1, names[i]);
    if (v.tensor.numel() != channels)
      c.refuse(std::string(names[i]) + " has " + std::to_string(v.tensor.numel()) + " values for " +
               std::to_string(channels) + " channels");
    params[i] = v.tensor.data();
  }
  const double epsilon = c.node.float_attribute("epsilon", 1e-5f);
  const int64_t inner = x.tensor.numel() / std::max<int64_t>(1, x.shape()[0] * channels);
  Tensor y(x.shape());
  for (int64_t i = 0; i < x.tensor.numel(); ++i) {
    const int64_t ch = (i / inner) % channels;
    const float inv_std = static_cast<float>(1.0 / std::sqrt(static_cast<double>(params[3][ch]) + epsilon));
    y[i] = (x.tensor[i] - params[2][ch]) * inv_std * params[0][ch] + params[1][ch];
  }
  return {float_value(std::move(y))};
}

// ---- activations ----

template <Activation kind>
std::vector<Value> run_activation(const NodeContext& c) {
  const float slope = kind == Activation::LeakyReLU ? c.node.float_attribute("alpha", 0.01f) : 0.0f;
  const Tensor& x = c.input(0, "X").tensor;
  return {float_value(backend_for(c, OpRequest{Op::Activation, std::monostate{}}).activation(x, kind, slope))};
}

std::vector<Value> run_sigmoid(const NodeContext& c) {
  Tensor y = c.input(0, "X").tensor;
  for (int64_t i = 0; i < y.numel(); ++i) y[i] = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(y[i]))));
  return {float_value(std::move(y))};
}

// ---- broadcasting arithmetic (numpy's rules) ----

Shape broadcast_shape(const NodeContext& c, const Shape& a, const Shape& b) {
  Shape out(std::max(a.size(), b.size()), 1);
  for (size_t i = 0; i < out.size(); ++i) {
    const int64_t da = i < out.size() - a.size() ? 1 : a[i - (out.size() - a.size())];
    const int64_t db = i < out.size() - b.size() ? 1 : b[i - (out.size() - b.size())];
    if (da != db && da != 1 && db != 1)
      c.refuse("shapes " + shape_to_string(a) + " and " + shape_to_string(b) + " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// Element strides of `shape` aligned right to `out`, 0 along broadcast axes.
std::vector<int64_t> broadcast_strides(const Shape& shape, const Shape& out) {
  std::vector<int64_t> strides(out.size(), 0);
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    const size_t o = i + (out.size() - shape.size());
    strides[o] = shape[i] == 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

// Calls f(out_index, a_index, b_index) for every output element, walking the indices like an odometer.
template <typename F>
void for_each_broadcast(const Shape& out, const Shape& a, const Shape& b, F f) {
  const int64_t count = shape_numel(out);
  const std::vector<int64_t> sa = broadcast_strides(a, out), sb = broadcast_strides(b, out);
  std::vector<int64_t> index(out.size(), 0);
  int64_t ia = 0, ib = 0;
  for (int64_t o = 0; o < count; ++o) {
    f(o, ia, ib);
    for (size_t d = out.size(); d-- > 0;) {
      ia += sa[d], ib += sb[d];
      if (++index[d] < out[d]) break;
      ia -= sa[d] * out[d], ib -= sb[d] * out[d];
      index[d] = 0;
    }
  }
}

enum class Arithmetic { Add, Sub, Mul, Div };

template <Arithmetic op>
std::vector<Value> run_arithmetic(const NodeContext& c) {
  const Value& a = c.input(0, "A");
  const Value& b = c.input(1, "B");
  const Shape out_shape = broadcast_shape(c, a.shape(), b.shape());
  check_memory_budget(out_shape, c.label() + " output");
  auto apply = [](auto x, auto y) {
    if constexpr (op == Arithmetic::Add) return x + y;
    if constexpr (op == Arithmetic::Sub) return x - y;
    if constexpr (op == Arithmetic::Mul) return x * y;
    if constexpr (op == Arithmetic::Div) return x / y;
  };
  if (a.integers && b.integers) {
    // Shape arithmetic stays exact; integer division truncates, as ONNX's integer Div.
    std::vector<int64_t> out(static_cast<size_t>(shape_numel(out_shape)));
    for_each_broadcast(out_shape, a.shape(), b.shape(), [&](int64_t o, int64_t ia, int64_t ib) {
      const int64_t x = (*a.integers)[static_cast<size_t>(ia)], y = (*b.integers)[static_cast<size_t>(ib)];
      if (op == Arithmetic::Div && y == 0) c.refuse("integer division by zero");
      out[static_cast<size_t>(o)] = apply(x, y);
    });
    Value v = integer_value(out_shape, std::move(out));
    v.element_type = a.element_type;
    return {std::move(v)};
  }
  Tensor out(out_shape);
  for_each_broadcast(out_shape, a.shape(), b.shape(),
                     [&](int64_t o, int64_t ia, int64_t ib) { out[o] = apply(a.tensor[ia], b.tensor[ib]); });
  return {float_value(std::move(out))};
}

std::vector<Value> run_prelu(const NodeContext& c) {
  const Value& x = c.input(0, "X");
  const Value& slope = c.input(1, "slope");
  // The slope broadcasts to X (one way): PyTorch exports [C, 1, 1] for per-channel slopes.
  if (broadcast_shape(c, x.shape(), slope.shape()) != x.shape())
    c.refuse("slope of shape " + shape_to_string(slope.shape()) + " does not broadcast to X " +
             shape_to_string(x.shape()));
  Tensor out(x.shape());
  for_each_broadcast(x.shape(), x.shape(), slope.shape(), [&](int64_t o, int64_t ix, int64_t is) {
    const float v = x.tensor[ix];
    out[o] = v < 0 ? v * slope.tensor[is] : v;
  });
  return {float_value(std::move(out))};
}

// ---- layout ----

int64_t normalized_axis(const NodeContext& c, int64_t axis, size_t rank) {
  const int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r)
    c.refuse("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank), "axis");
  return axis < 0 ? axis + r : axis;
}

std::vector<Value> run_concat(const NodeContext& c) {
  if (c.inputs.empty()) c.refuse("has no inputs");
  const Value& first = c.input(0, "inputs[0]");
  const size_t rank = first.shape().size();
  const int64_t axis = normalized_axis(c, c.node.int_attribute("axis", 1), rank);
  Shape out_shape = first.shape();
  out_shape[static_cast<size_t>(axis)] = 0;
  bool all_integers = true;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const Value& v = c.input(i, "inputs");
    for (size_t d = 0; d < rank; ++d)
      if (v.shape().size() != rank || (static_cast<int64_t>(d) != axis && v.shape()[d] != first.shape()[d]))
        c.refuse("input " + std::to_string(i) + " of shape " + shape_to_string(v.shape()) +
                 " does not match input 0 of shape " + shape_to_string(first.shape()) + " off axis " +
                 std::to_string(axis));
    out_shape[static_cast<size_t>(axis)] += v.shape()[static_cast<size_t>(axis)];
    all_integers = all_integers && v.integers.has_value();
  }
  check_memory_budget(out_shape, c.label() + " output");
  const int64_t outer = std::accumulate(first.shape().begin(), first.shape().begin() + axis, int64_t{1},
                                        std::multiplies<int64_t>());
  Tensor out(out_shape);
  std::vector<int64_t> integers;
  int64_t position = 0;
  const int64_t out_block = shape_numel(out_shape) / std::max<int64_t>(1, outer);
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const Value& v = *c.inputs[i];
    const int64_t block = v.tensor.numel() / std::max<int64_t>(1, outer);
    for (int64_t o = 0; o < outer; ++o)
      std::copy_n(v.tensor.data() + o * block, block, out.data() + o * out_block + position);
    position += block;
  }
  if (all_integers) {
    // Integer inputs are shape lists (rank 1): their exact values are concatenated along the only axis.
    for (const Value* v : c.inputs) integers.insert(integers.end(), v->integers->begin(), v->integers->end());
    if (rank == 1) return {integer_value(out_shape, std::move(integers))};
  }
  return {float_value(std::move(out))};
}

std::vector<Value> run_identity(const NodeContext& c) { return {c.input(0, "input")}; }

std::vector<Value> run_constant(const NodeContext& c) {
  const Attribute* a = nullptr;
  for (const char* key : {"value", "value_float", "value_floats", "value_int", "value_ints"})
    if ((a = c.node.attribute(key))) break;
  if (!a) c.refuse("has no value (sparse and string constants are not supported)", "value");
  switch (a->kind) {
    case Attribute::Kind::Tensor: return {*a->tensor};
    case Attribute::Kind::Float: return {float_value(Tensor::full({}, a->f))};
    case Attribute::Kind::Floats:
      return {float_value(Tensor::from_data({static_cast<int64_t>(a->floats.size())}, a->floats))};
    case Attribute::Kind::Int: return {integer_value({}, {a->i})};
    case Attribute::Kind::Ints: return {integer_value({static_cast<int64_t>(a->ints.size())}, a->ints)};
    default: c.refuse("value of an unsupported kind", "value");
  }
}

std::vector<Value> run_reshape(const NodeContext& c) {
  const Value& x = c.input(0, "data");
  std::vector<int64_t> target = integer_list(c, c.input(1, "shape"), "shape");
  const bool allow_zero = c.node.int_attribute("allowzero", 0) != 0;
  int64_t known = 1, inferred = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == 0 && !allow_zero) {
      if (i >= x.shape().size()) c.refuse("shape copies axis " + std::to_string(i) + " that the input lacks", "shape");
      target[i] = x.shape()[i];
    }
    if (target[i] == -1) {
      if (inferred >= 0) c.refuse("shape has more than one -1", "shape");
      inferred = static_cast<int64_t>(i);
    } else if (target[i] < 0) {
      c.refuse("shape has a negative dimension " + std::to_string(target[i]), "shape");
    } else {
      known *= target[i];
      if (known > x.tensor.numel() && x.tensor.numel() > 0) break;
    }
  }
  if (inferred >= 0) {
    if (known == 0 || x.tensor.numel() % known != 0)
      c.refuse("cannot reshape " + shape_to_string(x.shape()) + " to " + shape_to_string(target), "shape");
    target[static_cast<size_t>(inferred)] = x.tensor.numel() / known;
  }
  if (inferred < 0 && known != x.tensor.numel())
    c.refuse("cannot reshape " + shape_to_string(x.shape()) + " (" + std::to_string(x.tensor.numel()) +
             " values) to " + shape_to_string(target), "shape");
  return {with_shape(x, target)};
}

std::vector<Value> run_flatten(const NodeContext& c) {
  const Value& x = c.input(0, "input");
  const int64_t rank = static_cast<int64_t>(x.shape().size());
  int64_t axis = c.node.int_attribute("axis", 1);
  if (axis < -rank || axis > rank) c.refuse("axis " + std::to_string(axis) + " is out of range", "axis");
  if (axis < 0) axis += rank;
  const int64_t outer = std::accumulate(x.shape().begin(), x.shape().begin() + axis, int64_t{1},
                                        std::multiplies<int64_t>());
  return {with_shape(x, {outer, outer ? x.tensor.numel() / outer : 0})};
}

std::vector<Value> run_transpose(const NodeContext& c) {
  const Value& x = c.input(0, "data");
  const size_t rank = x.shape().size();
  std::vector<int64_t> perm = c.node.ints_attribute("perm");
  if (perm.empty())
    for (size_t i = rank; i-- > 0;) perm.push_back(static_cast<int64_t>(i));
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i)
    if (sorted.size() != rank || sorted[i] != static_cast<int64_t>(i))
      c.refuse("perm is not a permutation of the input's " + std::to_string(rank) + " axes", "perm");
  Shape out_shape(rank);
  for (size_t i = 0; i < rank; ++i) out_shape[i] = x.shape()[static_cast<size_t>(perm[i])];
  // Walk the output in order; each output axis moves through the input with that input axis's stride.
  const std::vector<int64_t> in_strides = x.tensor.strides();
  Shape permuted_strides(rank);
  for (size_t i = 0; i < rank; ++i) permuted_strides[i] = in_strides[static_cast<size_t>(perm[i])];
  Tensor out(out_shape);
  std::vector<int64_t> integers(x.integers ? x.integers->size() : 0);
  std::vector<int64_t> index(rank, 0);
  int64_t source = 0;
  for (int64_t o = 0; o < out.numel(); ++o) {
    out[o] = x.tensor[source];
    if (x.integers) integers[static_cast<size_t>(o)] = (*x.integers)[static_cast<size_t>(source)];
    for (size_t d = rank; d-- > 0;) {
      source += permuted_strides[d];
      if (++index[d] < out_shape[d]) break;
      source -= permuted_strides[d] * out_shape[d];
      index[d] = 0;
    }
  }
  Value v = float_value(std::move(out));
  if (x.integers) v.integers = std::move(integers), v.element_type = x.element_type;
  return {std::move(v)};
}

// Channel c of `input` goes to channel order[c] of the output (4-D).
Tensor permute_channels(const Tensor& input, const std::vector<int64_t>& order) {
  Tensor out(input.shape());
  const int64_t N = input.size(0), C = input.size(1), plane = input.size(2) * input.size(3);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t ch = 0; ch < C; ++ch)
      std::copy_n(input.data() + (n * C + ch) * plane, plane, out.data() + (n * C + order[ch]) * plane);
  return out;
}

// DCR's channel (by*b + bx)*C' + c is CRD's (pixel_shuffle's) c*b*b + by*b + bx.
std::vector<int64_t> dcr_to_crd(int64_t channels, int64_t block) {
  const int64_t base = channels / (block * block);
  std::vector<int64_t> order(static_cast<size_t>(channels));
  for (int64_t phase = 0; phase < block * block; ++phase)
    for (int64_t ch = 0; ch < base; ++ch) order[static_cast<size_t>(phase * base + ch)] = ch * block * block + phase;
  return order;
}

int64_t block_size(const NodeContext& c, const Value& x) {
  require_rank(c, x, 4, "input");
  const int64_t block = c.node.int_attribute("blocksize", 0);
  if (block < 1 || block > 4096) c.refuse("blocksize " + std::to_string(block) + " must be >= 1", "blocksize");
  return block;
}

std::vector<Value> run_depth_to_space(const NodeContext& c) {
  const Value& x = c.input(0, "input");
  const int64_t b = block_size(c, x);
  const std::string mode = c.node.string_attribute("mode", "DCR");
  if (mode != "DCR" && mode != "CRD") c.refuse("mode '" + mode + "' is not DCR or CRD", "mode");
  if (x.shape()[1] % (b * b) != 0)
    c.refuse(std::to_string(x.shape()[1]) + " channels are not divisible by blocksize^2 = " + std::to_string(b * b));
  const Backend& backend = backend_for(c, OpRequest{Op::PixelShuffle, std::monostate{}});
  if (mode == "CRD") return {float_value(backend.pixel_shuffle(x.tensor, b))};
  return {float_value(backend.pixel_shuffle(permute_channels(x.tensor, dcr_to_crd(x.shape()[1], b)), b))};
}

std::vector<Value> run_space_to_depth(const NodeContext& c) {
  const Value& x = c.input(0, "input");
  const int64_t b = block_size(c, x);
  if (x.shape()[2] % b != 0 || x.shape()[3] % b != 0)
    c.refuse("spatial size " + std::to_string(x.shape()[2]) + " x " + std::to_string(x.shape()[3]) +
             " is not divisible by blocksize " + std::to_string(b));
  // pixel_unshuffle gives CRD's channel order; ONNX's SpaceToDepth uses DCR's.
  Tensor crd = backend_for(c, OpRequest{Op::PixelUnshuffle, std::monostate{}}).pixel_unshuffle(x.tensor, b);
  const std::vector<int64_t> to_crd = dcr_to_crd(crd.size(1), b);
  std::vector<int64_t> to_dcr(to_crd.size());
  for (size_t i = 0; i < to_crd.size(); ++i) to_dcr[static_cast<size_t>(to_crd[i])] = static_cast<int64_t>(i);
  return {float_value(permute_channels(crd, to_dcr))};
}

struct OpEntry {
  const char* op_type;
  OpFunction function;
};

constexpr OpEntry kOps[] = {
    {"ConvTranspose", run_conv_transpose},
    {"Conv", run_conv},
    {"BatchNormalization", run_batch_norm},
    {"Relu", run_activation<Activation::ReLU>},
    {"LeakyRelu", run_activation<Activation::LeakyReLU>},
    {"Tanh", run_activation<Activation::Tanh>},
    {"PRelu", run_prelu},
    {"Sigmoid", run_sigmoid},
    {"Add", run_arithmetic<Arithmetic::Add>},
    {"Sub", run_arithmetic<Arithmetic::Sub>},
    {"Mul", run_arithmetic<Arithmetic::Mul>},
    {"Div", run_arithmetic<Arithmetic::Div>},
    {"Concat", run_concat},
    {"Resize", run_resize},
    {"Upsample", run_upsample},
    {"DepthToSpace", run_depth_to_space},
    {"SpaceToDepth", run_space_to_depth},
    {"Identity", run_identity},
    {"Constant", run_constant},
    {"Reshape", run_reshape},
    {"Flatten", run_flatten},
    {"Transpose", run_transpose},
};

}  // namespace

const Value& NodeContext::input(size_t index, const char* what) const {
  if (index >= inputs.size() || !inputs[index])
    refuse("input " + std::to_string(index) + " (" + what + ") is missing");
  return *inputs[index];
}

void NodeContext::refuse(const std::string& what, const std::string& parameter) const {
  throw_invalid(label() + ": " + what, parameter);
}

OpFunction find_op(const std::string& op_type) {
  for (const OpEntry& entry : kOps)
    if (op_type == entry.op_type) return entry.function;
  return nullptr;
}

std::vector<int64_t> integer_list(const NodeContext& context, const Value& value, const char* what) {
  if (value.shape().size() > 1)
    context.refuse(std::string(what) + " must be a list (1-D), not " + shape_to_string(value.shape()), what);
  if (value.integers) return *value.integers;
  std::vector<int64_t> out;
  for (int64_t i = 0; i < value.tensor.numel(); ++i) {
    const float v = value.tensor[i];
    if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 9.0e15f)
      context.refuse(std::string(what) + " holds " + std::to_string(v) + ", which is not a whole number", what);
    out.push_back(static_cast<int64_t>(v));
  }
  return out;
}

Value float_value(Tensor tensor) {
  Value v;
  v.tensor = std::move(tensor);
  return v;
}

Value integer_value(const Shape& shape, std::vector<int64_t> integers) {
  std::vector<float> floats(integers.begin(), integers.end());
  Value v;
  v.tensor = Tensor::from_data(shape, floats);
  v.integers = std::move(integers);
  v.element_type = 7;  // INT64
  return v;
}

}  // namespace convt::onnx::detail

namespace convt::onnx {

const std::vector<std::string>& supported_ops() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const detail::OpEntry& entry : detail::kOps) out.emplace_back(entry.op_type);
    return out;
  }();
  return names;
}

}  // namespace convt::onnx
