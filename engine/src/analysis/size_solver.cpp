// The size solver: o = (i-1)*s - 2p + d*(k-1) + op + 1 rearranged as 2p - op = (i-1)*s + d*(k-1) + 1 - o,
// searched over the op values the rules allow (op < max(s, d)).
#include <convt/analysis.h>

#include <algorithm>

namespace convt {

std::vector<PaddingChoice> solve_padding(int64_t input, int64_t kernel, int64_t stride, int64_t dilation,
                                         int64_t wanted_output) {
  std::vector<PaddingChoice> choices;
  if (input < 1 || kernel < 1 || stride < 1 || dilation < 1 || wanted_output < 1) return choices;
  const int64_t difference = (input - 1) * stride + dilation * (kernel - 1) + 1 - wanted_output;  // 2p - op
  // op >= -difference keeps p >= 0, and op of the same parity as difference makes 2p even: start at the first
  // such op and step by 2.
  int64_t op = std::max<int64_t>(0, -difference);
  if ((difference + op) % 2 != 0) ++op;
  for (; op < std::max(stride, dilation) && static_cast<int64_t>(choices.size()) < kMaxListedAnswers; op += 2)
    choices.push_back({(difference + op) / 2, op});
  return choices;
}

std::vector<ForwardInput> conv2d_inputs_mapping_to(int64_t output, int64_t kernel, int64_t stride, int64_t padding,
                                                   int64_t dilation) {
  std::vector<ForwardInput> inputs;
  if (output < 1 || kernel < 1 || stride < 1 || dilation < 1 || padding < 0) return inputs;
  // The transposed conv's size with output_padding 0; each further op adds one.
  const int64_t smallest = (output - 1) * stride + dilation * (kernel - 1) + 1 - 2 * padding;
  // Sizes below 1, or too small for the kernel, come first when they occur: skip them without a loop.
  const int64_t first = std::max<int64_t>({0, 1 - smallest, dilation * (kernel - 1) + 1 - 2 * padding - smallest});
  for (int64_t op = first; op < stride && static_cast<int64_t>(inputs.size()) < kMaxListedAnswers; ++op) {
    const int64_t i = smallest + op;
    if (i >= 1 && i + 2 * padding >= dilation * (kernel - 1) + 1 &&
        conv_axis_size(i, kernel, stride, padding, dilation) == output)
      inputs.push_back({i, op});
  }
  return inputs;
}

}  // namespace convt
