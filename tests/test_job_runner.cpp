// JobRunner, the lab's one-worker latest-job-wins runner: what the UI relies on is that a result comes back once,
// only for the newest submission, that superseded jobs are told to stop, and that quitting never waits on a job.
// Job timing is driven by promises and atomics (never by sleeping and hoping), so every ordering below is forced.
#include "model/job_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

namespace convt::lab {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kTimeout = std::chrono::seconds(5);  // generous upper bound; every wait ends far sooner

// Polls until the runner has neither a pending nor a running job (the worker is a separate thread).
bool wait_idle(const JobRunner<int>& runner) {
  const auto deadline = Clock::now() + kTimeout;
  while (runner.busy()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Spins in a job until it is told to stop; bounded so a runner that never cancels fails the test, not hangs it.
bool wait_cancelled(const JobContext& context) {
  const auto deadline = Clock::now() + kTimeout;
  while (!context.cancelled()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

// What the runner hands back for a job that threw.
int fail_as_minus_one(const std::string&, uint64_t) { return -1; }

template <typename T>
bool ready(std::future<T>& f) {
  return f.wait_for(kTimeout) == std::future_status::ready;
}

TEST(JobRunner, DeliversAResultExactlyOnce) {
  JobRunner<int> runner(fail_as_minus_one);
  EXPECT_FALSE(runner.busy());
  EXPECT_FALSE(runner.take_result().has_value());  // nothing submitted, nothing to take
  runner.submit(1, [](JobContext&) { return 42; });
  ASSERT_TRUE(wait_idle(runner));
  const std::optional<int> result = runner.take_result();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, 42);
  EXPECT_FALSE(runner.take_result().has_value());  // the UI polls every frame: a second poll must not repeat it
}

TEST(JobRunner, NewerSubmissionReplacesAPendingOne) {
  JobRunner<int> runner(fail_as_minus_one);
  std::promise<void> first_started, release_first;
  std::shared_future<void> release = release_first.get_future().share();
  runner.submit(1, [&](JobContext&) {
    first_started.set_value();
    release.wait();
    return 1;
  });
  std::future<void> started = first_started.get_future();
  ASSERT_TRUE(ready(started));  // job 1 occupies the worker, so job 2 stays pending

  std::atomic<bool> second_ran{false};
  runner.submit(2, [&](JobContext&) {
    second_ran = true;
    return 2;
  });
  runner.submit(3, [](JobContext&) { return 3; });  // replaces job 2 before the worker could pick it up
  release_first.set_value();
  ASSERT_TRUE(wait_idle(runner));
  EXPECT_FALSE(second_ran) << "a replaced pending job must never run";
  EXPECT_EQ(runner.take_result(), std::optional<int>(3));
  EXPECT_FALSE(runner.take_result().has_value());
}

TEST(JobRunner, SupersededRunningJobIsCancelledAndItsResultDropped) {
  JobRunner<int> runner(fail_as_minus_one);
  std::promise<void> first_started;
  std::atomic<bool> first_saw_cancel{false};
  runner.submit(1, [&](JobContext& context) {
    first_started.set_value();
    first_saw_cancel = wait_cancelled(context);
    return 1;  // returns normally although superseded: the runner, not the job, must drop this
  });
  std::future<void> started = first_started.get_future();
  ASSERT_TRUE(ready(started));

  // Job 2 holds the worker until released, so we can look between job 1's end and job 2's result.
  std::promise<void> second_started, release_second;
  std::shared_future<void> release = release_second.get_future().share();
  runner.submit(2, [&](JobContext& context) {
    EXPECT_FALSE(context.cancelled()) << "a fresh job must not inherit its predecessor's cancel flag";
    second_started.set_value();
    release.wait();
    return 2;
  });
  std::future<void> second = second_started.get_future();
  ASSERT_TRUE(ready(second));  // job 1 has returned and been handled by now
  EXPECT_TRUE(first_saw_cancel);
  EXPECT_FALSE(runner.take_result().has_value()) << "job 1's result is stale and must be dropped";

  release_second.set_value();
  ASSERT_TRUE(wait_idle(runner));
  EXPECT_EQ(runner.take_result(), std::optional<int>(2));
}

TEST(JobRunner, JobCancelledProducesNoResultAndTheRunnerCarriesOn) {
  JobRunner<int> runner(fail_as_minus_one);
  runner.submit(1, [](JobContext&) -> int { throw JobCancelled{}; });
  ASSERT_TRUE(wait_idle(runner));
  EXPECT_FALSE(runner.take_result().has_value());
  runner.submit(2, [](JobContext&) { return 7; });  // the worker survived the exception
  ASSERT_TRUE(wait_idle(runner));
  EXPECT_EQ(runner.take_result(), std::optional<int>(7));
}

TEST(JobRunner, ReportsBusyProgressAndStage) {
  JobRunner<int> runner(fail_as_minus_one);
  std::promise<void> reported, release_job;
  std::shared_future<void> release = release_job.get_future().share();
  runner.submit(1, [&](JobContext& context) {
    context.report(0.5f, "halfway");
    reported.set_value();
    release.wait();
    context.report(1.0f, "done");
    return 1;
  });
  std::future<void> at_half = reported.get_future();
  ASSERT_TRUE(ready(at_half));
  EXPECT_TRUE(runner.busy());
  EXPECT_FLOAT_EQ(runner.progress(), 0.5f);
  EXPECT_EQ(runner.stage(), "halfway");
  EXPECT_GE(runner.busy_seconds(), 0.0);
  EXPECT_LT(runner.busy_seconds(), 5.0);

  release_job.set_value();
  ASSERT_TRUE(wait_idle(runner));
  EXPECT_FALSE(runner.busy());
  EXPECT_FLOAT_EQ(runner.progress(), 1.0f);
  EXPECT_EQ(runner.stage(), "done");
  EXPECT_EQ(runner.busy_seconds(), 0.0);  // the status bar shows no timer when idle
}

TEST(JobRunner, PendingJobCountsAsBusyAndANewJobRestartsProgress) {
  JobRunner<int> runner(fail_as_minus_one);
  std::promise<void> first_started, release_first;
  std::shared_future<void> release = release_first.get_future().share();
  runner.submit(1, [&](JobContext& context) {
    context.report(0.9f, "late stage");
    first_started.set_value();
    release.wait();
    return 1;
  });
  std::future<void> started = first_started.get_future();
  ASSERT_TRUE(ready(started));

  // Job 2 is only pending while job 1 runs; it still counts as busy so the UI shows a spinner at once.
  std::promise<std::pair<float, std::string>> seen_by_second;
  runner.submit(2, [&](JobContext&) {
    seen_by_second.set_value({runner.progress(), runner.stage()});
    return 2;
  });
  EXPECT_TRUE(runner.busy());
  release_first.set_value();
  std::future<std::pair<float, std::string>> seen = seen_by_second.get_future();
  ASSERT_TRUE(ready(seen));
  // The progress bar must not start job 2 at job 1's 90%.
  const auto [progress, stage] = seen.get();
  EXPECT_FLOAT_EQ(progress, 0.0f);
  EXPECT_EQ(stage, "starting");
  ASSERT_TRUE(wait_idle(runner));
  EXPECT_EQ(runner.take_result(), std::optional<int>(2));
}

TEST(JobRunner, DestructorCancelsARunningJobAndReturnsPromptly) {
  auto runner = std::make_unique<JobRunner<int>>(fail_as_minus_one);
  std::promise<void> started;
  std::atomic<bool> saw_cancel{false};
  runner->submit(1, [&](JobContext& context) {
    started.set_value();
    saw_cancel = wait_cancelled(context);  // a long computation that checks in at its checkpoints
    return 1;
  });
  std::future<void> running = started.get_future();
  ASSERT_TRUE(ready(running));
  const auto begin = Clock::now();
  runner.reset();  // quitting the app: must not wait for the job to finish on its own
  const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  EXPECT_TRUE(saw_cancel);
  EXPECT_LT(seconds, 1.0) << "the job only stops at its 5 s safety bound if the destructor does not cancel it";
}

// A job that throws must not end the worker: its failure comes back as a result, and the next job still runs.
TEST(JobRunner, AJobThrowingAStdExceptionBecomesAFailureAndTheWorkerLivesOn) {
  std::string seen;
  JobRunner<int> runner([&seen](const std::string& message, uint64_t generation) {
    seen = message;
    return static_cast<int>(-generation);
  });
  runner.submit(7, [](JobContext&) -> int { throw std::runtime_error("library says no"); });
  ASSERT_TRUE(wait_idle(runner));
  const std::optional<int> failed = runner.take_result();
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(*failed, -7);
  EXPECT_EQ(seen, "library says no");
  runner.submit(8, [](JobContext&) { return 8; });
  ASSERT_TRUE(wait_idle(runner));
  EXPECT_EQ(runner.take_result(), std::optional<int>(8));
}

TEST(JobRunner, AJobThrowingANonStdTypeBecomesAFailureAndTheWorkerLivesOn) {
  struct NotAnException {};
  std::string seen;
  JobRunner<int> runner([&seen](const std::string& message, uint64_t) {
    seen = message;
    return -1;
  });
  runner.submit(1, [](JobContext&) -> int { throw NotAnException{}; });
  ASSERT_TRUE(wait_idle(runner));
  EXPECT_EQ(runner.take_result(), std::optional<int>(-1));
  EXPECT_NE(seen.find("not a std::exception"), std::string::npos) << seen;
  runner.submit(2, [](JobContext&) -> int { throw 42; });  // an int, thrown
  ASSERT_TRUE(wait_idle(runner));
  EXPECT_EQ(runner.take_result(), std::optional<int>(-1));
  runner.submit(3, [](JobContext&) { return 3; });
  ASSERT_TRUE(wait_idle(runner));
  EXPECT_EQ(runner.take_result(), std::optional<int>(3));
}

}  // namespace
}  // namespace convt::lab
