"""Live mode end to end: four `fogsched host` gateways and four `fogsched serve` nodes
on loopback, started as real processes.

Every request has a timeout and every loop a bound; the cluster is killed at the end
of each test whatever happens.
"""

from __future__ import annotations

import base64
import concurrent.futures
import http.server
import json
import queue
import subprocess
import threading

import pytest

from cluster import ADMIN, PEER_TOKEN, Cluster

# A command function that shows what it saw: method, path, query, one header, then
# the body unchanged.
ECHO = {
    "name": "echo",
    "command": ["sh", "-c", 'printf "%s|%s|%s|%s\\n" "$Http_Method" "$Http_Path" "$Http_Query" "$Http_X_Custom"; cat'],
    "max_inflight": 8,
    "exec_timeout": "10s",
}
# A plate-recognition stand-in that holds its slot for a fixed time.
SLOW_SECONDS = 1.5
SLOW = {"name": "slow", "synthetic": {"dist": "deterministic", "mean": f"{SLOW_SECONDS}s"}, "max_inflight": 2}
FAST = {"name": "fast", "synthetic": {"dist": "deterministic", "mean": "0s"}, "max_inflight": 4}


@pytest.fixture
def cluster_factory(tmp_path):
    started: list[Cluster] = []

    def make(policy: str, size: int = 4, functions=None, hop_limit: int = 1) -> Cluster:
        cluster = Cluster(tmp_path, size, policy, functions or [ECHO, SLOW, FAST], hop_limit)
        started.append(cluster)
        return cluster.start()

    yield make
    for cluster in started:
        cluster.close()


def test_calls_pass_through_unchanged(cluster_factory):
    cluster = cluster_factory("local")
    body = bytes(range(256)) * 4
    for method in ["GET", "POST", "PUT", "DELETE", "PATCH"]:
        reply = cluster.call(0, method, "/function/echo/a/b?x=1&y=two", body, {"X-Custom": "kept"})
        assert reply.status == 200, reply.body
        first_line, _, rest = reply.body.partition(b"\n")
        assert first_line.decode() == f"{method}|/a/b|x=1&y=two|kept"
        assert rest == body
        assert reply.header("X-Fogsched-Node") == "n0"
        assert reply.header("X-Fogsched-Decision") == "run_local"
        assert reply.header("X-Fogsched-Hops") == "0"


def test_power_of_d_forwards_when_hot_and_not_when_cold(cluster_factory):
    cluster = cluster_factory("power_of_d(d=2,threshold=2)")
    cold = cluster.call(0, "POST", "/function/slow", b"cold")
    assert cold.status == 200
    assert cold.header("X-Fogsched-Decision") == "run_local"
    assert cold.header("X-Fogsched-Probes") == "0"

    hot, busy = cluster.call_when_full(0, "slow", 2)
    assert hot.status == 200, hot.body
    assert hot.header("X-Fogsched-Decision") == "forward"
    assert hot.header("X-Fogsched-Node") in {"n1", "n2", "n3"}
    assert hot.header("X-Fogsched-Hops") == "1"
    assert hot.header("X-Fogsched-Probes") == "2"
    assert all(reply.status == 200 for reply in busy)


def test_no_call_takes_more_forwards_than_the_hop_limit(cluster_factory):
    cluster = cluster_factory("random")
    hops = [int(cluster.call(i % 4, "GET", "/function/fast").header("X-Fogsched-Hops")) for i in range(40)]
    assert max(hops) == 1 and min(hops) == 1, hops


def test_peer_endpoints_need_the_token(cluster_factory):
    cluster = cluster_factory("local", size=2)
    assert cluster.call(0, "GET", "/peer/load?function=fast").status == 401
    assert cluster.call(0, "POST", "/peer/function/fast", b"x").status == 401
    allowed = cluster.call(0, "GET", "/peer/load?function=fast", headers={"X-Fogsched-Token": PEER_TOKEN})
    assert allowed.status == 200
    assert allowed.header("X-Fogsched-Slots") == "4", "K comes from the function's max_inflight"


def test_system_calls_use_the_callers_credentials(cluster_factory):
    cluster = cluster_factory("local", size=1)
    anonymous = cluster.call(0, "GET", "/system/functions")
    assert anonymous.status == 401
    assert anonymous.body == b"invalid credentials"
    token = base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()
    allowed = cluster.call(0, "GET", "/system/functions", headers={"Authorization": f"Basic {token}"})
    assert allowed.status == 200
    assert {f["name"] for f in json.loads(allowed.body)} == {"echo", "slow", "fast"}


def test_a_node_killed_mid_run_loses_no_call(cluster_factory):
    # `random` forwards every client call, so node 3 receives forwards until it dies.
    cluster = cluster_factory("random")
    calls = 120
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(cluster.call, i % 3, "POST", "/function/fast", b"x") for i in range(calls)]
        cluster.nodes[3].kill()
        replies = [f.result(timeout=60) for f in futures]
    assert len(replies) == calls
    # A forward in flight to node 3 as it died may have run there: its origin answers
    # with its own failure and never runs it again. Every other call is answered.
    lost_in_flight = [r for r in replies if r.status in (502, 504)]
    assert all(r.header("X-Fogsched-Failure") in ("peer-broken", "peer-timeout") for r in lost_in_flight)
    assert all(r.status in (200, 429, 502, 504) for r in replies), sorted({r.status for r in replies})
    assert sum(r.status == 200 for r in replies) >= calls * 0.9
    # The dead node was really in the way: some forwards to it failed and fell back.
    failed_forwards = 0
    for node in range(3):
        for line in cluster.call(node, "GET", "/metrics").body.decode().splitlines():
            if line.startswith("fogsched_forward_failures_total "):
                failed_forwards += int(float(line.split()[1]))
    assert failed_forwards >= 1


def test_a_stopped_gateway_gives_a_node_made_failure_not_a_hang(cluster_factory):
    cluster = cluster_factory("local", size=1)
    assert cluster.call(0, "GET", "/function/fast").status == 200
    cluster.hosts[0].kill()
    cluster.hosts[0].wait(timeout=10)
    for _ in range(5):
        reply = cluster.call(0, "GET", "/function/fast", timeout=10)
        # 502 for the call that finds the gateway gone, 503 once the node knows.
        assert reply.status in (502, 503)
        assert reply.headers["x-fogsched-failure"] == "gateway-unavailable"
    assert cluster.call(0, "GET", "/healthz").status == 503


def test_sigterm_drains_in_flight_calls(cluster_factory):
    cluster = cluster_factory("local", size=1)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        in_flight = pool.submit(cluster.call, 0, "POST", "/function/slow", b"finish me")
        cluster.wait_running(0, "slow", 1)
        cluster.terminate_node(0)
        reply = in_flight.result(timeout=30)
    assert reply.status == 200
    assert cluster.nodes[0].wait(timeout=20) == 0
    with pytest.raises(OSError):
        cluster.call(0, "GET", "/healthz", timeout=5)


def test_async_calls_are_scheduled_queued_on_the_chosen_camera_and_called_back(cluster_factory):
    cluster = cluster_factory("power_of_d(d=1,threshold=2)", size=2)
    received: queue.Queue = queue.Queue()

    class Callback(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the standard library's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.put(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Callback)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        callback_url = f"http://127.0.0.1:{server.server_address[1]}/done"
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            # Both of n0's slots of `slow` are busy, so the async call is queued on n1.
            busy = [pool.submit(cluster.call, 0, "POST", "/function/slow") for _ in range(2)]
            cluster.wait_running(0, "slow", 2)
            reply = cluster.call(0, "POST", "/async-function/slow", b"frame",
                                 {"X-Callback-Url": callback_url, "X-Call-Id": "call-42"})
            assert reply.status == 202, reply.body
            assert reply.header("X-Call-Id") == "call-42"
            assert reply.header("X-Fogsched-Decision") == "forward"
            assert reply.header("X-Fogsched-Node") == "n1"
            assert all(f.result(timeout=15).status == 200 for f in busy)
        headers, body = received.get(timeout=15)
        assert headers["x-call-id"] == "call-42"
        assert headers["x-function-status"] == "200"
        assert headers["x-function-name"] == "slow"
        assert float(headers["x-duration-seconds"]) >= SLOW_SECONDS * 0.9
        assert received.empty(), "called back once"
    finally:
        server.shutdown()
        server.server_close()
