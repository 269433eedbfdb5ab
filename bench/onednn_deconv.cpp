// oneDNN deconvolution on plain NCHW tensors, timed like `convt bench`: warm-up, then the median of --repeat runs.
// Arguments: N C H W OC K stride padding op_h op_w groups dilation threads repeat [pass], where pass is
//   forward      deconvolution_forward (forward_inference): dst from src, weights and bias (the default);
//   grad-input   deconvolution_backward_data: diff_src from diff_dst and weights (PyTorch's grad_input);
//   grad-weight  deconvolution_backward_weights: diff_weights and diff_bias from src and diff_dst.
// Activations (src, dst, diff_src, diff_dst) are plain NCHW. Weights and diff_weights use format_tag::any, so oneDNN
// picks its own layout; the weights are reordered into it once, outside the timing, and the diff_weights are
// reordered back to a plain layout after the timing (PyTorch's [C_in, C_out/groups, K, K] is that plain layout with
// its first two axes swapped); that conversion is not part of the timed primitive.
// Prints one JSON object: pass, median_ms, min_ms, implementation (pd.impl_info_str()), dst (the output dims the
// primitive was created with: PyTorch's conv_transpose2d output size), the weights layout oneDNN chose, and
// check_rel_err, the largest relative error of 64 sampled outputs (and 8 diff_bias values) against the definition
// computed here in double; over 1e-4 the program exits with 1. Values are random: only the timing matters.
#include <dnnl.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <unordered_map>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

static float* data(const memory& m) { return static_cast<float*>(m.get_data_handle()); }
static size_t count(const memory& m) { return m.get_desc().get_size() / sizeof(float); }

// A format tag for a weights desc: outer axes by stride (upper case when blocked), then the inner blocks.
static std::string layout_name(const memory::desc& md, bool grouped) {
  const char* letters = grouped ? "goihw" : "oihw";
  const auto& blk = md.data.format_desc.blocking;
  const int nd = md.data.ndims;
  std::vector<int> order(nd);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return blk.strides[a] > blk.strides[b]; });
  std::string name;
  for (int axis : order) {
    bool blocked = false;
    for (int i = 0; i < blk.inner_nblks; ++i) blocked |= blk.inner_idxs[i] == axis;
    name += blocked ? static_cast<char>(letters[axis] - 'a' + 'A') : letters[axis];
  }
  for (int i = 0; i < blk.inner_nblks; ++i) name += std::to_string(blk.inner_blks[i]) + letters[blk.inner_idxs[i]];
  return name;
}

int main(int argc, char** argv) {
  if (argc != 15 && argc != 16) {
    std::fprintf(stderr, "usage: onednn_deconv N C H W OC K stride padding op_h op_w groups dilation threads repeat "
                         "[forward|grad-input|grad-weight]\n");
    return 2;
  }
  long v[14];
  for (int i = 0; i < 14; ++i) v[i] = std::atol(argv[i + 1]);
  const long n = v[0], c = v[1], h = v[2], w = v[3], oc = v[4], k = v[5], s = v[6], p = v[7], op_h = v[8], op_w = v[9],
             g = v[10], d = v[11], threads = v[12], repeat = v[13];
  const std::string pass = argc == 16 ? argv[15] : "forward";
  if (pass != "forward" && pass != "grad-input" && pass != "grad-weight") {
    std::fprintf(stderr, "onednn_deconv: pass '%s': must be forward, grad-input or grad-weight\n", pass.c_str());
    return 2;
  }
  if (repeat < 1) return std::fprintf(stderr, "onednn_deconv: repeat must be >= 1\n"), 2;
  omp_set_num_threads(static_cast<int>(threads));
  // PyTorch's conv_transpose2d output size: (i - 1) * s - 2 * p + d * (k - 1) + op + 1.
  const long oh = (h - 1) * s - 2 * p + d * (k - 1) + op_h + 1, ow = (w - 1) * s - 2 * p + d * (k - 1) + op_w + 1;
  const long icg = c / g, ocg = oc / g;

  engine cpu(engine::kind::cpu, 0);
  stream strm(cpu);
  const memory::dims src_dims{n, c, h, w}, dst_dims{n, oc, oh, ow}, bias_dims{oc};
  // oneDNN's deconvolution weights are [G,] O, I, KH, KW with O the output channels, the same numbers as PyTorch's
  // [C_in, C_out/groups, KH, KW] with O and I swapped (no spatial flip: both are the adjoint of conv2d).
  const memory::dims weight_dims = g == 1 ? memory::dims{oc, c, k, k} : memory::dims{g, ocg, icg, k, k};
  const memory::desc src_md(src_dims, dt::f32, tag::nchw), dst_md(dst_dims, dt::f32, tag::nchw);
  const memory::desc any_weight_md(weight_dims, dt::f32, tag::any), bias_md(bias_dims, dt::f32, tag::x);
  const memory::desc plain_weight_md(weight_dims, dt::f32, g == 1 ? tag::oihw : tag::goihw);
  // oneDNN counts dilation from 0 and pads the right/bottom explicitly: p on the left, p - op on the right.
  const memory::dims strides{s, s}, dilates{d - 1, d - 1}, pad_l{p, p}, pad_r{p - op_h, p - op_w};
  const algorithm alg = algorithm::deconvolution_direct;
  // The backward passes need a forward_training primitive_desc as a hint.
  const deconvolution_forward::primitive_desc fwd_pd(
      {pass == "forward" ? prop_kind::forward_inference : prop_kind::forward_training, alg, src_md, any_weight_md,
       bias_md, dst_md, strides, dilates, pad_l, pad_r},
      cpu);

  // src, dst (diff_dst for the backward passes), plain weights and bias hold a deterministic pseudo-random pattern.
  memory src(src_md, cpu), dst(dst_md, cpu), plain_weights(plain_weight_md, cpu), bias(bias_md, cpu);
  unsigned salt = 0;
  for (memory* m : {&src, &dst, &plain_weights, &bias}) {
    salt += 7919;
    for (size_t i = 0; i < count(*m); ++i)
      data(*m)[i] = static_cast<float>(((i + salt) * 2654435761u) % 1000) / 1000.0f - 0.5f;
  }
  auto reorder_to = [&](memory from, const memory::desc& md) {  // untimed layout change
    memory to(md, cpu);
    reorder(from, to).execute(strm, from, to);
    strm.wait();
    return to;
  };

  primitive prim;
  std::unordered_map<int, memory> args;
  std::string impl, weights_layout;
  memory::dims made_dst;
  memory diff_src, diff_weights, diff_bias;
  if (pass == "forward") {
    const memory weights = reorder_to(plain_weights, fwd_pd.weights_desc());
    prim = deconvolution_forward(fwd_pd);
    args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}};
    impl = fwd_pd.impl_info_str(), weights_layout = layout_name(fwd_pd.weights_desc(), g > 1);
    made_dst = fwd_pd.dst_desc().dims();
  } else if (pass == "grad-input") {
    const deconvolution_backward_data::primitive_desc pd(
        {alg, src_md, any_weight_md, dst_md, strides, dilates, pad_l, pad_r}, cpu, fwd_pd);
    const memory weights = reorder_to(plain_weights, pd.weights_desc());
    diff_src = memory(src_md, cpu);
    prim = deconvolution_backward_data(pd);
    args = {{DNNL_ARG_DIFF_DST, dst}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DIFF_SRC, diff_src}};
    impl = pd.impl_info_str(), weights_layout = layout_name(pd.weights_desc(), g > 1);
    made_dst = pd.diff_dst_desc().dims();
  } else {
    const deconvolution_backward_weights::primitive_desc pd(
        {alg, src_md, any_weight_md, bias_md, dst_md, strides, dilates, pad_l, pad_r}, cpu, fwd_pd);
    diff_weights = memory(pd.diff_weights_desc(), cpu), diff_bias = memory(bias_md, cpu);
    prim = deconvolution_backward_weights(pd);
    args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, dst}, {DNNL_ARG_DIFF_WEIGHTS, diff_weights},
            {DNNL_ARG_DIFF_BIAS, diff_bias}};
    impl = pd.impl_info_str(), weights_layout = layout_name(pd.diff_weights_desc(), g > 1);
    made_dst = pd.diff_dst_desc().dims();
  }
  if (made_dst != dst_dims) {
    std::fprintf(stderr, "onednn_deconv: the primitive's dst dims differ from PyTorch's output size\n");
    return 1;
  }

  auto run = [&] {
    prim.execute(strm, args);
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

  // Spot check against the definition: dst[b, gi*ocg + o, y, x] += src[b, gi*icg + i, iy, ix] * w[gi, o, i, ky, kx]
  // with y = iy*s - p + ky*d, x = ix*s - p + kx*d. Error relative to the sum of the terms' magnitudes.
  const float *x_src = data(src), *x_dst = data(dst), *x_w = data(plain_weights), *x_bias = data(bias);
  const memory result = pass == "forward"      ? dst
                        : pass == "grad-input" ? diff_src
                                               : reorder_to(diff_weights, plain_weight_md);  // untimed, to plain
  const float* got = data(result);
  auto at_src = [&](long b, long ch, long y, long x) { return x_src[((b * c + ch) * h + y) * w + x]; };
  auto at_dst = [&](long b, long ch, long y, long x) { return x_dst[((b * oc + ch) * oh + y) * ow + x]; };
  auto at_w = [&](long gi, long o, long i, long ky, long kx) {
    return x_w[(((gi * ocg + o) * icg + i) * k + ky) * k + kx];
  };
  const size_t total = count(result);
  double worst = 0;
  auto record = [&](double value, double ref, double magnitude) {
    worst = std::max(worst, std::fabs(value - ref) / std::max(magnitude, 1e-30));
  };
  for (unsigned sample = 0; sample < 64; ++sample) {
    size_t idx = (sample * 2654435761u + 12345u) % total, rest = idx;
    double ref = 0, mag = 0;
    if (pass == "grad-weight") {  // idx over [g, ocg, icg, k, k]
      const long kx = rest % k, ky = (rest /= k) % k, i = (rest /= k) % icg, o = (rest /= icg) % ocg, gi = rest / ocg;
      for (long b = 0; b < n; ++b)
        for (long iy = 0; iy < h; ++iy)
          for (long ix = 0; ix < w; ++ix) {
            const long y = iy * s - p + ky * d, x = ix * s - p + kx * d;
            if (y < 0 || y >= oh || x < 0 || x >= ow) continue;
            const double t = double(at_src(b, gi * icg + i, iy, ix)) * at_dst(b, gi * ocg + o, y, x);
            ref += t, mag += std::fabs(t);
          }
    } else {  // idx over dst [n, oc, oh, ow] (forward) or diff_src [n, c, h, w] (grad-input)
      const bool fwd = pass == "forward";
      const long cols = fwd ? ow : w, rows = fwd ? oh : h, chans = fwd ? oc : c;
      const long col = rest % cols, row = (rest /= cols) % rows, ch = (rest /= rows) % chans, b = rest / chans;
      const long gi = ch / (fwd ? ocg : icg), local = ch % (fwd ? ocg : icg);
      if (fwd) ref = x_bias[ch], mag = std::fabs(ref);
      for (long other = 0; other < (fwd ? icg : ocg); ++other)
        for (long ky = 0; ky < k; ++ky)
          for (long kx = 0; kx < k; ++kx) {
            double t = 0;
            if (fwd) {  // the input pixel (iy, ix) that reaches (row, col) through tap (ky, kx), if any
              const long ny = row + p - ky * d, nx = col + p - kx * d;
              if (ny < 0 || nx < 0 || ny % s || nx % s || ny / s >= h || nx / s >= w) continue;
              t = double(at_src(b, gi * icg + other, ny / s, nx / s)) * at_w(gi, local, other, ky, kx);
            } else {
              const long y = row * s - p + ky * d, x = col * s - p + kx * d;
              if (y < 0 || y >= oh || x < 0 || x >= ow) continue;
              t = double(at_dst(b, gi * ocg + other, y, x)) * at_w(gi, other, local, ky, kx);
            }
            ref += t, mag += std::fabs(t);
          }
    }
    record(got[idx], ref, mag);
  }
  for (long o = 0; pass == "grad-weight" && o < oc; o += std::max(1L, oc / 8)) {  // diff_bias: the sum of diff_dst
    double ref = 0, mag = 0;
    for (long b = 0; b < n; ++b)
      for (long y = 0; y < oh; ++y)
        for (long x = 0; x < ow; ++x) ref += at_dst(b, o, y, x), mag += std::fabs(at_dst(b, o, y, x));
    record(data(diff_bias)[o], ref, mag);
  }

  std::printf("{\"pass\": \"%s\", \"median_ms\": %.4f, \"min_ms\": %.4f, \"implementation\": \"%s\", "
              "\"dst\": \"%ldx%ldx%ldx%ld\", \"%s\": \"%s\", \"check_rel_err\": %.2e}\n",
              pass.c_str(), times[times.size() / 2], times.front(), impl.c_str(), n, oc, oh, ow,
              pass == "grad-weight" ? "diff_weights_layout" : "weights_layout", weights_layout.c_str(), worst);
  if (worst > 1e-4) {
    std::fprintf(stderr, "onednn_deconv: spot check failed, relative error %.2e\n", worst);
    return 1;
  }
  return 0;
}
