#pragma once
// The bound on the host's async calls, and the wait for them at drain: a call is
// admitted when the gateway accepts it (202) and finishes once its worker has run it
// and called back.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "fogsched/live/http.h"

namespace fogsched::live {

class AsyncQueue {
 public:
  explicit AsyncQueue(std::uint64_t capacity) : capacity_(capacity) {}
  AsyncQueue(const AsyncQueue&) = delete;
  AsyncQueue& operator=(const AsyncQueue&) = delete;

  std::uint64_t capacity() const { return capacity_; }
  // Admits one more call; false when `capacity` calls are admitted and not finished.
  bool try_admit();
  // One admitted call is done.
  void finish();
  // Calls admitted and not finished.
  std::uint64_t depth() const;

  // Runs `on_idle` once, on `context`, when no admitted call is left or when
  // `timeout` has passed, whichever comes first.
  void when_idle(asio::io_context& context, SteadyDuration timeout, std::function<void()> on_idle);

 private:
  struct IdleWait;
  const std::uint64_t capacity_;
  mutable std::mutex mutex_;
  std::uint64_t depth_ = 0;                            // guarded by mutex_
  std::vector<std::shared_ptr<IdleWait>> idle_waits_;  // guarded by mutex_
};

}  // namespace fogsched::live
