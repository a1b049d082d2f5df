"""Checks of live/deploy/: the Dockerfile, the Swarm stack and the Kubernetes manifests.

Neither a Docker daemon nor a Kubernetes API server is available to the tests, so
the files are read and cross-checked instead: against each other (a mounted secret
sits where the environment tells the node to read it, a Service selects the
DaemonSet's pods), against docs/live.md (configuration keys and environment
variables the node accepts; unknown keys are refused) and against the CMake files
and scripts/install-deps.sh (the image builds what the build needs).

`kubectl apply --dry-run=client` is not used: even a client-side dry run asks the
API server for its resource list first, and fails without one. `kubectl kustomize`
and `kubectl set env --local` work offline and are used instead.
"""

from __future__ import annotations

import fnmatch
import http.server
import json
import os
import re
import shlex
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "live" / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = DEPLOY / "Dockerfile.dockerignore"
STACK = DEPLOY / "swarm" / "stack.yml"
KUBERNETES = DEPLOY / "kubernetes"
LIVE_DOC = REPO / "docs" / "live.md"

NODE_PORT = 18080
# limits.drain_timeout's default in docs/live.md.
DEFAULT_DRAIN_SECONDS = 30.0
SWARM_GATEWAY_URL = "http://gateway:8080"
KUBERNETES_GATEWAY_URL = "http://gateway.openfaas:8080"
OPENFAAS_NAMESPACE = "openfaas"
OPENFAAS_AUTH_FILES = {"basic-auth-user", "basic-auth-password"}

# ----------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------


def parse_seconds(text: str) -> float:
    """A duration as the node's configuration writes it: 100ms, 30s, 5min, 1h."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*(ms|s|min|m|h)\s*", str(text))
    assert match, f"not a duration: {text!r}"
    scale = {"ms": 1e-3, "s": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0}[match.group(2)]
    return float(match.group(1)) * scale


def key_paths(mapping: dict, prefix: str = "") -> set[str]:
    """Dotted paths of every key of nested mappings ("peers.backoff.initial")."""
    paths = set()
    for key, value in mapping.items():
        path = f"{prefix}{key}"
        paths.add(path)
        if isinstance(value, dict):
            paths |= key_paths(value, path + ".")
    return paths


def documented_config() -> dict:
    """The node's configuration example of docs/live.md: every accepted key."""
    text = LIVE_DOC.read_text()
    section = text.split("## The node's configuration", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block, "docs/live.md: no yaml block under 'The node's configuration'"
    return yaml.safe_load(block.group(1))


def documented_env_vars() -> set[str]:
    return set(re.findall(r"\bFOGSCHED_[A-Z_]+\b", LIVE_DOC.read_text()))


# Keys whose values are free-form maps (function name -> K), not further keys.
FREE_FORM_KEYS = {"functions.slots"}


def assert_config_keys_documented(config: dict, where: str) -> None:
    documented = key_paths(documented_config())
    for path in key_paths(config):
        if any(path.startswith(free + ".") for free in FREE_FORM_KEYS):
            continue
        assert path in documented, f"{where}: key {path!r} is not one the node accepts"


def port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


@dataclass
class Instruction:
    keyword: str
    arguments: str
    stage: int


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def arguments(self, keyword: str) -> list[str]:
        return [i.arguments for i in self.instructions if i.keyword == keyword]


def parse_dockerfile(path: Path) -> list[Stage]:
    """Stages and instructions; comment lines and line continuations resolved."""
    logical_lines, pending = [], ""
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        pending += line
        if pending.strip():
            logical_lines.append(pending.strip())
        pending = ""
    assert not pending.strip(), f"{path}: ends inside a line continuation"

    stages: list[Stage] = []
    global_args: dict[str, str] = {}
    for line in logical_lines:
        keyword, _, arguments = line.partition(" ")
        keyword, arguments = keyword.upper(), arguments.strip()
        if keyword == "FROM":
            words = arguments.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            # The image as built without --build-arg: ${ARG} by its default.
            image = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: global_args[m.group(1) or m.group(2)], words[0])
            stages.append(Stage(image=image, name=name))
            continue
        if keyword == "ARG" and not stages:
            arg_name, _, default = arguments.partition("=")
            global_args[arg_name] = default
            continue
        assert stages, f"{path}: {keyword} before the first FROM"
        stages[-1].instructions.append(Instruction(keyword, arguments, len(stages) - 1))
    return stages


def apt_installed_packages(stage: Stage) -> set[str]:
    packages = set()
    for command in stage.arguments("RUN"):
        for part in re.split(r"&&|;", command):
            words = shlex.split(part)
            if "apt-get" in words and "install" in words:
                after = words[words.index("install") + 1:]
                packages |= {w for w in after if not w.startswith("-")}
    return packages


def install_deps_packages() -> set[str]:
    """What `make test` installs: the packages=( ... ) list and the packages+=( ... )
    of the tests (not those of the --options)."""
    text = (REPO / "scripts" / "install-deps.sh").read_text()
    blocks = re.findall(r"packages\+?=\(\n(.*?)\n *\)", text, re.S)
    assert blocks, "scripts/install-deps.sh: no packages=( ... ) list"
    words = []
    for block in blocks:
        for line in block.splitlines():
            words += line.split("#", 1)[0].split()
    return set(words)


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse_dockerfile(DOCKERFILE)


@pytest.fixture(scope="module")
def runtime_user(stages) -> int:
    users = stages[-1].arguments("USER")
    assert users, "the runtime stage sets no USER"
    # Numeric, so that Kubernetes' runAsNonRoot can verify it without /etc/passwd.
    assert re.fullmatch(r"\d+(:\d+)?", users[-1]), f"USER {users[-1]} is not a numeric uid"
    return int(users[-1].split(":")[0])


# ----------------------------------------------------------------------------------
# Every YAML file
# ----------------------------------------------------------------------------------

DEPLOY_YAML_FILES = sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")])


def test_deploy_yaml_files_exist():
    names = {p.relative_to(DEPLOY).as_posix() for p in DEPLOY_YAML_FILES}
    assert "swarm/stack.yml" in names
    assert {"kubernetes/daemonset.yaml", "kubernetes/services.yaml",
            "kubernetes/configmap.yaml", "kubernetes/kustomization.yaml"} <= names


@pytest.mark.parametrize("path", DEPLOY_YAML_FILES, ids=lambda p: p.relative_to(DEPLOY).as_posix())
def test_every_deploy_yaml_parses(path):
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    assert documents, f"{path}: no YAML document"
    for document in documents:
        assert isinstance(document, dict), f"{path}: a document is not a mapping"


# ----------------------------------------------------------------------------------
# Swarm
# ----------------------------------------------------------------------------------


def compose_defaults(text: str) -> str:
    """A compose file as deployed with none of its variables set: ${VAR:-default}."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", lambda m: m.group(1), text)


@pytest.fixture(scope="module")
def stack() -> dict:
    return yaml.safe_load(compose_defaults(STACK.read_text()))


def test_stack_variables_all_have_defaults():
    variables = re.findall(r"\$\{?[^}\s]*\}?", STACK.read_text())
    assert variables, "the stack has no variables"
    for variable in variables:
        assert re.fullmatch(r"\$\{\w+:-[^}]+\}", variable), f"{variable}: deploys only with it set"


@pytest.fixture(scope="module")
def swarm_service(stack) -> tuple[str, dict]:
    assert len(stack["services"]) == 1, "the stack deploys the node only"
    return next(iter(stack["services"].items()))


@pytest.fixture(scope="module")
def swarm_env(swarm_service) -> dict[str, str]:
    environment = swarm_service[1]["environment"]
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {key: str(value) for key, value in environment.items()}


def test_stack_deploys_one_node_per_swarm_node(swarm_service):
    assert swarm_service[1]["deploy"]["mode"] == "global"


def test_stack_joins_the_external_openfaas_network(stack, swarm_service):
    assert swarm_service[1]["networks"] == ["func_functions"]
    assert stack["networks"]["func_functions"] == {"external": True}


def test_stack_publishes_18080_on_each_host(swarm_service, swarm_env):
    ports = swarm_service[1]["ports"]
    assert len(ports) == 1
    port = ports[0]
    assert (port["target"], port["published"], port.get("protocol", "tcp")) == (NODE_PORT, NODE_PORT, "tcp")
    # Host mode: CAMERA:18080 must reach that camera's node, not the routing mesh.
    assert port["mode"] == "host"
    assert port_of(swarm_env.get("FOGSCHED_LISTEN", f"0.0.0.0:{NODE_PORT}")) == NODE_PORT


def test_stack_secrets_are_external_and_where_the_node_reads_them(stack, swarm_service, swarm_env, runtime_user):
    mounted = {}
    for secret in swarm_service[1]["secrets"]:
        entry = secret if isinstance(secret, dict) else {"source": secret}
        source = entry["source"]
        assert stack["secrets"][source] == {"external": True}, f"secret {source} is not external"
        mounted[source] = entry
    token_sources = set(mounted) - OPENFAAS_AUTH_FILES
    assert OPENFAAS_AUTH_FILES <= set(mounted)
    assert len(token_sources) == 1, f"one peer token secret expected, got {token_sources}"
    token_source = token_sources.pop()

    def mount_path(source: str) -> str:
        return "/run/secrets/" + mounted[source].get("target", source)

    secrets_dir = swarm_env["FOGSCHED_SECRETS_DIR"]
    for name in OPENFAAS_AUTH_FILES:
        assert mount_path(name) == f"{secrets_dir.rstrip('/')}/{name}"
    assert swarm_env["FOGSCHED_PEER_TOKEN_FILE"] == mount_path(token_source)
    # Owned by the image's user when narrowed to mode 0400, else it could not read them.
    for entry in mounted.values():
        if "mode" in entry and entry["mode"] & 0o004 == 0:
            assert int(entry["uid"]) == runtime_user


def test_stack_environment_points_at_gateway_and_peer_dns(swarm_service, swarm_env):
    service_name = swarm_service[0]
    assert swarm_env["FOGSCHED_GATEWAY_URL"] == SWARM_GATEWAY_URL
    assert swarm_env["FOGSCHED_PEERS_DNS"] == f"tasks.{service_name}:{NODE_PORT}"
    assert swarm_env["FOGSCHED_NODE_NAME"] == "{{.Node.Hostname}}"
    assert swarm_env["FOGSCHED_POLICY"]


def test_stack_uses_only_documented_environment_variables(swarm_env):
    assert set(swarm_env) <= documented_env_vars()


def test_stack_lets_the_node_drain_and_frees_the_port_before_replacing_it(swarm_service):
    service = swarm_service[1]
    assert parse_seconds(service["stop_grace_period"]) > DEFAULT_DRAIN_SECONDS
    # A new task cannot bind the host port while the old one holds it.
    assert service["deploy"]["update_config"]["order"] == "stop-first"


# ----------------------------------------------------------------------------------
# Kubernetes
# ----------------------------------------------------------------------------------

KUBERNETES_MANIFESTS = sorted(p for p in KUBERNETES.glob("*.yaml") if p.name != "kustomization.yaml")


@pytest.fixture(scope="module")
def objects() -> dict[tuple[str, str], dict]:
    found = {}
    for path in KUBERNETES_MANIFESTS:
        for document in yaml.safe_load_all(path.read_text()):
            if document is None:
                continue
            key = (document["kind"], document["metadata"]["name"])
            assert key not in found, f"{key} defined twice"
            found[key] = document
    return found


@pytest.fixture(scope="module")
def daemonset(objects) -> dict:
    daemonsets = [o for (kind, _), o in objects.items() if kind == "DaemonSet"]
    assert len(daemonsets) == 1
    return daemonsets[0]


@pytest.fixture(scope="module")
def container(daemonset) -> dict:
    containers = daemonset["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


@pytest.fixture(scope="module")
def container_env(container) -> dict[str, dict]:
    return {entry["name"]: entry for entry in container["env"]}


@pytest.fixture(scope="module")
def node_config(objects, container) -> tuple[dict, str]:
    """The node's configuration from the ConfigMap that `--config` names."""
    arguments = container["args"]
    config_path = arguments[arguments.index("--config") + 1]
    volume, key = mounted_file(objects, container, config_path, "configMap")
    config_map = objects[("ConfigMap", volume["configMap"]["name"])]
    return yaml.safe_load(config_map["data"][key]), config_path


def mounted_file(objects, container, file_path: str, source_kind: str) -> tuple[dict, str]:
    """The volume (of `source_kind`) and the key that the container sees at file_path."""
    daemonset = next(o for (kind, _), o in objects.items() if kind == "DaemonSet")
    volumes = {v["name"]: v for v in daemonset["spec"]["template"]["spec"]["volumes"]}
    for mount in container["volumeMounts"]:
        prefix = mount["mountPath"].rstrip("/") + "/"
        if not file_path.startswith(prefix):
            continue
        volume = volumes[mount["name"]]
        assert source_kind in volume, f"{file_path} is mounted from {volume}, not a {source_kind}"
        relative = file_path[len(prefix):]
        items = volume[source_kind].get("items")
        if items is None:
            return volume, relative
        by_path = {item["path"]: item["key"] for item in items}
        assert relative in by_path, f"{file_path}: no item with path {relative}"
        return volume, by_path[relative]
    raise AssertionError(f"nothing is mounted at {file_path}")


def named_port(container, port) -> int:
    if isinstance(port, int):
        return port
    return next(p["containerPort"] for p in container["ports"] if p.get("name") == port)


def selects(service: dict, daemonset: dict) -> bool:
    pod_labels = daemonset["spec"]["template"]["metadata"]["labels"]
    selector = service["spec"]["selector"]
    return bool(selector) and all(pod_labels.get(k) == v for k, v in selector.items())


def test_every_object_goes_to_the_openfaas_namespace(objects):
    # OpenFaaS's basic-auth Secret is there, and pods mount Secrets of their own
    # namespace only.
    for (kind, name), document in objects.items():
        assert document["metadata"].get("namespace") == OPENFAAS_NAMESPACE, f"{kind}/{name}"
        assert kind != "Namespace", "the openfaas namespace belongs to the OpenFaaS install"
        assert kind != "Secret", "secrets are created by the operator, never committed"


def test_kustomization_lists_every_manifest():
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    assert kustomization["namespace"] == OPENFAAS_NAMESPACE
    assert sorted(kustomization["resources"]) == sorted(p.name for p in KUBERNETES_MANIFESTS)


def test_daemonset_selector_matches_its_pods(daemonset):
    match_labels = daemonset["spec"]["selector"]["matchLabels"]
    pod_labels = daemonset["spec"]["template"]["metadata"]["labels"]
    assert match_labels and match_labels.items() <= pod_labels.items()


def test_daemonset_serves_18080_on_the_host(container, node_config):
    (port,) = container["ports"]
    assert port["containerPort"] == NODE_PORT
    assert port["hostPort"] == NODE_PORT
    assert port.get("protocol", "TCP") == "TCP"
    assert port_of(node_config[0]["node"]["listen"]) == NODE_PORT


@pytest.mark.parametrize("probe", ["readinessProbe", "livenessProbe"])
def test_daemonset_probes_healthz(container, probe):
    check = container[probe]["httpGet"]
    assert check["path"] == "/healthz"
    assert named_port(container, check["port"]) == NODE_PORT


def test_liveness_does_not_kill_a_draining_node(container, node_config, daemonset):
    drain = parse_seconds(node_config[0].get("limits", {}).get("drain_timeout", "30s"))
    liveness = container["livenessProbe"]
    assert liveness["periodSeconds"] * liveness["failureThreshold"] > drain
    assert daemonset["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > drain


def test_daemonset_names_the_node_after_the_kubernetes_node(container_env):
    source = container_env["FOGSCHED_NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"]
    assert source == "spec.nodeName"


def test_daemonset_mounts_openfaas_basic_auth_where_the_node_reads_it(objects, container, container_env):
    secrets_dir = container_env["FOGSCHED_SECRETS_DIR"]["value"].rstrip("/")
    for name in OPENFAAS_AUTH_FILES:
        volume, key = mounted_file(objects, container, f"{secrets_dir}/{name}", "secret")
        assert volume["secret"]["secretName"] == "basic-auth"
        assert key == name


def test_daemonset_mounts_the_peer_token_where_the_node_reads_it(objects, container, container_env):
    token_file = container_env["FOGSCHED_PEER_TOKEN_FILE"]["value"]
    volume, key = mounted_file(objects, container, token_file, "secret")
    assert volume["secret"]["secretName"] not in {"basic-auth"}
    assert key


def test_daemonset_uses_only_documented_environment_variables(container_env):
    assert set(container_env) <= documented_env_vars()


def test_daemonset_runs_as_the_image_user(daemonset, container, runtime_user):
    pod_security = daemonset["spec"]["template"]["spec"]["securityContext"]
    assert pod_security["runAsNonRoot"] is True
    assert pod_security["runAsUser"] == runtime_user
    assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_config_map_points_at_the_gateway_and_the_headless_service(objects, daemonset, node_config):
    config, config_path = node_config
    assert config["gateway"]["url"] == KUBERNETES_GATEWAY_URL
    host, port = config["peers"]["dns"].rsplit(":", 1)
    assert int(port) == NODE_PORT
    service_name = host.split(".")[0]
    headless = objects[("Service", service_name)]
    assert headless["spec"]["clusterIP"] == "None"
    assert selects(headless, daemonset)
    if "." in host:
        assert host.split(".")[1] == OPENFAAS_NAMESPACE
    assert_config_keys_documented(config, config_path)


def test_services_select_the_daemonset_pods_on_18080(objects, daemonset, container):
    services = [o for (kind, _), o in objects.items() if kind == "Service"]
    assert {s["spec"].get("clusterIP") == "None" for s in services} == {True, False}, \
        "one headless Service for peers and one for clients"
    for service in services:
        assert selects(service, daemonset), service["metadata"]["name"]
        (port,) = service["spec"]["ports"]
        assert port["port"] == NODE_PORT
        assert named_port(container, port.get("targetPort", port["port"])) == NODE_PORT


def kubectl_command() -> list[str]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: the offline kubectl checks need it")
    return [kubectl]


def offline_environment(tmp_path) -> dict[str, str]:
    # An empty kubeconfig: nothing here may reach a cluster, or whatever a test
    # elsewhere has listening on localhost:8080 (kubectl's default server).
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("")
    return {**os.environ, "KUBECONFIG": str(kubeconfig)}


def test_kubectl_renders_the_kustomization(tmp_path):
    rendered = subprocess.run(kubectl_command() + ["kustomize", str(KUBERNETES)],
                              capture_output=True, text=True, timeout=60,
                              env=offline_environment(tmp_path))
    assert rendered.returncode == 0, rendered.stderr
    documents = [d for d in yaml.safe_load_all(rendered.stdout) if d]
    kinds = sorted(d["kind"] for d in documents)
    assert kinds == ["ConfigMap", "DaemonSet", "Service", "Service"]
    for document in documents:
        assert document["metadata"]["namespace"] == OPENFAAS_NAMESPACE
    (rendered_daemonset,) = [d for d in documents if d["kind"] == "DaemonSet"]
    image = rendered_daemonset["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.startswith("fogsched:") or "/fogsched:" in image


def test_kubectl_decodes_the_daemonset_into_typed_objects(tmp_path):
    # `set env --local` decodes the pod spec into Kubernetes' Go types, so a field
    # of the wrong type (a string for a port, a list for a map) fails here.
    result = subprocess.run(
        kubectl_command() + ["set", "env", "--local", "-o", "json",
                             "-f", str(KUBERNETES / "daemonset.yaml"), "FOGSCHED_DECODE_CHECK=1"],
        capture_output=True, text=True, timeout=60, env=offline_environment(tmp_path))
    assert result.returncode == 0, result.stderr
    decoded = json.loads(result.stdout)
    assert decoded["kind"] == "DaemonSet"
    original = yaml.safe_load((KUBERNETES / "daemonset.yaml").read_text())
    # The decode must not have dropped the probes (it would if a key were misspelt
    # at a level where Go ignores unknown fields).
    decoded_container = decoded["spec"]["template"]["spec"]["containers"][0]
    original_container = original["spec"]["template"]["spec"]["containers"][0]
    for key in ("readinessProbe", "livenessProbe", "ports", "volumeMounts", "securityContext"):
        assert decoded_container[key] == original_container[key], key


# ----------------------------------------------------------------------------------
# Dockerfile
# ----------------------------------------------------------------------------------

# find_package() name -> the Debian package that provides it.
FIND_PACKAGE_TO_DEBIAN = {
    "Threads": "build-essential",
    "yaml-cpp": "libyaml-cpp-dev",
    "nlohmann_json": "nlohmann-json3-dev",
    "fmt": "libfmt-dev",
    "Boost": "libboost-dev",
    "CLI11": "libcli11-dev",
    "Eigen3": "libeigen3-dev",
    "mimalloc": "libmimalloc-dev",
}
# Folders that CMake enters only under an option the Dockerfile turns OFF.
OPTIONAL_FOLDERS = {"FOGSCHED_BUILD_TESTS": ("tests", "fuzz"), "FOGSCHED_BUILD_BENCH": ("bench",),
                    "FOGSCHED_BUILD_PYTHON": ("python",)}


def compiled_folders() -> list[str]:
    """Folders the top-level CMakeLists.txt enters with the optional parts OFF."""
    folders, conditions = [], []
    for line in (REPO / "CMakeLists.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if match := re.match(r"if\s*\((.*)\)", line):
            conditions.append(match.group(1).strip())
        elif re.match(r"endif\s*\(", line):
            conditions.pop()
        elif match := re.match(r"add_subdirectory\s*\(\s*(\S+?)\s*\)", line):
            if not any(c in OPTIONAL_FOLDERS for c in conditions):
                folders.append(match.group(1))
    return folders


def test_dockerfile_is_multi_stage_on_debian_12(stages):
    assert len(stages) >= 2
    for stage in stages:
        assert re.fullmatch(r"debian:(12|bookworm)(-slim)?", stage.image), stage.image
    assert stages[0].name == "build"
    assert stages[-1].image in {"debian:12-slim", "debian:bookworm-slim"}


def test_build_stage_installs_what_cmake_finds(stages):
    build_packages = apt_installed_packages(stages[0])
    assert build_packages <= install_deps_packages(), \
        build_packages - install_deps_packages()
    assert {"build-essential", "cmake"} <= build_packages
    # examples/ holds projects of their own, built against an installed fogsched.
    optional = {folder for folders in OPTIONAL_FOLDERS.values() for folder in folders} | {"examples"}
    for cmake_file in REPO.rglob("CMakeLists.txt"):
        relative = cmake_file.relative_to(REPO)
        if relative.parts[0] in optional or relative.parts[0].startswith("build"):
            continue
        for name in re.findall(r"find_package\s*\(\s*([A-Za-z0-9_-]+)", cmake_file.read_text()):
            assert name in FIND_PACKAGE_TO_DEBIAN, f"{relative}: find_package({name}) has no known Debian package"
            assert FIND_PACKAGE_TO_DEBIAN[name] in build_packages, f"{relative}: {name}"


def test_build_stage_builds_only_the_fogsched_target(stages):
    commands = " ".join(stages[0].arguments("RUN"))
    for option in ("FOGSCHED_BUILD_TESTS", "FOGSCHED_BUILD_BENCH", "FOGSCHED_BUILD_PYTHON"):
        assert f"-D{option}=OFF" in commands, option
    assert re.search(r"cmake --build \S+ --target fogsched\b", commands)
    assert re.search(r"-DCMAKE_BUILD_TYPE=Release\b", commands)


def test_runtime_stage_holds_only_runtime_libraries_and_the_binary(stages):
    runtime = stages[-1]
    packages = apt_installed_packages(runtime)
    assert packages == {"libyaml-cpp0.7", "libfmt9", "libmimalloc2.0", "libstdc++6"}
    copies = runtime.arguments("COPY")
    assert any(re.fullmatch(r"--from=build\s+\S+/bin/fogsched\s+/usr/local/bin/fogsched", c) for c in copies), copies
    # The project's own shared libraries, where the binary's RUNPATH ($ORIGIN/../lib) finds them.
    assert any(re.fullmatch(r"--from=build\s+\S+/lib/libfogsched_\*\.so\.\*\s+/usr/local/lib/", c) for c in copies), copies


def test_runtime_stage_runs_fogsched_serve_as_non_root_on_18080(stages, runtime_user):
    runtime = stages[-1]
    assert runtime_user != 0
    assert str(NODE_PORT) in " ".join(runtime.arguments("EXPOSE")).split()
    (entrypoint,) = runtime.arguments("ENTRYPOINT")
    assert json.loads(entrypoint) == ["/usr/local/bin/fogsched", "serve"]


def test_runtime_libraries_cover_the_binary(stages):
    """Every library a built fogsched needs comes from the runtime stage's packages
    or from debian:12-slim itself (libc6, libgcc-s1, libstdc++6)."""
    binary = Path(os.environ.get("FOGSCHED_CLI", REPO / "build" / "cli" / "fogsched"))
    if not binary.is_file() or shutil.which("readelf") is None or shutil.which("dpkg") is None:
        pytest.skip(f"no fogsched binary at {binary} (set FOGSCHED_CLI), or no readelf/dpkg")
    dynamic = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True,
                             timeout=30, check=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dynamic)
    available = apt_installed_packages(stages[-1]) | {"libc6", "libgcc-s1", "libstdc++6"}
    for library in needed:
        if library.startswith("libfogsched_"):
            continue  # the project's own, copied from the build stage (checked above)
        owner = subprocess.run(["dpkg", "-S", f"*/{library}"], capture_output=True, text=True, timeout=30)
        assert owner.returncode == 0, f"{library}: no Debian package owns it"
        packages = {line.split(":", 1)[0] for line in owner.stdout.splitlines()}
        assert packages & available, f"{library} comes from {packages}, not in the runtime image"


def dockerignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text().splitlines()
    return [line.strip().strip("/") for line in lines if line.strip() and not line.startswith("#")]


def test_build_context_keeps_every_compiled_folder():
    patterns = dockerignore_patterns()
    assert not any(p.startswith("!") for p in patterns), "re-inclusion is not checked here"
    folders = compiled_folders()
    assert "core" in folders and "cli" in folders
    for folder in [*folders, "CMakeLists.txt"]:
        assert not any(fnmatch.fnmatch(folder, p) for p in patterns), f"{folder} is left out of the context"
    # A CMake file inside an excluded subfolder of a compiled one would be missing.
    for pattern in patterns:
        for cmake_file in REPO.glob(f"{pattern}/**/CMakeLists.txt"):
            top = cmake_file.relative_to(REPO).parts[0]
            assert top not in folders, f"{cmake_file} is excluded by {pattern!r}"


class HealthHandler(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):  # noqa: N802 (http.server's naming)
        code = self.status if self.path == "/healthz" else 404
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def healthcheck_command(stages) -> list[str]:
    (healthcheck,) = stages[-1].arguments("HEALTHCHECK")
    command = re.search(r"\bCMD\s+(\[.*\])\s*$", healthcheck)
    assert command, f"HEALTHCHECK is not in exec form: {healthcheck}"
    return json.loads(command.group(1))


@pytest.mark.parametrize("status,healthy", [(200, True), (503, False)])
def test_healthcheck_reads_the_healthz_status(stages, status, healthy):
    command = healthcheck_command(stages)
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed here")
    handler = type("Handler", (HealthHandler,), {"status": status})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        result = subprocess.run(command, timeout=10, capture_output=True,
                                env={**os.environ, "FOGSCHED_LISTEN": f"0.0.0.0:{port}"})
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert (result.returncode == 0) == healthy, result.stderr


def test_healthcheck_fails_when_nothing_listens(stages):
    command = healthcheck_command(stages)
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed here")
    # A port that was free a moment ago: bind, read it, close.
    server = http.server.HTTPServer(("127.0.0.1", 0), HealthHandler)
    port = server.server_address[1]
    server.server_close()
    result = subprocess.run(command, timeout=10, capture_output=True,
                            env={**os.environ, "FOGSCHED_LISTEN": f"0.0.0.0:{port}"})
    assert result.returncode != 0


# ----------------------------------------------------------------------------------
# The one-machine swarm of `make test-swarm`
# ----------------------------------------------------------------------------------

SECOND_CAMERA = DEPLOY / "swarm" / "second-camera.yml"
MINBASE_SCRIPT = REPO / "scripts" / "debian-minbase.sh"
SWARM_SCRIPT = REPO / "scripts" / "test-swarm.sh"
DEPLOYMENT_DOC = REPO / "docs" / "deployment.md"


def test_second_camera_override_changes_only_the_nodes_environment(swarm_service):
    override = yaml.safe_load(SECOND_CAMERA.read_text())
    assert set(override["services"]) == {swarm_service[0]}, "the same service name: tasks.fogsched lists both"
    (service,) = override["services"].values()
    assert set(service) == {"environment"}
    assert set(service["environment"]) <= documented_env_vars()


REDIRECTIONS = {">", "<", ">>", ">&"}


def shell_commands(text: str) -> list[list[str]]:
    """Simple commands of a shell text, as words: continuation lines joined, split
    at pipes' ends (&&, ||, ;), redirections and a trailing & dropped. Lines the
    shell lexer cannot split alone (a quote across lines) are skipped."""
    commands, pending = [], ""
    for line in text.splitlines():
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        line, pending = pending + line, ""
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>")
            lexer.whitespace_split = True
            words = list(lexer)
        except ValueError:
            continue
        command, index = [], 0
        while index < len(words):
            word = words[index]
            following = words[index + 1] if index + 1 < len(words) else ""
            if word in {"&&", "||", ";"}:
                commands.append(command)
                command = []
            elif word in REDIRECTIONS:
                index += 1  # and its target
            elif word.isdigit() and following in REDIRECTIONS:
                index += 2  # 2>&1: the descriptor, the operator and its target
            elif word != "&":
                command.append(word)
            index += 1
        commands.append(command)
    return [c for c in commands if c]


def matches(script_command: list[str], doc_command: list[str]) -> bool:
    """A word of the script with a $VARIABLE in it matches any word there."""
    if len(script_command) != len(doc_command):
        return False
    for script_word, doc_word in zip(script_command, doc_command):
        pattern = re.sub(r"\\\$\\\{\w+\\\}|\\\$\w+", ".+", re.escape(script_word))
        if not re.fullmatch(pattern, doc_word):
            return False
    return True


def test_the_deploy_walk_through_is_what_make_test_swarm_runs():
    """Each command block of docs/deployment.md's one-machine section is run by
    scripts/test-swarm.sh, command for command, in the block's order."""
    section = DEPLOYMENT_DOC.read_text().split("## 7. A swarm on one machine", 1)[1]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) >= 6, "the daemon, base image, image, swarm, one camera, two cameras, tear-down"
    script = []
    for command in shell_commands(SWARM_SCRIPT.read_text()):
        # The base image's tarball is made by a script of its own: its commands count.
        if command and command[0].endswith("scripts/debian-minbase.sh"):
            script += shell_commands(MINBASE_SCRIPT.read_text())
        else:
            script.append(command)
    for block in blocks:
        position = 0
        for command in shell_commands(block):
            found = next((i for i in range(position, len(script)) if matches(script[i], command)), None)
            assert found is not None, f"scripts/test-swarm.sh does not run (after the block's previous command): {shlex.join(command)}"
            position = found + 1
