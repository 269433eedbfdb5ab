#include "train_session.h"

#include "job_runner.h"

#include <convt/error.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace convt::lab {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point then) { return std::chrono::duration<double>(Clock::now() - then).count(); }

// The crop the setup asks for in an image of this size: 0 takes the whole axis, -1 centres the crop. A crop that
// does not fit is passed on as it is, so the engine's message names it.
Crop crop_for(const TrainSetup& setup, const Tensor& image) {
  const int64_t height = image.size(-2), width = image.size(-1);
  Crop crop;
  crop.height = setup.crop_size.h > 0 ? setup.crop_size.h : height;
  crop.width = setup.crop_size.w > 0 ? setup.crop_size.w : width;
  crop.y = setup.crop_at.h >= 0 ? setup.crop_at.h : std::max<int64_t>(0, (height - crop.height) / 2);
  crop.x = setup.crop_at.w >= 0 ? setup.crop_at.w : std::max<int64_t>(0, (width - crop.width) / 2);
  return crop;
}

// One symmetric range over all the phases' kernels: each phase drawn on its own range would hide which phase
// carries more weight, which is the point of the view.
ValueRange shared_kernel_range(const std::vector<Tensor>& phases) {
  float largest = 0;
  for (const Tensor& phase : phases) {
    const ValueRange range = display_range(phase.data(), phase.numel(), Colormap::Diverging);
    largest = std::max({largest, std::fabs(range.low), std::fabs(range.high)});
  }
  if (largest == 0) largest = 1;
  return {-largest, largest};
}

}  // namespace

struct TrainSession::Contender {
  ContenderSettings settings;
  UpsamplerSpec spec;
  std::string error, pytorch;
  std::unique_ptr<Trainer> trainer;
  std::vector<StepRecord> history;
};

TrainSession::TrainSession(std::string samples_dir)
    : samples_dir_(std::move(samples_dir)), worker_([this] { loop(); }) {}

TrainSession::~TrainSession() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void TrainSession::configure(const TrainSetup& setup, std::shared_ptr<const Tensor> app_input) {
  std::lock_guard<std::mutex> lock(mutex_);
  const bool uses_input = setup.image == "input";
  if (!uses_input) app_input.reset();
  else if (!app_input && requested_) app_input = requested_->app_input;
  if (requested_ && requested_->setup == setup && requested_->app_input == app_input) return;
  requested_ = Request{setup, std::move(app_input)};
  rebuild_pending_ = true;
  steps_pending_ = 0;  // steps asked for before belong to the old setup
  changed_.notify_all();
}

void TrainSession::reset() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!requested_) return;
  rebuild_pending_ = true;
  steps_pending_ = 0;
  changed_.notify_all();
}

void TrainSession::set_playing(bool playing) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (playing_ == playing) return;
  playing_ = playing;
  changed_.notify_all();
}

bool TrainSession::playing() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return playing_;
}

void TrainSession::step(int64_t count) {
  if (count <= 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  steps_pending_ += count;
  changed_.notify_all();
}

bool TrainSession::working_locked() const {
  return rebuild_pending_ || building_ || steps_pending_ > 0 || (unpublished_ && !playing_);
}

bool TrainSession::working() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return working_locked();
}

std::shared_ptr<const TrainSnapshot> TrainSession::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return snapshot_;
}

bool TrainSession::wait_until_idle(double timeout_seconds) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, std::chrono::duration<double>(timeout_seconds), [this] { return !working_locked(); });
}

void TrainSession::loop() {
  lower_this_thread_priority();
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] {
      return stopping_ || rebuild_pending_ || steps_pending_ > 0 || (playing_ && live_) || (unpublished_ && !playing_);
    });
    if (stopping_) return;
    if (rebuild_pending_) {
      const Request request = *requested_;
      rebuild_pending_ = false;
      building_ = true;
      const uint64_t id = ++setup_id_;
      lock.unlock();
      mark_preparing();
      rebuild(request, id);
      lock.lock();
      if (!rebuild_pending_) {  // not superseded meanwhile: show it
        lock.unlock();
        publish();
        lock.lock();
      }
      building_ = false;
      changed_.notify_all();
      continue;
    }
    if (!live_) {
      steps_pending_ = 0;  // nothing can step: the request is answered by the error on screen
      if (unpublished_) {
        lock.unlock();
        publish();
        lock.lock();
      }
      changed_.notify_all();
      continue;
    }
    if (playing_ || steps_pending_ > 0) {
      if (steps_pending_ > 0) --steps_pending_;
      unpublished_ = true;
      lock.unlock();
      step_all();
      lock.lock();
      const bool finished = !playing_ && steps_pending_ == 0;
      if (finished || seconds_since(last_publish_) >= kPublishSeconds) {
        lock.unlock();
        publish();
        lock.lock();
      }
      continue;
    }
    if (unpublished_) {  // paused between two snapshots
      lock.unlock();
      publish();
      lock.lock();
    }
  }
}

std::shared_ptr<const Tensor> TrainSession::load_image(const TrainSetup& setup,
                                                       const std::shared_ptr<const Tensor>& app_input) {
  if (setup.image == "input") {
    if (!app_input) throw_invalid("train.image=input: the app's input is not computed yet", "train.image");
    if (app_input->dim() != 4 || app_input->size(0) != 1)
      throw_invalid("train.image=input: the app's input has shape " + shape_to_string(app_input->shape()) +
                        "; the lab learns one image, [1, C, H, W]",
                    "train.image");
    return app_input;
  }
  if (setup.image.empty()) throw_invalid("train.image: choose a sample, an image file or input", "train.image");
  std::string path = setup.image;
  // A bare name is a sample's: "scene" is assets/samples/scene.png.
  const bool sample = path.find('/') == std::string::npos && path.find('.') == std::string::npos;
  if (sample) {
    path = (std::filesystem::path(samples_dir_) / (setup.image + ".png")).string();
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error))
      throw_invalid("train.image: there is no sample named '" + setup.image + "' (" + path + ")", "train.image");
  }
  if (path != image_path_ || !image_) {
    image_.reset();
    image_ = std::make_shared<const Tensor>(read_image(path));
    image_path_ = path;
  }
  return image_;
}

void TrainSession::rebuild(const Request& request, uint64_t setup_id) {
  const TrainSetup& setup = request.setup;
  contenders_.clear();
  data_.reset();
  target_.reset();
  input_.reset();
  live_ = false;
  build_error_.clear();
  built_setup_ = setup;
  built_id_ = setup_id;
  steps_done_ = 0;
  record_every_ = 1;
  steps_per_second_ = 0;
  try {
    const std::shared_ptr<const Tensor> image = load_image(setup, request.app_input);
    data_ = make_training_data(*image, crop_for(setup, *image), setup.factor, setup.color);
    target_ = std::make_shared<const Tensor>(data_->target);
    input_ = std::make_shared<const Tensor>(data_->input);
  } catch (const std::exception& e) {
    data_.reset();
    build_error_ = e.what();
    return;
  }
  const int64_t count = std::clamp<int64_t>(setup.contenders, 1, kMaxContenders);
  for (int64_t i = 0; i < count; ++i) {
    auto contender = std::make_unique<Contender>();
    contender->settings = setup.contender[static_cast<size_t>(i)];
    UpsamplerSpec& spec = contender->spec;
    spec.kind = contender->settings.model;
    spec.factor = setup.factor;
    spec.channels = data_->target.size(1);
    spec.kernel = contender->settings.kernel;
    spec.hidden = setup.hidden;
    spec.resize = setup.resize;
    try {
      validate(spec);
      contender->pytorch = pytorch_module(spec);
      check_training_budget(spec, data_->target.shape(), count);
      TrainConfig config;
      config.model = spec;
      config.init = parse_init(contender->settings.init, setup.seed);
      config.loss = setup.loss;
      config.optimizer.kind = setup.optimizer;
      config.optimizer.lr = setup.learning_rate;
      config.optimizer.momentum = setup.optimizer == OptimizerKind::Sgd ? setup.momentum : 0.0;
      validate(config.optimizer);
      contender->trainer = std::make_unique<Trainer>(*data_, config);
      live_ = true;
    } catch (const std::exception& e) {
      contender->trainer.reset();
      contender->error = e.what();
    }
    contenders_.push_back(std::move(contender));
  }
  rate_steps_ = 0;
}

void TrainSession::step_all() {
  // After a pause the rate starts again, so it says how fast steps run, not how long the user waited.
  if (seconds_since(last_step_) > 0.25) {
    rate_since_ = Clock::now();
    rate_steps_ = 0;
  }
  for (const std::unique_ptr<Contender>& contender : contenders_) {
    if (!contender->trainer) continue;
    try {
      const StepRecord record = contender->trainer->step();
      if (record.step % record_every_ == 0) contender->history.push_back(record);
    } catch (const std::exception& e) {
      contender->error = std::string("training stopped: ") + e.what();
      contender->trainer.reset();
    }
  }
  ++steps_done_;
  live_ = std::any_of(contenders_.begin(), contenders_.end(), [](const auto& c) { return c->trainer != nullptr; });
  // A long run keeps every other record each time the history fills: the plots keep their shape and cost.
  size_t longest = 0;
  for (const auto& contender : contenders_) longest = std::max(longest, contender->history.size());
  if (longest > kMaxRecords) {
    record_every_ *= 2;
    for (const auto& contender : contenders_)
      std::erase_if(contender->history, [this](const StepRecord& r) { return r.step % record_every_ != 0; });
  }
  ++rate_steps_;
  last_step_ = Clock::now();
  const double elapsed = seconds_since(rate_since_);
  if (elapsed >= 0.5 || (steps_per_second_ == 0 && rate_steps_ >= 3)) {  // a first estimate early, then each half second
    steps_per_second_ = static_cast<double>(rate_steps_) / elapsed;
  }
  if (elapsed >= 0.5) {
    rate_steps_ = 0;
    rate_since_ = Clock::now();
  }
}

void TrainSession::mark_preparing() {
  std::lock_guard<std::mutex> lock(mutex_);
  auto next = snapshot_ ? std::make_shared<TrainSnapshot>(*snapshot_) : std::make_shared<TrainSnapshot>();
  next->preparing = true;
  next->version = ++version_;
  snapshot_ = std::move(next);
}

void TrainSession::publish() {
  auto next = std::make_shared<TrainSnapshot>();
  next->setup_id = built_id_;
  next->setup = built_setup_;
  next->error = build_error_;
  next->target = target_;
  next->input = input_;
  next->steps = steps_done_;
  next->record_every = record_every_;
  next->steps_per_second = steps_per_second_;
  for (const std::unique_ptr<Contender>& contender : contenders_) {
    ContenderSnapshot shown;
    shown.settings = contender->settings;
    shown.spec = contender->spec;
    shown.error = contender->error;
    shown.pytorch = contender->pytorch;
    shown.history = contender->history;
    if (contender->trainer) {
      try {
        auto view = std::make_shared<const TrainerView>(contender->trainer->view());
        shown.latest = view->record;
        shown.gradient_score = view->input_gradient_score;
        shown.kernel_range = shared_kernel_range(view->kernel_phases);
        shown.view = std::move(view);
      } catch (const std::exception& e) {
        shown.error = std::string("no view: ") + e.what();
      }
    }
    next->contenders.push_back(std::move(shown));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  next->version = ++version_;
  snapshot_ = std::move(next);
  unpublished_ = false;
  last_publish_ = Clock::now();
  changed_.notify_all();
}

}  // namespace convt::lab
