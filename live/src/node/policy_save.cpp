// A learning policy's table, saved as a learned model file (policy.save) every
// policy.save_interval and once more when the node has drained, so what the node
// learned outlives it and a later node (or `fogsched train`) can start from it.
#include "node_impl.h"

#include <cstdio>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "fogsched/core/learned_model.h"

namespace fogsched::live {

void SchedulerNode::Impl::warn_about_policy_save() const {
  if (policy_learns && !config.policy_save) {
    std::fprintf(stderr,
                 "fogsched serve: warning: policy %s learns, but policy.save is not set: what it learns is lost at "
                 "exit\n",
                 policy_config.canonical.c_str());
  }
  if (!policy_learns && config.policy_save) {
    std::fprintf(stderr, "fogsched serve: warning: policy.save is set, but policy %s learns nothing to save\n",
                 policy_config.canonical.c_str());
  }
}

void SchedulerNode::Impl::save_policy() {
  if (!policy_learns || !config.policy_save) return;
  // The periodic save and the one at drain may meet: one at a time, so the table
  // copied last is the one written last.
  std::lock_guard saving(save_mutex);
  std::optional<LearnedTable> table;
  NodeId self{0};
  {
    // The policy is not thread-safe: its table is copied under the decisions' lock.
    std::lock_guard lock(mutex);
    table = policy->learned_table();
    self = state->self();
  }
  if (!table) return;
  LearnedModel model;
  model.policy = policy_config.canonical;
  // Live, the episodes of a model the policy started from are not carried on: 0.
  model.shared = *table;
  model.nodes.emplace(self.value, std::move(*table));
  try {
    write_learned_model(*config.policy_save, model);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "fogsched serve: warning: policy.save: %s; the node serves on\n", error.what());
  }
}

asio::awaitable<void> SchedulerNode::Impl::save_policy_loop(std::shared_ptr<Impl> /*owner*/) {
  for (;;) {
    save_timer.expires_after(config.policy_save_interval);
    boost::system::error_code ec;
    co_await save_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec || draining) co_return;
    save_policy();
  }
}

}  // namespace fogsched::live
