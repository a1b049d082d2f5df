#!/usr/bin/python3
"""The live node's overhead on loopback, in one run (`make bench-live`).

Starts a `fogsched host` with a no-op function (a synthetic function of zero service
time), a `fogsched serve` node in front of it with the `local` policy, a pair of
nodes (each with its own host) with `power_of_d` probing each other, and nginx as a
plain reverse proxy to the same host. Then it measures:

1. latency at a fixed 1 000 requests/s (bench_live_latency, open loop, latency from
   the scheduled send time): direct to the host, through the node, through nginx;
   the latency each adds over the direct call, and their ratio;
2. maximum throughput with wrk (`-t2 -c64 --latency`): direct, nginx, the node
   with `local`, the node with `power_of_d` (and its probes per request, from the
   node's /metrics); in rounds that rotate the paths' order, each path's median
   round reported;
3. 1 000 concurrent client connections through the node (wrk -c1000).

It prints a table with every figure and its target and writes the same as JSON.
Every process is started with its output read until it says it is ready (no sleeps)
and is stopped, by its own process id, whatever happens. Standard library only.
"""

from __future__ import annotations

import argparse
import collections
import grp
import http.client
import json
import os
import platform
import pwd
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FUNCTION = "noop"
THREADS = 2  # of every node and host, as the "2 cores"
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0
PEER_TOKEN = "bench-live-token"
# The node's slots (K) for the no-op function: never the limit here.
NODE_SLOTS = 100_000
# Descriptors the 1 000-connection run needs in the node (clients and gateway side)
# and in wrk, with room to spare.
WANTED_NOFILE = 8192

# wrk's limit on one request in the 1 000-connection run. Its default (2 s) measures
# how fairly 1 000 saturating connections share two busy cores, not whether they
# are held: with the default, direct calls to the host time out too on this machine.
CONNECTIONS_TIMEOUT_S = 10

TARGETS = {
    "added_p50_us": 200.0,        # at most
    "added_p99_us": 1000.0,       # at most
    "nginx_ratio": 1.5,           # node-added / nginx-added, at most
    "throughput_rps": 15_000.0,   # through the node, at least
    "connections": 1000,          # held without errors
}


# ---------------------------------------------------------------------------------
# Processes


@dataclass
class Child:
    """A started process whose merged stdout/stderr a thread keeps reading (so it never
    blocks on a full pipe), remembering the last lines for error messages."""

    name: str
    process: subprocess.Popen
    ready_pattern: re.Pattern
    ready_match: re.Match | None = None
    tail: collections.deque = field(default_factory=lambda: collections.deque(maxlen=40))
    ready: threading.Event = field(default_factory=threading.Event)

    def start_reader(self) -> None:
        threading.Thread(target=self._read, name=f"read-{self.name}", daemon=True).start()

    def _read(self) -> None:
        for raw in self.process.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            self.tail.append(line)
            if self.ready_match is None:
                match = self.ready_pattern.search(line)
                if match:
                    self.ready_match = match
                    self.ready.set()
        self.ready.set()  # end of output: the process is gone, ready or not

    def wait_ready(self) -> re.Match:
        if not self.ready.wait(START_TIMEOUT_S) or self.ready_match is None:
            output = "\n".join(self.tail)
            raise RuntimeError(f"{self.name} did not become ready within {START_TIMEOUT_S:.0f} s "
                               f"(exit status {self.process.poll()}):\n{output}")
        return self.ready_match

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT_S)


class Processes:
    """Every process this run started; stopped in reverse order on exit."""

    def __init__(self) -> None:
        self.children: list[Child] = []

    def start(self, name: str, argv: list[str], ready_pattern: str) -> Child:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        child = Child(name, process, re.compile(ready_pattern))
        self.children.append(child)
        child.start_reader()
        child.wait_ready()
        return child

    def stop_all(self) -> None:
        for child in reversed(self.children):
            child.stop()

    def __enter__(self) -> "Processes":
        return self

    def __exit__(self, *exc) -> None:
        self.stop_all()


def free_port() -> int:
    """A loopback port that was free a moment ago (for processes that must be told theirs)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Usage:
    """CPU time and context switches of a process, its threads and its live child
    processes (nginx's workers), from /proc."""

    cpu_s: float = 0.0
    context_switches: int = 0  # voluntary and involuntary, all threads

    def __sub__(self, other: "Usage") -> "Usage":
        return Usage(self.cpu_s - other.cpu_s, self.context_switches - other.context_switches)


def usage(pid: int) -> Usage:
    ticks = os.sysconf("SC_CLK_TCK")
    total = Usage()
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            # Fields after the parenthesised command name: utime and stime are 14 and 15
            # of the whole process (its threads included).
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total.cpu_s += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                for line in (task / "status").read_text().splitlines():
                    if "ctxt_switches:" in line:
                        total.context_switches += int(line.split()[1])
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def per_request(before: dict[str, Usage], after: dict[str, Usage], requests: int) -> dict:
    """Each server's CPU µs and context switches per request between two readings."""
    requests = max(1, requests)
    return {name: {"cpu_us": round((after[name] - before[name]).cpu_s / requests * 1e6, 1),
                   "context_switches": round((after[name] - before[name]).context_switches / requests, 2)}
            for name in before}


# ---------------------------------------------------------------------------------
# The cluster under test


@dataclass
class Setup:
    host: Child
    host_port: int
    node_local_port: int
    node_local: Child
    pod_port: int           # power_of_d node clients call
    pod: Child
    pod_peer: Child
    nginx_port: int
    nginx: Child


def write_host_config(directory: Path, name: str, secrets: Path) -> Path:
    # JSON is YAML: the file stays readable without a YAML library.
    config = {
        "listen": "127.0.0.1:0",
        "secrets": str(secrets),
        "functions": [{
            "name": FUNCTION,
            "synthetic": {"dist": "deterministic", "mean": "0s"},
            "max_inflight": NODE_SLOTS,
        }],
    }
    path = directory / f"{name}.yaml"
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path


def write_node_config(directory: Path, name: str, listen: str, gateway_port: int, policy: str, peers: list[int],
                      secrets: Path) -> Path:
    config = {
        "node": {"name": name, "listen": listen, "threads": THREADS, "seed": 1},
        # As many keep-alive connections to the gateway as the 1 000-client run can use.
        "gateway": {"url": f"http://127.0.0.1:{gateway_port}", "timeout": "10s", "connections": 1024,
                    "secrets": str(secrets)},
        "policy": policy,
        "hop_limit": 1,
        "functions": {"slots": {FUNCTION: NODE_SLOTS}},
        "peers": {"static": [f"http://127.0.0.1:{p}" for p in peers],
                  "token_file": str(secrets / "fogsched-peer-token"),
                  "probe_timeout": "100ms", "forward_timeout": "10s"},
    }
    path = directory / f"{name}.yaml"
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path


def write_nginx_config(directory: Path, port: int, upstream_port: int, nofile: int) -> Path:
    template = (Path(__file__).resolve().parent / "nginx.conf.in").read_text()
    values = {
        "USER": pwd.getpwuid(os.geteuid()).pw_name,
        "GROUP": grp.getgrgid(os.getegid()).gr_name,
        "WORKERS": str(THREADS),
        "NOFILE": str(nofile),
        "WORKER_CONNECTIONS": str(max(1024, nofile // 2)),
        "DIR": str(directory),
        "PORT": str(port),
        "UPSTREAM_PORT": str(upstream_port),
    }
    text = re.sub("@(" + "|".join(values) + ")@", lambda m: values[m.group(1)], template)
    if leftover := re.search(r"@[A-Z_]+@", text):
        raise RuntimeError(f"nginx.conf.in: no value for {leftover.group(0)}")
    path = directory / "nginx.conf"
    path.write_text(text)
    return path


def start_setup(processes: Processes, directory: Path, cli: Path, nginx: str) -> Setup:
    secrets = directory / "secrets"
    secrets.mkdir()
    (secrets / "basic-auth-user").write_text("admin\n")
    (secrets / "basic-auth-password").write_text("bench-live-secret\n")
    (secrets / "fogsched-peer-token").write_text(PEER_TOKEN + "\n")
    listening = r"^listening on .*:(\d+)$"

    def start_host(name: str) -> tuple[Child, int]:
        config = write_host_config(directory, name, secrets)
        child = processes.start(name, [str(cli), "host", "--config", str(config), "--threads", str(THREADS)],
                                listening)
        return child, int(child.ready_match.group(1))

    def start_node(name: str, port: int, gateway_port: int, policy: str, peers: list[int]) -> Child:
        config = write_node_config(directory, name, f"127.0.0.1:{port}", gateway_port, policy, peers, secrets)
        return processes.start(name, [str(cli), "serve", "--config", str(config)], listening)

    host, host_port = start_host("host")
    node_local_port = free_port()
    node_local = start_node("node-local", node_local_port, host_port, "local", [])

    # The power_of_d pair: clients call `pod`, whose only peer is `pod-peer` (with a
    # host of its own). threshold=1 probes whenever another call is running here, so
    # under load nearly every request probes; d=1 as there is one peer to ask.
    _, peer_host_port = start_host("host-peer")  # stopped with the others by `processes`
    pod_port, pod_peer_port = free_port(), free_port()
    policy = "power_of_d(d=1,threshold=1)"
    pod_peer = start_node("node-pod-peer", pod_peer_port, peer_host_port, policy, [pod_port])
    pod = start_node("node-pod", pod_port, host_port, policy, [pod_peer_port])

    nginx_dir = directory / "nginx"
    nginx_dir.mkdir()
    nginx_port = free_port()
    nginx_conf = write_nginx_config(nginx_dir, nginx_port, host_port,
                                    resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    nginx_child = processes.start("nginx", [nginx, "-p", str(nginx_dir), "-c", str(nginx_conf), "-e", "stderr"],
                                  r"start worker processes")
    return Setup(host, host_port, node_local_port, node_local, pod_port, pod, pod_peer, nginx_port, nginx_child)


def get(port: int, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def node_metrics(port: int) -> dict[str, float]:
    status, body = get(port, "/metrics")
    if status != 200:
        raise RuntimeError(f"GET /metrics on :{port} answered {status}")
    samples = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            samples[key] = float(value)
    return samples


def invocations_by_decision(samples: dict[str, float]) -> dict[str, float]:
    counts: dict[str, float] = collections.defaultdict(float)
    for key, value in samples.items():
        match = re.fullmatch(r'fogsched_invocations_total\{decision="([^"]*)",outcome="[^"]*"\}', key)
        if match:
            counts[match.group(1)] += value
    return counts


def check_function(port: int, what: str) -> None:
    status, body = get(port, f"/function/{FUNCTION}")
    if status != 200:
        raise RuntimeError(f"{what}: GET /function/{FUNCTION} answered {status}: {body[:200]!r}")


# ---------------------------------------------------------------------------------
# Load generators


LATENCY_CONNECTIONS = 16  # far more than 1 000/s of sub-millisecond calls keep busy
LATENCY_QUANTILES = ("p50", "p90", "p99", "p999", "max")


def run_latency(generator: Path, port: int, server_pids: dict[str, int], rate: float, seconds: float) -> dict:
    argv = [str(generator), f"http://127.0.0.1:{port}/function/{FUNCTION}", "--rate", str(rate),
            "--duration", f"{seconds}s", "--warmup", "0.5s", "--connections", str(LATENCY_CONNECTIONS),
            "--timeout", "1s"]
    before = {name: usage(pid) for name, pid in server_pids.items()}
    completed = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)
    after = {name: usage(pid) for name, pid in server_pids.items()}
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({completed.returncode}): {completed.stderr}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    # Warm-up requests included: the readings span the whole run.
    result["per_request"] = per_request(before, after, round((seconds + 0.5) * rate))
    return result


def measure_latency(generator: Path, ports: dict[str, int], server_pids: dict[str, dict[str, int]],
                    args: argparse.Namespace) -> dict:
    """bench_live_latency on every path, `args.rounds` times in rotating order; each
    quantile is the median over rounds (the per-round figures are kept)."""
    names = list(ports)
    seconds = args.latency_seconds / args.rounds
    rounds: dict[str, list[dict]] = {name: [] for name in names}
    for r in range(args.rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            print(f"latency at {args.rate:.0f}/s, round {r + 1}/{args.rounds}: {name} ...", file=sys.stderr, flush=True)
            rounds[name].append(run_latency(generator, ports[name], server_pids[name], args.rate, seconds))
    paths = {}
    for name in names:
        runs = rounds[name]
        paths[name] = {
            "latency_us": {q: statistics.median(run["latency_us"][q] for run in runs) for q in LATENCY_QUANTILES},
            "latency_us_per_round": {q: [run["latency_us"][q] for run in runs] for q in LATENCY_QUANTILES},
            "service_us": {q: statistics.median(run["service_us"][q] for run in runs) for q in LATENCY_QUANTILES},
            "errors": sum(run["errors"] for run in runs),
            "sent": sum(run["sent"] for run in runs),
            "achieved_rate": round(statistics.median(run["achieved_rate"] for run in runs), 1),
            "max_send_lag_us": max(run["max_send_lag_us"] for run in runs),
            "per_request": {server: {key: round(statistics.median(run["per_request"][server][key] for run in runs), 2)
                                     for key in ("cpu_us", "context_switches")}
                            for server in server_pids[name]},
        }
    added = {via: {q: round(paths[via]["latency_us"][q] - paths["direct"]["latency_us"][q], 1) for q in ("p50", "p99")}
             for via in ("node", "nginx")}
    ratio = {q: (round(added["node"][q] / added["nginx"][q], 2) if added["nginx"][q] > 0 else None)
             for q in ("p50", "p99")}
    return {"rounds": args.rounds, "seconds_per_round": seconds, "connections": LATENCY_CONNECTIONS,
            "paths": paths, "added_us": added, "node_over_nginx": ratio}


WRK_UNITS = {"us": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6, "h": 3600e6}


def wrk_duration_us(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError(f"wrk latency '{text}' not understood")
    return float(match.group(1)) * WRK_UNITS[match.group(2)]


def parse_wrk(output: str) -> dict:
    result: dict = {"socket_errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0}, "non_2xx_3xx": 0}
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    total = re.search(r"^\s*(\d+) requests in ([\d.]+\w+)", output, re.M)
    if not rate or not total:
        raise RuntimeError(f"wrk output not understood:\n{output}")
    result["requests_per_s"] = float(rate.group(1))
    result["requests"] = int(total.group(1))
    for percent, value in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.M):
        result[f"p{percent}_us"] = wrk_duration_us(value)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if errors:
        result["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"), map(int, errors.groups())))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        result["non_2xx_3xx"] = int(non_2xx.group(1))
    return result


def run_wrk(port: int, connections: int, seconds: int, timeout_s: int) -> dict:
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout_s}s", "--latency",
            f"http://127.0.0.1:{port}/function/{FUNCTION}"]
    completed = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({completed.returncode}): {completed.stderr}")
    result = parse_wrk(completed.stdout)
    result["command"] = " ".join(argv[:-1])
    return result


def measured_throughput(port: int, server_pids: dict[str, int], connections: int, seconds: int,
                        timeout_s: int = 2) -> dict:
    """wrk against `port`, with each server process's CPU time and context switches per request."""
    before = {name: usage(pid) for name, pid in server_pids.items()}
    result = run_wrk(port, connections, seconds, timeout_s)
    after = {name: usage(pid) for name, pid in server_pids.items()}
    result["per_request"] = per_request(before, after, result["requests"])
    return result


def throughput_run(name: str, port: int, pids: dict[str, int], seconds: int) -> dict:
    """One wrk run; through the power_of_d node, with its probes and decisions from /metrics."""
    metrics_before = node_metrics(port) if name == "node_power_of_d" else None
    result = measured_throughput(port, pids, 64, seconds)
    if metrics_before is not None:
        metrics_after = node_metrics(port)
        decisions_before = invocations_by_decision(metrics_before)
        decisions = {k: v - decisions_before.get(k, 0) for k, v in invocations_by_decision(metrics_after).items()}
        invocations = sum(decisions.values())
        probes = metrics_after["fogsched_probes_total"] - metrics_before["fogsched_probes_total"]
        result["probes"] = probes
        result["invocations"] = invocations
        result["probes_per_request"] = round(probes / invocations, 3) if invocations else 0.0
        result["decisions"] = decisions
        result["probe_failures"] = (metrics_after["fogsched_probe_failures_total"]
                                    - metrics_before["fogsched_probe_failures_total"])
    return result


def cpu_calibration_ms() -> float:
    """Milliseconds one core takes for a fixed loop of arithmetic: the machine's speed
    at that moment, reported before and after, since shared cores vary."""
    started = time.perf_counter()
    total = 0
    for i in range(2_000_000):
        total += i * i % 7
    return round((time.perf_counter() - started) * 1000, 1)


# ---------------------------------------------------------------------------------
# The run


def raise_nofile() -> tuple[int, int]:
    """Raises the soft descriptor limit (inherited by every child) towards WANTED_NOFILE."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = WANTED_NOFILE if hard == resource.RLIM_INFINITY else min(WANTED_NOFILE, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def run(args: argparse.Namespace) -> dict:
    build = Path(args.build_dir).resolve()
    cli = build / "cli" / "fogsched"
    generator = build / "bench" / "bench_live_latency"
    for needed in (cli, generator):
        if not needed.is_file():
            raise SystemExit(f"bench_live: {needed} is missing; build the fogsched and bench_live_latency targets")
    wrk, nginx = shutil.which("wrk"), shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None)
    if not wrk or not nginx:
        raise SystemExit("bench_live: wrk and nginx are needed: scripts/install-deps.sh --bench-live")
    nofile_soft, nofile_hard = raise_nofile()

    report: dict = {
        "machine": {
            "cores": os.cpu_count(),
            "kernel": platform.release(),
            "load_average_before": list(os.getloadavg()),
            "calibration_ms_before": cpu_calibration_ms(),
            "note": "load generator, node(s), host(s) and nginx all share these cores on loopback",
        },
        "setup": {
            "fogsched": str(cli),
            "threads": THREADS,
            "function": f"{FUNCTION}: synthetic deterministic 0s on a local `fogsched host`",
            "rlimit_nofile": [nofile_soft, nofile_hard],
            "latency_rate_per_s": args.rate,
            "latency_seconds": args.latency_seconds,
            "wrk_seconds": args.wrk_seconds,
            "throughput_rounds": args.throughput_rounds,
        },
        "targets": TARGETS,
    }

    with tempfile.TemporaryDirectory(prefix="fogsched-bench-live-") as tmp, Processes() as processes:
        setup = start_setup(processes, Path(tmp), cli, nginx)
        for port, what in ((setup.host_port, "host"), (setup.node_local_port, "node (local)"),
                           (setup.pod_port, "node (power_of_d)"), (setup.nginx_port, "nginx")):
            check_function(port, what)
        report["setup"]["policies"] = {"node-local": "local", "node-pod": "power_of_d(d=1,threshold=1)"}

        # 1. Latency at a fixed rate, in rounds that rotate the order of the paths, so a
        # burst of other work on the shared cores falls on every path alike.
        host_pid, nginx_pid = setup.host.process.pid, setup.nginx.process.pid
        report["latency"] = measure_latency(
            generator, {"direct": setup.host_port, "node": setup.node_local_port, "nginx": setup.nginx_port},
            {"direct": {"host": host_pid}, "node": {"node": setup.node_local.process.pid, "host": host_pid},
             "nginx": {"nginx": nginx_pid, "host": host_pid}}, args)

        # 2. Maximum throughput: rounds that rotate the order of the paths, as for
        # latency; each path's figure is its median round (the machine's speed drifts
        # from minute to minute on shared cores, and one run can land in a slow spell).
        paths = (("direct", setup.host_port, {"host": host_pid}),
                 ("nginx", setup.nginx_port, {"nginx": nginx_pid, "host": host_pid}),
                 ("node_local", setup.node_local_port, {"node": setup.node_local.process.pid, "host": host_pid}),
                 ("node_power_of_d", setup.pod_port, {"node": setup.pod.process.pid,
                                                      "peer": setup.pod_peer.process.pid, "host": host_pid}))
        runs: dict[str, list[dict]] = {name: [] for name, _, _ in paths}
        for round_index in range(args.throughput_rounds):
            shift = round_index % len(paths)
            for name, port, pids in paths[shift:] + paths[:shift]:
                print(f"throughput (wrk -c64), round {round_index + 1}/{args.throughput_rounds}: {name} ...",
                      file=sys.stderr, flush=True)
                runs[name].append(throughput_run(name, port, pids, args.wrk_seconds))
        throughput = {}
        for name, results in runs.items():
            ranked = sorted(results, key=lambda r: r["requests_per_s"])
            throughput[name] = dict(ranked[(len(ranked) - 1) // 2])  # the median run (the lower, if even)
            throughput[name]["rounds_requests_per_s"] = [round(r["requests_per_s"]) for r in results]
        report["throughput"] = throughput

        # 3. 1 000 concurrent client connections: through the node, and for reference
        # (same load generator, same cores) direct and through nginx.
        held = {}
        for name, port, pids in (
                ("node", setup.node_local_port, {"node": setup.node_local.process.pid, "host": host_pid}),
                ("direct", setup.host_port, {"host": host_pid}),
                ("nginx", setup.nginx_port, {"nginx": nginx_pid, "host": host_pid})):
            print(f"{TARGETS['connections']} connections (wrk -c{TARGETS['connections']}): {name} ...",
                  file=sys.stderr, flush=True)
            held[name] = measured_throughput(port, pids, TARGETS["connections"], args.wrk_seconds,
                                             CONNECTIONS_TIMEOUT_S)
            errors = held[name]["socket_errors"]
            held[name]["connection_errors"] = errors["connect"] + errors["read"] + errors["write"]
            held[name]["passed"] = (held[name]["connection_errors"] == 0 and errors["timeout"] == 0
                                    and held[name]["non_2xx_3xx"] == 0 and held[name]["requests"] > 0)
        report["connections"] = held

        for child in processes.children:
            if child.process.poll() is not None:
                raise RuntimeError(f"{child.name} exited during the run ({child.process.returncode}):\n"
                                   + "\n".join(child.tail))

    report["machine"]["load_average_after"] = list(os.getloadavg())
    report["machine"]["calibration_ms_after"] = cpu_calibration_ms()
    report["verdict"] = verdict(report)
    return report


def verdict(report: dict) -> dict:
    added = report["latency"]["added_us"]["node"]
    ratio = report["latency"]["node_over_nginx"]
    throughput = report["throughput"]
    return {
        "added_p50": added["p50"] <= TARGETS["added_p50_us"],
        "added_p99": added["p99"] <= TARGETS["added_p99_us"],
        "nginx_ratio_p50": ratio["p50"] is not None and ratio["p50"] <= TARGETS["nginx_ratio"],
        "nginx_ratio_p99": ratio["p99"] is not None and ratio["p99"] <= TARGETS["nginx_ratio"],
        "throughput_local": throughput["node_local"]["requests_per_s"] >= TARGETS["throughput_rps"],
        "throughput_power_of_d": throughput["node_power_of_d"]["requests_per_s"] >= TARGETS["throughput_rps"],
        "connections_1000": report["connections"]["node"]["passed"],
    }


def print_table(report: dict) -> None:
    latency, throughput, verdicts = report["latency"], report["throughput"], report["verdict"]
    setup, machine = report["setup"], report["machine"]

    def ok(flag: bool) -> str:
        return "met" if flag else "NOT met"

    def errors_of(wrk_result: dict) -> int:
        return sum(wrk_result["socket_errors"].values()) + wrk_result["non_2xx_3xx"]

    def usage_of(result: dict) -> str:
        return ", ".join(f"{server} {u['cpu_us']:.1f} / {u['context_switches']:.1f}"
                         for server, u in result["per_request"].items())

    lines = [
        f"fogsched live overhead on loopback. Node and host: the Release `fogsched` with --threads {THREADS}; "
        f"nginx: {THREADS} workers.",
        f"All on {machine['cores']} shared cores: load generator, node(s), host(s), nginx and whatever else runs "
        f"(load average {machine['load_average_before'][0]:.2f} before, {machine['load_average_after'][0]:.2f} after;",
        f"one core's speed: a fixed loop took {machine['calibration_ms_before']:.0f} ms before, "
        f"{machine['calibration_ms_after']:.0f} ms after).",
        "",
        f"Latency at {setup['latency_rate_per_s']:.0f} requests/s, open loop, from the scheduled send "
        f"(bench_live_latency, {latency['connections']} connections; {latency['rounds']} rounds of "
        f"{latency['seconds_per_round']:.1f} s per path, order rotating; median over rounds)",
        f"  {'path':<8} {'p50 µs':>9} {'p90 µs':>9} {'p99 µs':>9} {'p99.9 µs':>9} {'max µs':>9} {'errors':>7} "
        f"{'rate/s':>8}  CPU µs / context switches per request",
    ]
    for name in ("direct", "node", "nginx"):
        r = latency["paths"][name]
        q = r["latency_us"]
        lines.append(f"  {name:<8} {q['p50']:>9.1f} {q['p90']:>9.1f} {q['p99']:>9.1f} {q['p999']:>9.1f} "
                     f"{q['max']:>9.1f} {r['errors']:>7} {r['achieved_rate']:>8.1f}  {usage_of(r)}")
    added, ratio = latency["added_us"], latency["node_over_nginx"]
    ratio_text = {q: "-" if ratio[q] is None else f"{ratio[q]:.2f}" for q in ratio}
    lines += [
        f"  added by the node    p50 {added['node']['p50']:7.1f} µs  target ≤ {TARGETS['added_p50_us']:.0f}: "
        f"{ok(verdicts['added_p50'])}",
        f"                       p99 {added['node']['p99']:7.1f} µs  target ≤ {TARGETS['added_p99_us']:.0f}: "
        f"{ok(verdicts['added_p99'])}",
        f"  added by nginx       p50 {added['nginx']['p50']:7.1f} µs, p99 {added['nginx']['p99']:.1f} µs",
        f"  node / nginx added   p50 {ratio_text['p50']}, p99 {ratio_text['p99']}  target ≤ {TARGETS['nginx_ratio']}: "
        f"p50 {ok(verdicts['nginx_ratio_p50'])}, p99 {ok(verdicts['nginx_ratio_p99'])}",
        "",
        f"Maximum throughput, wrk -t2 -c64 -d{setup['wrk_seconds']}s --latency; {setup['throughput_rounds']} rounds, "
        "path order rotating; the median round of each path",
        f"  {'path':<16} {'requests/s':>11} {'p50 µs':>9} {'p99 µs':>9} {'errors':>7}  {'rounds':<21}  "
        "CPU µs / context switches per request",
    ]
    for name in ("direct", "nginx", "node_local", "node_power_of_d"):
        r = throughput[name]
        rounds = " ".join(str(x) for x in r["rounds_requests_per_s"])
        lines.append(f"  {name:<16} {r['requests_per_s']:>11.0f} {r.get('p50_us', 0):>9.0f} "
                     f"{r.get('p99_us', 0):>9.0f} {errors_of(r):>7}  {rounds:<21}  {usage_of(r)}")
    pod = throughput["node_power_of_d"]
    lines += [
        f"  target ≥ {TARGETS['throughput_rps']:.0f}/s through the node: local {ok(verdicts['throughput_local'])}, "
        f"power_of_d {ok(verdicts['throughput_power_of_d'])}",
        f"  power_of_d(d=1,threshold=1): {pod['probes_per_request']:.3f} probes per request "
        f"({pod['probes']:.0f} probes, {pod['probe_failures']:.0f} failed, node's /metrics); decisions: "
        + ", ".join(f"{k} {v:.0f}" for k, v in sorted(pod["decisions"].items())),
        "",
        f"{TARGETS['connections']} concurrent connections, wrk -t2 -c{TARGETS['connections']} "
        f"-d{setup['wrk_seconds']}s --timeout={CONNECTIONS_TIMEOUT_S}s",
        f"  {'path':<8} {'requests/s':>11} {'p50 µs':>9} {'p99 µs':>9} {'conn. errors':>12} {'timeouts':>9} "
        f"{'non-2xx':>8}  result  CPU µs / context switches per request",
    ]
    for name in ("node", "direct", "nginx"):
        r = report["connections"][name]
        lines.append(f"  {name:<8} {r['requests_per_s']:>11.0f} {r.get('p50_us', 0):>9.0f} {r.get('p99_us', 0):>9.0f} "
                     f"{r['connection_errors']:>12} {r['socket_errors']['timeout']:>9} {r['non_2xx_3xx']:>8}  "
                     f"{'pass' if r['passed'] else 'FAIL':<6}  {usage_of(r)}")
    lines.append(f"  target: held through the node without errors: {ok(verdicts['connections_1000'])}")
    print("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", default=str(ROOT / "build"), help="Release build with fogsched and "
                        "bench_live_latency (default: build/)")
    parser.add_argument("--out", help="JSON report (default: BUILD_DIR/bench-live.json)")
    parser.add_argument("--rate", type=float, default=1000.0, help="requests/s of the latency runs (default 1000)")
    parser.add_argument("--latency-seconds", type=float, default=10.0,
                        help="latency measured on each path, over all rounds (default 10)")
    parser.add_argument("--rounds", type=int, default=5, help="latency rounds, path order rotating (default 5)")
    parser.add_argument("--wrk-seconds", type=int, default=10, help="each wrk run (default 10)")
    parser.add_argument("--throughput-rounds", type=int, default=3,
                        help="wrk runs per throughput path, path order rotating; the median is reported (default 3)")
    args = parser.parse_args()
    if args.throughput_rounds < 1 or args.rounds < 1:
        parser.error("--rounds and --throughput-rounds must be at least 1")
    # Children get SIGTERM from Processes on the way out, also on Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    report = run(args)
    print_table(report)
    out = Path(args.out) if args.out else Path(args.build_dir) / "bench-live.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
