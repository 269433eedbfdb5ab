// The teaching engine: what the desktop app and the CLI show about a conv_transpose2d layer.
// Everything here follows MATH.md and is checked against brute-force definitions in tests/.
#pragma once

#include <convt/ops.h>
#include <convt/params.h>
#include <convt/shape.h>
#include <convt/tensor.h>

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace convt {

// ---- 1. Scatter-then-convolve -----------------------------------------------------------------------------

// y = conv2d_stride1_dilation_d(pad(zero_insert(x, s-1), lo, hi), W'), lo = d*(k-1) - p, hi = lo + op.
struct ScatterConvolveSteps {
  Tensor zero_inserted;       // [N, C_in, (H-1)*sh + 1, (W-1)*sw + 1]
  IntPair pad_low, pad_high;  // per axis; negative means crop
  Tensor padded;              // zero_inserted padded (or cropped) by pad_low / pad_high
  Tensor transformed_weight;  // W' [C_out, C_in/groups, kH, kW]: rotated 180 degrees, in/out swapped per group
  Tensor convolved;           // conv2d(padded, W', bias, stride 1, padding 0, dilation d, groups)
  Tensor direct;              // conv_transpose2d(x, w, bias) by the reference
  double max_abs_difference = 0;  // between convolved and direct: float32 rounding level
};

// Whole tensors (unbatched input is treated as a batch of one).
ScatterConvolveSteps scatter_then_convolve(const Tensor& input, const Tensor& weight, const Tensor* bias,
                                           const ConvTranspose2dParams& params);

// One (batch, input channel, output channel) slice: the contribution of input channel `in_channel` of sample
// `batch_index` to output channel `out_channel` (no bias). Both channels must be in the same group.
ScatterConvolveSteps scatter_then_convolve_slice(const Tensor& input, const Tensor& weight,
                                                 const ConvTranspose2dParams& params, int64_t batch_index,
                                                 int64_t in_channel, int64_t out_channel);

// The single-channel layer behind one (batch, input channel, output channel) slice: input_plane [1, 1, H, W],
// kernel [1, 1, kH, kW] (weight[in_channel, out_channel mod C_out/groups]), and the parameters with groups 1.
// Both channels must be in the same group (InvalidArgument otherwise, as for out-of-range indices).
struct ChannelSlice {
  Tensor input_plane;
  Tensor kernel;
  ConvTranspose2dParams params;
};
ChannelSlice channel_slice(const Tensor& input, const Tensor& weight, const ConvTranspose2dParams& params,
                           int64_t batch_index, int64_t in_channel, int64_t out_channel);

// The first output channel that `in_channel` feeds (the first of its group).
int64_t first_output_channel_fed_by(const ConvTranspose2dGeometry& geometry, int64_t in_channel);

// The artifact-free alternative to a strided transposed conv (Odena et al.): resize the input by the stride
// (nearest or bilinear, align_corners false), then a stride-1 conv2d with the same kernel flipped (W'), padded by
// d*(k-1)/2 so the output keeps about the transposed conv's size. For one (batch, output channel): [1, 1, H', W'].
Tensor resize_then_convolve(const Tensor& input, const Tensor& weight, const ConvTranspose2dParams& params,
                            int64_t batch_index, int64_t out_channel, InterpolateMode mode);

// Building blocks, exposed for the views and tests.
Tensor zero_insert(const Tensor& input, IntPair stride);  // 4-D
Tensor pad_or_crop(const Tensor& input, IntPair low, IntPair high);  // 4-D, zero padding; negative crops
Tensor transposed_conv_weight_as_conv2d(const Tensor& weight, int64_t groups);

// ---- 2. Scatter replay -------------------------------------------------------------------------------------

struct StampTap {
  int64_t ky, kx;  // kernel tap
  int64_t oy, ox;  // where it lands in the output (inside it)
};

struct ScatterStamp {
  int64_t in_channel, iy, ix;  // the input pixel
  float value;                 // its value
  int64_t origin_y, origin_x;  // where kernel tap (0, 0) lands: (iy*s - p, ix*s - p); may be outside the output
  std::vector<StampTap> taps_inside;  // the taps that land inside the output after cropping
};

// The stamps that build one output channel of one sample, in order: input channel, then row, then column.
class ScatterReplay {
 public:
  ScatterReplay(const Tensor& input, const Tensor& weight, const Tensor* bias, const ConvTranspose2dParams& params,
                int64_t batch_index, int64_t out_channel);

  int64_t stamp_count() const { return static_cast<int64_t>(stamp_pixels_.size()); }
  ScatterStamp stamp(int64_t t) const;
  // The output channel [OH, OW] after the first t stamps (t = 0: bias only; t = stamp_count(): the full output).
  // Costs O(t * kH * kW).
  Tensor partial_output(int64_t t) const;
  const ConvTranspose2dGeometry& geometry() const { return geometry_; }

 private:
  struct Pixel {
    int64_t in_channel, iy, ix;
  };
  float input_value(const Pixel& pixel) const;
  std::vector<StampTap> taps_inside(const Pixel& pixel) const;
  // Copies of the input planes of the group and of the kernels feeding out_channel, so the replay owns its data.
  std::vector<float> input_planes_;  // [C_in/groups, H, W]
  std::vector<float> kernels_;       // [C_in/groups, kH, kW]
  float bias_value_ = 0;
  ConvTranspose2dParams params_;
  ConvTranspose2dGeometry geometry_;
  int64_t batch_index_, out_channel_;
  std::vector<Pixel> stamp_pixels_;
};

// ---- 3. Receptive links ------------------------------------------------------------------------------------

struct SpatialLink {
  int64_t iy, ix;  // input pixel
  int64_t ky, kx;  // kernel tap
  int64_t oy, ox;  // output pixel
};

// The (input pixel, tap) pairs that contribute to output pixel (oy, ox), in every input channel of its group.
std::vector<SpatialLink> links_to_output(const ConvTranspose2dGeometry& geometry, const ConvTranspose2dParams& params,
                                         int64_t oy, int64_t ox);
// The output pixels input pixel (iy, ix) stamps, with the tap that carries it.
std::vector<SpatialLink> links_from_input(const ConvTranspose2dGeometry& geometry,
                                          const ConvTranspose2dParams& params, int64_t iy, int64_t ix);

// ---- 4. Coverage and the checkerboard verdict -------------------------------------------------------------

enum class OverlapVerdict { Even, Uneven, Holes };
const char* to_string(OverlapVerdict verdict);  // "Even", "Uneven overlap", "Holes"

struct AxisCoverage {
  int64_t kernel = 1, stride = 1, dilation = 1, padding = 0;
  // taps_by_phase[r]: kernel taps landing on an interior output o with (o + p) mod s == r. Listed only for
  // strides up to kMaxListedPhases (empty above); the counts below always hold.
  std::vector<int64_t> taps_by_phase;
  int64_t phases_without_taps = 0;
  int64_t min_taps = 0, max_taps = 0;
  OverlapVerdict verdict = OverlapVerdict::Even;
};

constexpr int64_t kMaxListedPhases = 4096;

// The interior tap count per phase for one axis, and its verdict. Costs O(k), whatever the stride.
AxisCoverage axis_coverage(int64_t kernel, int64_t stride, int64_t dilation, int64_t padding);

// The verdict from the closed-form rule of MATH.md: Holes iff k < s or gcd(s, d) > 1; Even iff s divides k.
OverlapVerdict closed_form_verdict(int64_t kernel, int64_t stride, int64_t dilation);

struct CoverageReport {
  AxisCoverage height, width;
  int64_t out_h = 0, out_w = 0;
  // The exact number of (input pixel, tap) pairs landing on each output pixel, borders included (per input
  // channel), is separable: rows[oy] * cols[ox]. `counts` holds that product for every pixel, unless the report
  // was asked for without the map (a large output's map would cost 8 bytes a pixel; views draw it from the axes).
  std::vector<int64_t> row_counts, col_counts;
  std::vector<int64_t> counts;
  OverlapVerdict verdict = OverlapVerdict::Even;
  // Interior max / min taps in 2-D (infinite when there are holes).
  double max_min_ratio = 1.0;
  std::string explanation;  // one sentence in plain words
  std::string fix;          // a concrete change, or "" when the geometry is fine
  IntPair suggested_kernel;    // equal to the current kernel when nothing needs changing
  IntPair suggested_dilation;  // likewise
  // With the suggested kernel and dilation: a padding and output_padding that keep the output size, when
  // `keeps_output_size`; otherwise the current ones.
  IntPair suggested_padding, suggested_output_padding;
  bool keeps_output_size = true;
};

CoverageReport coverage_report(const ConvTranspose2dGeometry& geometry, const ConvTranspose2dParams& params,
                               bool with_map = true);

// ---- 5. Measured artifact score ---------------------------------------------------------------------------

struct ArtifactScore {
  // Fraction of the interior's variance explained by the output phase ((oy + ph) mod sh, (ox + pw) mod sw),
  // per (sample, channel) plane, pooled: sum of between-phase squares / total sum of squares. 0 = the phase
  // tells nothing about the value (no checkerboard); 1 = the value is a function of the phase alone.
  double score = 0;
  std::vector<double> phase_means;  // [min(sh, OH) * min(sw, OW)], averaged over planes, for display
  int64_t interior_pixels = 0;      // pixels per plane that were measured
  std::string level;                // "none" (< 0.02), "faint" (< 0.1), "strong"; "n/a" (score 0) when the output
                                    // is no larger than one stride on both axes, so each pixel is its own phase
};

// Measured on an output tensor of conv_transpose2d with the given kernel and parameters, over the fully covered
// interior only: d*(k-1) - p pixels are dropped at the top/left and d*(k-1) - p_end + op at the bottom/right (where
// coverage falls off for geometric reasons that are not a checkerboard). `leading` rows and columns of bias come
// before the transposed convolution's output (an ONNX node whose begin pad is negative) and are left out too.
ArtifactScore artifact_score(const Tensor& output, const ConvTranspose2dParams& params, IntPair kernel,
                             IntPair leading = {0, 0});

// The same measure for any upsampled tensor: phase (o + phase_offset) mod period, over the pixels at least
// border_low from the top/left and border_high from the bottom/right (everything when that leaves less than one
// period). artifact_score is this with the stride, the padding and the transposed conv's partially covered borders.
ArtifactScore artifact_score_in_region(const Tensor& output, IntPair period, IntPair phase_offset, IntPair border_low,
                                       IntPair border_high);

// ---- 6. Size solver ---------------------------------------------------------------------------------------

struct PaddingChoice {
  int64_t padding = 0, output_padding = 0;
};

// Up to this many answers are listed by the two solvers below: with a stride of 10^9 there are half a billion.
constexpr int64_t kMaxListedAnswers = 16;

// The valid (padding, output_padding) pairs for one axis that make o = wanted (op < s or op < d, p >= 0),
// smallest output_padding first, at most kMaxListedAnswers of them. O(answers), whatever the stride.
std::vector<PaddingChoice> solve_padding(int64_t input, int64_t kernel, int64_t stride, int64_t dilation,
                                         int64_t wanted_output);

struct ForwardInput {
  int64_t input = 0;           // an input size the forward conv2d maps to the given output
  int64_t output_padding = 0;  // the output_padding with which the transposed conv produces that size
};

// The input sizes a forward conv2d (k, s, p, d) maps to `output` (s of them, listed up to kMaxListedAnswers,
// smallest first): the ambiguity output_padding resolves. Sizes below 1 are left out, so output_padding need not
// start at 0.
std::vector<ForwardInput> conv2d_inputs_mapping_to(int64_t output, int64_t kernel, int64_t stride, int64_t padding,
                                                   int64_t dilation);

// ---- 7. Kernels worth teaching ----------------------------------------------------------------------------

enum class WeightInit { Bilinear, Nearest, Constant, Impulse, Normal, Uniform, KaimingUniform };

// "bilinear", "nearest", "constant", "impulse", "normal", "uniform", "kaiming": the names in enum order (the CLI,
// --set, workspaces, the app).
std::span<const char* const> weight_init_names();
WeightInit parse_weight_init(const std::string& name);
const char* to_string(WeightInit init);

// A weight [C_in, C_out/groups, kH, kW]. The structured kernels (bilinear, nearest, impulse) go on a channel
// "diagonal": input channel ci feeds output channel ci mod (C_out/groups) of its group and no other. With
// C_in == C_out and groups 1, or groups == C_in, that upsamples each channel on its own;
// `value` is the constant for Constant; Normal is N(0, 1), Uniform U(-1, 1); KaimingUniform is PyTorch's default
// for ConvTranspose2d, U(-b, b) with b = 1/sqrt(fan_in), fan_in = (C_out/groups) * kH * kW.
Tensor make_weight(WeightInit init, const Shape& weight_shape, uint64_t seed, float value = 1.0f);

// The FCN bilinear upsampling kernel for one axis pair: k x k, factor (k+1)/2, centre factor-1 (odd k) or
// factor-0.5 (even k).
Tensor bilinear_kernel(IntPair kernel);

}  // namespace convt
