// One worker thread that runs the latest job only. The UI submits a job tagged with a generation; a newer
// submission replaces a pending one and asks the running one to stop at its next checkpoint, and a result is
// handed back only if no newer job was submitted meanwhile, so stale results are dropped, never shown.
// The UI polls once per frame (take_result) and reads progress; it never blocks on the worker.
// The worker cannot die: whatever a job throws (a std::exception, or anything else) becomes a result made by the
// runner's `on_failure` with the message, and the worker goes on to the next job.
#pragma once

#include <atomic>
#include <chrono>
#include <exception>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#ifdef __linux__
#include <sys/resource.h>
#include <unistd.h>
#endif

namespace convt::lab {

// Worker threads run at a lower priority than the UI thread (and so do the OpenMP threads they start, which
// inherit it): on a 2-core machine a long computation must not take the frame's time slices.
inline void lower_this_thread_priority() {
#ifdef __linux__
  setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
#endif
}

// What a running job sees: whether it has been superseded, and where to report its progress.
class JobContext {
 public:
  bool cancelled() const { return cancelled_.load(); }
  void report(float fraction, const std::string& stage) {
    fraction_.store(fraction);
    std::lock_guard<std::mutex> lock(stage_mutex_);
    stage_ = stage;
  }

 private:
  template <typename Result>
  friend class JobRunner;
  std::atomic<bool> cancelled_{false};
  std::atomic<float> fraction_{0.0f};
  mutable std::mutex stage_mutex_;
  std::string stage_;
};

// Thrown by a job at a checkpoint when JobContext::cancelled() says a newer job is waiting.
struct JobCancelled {};

template <typename Result>
class JobRunner {
 public:
  using Job = std::function<Result(JobContext&)>;
  // Turns the exception message of the job submitted as `generation` into the result the UI shows in its place.
  using Failure = std::function<Result(const std::string& message, uint64_t generation)>;

  explicit JobRunner(Failure on_failure) : on_failure_(std::move(on_failure)), worker_([this] { loop(); }) {}
  ~JobRunner() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      context_.cancelled_.store(true);
    }
    wake_.notify_all();
    worker_.join();
  }
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  void submit(uint64_t generation, Job job) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pending_ = std::move(job);
      pending_generation_ = generation;
      latest_generation_ = generation;
      context_.cancelled_.store(running_);  // a running job is now stale
    }
    wake_.notify_all();
  }

  // The newest finished result, once, if it belongs to the latest submission.
  std::optional<Result> take_result() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::optional<Result> result = std::move(finished_);
    finished_.reset();
    if (finished_generation_ != latest_generation_) return std::nullopt;
    return result;
  }

  // Drops any pending job and marks a running one stale, without queueing anything (the state became invalid).
  void cancel(uint64_t generation) {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.reset();
    finished_.reset();
    latest_generation_ = generation;
    context_.cancelled_.store(running_);
  }

  bool busy() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return running_ || pending_;
  }
  // A finished result is waiting for take_result().
  bool has_result() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return finished_.has_value() && finished_generation_ == latest_generation_;
  }
  float progress() const { return context_.fraction_.load(); }
  std::string stage() const {
    std::lock_guard<std::mutex> lock(context_.stage_mutex_);
    return context_.stage_;
  }
  double busy_seconds() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!running_) return 0.0;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  }

 private:
  void loop() {
    lower_this_thread_priority();
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || pending_; });
      if (stopping_) return;
      Job job = std::move(*pending_);
      pending_.reset();
      const uint64_t generation = pending_generation_;
      running_ = true;
      started_ = std::chrono::steady_clock::now();
      context_.cancelled_.store(false);
      context_.report(0.0f, "starting");
      lock.unlock();
      std::optional<Result> result;
      try {
        result = job(context_);
      } catch (const JobCancelled&) {
      } catch (const std::exception& e) {
        result = fail(e.what(), generation);
      } catch (...) {
        result = fail(nullptr, generation);
      }
      lock.lock();
      running_ = false;
      if (result && generation == latest_generation_) {
        finished_ = std::move(result);
        finished_generation_ = generation;
      }
    }
  }

  // Never throws (it runs inside a catch handler, maybe after a bad_alloc): a failure without a result is dropped.
  std::optional<Result> fail(const char* what, uint64_t generation) noexcept {
    try {
      return on_failure_(what ? what : "the job failed with an exception that is not a std::exception", generation);
    } catch (...) {
      return std::nullopt;  // even a failing failure handler must not end the worker
    }
  }

  Failure on_failure_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<Job> pending_;
  uint64_t pending_generation_ = 0;
  uint64_t latest_generation_ = 0;
  std::optional<Result> finished_;
  uint64_t finished_generation_ = 0;
  bool running_ = false;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point started_;
  JobContext context_;
  std::thread worker_;  // last: starts after everything it uses exists
};

}  // namespace convt::lab
