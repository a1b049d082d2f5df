#include "fogsched/live/peer_directory.h"

#include <algorithm>
#include <stdexcept>

namespace fogsched::live {

PeerDirectory::PeerDirectory(const std::vector<Url>& static_peers, Duration backoff_initial, Duration backoff_max)
    : backoff_initial_(backoff_initial), backoff_max_(backoff_max) {
  for (const Url& url : static_peers) id_for(url, false);
}

NodeId PeerDirectory::id_for(const Url& url, bool from_dns) {
  const std::string key = url.to_string();
  if (auto it = by_url_.find(key); it != by_url_.end()) return it->second;
  const NodeId id{static_cast<std::uint32_t>(entries_.size() + 1)};
  entries_.push_back(
      Entry{.url = url, .from_dns = from_dns, .present = true, .failures = 0, .backoff = {}, .down_until = {}});
  by_url_.emplace(key, id);
  return id;
}

void PeerDirectory::set_dns_peers(const std::vector<Url>& peers) {
  for (Entry& e : entries_) {
    if (e.from_dns) e.present = false;
  }
  for (const Url& url : peers) {
    const NodeId id = id_for(url, true);
    entries_[id.value - 1].present = true;
  }
}

void PeerDirectory::set_address(NodeId peer, const std::string& ip_port) { by_address_[ip_port] = peer; }

std::optional<NodeId> PeerDirectory::find_by_address(const std::string& ip_port) const {
  auto it = by_address_.find(ip_port);
  if (it == by_address_.end()) return std::nullopt;
  return it->second;
}

std::optional<NodeId> PeerDirectory::find_by_url(const Url& url) const {
  auto it = by_url_.find(url.to_string());
  if (it == by_url_.end()) return std::nullopt;
  return it->second;
}

std::vector<NodeId> PeerDirectory::available(Time now) const {
  std::vector<NodeId> ids;
  available(now, ids);
  return ids;
}

void PeerDirectory::available(Time now, std::vector<NodeId>& out) const {
  out.clear();
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if (e.present && e.down_until <= now) out.emplace_back(static_cast<std::uint32_t>(i + 1));
  }
}

std::vector<NodeId> PeerDirectory::present() const {
  std::vector<NodeId> ids;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].present) ids.emplace_back(static_cast<std::uint32_t>(i + 1));
  }
  return ids;
}

const Url& PeerDirectory::url(NodeId peer) const {
  if (peer.value == 0 || peer.value > entries_.size()) throw std::out_of_range("no such peer");
  return entries_[peer.value - 1].url;
}

void PeerDirectory::report_failure(NodeId peer, Time now) {
  if (peer.value == 0 || peer.value > entries_.size()) return;
  Entry& e = entries_[peer.value - 1];
  ++e.failures;
  e.backoff = e.failures == 1 ? backoff_initial_ : std::min(e.backoff * 2, backoff_max_);
  e.down_until = now + e.backoff;
}

void PeerDirectory::report_success(NodeId peer) {
  if (peer.value == 0 || peer.value > entries_.size()) return;
  Entry& e = entries_[peer.value - 1];
  e.failures = 0;
  e.backoff = {};
  e.down_until = {};
}

std::vector<PeerDirectory::PeerStatus> PeerDirectory::status(Time now) const {
  std::vector<PeerStatus> out;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    out.push_back(PeerStatus{.id = NodeId{static_cast<std::uint32_t>(i + 1)},
                             .url = e.url,
                             .from_dns = e.from_dns,
                             .present = e.present,
                             .available = e.present && e.down_until <= now,
                             .failures = e.failures,
                             .backoff = e.backoff,
                             .retry_in = e.down_until > now ? e.down_until - now : Duration{}});
  }
  return out;
}

}  // namespace fogsched::live
