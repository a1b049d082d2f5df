// fogsched.Context (the view a Python policy gets during one call), fogsched.Rng and
// the bound FakeNodeContext under fogsched.testing.FakeContext: one set of
// NodeContext methods, with Python values (ints for ids, float seconds for times).
#include "context_view.h"

#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fogsched/testing/fake_node_context.h"
#include "policy_values.h"

namespace py = pybind11;
using namespace pybind11::literals;

namespace fogsched::python {

namespace {

constexpr const char* kExpired =
    "this {} belongs to a policy call that has returned; keep the values you need, not the context or its rng";

[[noreturn]] void expired(const char* what) { throw std::runtime_error(fmt::format(kExpired, what)); }

}  // namespace

Rng& RngView::get() const {
  if (rng_ == nullptr) expired("fogsched.Rng");
  return *rng_;
}

NodeContext& ContextView::get() const {
  if (ctx_ == nullptr) expired("fogsched.Context");
  return *ctx_;
}

py::object ContextView::rng() {
  Rng& rng = get().rng();
  if (!rng_view_) {
    rng_view_ = py::cast(std::make_unique<RngView>(&rng));
  } else {
    rng_view_.cast<RngView&>().point_to(&rng);
  }
  return rng_view_;
}

void ContextView::release() {
  ctx_ = nullptr;
  if (rng_view_) rng_view_.cast<RngView&>().point_to(nullptr);
}

namespace {

py::object optional_node(std::optional<NodeId> node) {
  return node ? py::object(py::int_(node->value)) : py::object(py::none());
}

// The NodeContext queries and effects on `cls`, whose objects reach their
// NodeContext through `get` (which raises once a view expired).
template <typename Class, typename Get>
void def_node_context(py::class_<Class>& cls, Get get) {
  cls.def(
         "now", [get](Class& self) { return to_seconds(get(self).now()); }, "Time in seconds (sim: since the start).")
      .def(
          "self", [get](Class& self) { return get(self).self().value; }, "This node's id.")
      .def(
          "local_load", [get](Class& self) { return get(self).local_load(); },
          "This node's load for the invocation being decided (in hooks: overall).")
      .def("peer_count", [get](Class& self) { return get(self).peer_count(); })
      .def(
          "peer",
          [get](Class& self, std::size_t index) {
            NodeContext& ctx = get(self);
            if (index >= ctx.peer_count()) throw py::index_error(fmt::format("peer index {} out of range", index));
            return ctx.peer(index).value;
          },
          "index"_a)
      .def(
          "peers",
          [get](Class& self) {
            NodeContext& ctx = get(self);
            std::vector<std::uint32_t> peers(ctx.peer_count());
            for (std::size_t i = 0; i < peers.size(); ++i) peers[i] = ctx.peer(i).value;
            return peers;
          },
          "Every peer, as peer(0), peer(1), ...")
      .def(
          "cloud", [get](Class& self) { return optional_node(get(self).cloud()); }, "The cloud node's id, or None.")
      .def(
          "known_load", [get](Class& self, std::uint32_t peer) { return get(self).known_load(NodeId{peer}); }, "peer"_a,
          "The peer's load last heard by gossip, with its age, or None (never heard, or forgotten: a node remembers "
          "network.gossip_memory peers).")
      .def(
          "least_loaded_known_peer", [get](Class& self) { return get(self).least_loaded_known_peer(); },
          "The remembered peer with the least last-known load (a KnownPeer), ties broken with one draw of rng(); "
          "None when no peer is remembered.")
      .def(
          "probed", [get](Class& self) { return get(self).probed(); }, "True in the re-entry after a Probe.")
      .def(
          "probe_answers",
          [get](Class& self) {
            const std::span<const ProbeAnswer> answers = get(self).probe_answers();
            return std::vector<ProbeAnswer>(answers.begin(), answers.end());
          },
          "The probe's answers, in the order the Probe listed its peers; silent peers are absent.")
      .def(
          "gossip_load",
          [get](Class& self, const std::vector<std::uint32_t>& peers) { get(self).gossip_load(node_ids(peers)); },
          "peers"_a, "Sends this node's load to each listed peer.")
      .def(
          "gossip_load_to_all", [get](Class& self) { get(self).gossip_load_to_all(); },
          "Sends this node's load to every peer.")
      .def(
          "set_timer", [get](Class& self, double after) { get(self).set_timer(duration_from_seconds(after)); },
          "after"_a, "Arms the one-shot timer: on_timer() runs `after` seconds (> 0) from now.");
}

void bind_rng(py::module_& m) {
  py::class_<RngView>(m, "Rng",
                      "A seeded random stream (xoshiro256++), the same numbers as the C++ fogsched::Rng. "
                      "ctx.rng() is the node's stream, valid during the call only.")
      .def(py::init<std::uint64_t>(), "seed"_a)
      .def(
          "next", [](const RngView& r) { return r.get()(); }, "The next raw 64-bit number.")
      .def(
          "uniform01", [](const RngView& r) { return r.get().uniform01(); }, "Uniform in [0, 1).")
      .def(
          "uniform", [](const RngView& r, double lo, double hi) { return r.get().uniform(lo, hi); }, "lo"_a, "hi"_a)
      .def(
          "uniform_index",
          [](const RngView& r, std::uint64_t n) {
            if (n == 0) throw py::value_error("uniform_index(n) needs n > 0");
            return r.get().uniform_index(n);
          },
          "n"_a, "Uniform integer in [0, n), n > 0.")
      .def(
          "bernoulli", [](const RngView& r, double p) { return r.get().bernoulli(p); }, "p"_a)
      .def(
          "exponential", [](const RngView& r, double mean) { return r.get().exponential(mean); }, "mean"_a)
      .def("standard_normal", [](const RngView& r) { return r.get().standard_normal(); });
}

void bind_context_view(py::module_& m) {
  py::class_<ContextView> cls(m, "Context",
                              "The node's view of the cluster during one policy call (NodeContext). Times are "
                              "float seconds, node ids ints. It stops working when the call returns.");
  def_node_context(cls, [](ContextView& view) -> NodeContext& { return view.get(); });
  cls.def("rng", &ContextView::rng, "This node's random stream.");
}

using testing::FakeNodeContext;

py::list gossip_sent(const FakeNodeContext& fake) {
  py::list out;
  for (const FakeNodeContext::GossipSent& g : fake.gossip_sent()) {
    std::vector<std::uint32_t> peers;
    for (NodeId peer : g.peers) peers.push_back(peer.value);
    out.append(py::dict("peers"_a = peers, "to_all"_a = g.to_all, "load"_a = g.load));
  }
  return out;
}

void bind_fake_context(py::module_& m) {
  py::class_<FakeNodeContext> cls(m, "FakeNodeContext",
                                  "fogsched/testing/fake_node_context.h: a NodeContext whose answers a test sets "
                                  "and whose effects it records, under the runtimes' rules.");
  cls.def(py::init<std::uint64_t>(), "seed"_a = 1)
      .def(
          "set_now", [](FakeNodeContext& f, double now) { f.set_now(Time{duration_from_seconds(now)}); }, "now"_a)
      .def(
          "advance", [](FakeNodeContext& f, double by) { f.advance(duration_from_seconds(by)); }, "by"_a)
      .def(
          "set_self", [](FakeNodeContext& f, std::uint32_t self) { f.set_self(NodeId{self}); }, "node"_a)
      .def(
          "set_peers",
          [](FakeNodeContext& f, const std::vector<std::uint32_t>& peers) { f.set_peers(node_ids(peers)); }, "peers"_a)
      .def(
          "set_cloud",
          [](FakeNodeContext& f, std::optional<std::uint32_t> cloud) {
            f.set_cloud(cloud ? std::optional<NodeId>(NodeId{*cloud}) : std::nullopt);
          },
          "cloud"_a)
      .def("set_local_load", &FakeNodeContext::set_local_load, "load"_a)
      .def(
          "set_known_load",
          [](FakeNodeContext& f, std::uint32_t peer, const LoadReport& load, double age) {
            f.set_known_load(NodeId{peer}, load, duration_from_seconds(age));
          },
          "peer"_a, "load"_a, "age"_a = 0.0)
      .def(
          "forget_known_load", [](FakeNodeContext& f, std::uint32_t peer) { f.forget_known_load(NodeId{peer}); },
          "peer"_a)
      .def(
          "set_gossip_memory",
          [](FakeNodeContext& f, std::size_t peers) {
            if (peers == 0) throw py::value_error("gossip memory must hold at least one peer");
            f.set_gossip_memory(peers);
          },
          "peers"_a, "Forgets every known load and remembers up to `peers` peers from now on (128 unless set).")
      .def("set_probe_answers", &FakeNodeContext::set_probe_answers, "answers"_a)
      .def("clear_probe_answers", &FakeNodeContext::clear_probe_answers)
      .def("set_hop_limit", &FakeNodeContext::set_hop_limit, "hop_limit"_a)
      .def("set_policy_name", &FakeNodeContext::set_policy_name, "name"_a)
      .def(
          "check",
          [](const FakeNodeContext& f, py::handle decision, const Invocation& invocation, const std::string& policy) {
            f.check(to_decision(decision, policy), invocation);
          },
          "decision"_a, "invocation"_a, "policy"_a = "policy under test",
          "Raises PolicyContractError when no runtime would take `decision` for `invocation` now.")
      .def(
          "timers",
          [](const FakeNodeContext& f) {
            std::vector<double> seconds;
            for (Duration d : f.timers()) seconds.push_back(to_seconds(d));
            return seconds;
          },
          "The delays set_timer() was called with (seconds).")
      .def("gossip_sent", &gossip_sent, "Each gossip call: {'peers', 'to_all', 'load'}.")
      .def("clear_effects", &FakeNodeContext::clear_effects);
  def_node_context(cls, [](FakeNodeContext& fake) -> NodeContext& { return fake; });
  cls.def(
      "rng", [](FakeNodeContext& f) { return std::make_unique<RngView>(&f.rng()); }, py::keep_alive<0, 1>(),
      "The context's random stream (seeded by the constructor).");
}

}  // namespace

void bind_contexts(py::module_& m) {
  bind_rng(m);
  bind_context_view(m);
  bind_fake_context(m);
}

}  // namespace fogsched::python
