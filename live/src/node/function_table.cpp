// The functions the node tracks: an entry only for a function the gateway knows (or
// whose K is configured), its slot count K and where K came from, a refresh of every
// tracked K on a timer from the gateway's function list, and the eviction of the
// least recently used idle function at functions.max_tracked.
#include "node_impl.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>

#include <fmt/format.h>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

namespace fogsched::live {
namespace {

using json = nlohmann::json;

// The label that sets K and wins over max_inflight.
constexpr std::string_view kSlotsLabel = "com.fogsched.slots";
// The watchdog's limit, an environment variable of the function.
constexpr std::string_view kMaxInflightVariable = "max_inflight";
constexpr std::uint32_t kMaxSlots = 1'000'000;
// A lookup waits at most this long, whatever gateway.timeout says: it delays a call.
constexpr SteadyDuration kLookupTimeout = std::chrono::seconds(5);

// A positive count written as a JSON string; none for anything else.
std::optional<std::uint32_t> slots_value(const json& object, std::string_view field, std::string_view key) {
  const auto map = object.find(field);
  if (map == object.end() || !map->is_object()) return std::nullopt;
  const auto value = map->find(key);
  if (value == map->end() || !value->is_string()) return std::nullopt;
  const std::string& text = value->get_ref<const std::string&>();
  std::uint32_t n = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (error != std::errc() || end != text.data() + text.size() || n == 0 || n > kMaxSlots) return std::nullopt;
  return n;
}

// K from one FunctionStatus: its label, then its max_inflight, then the default.
SlotLookup slots_of(const json& status, std::uint32_t default_slots) {
  if (!status.is_object()) throw std::invalid_argument("a FunctionStatus is an object");
  if (const auto label = slots_value(status, "labels", kSlotsLabel)) return {*label, SlotSource::label, {}};
  if (const auto limit = slots_value(status, "envVars", kMaxInflightVariable)) {
    return {*limit, SlotSource::max_inflight, {}};
  }
  return {default_slots, SlotSource::default_slots, {}};
}

struct GatewayProblem {
  LookupFailure failure;
  std::string cause;  // for the log line
};

// Why an answer of the gateway's /system/ API gives no FunctionStatus; none for a 200.
std::optional<GatewayProblem> problem_of(const ClientResult& result, const NodeConfig& config, bool has_credentials) {
  if (!result) {
    return GatewayProblem{LookupFailure::unreachable,
                          fmt::format("the gateway did not answer ({})", to_string(result.failure))};
  }
  const unsigned status = result.response->result_int();
  if (status == 200) return std::nullopt;
  if (status == 401 || status == 403) {
    if (has_credentials)
      return GatewayProblem{LookupFailure::unauthorized, "401 from the gateway: check gateway.secrets"};
    return GatewayProblem{LookupFailure::no_credentials,
                          fmt::format("401 from the gateway and no basic-auth-user, basic-auth-password in {} "
                                      "(gateway.secrets)",
                                      config.secrets_dir.string())};
  }
  if (status == 404) return GatewayProblem{LookupFailure::not_found, "404 from the gateway: no such function"};
  if (status >= 500) return GatewayProblem{LookupFailure::unreachable, fmt::format("{} from the gateway", status)};
  return GatewayProblem{LookupFailure::bad_answer, fmt::format("unexpected status {} from the gateway", status)};
}

}  // namespace

asio::awaitable<ClientResult> SchedulerNode::Impl::system_get(std::string path, std::string namespace_name) {
  std::string target = config.gateway.prefix + path;
  if (!namespace_name.empty()) target += std::string(kNamespaceQuery) + namespace_name;
  Request request{http::verb::get, target, 11};
  if (credentials) request.set(http::field::authorization, basic_auth_header(*credentials));
  co_return co_await gateway.send(config.gateway, std::move(request),
                                  std::min<SteadyDuration>(config.gateway_timeout, kLookupTimeout));
}

const char* to_string(SlotSource source) noexcept {
  switch (source) {
    case SlotSource::config: return "config";
    case SlotSource::label: return "label";
    case SlotSource::max_inflight: return "max_inflight";
    case SlotSource::default_slots: return "default";
    case SlotSource::lookup_failed: return "lookup failed";
  }
  return "?";
}

asio::awaitable<std::optional<FunctionId>> SchedulerNode::Impl::track_function(const std::string& name, bool for_call) {
  auto self = shared_from_this();
  // Under `mutex`: the entry is used now.
  auto hold = [&](FunctionId id) {
    TrackedFunction& entry = tracked.at(id.value);
    entry.last_used = now();
    if (for_call) ++entry.in_use;
    return id;
  };
  {
    std::lock_guard lock(mutex);
    if (const auto known = state->find_function(name)) co_return hold(*known);
  }
  const SlotLookup lookup = co_await look_up_slots(name);
  // A function the gateway does not know keeps nothing; nor does a probe learn a K
  // that could not be read (a call runs with the default and says so in /status).
  if (lookup.failure == LookupFailure::not_found || (lookup.failure && !for_call)) co_return std::nullopt;
  std::lock_guard lock(mutex);
  if (const auto known = state->find_function(name)) co_return hold(*known);  // tracked meanwhile
  if (tracked.size() >= config.max_tracked) {
    auto victim = tracked.end();
    for (auto it = tracked.begin(); it != tracked.end(); ++it) {
      if (it->second.in_use == 0 && (victim == tracked.end() || it->second.last_used < victim->second.last_used)) {
        victim = it;
      }
    }
    if (victim == tracked.end()) co_return std::nullopt;  // every one is busy: this call passes through
    forget_function(FunctionId{victim->first});
    metrics.functions_evicted.add();
  }
  const FunctionId id = state->function_id(name);
  state->set_slots(id, lookup.slots);
  tracked.emplace(id.value, TrackedFunction{.name = name, .source = lookup.source, .failure = lookup.failure});
  co_return hold(id);
}

void SchedulerNode::Impl::release_function(FunctionId function, bool gateway_forgot) {
  std::lock_guard lock(mutex);
  const auto entry = tracked.find(function.value);
  if (entry == tracked.end()) return;
  if (entry->second.in_use > 0) --entry->second.in_use;
  if (gateway_forgot && entry->second.in_use == 0) forget_function(function);
}

void SchedulerNode::Impl::forget_function(FunctionId function) {
  if (state->remove_function(function)) tracked.erase(function.value);
}

asio::awaitable<SlotLookup> SchedulerNode::Impl::look_up_slots(const std::string& name) {
  auto self = shared_from_this();
  if (const auto configured = config.slots.find(name); configured != config.slots.end()) {
    co_return SlotLookup{configured->second, SlotSource::config, {}};
  }
  // `name.ns` is asked for as `name?namespace=ns`, as the gateway routes it.
  const auto [bare_name, namespace_name] = split_function_namespace(name);
  const ClientResult result = co_await system_get(std::string(kFunctionStatusPrefix) + bare_name, namespace_name);
  std::optional<GatewayProblem> problem = problem_of(result, config, credentials.has_value());
  if (!problem) {
    try {
      co_return slots_of(json::parse(result.response->body()), config.default_slots);
    } catch (const std::exception& e) {
      problem = GatewayProblem{LookupFailure::bad_answer, fmt::format("unreadable FunctionStatus: {}", e.what())};
    }
  }
  report_lookup_failure(problem->failure, name, problem->cause);
  co_return SlotLookup{config.default_slots, SlotSource::lookup_failed, problem->failure};
}

void SchedulerNode::Impl::report_lookup_failure(LookupFailure failure, std::string_view what, std::string_view cause) {
  const auto reason = static_cast<std::size_t>(failure);
  metrics.slot_lookup_failures.at(reason).add();
  if (lookup_failure_logged.at(reason).exchange(true)) return;  // once per cause
  std::fprintf(stderr, "fogsched serve: cannot read K of %.*s: %.*s (logged once)\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(cause.size()), cause.data());
}

asio::awaitable<void> SchedulerNode::Impl::refresh_functions_loop(std::shared_ptr<Impl> /*owner*/) {
  while (!draining) {
    functions_timer.expires_after(config.functions_refresh);
    boost::system::error_code ec;
    co_await functions_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec || draining) co_return;
    co_await refresh_functions();
  }
}

asio::awaitable<void> SchedulerNode::Impl::refresh_functions() {
  auto self = shared_from_this();
  // One list per namespace the tracked names use ("" for the gateway's default).
  struct Listed {
    FunctionId id;
    std::string bare_name;
  };
  std::map<std::string, std::vector<Listed>> by_namespace;
  {
    std::lock_guard lock(mutex);
    for (const auto& [id, entry] : tracked) {
      if (entry.source == SlotSource::config) continue;
      auto [bare_name, namespace_name] = split_function_namespace(entry.name);
      by_namespace[namespace_name].push_back(Listed{FunctionId{id}, std::move(bare_name)});
    }
  }
  for (const auto& [namespace_name, functions] : by_namespace) {
    const ClientResult result = co_await system_get(std::string(kFunctionListPath), namespace_name);
    std::optional<GatewayProblem> problem = problem_of(result, config, credentials.has_value());
    std::map<std::string, SlotLookup, std::less<>> listed;
    if (!problem) {
      try {
        const json list = json::parse(result.response->body());
        if (!list.is_array()) throw std::invalid_argument("not an array");
        for (const json& status : list)
          listed[status.at("name").get<std::string>()] = slots_of(status, config.default_slots);
      } catch (const std::exception& e) {
        problem = GatewayProblem{LookupFailure::bad_answer, fmt::format("unreadable function list: {}", e.what())};
      }
    }
    if (problem) {
      report_lookup_failure(problem->failure, "the functions the gateway lists", problem->cause);
      continue;
    }
    std::lock_guard lock(mutex);
    for (const Listed& function : functions) {
      const auto entry = tracked.find(function.id.value);
      if (entry == tracked.end()) continue;  // evicted meanwhile
      const auto found = listed.find(function.bare_name);
      if (found == listed.end()) {
        // Removed from the gateway: its entry goes once no call holds it.
        if (entry->second.in_use == 0) forget_function(function.id);
        continue;
      }
      state->set_slots(function.id, found->second.slots);
      entry->second.source = found->second.source;
      entry->second.failure.reset();
    }
  }
}

}  // namespace fogsched::live
