"""The node's Swarm stack deployed in a real swarm, checked from the host.

Run by scripts/test-swarm.sh (`make test-swarm`), which starts the daemon, builds
the image and deploys, on one Swarm node: OpenFaaS's stand-in stack `func`
(`fogsched host` as the gateway `gateway` and a second camera's `gateway-b`), the
node's stack `fogsched` on host port 18080 and the same stack with
live/deploy/swarm/second-camera.yml as `fogsched-b` on 18081. The docker client of
that daemon is first on PATH and DOCKER_HOST points at it; FOGSCHED_SWARM_AUTH_DIR
holds the gateway's credentials as given to `docker secret create`.

The tests run in file order: the service update comes last, as it replaces the
first camera's node.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from cluster import Reply as Answer
from cluster import request as call

AUTH_DIR = os.environ.get("FOGSCHED_SWARM_AUTH_DIR")
IMAGE = os.environ.get("FOGSCHED_SWARM_IMAGE", "fogsched:0.1.0")

pytestmark = pytest.mark.skipif(not AUTH_DIR, reason="needs the swarm of scripts/test-swarm.sh (make test-swarm)")

CAMERA_A_PORT = 18080
CAMERA_B_PORT = 18081
SERVICE_A = "fogsched_fogsched"
# X-Synthetic-Service-Seconds of a call that holds its slot while the test acts.
HOLD_SECONDS = 6
# A stack's tasks start within this (the image is local; the node waits for its
# gateway's first /healthz); peers are re-resolved every 10 s.
DEPLOY_DEADLINE = 120.0


def status_of(port: int) -> dict:
    answer = call(port, "GET", "/status", timeout=5.0)
    assert answer.status == 200, answer
    return json.loads(answer.body)


def docker(*arguments: str, timeout: float = 60) -> str:
    result = subprocess.run(["docker", *arguments], capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"docker {' '.join(arguments)}: {result.stderr}"
    return result.stdout.strip()


def wait_until(condition, what: str, deadline_seconds: float = DEPLOY_DEADLINE, interval: float = 0.5):
    """Polls condition() (a value, or None/False to retry) until the deadline."""
    deadline = time.monotonic() + deadline_seconds
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except (OSError, http.client.HTTPException, AssertionError, ValueError) as error:
            last_error = error
        time.sleep(interval)
    pytest.fail(f"{what} not within {deadline_seconds:.0f} s (last error: {last_error})")


def healthy(port: int) -> bool:
    """/healthz answers 200; not while draining (503, or the connection refused or
    closed unanswered) nor before the node listens."""
    try:
        return call(port, "GET", "/healthz", timeout=5).status == 200
    except (OSError, http.client.HTTPException):
        return False


def credentials() -> tuple[str, str]:
    directory = Path(AUTH_DIR)
    return ((directory / "basic-auth-user").read_text().strip(),
            (directory / "basic-auth-password").read_text().strip())


def basic_auth(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


class Calls:
    """Calls started on threads, each recording its one answer (or its error)."""

    def __init__(self, port: int, count: int, seconds: float):
        self.answers: list[Answer | BaseException | None] = [None] * count
        self.threads = [threading.Thread(target=self._run, args=(i, port, seconds), daemon=True)
                        for i in range(count)]
        for thread in self.threads:
            thread.start()

    def _run(self, index: int, port: int, seconds: float) -> None:
        try:
            self.answers[index] = call(port, "POST", "/function/plate-recognition", body=b"car",
                                       headers={"X-Synthetic-Service-Seconds": str(seconds)},
                                       timeout=seconds + 60)
        except BaseException as error:  # recorded, asserted by the test
            self.answers[index] = error

    def running(self) -> bool:
        return any(thread.is_alive() for thread in self.threads)

    def join(self, timeout: float) -> list[Answer | BaseException | None]:
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        assert not self.running(), f"calls still unanswered after {timeout:.0f} s"
        return self.answers


def running_on(port: int, function: str) -> int:
    return status_of(port)["functions"].get(function, {}).get("running", 0)


@pytest.fixture(scope="module")
def swarm_hostname() -> str:
    """What {{.Node.Hostname}} gives the stack's FOGSCHED_NODE_NAME."""
    return docker("node", "inspect", "self", "--format", "{{.Description.Hostname}}")


@pytest.fixture(scope="module")
def cameras(swarm_hostname) -> dict[int, str]:
    """Both nodes up, each reaching its gateway: port -> node name. The stand-in
    gateways may start after the nodes, which then find no `gateway` to resolve and
    count it unhealthy until their next health check (2 s); a function called then
    would also keep its failed K lookup until the next refresh (30 s). So no
    function is called before the gateway has answered through the node and the
    node counts it healthy again."""
    auth = basic_auth(*credentials())

    def gateway_settled(port: int) -> bool:
        if call(port, "GET", "/system/functions", headers=auth, timeout=10.0).status != 200:
            return False
        return healthy(port) and status_of(port)["gateway_health"]["healthy"]

    for port in (CAMERA_A_PORT, CAMERA_B_PORT):
        wait_until(lambda: gateway_settled(port), f"the node on 127.0.0.1:{port} reaching its gateway")
    return {CAMERA_A_PORT: swarm_hostname, CAMERA_B_PORT: f"{swarm_hostname}-b"}


def node_container(service: str) -> str:
    containers = docker("ps", "-q", "--filter", f"label=com.docker.swarm.service.name={service}").split()
    assert len(containers) == 1, f"{service}: running containers {containers}"
    return containers[0]


# ----------------------------------------------------------------------------------


def test_a_call_on_the_host_port_reaches_a_function_with_the_nodes_headers(cameras):
    answer = call(CAMERA_A_PORT, "POST", "/function/echo", body=b"plate AB-123")
    assert answer.status == 200, answer
    assert answer.body == b"plate AB-123"
    # The gateway's own header, then the node's.
    assert answer.headers.get("x-call-id")
    assert answer.headers["x-fogsched-node"] == cameras[CAMERA_A_PORT]
    assert answer.headers["x-fogsched-decision"] == "run_local"
    assert answer.headers["x-fogsched-hops"] == "0"
    assert answer.headers["x-fogsched-probes"] == "0"


def test_system_functions_needs_the_callers_credentials(cameras):
    user, password = credentials()
    anonymous = call(CAMERA_A_PORT, "GET", "/system/functions")
    assert anonymous.status == 401, anonymous
    assert anonymous.headers.get("www-authenticate", "").startswith("Basic")
    wrong = call(CAMERA_A_PORT, "GET", "/system/functions", headers=basic_auth(user, password + "x"))
    assert wrong.status == 401, wrong
    allowed = call(CAMERA_A_PORT, "GET", "/system/functions", headers=basic_auth(user, password))
    assert allowed.status == 200, allowed
    assert {f["name"] for f in json.loads(allowed.body)} == {"echo", "plate-recognition"}


def test_the_node_reads_k_from_max_inflight_with_the_mounted_secrets(cameras):
    """K comes from the function's max_inflight, which only the gateway's
    authenticated /system/function/NAME tells: the node's own lookup used the
    secrets Swarm mounted."""
    for function, body in (("echo", b"x"), ("plate-recognition", b"car")):
        assert call(CAMERA_A_PORT, "POST", f"/function/{function}", body=body).status == 200
    functions = status_of(CAMERA_A_PORT)["functions"]
    assert functions["echo"]["slots_source"] == "max_inflight", functions
    assert functions["echo"]["slots"] == 3
    assert functions["plate-recognition"]["slots_source"] == "max_inflight", functions
    assert functions["plate-recognition"]["slots"] == 2


def test_a_hot_camera_forwards_to_the_cold_one(cameras):
    """plate-recognition has K = 2 on each camera: with both slots of camera A held,
    a third call there is probed out and runs on camera B."""
    for port, other in ((CAMERA_A_PORT, CAMERA_B_PORT), (CAMERA_B_PORT, CAMERA_A_PORT)):
        # tasks.fogsched lists both stacks' nodes; each knows the other once resolved.
        wait_until(lambda: any(p["present"] and p["available"] for p in status_of(port)["peers"]),
                   f"node on {port} seeing its peer on {other}")
    holders = Calls(CAMERA_A_PORT, count=2, seconds=HOLD_SECONDS)
    wait_until(lambda: running_on(CAMERA_A_PORT, "plate-recognition") == 2 or not holders.running(),
               "both slots of camera A taken", deadline_seconds=HOLD_SECONDS)
    assert holders.running(), f"the holding calls ended early: {holders.answers}"

    answer = call(CAMERA_A_PORT, "POST", "/function/plate-recognition", body=b"car",
                  headers={"X-Synthetic-Service-Seconds": "0"})
    assert holders.running(), "the holding calls ended before the third call was answered"
    assert answer.status == 200, answer
    assert answer.headers["x-fogsched-node"] == cameras[CAMERA_B_PORT]
    assert answer.headers["x-fogsched-decision"] == "forward"
    assert answer.headers["x-fogsched-hops"] == "1"

    for held in holders.join(timeout=HOLD_SECONDS + 30):
        assert isinstance(held, Answer) and held.status == 200, held
        assert held.headers["x-fogsched-node"] == cameras[CAMERA_A_PORT]


def test_the_node_runs_read_only_as_non_root_without_capabilities(cameras):
    container = node_container(SERVICE_A)
    # The process itself (PID 1 of the container is fogsched serve), not the spec.
    process = docker("exec", container, "cat", "/proc/1/status")
    fields = dict(line.split(":", 1) for line in process.splitlines() if ":" in line)
    assert fields["Uid"].split() == ["10001"] * 4, fields["Uid"]
    assert fields["Gid"].split() == ["10001"] * 4, fields["Gid"]
    for capabilities in ("CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(fields[capabilities], 16) == 0, f"{capabilities}: {fields[capabilities]}"
    assert docker("exec", container, "cat", "/proc/1/cmdline").split("\0")[:2] == ["/usr/local/bin/fogsched", "serve"]

    write = subprocess.run(["docker", "exec", container, "touch", "/usr/local/bin/probe"],
                           capture_output=True, text=True, timeout=30)
    assert write.returncode != 0 and "Read-only file system" in write.stderr, write
    secrets = docker("exec", container, "stat", "-L", "-c", "%n %u %a", "/run/secrets/basic-auth-user",
                     "/run/secrets/basic-auth-password", "/run/secrets/fogsched-peer-token")
    for line in secrets.splitlines():
        assert line.split()[1:] == ["10001", "400"], line


def test_a_service_update_drains_the_calls_in_flight(cameras):
    """`docker service update` with a new image: every call the old node had
    accepted gets its one answer, from that node, although it was stopped."""
    new_image = "fogsched:0.1.0-update"
    build = subprocess.run(["docker", "build", "-q", "-t", new_image, "-"],
                           input=f"FROM {IMAGE}\nLABEL org.opencontainers.image.version=0.1.0-update\n",
                           capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    old_container = node_container(SERVICE_A)

    calls = Calls(CAMERA_A_PORT, count=2, seconds=HOLD_SECONDS)
    wait_until(lambda: running_on(CAMERA_A_PORT, "plate-recognition") == 2 or not calls.running(),
               "both calls running on camera A", deadline_seconds=HOLD_SECONDS)
    assert calls.running(), f"the calls ended early: {calls.answers}"
    docker("service", "update", "--detach", "--no-resolve-image", "--image", new_image, SERVICE_A)
    # The old node stops taking calls (draining: 503, or no longer listening) while
    # the calls are still in flight on it.
    wait_until(lambda: not healthy(CAMERA_A_PORT) or not calls.running(), "camera A draining",
               deadline_seconds=HOLD_SECONDS, interval=0.1)
    assert calls.running(), "the calls ended before the update stopped the node"

    for answer in calls.join(timeout=HOLD_SECONDS + 45):
        assert isinstance(answer, Answer) and answer.status == 200, answer
        assert answer.headers["x-fogsched-node"] == cameras[CAMERA_A_PORT]
    # The old task drained and exited by itself (0), before Swarm's SIGKILL (137).
    exit_code = wait_until(lambda: docker("inspect", "-f", "{{if not .State.Running}}{{.State.ExitCode}}{{end}}",
                                          old_container), "old node exited", deadline_seconds=60)
    assert exit_code == "0"
    wait_until(lambda: healthy(CAMERA_A_PORT), "the updated node on 18080")
    assert docker("inspect", "-f", "{{.Config.Image}}", node_container(SERVICE_A)) == new_image
