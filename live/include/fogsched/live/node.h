#pragma once
// The scheduler node, `fogsched serve`: answers clients exactly as an OpenFaaS
// gateway does, and decides per invocation, with the configured policy, whether to
// run it on the local gateway, forward it to a peer node, or reject it
// (docs/live.md describes the routes and the peer protocol).
#include <functional>
#include <memory>

#include "fogsched/live/http.h"
#include "fogsched/live/node_config.h"

namespace fogsched::live {

class SchedulerNode {
 public:
  // Reads the secrets (basic auth, peer token) and binds the listening socket; throws
  // std::runtime_error (naming the file or address) when it cannot. Runs on the
  // pool's contexts, which must outlive the node.
  SchedulerNode(IoContextPool& contexts, NodeConfig config);
  // NOLINTNEXTLINE(bugprone-exception-escape): only a failing mutex or timer cancel throws; terminating is right then
  ~SchedulerNode();
  SchedulerNode(const SchedulerNode&) = delete;
  SchedulerNode& operator=(const SchedulerNode&) = delete;

  tcp::endpoint local_endpoint() const;

  // Starts serving, the policy's hooks and the peer refresh.
  void start();

  // SIGTERM: /healthz turns 503, no new connection is accepted, in-flight work
  // finishes (for at most the drain timeout); then `drained` runs.
  void drain(std::function<void()> drained);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Runs a node until SIGINT or SIGTERM, then drains it. Prints `listening on ADDRESS`
// on stdout once it accepts connections. Runs on `config.threads` single-threaded
// io_contexts. Returns the process's exit code.
int run_scheduler_node(const NodeConfig& config);

}  // namespace fogsched::live
