// The learnable-upsampling trainer: one small super-resolution model (an optional feature layer, then one
// upsampling layer) trained full-batch on one image, composed from the ops of ops.h (no general autograd).
// Each model equals a PyTorch module (README, "convt train"); each step is deterministic per seed.
#pragma once

#include <convt/analysis.h>
#include <convt/backend.h>
#include <convt/params.h>
#include <convt/tensor.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace convt {

// ---- The model --------------------------------------------------------------------------------------------

// deconv:      ConvTranspose2d(C, C_in, k, stride=f, padding=p, output_padding=op), p = max(0, ceil((k-f)/2)),
//              op = f + 2p - k, so the output is exactly f times the input;
// resize-conv: interpolate(scale_factor=f, nearest | bilinear with align_corners=False), then
//              Conv2d(C, C_in, k, padding=(k-1)/2), k odd;
// subpixel:    Conv2d(C, C_in*f*f, k, padding=(k-1)/2), then pixel_shuffle(f), k odd.
// C is the hidden width when there is a feature layer (Conv2d(C_in, C_h, 3, padding=1) then ReLU), else C_in.
enum class UpsamplerKind { Deconv, ResizeConv, Subpixel };
// "deconv", "resize-conv", "subpixel": the names in enum order (the CLI, --set, the app).
std::span<const char* const> upsampler_kind_names();
UpsamplerKind parse_upsampler_kind(const std::string& name);
const char* to_string(UpsamplerKind kind);

struct UpsamplerSpec {
  UpsamplerKind kind = UpsamplerKind::Deconv;
  int64_t factor = 2;    // f, 2 to 4
  int64_t channels = 1;  // C_in: 1 (grey) or 3 (RGB)
  int64_t kernel = 3;    // k of the upsampling layer
  int64_t hidden = 0;    // C_h; 0: no feature layer
  InterpolateMode resize = InterpolateMode::Nearest;  // resize-conv only
  bool operator==(const UpsamplerSpec&) const = default;
};

constexpr int64_t kMaxTrainFactor = 4;
constexpr int64_t kMaxTrainKernel = 15;
constexpr int64_t kMaxTrainHidden = 256;

// ErrorKind::InvalidArgument naming the parameter and the rule (f < 2, an even k for resize-conv or subpixel, ...).
void validate(const UpsamplerSpec& spec);

// The deconv layer's parameters: stride f, padding p = max(0, ceil((k-f)/2)), output_padding f + 2p - k.
ConvTranspose2dParams deconv_params(int64_t kernel, int64_t factor);

// The learnable tensors in a fixed order: features.weight, features.bias (when hidden > 0), up.weight, up.bias.
struct NamedTensor {
  std::string name;
  Tensor value;
};
// The names and shapes the spec's parameters have, in that order.
std::vector<std::pair<std::string, Shape>> parameter_shapes(const UpsamplerSpec& spec);

struct UpsamplerModel {
  UpsamplerSpec spec;
  std::vector<NamedTensor> parameters;
  const Tensor& parameter(const std::string& name) const;  // ErrorKind::InvalidArgument when absent
  Tensor& parameter(const std::string& name);
};

// The PyTorch module the spec equals, one line per module: what the README and the app show.
std::string pytorch_module(const UpsamplerSpec& spec);

// ---- Initialisation ---------------------------------------------------------------------------------------

// kaiming:  PyTorch's default per module: weight kaiming_uniform(a=sqrt(5)), i.e. U(+-1/sqrt(fan_in)), bias
//           U(+-1/sqrt(fan_in)); fan_in = weight.size(1) * k * k for both Conv2d and ConvTranspose2d.
// icnr:     subpixel only: the feature layer as kaiming; the upsampling layer's C_in base filters (and biases) are
//           drawn as kaiming for a Conv2d(C, C_in, k) and copied to each output channel's f*f sub-filters.
// bilinear: deconv only, with k = 2f - f mod 2 (FCN's kernel): the bilinear kernel on the channel diagonal
//           (input channel c feeds output channel c mod C_in), bias 0; the feature layer as kaiming.
// file:     a .safetensors file holding exactly the spec's parameters by name, with their shapes.
enum class InitKind { Kaiming, Icnr, Bilinear, File };

struct InitSpec {
  InitKind kind = InitKind::Kaiming;
  std::string path;  // InitKind::File
  uint64_t seed = 0;
};

// "kaiming", "icnr", "bilinear", or anything else as a file path (which must end in .safetensors).
InitSpec parse_init(const std::string& text, uint64_t seed);
std::string to_string(const InitSpec& init);

// ErrorKind::InvalidArgument (or Io for the file) when the init does not fit the spec, naming the rule.
UpsamplerModel init_model(const UpsamplerSpec& spec, const InitSpec& init);

// ---- Data -------------------------------------------------------------------------------------------------

enum class TrainColor { Grey, Rgb };
// "grey", "rgb"
std::span<const char* const> train_color_names();
TrainColor parse_train_color(const std::string& name);
const char* to_string(TrainColor color);

struct Crop {
  int64_t y = 0, x = 0, height = 0, width = 0;  // height or width 0: the whole image
};

struct TrainingData {
  Tensor target;  // [1, C_in, H, W], values in [0, 1]
  Tensor input;   // [1, C_in, H/f, W/f]: the target's f x f average pooling
};

// image: [1, C, H, W] in [0, 1] as read_image gives it (1 to 4 channels; alpha is dropped). Grey is
// 0.299 R + 0.587 G + 0.114 B; RGB from a grey image repeats it. ErrorKind::InvalidArgument for a crop that
// leaves the image, or a crop size that is not a multiple of the factor.
TrainingData make_training_data(const Tensor& image, const Crop& crop, int64_t factor, TrainColor color);

// The f x f average pooling of a [N, C, H, W] tensor whose H and W are multiples of f.
Tensor average_pool(const Tensor& image, int64_t factor);

// ---- Forward and backward ---------------------------------------------------------------------------------

// The intermediate tensors of one forward pass, kept for the backward pass.
struct ForwardPass {
  Tensor features_pre;  // the feature conv's output before ReLU (hidden > 0)
  Tensor features;      // after ReLU: the upsampling layer's input (or the model input when hidden == 0)
  Tensor resized;       // resize-conv: the interpolated features
  Tensor unshuffled;    // subpixel: the conv output before pixel_shuffle
  Tensor output;        // [1, C_in, f*h, f*w]
};

ForwardPass forward(const UpsamplerModel& model, const Tensor& input);
Tensor output_of(const UpsamplerModel& model, const Tensor& input);

struct ModelGradients {
  std::vector<Tensor> parameters;  // in the model's parameter order
  Tensor input;                    // d loss / d input (only when asked for)
};

ModelGradients backward(const UpsamplerModel& model, const Tensor& input, const ForwardPass& pass,
                        const Tensor& grad_output, bool with_input_gradient);

// The output shape for an input shape [N, C_in, h, w]: [N, C_in, f*h, f*w].
Shape model_output_shape(const UpsamplerSpec& spec, const Shape& input_shape);

// ---- Metrics ----------------------------------------------------------------------------------------------

// 10 log10(1 / mse), peak 1 (infinite for a perfect match).
double psnr(const Tensor& output, const Tensor& target);

// The artifact score of a model's output (analysis.h): the variance explained by the phase (o mod f) over the
// interior, leaving out the border pixels the layers' zero padding reaches.
ArtifactScore output_artifact_score(const UpsamplerSpec& spec, const Tensor& output);

// The artifact score of d loss / d input, with the phase (i mod f) of the input grid. For these models it stays near
// 0: the gradient crosses the upsampling layer's adjoint, a strided correlation in which every input pixel collects
// all k x k taps. (Distill's gradient checkerboard comes from a strided conv in the forward pass.)
ArtifactScore input_gradient_artifact_score(const UpsamplerSpec& spec, const Tensor& grad_input);

// The upsampling layer's kernel from its first input channel to its first output channel, per output phase: f*f
// planes in row-major phase order (deconv: the taps that reach phase (ry, rx); subpixel: the sub-filter of that
// phase), or one plane for resize-conv, whose single kernel serves every phase.
std::vector<Tensor> kernel_phases(const UpsamplerModel& model);

// ---- Optimisers -------------------------------------------------------------------------------------------

enum class OptimizerKind { Sgd, Adam };
// "sgd", "adam"
std::span<const char* const> optimizer_names();
OptimizerKind parse_optimizer(const std::string& name);
const char* to_string(OptimizerKind kind);
std::span<const char* const> loss_names();  // "mse", "l1"
LossKind parse_loss(const std::string& name);

// torch.optim.SGD (dampening 0, no Nesterov, no weight decay) and torch.optim.Adam (no weight decay, no amsgrad),
// with the same update order and rounding points as PyTorch's single-tensor implementation.
struct OptimizerSpec {
  OptimizerKind kind = OptimizerKind::Adam;
  double lr = 0.01;
  double momentum = 0.0;  // SGD
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // Adam
};

void validate(const OptimizerSpec& spec);

class Optimizer {
 public:
  explicit Optimizer(OptimizerSpec spec) : spec_(spec) {}
  // Updates each parameter in place from its gradient (same order and shapes on every call).
  void step(std::vector<NamedTensor>& parameters, const std::vector<Tensor>& gradients);
  int64_t steps() const { return steps_; }

 private:
  OptimizerSpec spec_;
  int64_t steps_ = 0;
  std::vector<Tensor> first_moment_, second_moment_;  // SGD keeps its momentum buffer in first_moment_
};

// ---- The trainer ------------------------------------------------------------------------------------------

struct TrainConfig {
  UpsamplerSpec model;
  InitSpec init;
  LossKind loss = LossKind::Mse;
  OptimizerSpec optimizer;
  bool input_gradient_score = false;  // log the gradient checkerboard too
};

struct StepRecord {
  int64_t step = 0;  // updates applied before this measurement
  double loss = 0, psnr = 0, artifact_score = 0;
  std::optional<double> input_gradient_artifact_score;
};

// Whether training has blown up: the loss is not finite, or above kDivergedLoss (an output about a thousand times
// its [0, 1] range). The CLI warns and the lab stops showing that contender's views.
constexpr double kDivergedLoss = 1e6;
bool diverged(const StepRecord& record);

// The bytes one trainer needs at most (activations, gradients, optimiser state) for this data and model.
uint64_t training_bytes(const UpsamplerSpec& spec, const Shape& target_shape);
// ErrorKind::OutOfMemoryBudget naming the bytes when `contenders` trainers would exceed the memory budget.
void check_training_budget(const UpsamplerSpec& spec, const Shape& target_shape, int64_t contenders = 1);

// What a view shows of a trainer at its current step.
struct TrainerView {
  int64_t step = 0;
  StepRecord record;  // the metrics at this step, the input gradient's score included
  Tensor output;      // [1, C_in, H, W]
  Tensor difference;  // output - target
  Tensor input_gradient;  // d loss / d input, [1, C_in, h, w]
  ArtifactScore score;    // of the output (phase means for the per-phase map)
  ArtifactScore input_gradient_score;
  std::vector<Tensor> kernel_phases;
};

class Trainer {
 public:
  // Checks the spec against the data (channels, size), the memory budget, and initialises the model.
  Trainer(TrainingData data, const TrainConfig& config);

  // One optimiser step; returns the record measured *before* it (loss, metrics at step()).
  StepRecord step();
  // The record at the current parameters without changing them.
  StepRecord measure() const;
  int64_t steps_done() const { return optimizer_.steps(); }

  // Runs `steps` updates, recording step 0, every `log_every`-th step and the last one (as `history`). Calls
  // `progress(done, steps)` after each update when given.
  std::vector<StepRecord> run(int64_t steps, int64_t log_every,
                              const std::function<void(int64_t, int64_t)>& progress = {});

  TrainerView view() const;
  const UpsamplerModel& model() const { return model_; }
  const TrainingData& data() const { return data_; }
  const TrainConfig& config() const { return config_; }

 private:
  // The metrics of a forward pass; `output_score` when the caller has measured the output already.
  StepRecord record(const ForwardPass& pass, const Tensor* grad_input, const ArtifactScore* output_score = nullptr) const;

  TrainingData data_;
  TrainConfig config_;
  UpsamplerModel model_;
  Optimizer optimizer_;
};

// Writes the model's parameters by name as a float32 .safetensors file, atomically.
void save_parameters(const std::string& path, const UpsamplerModel& model);

}  // namespace convt
