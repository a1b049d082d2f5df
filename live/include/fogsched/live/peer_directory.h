#pragma once
// The peers of one node: stable ids, base URLs, the addresses they connect from,
// and back-off for peers that did not answer.
//
// Ids never change for a URL while the process lives (a peer that leaves DNS and
// comes back keeps its id), so loads heard by gossip stay attached to the right peer.
// A peer that failed is left out of the available list for a back-off that doubles
// from `initial` up to `max`, then tried again; an answer resets it.
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "fogsched/core/ids.h"
#include "fogsched/core/time.h"
#include "fogsched/live/http.h"

namespace fogsched::live {

class PeerDirectory {
 public:
  struct PeerStatus {
    NodeId id;
    Url url;
    bool from_dns = false;
    bool present = true;         // listed now (DNS peers come and go)
    bool available = true;       // present and not in back-off
    std::uint32_t failures = 0;  // consecutive
    Duration backoff{};
    Duration retry_in{};  // time left in back-off
  };

  PeerDirectory(const std::vector<Url>& static_peers, Duration backoff_initial, Duration backoff_max);

  // Replaces the peers found by DNS.
  void set_dns_peers(const std::vector<Url>& peers);
  // The IP:port a peer is known by (its URL's, once resolved); gossip names its sender so.
  void set_address(NodeId peer, const std::string& ip_port);
  std::optional<NodeId> find_by_address(const std::string& ip_port) const;
  std::optional<NodeId> find_by_url(const Url& url) const;

  // Present peers not in back-off, by id; the second form fills `out`, reusing its
  // storage (per decision, on the hot path).
  std::vector<NodeId> available(Time now) const;
  void available(Time now, std::vector<NodeId>& out) const;
  const Url& url(NodeId peer) const;
  std::vector<NodeId> present() const;

  void report_failure(NodeId peer, Time now);
  void report_success(NodeId peer);

  std::vector<PeerStatus> status(Time now) const;

 private:
  struct Entry {
    Url url;
    bool from_dns = false;
    bool present = true;
    std::uint32_t failures = 0;
    Duration backoff{};
    Time down_until{};
  };
  NodeId id_for(const Url& url, bool from_dns);

  Duration backoff_initial_;
  Duration backoff_max_;
  std::vector<Entry> entries_;  // index = id - 1 (id 0 is the node itself)
  std::unordered_map<std::string, NodeId> by_url_;
  std::unordered_map<std::string, NodeId> by_address_;
};

}  // namespace fogsched::live
