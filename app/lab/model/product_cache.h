// Analyses and views computed on demand. A panel asks for a product by key every frame it shows it; the cache
// returns the value once it exists and otherwise queues its computation on a worker thread of its own (or makes it
// right away when the caller says it is cheap). Nobody asking means nothing computed: a collapsed panel costs
// nothing, and queued work that no frame asks for any more is skipped. Keys name the inputs (tensor identities,
// parameters); an entry holds its input tensors alive, so an identity is never reused while its key exists.
// Whatever a product throws becomes its error, shown in place; the worker never dies.
// The same worker runs one-off tasks (exports, saving, loading files) whose one-line outcome comes back as a notice.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace convt::lab {

class ProductCache {
 public:
  using Inputs = std::vector<std::shared_ptr<const void>>;
  using Maker = std::function<std::shared_ptr<const void>()>;

  struct Lookup {
    std::shared_ptr<const void> value;  // null until made, or when it failed
    std::string error;                  // why it failed ("" otherwise)
    uint64_t id = 0;                    // unique per made value: a texture's version
    bool done() const { return value || !error.empty(); }
  };

  ProductCache();
  ~ProductCache();
  ProductCache(const ProductCache&) = delete;
  ProductCache& operator=(const ProductCache&) = delete;

  // The product for `key`: made now when `cheap`, else queued (once) for the worker.
  Lookup get(const std::string& key, Inputs inputs, Maker make, bool cheap);

  template <typename T>
  struct Typed {
    std::shared_ptr<const T> value;
    std::string error;
    uint64_t id = 0;
  };
  template <typename T>
  Typed<T> get(const std::string& key, Inputs inputs, std::function<T()> make, bool cheap) {
    const Lookup found = get(key, std::move(inputs), [make = std::move(make)]() -> std::shared_ptr<const void> {
      return std::make_shared<const T>(make());
    }, cheap);
    return {std::static_pointer_cast<const T>(found.value), found.error, found.id};
  }

  // Called once per frame: forgets products nobody asked for lately.
  void next_frame();
  // True while a product asked for in the last frames, or a task, is queued or running.
  bool busy() const;

  // Runs `task` on the worker; its returned line (or its error) becomes a notice.
  void submit_task(std::function<std::string()> task);
  // Lets the worker free `garbage` (a result of hundreds of megabytes takes the frame's time to give back).
  void dispose(std::shared_ptr<const void> garbage);
  // Notices of finished tasks, oldest first, each once.
  std::vector<std::string> take_notices();

 private:
  struct Entry {
    Inputs inputs;
    Maker make;
    Lookup result;
    uint64_t last_asked = 0;  // frame
    bool queued = false, running = false;
  };
  void loop();
  static void make_into(const Maker& make, Lookup& result);

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, Entry> entries_;
  std::deque<std::string> queue_;  // newest last: the worker takes the newest wish first
  std::deque<std::function<std::string()>> tasks_;
  std::vector<std::string> notices_;
  std::vector<std::shared_ptr<const void>> garbage_;
  bool task_running_ = false;
  uint64_t frame_ = 1;
  uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::thread worker_;  // last: starts after everything it uses exists
};

}  // namespace convt::lab
