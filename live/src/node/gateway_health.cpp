#include "gateway_health.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

namespace fogsched::live {

GatewayHealth::GatewayHealth(std::uint32_t failures_to_unhealthy)
    : failures_to_unhealthy_(std::max<std::uint32_t>(failures_to_unhealthy, 1)) {}

void GatewayHealth::observe_call(const ClientResult& result) {
  if (!result) {
    if (result.failure == ClientFailure::connect || result.failure == ClientFailure::resolve) {
      unreachable(result.message);
    } else {
      failed(result.message);
    }
    return;
  }
  const Response& response = *result.response;
  if (response.result() == http::status::bad_gateway && response.body().empty()) {
    failed("the gateway answered 502 without a body (its provider is unreachable)");
    return;
  }
  answered();
}

void GatewayHealth::observe_health_check(const ClientResult& result) {
  if (!result) {
    observe_call(result);
  } else if (result.response->result_int() >= 500) {
    failed(fmt::format("the gateway's /healthz answered {}", result.response->result_int()));
  } else {
    answered();
  }
}

bool GatewayHealth::healthy() const {
  std::lock_guard lock(mutex_);
  return status_.healthy;
}

GatewayHealth::Status GatewayHealth::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

void GatewayHealth::unreachable(std::string why) {
  std::lock_guard lock(mutex_);
  ++status_.consecutive_failures;
  status_.healthy = false;
  status_.reason = std::move(why);
}

void GatewayHealth::failed(std::string why) {
  std::lock_guard lock(mutex_);
  ++status_.consecutive_failures;
  if (status_.consecutive_failures >= failures_to_unhealthy_) status_.healthy = false;
  status_.reason = std::move(why);
}

void GatewayHealth::answered() {
  std::lock_guard lock(mutex_);
  status_ = Status{};
}

}  // namespace fogsched::live
