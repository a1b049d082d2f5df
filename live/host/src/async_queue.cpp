#include "async_queue.h"

#include <cassert>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace fogsched::live {

// Touched only on its timer's context, so the timeout and the last finish cannot
// both run the callback.
struct AsyncQueue::IdleWait {
  IdleWait(asio::io_context& context, std::function<void()> callback) : timer(context), on_idle(std::move(callback)) {}

  void fire() {
    if (!on_idle) return;
    timer.cancel();
    std::exchange(on_idle, nullptr)();  // dropped once run: it may hold what holds the queue
  }

  asio::steady_timer timer;
  std::function<void()> on_idle;
};

bool AsyncQueue::try_admit() {
  std::lock_guard lock(mutex_);
  if (depth_ >= capacity_) return false;
  ++depth_;
  return true;
}

void AsyncQueue::finish() {
  std::vector<std::shared_ptr<IdleWait>> idle;
  {
    std::lock_guard lock(mutex_);
    assert(depth_ > 0);
    if (--depth_ == 0) idle.swap(idle_waits_);
  }
  for (auto& wait : idle) asio::post(wait->timer.get_executor(), [wait] { wait->fire(); });
}

std::uint64_t AsyncQueue::depth() const {
  std::lock_guard lock(mutex_);
  return depth_;
}

void AsyncQueue::when_idle(asio::io_context& context, SteadyDuration timeout, std::function<void()> on_idle) {
  auto wait = std::make_shared<IdleWait>(context, std::move(on_idle));
  std::lock_guard lock(mutex_);
  // Posted under the lock: the timer is armed before a finish() can post fire().
  asio::post(context, [wait, timeout] {
    if (!wait->on_idle) return;
    wait->timer.expires_after(timeout);
    wait->timer.async_wait([wait](const boost::system::error_code& ec) {
      if (!ec) wait->fire();
    });
  });
  if (depth_ == 0) {
    asio::post(context, [wait] { wait->fire(); });
  } else {
    idle_waits_.push_back(std::move(wait));
  }
}

}  // namespace fogsched::live
