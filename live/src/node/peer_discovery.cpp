// Peer discovery: every `peers.refresh`, the static peers' addresses (to recognise
// their gossip) and the peers a DNS name lists (itself left out).
#include "node_impl.h"

#include <algorithm>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace fogsched::live {
namespace {

using asio::use_awaitable;

// The addresses of this host's interfaces, to recognise itself among DNS peers.
std::vector<std::string> local_addresses() {
  std::vector<std::string> addresses{"127.0.0.1", "::1"};
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return addresses;
  for (ifaddrs* entry = list; entry; entry = entry->ifa_next) {
    if (!entry->ifa_addr) continue;
    char text[INET6_ADDRSTRLEN] = {};
    if (entry->ifa_addr->sa_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(entry->ifa_addr)->sin_addr, text, sizeof text);
    } else if (entry->ifa_addr->sa_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(entry->ifa_addr)->sin6_addr, text, sizeof text);
    } else {
      continue;
    }
    addresses.emplace_back(text);
  }
  freeifaddrs(list);
  return addresses;
}

}  // namespace

asio::awaitable<void> SchedulerNode::Impl::refresh_peers_loop(std::shared_ptr<Impl> /*owner*/) {
  const std::uint16_t own_port = server->local_endpoint().port();
  const std::vector<std::string> own_addresses = local_addresses();
  auto is_self = [&](const std::string& ip, std::uint16_t port) {
    return port == own_port && std::find(own_addresses.begin(), own_addresses.end(), ip) != own_addresses.end();
  };
  tcp::resolver resolver(io);
  for (;;) {
    // Static peers: learn the address each connects from, for gossip.
    std::vector<std::pair<NodeId, Url>> known;
    {
      std::lock_guard lock(mutex);
      for (NodeId id : directory.present()) known.emplace_back(id, directory.url(id));
    }
    for (const auto& [id, url] : known) {
      boost::system::error_code ec;
      auto results =
          co_await resolver.async_resolve(url.host, std::to_string(url.port), asio::redirect_error(use_awaitable, ec));
      if (ec) continue;
      std::lock_guard lock(mutex);
      for (const auto& entry : results) {
        directory.set_address(
            id, Url{.host = entry.endpoint().address().to_string(), .port = url.port, .prefix = ""}.origin());
      }
    }
    if (config.peers_dns) {
      const std::string& name = *config.peers_dns;
      const auto colon = name.rfind(':');
      const std::string host = name.substr(0, colon);
      const std::uint16_t port =
          colon == std::string::npos ? 18080 : static_cast<std::uint16_t>(std::stoul(name.substr(colon + 1)));
      boost::system::error_code ec;
      auto results =
          co_await resolver.async_resolve(host, std::to_string(port), asio::redirect_error(use_awaitable, ec));
      if (!ec) {
        // One address per peer: IPv4 when the name has any (Swarm's tasks.* and
        // Kubernetes' headless services list one IPv4 address per task or pod).
        const bool any_v4 = std::any_of(results.begin(), results.end(),
                                        [](const auto& entry) { return entry.endpoint().address().is_v4(); });
        std::vector<Url> found;
        for (const auto& entry : results) {
          if (any_v4 && !entry.endpoint().address().is_v4()) continue;
          const std::string ip = entry.endpoint().address().to_string();
          if (is_self(ip, port)) continue;
          found.push_back(Url{.host = ip, .port = port, .prefix = ""});
        }
        std::lock_guard lock(mutex);
        directory.set_dns_peers(found);
        for (const Url& url : found) directory.set_address(*directory.find_by_url(url), url.origin());
      }
    }
    refresh_timer.expires_after(config.peers_refresh);
    boost::system::error_code ec;
    co_await refresh_timer.async_wait(asio::redirect_error(use_awaitable, ec));
    if (ec || draining) co_return;
  }
}

}  // namespace fogsched::live
