// The inner loops of the direct kernels for thin groups (thin_groups.h), written once with GCC's vector extensions
// and compiled into each microkernel's translation unit, so every instruction-set level gets its own code (8 lanes:
// one ymm register under AVX2, two xmm registers on the portable level). The AVX-512 unit defines
// CONVT_THIN_WIDE_LANES (16) before including this: its rows then go 16 lanes at a time while whole vectors of 16
// fit, and 8 at a time after that, so no level reads further past a row than the 8-lane code does. Included
// inside an anonymous namespace after <cstdint>, so it includes nothing itself.

template <int64_t kLanes>
struct ThinVectorOf;
template <>
struct ThinVectorOf<8> {
  typedef float type __attribute__((vector_size(32)));
};
template <>
struct ThinVectorOf<16> {
  typedef float type __attribute__((vector_size(64)));
};
using ThinVector = ThinVectorOf<8>::type;
constexpr int64_t kThinLanes = 8;

// Vectors are loaded with memcpy into a local, never returned from a function: on the portable level a 32-byte
// vector return would change the calling convention (GCC warns, -Wpsabi).

// How many input channels' streams thin_rows_blocks reads at once before it prefetches them itself. (The taps of
// one channel read neighbouring rows: a depthwise layer's 16 taps, prefetched, made its grad_input 1.1 to 1.3 times
// slower.)
constexpr int64_t kManyStreams = 16;

// kRows rows (1 or 2) times kUnroll vectors of kLanes pixels at a time, so that kRows * kUnroll * kCout
// independent sums are in flight: with one vector, each FMA waited on the one before it (a 5-cycle latency for 3 or
// 4 FMAs: a third of the FMA rate). Row r's tap t reads sources[r * taps + t]; its channel co goes to
// out[(r * kCout + co) * out_stride + q].
template <int64_t kLanes, int64_t kCout, int64_t kUnroll, int64_t kRows>
int64_t thin_rows_blocks(int64_t q0, int64_t count, int64_t cin, int64_t taps, const float* const* sources,
                         int64_t ci_stride, const float* w, const float* bias, float* out, int64_t out_stride) {
  using Vector = typename ThinVectorOf<kLanes>::type;
  constexpr int64_t kWidth = kUnroll * kLanes;
  const bool many_streams = cin >= kManyStreams;
  for (; q0 + kWidth <= count; q0 += kWidth) {
    Vector acc[kRows][kUnroll][kCout];
    for (int64_t r = 0; r < kRows; ++r)
      for (int64_t u = 0; u < kUnroll; ++u)
        for (int64_t co = 0; co < kCout; ++co) acc[r][u][co] = Vector{} + bias[co];
    for (int64_t ci = 0; ci < cin; ++ci) {
      const float* wk = w + ci * taps * 4;
      for (int64_t t = 0; t < taps; ++t) {
        for (int64_t r = 0; r < kRows; ++r) {
          const float* source = sources[r * taps + t] + ci * ci_stride + q0;
          // Every (ci, tap) is its own stream through memory, each visited for kWidth floats per block: with a
          // hundred of them (a batch-1 layer's weight rows, conv_transpose2d_columns) the hardware prefetchers lose
          // track, so the stretch two blocks on is asked for now (dcgan_z's forward 1.04 to 1.11 times faster,
          // sr_k4s4's 1.11 to 1.15). With few channels (depthwise) the prefetchers keep up.
          if (many_streams)
            for (int64_t line = 0; line < kWidth; line += 16) __builtin_prefetch(source + 2 * kWidth + line);
          for (int64_t u = 0; u < kUnroll; ++u) {
            Vector x;
            __builtin_memcpy(&x, source + u * kLanes, sizeof x);
            for (int64_t co = 0; co < kCout; ++co) acc[r][u][co] += wk[t * 4 + co] * x;
          }
        }
      }
    }
    for (int64_t r = 0; r < kRows; ++r)
      for (int64_t u = 0; u < kUnroll; ++u)
        for (int64_t co = 0; co < kCout; ++co)
          __builtin_memcpy(out + (r * kCout + co) * out_stride + q0 + u * kLanes, &acc[r][u][co], sizeof(Vector));
  }
  return q0;
}

// The last pixels (fewer than 8), one vector: the sources' padding covers the lanes past count.
template <int64_t kCout>
void thin_rows_tail(int64_t q0, int64_t count, int64_t cin, int64_t taps, const float* const* sources,
                    int64_t ci_stride, const float* w, const float* bias, float* out, int64_t out_stride) {
  for (; q0 < count; q0 += kThinLanes) {
    ThinVector acc[kCout];
    for (int64_t co = 0; co < kCout; ++co) acc[co] = ThinVector{} + bias[co];
    for (int64_t ci = 0; ci < cin; ++ci) {
      const float* wk = w + ci * taps * 4;
      for (int64_t t = 0; t < taps; ++t) {
        ThinVector x;
        __builtin_memcpy(&x, sources[t] + ci * ci_stride + q0, sizeof x);
        for (int64_t co = 0; co < kCout; ++co) acc[co] += wk[t * 4 + co] * x;
      }
    }
    const int64_t lanes = count - q0 < kThinLanes ? count - q0 : kThinLanes;
    for (int64_t co = 0; co < kCout; ++co)
      for (int64_t l = 0; l < lanes; ++l) out[co * out_stride + q0 + l] = acc[co][l];
  }
}

// How many vectors of one row go at a time, for kCout output channels: 8 or 12 sums in flight, and room left in 16
// registers for the pixels and the broadcast weight.
template <int64_t kCout>
constexpr int64_t kThinRowUnroll = kCout == 1 ? 8 : kCout == 2 ? 4 : kCout == 3 ? 4 : 2;

// One row, or (kRows = 2) two rows at once as far as whole vectors go, each row's last pixels then on its own.
template <int64_t kCout, int64_t kRows>
void thin_rows_fixed(int64_t count, int64_t cin, int64_t taps, const float* const* sources, int64_t ci_stride,
                     const float* w, const float* bias, float* out, int64_t out_stride) {
  // What is left goes 2 vectors, then 1, at a time: a row's last 16 pixels one vector at a time left the FMAs
  // waiting on each other (18 to 32% longer on sr_k4s4 and on the depthwise layers' grad_input). Two rows: half as
  // many vectors per row, so as many sums, or (4 channels, 32 registers) twice as many.
  constexpr int64_t kRowUnroll = kThinRowUnroll<kCout>;
  constexpr int64_t kUnroll = kRows == 1 ? kRowUnroll : kRowUnroll > 2 ? kRowUnroll / 2 : 1;
  int64_t q0 = 0;
#ifdef CONVT_THIN_WIDE_LANES
  // The same with vectors of 16 first (32 registers leave room for as many sums).
  constexpr int64_t kWideUnroll = kRows == 2 && kCout == 4 ? 2 : kUnroll;
  q0 = thin_rows_blocks<CONVT_THIN_WIDE_LANES, kCout, kWideUnroll, kRows>(q0, count, cin, taps, sources, ci_stride, w,
                                                                        bias, out, out_stride);
  if constexpr (kWideUnroll > 2)
    q0 = thin_rows_blocks<CONVT_THIN_WIDE_LANES, kCout, 2, kRows>(q0, count, cin, taps, sources, ci_stride, w, bias,
                                                                 out, out_stride);
  if constexpr (kWideUnroll > 1)
    q0 = thin_rows_blocks<CONVT_THIN_WIDE_LANES, kCout, 1, kRows>(q0, count, cin, taps, sources, ci_stride, w, bias,
                                                                 out, out_stride);
#endif
  q0 = thin_rows_blocks<kThinLanes, kCout, kUnroll, kRows>(q0, count, cin, taps, sources, ci_stride, w, bias, out,
                                                           out_stride);
  if constexpr (kUnroll > 2)
    q0 = thin_rows_blocks<kThinLanes, kCout, 2, kRows>(q0, count, cin, taps, sources, ci_stride, w, bias, out,
                                                       out_stride);
  if constexpr (kUnroll > 1)
    q0 = thin_rows_blocks<kThinLanes, kCout, 1, kRows>(q0, count, cin, taps, sources, ci_stride, w, bias, out,
                                                       out_stride);
  for (int64_t r = 0; r < kRows; ++r)
    thin_rows_tail<kCout>(q0, count, cin, taps, sources + r * taps, ci_stride, w, bias,
                          out + r * kCout * out_stride, out_stride);
}

// The widest run of pixels that one row's blocks fill: a row shorter than this leaves sums out of flight, so two
// such rows go together.
#ifdef CONVT_THIN_WIDE_LANES
constexpr int64_t kThinWidestLanes = CONVT_THIN_WIDE_LANES;
#else
constexpr int64_t kThinWidestLanes = kThinLanes;
#endif

template <int64_t kCout>
void thin_rows_of(int64_t count, int64_t rows, int64_t cin, int64_t taps, const float* const* sources,
                  int64_t ci_stride, const float* w, const float* bias, float* out, int64_t out_stride) {
  if (rows == 2 && count <= kThinRowUnroll<kCout> * kThinWidestLanes)
    return thin_rows_fixed<kCout, 2>(count, cin, taps, sources, ci_stride, w, bias, out, out_stride);
  for (int64_t r = 0; r < rows; ++r)
    thin_rows_fixed<kCout, 1>(count, cin, taps, sources + r * taps, ci_stride, w, bias, out + r * kCout * out_stride,
                              out_stride);
}

// For each of `rows` rows (1 or 2) r: out[(r * cout + co) * out_stride + q] = bias[co] + sum over ci < cin,
// t < taps of w[(ci*taps + t)*4 + co] * sources[r * taps + t][ci*ci_stride + q], for q < count and co < cout (1 to
// 4). When count is not a multiple of 8, sources are read up to 7 floats past it (the caller pads them).
void thin_rows(int64_t count, int64_t rows, int64_t cin, int64_t taps, int64_t cout, const float* const* sources,
               int64_t ci_stride, const float* w, const float* bias, float* out, int64_t out_stride) {
  switch (cout) {
    case 1: return thin_rows_of<1>(count, rows, cin, taps, sources, ci_stride, w, bias, out, out_stride);
    case 2: return thin_rows_of<2>(count, rows, cin, taps, sources, ci_stride, w, bias, out, out_stride);
    case 3: return thin_rows_of<3>(count, rows, cin, taps, sources, ci_stride, w, bias, out, out_stride);
    default: return thin_rows_of<4>(count, rows, cin, taps, sources, ci_stride, w, bias, out, out_stride);
  }
}

// sums[t] = sum over r < rows, q < count of a_rows[r][q] * b_rows[r * taps + t][q], in float, four taps at a time
// (their accumulators stay in registers), 8 lanes on every level: 16 on AVX-512 was slower (rgb_in's grad_weight
// 1.06 times, thin_g4's 1.01). Rows are read up to 7 floats past count: the caller pads a's with zeros.
void thin_dots(int64_t count, int64_t rows, int64_t taps, const float* const* a_rows, const float* const* b_rows,
               float* sums) {
  for (int64_t t0 = 0; t0 < taps; t0 += 4) {
    const int64_t group = taps - t0 < 4 ? taps - t0 : 4;
    // Two sums per tap (even and odd vectors of a row), so that 8 FMAs are in flight, not 4.
    ThinVector acc[2][4] = {};
    for (int64_t r = 0; r < rows; ++r) {
      const float* a = a_rows[r];
      const float* const* b = b_rows + r * taps + t0;
      for (int64_t q0 = 0; q0 < count; q0 += 2 * kThinLanes) {
        for (int64_t half = 0; half < 2 && q0 + half * kThinLanes < count; ++half) {
          ThinVector x;
          __builtin_memcpy(&x, a + q0 + half * kThinLanes, sizeof x);
          for (int64_t t = 0; t < group; ++t) {
            ThinVector y;
            __builtin_memcpy(&y, b[t] + q0 + half * kThinLanes, sizeof y);
            acc[half][t] += x * y;
          }
        }
      }
    }
    for (int64_t t = 0; t < group; ++t) {
      float sum = 0.0f;
      for (int64_t l = 0; l < kThinLanes; ++l) sum += acc[0][t][l] + acc[1][t][l];
      sums[t0 + t] = sum;
    }
  }
}
