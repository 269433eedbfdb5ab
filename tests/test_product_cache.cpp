// ProductCache, the app's on-demand analyses: a product is made only when asked for, once, then served from the
// cache; small ones at once, others on its worker; what nobody asks for any more is skipped and forgotten; and
// whatever a product or a task throws becomes its error while the worker lives on. Orderings are forced with
// promises, never with sleeps that hope.
#include "model/product_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>

namespace convt::lab {
namespace {

using Clock = std::chrono::steady_clock;

// Asks for `key` once per frame until it is made (or failed), as a panel does; bounded so a hang fails.
template <typename T>
ProductCache::Typed<T> wait_made(ProductCache& cache, const std::string& key, std::function<T()> make) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  for (;;) {
    ProductCache::Typed<T> got = cache.get<T>(key, {}, make, false);
    if (got.value || !got.error.empty() || Clock::now() > deadline) return got;
    cache.next_frame();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

bool wait_idle(const ProductCache& cache) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (cache.busy())
    if (Clock::now() > deadline) return false;
  return true;
}

TEST(ProductCache, NothingIsMadeUntilAskedAndACheapProductIsMadeOnceAtOnce) {
  ProductCache cache;
  std::atomic<int> calls{0};
  auto make = [&calls] { return ++calls * 10; };
  EXPECT_FALSE(cache.busy());
  EXPECT_EQ(calls, 0);
  const auto first = cache.get<int>("answer", {}, make, true);
  ASSERT_TRUE(first.value);
  EXPECT_EQ(*first.value, 10);
  const auto second = cache.get<int>("answer", {}, make, true);
  EXPECT_EQ(second.value, first.value) << "served from the cache";
  EXPECT_EQ(second.id, first.id);
  EXPECT_EQ(calls, 1);
}

TEST(ProductCache, AProductIsMadeOnTheWorkerAndServedOnceMade) {
  ProductCache cache;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> calls{0};
  std::function<int()> make = [&] {
    released.wait();
    return ++calls;
  };
  const auto pending = cache.get<int>("slow", {}, make, false);
  EXPECT_FALSE(pending.value) << "not made inside the frame";
  EXPECT_TRUE(cache.busy());
  release.set_value();
  const auto got = wait_made<int>(cache, "slow", make);
  ASSERT_TRUE(got.value);
  EXPECT_EQ(*got.value, 1);
  EXPECT_EQ(calls, 1) << "asking every frame queues it once";
  EXPECT_TRUE(wait_idle(cache));
}

TEST(ProductCache, FailuresOfAnyTypeAreErrorsAndTheWorkerLivesOn) {
  ProductCache cache;
  const auto std_failure = wait_made<int>(cache, "throws", [] () -> int { throw std::runtime_error("bad view"); });
  EXPECT_FALSE(std_failure.value);
  EXPECT_EQ(std_failure.error, "bad view");
  const auto odd_failure = wait_made<int>(cache, "throws an int", [] () -> int { throw 7; });
  EXPECT_NE(odd_failure.error.find("not a std::exception"), std::string::npos) << odd_failure.error;
  const auto fine = wait_made<int>(cache, "fine", [] { return 3; });
  ASSERT_TRUE(fine.value) << "the worker still runs";
  EXPECT_EQ(*fine.value, 3);
  const auto cheap_failure = cache.get<int>("cheap throws", {}, [] () -> int { throw std::bad_alloc(); }, true);
  EXPECT_EQ(cheap_failure.error, "out of memory for this view");
}

TEST(ProductCache, WhatNobodyAsksForIsForgottenAndAStaleWishIsSkipped) {
  ProductCache cache;
  int calls = 0;
  ASSERT_TRUE(cache.get<int>("kept", {}, [&calls] { return ++calls; }, true).value);
  for (int frame = 0; frame < 4; ++frame) {
    cache.next_frame();
    cache.get<int>("kept", {}, [&calls] { return ++calls; }, true);
  }
  EXPECT_EQ(calls, 1) << "asked for every frame: kept";
  for (int frame = 0; frame < 20; ++frame) cache.next_frame();
  cache.get<int>("kept", {}, [&calls] { return ++calls; }, true);
  EXPECT_EQ(calls, 2) << "unasked for many frames: forgotten, and made again when asked";

  // Hold the worker with a task, queue a wish, stop asking for it: the worker must skip it.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> task_started;
  cache.submit_task([&] {
    task_started.set_value();
    released.wait();
    return std::string("task done");
  });
  task_started.get_future().wait();
  std::atomic<bool> made{false};
  cache.get<int>("abandoned", {}, [&made] {
    made = true;
    return 1;
  }, false);
  for (int frame = 0; frame < 5; ++frame) cache.next_frame();
  release.set_value();
  EXPECT_TRUE(wait_idle(cache));
  EXPECT_FALSE(made) << "a panel that stopped asking (collapsed) costs nothing";
  EXPECT_EQ(cache.take_notices(), std::vector<std::string>{"task done"});
}

TEST(ProductCache, ATaskThatThrowsReportsItsMessage) {
  ProductCache cache;
  cache.submit_task([]() -> std::string { throw std::runtime_error("disk full"); });
  cache.submit_task([]() -> std::string { throw 1; });
  ASSERT_TRUE(wait_idle(cache));
  const std::vector<std::string> notices = cache.take_notices();
  ASSERT_EQ(notices.size(), 2u);
  EXPECT_EQ(notices[0], "disk full");
  EXPECT_NE(notices[1].find("not a std::exception"), std::string::npos);
  EXPECT_TRUE(cache.take_notices().empty()) << "each notice once";
}

}  // namespace
}  // namespace convt::lab
