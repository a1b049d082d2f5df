"""A loopback cluster of `fogsched host` and `fogsched serve` processes, for the
live demo (live_demo.py) and the tests (tests/live).

Each camera gets one local OpenFaaS-compatible host (its gateway) and one scheduler
node in front of it; every node lists the others as peers. A cluster may have a
cloud: one more host, which adds a WAN latency to every call, named by every node
as its cloud gateway. Processes are started
with their stdout read until they print `listening on ADDRESS`, and are killed when
the cluster closes, whatever happened in the test. Each process's stderr goes to
NAME.stderr in the cluster's directory (a pipe nobody reads could fill and stop it).
With `execution_logs`, every host writes the call ids it runs (its `execution_log`)
to NAME-runs.jsonl there.
"""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import os
import selectors
import signal
import socket
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CLI = os.environ.get("FOGSCHED_CLI", str(Path(__file__).resolve().parents[2] / "build" / "cli" / "fogsched"))
PEER_TOKEN = "cluster-test-token"
ADMIN = ("admin", "cluster-secret")
START_TIMEOUT_S = 20.0


def free_port() -> int:
    """A loopback port that was free a moment ago (nodes must know each other's)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(process: subprocess.Popen, what: str, stderr_file: Path | None = None) -> str:
    """Reads the process's stdout until `listening on ADDRESS`; returns ADDRESS.
    `stderr_file`: where the process's stderr goes, when not to a pipe."""
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + START_TIMEOUT_S
    buffered = b""
    while time.monotonic() < deadline:
        if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
            break
        chunk = os.read(process.stdout.fileno(), 4096)
        if not chunk:
            break
        buffered += chunk
        for line in buffered.decode(errors="replace").splitlines():
            if line.startswith("listening on "):
                return line.removeprefix("listening on ").strip()
    process.kill()
    _, stderr = process.communicate(timeout=10)
    if stderr is None:
        stderr = stderr_file.read_bytes() if stderr_file is not None else b""
    raise RuntimeError(f"{what} did not start: {buffered.decode(errors='replace')} {stderr.decode(errors='replace')}")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


def request(port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
            timeout: float = 15.0) -> Reply:
    """One HTTP request on a new connection, bounded by `timeout` seconds."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


@dataclass
class Cluster:
    directory: Path
    size: int
    policy: str
    functions: list[dict]
    hop_limit: int = 1
    # The cloud's host: {"latency": "10ms", "functions": [...]}; none when absent.
    cloud: dict | None = None
    # More `fogsched serve` flags for every node (e.g. ["--gateway-timeout", "2s"]).
    node_args: list[str] = field(default_factory=list)
    execution_logs: bool = False
    # The `fogsched` command the nodes and hosts run (an installed one, say).
    cli: str = CLI
    hosts: list[subprocess.Popen] = field(default_factory=list)
    nodes: list[subprocess.Popen] = field(default_factory=list)
    host_ports: list[int] = field(default_factory=list)
    cloud_port: int | None = None
    node_ports: list[int] = field(default_factory=list)

    def start(self) -> "Cluster":
        secrets = self.directory / "secrets"
        secrets.mkdir(exist_ok=True)
        (secrets / "basic-auth-user").write_text(ADMIN[0] + "\n")
        (secrets / "basic-auth-password").write_text(ADMIN[1] + "\n")
        (secrets / "fogsched-peer-token").write_text(PEER_TOKEN + "\n")
        self.node_ports = [free_port() for _ in range(self.size)]
        for i in range(self.size):
            self.host_ports.append(self._start_host(f"host-{i}", {"functions": self.functions}, secrets))
        if self.cloud is not None:
            self.cloud_port = self._start_host("cloud", self.cloud, secrets)
        for i in range(self.size):
            self.nodes.append(self._start_node(i))
        return self

    def _start_node(self, i: int) -> subprocess.Popen:
        """Starts node i on its port, its host as gateway, every other node as a peer."""
        secrets = self.directory / "secrets"
        peers = ",".join(f"http://127.0.0.1:{p}" for j, p in enumerate(self.node_ports) if j != i)
        cloud_args = []
        if self.cloud_port is not None:
            cloud_args = ["--cloud", f"http://127.0.0.1:{self.cloud_port}", "--cloud-secrets", str(secrets)]
        node = self._popen(
            f"n{i}",
            [self.cli, "serve", "--name", f"n{i}", "--listen", f"127.0.0.1:{self.node_ports[i]}",
             "--gateway", f"http://127.0.0.1:{self.host_ports[i]}", "--secrets", str(secrets),
             "--peer-token-file", str(secrets / "fogsched-peer-token"), "--peers", peers,
             "--policy", self.policy, "--hop-limit", str(self.hop_limit), "--threads", "1",
             "--probe-timeout", "500ms", "--forward-timeout", "10s", "--drain-timeout", "10s", *cloud_args,
             *self.node_args])
        wait_listening(node, f"node {i}", self.stderr_file(f"n{i}"))
        return node

    def _start_host(self, name: str, settings: dict, secrets: Path) -> int:
        """Starts one `fogsched host` with `settings` (its functions file's keys); its port."""
        config = self.directory / f"{name}.yaml"
        if self.execution_logs:
            settings = {**settings, "execution_log": f"{name}-runs.jsonl"}
        config.write_text(yaml.safe_dump({"listen": "127.0.0.1:0", "secrets": str(secrets), **settings}))
        host = self._popen(name, [self.cli, "host", "--config", str(config), "--threads", "1"])
        self.hosts.append(host)
        return int(wait_listening(host, name, self.stderr_file(name)).rsplit(":", 1)[1])

    def _popen(self, name: str, argv: list[str]) -> subprocess.Popen:
        with open(self.stderr_file(name), "ab") as stderr:
            return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr)

    def stderr_file(self, name: str) -> Path:
        """Where the process NAME (n0, host-0, cloud...) writes its stderr."""
        return self.directory / f"{name}.stderr"

    def close(self) -> None:
        for process in self.nodes + self.hosts:
            if process.poll() is None:
                process.kill()
        for process in self.nodes + self.hosts:
            try:
                process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    def call(self, node: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
             timeout: float = 15.0) -> Reply:
        return request(self.node_ports[node], method, path, body, headers, timeout)

    def status(self, node: int) -> dict:
        return json.loads(self.call(node, "GET", "/status").body)

    def wait_running(self, node: int, function: str, count: int, timeout: float = 10.0) -> None:
        """Polls /status (bounded in time) until `count` calls of `function` run on `node`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            running = self.status(node).get("functions", {}).get(function, {}).get("running", 0)
            if running >= count:
                return
            time.sleep(0.01)
        raise AssertionError(f"node {node} never had {count} calls of {function} running")

    def call_when_full(self, node: int, function: str, slots: int, timeout: float = 30.0) -> tuple[Reply, list[Reply]]:
        """Fills `node`'s `slots` slots of `function` with calls, then calls it once more
        while they run; the answers of that call and of the filling ones."""
        path = f"/function/{function}"
        with concurrent.futures.ThreadPoolExecutor(max_workers=slots) as pool:
            busy = [pool.submit(self.call, node, "POST", path, b"busy") for _ in range(slots)]
            self.wait_running(node, function, slots)
            hot = self.call(node, "POST", path, b"hot")
            return hot, [f.result(timeout=timeout) for f in busy]

    def metrics(self, node: int) -> dict[str, float]:
        """The node's /metrics samples, keyed by name and labels as written."""
        samples = {}
        for line in self.call(node, "GET", "/metrics").body.decode().splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                samples[key] = float(value)
        return samples

    def urls(self) -> str:
        """The nodes' base URLs, comma-separated (`fogsched load --nodes`)."""
        return ",".join(f"http://127.0.0.1:{port}" for port in self.node_ports)

    def terminate_node(self, node: int) -> None:
        self.nodes[node].send_signal(signal.SIGTERM)

    def restart_node(self, node: int, timeout: float = 20.0) -> int:
        """SIGTERM, then, once the node has drained and exited, a new node on its port.
        Returns the old node's exit status."""
        self.terminate_node(node)
        self.nodes[node].communicate(timeout=timeout)
        status = self.nodes[node].returncode
        self.nodes[node] = self._start_node(node)
        return status

    def executions(self) -> Counter[str]:
        """How many times each call id ran, over every host's execution log."""
        runs: Counter[str] = Counter()
        for log in self.directory.glob("*-runs.jsonl"):
            runs.update(json.loads(line)["call_id"] for line in log.read_text().splitlines())
        return runs
