// The strided correlations with the input read in place (Blocking::input_in_place): the GEMM's roles swap, so
// that nothing of the input is packed. The packed weight is B, kernel.nr output channels wide, and the microkernel
// reads A through run_rows: row m of a tile is a pixel (its address in the zero-padded input), and a K step
// (ci, tap) is an offset from it. A tile is kernel.mr pixels; C is [pixel][output channel], one block per (tile,
// block of kernel.nr output channels).
#include "correlation_tasks.h"

namespace convt::cpu {

// Packing the input costs about as much per tile as the products of a few output-channel blocks, so with few
// output channels the in-place GEMM wins, and with many the packed-input GEMM (whose packed B then serves many
// rows of A). Measured on 2 threads (AVX2) against the packed-input GEMM: 1.2 to 2.5 times faster at 8 to 64
// channels; at 128 and 256, 0.8 of it when the input is read with stride 1 (a transposed conv's phases), where a
// tile's B rows are a few contiguous runs; but 1.1 to 1.3 times faster on 5 layers of 6 at 96 and 128 with stride
// 2 (grad_input, a strided conv2d), where packing copies every other float.
constexpr int64_t kInPlaceMaxChannels = 64, kInPlaceMaxChannelsStrided = 128;

bool reads_input_in_place(const std::vector<CorrelationPlan>& plans, const ConvShape& shape) {
  switch (forced_kernel_path()) {
    case KernelPath::Gemm: return false;
    case KernelPath::GemmInPlace: return true;
    default: break;
  }
  bool strided = false;
  for (const CorrelationPlan& plan : plans) strided = strided || plan.y.in_stride > 1 || plan.x.in_stride > 1;
  return shape.out_per_group <= (strided ? kInPlaceMaxChannelsStrided : kInPlaceMaxChannels);
}

bool column_partners(const CorrelationPlan& a, const CorrelationPlan& b) {
  const bool same_rows = a.y.q_begin == b.y.q_begin && a.y.count == b.y.count && a.y.in_stride == b.y.in_stride &&
                         a.y.out_stride == b.y.out_stride && a.y.out_base == b.y.out_base;
  // Pixel i of each lands on output column 2 * (q_begin + i) + out_base.
  return same_rows && a.x.count == b.x.count && a.x.out_stride == 2 && b.x.out_stride == 2 &&
         2 * b.x.q_begin + b.x.out_base == 2 * a.x.q_begin + a.x.out_base + 1;
}

namespace {

// The image and rows of plan `p`'s pixels in a task's tiles (from tile first_tile on), and whether they are all in
// that one image. A tile's spare pixels repeat its last valid one, so the valid pixels tell.
struct TaskRows {
  int64_t image = 0, first_row = 0, last_row = 0;
  bool one_image = true;
};

TaskRows task_rows(const Call& call, int64_t first_tile, size_t p) {
  const CorrelationPlan& plan = call.plans[p];
  const int64_t plane_pixels = plan.y.count * plan.x.count, mr = call.kernel.mr;
  const int64_t count = std::clamp<int64_t>(call.tiles[p] - first_tile, 0, call.blocking.tiles_per_task);
  const int64_t first = first_tile * mr;
  const int64_t last = std::min((first_tile + count) * mr, call.shape.batch * plane_pixels) - 1;
  TaskRows rows;
  rows.image = first / plane_pixels;
  rows.first_row = first % plane_pixels / plan.x.count;
  rows.last_row = last % plane_pixels / plan.x.count;
  rows.one_image = last / plane_pixels == rows.image;
  return rows;
}

// Pads the task's window of the input (Call::padded_windows): the input rows that its tiles' taps read, every column
// of the call's extent, the task's group, in its image, all before the products. (Padding it one input-channel
// block at a time, as the products reach each block, with the next block's lines asked for from memory meanwhile,
// made the copy's share of big_small's grad-input grow from 8 to 10 to 13%.) Returns the image.
int64_t pad_task_window(const Call& call, const TaskRange& r, PaddedPlanes& window) {
  const ConvShape& s = call.shape;
  int64_t image = 0, y_lo = 0, y_hi = 0;
  bool first = true;
  for (size_t p = 0; p < call.plans.size(); ++p) {
    if (tile_count(call, r, p) == 0) continue;
    const AxisPlan& y = call.plans[p].y;
    const TaskRows rows = task_rows(call, r.first_tile, p);
    const auto [low, high] = std::minmax_element(y.tap_offset.begin(), y.tap_offset.end());
    const int64_t lo = (y.q_begin + rows.first_row) * y.in_stride + *low;
    const int64_t hi = (y.q_begin + rows.last_row) * y.in_stride + *high;
    image = rows.image;
    y_lo = first ? lo : std::min(y_lo, lo);
    y_hi = first ? hi : std::max(y_hi, hi);
    first = false;
  }
  const float* planes = call.input + (image * s.in_channels + r.group * s.in_per_group) * s.in_h * s.in_w;
  pad_window(planes, s.in_per_group, s.in_h, s.in_w, y_lo, y_hi, *call.padded, window);
  return image;
}

}  // namespace

bool tasks_read_one_image(const Call& call) {
  for (int64_t first_tile = 0; first_tile < call.blocking.tile_ranges * call.blocking.tiles_per_task;
       first_tile += call.blocking.tiles_per_task) {
    int64_t image = -1;
    for (size_t p = 0; p < call.plans.size(); ++p) {
      if (call.tiles[p] <= first_tile) continue;
      const TaskRows rows = task_rows(call, first_tile, p);
      if (!rows.one_image || (image >= 0 && rows.image != image)) return false;
      image = rows.image;
    }
  }
  return true;
}

// For each plan: C = bias; then, input-channel block by input-channel block, each tile's pixels (whose input lines
// stay in L1) meet every output-channel block of B in turn; then the valid pixels and channels are stored. A plan
// with a column partner (Call::x_partner) runs with it, on tiles of the same output pixels (one column apart), and
// the two are stored together, run by run (for_each_pair_run).
void run_task_input_in_place(const Call& call, int64_t task, Scratch& scratch) {
  const ConvShape& s = call.shape;
  const MicroKernel& kernel = call.kernel;
  const int64_t mr = kernel.mr, nr = kernel.nr, out_plane = s.out_h * s.out_w;
  const TaskRange r = task_range(call.blocking, task, nr);
  const int64_t blocks = r.mb_end - r.mb_begin;
  const auto walk =
      LazyPanels::BlockWalk::for_range(r.mb_begin, r.mb_end, r.first_tile / call.blocking.tiles_per_task);
  // The padded input: the task's own window of it, or the call's copy of it all (or the input itself).
  const bool window = call.padded_windows;
  const int64_t image = window ? pad_task_window(call, r, scratch.window) : 0;
  const PaddedPlanes& padded = window ? scratch.window : *call.padded;
  // A window holds one image of one group; tiles give their pixels' offsets from the start of image 0's planes.
  const float* group_input = padded.data + (window ? 0 : r.group * s.in_per_group * padded.plane_size());
  const int64_t image_start = image * s.in_channels * padded.plane_size();
  float* group_output = call.output + r.group * s.out_per_group * out_plane;
  // C of a plan's tiles, [tile][block][mr][nr], in slot 0, and its partner's in slot 1.
  const int64_t slot_size = call.blocking.tiles_per_task * blocks * mr * nr;
  auto c_block = [&](int64_t slot, int64_t t, int64_t cb) {
    return scratch.c.data() + slot * slot_size + (t * blocks + cb - r.mb_begin) * mr * nr;
  };
  auto channels_of = [&](int64_t cb) { return std::min(nr, s.out_per_group - cb * nr); };

  // A plan's tiles, in scratch.tiles from slot * tiles_per_task.
  auto tile_of = [&](int64_t slot, int64_t t) -> TileIndex& {
    return scratch.tiles[static_cast<size_t>(slot * call.blocking.tiles_per_task + t)];
  };
  // Plan p's tiles, from C = bias to C slot `slot`.
  auto multiply = [&](size_t p, int64_t slot) {
    const int64_t count = tile_count(call, r, p), taps = call.taps[p], k_total = s.in_per_group * taps;
    const float* panel = (*call.panels)[p * static_cast<size_t>(s.groups) + static_cast<size_t>(r.group)].data();
    // C starts at the bias, or, without one, the first K block writes it rather than adding to it (zeroing C took
    // 2 to 3% of big_small's forward).
    for (int64_t t = 0; t < count; ++t) {
      prepare_tile(call.plans[p], s, r.first_tile + t, mr, TileSources::PaddedBase, &padded, tile_of(slot, t));
      for (int64_t cb = r.mb_begin; call.bias && cb < r.mb_end; ++cb) {
        const float* bias = call.bias + r.group * s.out_per_group + cb * nr;
        float* c = c_block(slot, t, cb);
        for (int64_t j = 0; j < mr; ++j)
          for (int64_t co = 0; co < nr; ++co) c[j * nr + co] = co < channels_of(cb) ? bias[co] : 0.0f;
      }
    }
    const int64_t* tap_offset = call.gather_offset[p].data();
    for (int64_t ci0 = 0; ci0 < s.in_per_group; ci0 += call.blocking.ci_block) {
      const int64_t cn = std::min(call.blocking.ci_block, s.in_per_group - ci0), kc = cn * taps;
      scratch.offsets.clear();
      for (int64_t c = 0; c < cn; ++c)
        for (int64_t tap = 0; tap < taps; ++tap)
          scratch.offsets.push_back((ci0 + c) * padded.plane_size() + tap_offset[tap]);
      // The task's blocks of B for these input channels (a few KB each), packed first if no task has yet.
      for (int64_t i = 0; call.lazy && i < blocks; ++i)
        call.lazy->need(r.group, walk.at(i), ci0, walk);
      for (int64_t t = 0; t < count; ++t) {
        // Pixels past the plan's end repeat its last one (prepare_tile): their results are never stored.
        const TileIndex& index = tile_of(slot, t);
        const float* pixels[kMaxMr];
        for (int64_t j = 0; j < mr; ++j)
          pixels[j] = group_input + (index.pixel_base[static_cast<size_t>(j)] - image_start);
        const auto run_rows = ci0 == 0 && !call.bias ? kernel.run_rows_store : kernel.run_rows;
        for (int64_t cb = r.mb_begin; cb < r.mb_end; ++cb)
          run_rows(kc, pixels, scratch.offsets.data(), panel + (cb * k_total + ci0 * taps) * nr, c_block(slot, t, cb));
      }
    }
  };
  // C slot `slot` of tile t to the output: a vector per channel when the tile's pixels are contiguous outputs.
  auto store = [&](int64_t slot, int64_t t, int64_t cb) {
    const TileIndex& index = tile_of(slot, t);
    const float* c = c_block(slot, t, cb);
    float* output = group_output + cb * nr * out_plane;
    if (kernel.store_pixel_major && tile_in_one_row(index, mr)) {
      kernel.store_pixel_major(c, channels_of(cb), output + index.out_offset[0], out_plane);
      return;
    }
    for (int64_t co = 0; co < channels_of(cb); ++co)
      for (int64_t j = 0; j < index.valid; ++j)
        output[co * out_plane + index.out_offset[static_cast<size_t>(j)]] = c[j * nr + co];
  };

  for_each_plan_pair(call, [&](size_t p, int64_t partner) {
    multiply(p, 0);
    if (partner >= 0) multiply(static_cast<size_t>(partner), 1);
    for (int64_t t = 0; t < tile_count(call, r, p); ++t) {
      if (partner < 0) {
        for (int64_t cb = r.mb_begin; cb < r.mb_end; ++cb) store(0, t, cb);
        continue;
      }
      const TileIndex& index = tile_of(0, t);
      for_each_pair_run(index, s.out_w, [&](int64_t first, int64_t, int64_t floats) {
        float* run_output = group_output + index.out_offset[static_cast<size_t>(first)];
        for (int64_t cb = r.mb_begin; cb < r.mb_end; ++cb)
          kernel.store_pixel_major_pair(c_block(0, t, cb), c_block(1, t, cb), first, floats, channels_of(cb),
                                        run_output + cb * nr * out_plane, out_plane);
      });
    }
  });
}

}  // namespace convt::cpu
