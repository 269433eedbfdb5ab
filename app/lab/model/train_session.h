// The Train lab's training session: up to three convt::Trainers (train.h) on one worker thread of their own, at a
// lowered priority like the app's other workers. The UI configures it, plays, pauses and steps it, and reads an
// immutable snapshot once per frame; it never waits on a step. A changed setup rebuilds the trainers on the worker
// (reading an image is I/O) and the history starts again at step 0. Whatever goes wrong (an unreadable image, a
// crop that leaves it, an init that does not fit a model) becomes a message in the snapshot, never an exception
// on the UI thread. No ImGui, no GL.
#pragma once

#include "train_settings.h"

#include <convt/image.h>
#include <convt/tensor.h>
#include <convt/train.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace convt::lab {

// What one contender shows at the snapshot's step.
struct ContenderSnapshot {
  ContenderSettings settings;
  UpsamplerSpec spec;
  std::string error;  // it could not be built (its init or kernel does not fit); nothing below is valid then
  std::string pytorch;  // the PyTorch module it equals (train.h, pytorch_module)
  // Records measured before each update: step 0 first, then every `record_every`-th step (a long run keeps one in
  // two records each time the history fills, so the plots stay cheap).
  std::vector<StepRecord> history;
  std::optional<StepRecord> latest;  // at the current parameters (the snapshot's step)
  std::shared_ptr<const TrainerView> view;
  std::optional<ArtifactScore> gradient_score;  // the input gradient's checkerboard (Distill 2016)
  ValueRange kernel_range;  // one symmetric range over every phase's kernel, so the phases compare
};

struct TrainSnapshot {
  uint64_t version = 0;   // grows with every snapshot
  uint64_t setup_id = 0;  // grows with every rebuild
  TrainSetup setup;       // what these contenders were built from
  bool preparing = false;  // the trainers are being built: nothing below belongs to `setup` yet
  std::string error;       // the data could not be made (image, crop, factor): no contender runs
  std::shared_ptr<const Tensor> target, input;  // [1, C, H, W] and its f x f average pooling
  std::vector<ContenderSnapshot> contenders;
  int64_t steps = 0;             // updates each contender has had
  int64_t record_every = 1;
  double steps_per_second = 0;   // while running: steps of every contender per second of wall time
};

class TrainSession {
 public:
  // The history keeps at most about this many records per contender (see ContenderSnapshot::history).
  static constexpr size_t kMaxRecords = 2048;
  // A running session publishes a snapshot (views and all) at most this often.
  static constexpr double kPublishSeconds = 0.1;

  // `samples_dir` holds the sample images a setup names (NAME.png).
  explicit TrainSession(std::string samples_dir);
  ~TrainSession();
  TrainSession(const TrainSession&) = delete;
  TrainSession& operator=(const TrainSession&) = delete;

  // Rebuilds the trainers when `setup` (or, for image "input", `app_input`) differs from the last one asked for.
  // A null `app_input` keeps the last one (the app's input may be recomputing).
  void configure(const TrainSetup& setup, std::shared_ptr<const Tensor> app_input = nullptr);
  // Rebuilds them from the last setup: every contender back to its initial weights, the history emptied.
  void reset();
  void set_playing(bool playing);
  bool playing() const;
  // Queues `count` steps of every contender (after a rebuild asked for before).
  void step(int64_t count = 1);

  // True while something asked for is not yet in the snapshot: a rebuild, queued steps, or (paused) steps not yet
  // shown. Playing alone is not work: a screenshot does not wait for a session that never ends.
  bool working() const;
  std::shared_ptr<const TrainSnapshot> snapshot() const;

  // Waits (for tests and the CLI-like uses) until working() is false; false on timeout.
  bool wait_until_idle(double timeout_seconds) const;

 private:
  struct Contender;
  struct Request {
    TrainSetup setup;
    std::shared_ptr<const Tensor> app_input;
  };
  void loop();
  void rebuild(const Request& request, uint64_t setup_id);
  void step_all();
  void mark_preparing();
  void publish();
  bool working_locked() const;
  std::shared_ptr<const Tensor> load_image(const TrainSetup& setup, const std::shared_ptr<const Tensor>& app_input);

  const std::string samples_dir_;

  // Shared with the UI thread, under mutex_.
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;  // the worker waits on it for commands, wait_until_idle for progress
  std::optional<Request> requested_;  // the last setup asked for
  bool rebuild_pending_ = false;
  uint64_t setup_id_ = 0;
  bool playing_ = false;
  int64_t steps_pending_ = 0;
  bool unpublished_ = false;  // steps ran that no snapshot shows yet
  bool building_ = false;
  bool stopping_ = false;
  uint64_t version_ = 0;
  std::shared_ptr<const TrainSnapshot> snapshot_;

  // The worker's own (never touched by the UI thread).
  std::vector<std::unique_ptr<Contender>> contenders_;
  std::optional<TrainingData> data_;
  bool live_ = false;  // some contender has a trainer
  TrainSetup built_setup_;
  uint64_t built_id_ = 0;
  std::string build_error_;
  int64_t steps_done_ = 0;
  int64_t record_every_ = 1;
  std::shared_ptr<const Tensor> target_, input_;
  std::string image_path_;  // the file image_ was read from
  std::shared_ptr<const Tensor> image_;
  std::chrono::steady_clock::time_point last_publish_, rate_since_, last_step_;
  int64_t rate_steps_ = 0;
  double steps_per_second_ = 0;

  std::thread worker_;  // last: starts after everything it uses exists
};

}  // namespace convt::lab
