// CUDA error handling and device memory ownership for the backend's .cu files: every runtime call goes through
// CONVT_CUDA_CHECK, which throws convt::Error naming the call, the file and the line; buffers free themselves.
#pragma once

#include <convt/error.h>

#include <cuda_runtime.h>

#include <cstddef>
#include <string>

// Running out of device memory is a size problem (like the memory budget), everything else a failed call.
#define CONVT_CUDA_CHECK(call)                                                                                    \
  do {                                                                                                            \
    const cudaError_t convt_cuda_status = (call);                                                                 \
    if (convt_cuda_status != cudaSuccess)                                                                         \
      throw ::convt::Error(convt_cuda_status == cudaErrorMemoryAllocation ? ::convt::ErrorKind::OutOfMemoryBudget \
                                                                          : ::convt::ErrorKind::InvalidArgument,  \
                           std::string("CUDA error: ") + cudaGetErrorString(convt_cuda_status) + " in " #call " at " + \
                               __FILE__ + ":" + std::to_string(__LINE__),                                         \
                           "backend");                                                                            \
  } while (0)

namespace convt::cuda {

// A device allocation of `count` floats, freed on destruction (never leaks on an exception path).
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t count) : count_(count) {
    if (count_) CONVT_CUDA_CHECK(cudaMalloc(&data_, count_ * sizeof(float)));
  }
  ~DeviceBuffer() {
    if (data_) cudaFree(data_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  float* get() const { return data_; }
  size_t count() const { return count_; }
  void upload(const float* host) { if (count_) CONVT_CUDA_CHECK(cudaMemcpy(data_, host, count_ * sizeof(float), cudaMemcpyHostToDevice)); }
  void download(float* host) const { if (count_) CONVT_CUDA_CHECK(cudaMemcpy(host, data_, count_ * sizeof(float), cudaMemcpyDeviceToHost)); }
  // Fills every byte with 0xFF (a NaN pattern), so tests can tell an unwritten output element.
  void poison() { if (count_) CONVT_CUDA_CHECK(cudaMemset(data_, 0xFF, count_ * sizeof(float))); }

 private:
  float* data_ = nullptr;
  size_t count_ = 0;
};

}  // namespace convt::cuda
