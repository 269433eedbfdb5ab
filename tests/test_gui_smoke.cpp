// GUI smoke test: the real app under Xvfb, one screenshot per state, through the app's own --screenshot. The
// pictures must be non-trivial (many colours, not one flat panel) and must differ where the state differs.
// Skipped, saying so, when xvfb-run is not installed.
#include <convt/image.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <unistd.h>

namespace convt {
namespace {

namespace fs = std::filesystem;

bool have_xvfb() { return std::system("command -v xvfb-run >/dev/null 2>&1") == 0; }

class GuiSmoke : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_xvfb()) GTEST_SKIP() << "GUI smoke test skipped: xvfb-run is not installed (apt-get install xvfb xauth)";
    dir_ = fs::temp_directory_path() / ("convt-gui-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    if (!dir_.empty()) fs::remove_all(dir_, ignored);
  }

  // Runs the app with `args` and returns the screenshot as a [1, 3, H, W] tensor in [0, 1].
  Tensor screenshot(const std::string& name, const std::string& args) {
    const fs::path png = dir_ / (name + ".png");
    const std::string command = "xvfb-run -a -s '-screen 0 1600x1000x24' '" + std::string(CONVT_LAB_PATH) +
                                "' --screenshot '" + png.string() + "' " + args + " > '" + (dir_ / (name + ".log")).string() +
                                "' 2>&1";
    const int status = std::system(command.c_str());
    EXPECT_EQ(status, 0) << command;
    EXPECT_TRUE(fs::exists(png)) << command;
    return fs::exists(png) ? read_image(png.string()) : Tensor({1, 3, 1, 1});
  }

  fs::path dir_;
};

// Distinct colours in a coarse histogram: a blank or single-colour window has a handful.
size_t distinct_colours(const Tensor& image) {
  std::set<int> colours;
  const int64_t h = image.size(2), w = image.size(3);
  for (int64_t y = 0; y < h; y += 2)
    for (int64_t x = 0; x < w; x += 2) {
      int key = 0;
      for (int64_t c = 0; c < 3; ++c) key = key * 32 + static_cast<int>(image.at(0, c, y, x) * 31.0f);
      colours.insert(key);
    }
  return colours.size();
}

double mean_abs_difference(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return 1.0;
  double sum = 0;
  for (int64_t i = 0; i < a.numel(); ++i) sum += std::fabs(a[i] - b[i]);
  return sum / static_cast<double>(a.numel());
}

TEST_F(GuiSmoke, PresetsRenderAndDiffer) {
  const Tensor checkerboard = screenshot("checkerboard", "--preset checkerboard");
  const Tensor dcgan = screenshot("dcgan", "--preset dcgan");
  const Tensor holes = screenshot("holes", "--preset holes-k1s2");
  const Tensor stride3 = screenshot("stride3", "--preset checkerboard --set stride=3 --set view.colormap=diverging");
  for (const Tensor* image : {&checkerboard, &dcgan, &holes, &stride3}) {
    EXPECT_EQ(image->shape(), (Shape{1, 3, 1000, 1600}));
    EXPECT_GT(distinct_colours(*image), 200u);
  }
  EXPECT_GT(mean_abs_difference(checkerboard, dcgan), 0.01);
  EXPECT_GT(mean_abs_difference(checkerboard, holes), 0.005);
  EXPECT_GT(mean_abs_difference(checkerboard, stride3), 0.005);
}

TEST_F(GuiSmoke, StacksRenderTheStripAndTheWholeStackAnalysis) {
  const Tensor layer = screenshot("stack_layer", "--preset checkerboard --set stack.append=1");
  const Tensor whole = screenshot("stack_whole", "--preset checkerboard --set stack.append=1 --set view.checkerboard=stack");
  const Tensor dcgan = screenshot("stack_dcgan", "--preset stack-dcgan --set stack.layer=2");
  for (const Tensor* image : {&layer, &whole, &dcgan}) EXPECT_GT(distinct_colours(*image), 200u);
  EXPECT_GT(mean_abs_difference(layer, whole), 0.005) << "the whole-stack view must show something else";
  EXPECT_GT(mean_abs_difference(layer, dcgan), 0.01);
}

// The Train lab renders, and train.steps moves it: after 20 steps the outputs and curves are not those of step 0.
TEST_F(GuiSmoke, TheTrainLabRendersAndTrains) {
  const Tensor start = screenshot("train_start", "--set train.enabled=true");
  const Tensor trained = screenshot("train_20", "--set train.enabled=true --set train.steps=20");
  const Tensor explorer = screenshot("explorer", "--preset checkerboard");
  for (const Tensor* image : {&start, &trained}) EXPECT_GT(distinct_colours(*image), 200u);
  EXPECT_GT(mean_abs_difference(start, trained), 0.003) << "20 training steps changed nothing on screen";
  EXPECT_GT(mean_abs_difference(start, explorer), 0.01) << "the lab looks like the layer explorer";
}

// The Model panel: --model opens an ONNX model and every panel shows the node model.node names, with its real
// activation and weights; another node changes the screen; a model the executor cannot run still opens.
TEST_F(GuiSmoke, TheModelPanelOpensAModel) {
  const fs::path models = fs::path(__FILE__).parent_path() / "models";  // this file's folder's test models
  const std::string dcgan = "--model '" + (models / "dcgan.onnx").string() + "'";
  const Tensor ct2 = screenshot("model_ct2", dcgan + " --set model.node=/ct2/ConvTranspose");
  const Tensor ct3 = screenshot("model_ct3", dcgan + " --set model.node=/ct3/ConvTranspose");
  const Tensor unsupported = screenshot("model_unsupported", "--model '" + (models / "app_unsupported.onnx").string() + "'");
  const Tensor explorer = screenshot("model_explorer", "--preset checkerboard");
  for (const Tensor* image : {&ct2, &ct3, &unsupported}) {
    EXPECT_EQ(image->shape(), (Shape{1, 3, 1000, 1600}));
    EXPECT_GT(distinct_colours(*image), 200u);
  }
  EXPECT_GT(mean_abs_difference(ct2, explorer), 0.01) << "the model's node looks like the explorer's layer";
  EXPECT_GT(mean_abs_difference(ct2, ct3), 0.003) << "another node changed nothing on screen";
}

// The teaching screens: the introduction (a bare start) and each lesson, then the pin, compare, matrix, round-trip
// and enlarged views. Each must draw a full screen and differ from the plain preset it starts from.
TEST_F(GuiSmoke, TheLessonsAndTeachingViewsRender) {
  const Tensor plain = screenshot("plain_checkerboard", "--preset checkerboard");
  const Tensor introduction = screenshot("introduction", "");
  EXPECT_GT(mean_abs_difference(plain, introduction), 0.005) << "a bare start shows no introduction";
  Tensor previous = introduction;
  for (int lesson = 1; lesson <= 6; ++lesson) {
    const Tensor shot = screenshot("lesson" + std::to_string(lesson), "--lesson " + std::to_string(lesson));
    EXPECT_GT(distinct_colours(shot), 200u) << "lesson " << lesson;
    EXPECT_GT(mean_abs_difference(shot, previous), 0.003) << "lesson " << lesson << " looks like the one before";
    previous = shot;
  }
  const std::string checkerboard = "--preset checkerboard ";
  const Tensor pin = screenshot("pin", checkerboard + "--set view.pin=24,25");
  const Tensor pin_input = screenshot("pin_input", checkerboard + "--set view.pin_input=5,7");
  const Tensor compare = screenshot("compare", checkerboard + "--set compare.kernel=4 --set compare.padding=1");
  const Tensor matrix = screenshot("matrix", checkerboard + "--set view.matrix=true");
  const Tensor trip = screenshot("round_trip", checkerboard + "--set view.round_trip=true");
  const Tensor enlarged = screenshot("enlarged", checkerboard + "--set view.pin=24,25 --set view.enlarge=convolution");
  const Tensor replay_1d = screenshot("replay_1d", checkerboard + "--set view.replay_1d=true");
  for (const Tensor* image : {&pin, &pin_input, &compare, &matrix, &trip, &enlarged, &replay_1d}) {
    EXPECT_GT(distinct_colours(*image), 100u);
    EXPECT_GT(mean_abs_difference(*image, plain), 0.002) << "a teaching view changed nothing on screen";
  }
  EXPECT_GT(mean_abs_difference(pin, pin_input), 0.001) << "an input pin looks like an output pin";
}

TEST_F(GuiSmoke, InvalidStateAndBadArgumentsDoNotCrash) {
  // output_padding 2 with stride 2 and dilation 1 breaks a rule: the app must still draw, with the rule shown.
  const Tensor invalid = screenshot("invalid", "--preset checkerboard --set output_padding=2");
  EXPECT_GT(distinct_colours(invalid), 50u);
  for (const char* bad : {"--set nonsense=1", "--lesson 9", "--set view.pin=3", "--set compare.kernel=0"}) {
    const std::string command = "'" + std::string(CONVT_LAB_PATH) + "' " + bad + " > /dev/null 2>&1";
    const int status = std::system(command.c_str());
    EXPECT_EQ(WEXITSTATUS(status), 2) << bad;
  }
}

}  // namespace
}  // namespace convt
