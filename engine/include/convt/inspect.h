// The teaching engine's close-ups, for a learner's "which pixels made this?" and "why transposed?":
// every term behind one output pixel, the footprint of one input pixel, the 1-D matrix C whose transpose is the
// layer, and the conv2d round trip back to the input's size. Everything follows MATH.md and is checked against
// the reference backend in tests/test_inspect.cpp.
#pragma once

#include <convt/analysis.h>
#include <convt/params.h>
#include <convt/shape.h>
#include <convt/tensor.h>

#include <cstdint>
#include <span>
#include <vector>

namespace convt {

// ---- The pixel inspector -------------------------------------------------------------------------------------

// One product x * w that lands on an output pixel: input pixel (batch, in_channel, iy, ix) times kernel tap
// (ky, kx) of weight[in_channel, out_channel mod C_out/groups], landing on (out_channel, oy, ox).
struct PixelTerm {
  int64_t batch = 0, in_channel = 0, iy = 0, ix = 0;
  int64_t ky = 0, kx = 0;
  int64_t out_channel = 0, oy = 0, ox = 0;
  float x = 0, w = 0;
  double product = 0;  // x * w, in double
};

// Every term of output pixel (batch, out_channel, oy, ox): y = sum of the products + bias.
struct OutputPixelTerms {
  int64_t batch = 0, out_channel = 0, oy = 0, ox = 0;
  std::vector<PixelTerm> terms;  // input channel, then ky, then kx
  bool has_bias = false;
  float bias = 0;
  double sum = 0;        // the products plus the bias, in double
  double magnitude = 0;  // |products| + |bias| summed: the scale float32 rounding is relative to
};

// The input is 4-D [N, C_in, H, W] (or 3-D, unbatched), the weight [C_in, C_out/groups, kH, kW]; `bias` may be
// null. Pixels outside the output, or an unknown batch or channel, are InvalidArgument naming which.
OutputPixelTerms output_pixel_terms(const Tensor& input, const Tensor& weight, const Tensor* bias,
                                    const ConvTranspose2dParams& params, int64_t batch, int64_t out_channel,
                                    int64_t oy, int64_t ox);

// Where input pixel (batch, in_channel, iy, ix) lands in output channel `out_channel` (of its group): one term per
// kernel tap that stays inside the output, in tap order. `cropped_taps` counts the taps the padding cut off.
struct InputPixelFootprint {
  int64_t batch = 0, in_channel = 0, iy = 0, ix = 0, out_channel = 0;
  float x = 0;
  std::vector<PixelTerm> terms;
  int64_t cropped_taps = 0;
};
InputPixelFootprint input_pixel_footprint(const Tensor& input, const Tensor& weight,
                                          const ConvTranspose2dParams& params, int64_t batch, int64_t in_channel,
                                          int64_t iy, int64_t ix, int64_t out_channel);

// ---- Why "transposed": the 1-D matrix ---------------------------------------------------------------------------

// One axis of a layer, as a matrix. The conv1d with kernel w, stride s, padding p and dilation d that maps a signal
// y of length O to z of length I is z = C y with C[i][o] = w[k] where o = i*s - p + k*d (0 elsewhere). The
// transposed convolution of x (length I) is its transpose: out = C^T x (+ bias), of length
// O = (I-1)*s - p - p_end + d*(k-1) + op + 1. Columns no tap reaches (output_padding's, some of p_end's) are zero.
struct TransposeMatrix1d {
  int64_t inputs = 0, outputs = 0;  // I and O
  int64_t stride = 1, padding = 0, padding_end = 0, dilation = 1, output_padding = 0;
  std::vector<float> kernel;        // w, k values
  std::vector<float> conv;          // C, [I, O] row-major
  std::vector<int32_t> tap;         // [I, O]: the tap k behind each entry, -1 where C is 0 by structure
  std::vector<float> input;         // x, I values
  float bias = 0;
  std::vector<double> output;       // C^T x + bias, O values
  float at(int64_t i, int64_t o) const { return conv[static_cast<size_t>(i * outputs + o)]; }
  int32_t tap_at(int64_t i, int64_t o) const { return tap[static_cast<size_t>(i * outputs + o)]; }

  // The 1-D replay: the output after the first `stamps` inputs stamped their taps (bias only at 0, `output` at I),
  // and how many taps have landed on each output position by then (at I: the coverage count of every position).
  std::vector<double> partial_output(int64_t stamps) const;
  std::vector<int64_t> hits_after(int64_t stamps) const;
};

// At most this many inputs: the matrix has to be read, entry by entry.
constexpr int64_t kMaxMatrixInputs = 16;

// InvalidArgument for an empty input or kernel, more than kMaxMatrixInputs inputs, s, d < 1, p, p_end or op < 0,
// or an output length below 1.
TransposeMatrix1d transpose_matrix_1d(std::span<const float> input, std::span<const float> kernel, int64_t stride,
                                      int64_t padding, int64_t padding_end, int64_t dilation, int64_t output_padding,
                                      float bias = 0);

// The 1-D layer cut from a 2-D one along its width: the first min(W, inputs) values of input row `row`
// of (batch, in_channel), kernel row `kernel_row` of weight[in_channel, out_channel mod C_out/groups], and the
// width axis's stride, padding, dilation and output_padding (no bias: one input channel's share).
TransposeMatrix1d transpose_matrix_of_row(const Tensor& input, const Tensor& weight,
                                          const ConvTranspose2dParams& params, int64_t batch, int64_t in_channel,
                                          int64_t out_channel, int64_t row, int64_t kernel_row,
                                          int64_t inputs = kMaxMatrixInputs);

// ---- The round trip -------------------------------------------------------------------------------------------

// conv2d with the layer's own weight, stride, padding, dilation and groups, run on its output: the operation the
// transposed convolution is the transpose (not the inverse) of. It maps the output back to the input's size, and
// so it does every size listed per axis (each with the output_padding that makes it): the ambiguity that
// output_padding resolves.
struct RoundTrip {
  Tensor back;  // [N, C_in, H', W']: H' = H unless output_padding >= stride (possible when dilation > stride)
  std::vector<ForwardInput> heights, widths;  // every size conv2d maps to back's size, per axis
};
// InvalidArgument for asymmetric padding (no conv2d has it).
RoundTrip conv2d_round_trip(const Tensor& output, const Tensor& weight, const ConvTranspose2dParams& params);

}  // namespace convt
