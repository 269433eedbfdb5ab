// The analyses and views of a result, each its own product (product_cache.h): asked for by the panel that shows
// it, made on the worker (or at once when small), cached by the inputs it depends on. A panel that is not drawn
// asks for nothing, so it costs nothing. Each getter returns a null value while the product is being made.
#pragma once

#include "compute.h"
#include "product_cache.h"

#include <convt/analysis.h>
#include <convt/image.h>
#include <convt/inspect.h>
#include <convt/io.h>
#include <convt/preview.h>
#include <convt/stack.h>
#include <convt/workspace.h>

#include <optional>
#include <string>
#include <vector>

namespace convt::lab {

// The scatter-then-convolve steps of the chosen slice, its scatter replay, and whether the stride-1 convolution
// equals the direct output to float32 rounding.
struct SliceSteps {
  ScatterConvolveSteps steps;
  std::shared_ptr<const ScatterReplay> replay;
  bool equal = false;
};

// The whole chain's route counts, their summary over the interior, and the heat map's range.
struct StackCoverageMap {
  std::shared_ptr<const Tensor> counts;  // [OH, OW] of the final output
  StackCoverageSummary summary;
  float max = 0;
};

// A downsampled region of a plane: values [channels, h', w'], each the mean of a factor x factor block.
struct PlanePreview {
  Tensor values;
  PlaneRegion region;
  int64_t factor = 1;
};

// Which plane a view shows: plane (batch, channel) of a 4-D tensor, or the whole last two dimensions when
// channel < 0; `composite` shows channels c..c+2 as RGB (each with its own range). The range is the plane's (or
// the whole tensor's when `global`), symmetric for the diverging map, unless `fixed_range` is given.
struct PlaneSpec {
  PlaneSpec() = default;
  PlaneSpec(std::shared_ptr<const Tensor> tensor_, int64_t batch_, int64_t channel_, bool composite_, Colormap colormap_,
            bool global_ = false)
      : tensor(std::move(tensor_)), batch(batch_), channel(channel_), composite(composite_), colormap(colormap_), global(global_) {}
  std::shared_ptr<const Tensor> tensor;
  int64_t batch = 0, channel = -1;
  bool composite = false;
  Colormap colormap = Colormap::Viridis;
  bool global = false;
  std::optional<ValueRange> fixed_range;
};

// What a view draws: the whole plane at a level no larger than its box, plus a finer level of the zoomed region
// once one is needed and made. Hovered values are read from the tensor itself.
struct PlaneView {
  int64_t height = 0, width = 0;  // the plane, in tensor pixels
  ProductCache::Typed<PlanePreview> overview, detail;
  ValueRange ranges[3];
  bool has_range = false;
  std::string error;
  bool ready() const { return has_range && overview.value != nullptr; }
};

// Compare A/B: configuration B of the shown layer (compare.layer) run on the same input as A.
struct CompareResult {
  std::shared_ptr<const Tensor> output;  // B's conv output [N, C_out, OH, OW]
  ConvTranspose2dParams params;
  ConvTranspose2dGeometry geometry;
  CoverageReport coverage;
  ArtifactScore score;
  int64_t out_channel = 0;  // B's channel compared with A's shown one (the same index, clamped)
  // B - A in the shown (batch, channel) slice, over the top-left region both outputs have: [h, w].
  std::shared_ptr<const Tensor> difference;
  double max_abs_difference = 0;
  bool same_size = true;
};

struct DirectoryListing {
  std::vector<std::string> folders, files;  // names, sorted; files already filtered by extension
  std::string error;
};

// The input row and the kernel row matrix() cuts for `row` and `kernel_row`: the value itself, or the middle one
// for -1 (view.matrix_row and view.matrix_kernel_row), so a view can say which rows it shows.
int64_t matrix_input_row(const ComputeResult& r, int64_t row);
int64_t matrix_kernel_row(const ComputeResult& r, int64_t kernel_row);

class Analyses {
 public:
  // Work up to this many elements is made at once, inside the frame.
  static constexpr int64_t kCheapElements = int64_t{1} << 18;

  explicit Analyses(ProductCache& products) : products_(products) {}

  ProductCache::Typed<SliceSteps> slice_steps(const ComputeResult& r);
  // The chosen slice's output after the first `step` stamps of the replay.
  ProductCache::Typed<Tensor> replay_partial(const std::shared_ptr<const SliceSteps>& steps, int64_t step);
  ProductCache::Typed<ArtifactScore> artifact_score(const ComputeResult& r);
  ProductCache::Typed<Tensor> comparison(const ComputeResult& r, ComparisonResize mode);
  ProductCache::Typed<StackCoverageMap> stack_coverage(const ComputeResult& r);
  ProductCache::Typed<NonFiniteCount> nonfinite(const std::shared_ptr<const Tensor>& tensor);

  // ---- Close-ups of the shown slice (convt/inspect.h). A pin outside the output, or a row outside the input,
  // fails with a one-line error that names it.
  ProductCache::Typed<OutputPixelTerms> pixel_terms(const ComputeResult& r, int64_t oy, int64_t ox);
  ProductCache::Typed<InputPixelFootprint> footprint(const ComputeResult& r, int64_t iy, int64_t ix);
  // The 1-D matrix of input row `row` and kernel row `kernel_row` (each -1: the middle one).
  // `inputs`: how many values of the row it cuts (view.matrix_inputs).
  ProductCache::Typed<TransposeMatrix1d> matrix(const ComputeResult& r, int64_t row, int64_t kernel_row,
                                                int64_t inputs = kMaxMatrixInputs);
  ProductCache::Typed<RoundTrip> round_trip(const ComputeResult& r);
  // B on the shown layer's input, on the worker: B's weight is A's when B keeps A's weight source and shape,
  // otherwise B's own (generated, or read from its file).
  ProductCache::Typed<CompareResult> compare(const ComputeResult& r, const LayerSettings& b);

  // The view of a plane for a box of box_h x box_w screen pixels showing `visible` (in tensor pixels).
  PlaneView plane(const PlaneSpec& spec, const PlaneRegion& visible, int64_t box_h, int64_t box_w);
  // The selected layer's coverage map (pairs per output pixel), drawn from its per-axis counts.
  PlaneView coverage_map(const ComputeResult& r, const PlaneRegion& visible, int64_t box_h, int64_t box_w);
  // The same map for any report's per-axis counts (Compare A/B's B); the view keeps `report` alive. Its range is
  // [0, the largest count], like the selected layer's.
  PlaneView coverage_map(const std::shared_ptr<const CoverageReport>& report, const PlaneRegion& visible, int64_t box_h,
                         int64_t box_w);

  // The 4-D tensors of a .safetensors file, read on the worker.
  ProductCache::Typed<std::vector<SafetensorsEntry>> safetensors_tensors(const std::string& path);
  // A folder's sub-folders and the files with one of `extensions` (lower case, with the dot); `refresh` changes
  // to list it again.
  ProductCache::Typed<DirectoryListing> directory(const std::string& path, const std::vector<std::string>& extensions,
                                                   uint64_t refresh);
  // A workspace file, read and parsed on the worker; `request` changes to read it again.
  ProductCache::Typed<Workspace> workspace_file(const std::string& path, uint64_t request);

 private:
  PlaneView preview(const std::string& identity, const std::shared_ptr<const void>& keep,
                    std::function<Tensor(const PlaneRegion&, int64_t)> make, int64_t height, int64_t width, int channels,
                    const PlaneRegion& visible, int64_t box_h, int64_t box_w);
  ProductCache& products_;
};

}  // namespace convt::lab
