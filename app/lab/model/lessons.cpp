#include "lessons.h"

#include "compare_keys.h"
#include "presets.h"
#include "state_keys.h"

#include <convt/error.h>

namespace convt::lab {

const std::vector<Lesson>& lessons() {
  static const std::vector<Lesson> list = {
      {1,
       "Why is the output this size?",
       "The output size",
       "Output size",
       {"Each input pixel stamps a copy of the kernel into the output, and neighbouring stamps start s pixels apart. "
        "With i input pixels, the last stamp starts at (i-1)*s.",
        "A stamp is d*(k-1)+1 pixels long (the kernel's reach: k taps, d apart), so the stamps together cover "
        "(i-1)*s + d*(k-1) + 1 pixels.",
        "padding does not add anything in a transposed convolution: it crops p pixels off each end, 2p in all. "
        "output_padding then adds op pixels back, at the bottom and right ends only.",
        "So o = (i-1)*s - 2p + d*(k-1) + op + 1. The Output size panel fills in every term with this layer's numbers: "
        "here (8-1)*2 - 2*1 + 1*(4-1) + 0 + 1 = 16."},
       {"Set stride to 3: the first term becomes (8-1)*3 and the output 23.",
        "Set padding to 2: one more pixel is cropped from each end, so the output loses 2.",
        "In the size solver, ask for a size: it lists the padding and output_padding pairs that give it."},
       "dcgan",
       {}},
      {2,
       "Which input pixels and kernel taps made this output pixel?",
       "One output pixel, term by term",
       "Pixel inspector",
       {"Input pixel (iy, ix) puts x*w[ky, kx] on output pixel (iy*s - p + ky*d, ix*s - p + kx*d), for every tap. "
        "An output pixel therefore sums one product for every input pixel and tap that land on it.",
        "Output pixel (24, 25) is pinned. The Pixel inspector lists its terms: the input pixel (n, c, iy, ix), the "
        "kernel tap (ky, kx), x, w and x*w. Their sum, plus the bias, is the value the output shows.",
        "The same input pixels and taps are outlined in the feature maps, in the stride-1 convolution window of "
        "scatter-then-convolve's step 5, and on the stamps of the replay.",
        "With kernel 3 and stride 2, row 24 is reached by two taps (ky 0 from iy 12, ky 2 from iy 11) and column 25 by "
        "one, so this pixel has 2 terms; pixel (24, 24) has 4 and (25, 25) has 1."},
       {"Click another output pixel to pin it; compare the number of terms on even and odd rows.",
        "Click an input pixel: the inspector lists its footprint, the output pixels it stamps.",
        "Right-click a view, or press Escape, to unpin."},
       "checkerboard",
       {"view.pin=24,25"}},
      {3,
       "Why does this layer checkerboard, and how do I fix it?",
       "Checkerboards and their fix",
       "Checkerboard",
       {"With stride s, every output pixel has a phase, (o + p) mod s per axis: which offset inside a stride it sits at. "
        "Pixels of one phase receive the same kernel taps.",
        "When s does not divide k, the phases receive different numbers of taps: here kernel 3 and stride 2 give 2 taps "
        "to one phase and 1 to the other, per axis. A smooth input then comes out as a grid of strong and weak pixels. "
        "The coverage map counts the (input pixel, tap) pairs behind every output pixel; its legend gives the counts.",
        "B, next to A, uses kernel 4 (a multiple of the stride) with padding 1 and output_padding 1: every phase gets 2 "
        "taps per axis, the coverage is flat, and the output keeps its 49x49 size.",
        "Even coverage is necessary, not sufficient: trained weights whose phase sums differ still print a pattern. "
        "Resizing first (nearest or bilinear) and then convolving avoids it by construction."},
       {"Press 'Apply the suggested kernel' in the Checkerboard panel, and watch the score drop.",
        "Set B's kernel back to 3 and its padding to 0: B's coverage map shows the grid again.",
        "Switch the comparison to nearest: resize-then-convolve has no phase pattern at all."},
       "checkerboard",
       {"compare.kernel=4", "compare.padding=1", "compare.output_padding=1"}},
      {4,
       "What does output_padding change, and why does it exist?",
       "output_padding",
       "Output size",
       {"A stride-2 conv2d floors: with kernel 3 and padding 1 it maps both 31 and 32 pixels to 16. Going back up, a "
        "transposed convolution cannot know which of the two sizes you started from.",
        "output_padding picks: it adds op rows at the bottom and op columns at the right, never at the top or left. "
        "This layer has output_padding (1, 0), so its output is 32 rows by 31 columns.",
        "The added row is the one the bottom padding would have cropped: it holds the taps that land there (here the "
        "last input row's tap ky 2). Rows beyond the full output would hold only the bias. The outlines mark it.",
        "The round trip runs conv2d back down: 32 and 31 both map to 16, and the list shows every size that does. "
        "B, with output_padding 0, is 31x31."},
       {"Untick output_padding's link and set it to (0, 1): the outline moves from the bottom row to the right column.",
        "Try output_padding 2 with stride 2: it is refused, because it must be smaller than the stride (or dilation).",
        "Read the round trip's list: one size per value of output_padding."},
       "fractional",
       {"view.round_trip=true", "compare.output_padding=0"}},
      {5,
       "How is transposed convolution the same as zero insertion, then padding, then a flipped-kernel convolution?",
       "Zero insertion, padding, flipped kernel",
       "Scatter-then-convolve",
       {"Step 2 inserts s-1 zeros between neighbouring input pixels, so the stamps' s-pixel spacing becomes a grid.",
        "Step 3 pads every side by d*(k-1) - p (a negative amount crops), and the bottom/right by op more: the stamps "
        "that hang over the edge now fit inside.",
        "Step 4 rotates the kernel by 180 degrees. A scatter puts tap k at position i*s + k, so seen from one output "
        "pixel the taps arrive in reverse order; a convolution's window reads them forwards, hence the flip.",
        "Step 5, shown large with output pixel (7, 8)'s window outlined, is a plain stride-1 convolution, and it equals "
        "the direct output to float32 rounding.",
        "Why 'transposed': conv2d is a matrix C, from the big image to the small one. The transposed convolution "
        "multiplies by C^T. The matrix view shows both for one row."},
       {"Pan and zoom the large view; zoomed in, each pixel shows its value.",
        "Close the large view (Esc), pick Matrix: why \"transposed\" above the steps, and hover an entry: it names the tap and the two positions.",
        "Set dilation to 2: the padding of step 3 grows to d*(k-1) - p."},
       "dcgan",
       {"view.pin=7,8", "view.enlarge=convolution"}},
      {6,
       "Why are the reference page's example shapes wrong?",
       "The reference page's shapes",
       "Controls",
       {"The reference page (the conv_transpose2d API page whose examples the presets named 'Reference' copy) says "
        "this U-Net decoder layer, [8,512,8,8] with kernel 4, stride 2, padding 1 and output_padding 1, gives "
        "[8,256,16,16]. The formula disagrees: (8-1)*2 - 2*1 + 1*(4-1) + 1 + 1 = 17.",
        "Kernel 4, stride 2, padding 1 already doubles exactly: (i-1)*2 - 2 + 3 + 1 = 2i. output_padding 1 adds one "
        "more row at the bottom and one more column at the right, so the layer gives 17x17. The page's writer added "
        "output_padding out of habit.",
        "The same slip sits in two more examples: the segmentation decoder's first layer takes [4,512,16,16] to "
        "33x33, not 32x32, and the progressive GAN's first takes [8,512,1,1] to 3x3, not 2x2. The GAN generator "
        "example, kernel 5 with padding 2, does need output_padding 1 to go from 4 to 8, and is right."},
       {"Press 'Apply the corrected parameters': output_padding 0 gives the 16x16 the page wanted.",
        "Pick the other reference examples in the preset list and read their captions.",
        "Run `convt demo` in a terminal: it lists every example with its true shapes."},
       "unet",
       {}},
  };
  return list;
}

const std::vector<std::string>& lessons_introduction() {
  static const std::vector<std::string> text = {
      "ConvT Lab shows what conv_transpose2d does, with PyTorch's rules, on images, random tensors and real models.",
      "On the left you set the input and the layer. The middle shows the feature maps and how the output is built; "
      "the right, the output size and the checkerboard analysis. Hover a pixel to see its links; click it to pin it.",
      "Each lesson answers one question a learner asks, sets the app up for it, and points at the panel that answers. "
      "Start anywhere:"};
  return text;
}

void apply_lesson(int64_t number, LabState& state) {
  if (number < 0 || number > kLessonCount)
    throw_invalid("there is no lesson " + std::to_string(number) + ": lessons are 1 to " +
                  std::to_string(kLessonCount) + " (0 is the introduction)", "lesson");
  LabState next = state;
  // What an earlier lesson opened closes: each lesson starts from its preset's plain screen.
  const ViewSettings defaults;
  next.view.pin = defaults.pin;
  next.view.matrix = defaults.matrix;
  next.view.round_trip = defaults.round_trip;
  next.view.enlarge = defaults.enlarge;
  next.view.replay_1d = defaults.replay_1d;
  next.compare = {};
  if (number == 0) {
    apply_preset("checkerboard", next);
  } else {
    const Lesson& lesson = lessons()[static_cast<size_t>(number - 1)];
    apply_preset(lesson.preset, next);
    for (const std::string& setting : lesson.settings) apply_setting(setting, next);
  }
  next.view.lessons = true;
  next.view.lesson = number;
  state = std::move(next);
}

}  // namespace convt::lab
