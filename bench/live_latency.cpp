// An open-loop HTTP load generator for the live node's overhead benchmark
// (bench/live/bench_live.py, `make bench-live`).
//
// Requests go out at a fixed rate on a send schedule computed before the run, over
// at most N keep-alive connections. Each request's latency counts from the time the
// schedule gave it, not from when a connection was free to send it, so a slow answer
// that delays the next sends is charged to those sends too (no coordinated omission).
// The result is one JSON line on stdout.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <future>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <nlohmann/json.hpp>

#include "fogsched/core/stats.h"
#include "fogsched/core/units.h"
#include "fogsched/live/http.h"

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using fogsched::QuantileHistogram;
using fogsched::live::ClientFailure;
using fogsched::live::ClientResult;
using fogsched::live::HttpClient;
using fogsched::live::IoContextPool;
using fogsched::live::Request;
using fogsched::live::Url;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kFailureKinds = 5;  // the values of ClientFailure
// The first sends are scheduled this far after start, so every worker is waiting
// on its timer before the first slot comes.
constexpr auto kScheduleLead = std::chrono::milliseconds(20);

struct Options {
  Url target;
  http::verb method = http::verb::get;
  std::string body;
  double rate = 1000;            // requests per second
  Clock::duration duration{};    // measured part of the run
  Clock::duration warmup{};      // sent before it, not recorded
  std::size_t connections = 16;  // concurrent requests, so keep-alive connections, at most
  Clock::duration timeout{};     // each request, from its actual send
  unsigned threads = 1;
};

// What one worker saw; workers own theirs, so recording takes no lock.
struct Tally {
  QuantileHistogram latency;  // seconds from the scheduled send to the answer
  QuantileHistogram service;  // seconds from the actual send to the answer
  std::uint64_t ok = 0;       // 2xx answers
  std::uint64_t non_2xx = 0;
  std::array<std::uint64_t, kFailureKinds> failures{};  // by ClientFailure
  Clock::duration max_send_lag{};                       // how late after its slot a request left
  Clock::time_point last_answer{};
};

struct Run {
  const Options& options;
  std::vector<Clock::time_point> schedule;
  std::size_t first_measured = 0;  // index of the first send after the warm-up
  std::atomic<std::size_t> next{0};
};

std::vector<Clock::time_point> send_schedule(Clock::time_point start, double rate, std::size_t count) {
  std::vector<Clock::time_point> schedule;
  schedule.reserve(count);
  const double interval_ns = 1e9 / rate;
  for (std::size_t i = 0; i < count; ++i) {
    // Computed from the index, not accumulated, so rounding does not drift the rate.
    schedule.push_back(start +
                       std::chrono::nanoseconds(static_cast<std::int64_t>(static_cast<double>(i) * interval_ns)));
  }
  return schedule;
}

Request make_request(const Options& options) {
  Request request{options.method, options.target.prefix.empty() ? "/" : options.target.prefix, 11};
  request.keep_alive(true);
  if (!options.body.empty() || options.method == http::verb::post || options.method == http::verb::put) {
    request.body() = options.body;
    request.prepare_payload();
  }
  return request;
}

// Takes the next free slot of the schedule, waits for its time, sends, records;
// until the schedule is used up. N workers are N requests in flight at most.
asio::awaitable<void> worker(Run& run, HttpClient& client, Tally& tally) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    const std::size_t slot = run.next.fetch_add(1, std::memory_order_relaxed);
    if (slot >= run.schedule.size()) co_return;
    const Clock::time_point scheduled = run.schedule[slot];
    timer.expires_at(scheduled);
    boost::system::error_code ignored;  // the timer is never cancelled
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));

    Request request = make_request(run.options);
    const Url target = run.options.target;
    const Clock::time_point sent = Clock::now();
    ClientResult result = co_await client.send(target, std::move(request), run.options.timeout);
    const Clock::time_point answered = Clock::now();
    if (slot < run.first_measured) continue;

    tally.max_send_lag = std::max(tally.max_send_lag, sent - scheduled);
    tally.last_answer = std::max(tally.last_answer, answered);
    if (!result) {
      ++tally.failures.at(static_cast<std::size_t>(result.failure));
      continue;
    }
    if (http::to_status_class(result.response->result()) != http::status_class::successful) {
      ++tally.non_2xx;
      continue;
    }
    ++tally.ok;
    tally.latency.record(std::chrono::duration<double>(answered - scheduled).count());
    tally.service.record(std::chrono::duration<double>(answered - sent).count());
  }
}

nlohmann::json quantiles_us(const QuantileHistogram& histogram) {
  const auto us = [](double seconds) { return std::round(seconds * 1e7) / 10.0; };  // 0.1 µs
  return {{"p50", us(histogram.quantile(0.50))}, {"p90", us(histogram.quantile(0.90))},
          {"p99", us(histogram.quantile(0.99))}, {"p999", us(histogram.quantile(0.999))},
          {"max", us(histogram.max())},          {"mean", us(histogram.mean())}};
}

nlohmann::json run_load(const Options& options) {
  const auto count_for = [&](Clock::duration span) {
    return static_cast<std::size_t>(std::chrono::duration<double>(span).count() * options.rate);
  };
  const std::size_t warmup_sends = count_for(options.warmup);
  const std::size_t total_sends = warmup_sends + count_for(options.duration);

  IoContextPool contexts(options.threads);
  HttpClient client(contexts, fogsched::live::ClientOptions{.max_idle_per_origin = options.connections});
  Run run{.options = options,
          .schedule = send_schedule(Clock::now() + kScheduleLead, options.rate, total_sends),
          .first_measured = warmup_sends};
  std::vector<Tally> tallies(options.connections);
  // Workers are spread over the contexts; each keeps its own connection there.
  std::vector<std::future<void>> workers;
  workers.reserve(tallies.size());
  for (Tally& tally : tallies) {
    workers.push_back(asio::co_spawn(contexts.next(), worker(run, client, tally), asio::use_future));
  }
  contexts.start();
  for (std::future<void>& finished : workers) finished.get();
  client.close_idle();
  contexts.stop();
  contexts.join();

  Tally all;
  for (const Tally& tally : tallies) {
    all.latency.merge(tally.latency);
    all.service.merge(tally.service);
    all.ok += tally.ok;
    all.non_2xx += tally.non_2xx;
    for (std::size_t k = 0; k < kFailureKinds; ++k) all.failures.at(k) += tally.failures.at(k);
    all.max_send_lag = std::max(all.max_send_lag, tally.max_send_lag);
    all.last_answer = std::max(all.last_answer, tally.last_answer);
  }

  nlohmann::json errors = {{"non_2xx", all.non_2xx}};
  std::uint64_t error_count = all.non_2xx;
  for (std::size_t k = 0; k < kFailureKinds; ++k) {
    errors[fogsched::live::to_string(static_cast<ClientFailure>(k))] = all.failures.at(k);
    error_count += all.failures.at(k);
  }
  const std::uint64_t measured_sends = total_sends - warmup_sends;
  // Answers per second from the first measured slot to the last answer: below the
  // asked rate when the target (or this generator) could not keep up.
  double achieved_rate = 0;
  if (measured_sends > 0 && all.last_answer > run.schedule[warmup_sends]) {
    const double span = std::chrono::duration<double>(all.last_answer - run.schedule[warmup_sends]).count();
    achieved_rate = static_cast<double>(all.ok) / span;
  }
  return {{"url", options.target.to_string()},
          {"rate", options.rate},
          {"duration_s", std::chrono::duration<double>(options.duration).count()},
          {"warmup_s", std::chrono::duration<double>(options.warmup).count()},
          {"connections", options.connections},
          {"sent", measured_sends},
          {"ok", all.ok},
          {"errors", error_count},
          {"error_kinds", errors},
          {"achieved_rate", std::round(achieved_rate * 10) / 10},
          {"max_send_lag_us", std::chrono::duration<double, std::micro>(all.max_send_lag).count()},
          {"latency_us", quantiles_us(all.latency)},
          {"service_us", quantiles_us(all.service)}};
}

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{
      "Open-loop HTTP load at a fixed rate over keep-alive connections; latency from each request's scheduled "
      "send time. Prints one JSON line."};
  std::string url_text;
  std::string method_text = "GET";
  std::string duration_text = "10s";
  std::string warmup_text = "1s";
  std::string timeout_text = "1s";
  Options options;
  app.add_option("url", url_text, "Target, e.g. http://127.0.0.1:18080/function/noop")->required();
  app.add_option("--rate", options.rate, "Requests per second (default 1000)")->check(CLI::Range(1.0, 1e6));
  app.add_option("--duration", duration_text, "Measured time (default 10s)");
  app.add_option("--warmup", warmup_text, "Time sent first and not recorded (default 1s)");
  app.add_option("--connections", options.connections,
                 "Keep-alive connections, so requests in flight, at most (default 16)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}));
  app.add_option("--timeout", timeout_text, "Limit on each request (default 1s)");
  app.add_option("--method", method_text, "HTTP method (default GET)");
  app.add_option("--body", options.body, "Request body");
  app.add_option("--threads", options.threads, "Event-loop threads (default 1)")->check(CLI::Range(1u, 64u));
  CLI11_PARSE(app, argc, argv);

  options.target = fogsched::live::parse_url(url_text);
  options.duration = fogsched::parse_duration(duration_text);
  options.warmup = fogsched::parse_duration(warmup_text);
  options.timeout = fogsched::parse_duration(timeout_text);
  options.method = http::string_to_verb(method_text);
  if (options.method == http::verb::unknown)
    throw std::invalid_argument("--method: unknown method '" + method_text + "'");
  if (options.duration <= Clock::duration::zero()) throw std::invalid_argument("--duration must be positive");
  if (options.warmup < Clock::duration::zero()) throw std::invalid_argument("--warmup must not be negative");
  if (options.timeout <= Clock::duration::zero()) throw std::invalid_argument("--timeout must be positive");
  std::cout << run_load(options).dump() << std::endl;
  return 0;
} catch (const std::exception& e) {  // bad options, and any failure of the run
  std::cerr << "bench_live_latency: " << e.what() << '\n';
  return 2;
}
