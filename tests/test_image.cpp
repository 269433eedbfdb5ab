// Colormaps, PNG round trips through stb, image loading errors, and the built-in patterns.
#include <convt/error.h>
#include <convt/image.h>
#include <convt/io.h>
#include <convt/patterns.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <unistd.h>
#include <vector>

namespace convt {
namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("convt-image-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

TEST(Colormap, EndpointsNanAndRanges) {
  uint8_t rgb[3];
  colormap_rgb(Colormap::Grey, 0.0f, rgb);
  EXPECT_EQ(rgb[0], 0);
  colormap_rgb(Colormap::Grey, 1.0f, rgb);
  EXPECT_EQ(rgb[2], 255);
  colormap_rgb(Colormap::Viridis, 0.0f, rgb);
  EXPECT_EQ(std::vector<int>(rgb, rgb + 3), (std::vector<int>{68, 1, 84}));
  colormap_rgb(Colormap::Diverging, 0.5f, rgb);
  EXPECT_EQ(rgb[0], rgb[2]);  // zero is neutral grey in the diverging map
  colormap_rgb(Colormap::Viridis, NAN, rgb);
  EXPECT_EQ(std::vector<int>(rgb, rgb + 3), (std::vector<int>{255, 0, 255}));

  const float values[] = {-2.0f, 1.0f, NAN, INFINITY};
  const ValueRange finite = finite_range(values, 4);
  EXPECT_EQ(finite.low, -2.0f);
  EXPECT_EQ(finite.high, 1.0f);
  const ValueRange symmetric = display_range(values, 4, Colormap::Diverging);
  EXPECT_EQ(symmetric.low, -2.0f);
  EXPECT_EQ(symmetric.high, 2.0f);
  EXPECT_THROW(parse_colormap("rainbow"), Error);
}

TEST(Image, PngRoundTripThroughStb) {
  const float plane[] = {0.0f, 0.25f, 0.5f, 1.0f, NAN, 0.75f};
  const RgbImage image = colorize(plane, 2, 3, Colormap::Grey, {0.0f, 1.0f}, 2);
  ASSERT_EQ(image.width, 6);
  ASSERT_EQ(image.height, 4);
  const fs::path path = scratch("round_trip.png");
  write_png(path.string(), image);
  const Tensor loaded = read_image(path.string());
  ASSERT_EQ(loaded.shape(), (Shape{1, 3, 4, 6}));
  EXPECT_NEAR(loaded.at(0, 0, 0, 2), 64 / 255.0f, 1e-6);  // 0.25 -> 64, drawn as a 2x2 block
  EXPECT_NEAR(loaded.at(0, 1, 3, 5), 191 / 255.0f, 1e-6);
  EXPECT_EQ(loaded.at(0, 0, 2, 2), 1.0f);  // NaN is magenta: red 255, green 0
  EXPECT_EQ(loaded.at(0, 1, 2, 2), 0.0f);
  EXPECT_EQ(loaded.at(0, 1, 2, 0), 1.0f);  // 1.0 is white
  fs::remove_all(path.parent_path());
}

TEST(Image, BadFilesAreIoErrorsNamingTheFile) {
  const fs::path path = scratch("not_an_image.png");
  write_file_atomically(path.string(), "this is not a picture");
  for (const std::string& bad : {path.string(), scratch("missing.png").string()}) {
    try {
      read_image(bad);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Io);
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
  fs::remove_all(path.parent_path());
}

// JPEGs decode through libjpeg-turbo with PIL's defaults, so the pixels equal what PIL gives a PyTorch user
// (tests/golden/make_image_goldens.py), exactly: a greyscale JPEG as one channel, a 4:2:0 colour one as RGB.
TEST(Image, JpegsDecodeToPilsPixels) {
  const fs::path images = fs::path(CONVT_GOLDEN_DIR) / "images";
  for (const char* name : {"scene-rgb", "scene-grey"}) {
    const Tensor decoded = read_image((images / (std::string(name) + ".jpg")).string());
    const Tensor expected = read_npy((images / (std::string(name) + ".npy")).string());
    ASSERT_EQ(decoded.shape(), expected.shape()) << name;
    int64_t differing = 0;
    for (int64_t i = 0; i < decoded.numel(); ++i) differing += decoded[i] != expected[i];
    EXPECT_EQ(differing, 0) << name << ": values that differ from PIL's";
  }
  // A JPEG cut short is refused (libjpeg would pad it with grey and only warn).
  const std::string bytes = read_file((images / "scene-rgb.jpg").string());
  try {
    decode_image(bytes.substr(0, bytes.size() / 2), "half.jpg");
    ADD_FAILURE() << "a truncated JPEG was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io);
    EXPECT_NE(std::string(e.what()).find("cannot load image 'half.jpg'"), std::string::npos) << e.what();
  }
}

TEST(Patterns, ValuesAndStructure) {
  const Tensor impulse = make_pattern(Pattern::Impulse, 1, 5, 7);
  double sum = 0;
  for (int64_t i = 0; i < impulse.numel(); ++i) sum += impulse[i];
  EXPECT_EQ(sum, 1.0);
  EXPECT_EQ(impulse.at(0, 0, 2, 3), 1.0f);

  const Tensor board = make_pattern(Pattern::Checkerboard, 1, 8, 8);
  EXPECT_EQ(board.at(0, 0, 0, 0), 1.0f);
  EXPECT_EQ(board.at(0, 0, 0, 4), 0.0f);
  EXPECT_EQ(board.at(0, 0, 4, 4), 1.0f);

  for (const Pattern p : {Pattern::ZonePlate, Pattern::Gradient, Pattern::Scene}) {
    const Tensor t = make_pattern(p, 3, 16, 12);
    for (int64_t i = 0; i < t.numel(); ++i) {
      EXPECT_GE(t[i], 0.0f);
      EXPECT_LE(t[i], 1.0f);
    }
  }
  const Tensor gradient = make_pattern(Pattern::Gradient, 3, 4, 4);
  EXPECT_NE(gradient.at(0, 0, 0, 3), gradient.at(0, 1, 0, 3));  // channels run in different directions
  EXPECT_EQ(parse_pattern(to_string(Pattern::ZonePlate)), Pattern::ZonePlate);
  EXPECT_THROW(parse_pattern("noise"), Error);
  EXPECT_THROW(make_pattern(Pattern::Impulse, 1, 0, 4), Error);
}

TEST(Patterns, TheSceneIsAColourImageWithoutPhaseStructure) {
  const Tensor rgb = make_pattern(Pattern::Scene, 3, 128, 128);
  const Tensor grey = make_pattern(Pattern::Scene, 1, 128, 128);
  const Tensor again = make_pattern(Pattern::Scene, 3, 128, 128);
  EXPECT_TRUE(std::equal(rgb.data(), rgb.data() + rgb.numel(), again.data()));  // deterministic
  double channel_difference = 0;
  for (int64_t y = 0; y < 128; ++y)
    for (int64_t x = 0; x < 128; ++x) {
      const float r = rgb.at(0, 0, y, x), g = rgb.at(0, 1, y, x), b = rgb.at(0, 2, y, x);
      EXPECT_NEAR(grey.at(0, 0, y, x), 0.299f * r + 0.587f * g + 0.114f * b, 1e-6f);
      channel_difference += std::abs(r - b);
    }
  EXPECT_GT(channel_difference / (128 * 128), 0.05);  // colour, not grey repeated
  // A super-resolution target must not repeat with a period of 2 to 4 pixels, or the artifact score (the
  // variance explained by the phase) would see a checkerboard in the target itself.
  for (int64_t f = 2; f <= 4; ++f) {
    std::vector<double> phase_sum(static_cast<size_t>(f * f), 0.0);
    double sum = 0, sum_sq = 0;
    const int64_t n = 128 / f * f;
    for (int64_t y = 0; y < n; ++y)
      for (int64_t x = 0; x < n; ++x) {
        const double v = grey.at(0, 0, y, x);
        phase_sum[static_cast<size_t>((y % f) * f + x % f)] += v;
        sum += v;
        sum_sq += v * v;
      }
    const double mean = sum / (n * n), variance = sum_sq / (n * n) - mean * mean;
    double explained = 0;
    for (const double s : phase_sum) explained += (s / (n * n / (f * f)) - mean) * (s / (n * n / (f * f)) - mean);
    explained /= f * f;
    EXPECT_LT(explained / variance, 1e-3) << "period " << f;
    EXPECT_GT(variance, 0.01);  // and it has content
  }
}

TEST(Image, ChannelGridTilesEveryChannelWithALabelledBar) {
  const Tensor t = Tensor::randn({2, 5, 6, 7}, 3);
  const RgbImage grid = channel_grid(t, 1, Colormap::Diverging, false, 2);
  // 5 channels -> 3 columns x 2 rows of 14x12 tiles with 4-pixel gaps, then the bar (12) and its labels (14).
  EXPECT_EQ(grid.width, 160);  // at least 160 wide, so both labels fit
  EXPECT_EQ(grid.height, 2 * (12 + 4) + 4 + 12 + 14 + 8);
  // The first tile is sample 1's channel 0, not sample 0's.
  const RgbImage first = colorize(t.data() + 5 * 42, 6, 7, Colormap::Diverging, display_range(t.data() + 5 * 42, 42, Colormap::Diverging), 2);
  EXPECT_TRUE(std::equal(first.pixels.begin(), first.pixels.begin() + 3 * 14, grid.pixels.begin() + (4 * grid.width + 4) * 3));
  EXPECT_THROW(channel_grid(t, 2, Colormap::Grey, false, 1), Error);
}

TEST(Image, ExportWritesTheTensorAndItsGridAndKeepsOldFilesOnFailure) {
  const Tensor t = Tensor::randn({1, 3, 4, 5}, 9);
  const std::string stem = scratch("exported").string();
  export_npy_and_png(stem, t, 0, Colormap::Viridis, true);
  const Tensor back = read_npy(stem + ".npy");
  EXPECT_EQ(std::vector<float>(back.data(), back.data() + back.numel()), std::vector<float>(t.data(), t.data() + t.numel()));
  const Tensor picture = read_image(stem + ".png");
  const RgbImage grid = channel_grid(t, 0, Colormap::Viridis, true);
  EXPECT_EQ(picture.shape(), (Shape{1, 3, grid.height, grid.width}));
  // A sample that does not exist: an error, and the earlier export is untouched.
  EXPECT_THROW(export_npy_and_png(stem, Tensor::randn({1, 2, 3, 3}, 1), 1, Colormap::Viridis, true), Error);
  EXPECT_EQ(read_npy(stem + ".npy").shape(), t.shape());
}

}  // namespace
}  // namespace convt
