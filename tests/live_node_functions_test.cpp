// The functions a scheduler node tracks, against a fake gateway that knows a set of
// deployed functions: K read honestly (failed lookups logged, counted and shown),
// refreshed on a timer, probes of functions not served yet, no state for names the
// gateway does not know, the cap with its eviction, and namespaces.
#include <chrono>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "live_fixtures.h"
#include "live_wire.h"

namespace fogsched::live {
namespace {

using namespace std::chrono_literals;
using namespace fogsched::live::testing;
using ::testing::HasSubstr;
using json = nlohmann::json;

json status_of(Cluster& cluster, std::size_t node = 0) {
  const Response response = cluster.send(node, call(http::verb::get, std::string(wire::kStatusPath)));
  return json::parse(response.body());
}

std::string metrics_of(Cluster& cluster, std::size_t node = 0) {
  return cluster.send(node, call(http::verb::get, std::string(wire::kMetricsPath))).body();
}

Response probe(Cluster& cluster, const std::string& function) {
  Request request = call(http::verb::get, probe_target(function));
  request.set(header_name(wire::kTokenHeader), "peer-token-1234");
  return cluster.send(0, request);
}

// Polls /status (bounded: 10 s) until `done` holds for it; the last one read.
template <class Done>
json wait_for_status(Cluster& cluster, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  json status = status_of(cluster);
  while (!done(status) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
    status = status_of(cluster);
  }
  return status;
}

// K of `function` in a /status answer; -1 when it has no row.
int slots_in(const json& status, const std::string& function) {
  const json& functions = status.at("functions");
  return functions.contains(function) ? functions.at(function).at("slots").get<int>() : -1;
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++count;
  return count;
}

TEST(NodeFunctions, ALookupWithWrongCredentialsIsLoggedOnceCountedAndShown) {
  Loop loop;
  TempDir wrong;
  wrong.write("basic-auth-user", "admin");
  wrong.write("basic-auth-password", "not-the-secret");
  Cluster cluster(loop, 1, policy("local"), 4, {}, [&](NodeConfig& config) { config.secrets_dir = wrong.path(); });
  cluster.gateways[0]->deploy("f", limited_to("2"));
  cluster.gateways[0]->deploy("g", limited_to("2"));

  ::testing::internal::CaptureStderr();
  EXPECT_EQ(cluster.send(0, call(http::verb::post, "/function/f")).result(), http::status::created);
  EXPECT_EQ(cluster.send(0, call(http::verb::post, "/function/g")).result(), http::status::created);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(count_of(log, "401 from the gateway: check gateway.secrets"), 1u) << log;
  EXPECT_THAT(log, HasSubstr(" f: ")) << "the line names the function";

  EXPECT_EQ(metric(cluster, 0, "fogsched_slot_lookup_failures_total{reason=\"unauthorized\"}"), 2);
  EXPECT_EQ(metric(cluster, 0, "fogsched_slot_lookup_failures_total{reason=\"unreachable\"}"), 0);
  const json status = status_of(cluster);
  EXPECT_EQ(status["functions"]["f"]["slots_source"], "lookup failed: unauthorized");
  EXPECT_EQ(status["functions"]["f"]["slots"], 4) << "the default, said to be one";
}

TEST(NodeFunctions, MissingSecretsWarnAtStartAndLookupsCountNoCredentials) {
  Loop loop;
  ::testing::internal::CaptureStderr();
  Cluster cluster(loop, 1, policy("local"), 4, {"f"},
                  [](NodeConfig& config) { config.secrets_dir = "/nonexistent/fogsched-secrets"; });
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(log, HasSubstr("warning: gateway.secrets: /nonexistent/fogsched-secrets does not exist")) << log;

  EXPECT_EQ(cluster.send(0, call(http::verb::post, "/function/f")).result(), http::status::created);
  EXPECT_EQ(metric(cluster, 0, "fogsched_slot_lookup_failures_total{reason=\"no_credentials\"}"), 1);
  EXPECT_EQ(status_of(cluster)["functions"]["f"]["slots_source"], "lookup failed: no_credentials");
}

TEST(NodeFunctions, ASecretsDirectoryWithoutTheTwoFilesWarnsAtStart) {
  Loop loop;
  TempDir empty;
  ::testing::internal::CaptureStderr();
  Cluster cluster(loop, 1, policy("local"), 4, {"f"}, [&](NodeConfig& config) { config.secrets_dir = empty.path(); });
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(log, HasSubstr("holds no basic-auth-user and basic-auth-password")) << log;
}

TEST(NodeFunctions, LookupFailuresAreCountedByReason) {
  Loop loop;
  Cluster cluster(loop, 1, policy("local"), 4, {"f", "g"});
  cluster.gateways[0]->break_system(http::status::ok);
  EXPECT_EQ(cluster.send(0, call(http::verb::post, "/function/f")).result(), http::status::created);
  cluster.gateways[0]->break_system(http::status::service_unavailable);
  EXPECT_EQ(cluster.send(0, call(http::verb::post, "/function/g")).result(), http::status::created);
  EXPECT_EQ(metric(cluster, 0, "fogsched_slot_lookup_failures_total{reason=\"bad_answer\"}"), 1);
  EXPECT_EQ(metric(cluster, 0, "fogsched_slot_lookup_failures_total{reason=\"unreachable\"}"), 1);
  const json status = status_of(cluster);
  EXPECT_EQ(status["functions"]["f"]["slots_source"], "lookup failed: bad_answer");
  EXPECT_EQ(status["functions"]["g"]["slots_source"], "lookup failed: unreachable");
}

TEST(NodeFunctions, KsSourceIsShownPerFunction) {
  Loop loop;
  Cluster cluster(loop, 1, policy("local"), 4, {"plain"}, [](NodeConfig& config) {
    config.slots = {{"configured", 7}};
  });
  cluster.gateways[0]->deploy("configured", limited_to("2"));
  cluster.gateways[0]->deploy("limited", limited_to("2"));
  cluster.gateways[0]->deploy("labelled", limited_to("2", {{"com.fogsched.slots", "3"}}));
  for (const char* name : {"configured", "limited", "labelled", "plain"}) {
    EXPECT_EQ(cluster.send(0, call(http::verb::get, std::string("/function/") + name)).result(), http::status::created);
  }
  const json functions = status_of(cluster)["functions"];
  EXPECT_EQ(functions["configured"]["slots_source"], "config");
  EXPECT_EQ(functions["configured"]["slots"], 7);
  EXPECT_EQ(functions["limited"]["slots_source"], "max_inflight");
  EXPECT_EQ(functions["limited"]["slots"], 2);
  EXPECT_EQ(functions["labelled"]["slots_source"], "label");
  EXPECT_EQ(functions["labelled"]["slots"], 3);
  EXPECT_EQ(functions["plain"]["slots_source"], "default");
  EXPECT_EQ(functions["plain"]["slots"], 4);
}

TEST(NodeFunctions, AProbeForAFunctionNotServedYetAnswersItsRealKOr404) {
  Loop loop;
  Cluster cluster(loop, 1, policy("local"), 4, {});
  cluster.gateways[0]->deploy("f", limited_to("2"));
  const Response known = probe(cluster, "f");
  ASSERT_EQ(known.result(), http::status::ok);
  EXPECT_EQ(header(known, wire::kSlotsHeader), "2") << "max_inflight, not the default 4";
  EXPECT_EQ(json::parse(known.body())["slots"], 2);

  EXPECT_EQ(probe(cluster, "nope").result(), http::status::not_found) << "the gateway does not know it";
  cluster.gateways[0]->deploy("g", limited_to("2"));
  cluster.gateways[0]->break_system(http::status::service_unavailable);
  EXPECT_EQ(probe(cluster, "g").result(), http::status::not_found) << "K unknown: never the default";
  const json functions = status_of(cluster)["functions"];
  EXPECT_FALSE(functions.contains("nope"));
  EXPECT_FALSE(functions.contains("g"));
}

TEST(NodeFunctions, KIsRefreshedOnATimerWithoutAnyCall) {
  Loop loop;
  Cluster cluster(loop, 1, policy("local"), 4, {}, [](NodeConfig& config) { config.functions_refresh = 100ms; });
  FakeGateway& gateway = *cluster.gateways[0];
  gateway.deploy("f", limited_to("2"));
  ASSERT_EQ(cluster.send(0, call(http::verb::post, "/function/f")).result(), http::status::created);
  ASSERT_EQ(status_of(cluster)["functions"]["f"]["slots"], 2);
  const int calls = gateway.calls();

  gateway.deploy("f", limited_to("5"));
  json status = wait_for_status(cluster, [](const json& s) { return slots_in(s, "f") == 5; });
  EXPECT_EQ(status["functions"]["f"]["slots"], 5);
  EXPECT_EQ(header(probe(cluster, "f"), wire::kSlotsHeader), "5");

  gateway.deploy("f", limited_to("5", {{"com.fogsched.slots", "3"}}));
  status = wait_for_status(cluster, [](const json& s) { return slots_in(s, "f") == 3; });
  EXPECT_EQ(status["functions"]["f"]["slots"], 3);
  EXPECT_EQ(status["functions"]["f"]["slots_source"], "label");

  gateway.remove("f");
  status = wait_for_status(cluster, [](const json& s) { return slots_in(s, "f") == -1; });
  EXPECT_FALSE(status["functions"].contains("f")) << "a function the gateway no longer lists keeps nothing";
  EXPECT_EQ(gateway.calls(), calls) << "no call in between";
  EXPECT_GE(gateway.list_calls(), 3);
}

TEST(NodeFunctions, UnknownNamesKeepNoStateNoSeriesAndGetTheGatewaysOwn404) {
  Loop loop;
  Cluster cluster(loop, 1, policy("local"), 4, {"known"});
  ASSERT_EQ(cluster.send(0, call(http::verb::get, "/function/known")).result(), http::status::created);
  const std::size_t metrics_before = metrics_of(cluster).size();

  for (int i = 0; i < 300; ++i) {
    const std::string name = "random-" + std::to_string(i * 7919 % 100003);
    const Response response = cluster.send(0, call(http::verb::get, "/function/" + name));
    ASSERT_EQ(response.result(), http::status::not_found);
    ASSERT_THAT(response.body(), ::testing::StartsWith("error finding function " + name + ".openfaas-fn"))
        << "the gateway's own answer";
    ASSERT_EQ(header(response, wire::kNodeHeader), "n0");
  }
  const std::string metrics_after = metrics_of(cluster);
  // Counters grow by a few digits; no series is added.
  EXPECT_LT(metrics_after.size(), metrics_before + 64) << metrics_after;
  EXPECT_EQ(metrics_after.find("random-"), std::string::npos);
  const json functions = status_of(cluster)["functions"];
  EXPECT_EQ(functions.size(), 1u) << functions.dump();
  EXPECT_TRUE(functions.contains("known"));
}

TEST(NodeFunctions, AFunctionTheGatewayForgetsLosesItsEntryButItsOwn404KeepsIt) {
  Loop loop;
  Cluster cluster(loop, 1, policy("local"), 4, {"f"});
  FakeFunction rest = limited_to("2");
  rest.answer = http::status::not_found;  // a REST function's own "no such item"
  cluster.gateways[0]->deploy("rest", rest);
  ASSERT_EQ(cluster.send(0, call(http::verb::get, "/function/f")).result(), http::status::created);
  const Response own = cluster.send(0, call(http::verb::get, "/function/rest/items/7"));
  EXPECT_EQ(own.result(), http::status::not_found);
  ASSERT_TRUE(status_of(cluster)["functions"].contains("f"));

  cluster.gateways[0]->remove("f");
  const Response gone = cluster.send(0, call(http::verb::get, "/function/f"));
  EXPECT_EQ(gone.result(), http::status::not_found);
  EXPECT_THAT(gone.body(), ::testing::StartsWith("error finding function f."));
  const json functions = status_of(cluster)["functions"];
  EXPECT_FALSE(functions.contains("f")) << functions.dump();
  EXPECT_TRUE(functions.contains("rest")) << "a function's own 404 is its answer, not the gateway's";
}

TEST(NodeFunctions, TheCapEvictsTheLeastRecentlyUsedIdleFunctionAndCounts) {
  Loop loop;
  Cluster cluster(loop, 1, policy("local"), 4, {"a", "b", "c", "d"},
                  [](NodeConfig& config) { config.max_tracked = 2; });
  FakeGateway& gateway = *cluster.gateways[0];
  gateway.hold(true);
  auto holding = gateway.when_holding(1);
  auto busy = cluster.send_async(0, call(http::verb::post, "/function/a", "busy"));
  ASSERT_EQ(holding.wait_for(10s), std::future_status::ready);
  gateway.hold(false);

  // a is the least recently used, but running: b goes when c arrives.
  EXPECT_EQ(cluster.send(0, call(http::verb::get, "/function/b")).result(), http::status::created);
  EXPECT_EQ(cluster.send(0, call(http::verb::get, "/function/c")).result(), http::status::created);
  json functions = status_of(cluster)["functions"];
  EXPECT_TRUE(functions.contains("a"));
  EXPECT_FALSE(functions.contains("b"));
  EXPECT_TRUE(functions.contains("c"));
  EXPECT_EQ(metric(cluster, 0, "fogsched_functions_evicted_total"), 1);

  gateway.release();
  ASSERT_EQ(busy.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(cluster.send(0, call(http::verb::get, "/function/c")).result(), http::status::created);
  EXPECT_EQ(cluster.send(0, call(http::verb::get, "/function/d")).result(), http::status::created);
  functions = status_of(cluster)["functions"];
  EXPECT_EQ(functions.size(), 2u) << functions.dump();
  EXPECT_TRUE(functions.contains("c"));
  EXPECT_TRUE(functions.contains("d"));
  EXPECT_EQ(metric(cluster, 0, "fogsched_functions_evicted_total"), 2);
}

TEST(NodeFunctions, NamespacedNamesAreLookedUpInTheirNamespace) {
  Loop loop;
  Cluster cluster(loop, 1, policy("local"), 4, {}, [](NodeConfig& config) { config.functions_refresh = 100ms; });
  FakeGateway& gateway = *cluster.gateways[0];
  gateway.deploy("f", limited_to("1"));
  gateway.deploy("f", limited_to("3"), "dev");
  const Response response = cluster.send(0, call(http::verb::get, "/function/f.dev/x"));
  EXPECT_EQ(response.result(), http::status::created);
  EXPECT_EQ(header(response, "X-Seen-Target"), "/function/f.dev/x");
  EXPECT_EQ(cluster.send(0, call(http::verb::get, "/function/g.dev")).result(), http::status::not_found);
  EXPECT_THAT(gateway.lookups(), ::testing::Contains("/system/function/f?namespace=dev"));
  json functions = status_of(cluster)["functions"];
  EXPECT_EQ(functions["f.dev"]["slots"], 3);
  EXPECT_FALSE(functions.contains("f"));

  gateway.deploy("f", limited_to("6"), "dev");
  functions = wait_for_status(cluster, [](const json& s) { return slots_in(s, "f.dev") == 6; })["functions"];
  EXPECT_EQ(functions["f.dev"]["slots"], 6) << "refreshed from the list of its namespace";
}

}  // namespace
}  // namespace fogsched::live
