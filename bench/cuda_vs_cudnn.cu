// GPU benchmark: our CUDA kernels (gather baseline, implicit GEMM in FP32 and TF32) against cuDNN's
// cudnnConvolutionBackwardData (the transposed conv) on NCHW FP32 and TF32, all device-resident and timed with CUDA
// events (median of --repeat). Usage: cat bench/layers.txt bench/layers_batch64.txt | cuda_vs_cudnn [repeat] ;
// prints a Markdown table for bench/RESULTS.md. Before a kernel is timed, its output is checked against cuDNN's direct
// FP32 output, relative to the magnitude of each output's sum; a kernel that fails is reported WRONG, not timed,
// and the program exits 2.
// Built when nvcc and cuDNN are found; needs a GPU to run (it says so and exits 1 without one).
#include "../engine/src/cuda/conv_gather.cuh"
#include "../engine/src/cuda/conv_gemm.cuh"
#include "../engine/src/cuda/cuda_check.h"

#include <convt/shape.h>

#include <cuda_runtime.h>
#include <cudnn.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
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

// cuDNN's backward-data of the forward conv whose filter is our weight [C_in, C_out/groups, k, k]: set up once per
// layer and math mode, then run as often as needed. The timed one uses the fastest algorithm cuDNN finds; the oracle
// a direct one (ALGO_0 or ALGO_1, summing products as we do), since FFT and Winograd algorithms carry errors
// relative to the whole output's norm, not to each element's sum.
class CudnnDeconv {
 public:
  CudnnDeconv(cudnnHandle_t handle, const Layer& l, const convt::ConvTranspose2dGeometry& g, cudnnMathType_t math,
              bool direct = false)
      : handle_(handle) {
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&dy_));
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&dx_));
    CUDNN_CHECK(cudnnCreateFilterDescriptor(&w_));
    CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv_));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(dy_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, l.n, l.c, l.h, l.w));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(dx_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, l.n, l.cog * l.g, g.out_h, g.out_w));
    CUDNN_CHECK(cudnnSetFilter4dDescriptor(w_, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, l.c, l.cog, l.k, l.k));
    CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv_, l.p, l.p, l.s, l.s, l.d, l.d, CUDNN_CROSS_CORRELATION,
                                                CUDNN_DATA_FLOAT));
    CUDNN_CHECK(cudnnSetConvolutionGroupCount(conv_, l.g));
    CUDNN_CHECK(cudnnSetConvolutionMathType(conv_, math));
    int found = 0;
    cudnnConvolutionBwdDataAlgoPerf_t perf[8];
    CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithm(handle_, w_, dy_, conv_, dx_, 8, &found, perf));
    algo_ = perf[0].algo;
    for (int i = 0; direct && i < found; ++i)
      if (perf[i].status == CUDNN_STATUS_SUCCESS && (perf[i].algo == CUDNN_CONVOLUTION_BWD_DATA_ALGO_0 ||
                                                     perf[i].algo == CUDNN_CONVOLUTION_BWD_DATA_ALGO_1)) {
        algo_ = perf[i].algo;
        break;
      }
    CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(handle_, w_, dy_, conv_, dx_, algo_, &workspace_bytes_));
    workspace_ = std::make_unique<convt::cuda::DeviceBuffer>(workspace_bytes_ / sizeof(float) + 1);
  }
  ~CudnnDeconv() {
    cudnnDestroyConvolutionDescriptor(conv_);
    cudnnDestroyFilterDescriptor(w_);
    cudnnDestroyTensorDescriptor(dx_);
    cudnnDestroyTensorDescriptor(dy_);
  }
  CudnnDeconv(const CudnnDeconv&) = delete;
  CudnnDeconv& operator=(const CudnnDeconv&) = delete;

  void run(const float* input, const float* weight, float* output) const {
    const float one = 1.0f, zero = 0.0f;
    CUDNN_CHECK(cudnnConvolutionBackwardData(handle_, &one, w_, weight, dy_, input, conv_, algo_, workspace_->get(),
                                             workspace_bytes_, &zero, dx_, output));
  }

 private:
  cudnnHandle_t handle_;
  cudnnTensorDescriptor_t dy_{}, dx_{};
  cudnnFilterDescriptor_t w_{};
  cudnnConvolutionDescriptor_t conv_{};
  cudnnConvolutionBwdDataAlgo_t algo_{};
  size_t workspace_bytes_ = 0;
  std::unique_ptr<convt::cuda::DeviceBuffer> workspace_;
};

// The oracle every kernel is checked against before it is timed (as llm.c does): cuDNN's direct FP32 output, and the
// magnitude of each output's sum, the same transposed conv on |input| and |weight| (the sum of |x*w| over its
// terms), which the tolerance is relative to.
struct Oracle {
  std::vector<float> output, magnitude;
};

// The worst |ours - oracle| / magnitude over every output element, poisoned (NaN) first so an element the kernel
// leaves unwritten fails; NaN when any element is not finite.
double worst_error(const std::function<void(float*)>& kernel, convt::cuda::DeviceBuffer& output, const Oracle& oracle) {
  output.poison();
  kernel(output.get());
  CONVT_CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<float> ours(output.count());
  output.download(ours.data());
  double worst = 0;
  for (size_t i = 0; i < ours.size(); ++i) {
    if (!std::isfinite(ours[i])) return std::nan("");
    worst = std::max(worst, std::fabs(static_cast<double>(ours[i]) - oracle.output[i]) / (oracle.magnitude[i] + 1e-30));
  }
  return worst;
}

// "1.234" when `kernel` matches the oracle within `bound` (then timed), else "WRONG (error e)" and nothing timed.
std::string checked_ms(const std::function<void(float*)>& kernel, convt::cuda::DeviceBuffer& output, const Oracle& oracle,
                       double bound, int repeat, double& ms, bool& all_right) {
  const double error = worst_error(kernel, output, oracle);
  if (!(error <= bound)) {
    all_right = false;
    ms = 0;
    char text[64];
    std::snprintf(text, sizeof text, "WRONG (error %.2g > %.2g)", error, bound);
    return text;
  }
  ms = median_ms(repeat, [&] { kernel(output.get()); });
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", ms);
  return text;
}

// Bounds relative to the magnitude of each output's sum: FP32 accumulation in another order, and TF32's 10-bit
// mantissa (the CUDA tests' own bound).
constexpr double kFp32Bound = 2e-5, kTf32Bound = 1.5e-3;

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
  bool all_right = true;
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
    const CudnnDeconv cudnn_fp32(handle, l, g, CUDNN_FMA_MATH), cudnn_direct(handle, l, g, CUDNN_FMA_MATH, true);
    Oracle oracle{std::vector<float>(out_count), std::vector<float>(out_count)};
    cudnn_direct.run(input.get(), weight.get(), output.get());
    output.download(oracle.output.data());
    {  // |input| and |weight| give each output's sum of |x*w|
      std::vector<float> absolute(host.size());
      for (size_t i = 0; i < host.size(); ++i) absolute[i] = std::fabs(host[i]);
      convt::cuda::DeviceBuffer abs_input(in_count), abs_weight(w_count);
      abs_input.upload(absolute.data());
      abs_weight.upload(absolute.data());
      cudnn_direct.run(abs_input.get(), abs_weight.get(), output.get());
      output.download(oracle.magnitude.data());
    }
    bool right = true;
    double gather = 0, gemm = 0, gemm_tf32 = 0, fp32 = 0, tf32 = 0;
    const std::string gather_text = checked_ms([&](float* out) {
      convt::cuda::conv_transpose2d_gather(input.get(), weight.get(), nullptr, out, g, p);
    }, output, oracle, kFp32Bound, repeat, gather, right);
    const std::string gemm_text = checked_ms([&](float* out) {
      convt::cuda::conv_transpose2d_gemm(input.get(), weight.get(), nullptr, out, g, p);
    }, output, oracle, kFp32Bound, repeat, gemm, right);
    const std::string gemm_tf32_text = tf32_ok ? checked_ms([&](float* out) {
      convt::cuda::conv_transpose2d_gemm(input.get(), weight.get(), nullptr, out, g, p, convt::cuda::GemmMath::Tf32);
    }, output, oracle, kTf32Bound, repeat, gemm_tf32, right) : "n/a";
    // cuDNN's fastest FP32 is the peer, timed as it is; its TF32 is checked like ours.
    fp32 = median_ms(repeat, [&] { cudnn_fp32.run(input.get(), weight.get(), output.get()); });
    const CudnnDeconv cudnn_tf32(handle, l, g, CUDNN_TENSOR_OP_MATH);
    const std::string tf32_text = checked_ms([&](float* out) { cudnn_tf32.run(input.get(), weight.get(), out); },
                                             output, oracle, kTf32Bound, repeat, tf32, right);
    const auto ratio = [](double theirs, double ours) { return theirs > 0 && ours > 0 ? theirs / ours : 0.0; };
    std::printf("| %s | %s | %s | %.0f | %.3f | %.2f | %s | %s | %.2f |\n", l.name.c_str(), gather_text.c_str(),
                gemm_text.c_str(), gemm > 0 ? g.useful_flops() / (gemm * 1e6) : 0.0, fp32, ratio(fp32, gemm),
                gemm_tf32_text.c_str(), tf32_text.c_str(), ratio(tf32, gemm_tf32));
    all_right = all_right && right;
  }
  cudnnDestroy(handle);
  if (!all_right) {
    std::fprintf(stderr, "a kernel's output did not match cuDNN's FP32 output: its time is not reported (WRONG)\n");
    return 2;
  }
  return 0;
}
