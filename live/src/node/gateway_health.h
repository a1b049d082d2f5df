#pragma once
// The health of the node's gateway, as seen from its answers: an unreachable gateway
// is unhealthy at once; timeouts and the gateway's own failures count, and a run of
// them makes it unhealthy; any good answer makes it healthy again. While it is
// unhealthy the node stops attracting work (docs/live.md, "Gateway health").
#include <cstdint>
#include <mutex>
#include <string>

#include "fogsched/live/http.h"

namespace fogsched::live {

class GatewayHealth {
 public:
  struct Status {
    bool healthy = true;
    std::string reason;  // why it is unhealthy, or the last failure counted; empty when none
    std::uint32_t consecutive_failures = 0;
  };

  // `failures_to_unhealthy`: how many timeouts or gateway failures in a row (at least 1).
  explicit GatewayHealth(std::uint32_t failures_to_unhealthy);

  // A function call's outcome: refused or unresolved is unhealthy at once; a timeout
  // or a 502 with an empty body (the provider unreachable) counts; any other answer,
  // the function's own 5xx included, is good.
  void observe_call(const ClientResult& result);
  // The gateway's /healthz: an answer below 500 is good, a 5xx or a timeout counts.
  void observe_health_check(const ClientResult& result);

  bool healthy() const;
  Status status() const;

 private:
  void unreachable(std::string why);
  void failed(std::string why);
  void answered();

  const std::uint32_t failures_to_unhealthy_;
  mutable std::mutex mutex_;
  Status status_;
};

}  // namespace fogsched::live
