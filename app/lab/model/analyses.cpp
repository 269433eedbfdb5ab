#include "analyses.h"

#include <convt/backend.h>
#include <convt/error.h>
#include <convt/onnx_audit.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

namespace convt::lab {
namespace {

std::string id(const void* pointer) { return std::to_string(reinterpret_cast<uintptr_t>(pointer)); }

std::string params_key(const ConvTranspose2dParams& p) {
  std::ostringstream key;
  key << to_string(p.stride) << to_string(p.padding) << to_string(p.output_padding) << to_string(p.dilation) << "g"
      << p.groups;
  if (p.padding_end) key << "e" << to_string(*p.padding_end);
  return key.str();
}

std::string region_key(const PlaneRegion& r, int64_t factor) {
  return std::to_string(r.y0) + "," + std::to_string(r.x0) + "," + std::to_string(r.y1) + "," + std::to_string(r.x1) +
         "/" + std::to_string(factor);
}

int64_t plane_area(const ConvTranspose2dGeometry& g) { return g.out_h * g.out_w; }

// Views refine the zoomed region in tiles of this many preview pixels, so panning a little reuses the same level.
constexpr int64_t kTile = 128;

PlaneRegion snapped(const PlaneRegion& visible, int64_t factor, int64_t height, int64_t width) {
  const int64_t tile = kTile * factor;
  PlaneRegion r;
  r.y0 = visible.y0 / tile * tile;
  r.x0 = visible.x0 / tile * tile;
  r.y1 = std::min(height, (visible.y1 + tile - 1) / tile * tile);
  r.x1 = std::min(width, (visible.x1 + tile - 1) / tile * tile);
  return r;
}

}  // namespace

ProductCache::Typed<SliceSteps> Analyses::slice_steps(const ComputeResult& r) {
  const PreparedLayer& layer = r.layer;
  const ConvTranspose2dGeometry& g = layer.geometry;
  const std::string key = "steps|" + id(layer.input.get()) + "|" + id(layer.weight.get()) + "|" + params_key(layer.params) +
                          "|" + std::to_string(r.batch_index) + "," + std::to_string(r.in_channel) + "," +
                          std::to_string(r.out_channel);
  const int64_t cost = plane_area(g) * (g.kernel_h * g.kernel_w + 4);
  return products_.get<SliceSteps>(key, {layer.input, layer.weight}, [layer, b = r.batch_index, ci = r.in_channel, co = r.out_channel] {
    SliceSteps made;
    const ConvTranspose2dParams& params = layer.params;  // ONNX's separate end pad included (the engine takes it)
    made.steps = scatter_then_convolve_slice(*layer.input, *layer.weight, params, b, ci, co);
    const ChannelSlice slice = channel_slice(*layer.input, *layer.weight, params, b, ci, co);
    made.replay = std::make_shared<ScatterReplay>(slice.input_plane, slice.kernel, nullptr, slice.params, 0, 0);
    const Tensor& direct = made.steps.direct;
    made.equal = made.steps.max_abs_difference <= 1e-5 * (1.0 + std::fabs(finite_range(direct.data(), direct.numel()).high));
    return made;
  }, cost <= kCheapElements);
}

ProductCache::Typed<Tensor> Analyses::replay_partial(const std::shared_ptr<const SliceSteps>& steps, int64_t step) {
  const ConvTranspose2dGeometry& g = steps->replay->geometry();
  const int64_t cost = plane_area(g) + step * g.kernel_h * g.kernel_w;
  return products_.get<Tensor>("replay|" + id(steps.get()) + "|" + std::to_string(step), {steps},
                               [steps, step] { return steps->replay->partial_output(step); }, cost <= kCheapElements);
}

ProductCache::Typed<ArtifactScore> Analyses::artifact_score(const ComputeResult& r) {
  const std::shared_ptr<const Tensor>& output = r.output_ptr();
  const ConvTranspose2dGeometry& g = r.layer.geometry;
  const IntPair kernel{g.kernel_h, g.kernel_w};
  return products_.get<ArtifactScore>(
      "score|" + id(output.get()) + "|" + params_key(r.layer.params) + to_string(kernel), {output},
      [output, params = r.layer.params, kernel] { return convt::artifact_score(*output, params, kernel); },
      output->numel() <= kCheapElements);
}

ProductCache::Typed<Tensor> Analyses::comparison(const ComputeResult& r, ComparisonResize mode) {
  const PreparedLayer& layer = r.layer;
  const ConvTranspose2dGeometry& g = layer.geometry;
  const InterpolateMode interpolate = mode == ComparisonResize::Nearest ? InterpolateMode::Nearest : InterpolateMode::Bilinear;
  const std::string key = "compare|" + id(layer.input.get()) + "|" + id(layer.weight.get()) + "|" +
                          params_key(layer.params) + "|" + std::to_string(r.batch_index) + "," +
                          std::to_string(r.out_channel) + (mode == ComparisonResize::Nearest ? "n" : "b");
  const int64_t cost = plane_area(g) * g.kernel_h * g.kernel_w * g.in_channels_per_group;
  return products_.get<Tensor>(key, {layer.input, layer.weight}, [layer, b = r.batch_index, co = r.out_channel, interpolate] {
    return resize_then_convolve(*layer.input, *layer.weight, layer.params, b, co, interpolate);
  }, cost <= kCheapElements);
}

namespace {

// What a product of the shown slice depends on: its tensors, parameters and channels.
std::string slice_key(const ComputeResult& r) {
  const PreparedLayer& layer = r.layer;
  return id(layer.input.get()) + "|" + id(layer.weight.get()) + "|" + id(layer.bias.get()) + "|" +
         params_key(layer.params) + "|" + std::to_string(r.batch_index) + "," + std::to_string(r.in_channel) + "," +
         std::to_string(r.out_channel);
}

}  // namespace

ProductCache::Typed<OutputPixelTerms> Analyses::pixel_terms(const ComputeResult& r, int64_t oy, int64_t ox) {
  const PreparedLayer& layer = r.layer;
  const std::string key = "terms|" + slice_key(r) + "|" + std::to_string(oy) + "," + std::to_string(ox);
  return products_.get<OutputPixelTerms>(key, {layer.input, layer.weight, layer.bias},
                                         [layer, b = r.batch_index, co = r.out_channel, oy, ox] {
    const ConvTranspose2dGeometry& g = layer.geometry;
    if (oy >= g.out_h || ox >= g.out_w)
      throw_invalid("pinned pixel (" + std::to_string(oy) + ", " + std::to_string(ox) + ") is outside the " +
                    std::to_string(g.out_h) + "x" + std::to_string(g.out_w) + " output", "view.pin");
    return output_pixel_terms(*layer.input, *layer.weight, layer.bias.get(), layer.params, b, co, oy, ox);
  }, true);
}

ProductCache::Typed<InputPixelFootprint> Analyses::footprint(const ComputeResult& r, int64_t iy, int64_t ix) {
  const PreparedLayer& layer = r.layer;
  const std::string key = "footprint|" + slice_key(r) + "|" + std::to_string(iy) + "," + std::to_string(ix);
  return products_.get<InputPixelFootprint>(key, {layer.input, layer.weight},
                                            [layer, b = r.batch_index, ci = r.in_channel, co = r.out_channel, iy, ix] {
    const ConvTranspose2dGeometry& g = layer.geometry;
    if (iy >= g.in_h || ix >= g.in_w)
      throw_invalid("pinned input pixel (" + std::to_string(iy) + ", " + std::to_string(ix) + ") is outside the " +
                    std::to_string(g.in_h) + "x" + std::to_string(g.in_w) + " input", "view.pin_input");
    return input_pixel_footprint(*layer.input, *layer.weight, layer.params, b, ci, iy, ix, co);
  }, true);
}

int64_t matrix_input_row(const ComputeResult& r, int64_t row) { return row < 0 ? r.layer.geometry.in_h / 2 : row; }

int64_t matrix_kernel_row(const ComputeResult& r, int64_t kernel_row) {
  return kernel_row < 0 ? r.layer.geometry.kernel_h / 2 : kernel_row;
}

ProductCache::Typed<TransposeMatrix1d> Analyses::matrix(const ComputeResult& r, int64_t row, int64_t kernel_row,
                                                        int64_t inputs) {
  const PreparedLayer& layer = r.layer;
  const int64_t input_row = matrix_input_row(r, row);
  const int64_t tap_row = matrix_kernel_row(r, kernel_row);
  const std::string key = "matrix|" + slice_key(r) + "|" + std::to_string(input_row) + "," + std::to_string(tap_row) +
                          "|" + std::to_string(inputs);
  return products_.get<TransposeMatrix1d>(key, {layer.input, layer.weight},
                                          [layer, b = r.batch_index, ci = r.in_channel, co = r.out_channel, input_row,
                                           tap_row, inputs] {
    return transpose_matrix_of_row(*layer.input, *layer.weight, layer.params, b, ci, co, input_row, tap_row, inputs);
  }, true);
}

ProductCache::Typed<RoundTrip> Analyses::round_trip(const ComputeResult& r) {
  const PreparedLayer& layer = r.layer;
  const std::shared_ptr<const Tensor>& output = r.output_ptr();
  const ConvTranspose2dGeometry& g = layer.geometry;
  const std::string key = "roundtrip|" + id(output.get()) + "|" + id(layer.weight.get()) + "|" + params_key(layer.params);
  const int64_t cost = output->numel() * g.kernel_h * g.kernel_w * g.in_channels_per_group;
  return products_.get<RoundTrip>(key, {output, layer.weight}, [output, layer] {
    return conv2d_round_trip(*output, *layer.weight, layer.params);
  }, cost <= kCheapElements);
}

namespace {

// B's weight and bias: A's when B keeps A's weight source and its shape, else B's own.
std::pair<std::shared_ptr<const Tensor>, std::shared_ptr<const Tensor>> compare_tensors(const PreparedLayer& a,
                                                                                        const LabState& state,
                                                                                        const LayerSettings& b) {
  const int64_t in_channels = a.input->size(1);
  const LayerSettings& a_settings = state.layer();
  std::shared_ptr<const Tensor> weight;
  if (b.weight == a_settings.weight) {
    const Shape planned = planned_weight_shape(b, in_channels);
    if (planned.empty() || planned == a.weight->shape()) weight = a.weight;
    else if (is_model_layer(b, state.model.path))
      throw_invalid("B's weight is the model node's " + shape_to_string(a.weight->shape()) +
                    ": for another kernel, C_out or groups, give B an initialiser", "compare.weight");
  }
  if (!weight) weight = std::make_shared<const Tensor>(build_weight(b, in_channels));
  std::shared_ptr<const Tensor> bias;
  if (b.bias) {
    if (weight == a.weight && a.bias) bias = a.bias;
    else if (std::optional<Tensor> built = build_bias(b, *weight)) bias = std::make_shared<const Tensor>(std::move(*built));
  }
  return {weight, bias};
}

}  // namespace

ProductCache::Typed<CompareResult> Analyses::compare(const ComputeResult& r, const LayerSettings& b) {
  const PreparedLayer& a = r.layer;
  std::ostringstream key;
  key << "compareab|" << slice_key(r) << "|" << id(r.output_ptr().get()) << "|" << to_string(b.kernel) << params_key(b.params)
      << "|" << b.out_channels << "|" << b.bias << "|" << static_cast<int>(b.weight.init) << b.weight.from_file
      << b.weight.constant << "|" << b.weight.path << "|" << b.weight.tensor_name << "|" << b.weight.seed << "|"
      << r.state.backend;
  const int64_t cost = a.input->numel() * b.kernel.h * b.kernel.w * std::max<int64_t>(1, b.out_channels);
  return products_.get<CompareResult>(key.str(), {a.input, a.weight, r.output_ptr()},
                                      [a, state = r.state, b, output_a = r.output_ptr(), batch = r.batch_index,
                                       channel = r.out_channel] {
    CompareResult made;
    auto [weight, bias] = compare_tensors(a, state, b);
    made.params = b.params;
    try {
      made.geometry = validate_conv_transpose2d(a.input->shape(), weight->shape(),
                                                bias ? std::optional<Shape>(bias->shape()) : std::nullopt, b.params);
    } catch (const Error& e) {
      throw Error(e.kind(), std::string("B: ") + e.what(), e.parameter());
    }
    made.output = std::make_shared<const Tensor>(
        select_backend(state.backend, b.params).conv_transpose2d(*a.input, *weight, bias.get(), b.params));
    made.coverage = coverage_report(made.geometry, b.params, false);
    made.score = convt::artifact_score(*made.output, b.params, b.kernel);
    made.out_channel = std::min(channel, made.geometry.out_channels - 1);
    const Tensor& out_a = *output_a;
    const Tensor& out_b = *made.output;
    const int64_t h = std::min(out_a.size(2), out_b.size(2)), w = std::min(out_a.size(3), out_b.size(3));
    made.same_size = out_a.size(2) == out_b.size(2) && out_a.size(3) == out_b.size(3);
    std::vector<float> difference(static_cast<size_t>(h * w));
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        const float d = out_b.at(batch, made.out_channel, y, x) - out_a.at(batch, channel, y, x);
        difference[static_cast<size_t>(y * w + x)] = d;
        made.max_abs_difference = std::max(made.max_abs_difference, static_cast<double>(std::fabs(d)));
      }
    made.difference = std::make_shared<const Tensor>(Tensor::from_data({h, w}, difference));
    return made;
  }, cost <= kCheapElements);
}

ProductCache::Typed<StackCoverageMap> Analyses::stack_coverage(const ComputeResult& r) {
  std::vector<StackLayerShape> shapes = stack_shapes(r.stack);
  const Shape input_shape = r.stack.input->shape();
  // A model's ConvTranspose nodes form a chain only when each takes the previous one's output size (ops in between
  // that keep it, such as BatchNorm and ReLU); an asymmetric node is counted in its PyTorch form.
  std::string problem;
  for (size_t i = 0; i < shapes.size() && problem.empty(); ++i) {
    if (const std::optional<ConvTranspose2dParams> same = analysis_params(shapes[i].params)) shapes[i].params = *same;
    else problem = "layer " + std::to_string(i + 1) + " crops more at its bottom/right than PyTorch's padding can say";
    const std::shared_ptr<const Tensor>& own = r.stack.layers[i].input;
    if (i > 0 && own) {
      const Shape before = r.stack.layers[i - 1].geometry.output_shape();
      if (own->shape() != before)
        problem = "layer " + std::to_string(i + 1) + " takes " + shape_to_string(own->shape()) + " but layer " +
                  std::to_string(i) + " gives " + shape_to_string(before) +
                  ": the ConvTranspose nodes do not follow each other directly, so their routes do not compound";
    }
  }
  if (!problem.empty())
    return products_.get<StackCoverageMap>("stackcov|refused|" + problem, {}, [problem]() -> StackCoverageMap {
      throw_invalid(problem);
    }, true);
  std::string key = "stackcov|" + shape_to_string(input_shape);
  int64_t cost = 0;
  for (size_t i = 0; i < shapes.size(); ++i) {
    key += "|" + shape_to_string(shapes[i].weight_shape) + params_key(shapes[i].params);
    const ConvTranspose2dGeometry& g = r.stack.layers[i].geometry;
    cost += plane_area(g) * g.kernel_h * g.kernel_w;
  }
  return products_.get<StackCoverageMap>(key, {}, [input_shape, shapes] {
    StackCoverageMap made;
    made.counts = std::make_shared<const Tensor>(convt::stack_coverage(input_shape, shapes));
    made.summary = summarize_stack_coverage(*made.counts, stack_border(shapes));
    made.max = made.counts->numel() ? *std::max_element(made.counts->data(), made.counts->data() + made.counts->numel()) : 0.0f;
    return made;
  }, cost <= kCheapElements);
}

ProductCache::Typed<NonFiniteCount> Analyses::nonfinite(const std::shared_ptr<const Tensor>& tensor) {
  return products_.get<NonFiniteCount>("nonfinite|" + id(tensor.get()), {tensor}, [tensor] { return count_nonfinite(*tensor); },
                                       tensor->numel() <= kCheapElements);
}

PlaneView Analyses::preview(const std::string& identity, const std::shared_ptr<const void>& keep,
                            std::function<Tensor(const PlaneRegion&, int64_t)> make, int64_t height, int64_t width,
                            int channels, const PlaneRegion& visible, int64_t box_h, int64_t box_w) {
  PlaneView view;
  view.height = height;
  view.width = width;
  const PlaneRegion full{0, 0, height, width};
  auto level = [&](const PlaneRegion& region, int64_t factor) {
    const int64_t cost = region.height() * region.width() * channels;
    return products_.get<PlanePreview>("preview|" + identity + "|" + region_key(region, factor), {keep},
                                       [make, region, factor] { return PlanePreview{make(region, factor), region, factor}; },
                                       cost <= kCheapElements);
  };
  const int64_t overview_factor = preview_factor(full, box_h, box_w);
  view.overview = level(full, overview_factor);
  if (!view.overview.error.empty()) view.error = view.overview.error;
  PlaneRegion shown{std::clamp<int64_t>(visible.y0, 0, height), std::clamp<int64_t>(visible.x0, 0, width),
                    std::clamp<int64_t>(visible.y1, 0, height), std::clamp<int64_t>(visible.x1, 0, width)};
  if (overview_factor > 1 && shown.height() > 0 && shown.width() > 0) {
    const int64_t detail_factor = preview_factor(shown, box_h, box_w);
    if (detail_factor < overview_factor) view.detail = level(snapped(shown, detail_factor, height, width), detail_factor);
  }
  return view;
}

PlaneView Analyses::plane(const PlaneSpec& spec, const PlaneRegion& visible, int64_t box_h, int64_t box_w) {
  const std::shared_ptr<const Tensor>& tensor = spec.tensor;
  const int64_t rank = tensor->dim();
  const int64_t height = tensor->size(-2), width = tensor->size(-1), area = height * width;
  const int64_t channels_in_tensor = rank >= 3 ? tensor->size(-3) : 1;
  const int64_t offset = spec.channel < 0 ? 0 : (spec.batch * channels_in_tensor + spec.channel) * area;
  const int channels = spec.composite ? 3 : 1;
  const int64_t batches = rank >= 4 ? tensor->size(-4) : 1;
  if (spec.channel >= 0 && (spec.batch < 0 || spec.batch >= batches || spec.channel + channels > channels_in_tensor)) {
    PlaneView outside;
    outside.height = height;
    outside.width = width;
    outside.error = "no plane (" + std::to_string(spec.batch) + ", " + std::to_string(spec.channel) + ") in a tensor of shape " +
                    shape_to_string(tensor->shape());
    return outside;
  }
  const float* data = tensor->data() + offset;
  const std::string identity = id(tensor.get()) + "|" + std::to_string(offset) + "|" + std::to_string(channels);

  PlaneView view = preview(identity, tensor, [tensor, offset, height, width, area, channels](const PlaneRegion& region, int64_t factor) {
    return downsample_planes(tensor->data() + offset, height, width, area, channels, region, factor);
  }, height, width, channels, visible, box_h, box_w);

  if (spec.fixed_range) {
    view.ranges[0] = *spec.fixed_range;
    view.has_range = true;
    return view;
  }
  // The colour range comes from the full-resolution data, never from a preview (a mean hides a lone extreme).
  struct Ranges {
    ValueRange ranges[3];
  };
  const int64_t scanned = spec.global ? tensor->numel() : area * channels;
  const std::string key = "range|" + identity + "|" + (spec.global ? "g" : "p") + std::to_string(static_cast<int>(spec.colormap));
  const auto ranges = products_.get<Ranges>(key, {tensor}, [tensor, data, area, spec] {
    Ranges made;
    if (spec.composite)
      for (int c = 0; c < 3; ++c) made.ranges[c] = finite_range(data + c * area, area);
    else
      made.ranges[0] = spec.global ? display_range(tensor->data(), tensor->numel(), spec.colormap)
                                   : display_range(data, area, spec.colormap);
    return made;
  }, scanned <= kCheapElements);
  if (ranges.value) {
    std::copy(ranges.value->ranges, ranges.value->ranges + 3, view.ranges);
    view.has_range = true;
  } else if (!ranges.error.empty()) {
    view.error = ranges.error;
  }
  return view;
}

PlaneView Analyses::coverage_map(const ComputeResult& r, const PlaneRegion& visible, int64_t box_h, int64_t box_w) {
  return coverage_map(r.stages.at(static_cast<size_t>(r.stack.selected)).coverage, visible, box_h, box_w);
}

PlaneView Analyses::coverage_map(const std::shared_ptr<const CoverageReport>& coverage, const PlaneRegion& visible,
                                 int64_t box_h, int64_t box_w) {
  PlaneView view = preview("coverage|" + id(coverage.get()), coverage, [coverage](const PlaneRegion& region, int64_t factor) {
    return downsample_separable(coverage->row_counts, coverage->col_counts, region, factor);
  }, coverage->out_h, coverage->out_w, 1, visible, box_h, box_w);
  const auto largest = [](const std::vector<int64_t>& axis) { return axis.empty() ? 0 : *std::max_element(axis.begin(), axis.end()); };
  const int64_t most = std::max<int64_t>(1, largest(coverage->row_counts) * largest(coverage->col_counts));
  view.ranges[0] = {0.0f, static_cast<float>(most)};
  view.has_range = true;
  return view;
}

ProductCache::Typed<std::vector<SafetensorsEntry>> Analyses::safetensors_tensors(const std::string& path) {
  return products_.get<std::vector<SafetensorsEntry>>("safetensors|" + path, {}, [path] {
    std::vector<SafetensorsEntry> tensors;
    for (const SafetensorsEntry& e : list_safetensors(path))
      if (e.shape.size() == 4) tensors.push_back(e);
    return tensors;
  }, false);
}

ProductCache::Typed<DirectoryListing> Analyses::directory(const std::string& path, const std::vector<std::string>& extensions,
                                                           uint64_t refresh) {
  std::string key = "dir|" + std::to_string(refresh) + "|" + path;
  for (const std::string& extension : extensions) key += "|" + extension;
  return products_.get<DirectoryListing>(key, {}, [path, extensions] {
    namespace fs = std::filesystem;
    DirectoryListing listing;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(path, fs::directory_options::skip_permission_denied, error)) {
      std::error_code entry_error;
      const std::string name = entry.path().filename().string();
      if (entry.is_directory(entry_error)) {
        listing.folders.push_back(name);
        continue;
      }
      std::string extension = entry.path().extension().string();
      std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return std::tolower(c); });
      if (std::find(extensions.begin(), extensions.end(), extension) != extensions.end()) listing.files.push_back(name);
    }
    if (error) listing.error = error.message();
    std::sort(listing.folders.begin(), listing.folders.end());
    std::sort(listing.files.begin(), listing.files.end());
    return listing;
  }, false);
}

ProductCache::Typed<Workspace> Analyses::workspace_file(const std::string& path, uint64_t request) {
  return products_.get<Workspace>("workspace|" + std::to_string(request) + "|" + path, {},
                                  [path] { return read_workspace(path); }, false);
}

}  // namespace convt::lab
