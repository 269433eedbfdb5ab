#include "product_cache.h"

#include "job_runner.h"

#include <exception>
#include <new>

namespace convt::lab {
namespace {

// How many frames a product stays after the last frame that asked for it, and how stale a queued wish may be
// before the worker skips it. Frames come at least four times a second, so this is a second or two.
constexpr uint64_t kKeepFrames = 8;
constexpr uint64_t kWishFrames = 3;

// Never throws: when even the message cannot be allocated, a short one (no allocation) is all there is.
std::string describe_failure(const std::exception_ptr& failure) noexcept {
  try {
    try {
      std::rethrow_exception(failure);
    } catch (const std::bad_alloc&) {
      return "out of memory for this view";
    } catch (const std::exception& e) {
      return e.what();
    } catch (...) {
      return "failed with an exception that is not a std::exception";
    }
  } catch (...) {
    return "out of memory";
  }
}

}  // namespace

ProductCache::ProductCache() : worker_([this] { loop(); }) {}

ProductCache::~ProductCache() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

void ProductCache::make_into(const Maker& make, Lookup& result) {
  try {
    result.value = make();
  } catch (...) {
    result.error = describe_failure(std::current_exception());
  }
}

ProductCache::Lookup ProductCache::get(const std::string& key, Inputs inputs, Maker make, bool cheap) {
  std::unique_lock<std::mutex> lock(mutex_);
  Entry& entry = entries_[key];
  entry.last_asked = frame_;
  if (entry.result.done() || entry.running) return entry.result;
  if (cheap) {
    // Made on the caller's thread, outside the lock: only small work is ever called cheap.
    entry.queued = false;
    entry.running = true;
    lock.unlock();
    Lookup made;
    make_into(make, made);
    lock.lock();
    Entry& same = entries_[key];
    same.running = false;
    same.inputs = std::move(inputs);
    same.result = std::move(made);
    same.result.id = next_id_++;
    return same.result;
  }
  if (!entry.queued) {
    entry.inputs = std::move(inputs);
    entry.make = std::move(make);
    entry.queued = true;
    queue_.push_back(key);
    wake_.notify_all();
  }
  return entry.result;
}

void ProductCache::next_frame() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++frame_;
    for (auto it = entries_.begin(); it != entries_.end();) {
      Entry& entry = it->second;
      if (!entry.running && !entry.queued && frame_ - entry.last_asked > kKeepFrames) {
        // Freed on the worker: a forgotten view may hold the last reference to a large tensor.
        garbage_.push_back(std::move(entry.result.value));
        for (std::shared_ptr<const void>& input : entry.inputs) garbage_.push_back(std::move(input));
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
    if (garbage_.empty()) return;
  }
  wake_.notify_all();
}

void ProductCache::dispose(std::shared_ptr<const void> garbage) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    garbage_.push_back(std::move(garbage));
  }
  wake_.notify_all();
}

bool ProductCache::busy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!tasks_.empty() || task_running_) return true;
  for (const auto& [key, entry] : entries_)
    if ((entry.queued || entry.running) && frame_ - entry.last_asked <= kWishFrames) return true;
  return false;
}

void ProductCache::submit_task(std::function<std::string()> task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  wake_.notify_all();
}

std::vector<std::string> ProductCache::take_notices() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> taken;
  taken.swap(notices_);
  return taken;
}

void ProductCache::loop() {
  lower_this_thread_priority();
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !tasks_.empty() || !queue_.empty() || !garbage_.empty(); });
    // Quitting skips the products, but a save or an export asked for still happens.
    if (stopping_ && tasks_.empty()) return;
    if (!garbage_.empty()) {
      std::vector<std::shared_ptr<const void>> freed;
      freed.swap(garbage_);
      lock.unlock();
      freed.clear();
      lock.lock();
      continue;
    }
    if (!tasks_.empty()) {
      // Tasks are what the user asked for by name (an export, a save): they always run, first.
      std::function<std::string()> task = std::move(tasks_.front());
      tasks_.pop_front();
      task_running_ = true;
      lock.unlock();
      std::string notice;
      try {
        notice = task();
      } catch (...) {
        notice = describe_failure(std::current_exception());
      }
      lock.lock();
      task_running_ = false;
      try {
        if (!notice.empty()) notices_.push_back(std::move(notice));
      } catch (...) {
        // No memory even for the notice: the task's outcome is lost, the worker lives on.
      }
      continue;
    }
    const std::string key = queue_.back();
    queue_.pop_back();
    auto found = entries_.find(key);
    if (found == entries_.end() || !found->second.queued) continue;
    Entry& entry = found->second;
    entry.queued = false;
    if (frame_ - entry.last_asked > kWishFrames) continue;  // nobody wants it any more; asked again, it is requeued
    entry.running = true;
    const Maker make = entry.make;
    lock.unlock();
    Lookup made;
    make_into(make, made);
    lock.lock();
    Entry& same = entries_[key];  // next_frame never erases a running entry
    same.running = false;
    same.make = nullptr;
    same.result = std::move(made);
    same.result.id = next_id_++;
  }
}

}  // namespace convt::lab
