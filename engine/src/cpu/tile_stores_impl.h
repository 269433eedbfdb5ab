// The stores of finished C tiles into the output, written once with 256-bit AVX2 operations and compiled into
// both the AVX2 and the AVX-512 microkernel's translation units, each for its own tile shape (kMr x kNr).
// Included inside an anonymous namespace after <immintrin.h> and <algorithm>, so it includes nothing itself.

// The first `length` (< 8) floats of `values`, 4, 2 and 1 at a time (a masked store took half of pack_rows here).
inline void store_first(__m256 values, int32_t length, float* destination) {
  __m128 part = _mm256_castps256_ps128(values);
  if (length & 4) {
    _mm_storeu_ps(destination, part);
    part = _mm256_extractf128_ps(values, 1);
    destination += 4;
  }
  if (length & 2) {
    _mm_storel_pi(reinterpret_cast<__m64*>(destination), part);
    part = _mm_movehl_ps(part, part);
    destination += 2;
  }
  if (length & 1) _mm_store_ss(destination, part);
}

// The first `length` (<= 8) floats of `values`.
inline void store_up_to_8(__m256 values, int32_t length, float* destination) {
  if (length == 8)
    _mm256_storeu_ps(destination, values);
  else
    store_first(values, length, destination);
}

// Rows 0-7 of an 8x8 block, transposed in place.
inline void transpose8(__m256 (&r)[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20), r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20), r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20), r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20), r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// a's and b's lanes in turn: a0 b0 a1 b1 a2 b2 a3 b3 into `first`, a4 b4 ... a7 b7 into `second`.
inline void interleave(__m256 a, __m256 b, __m256& first, __m256& second) {
  const __m256 low = _mm256_unpacklo_ps(a, b), high = _mm256_unpackhi_ps(a, b);
  first = _mm256_permute2f128_ps(low, high, 0x20);
  second = _mm256_permute2f128_ps(low, high, 0x31);
}

// Channels [first, first + 8) of a pixel-major tile ([kMr <= 8 pixels][kNr channels]), as a vector of pixels per
// channel (pixels past kMr zero).
template <int64_t kMr, int64_t kNr>
void pixels_by_channel(const float* c, int64_t first, __m256 (&pixels)[8]) {
  static_assert(kMr <= 8, "one 8x8 transpose per 8 channels");
  for (int64_t j = 0; j < 8; ++j) pixels[j] = j < kMr ? _mm256_loadu_ps(c + j * kNr + first) : _mm256_setzero_ps();
  transpose8(pixels);
}

// Eight channels at a time: each phase's [kMr pixels][8 channels] transposed to a vector of pixels per channel,
// the two phases' vectors interleaved, and each channel's floats from pixel `first` on written whole: `floats` of
// them (2 * length for a run of `length` pixels, or one less where the second tile's last lies past the row). Element
// by element, the stores (one per float, two phases writing the same lines far apart in time) took 12% of
// big_small's forward.
template <int64_t kMr, int64_t kNr>
void store_pixel_major_pair_impl(const float* c0, const float* c1, int64_t first, int64_t floats, int64_t channels,
                                 float* out, int64_t out_plane) {
  for (int64_t block = 0; block < channels; block += 8) {
    __m256 p0[8], p1[8];
    pixels_by_channel<kMr, kNr>(c0, block, p0);
    pixels_by_channel<kMr, kNr>(c1, block, p1);
    for (int64_t i = 0; i < std::min<int64_t>(8, channels - block); ++i) {
      __m256 pixels0to3, pixels4to7;
      interleave(p0[i], p1[i], pixels0to3, pixels4to7);
      float* row = out + (block + i) * out_plane;
      if (first == 0) {
        store_up_to_8(pixels0to3, static_cast<int32_t>(std::min<int64_t>(8, floats)), row);
        if (floats > 8) store_up_to_8(pixels4to7, static_cast<int32_t>(floats - 8), row + 8);
        continue;
      }
      // A run that starts inside the tile (it wraps into the next output row): through a copy of both halves.
      alignas(32) float both[16];
      _mm256_store_ps(both, pixels0to3);
      _mm256_store_ps(both + 8, pixels4to7);
      std::copy(both + 2 * first, both + 2 * first + floats, row);
    }
  }
}

// The same for a tile alone whose pixels are contiguous outputs (a strided correlation's, a plan without a column
// partner): each channel's kMr floats. The scalar loop, one store per float at an offset it loads, took 4% of
// frac's grad_input.
template <int64_t kMr, int64_t kNr>
void store_pixel_major_impl(const float* c, int64_t channels, float* out, int64_t out_plane) {
  for (int64_t first = 0; first < channels; first += 8) {
    __m256 pixels[8];
    pixels_by_channel<kMr, kNr>(c, first, pixels);
    for (int64_t i = 0; i < std::min<int64_t>(8, channels - first); ++i)
      store_up_to_8(pixels[i], static_cast<int32_t>(kMr), out + (first + i) * out_plane);
  }
}

// A run of `length` pixels of two channel-major tiles (rows ldc floats apart) whose outputs interleave: tile
// `phase`'s pixel i goes to out[m * out_plane + 2i + phase], for the first `floats` (2 * length, or one less where
// the second tile's last pixel lies past the output row) and m < rows. The lines two channels on are asked for (to
// write) meanwhile, as store_tile does.
inline void store_channel_major_pair_run_impl(const float* c0, const float* c1, int64_t ldc, int64_t rows,
                                              int64_t length, int64_t floats, float* out, int64_t out_plane) {
  for (int64_t m = 0; m < rows; ++m) {
    float* row = out + m * out_plane;
    const float* first = c0 + m * ldc;
    const float* second = c1 + m * ldc;
    if (m + 2 < rows) {
      __builtin_prefetch(row + 2 * out_plane, 1);
      __builtin_prefetch(row + 2 * out_plane + floats - 1, 1);
    }
    int64_t i = 0;
    for (; i + 8 <= length; i += 8) {
      __m256 low, high;
      interleave(_mm256_loadu_ps(first + i), _mm256_loadu_ps(second + i), low, high);
      _mm256_storeu_ps(row + 2 * i, low);
      if (2 * i + 16 <= floats)
        _mm256_storeu_ps(row + 2 * i + 8, high);
      else
        store_first(high, static_cast<int32_t>(floats - 2 * i - 8), row + 2 * i + 8);
    }
    if (i == length) continue;
    // The last few pixels, loaded masked: a run can end where a tile does.
    const __m256i inside = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(length - i)),
                                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256 low, high;
    interleave(_mm256_maskload_ps(first + i, inside), _mm256_maskload_ps(second + i, inside), low, high);
    const int64_t left = floats - 2 * i;
    store_up_to_8(low, static_cast<int32_t>(std::min<int64_t>(8, left)), row + 2 * i);
    if (left > 8) store_first(high, static_cast<int32_t>(left - 8), row + 2 * i + 8);
  }
}
