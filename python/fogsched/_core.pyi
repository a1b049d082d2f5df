"""Private bindings of fogsched (C++); use the `fogsched` package instead."""

from typing import Any, Optional, TypedDict

import numpy as np

class ScenarioError(ValueError):
    """A scenario file or override is wrong: 'FILE:LINE: key.path: what is wrong'."""

class PolicyError(ValueError):
    """A policy name or parameter is wrong."""

class PolicyContractError(RuntimeError):
    """A policy broke the contract with the runtime (a bug in the policy)."""

class ResourceError(MemoryError):
    """A run would need more memory than this process can get: 'KEY: the run needs about ...'."""

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
) -> RunOutput:
    """Runs every replication of every policy with the GIL released."""

def analyze(
    document: ScenarioDocument,
    policies: Optional[list[str]] = None,
    replications: Optional[int] = None,
    seed: Optional[int] = None,
    threads: int = 0,
    duration: Optional[str] = None,
) -> str:
    """Simulates with the GIL released and sets the exact models beside it; the JSON of `fogsched analyze --json`."""

def format_table(json: str) -> str:
    """The CLI's comparison table for a results JSON document."""
