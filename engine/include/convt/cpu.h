// The fast CPU backend: phase-decomposed conv_transpose2d and conv2d on packed weights, register-blocked
// microkernels for AVX-512, AVX2+FMA or plain C++ chosen at run time, and OpenMP threads. Same contract and
// results as the reference ops (to float32 rounding): validated inputs, unbatched 3-D input, optional bias.
#pragma once

#include <convt/backend.h>
#include <convt/params.h>
#include <convt/tensor.h>

#include <memory>
#include <string>
#include <vector>

namespace convt::cpu {

Tensor conv_transpose2d_cpu(const Tensor& input, const Tensor& weight, const Tensor* bias,
                            const ConvTranspose2dParams& params);
Tensor conv2d_cpu(const Tensor& input, const Tensor& weight, const Tensor* bias, const Conv2dParams& params);

// The same ops writing into an existing output of the right shape (InvalidArgument otherwise). Every element is
// written exactly once, which tests check by filling the output with NaN first.
void conv_transpose2d_cpu_into(const Tensor& input, const Tensor& weight, const Tensor* bias,
                               const ConvTranspose2dParams& params, Tensor& output);
void conv2d_cpu_into(const Tensor& input, const Tensor& weight, const Tensor* bias, const Conv2dParams& params,
                     Tensor& output);

// The backward passes. grad_input of conv_transpose2d is one strided correlation of grad_output with the same
// weight (a conv2d); grad_input of conv2d is the phase-decomposed conv_transpose2d with the output_padding that
// restores the input's size. grad_weight is a GEMM that reduces over the batch and pixels (weight_gradient.cpp).
// The _into forms write every element of their outputs exactly once (grad_bias may be null), and refuse outputs of
// the wrong shape; the input's shape is the shape of `grad_input`.
void conv_transpose2d_grad_input_cpu_into(const Tensor& weight, const Tensor& grad_output,
                                          const ConvTranspose2dParams& params, Tensor& grad_input);
void conv_transpose2d_grad_weight_cpu_into(const Tensor& input, const Tensor& grad_output,
                                           const ConvTranspose2dParams& params, Tensor& grad_weight, Tensor* grad_bias);
void conv2d_grad_input_cpu_into(const Tensor& weight, const Tensor& grad_output, const Conv2dParams& params,
                                Tensor& grad_input);
void conv2d_grad_weight_cpu_into(const Tensor& input, const Tensor& grad_output, const Conv2dParams& params,
                                 Tensor& grad_weight, Tensor* grad_bias);

Tensor conv_transpose2d_grad_input_cpu(const Shape& input_shape, const Tensor& weight, const Tensor& grad_output,
                                       const ConvTranspose2dParams& params);
WeightGradients conv_transpose2d_grad_weight_cpu(const Tensor& input, const Shape& weight_shape,
                                                 const Tensor& grad_output, bool with_bias,
                                                 const ConvTranspose2dParams& params);
Tensor conv2d_grad_input_cpu(const Shape& input_shape, const Tensor& weight, const Tensor& grad_output,
                             const Conv2dParams& params);
WeightGradients conv2d_grad_weight_cpu(const Tensor& input, const Shape& weight_shape, const Tensor& grad_output,
                                       bool with_bias, const Conv2dParams& params);

// Weights packed for the fast conv_transpose2d once, for a caller that runs the same layer many times (as a
// framework holding a layer's weights would, and as oneDNN's reordered weights are): reusable for any input with
// the same weight shape and parameters, tied to the microkernel level active when packed.
struct PackedWeight;
std::shared_ptr<const PackedWeight> pack_conv_transpose2d_weight(const Tensor& weight, const ConvTranspose2dParams& params);
Tensor conv_transpose2d_cpu(const Tensor& input, const PackedWeight& weight, const Tensor* bias,
                            const ConvTranspose2dParams& params);
void conv_transpose2d_cpu_into(const Tensor& input, const PackedWeight& weight, const Tensor* bias,
                               const ConvTranspose2dParams& params, Tensor& output);

// The microkernel levels this processor runs, best first: "avx512", "avx2", "generic".
std::vector<std::string> supported_kernel_levels();
// Forces one level (tests cover every supported level this way); "" restores the automatic choice.
// Unknown or unsupported levels throw convt::Error.
void force_kernel_level(const std::string& level);
// The level the fast ops use now.
std::string active_kernel_level();

// Which kernels a layer takes. Automatic: conv_transpose2d on an input of very few pixels (where the phase GEMM
// would spend most of its products on padding) goes through per-pixel columns; otherwise layers with at most 4
// channels per group on either side (depthwise and near it) take the direct, row-vectorised kernels, and the rest
// a GEMM: with the input read in place when the layer has at most 64 output channels per group, or 128 where it
// reads its input with a stride (GemmInPlace), else with the input packed (Gemm). conv_transpose2d's forward at
// stride > 1 with at least twice as many input as output channels per group, where the GEMM would pack its input,
// instead multiplies the input's own pixels and adds each tile of columns into the output (ScatterGemm). The weight
// gradients' GEMM reads the tapped operand in place (GemmInPlace) when the summed one has at most 128 channels per
// group and no more than the weight's columns per group, and packs it otherwise (Gemm). Tests
// force each path on every layer: Gemm, GemmInPlace and Direct for every op, Columns for conv_transpose2d's, and
// ScatterGemm for its forward.
enum class KernelPath { Automatic, Gemm, GemmInPlace, Direct, Columns, ScatterGemm };
void force_kernel_path(KernelPath path);

// How the GEMMs with the input packed gather it where its rows are short (a small image) or cut into many runs:
// with the AVX-512 kernel's vector gathers from the input itself, or a float at a time (through a zero-padded copy
// of the input, or copying runs). Automatic: vector gathers on Intel processors, whose gathers ran those layers
// faster, and not on others (on a Zen 5 they ran 0.85 to 0.90 times as fast). Calls that stream the weight (few
// pixels) gather short rows with vector gathers on every processor. Tests force each.
enum class VectorGathers { Automatic, Always, Never };
void force_vector_gathers(VectorGathers choice);

}  // namespace convt::cpu
