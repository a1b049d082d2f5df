"""`fogsched host` as a process: the --latency flag, and SIGTERM finishing queued
async calls (callbacks included) before the host exits.

Every request and wait has a timeout; the host is killed at the end whatever happens.
"""

from __future__ import annotations

import http.client
import http.server
import signal
import subprocess
import threading
import time

import pytest
import yaml

from cluster import CLI, wait_listening

TIMEOUT_S = 10.0


@pytest.fixture
def start_host(tmp_path):
    started: list[subprocess.Popen] = []

    def start(functions: list[dict], *flags: str) -> tuple[subprocess.Popen, int]:
        config = tmp_path / "host.yaml"
        config.write_text(yaml.safe_dump({"functions": functions}))
        process = subprocess.Popen([CLI, "host", "--config", str(config), "--listen", "127.0.0.1:0",
                                    "--threads", "1", *flags],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        started.append(process)
        return process, int(wait_listening(process, "host").rsplit(":", 1)[1])

    yield start
    for process in started:
        process.kill()
        process.communicate(timeout=TIMEOUT_S)


def call(port: int, method: str, path: str, headers: dict | None = None) -> tuple[int, dict, float]:
    began = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    try:
        connection.request(method, path, body=b"", headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, dict(response.getheaders()), time.monotonic() - began
    finally:
        connection.close()


NOOP = {"name": "noop", "synthetic": "deterministic(0s)"}


def test_latency_flag_delays_calls_both_ways(start_host):
    _, port = start_host([NOOP], "--latency", "150ms")
    status, _, elapsed = call(port, "POST", "/function/noop")
    assert status == 200
    assert 0.3 <= elapsed < 3.0
    status, _, elapsed = call(port, "GET", "/healthz")
    assert status == 200
    assert elapsed < 0.3


def test_bad_latency_flag_exits_2(tmp_path):
    config = tmp_path / "host.yaml"
    config.write_text(yaml.safe_dump({"functions": [NOOP]}))
    result = subprocess.run([CLI, "host", "--config", str(config), "--latency", "soon"],
                            capture_output=True, text=True, timeout=TIMEOUT_S)
    assert result.returncode == 2
    assert "--latency" in result.stderr


class Callbacks(http.server.BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 (the standard library's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Callbacks.received.append({"status": self.headers.get("X-Function-Status"), "body": body})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_sigterm_finishes_queued_calls_before_exit(start_host):
    receiver = http.server.HTTPServer(("127.0.0.1", 0), Callbacks)
    Callbacks.received = []
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        slow = {"name": "slow", "synthetic": "deterministic(500ms)", "max_inflight": 1}
        process, port = start_host([slow])
        callback_url = f"http://127.0.0.1:{receiver.server_address[1]}/done"
        for _ in range(2):
            status, headers, _ = call(port, "POST", "/async-function/slow", {"X-Callback-Url": callback_url})
            assert status == 202
            assert headers.get("X-Call-Id")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=TIMEOUT_S) == 0
        assert [callback["status"] for callback in Callbacks.received] == ["200", "200"]
    finally:
        receiver.shutdown()
        receiver.server_close()
