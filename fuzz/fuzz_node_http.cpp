// The raw bytes of one client connection to a scheduler node: two nodes on loopback
// (round_robin: node 0 forwards client calls to node 1), each with a fake OpenFaaS
// gateway, started once. Each input is written on a new connection to node 0, whose
// sending side is then shut; the node must answer in HTTP/1.x and close within a
// bound. A crash, a connection held open or an answer that is not HTTP is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "live_fixtures.h"
#include "live_raw_socket.h"

namespace {

using namespace fogsched::live::testing;
using namespace std::chrono_literals;

// Generous: the gateway and peer calls have 5 s timeouts (node_config()).
constexpr fogsched::live::SteadyDuration kAnswerBound = 20s;

struct Nodes {
  Loop loop;
  Cluster cluster{loop, 2, policy("round_robin"), 4, {"f", "echo"}};
  Nodes() {
    for (auto& gateway : cluster.gateways) {
      gateway->deploy("limited", limited_to("1", {{"com.openfaas.scale.max", "1"}}));
      gateway->deploy("elsewhere", {}, "staging");
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Nodes nodes;
  const auto answer =
      read_until_closed(nodes.loop.contexts().at(0), nodes.cluster.node_url(0),
                        std::string(reinterpret_cast<const char*>(data), size), kAnswerBound, AfterRequest::half_close);
  if (!answer) {
    std::fprintf(stderr, "the node neither answered nor closed the connection within 20 s\n");
    std::abort();
  }
  if (!answer->empty() && !answer->starts_with("HTTP/1.")) {
    std::fprintf(stderr, "the node's answer is not HTTP/1.x:\n%s\n", answer->c_str());
    std::abort();
  }
  return 0;
}
