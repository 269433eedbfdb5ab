// oneDNN deconvolution (forward inference) on plain NCHW tensors, timed like `convt bench`: warm-up, then the
// median of --repeat runs. Arguments: N C H W OC K stride padding op_h op_w groups dilation threads repeat.
// Prints one JSON object with median_ms. Only the timing matters here (values are random).
#include <dnnl.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 15) {
    std::fprintf(stderr, "usage: onednn_deconv N C H W OC K stride padding op_h op_w groups dilation threads repeat\n");
    return 2;
  }
  long v[14];
  for (int i = 0; i < 14; ++i) v[i] = std::atol(argv[i + 1]);
  const long n = v[0], c = v[1], h = v[2], w = v[3], oc = v[4], k = v[5], s = v[6], p = v[7], op_h = v[8], op_w = v[9],
             g = v[10], d = v[11], threads = v[12], repeat = v[13];
  omp_set_num_threads(static_cast<int>(threads));
  const long extent = d * (k - 1) + 1;
  const long oh = (h - 1) * s - 2 * p + extent + op_h, ow = (w - 1) * s - 2 * p + extent + op_w;

  using namespace dnnl;
  using tag = memory::format_tag;
  using dt = memory::data_type;
  engine cpu(engine::kind::cpu, 0);
  stream strm(cpu);
  const memory::dims src_dims{n, c, h, w}, dst_dims{n, oc, oh, ow}, bias_dims{oc};
  const memory::dims weight_dims = g == 1 ? memory::dims{oc, c, k, k} : memory::dims{g, oc / g, c / g, k, k};
  const memory::desc src_md(src_dims, dt::f32, tag::nchw), dst_md(dst_dims, dt::f32, tag::nchw);
  // Weights in the layout oneDNN prefers (reordered once, untimed): the fairest peer for plain NCHW activations.
  const memory::desc weight_md(weight_dims, dt::f32, tag::any), bias_md(bias_dims, dt::f32, tag::x);
  // oneDNN counts dilation from 0 and pads the right/bottom explicitly: p on the left, p - op on the right.
  const deconvolution_forward::desc desc(prop_kind::forward_inference, algorithm::deconvolution_direct, src_md, weight_md,
                                         bias_md, dst_md, {s, s}, {d - 1, d - 1}, {p, p}, {p - op_h, p - op_w});
  const deconvolution_forward::primitive_desc pd(desc, cpu);
  memory src(src_md, cpu), weights(pd.weights_desc(), cpu), bias(bias_md, cpu), dst(dst_md, cpu);
  for (memory* m : {&src, &weights, &bias}) {
    float* data = static_cast<float*>(m->get_data_handle());
    const size_t count = m->get_desc().get_size() / sizeof(float);
    for (size_t i = 0; i < count; ++i) data[i] = static_cast<float>((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
  }
  deconvolution_forward deconv(pd);
  auto run = [&] {
    deconv.execute(strm, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}});
    strm.wait();
  };
  for (int i = 0; i < 2; ++i) run();
  std::vector<double> times;
  for (long i = 0; i < repeat; ++i) {
    const auto start = std::chrono::steady_clock::now();
    run();
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  std::printf("{\"median_ms\": %.4f, \"implementation\": \"%s\"}\n", times[times.size() / 2], pd.impl_info_str());
  return 0;
}
