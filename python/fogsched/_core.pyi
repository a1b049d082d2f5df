"""Private bindings of fogsched (C++); use the `fogsched` package instead."""

import enum
from collections.abc import Callable
from typing import Any, Optional, TypedDict, Union

import numpy as np

class ScenarioError(ValueError):
    """A scenario file or override is wrong: 'FILE:LINE: key.path: what is wrong'."""

class PolicyError(ValueError):
    """A policy name or parameter is wrong."""

class PolicyContractError(RuntimeError):
    """A policy broke the contract with the runtime (a bug in the policy)."""

class ResourceError(MemoryError):
    """A run would need more memory than this process can get: 'KEY: the run needs about ...'."""

class PythonPolicyError(RuntimeError):
    """A Python policy raised: policy, node, invocation and the Python traceback."""

class DecisionTypeError(TypeError):
    """A Python policy's decide() returned no RunLocal, Forward, Reject or Probe."""

class RejectReason(enum.Enum):
    """Why an invocation is rejected."""

    no_capacity = 0
    policy = 1
    hop_limit = 2
    no_peer = 3

class Outcome(enum.Enum):
    """How an invocation ended."""

    completed = 0
    rejected = 1
    deadline_missed = 2
    failed = 3

class LoadReport:
    """A node's load: load() = running + queued."""

    running: int
    queued: int
    slots: int
    queue_capacity: int
    def __init__(self, running: int = 0, queued: int = 0, slots: int = 0, queue_capacity: int = 0) -> None: ...
    def load(self) -> int: ...
    def has_free_slot(self) -> bool: ...
    def can_accept(self) -> bool: ...

class KnownLoad:
    """A peer's load as last heard by gossip, and its age in seconds."""

    load: LoadReport
    age: float
    def __init__(self, load: LoadReport, age: float = 0.0) -> None: ...

class KnownPeer:
    """A remembered peer and the load last heard from it."""

    peer: int
    known: KnownLoad
    def __init__(self, peer: int, known: KnownLoad) -> None: ...

class ProbeAnswer:
    """A peer's answer to a probe."""

    peer: int
    load: LoadReport
    def __init__(self, peer: int, load: LoadReport) -> None: ...

class Invocation:
    """What a policy knows about one function call (arrival in seconds)."""

    id: int
    function: int
    origin: int
    hops: int
    arrival: float
    payload_bytes: int
    def __init__(self, id: int = 0, function: int = 0, origin: int = 0, hops: int = 0, arrival: float = 0.0,
                 payload_bytes: int = 0) -> None: ...

class Completion:
    """What the origin node learns when its invocation ends (response_time in seconds)."""

    id: int
    function: int
    executed_on: int
    outcome: Outcome
    response_time: float
    def __init__(self, id: int = 0, function: int = 0, executed_on: int = 0, outcome: Outcome = ...,
                 response_time: float = 0.0) -> None: ...

class RunLocal:
    """Run the invocation on this node."""

    def __init__(self) -> None: ...

class Forward:
    """Send the invocation to a listed peer or to ctx.cloud()."""

    peer: int
    def __init__(self, peer: int) -> None: ...

class Reject:
    """Reject the invocation."""

    reason: RejectReason
    def __init__(self, reason: RejectReason = ...) -> None: ...

class Probe:
    """Ask these peers (at most 16) for their load; decide() runs again with the answers."""

    peers: list[int]
    def __init__(self, peers: list[int]) -> None: ...

Decision = Union[RunLocal, Forward, Reject, Probe]

class Rng:
    """A seeded random stream, the numbers of the C++ fogsched::Rng."""

    def __init__(self, seed: int) -> None: ...
    def next(self) -> int: ...
    def uniform01(self) -> float: ...
    def uniform(self, lo: float, hi: float) -> float: ...
    def uniform_index(self, n: int) -> int: ...
    def bernoulli(self, p: float) -> bool: ...
    def exponential(self, mean: float) -> float: ...
    def standard_normal(self) -> float: ...

class Context:
    """The node's view of the cluster during one policy call; it stops working when the call returns."""

    def now(self) -> float: ...
    def self(self) -> int: ...
    def local_load(self) -> LoadReport: ...
    def peer_count(self) -> int: ...
    def peer(self, index: int) -> int: ...
    def peers(self) -> list[int]: ...
    def cloud(self) -> Optional[int]: ...
    def known_load(self, peer: int) -> Optional[KnownLoad]: ...
    def least_loaded_known_peer(self) -> Optional[KnownPeer]: ...
    def probed(self) -> bool: ...
    def probe_answers(self) -> list[ProbeAnswer]: ...
    def rng(self) -> Rng: ...
    def gossip_load(self, peers: list[int]) -> None: ...
    def gossip_load_to_all(self) -> None: ...
    def set_timer(self, after: float) -> None: ...

class FakeNodeContext(Context):
    """A NodeContext whose answers a test sets and whose effects it records (fogsched.testing.FakeContext)."""

    def __init__(self, seed: int = 1) -> None: ...
    def set_now(self, now: float) -> None: ...
    def advance(self, by: float) -> None: ...
    def set_self(self, node: int) -> None: ...
    def set_peers(self, peers: list[int]) -> None: ...
    def set_cloud(self, cloud: Optional[int]) -> None: ...
    def set_local_load(self, load: LoadReport) -> None: ...
    def set_known_load(self, peer: int, load: LoadReport, age: float = 0.0) -> None: ...
    def forget_known_load(self, peer: int) -> None: ...
    def set_gossip_memory(self, peers: int) -> None: ...
    def set_probe_answers(self, answers: list[ProbeAnswer]) -> None: ...
    def clear_probe_answers(self) -> None: ...
    def set_hop_limit(self, hop_limit: int) -> None: ...
    def set_policy_name(self, name: str) -> None: ...
    def check(self, decision: Any, invocation: Invocation, policy: str = "policy under test") -> None: ...
    def timers(self) -> list[float]: ...
    def gossip_sent(self) -> list[dict[str, Any]]: ...
    def clear_effects(self) -> None: ...

class ScenarioDocument:
    """A scenario as written (the YAML tree) plus overrides."""

    @staticmethod
    def load_file(path: str) -> ScenarioDocument:
        """Reads and parses a scenario file (syntax only)."""
    @staticmethod
    def from_string(yaml: str, origin: str) -> ScenarioDocument:
        """Parses YAML text; `origin` names it in errors and anchors relative file paths."""
    def set(self, path: str, value: str) -> None:
        """Sets the value (YAML text) at a key path, as `--set path=value` does."""
    def validate(self) -> None:
        """Checks the whole scenario and its policies, as `fogsched validate` does."""
    def summary(self) -> dict[str, Any]:
        """Validates; returns name, seed, replications, duration, warmup (text) and cameras."""
    def to_yaml(self) -> str:
        """The document as YAML, overrides applied."""
    def to_json(self) -> str:
        """The document as JSON: numbers and booleans typed, everything else a string."""
    @property
    def origin(self) -> str:
        """The file path or origin name given when the document was made."""
    def copy(self) -> ScenarioDocument:
        """An independent copy."""

class ParamInfo(TypedDict):
    name: str
    type: str
    default: str
    min: float
    max: float
    doc: str

class PolicyInfo(TypedDict):
    name: str
    doc: str
    params: list[ParamInfo]

class RunOutput(TypedDict):
    json: str
    policies: list[str]
    engine_events: list[int]
    trace: Optional[dict[str, np.ndarray]]

class TraceCodeNames(TypedDict):
    decision: list[str]
    outcome: list[str]

def policies() -> list[PolicyInfo]:
    """The policies (built in and from plugins) with their parameters."""

def load_plugin(path: str) -> list[str]:
    """Loads a policy plugin (.so built with fogsched_add_policy); returns the names of its policies."""

def trace_code_names() -> TraceCodeNames:
    """Names of the trace's decision and outcome codes, indexed by code."""

def run(
    document: ScenarioDocument,
    policies: Optional[list[str]] = None,
    replications: Optional[int] = None,
    seed: Optional[int] = None,
    threads: int = 0,
    duration: Optional[str] = None,
    keep_trace: bool = False,
    python_policies: list[tuple[str, Callable[[], Any]]] = ...,
) -> RunOutput:
    """Runs every replication of every policy with the GIL released."""

def run_many(
    runs: list[tuple[ScenarioDocument, Optional[list[str]], list[tuple[str, Callable[[], Any]]]]],
    replications: Optional[int] = None,
    seed: Optional[int] = None,
    threads: int = 0,
    duration: Optional[str] = None,
) -> list[RunOutput]:
    """Runs many scenarios, each (document, policies or None, python_policies), on one pool of threads
    with the GIL released; run()'s result for each, without trace."""

def policy_info_capsule(name: str, factory: Callable[[], Any]) -> Any:
    """A Python policy's registry entry as a capsule holding a fogsched::PolicyInfo (live mode's embedding)."""

def analyze(
    document: ScenarioDocument,
    policies: Optional[list[str]] = None,
    replications: Optional[int] = None,
    seed: Optional[int] = None,
    threads: int = 0,
    duration: Optional[str] = None,
    optimal: bool = False,
    forward_cost: float = 0.0,
    probe_cost: float = 0.0,
) -> str:
    """Simulates with the GIL released and sets the exact models (and with `optimal` the optimum) beside it; the
    JSON of `fogsched analyze --json`."""

class TrainOutput(TypedDict):
    policy: str
    curve_csv: str
    episodes: int
    updates: int

def train(
    document: ScenarioDocument,
    policy: str,
    episodes: int,
    out: str,
    replications: Optional[int] = None,
    seed: Optional[int] = None,
    threads: int = 0,
    duration: Optional[str] = None,
) -> TrainOutput:
    """Trains a learning policy with the GIL released, rewriting the model file `out` after every episode."""

def split_policy_spec(spec: str) -> tuple[str, list[tuple[str, str]]]:
    """A policy spec as (name, [(parameter, value text), ...])."""

def format_table(json: str, metrics: list[str] = ..., wide: bool = False) -> str:
    """The CLI's comparison table for a results JSON document: the columns that fit 120
    columns, ``metrics`` (names as ``fogsched run --metrics``) or, with ``wide``, every column."""

def html_report(json: str, title: str = "") -> str:
    """The self-contained HTML report of `fogsched run --report` for a results JSON document."""
