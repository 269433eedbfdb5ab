// The backends, one per file in this folder; backend.cpp lists them in the order "auto" and the fallback chain
// try them. Each function returns the process's one instance.
#pragma once

#include <convt/backend.h>

#include <stdexcept>
#include <string>

namespace convt::backends {

const Backend& cuda();       // cuda_backend.cpp: exact FP32 kernels on device 0, after a self-check
const Backend& cuda_tf32();  // cuda_backend.cpp: the same GEMM on TF32 tensor cores, by name only
const Backend& cpu();        // cpu_backend.cpp: phase-decomposed implicit GEMM, SIMD microkernels, OpenMP
const Backend& reference();  // reference_backend.cpp: the double-accumulating oracle; runs every op

// The parameters of a request, or a logic error when the op's request carries the wrong kind.
template <typename Params>
const Params& request_params(const OpRequest& request) {
  if (const Params* params = std::get_if<Params>(&request.params)) return *params;
  throw std::logic_error(std::string("OpRequest for ") + op_name(request.op) + " carries the wrong parameters");
}

}  // namespace convt::backends
