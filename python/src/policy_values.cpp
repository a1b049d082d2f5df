// The policy vocabulary of decision.h, load.h, invocation.h and policy.h as Python
// classes: plain values with keyword constructors, equality and a readable repr.
#include "policy_values.h"

#include <pybind11/operators.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "fogsched/core/invocation.h"
#include "fogsched/core/load.h"
#include "fogsched/core/policy.h"

namespace py = pybind11;
using namespace pybind11::literals;

namespace fogsched::python {

Duration duration_from_seconds(double seconds) {
  // Beyond about 292 years the nanoseconds overflow int64.
  if (!std::isfinite(seconds) || std::abs(seconds) > 9.2e9) {
    throw py::value_error(fmt::format("expected a finite duration in seconds, got {}", seconds));
  }
  return from_seconds(seconds);
}

std::vector<NodeId> node_ids(const std::vector<std::uint32_t>& values) {
  std::vector<NodeId> nodes;
  nodes.reserve(values.size());
  for (std::uint32_t value : values) nodes.emplace_back(value);
  return nodes;
}

Decision to_decision(py::handle result, std::string_view policy) {
  if (py::isinstance<RunLocal>(result)) return RunLocal{};
  if (py::isinstance<Forward>(result)) return result.cast<const Forward&>();
  if (py::isinstance<Reject>(result)) return result.cast<const Reject&>();
  if (py::isinstance<Probe>(result)) return result.cast<const Probe&>();
  throw DecisionTypeError(fmt::format(
      "policy '{}': decide() returned {} of type {}; expected fogsched.RunLocal(), Forward(peer), Reject(reason) or "
      "Probe(peers)",
      policy, py::repr(result).cast<std::string>(), py::type::of(result).attr("__qualname__").cast<std::string>()));
}

namespace {

std::string describe(const LoadReport& load) {
  return fmt::format("LoadReport(running={}, queued={}, slots={}, queue_capacity={})", load.running, load.queued,
                     load.slots, load.queue_capacity);
}

std::vector<std::uint32_t> peer_values(const PeerSet& peers) {
  std::vector<std::uint32_t> values;
  for (NodeId peer : peers) values.push_back(peer.value);
  return values;
}

PeerSet peer_set(const std::vector<std::uint32_t>& values) {
  if (values.size() > kMaxProbePeers) {
    throw py::value_error(fmt::format("a Probe asks at most {} peers, got {}", kMaxProbePeers, values.size()));
  }
  PeerSet peers;
  for (std::uint32_t value : values) peers.emplace_back(value);
  return peers;
}

// A read-write property `name` of `Class` whose C++ member is a StrongId, as an int.
template <typename Class, typename Id>
void def_id(py::class_<Class>& cls, const char* name, Id Class::*member, const char* doc) {
  cls.def_property(
      name, [member](const Class& self) { return (self.*member).value; },
      [member](Class& self, decltype(Id::value) value) { self.*member = Id{value}; }, doc);
}

// pybind11's `value` property of an enum comes without a docstring.
template <typename Enum>
void document_value(const py::enum_<Enum>& cls) {
  cls.attr("value").attr("__doc__") = "the enumerator's number";
}

void bind_enums(py::module_& m) {
  py::enum_<RejectReason> reasons(m, "RejectReason", "Why an invocation is rejected.");
  reasons.value("no_capacity", RejectReason::no_capacity, "no slot and no queue place")
      .value("policy", RejectReason::policy, "the policy chose to drop it (admission control)")
      .value("hop_limit", RejectReason::hop_limit, "a forward at the hop limit found no capacity")
      .value("no_peer", RejectReason::no_peer, "nowhere to send it");
  document_value(reasons);
  py::enum_<Outcome> outcomes(m, "Outcome", "How an invocation ended.");
  outcomes.value("completed", Outcome::completed)
      .value("rejected", Outcome::rejected)
      .value("deadline_missed", Outcome::deadline_missed)
      .value("failed", Outcome::failed);
  document_value(outcomes);
}

void bind_loads(py::module_& m) {
  py::class_<LoadReport>(m, "LoadReport", "A node's load: load() = running + queued.")
      .def(py::init([](std::uint32_t running, std::uint32_t queued, std::uint32_t slots, std::uint32_t queue_capacity) {
             return LoadReport{running, queued, slots, queue_capacity};
           }),
           "running"_a = 0, "queued"_a = 0, "slots"_a = 0, "queue_capacity"_a = 0)
      .def_readwrite("running", &LoadReport::running, "executions holding a slot")
      .def_readwrite("queued", &LoadReport::queued, "waiting for a slot")
      .def_readwrite("slots", &LoadReport::slots, "K: parallel executions")
      .def_readwrite("queue_capacity", &LoadReport::queue_capacity, "Q: 0 means a loss node")
      .def("load", &LoadReport::load, "running + queued")
      .def("has_free_slot", &LoadReport::has_free_slot)
      .def("can_accept", &LoadReport::can_accept, "A slot or a queue place is free.")
      .def(py::self == py::self)  // NOLINT(misc-redundant-expression)
      .def("__repr__", &describe);
  py::class_<KnownLoad>(m, "KnownLoad", "A peer's load as last heard by gossip, and its age in seconds.")
      .def(py::init([](const LoadReport& load, double age) {
             return KnownLoad{load, duration_from_seconds(age)};
           }),
           "load"_a, "age"_a = 0.0)
      .def_readwrite("load", &KnownLoad::load, "the load the peer reported")
      .def_property(
          "age", [](const KnownLoad& k) { return to_seconds(k.age); },
          [](KnownLoad& k, double age) { k.age = duration_from_seconds(age); }, "seconds since it was sent")
      .def("__repr__", [](const KnownLoad& k) {
        return fmt::format("KnownLoad({}, age={})", describe(k.load), to_seconds(k.age));
      });
  py::class_<KnownPeer>(m, "KnownPeer", "A remembered peer and the load last heard from it.")
      .def(py::init([](std::uint32_t peer, const KnownLoad& known) {
             return KnownPeer{NodeId{peer}, known};
           }),
           "peer"_a, "known"_a)
      .def_property(
          "peer", [](const KnownPeer& k) { return k.peer.value; },
          [](KnownPeer& k, std::uint32_t peer) { k.peer = NodeId{peer}; }, "the peer's node id")
      .def_readwrite("known", &KnownPeer::known, "its load as last heard, with its age")
      .def("__repr__", [](const KnownPeer& k) {
        return fmt::format("KnownPeer({}, {}, age={})", k.peer.value, describe(k.known.load), to_seconds(k.known.age));
      });
  py::class_<ProbeAnswer> answer(m, "ProbeAnswer", "A peer's answer to a probe.");
  answer
      .def(py::init([](std::uint32_t peer, const LoadReport& load) {
             return ProbeAnswer{NodeId{peer}, load};
           }),
           "peer"_a, "load"_a)
      .def_readwrite("load", &ProbeAnswer::load, "its load when it answered")
      .def("__repr__", [](const ProbeAnswer& a) {
        return fmt::format("ProbeAnswer(peer={}, load={})", a.peer.value, describe(a.load));
      });
  def_id(answer, "peer", &ProbeAnswer::peer, "the node that answered");
}

void bind_calls(py::module_& m) {
  py::class_<Invocation> invocation(m, "Invocation", "What a policy knows about one function call.");
  invocation
      .def(py::init([](std::uint64_t id, std::uint32_t function, std::uint32_t origin, std::uint32_t hops,
                       double arrival, std::uint64_t payload_bytes) {
             return Invocation{.id = InvocationId{id},
                               .function = FunctionId{function},
                               .origin = NodeId{origin},
                               .hops = hops,
                               .arrival = Time{duration_from_seconds(arrival)},
                               .payload_bytes = payload_bytes};
           }),
           "id"_a = 0, "function"_a = 0, "origin"_a = 0, "hops"_a = 0, "arrival"_a = 0.0, "payload_bytes"_a = 0)
      .def_readwrite("hops", &Invocation::hops, "forwards so far; 0 for a client invocation")
      .def_property(
          "arrival", [](const Invocation& i) { return to_seconds(i.arrival); },
          [](Invocation& i, double s) { i.arrival = Time{duration_from_seconds(s)}; },
          "when the client's call reached the origin (seconds)")
      .def_readwrite("payload_bytes", &Invocation::payload_bytes, "the request body's size")
      .def("__repr__", [](const Invocation& i) {
        return fmt::format("Invocation(id={}, function={}, origin={}, hops={}, arrival={}, payload_bytes={})",
                           i.id.value, i.function.value, i.origin.value, i.hops, to_seconds(i.arrival),
                           i.payload_bytes);
      });
  def_id(invocation, "id", &Invocation::id, "unique within one replication");
  def_id(invocation, "function", &Invocation::function, "index of the function in the scenario");
  def_id(invocation, "origin", &Invocation::origin, "the node the client called");

  py::class_<Completion> completion(m, "Completion", "What the origin node learns when its invocation ends.");
  completion
      .def(py::init([](std::uint64_t id, std::uint32_t function, std::uint32_t executed_on, Outcome outcome,
                       double response_time) {
             return Completion{InvocationId{id}, FunctionId{function}, NodeId{executed_on}, outcome,
                               duration_from_seconds(response_time)};
           }),
           "id"_a = 0, "function"_a = 0, "executed_on"_a = 0, "outcome"_a = Outcome::completed, "response_time"_a = 0.0)
      .def_readwrite("outcome", &Completion::outcome, "how it ended")
      .def_property(
          "response_time", [](const Completion& c) { return to_seconds(c.response_time); },
          [](Completion& c, double s) { c.response_time = duration_from_seconds(s); },
          "arrival at the origin to the answer back there (seconds)")
      .def("__repr__", [](const Completion& c) {
        return fmt::format("Completion(id={}, function={}, executed_on={}, outcome={}, response_time={})", c.id.value,
                           c.function.value, c.executed_on.value, to_string(c.outcome), to_seconds(c.response_time));
      });
  def_id(completion, "id", &Completion::id, "the invocation");
  def_id(completion, "function", &Completion::function, "its function");
  def_id(completion, "executed_on", &Completion::executed_on, "where it ran (the origin when rejected there)");
}

void bind_decisions(py::module_& m) {
  py::class_<RunLocal>(m, "RunLocal", "Run the invocation on this node.")
      .def(py::init<>())
      .def(py::self == py::self)  // NOLINT(misc-redundant-expression)
      .def("__repr__", [](const RunLocal&) { return "RunLocal()"; });
  py::class_<Forward> forward(m, "Forward", "Send the invocation to a listed peer or to ctx.cloud().");
  forward.def(py::init([](std::uint32_t peer) { return Forward{NodeId{peer}}; }), "peer"_a)
      .def(py::self == py::self)  // NOLINT(misc-redundant-expression)
      .def("__repr__", [](const Forward& f) { return fmt::format("Forward({})", f.peer.value); });
  def_id(forward, "peer", &Forward::peer, "the node it goes to");
  py::class_<Reject>(m, "Reject", "Reject the invocation.")
      .def(py::init([](RejectReason reason) { return Reject{reason}; }), "reason"_a = RejectReason::no_capacity)
      .def_readwrite("reason", &Reject::reason, "why (a RejectReason)")
      .def(py::self == py::self)  // NOLINT(misc-redundant-expression)
      .def("__repr__", [](const Reject& r) { return fmt::format("Reject(RejectReason.{})", to_string(r.reason)); });
  py::class_<Probe>(m, "Probe",
                    "Ask these peers for their load; decide() is called again with ctx.probe_answers(). "
                    "At most 16 peers.")
      .def(py::init([](const std::vector<std::uint32_t>& peers) { return Probe{peer_set(peers)}; }), "peers"_a)
      .def_property(
          "peers", [](const Probe& p) { return peer_values(p.peers); },
          [](Probe& p, const std::vector<std::uint32_t>& peers) { p.peers = peer_set(peers); }, "the peers to ask")
      .def(py::self == py::self)  // NOLINT(misc-redundant-expression)
      .def("__repr__",
           [](const Probe& p) { return fmt::format("Probe([{}])", fmt::join(peer_values(p.peers), ", ")); });
}

}  // namespace

void bind_policy_values(py::module_& m) {
  bind_enums(m);
  bind_loads(m);
  bind_calls(m);
  bind_decisions(m);
}

}  // namespace fogsched::python
