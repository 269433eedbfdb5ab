// GPU benchmark: our CUDA kernels (gather baseline, implicit GEMM in FP32 and TF32) against cuDNN's
// cudnnConvolutionBackwardData (the transposed conv) on NCHW FP32 and TF32, all device-resident and timed with CUDA
// events (median of --repeat). Usage: cat bench/layers.txt bench/layers_batch64.txt | cuda_vs_cudnn [repeat] ;
// prints a Markdown table for bench/RESULTS.md.
// Built when nvcc and cuDNN are found; needs a GPU to run (it says so and exits 1 without one).
#include "../engine/src/cuda/conv_gather.cuh"
#include "../engine/src/cuda/conv_gemm.cuh"
#include "../engine/src/cuda/cuda_check.h"

#include <convt/shape.h>

#include <cuda_runtime.h>
#include <cudnn.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#define CUDNN_CHECK(call)                                                                                  \
  do {                                                                                                     \
    const cudnnStatus_t status = (call);                                                                   \
    if (status != CUDNN_STATUS_SUCCESS) {                                                                  \
      std::fprintf(stderr, "cuDNN error %s in %s at %s:%d\n", cudnnGetErrorString(status), #call, __FILE__, \
                   __LINE__);                                                                              \
      std::exit(1);                                                                                        \
    }                                                                                                      \
  } while (0)

namespace {

struct Layer {
  std::string name;
  int64_t n, c, h, w, cog, k, s, p, op_h, op_w, g, d;
};

// The layers, one per line on standard input as in bench/layers.txt: name N C H W Cout/groups K stride padding
// op_h op_w groups dilation ('#' starts a comment line).
std::vector<Layer> read_layers() {
  std::vector<Layer> layers;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Layer l{};
    std::string name;
    if (fields >> name >> l.n >> l.c >> l.h >> l.w >> l.cog >> l.k >> l.s >> l.p >> l.op_h >> l.op_w >> l.g >> l.d) {
      l.name = name;
      layers.push_back(l);
    }
  }
  return layers;
}

double median_ms(int repeat, const std::function<void()>& run) {
  cudaEvent_t start, stop;
  CONVT_CUDA_CHECK(cudaEventCreate(&start));
  CONVT_CUDA_CHECK(cudaEventCreate(&stop));
  for (int i = 0; i < 3; ++i) run();
  std::vector<double> times;
  for (int i = 0; i < repeat; ++i) {
    CONVT_CUDA_CHECK(cudaEventRecord(start));
    run();
    CONVT_CUDA_CHECK(cudaEventRecord(stop));
    CONVT_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    CONVT_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    times.push_back(ms);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// cuDNN's backward-data of the forward conv whose filter is our weight [C_in, C_out/groups, k, k].
double cudnn_ms(cudnnHandle_t handle, const Layer& l, const convt::ConvTranspose2dGeometry& g, const float* input,
                const float* weight, float* output, cudnnMathType_t math, int repeat) {
  cudnnTensorDescriptor_t dy, dx;
  cudnnFilterDescriptor_t w;
  cudnnConvolutionDescriptor_t conv;
  CUDNN_CHECK(cudnnCreateTensorDescriptor(&dy));
  CUDNN_CHECK(cudnnCreateTensorDescriptor(&dx));
  CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
  CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
  CUDNN_CHECK(cudnnSetTensor4dDescriptor(dy, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, l.n, l.c, l.h, l.w));
  CUDNN_CHECK(cudnnSetTensor4dDescriptor(dx, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, l.n, l.cog * l.g, g.out_h, g.out_w));
  CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, l.c, l.cog, l.k, l.k));
  CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv, l.p, l.p, l.s, l.s, l.d, l.d, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  CUDNN_CHECK(cudnnSetConvolutionGroupCount(conv, l.g));
  CUDNN_CHECK(cudnnSetConvolutionMathType(conv, math));
  int found = 0;
  cudnnConvolutionBwdDataAlgoPerf_t perf[8];
  CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithm(handle, w, dy, conv, dx, 8, &found, perf));
  size_t workspace_bytes = 0;
  CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(handle, w, dy, conv, dx, perf[0].algo, &workspace_bytes));
  convt::cuda::DeviceBuffer workspace(workspace_bytes / sizeof(float) + 1);
  const float one = 1.0f, zero = 0.0f;
  const double ms = median_ms(repeat, [&] {
    CUDNN_CHECK(cudnnConvolutionBackwardData(handle, &one, w, weight, dy, input, conv, perf[0].algo, workspace.get(),
                                             workspace_bytes, &zero, dx, output));
  });
  cudnnDestroyConvolutionDescriptor(conv);
  cudnnDestroyFilterDescriptor(w);
  cudnnDestroyTensorDescriptor(dx);
  cudnnDestroyTensorDescriptor(dy);
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  const int repeat = argc > 1 ? std::atoi(argv[1]) : 20;
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::fprintf(stderr, "no CUDA device: this benchmark needs a GPU\n");
    return 1;
  }
  cudaDeviceProp properties{};
  CONVT_CUDA_CHECK(cudaGetDeviceProperties(&properties, 0));
  std::printf("Device: %s (sm_%d%d)\n\n", properties.name, properties.major, properties.minor);
  const bool tf32_ok = properties.major >= 8;
  std::printf("| layer | gather (ms) | ours FP32 (ms) | GFLOP/s | cuDNN FP32 (ms) | cuDNN FP32 / ours FP32 | ours TF32 (ms) "
              "| cuDNN TF32 (ms) | cuDNN TF32 / ours TF32 |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  cudnnHandle_t handle;
  CUDNN_CHECK(cudnnCreate(&handle));
  for (const Layer& l : read_layers()) {
    convt::ConvTranspose2dParams p{l.s, l.p, convt::IntPair(l.op_h, l.op_w), l.d, l.g};
    const convt::ConvTranspose2dGeometry g =
        convt::validate_conv_transpose2d({l.n, l.c, l.h, l.w}, {l.c, l.cog, l.k, l.k}, convt::Shape{l.cog * l.g}, p);
    const size_t in_count = static_cast<size_t>(l.n * l.c * l.h * l.w), w_count = static_cast<size_t>(l.c * l.cog * l.k * l.k);
    const size_t out_count = static_cast<size_t>(l.n * l.cog * l.g * g.out_h * g.out_w);
    convt::cuda::DeviceBuffer input(in_count), weight(w_count), output(out_count);
    std::vector<float> host(std::max(in_count, w_count));
    for (size_t i = 0; i < host.size(); ++i) host[i] = static_cast<float>((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    input.upload(host.data());
    weight.upload(host.data());
    const double gather = median_ms(repeat, [&] { convt::cuda::conv_transpose2d_gather(input.get(), weight.get(), nullptr, output.get(), g, p); });
    const double gemm = median_ms(repeat, [&] { convt::cuda::conv_transpose2d_gemm(input.get(), weight.get(), nullptr, output.get(), g, p); });
    const double gemm_tf32 = tf32_ok ? median_ms(repeat, [&] {
      convt::cuda::conv_transpose2d_gemm(input.get(), weight.get(), nullptr, output.get(), g, p, convt::cuda::GemmMath::Tf32);
    }) : 0.0;
    const double fp32 = cudnn_ms(handle, l, g, input.get(), weight.get(), output.get(), CUDNN_FMA_MATH, repeat);
    const double tf32 = cudnn_ms(handle, l, g, input.get(), weight.get(), output.get(), CUDNN_TENSOR_OP_MATH, repeat);
    std::printf("| %s | %.3f | %.3f | %.0f | %.3f | %.2f | %.3f | %.3f | %.2f |\n", l.name.c_str(), gather, gemm,
                g.useful_flops() / (gemm * 1e6), fp32, fp32 / gemm, gemm_tf32, tf32, tf32_ok ? tf32 / gemm_tf32 : 0.0);
  }
  cudnnDestroy(handle);
  return 0;
}
