// The scheduler node's setup, routing and life cycle: secrets read, policy made, the
// listening socket bound; each request sent to the concern that answers it; the
// policy's timer; start, drain and the process around a node.
#include "node_impl.h"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <thread>

#include <fmt/format.h>
#include <boost/algorithm/string/trim.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>

#include "fogsched/core/rng.h"
#include "fogsched/live/node_policy.h"
#include "fogsched/live/wire.h"
#include "node_headers.h"

namespace fogsched::live {
namespace {

std::string read_token_file(const std::filesystem::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) throw std::runtime_error(fmt::format("{}: cannot read the peer token file", path.string()));
  std::string token;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) token.append(buffer, n);
  std::fclose(file);
  boost::algorithm::trim(token);
  if (token.empty()) throw std::runtime_error(fmt::format("{}: the peer token file is empty", path.string()));
  return token;
}

// Why the node has no credentials of its own for the gateway, for a warning at start.
std::string missing_secrets_cause(const std::filesystem::path& dir) {
  std::error_code error;
  const auto status = std::filesystem::status(dir, error);
  if (error && error != std::errc::no_such_file_or_directory)
    return fmt::format("{}: {}", dir.string(), error.message());
  if (!std::filesystem::exists(status)) return fmt::format("{} does not exist", dir.string());
  if (!std::filesystem::is_directory(status)) return fmt::format("{} is not a directory", dir.string());
  return fmt::format("{} holds no basic-auth-user and basic-auth-password, or cannot be read", dir.string());
}

}  // namespace

SchedulerNode::Impl::Impl(IoContextPool& pool, NodeConfig cfg)
    : contexts(pool),
      io(pool.at(0)),
      config(std::move(cfg)),
      policy_config(configure_node_policy(config.policies, config.policy)),
      gateway(pool, ClientOptions{.max_idle_per_origin = config.gateway_connections,
                                  .max_response_header_bytes = std::size_t{64} * 1024,
                                  .max_response_body_bytes = std::size_t{256} * 1024 * 1024,
                                  .connect_timeout = config.gateway_connect_timeout}),
      peers_client(pool, ClientOptions{.connect_timeout = config.peer_connect_timeout}),
      gateway_health(config.gateway_unhealthy_after),
      directory(config.static_peers, config.peer_backoff.initial, config.peer_backoff.max),
      policy_timer(io),
      refresh_timer(io),
      functions_timer(io),
      health_timer(io),
      save_timer(io),
      cloud_health(config.gateway_unhealthy_after),
      cloud_timer(io) {
  credentials = read_basic_auth_secrets(config.secrets_dir);
  if (!credentials) {
    std::fprintf(stderr,
                 "fogsched serve: warning: gateway.secrets: %s; K is read from a gateway that needs basic auth "
                 "only with them\n",
                 missing_secrets_cause(config.secrets_dir).c_str());
  }
  if (config.cloud_secrets_dir) {
    cloud_credentials = read_basic_auth_secrets(*config.cloud_secrets_dir);
    if (!cloud_credentials) {
      std::fprintf(stderr,
                   "fogsched serve: warning: cloud.secrets: %s; the cloud's function list is read only with them, "
                   "so every function may be offloaded\n",
                   missing_secrets_cause(*config.cloud_secrets_dir).c_str());
    }
  }
  if (config.peer_token_file) peer_token = read_token_file(*config.peer_token_file);
  const bool has_peers = !config.static_peers.empty() || config.peers_dns.has_value();
  if (has_peers && peer_token.empty()) {
    throw std::runtime_error(
        "peers are configured but no peer token is (peers.token_file, FOGSCHED_PEER_TOKEN_FILE): "
        "peer calls need a shared token");
  }
  policy = policy_config.make();
  policy_learns = policy->learned_table().has_value();
  warn_about_policy_save();
  const NodeId self{0};
  state = std::make_unique<LiveNodeState>(
      self, Rng(derive_seed(config.seed, {0x6c697665 /* "live" */})), [this] { return now(); }, config.hop_limit,
      policy_config.canonical,
      LiveNodeState::Effects{.gossip = [this](std::span<const NodeId> to, LoadReport load) { send_gossip(to, load); },
                             .set_timer = [this](Duration after) { arm_policy_timer(after); }},
      config.gossip_memory);
}

void SchedulerNode::Impl::listen(const std::shared_ptr<Impl>& owner) {
  ServerLimits limits;
  limits.max_body_bytes = config.max_body_bytes;
  limits.max_header_bytes = config.max_header_bytes;
  limits.max_connections = config.max_connections;
  limits.max_buffered_bytes = config.max_buffered_bytes;
  // The server holds the node weakly (the node owns the server); a request that
  // arrives as the node goes is answered 503.
  server = std::make_unique<HttpServer>(
      contexts, parse_listen_address(config.listen), limits,
      [weak = std::weak_ptr<Impl>(owner)](Request request, ClientInfo client) -> asio::awaitable<Response> {
        const std::shared_ptr<Impl> node = weak.lock();
        if (!node) co_return text_response(http::status::service_unavailable, "shutting down\n", request);
        co_return co_await node->handle(std::move(request), client);
      });
}

// ----------------------------------------------------------------------------------
// Routing

asio::awaitable<Response> SchedulerNode::Impl::handle(Request request, ClientInfo client) {
  auto self = shared_from_this();
  const std::string_view target = sv(request.target());
  const std::string_view path = target.substr(0, target.find('?'));

  if (path.starts_with(kFunctionPrefix)) {
    // Named, not a temporary: GCC 12 destroys temporaries of a co_await expression twice.
    Arrival from_client;
    co_return co_await handle_invocation(std::move(request), client, std::move(from_client));
  }
  if (path.starts_with(kAsyncFunctionPrefix)) {
    // The gateway's async route takes POST only (Go's router: 405, empty body).
    if (request.method() != http::verb::post) {
      Response refused{http::status::method_not_allowed, request.version()};
      refused.keep_alive(request.keep_alive());
      refused.prepare_payload();
      co_return refused;
    }
    Arrival from_client;
    from_client.async = true;
    co_return co_await handle_invocation(std::move(request), client, std::move(from_client));
  }
  if (path.starts_with(kSystemPrefix)) co_return co_await handle_system(std::move(request), client);
  if (path == wire::kHealthPath) co_return handle_health(request);
  if (path == wire::kMetricsPath && request.method() == http::verb::get) co_return handle_metrics(request);
  if (path == wire::kStatusPath && request.method() == http::verb::get) co_return handle_status(request);
  if (path.starts_with(wire::kPeerPrefix)) co_return co_await handle_peer(std::move(request), client);
  co_return text_response(http::status::not_found, "404 page not found\n", request);
}

void SchedulerNode::Impl::arm_policy_timer(Duration after) {
  // Runs under `mutex` (from a policy hook). Re-arming replaces the timer.
  const std::uint64_t generation = ++policy_timer_generation;
  policy_timer.expires_after(after);
  policy_timer.async_wait([weak = weak_from_this(), generation](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self || ec || self->draining) return;
    std::lock_guard lock(self->mutex);
    if (generation != self->policy_timer_generation) return;
    self->refresh_available_peers();
    self->state->timer(*self->policy);
  });
}

// ----------------------------------------------------------------------------------
// SchedulerNode

SchedulerNode::SchedulerNode(IoContextPool& contexts, NodeConfig config)
    : impl_(std::make_shared<Impl>(contexts, std::move(config))) {
  impl_->listen(impl_);
}

// NOLINTNEXTLINE(bugprone-exception-escape): only a failing mutex or timer cancel throws; terminating is right then
SchedulerNode::~SchedulerNode() {
  impl_->draining = true;
  impl_->refresh_timer.cancel();
  impl_->functions_timer.cancel();
  impl_->health_timer.cancel();
  impl_->cloud_timer.cancel();
  impl_->save_timer.cancel();
  std::lock_guard lock(impl_->mutex);
  impl_->policy_timer.cancel();
}

tcp::endpoint SchedulerNode::local_endpoint() const { return impl_->server->local_endpoint(); }

void SchedulerNode::start() {
  impl_->server->start();
  {
    std::lock_guard lock(impl_->mutex);
    impl_->refresh_available_peers();
    impl_->state->start(*impl_->policy);
  }
  asio::co_spawn(impl_->io, impl_->refresh_peers_loop(impl_), asio::detached);
  asio::co_spawn(impl_->io, impl_->refresh_functions_loop(impl_), asio::detached);
  Impl& impl = *impl_;
  asio::co_spawn(impl.io,
                 impl.check_health_loop(
                     impl_, impl.config.gateway, impl.gateway, impl.gateway_health, impl.health_timer,
                     std::min<SteadyDuration>(impl.config.gateway_timeout, impl.config.gateway_health_interval)),
                 asio::detached);
  if (impl.config.cloud) asio::co_spawn(impl.io, impl.watch_cloud_loop(impl_), asio::detached);
  if (impl.policy_learns && impl.config.policy_save) {
    asio::co_spawn(impl.io, impl.save_policy_loop(impl_), asio::detached);
  }
}

void SchedulerNode::drain(std::function<void()> drained) {
  auto impl = impl_;
  impl->draining = true;
  asio::post(impl->io, [impl] {
    impl->refresh_timer.cancel();
    impl->functions_timer.cancel();
    impl->health_timer.cancel();
    impl->cloud_timer.cancel();
    impl->save_timer.cancel();
    std::lock_guard lock(impl->mutex);
    impl->policy_timer.cancel();
  });
  impl->server->drain(impl->config.drain_timeout, [impl, drained = std::move(drained)] {
    // In-flight work is done: the table holds all it will learn.
    impl->save_policy();
    impl->gateway.close_idle();
    impl->peers_client.close_idle();
    if (drained) drained();
  });
}

int run_scheduler_node(const NodeConfig& config) {
  const unsigned threads = config.threads > 0 ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  IoContextPool contexts(threads);
  std::unique_ptr<SchedulerNode> node;
  try {
    node = std::make_unique<SchedulerNode>(contexts, config);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fogsched serve: %s\n", e.what());
    return 2;
  }
  node->start();
  asio::signal_set signals(contexts.at(0), SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    std::fprintf(stderr, "fogsched serve: draining\n");
    node->drain([&contexts] { contexts.stop(); });
  });
  std::printf(
      "listening on %s\n",
      fmt::format("{}:{}", node->local_endpoint().address().to_string(), node->local_endpoint().port()).c_str());
  std::fflush(stdout);
  contexts.start();
  contexts.join();
  return 0;
}

}  // namespace fogsched::live
