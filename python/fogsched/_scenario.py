"""Scenarios: a YAML document plus overrides, validated by the C++ loader."""

from __future__ import annotations

import json
import math
import numbers
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Union

from . import _core

#: The origin a scenario built from a dict reports in its errors.
DICT_ORIGIN = "<dict>"


def yaml_value(value: Any) -> str:
    """The YAML text of a Python value, as ``--set path=VALUE`` would spell it.

    Strings pass through unchanged (they are YAML already, so ``"250ms"`` and
    ``"[local, random]"`` work); booleans become ``true``/``false``; numbers their
    shortest exact form; lists and dicts JSON (which is YAML).
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", None) == "b":
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"scenario values must be finite numbers, got {number!r}")
        return repr(number)
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, default=yaml_value)
    raise TypeError(f"cannot write a {type(value).__name__} as a scenario value")


class Scenario:
    """A scenario file as written, with overrides applied on top.

    The YAML tree is kept, not the parsed model, so :meth:`set` edits the text form
    and everything is validated by the same loader as ``fogsched run`` (errors raise
    :class:`fogsched.ScenarioError` with the CLI's message). Scenarios pickle (for
    Dask workers) as their text, origin and overrides.
    """

    __slots__ = ("_document", "_text", "_overrides")

    def __init__(self, text: str, origin: str, overrides: tuple[tuple[str, str], ...] = ()) -> None:
        """Builds a scenario from YAML ``text``; ``origin`` names it in error messages
        and anchors relative file paths. Prefer :meth:`load` and :meth:`from_dict`."""
        self._document = _core.ScenarioDocument.from_string(text, origin)
        self._text = text
        self._overrides: list[tuple[str, str]] = []
        for path, value in overrides:
            self.set(path, value)

    @classmethod
    def load(cls, path: Union[str, os.PathLike[str]]) -> Scenario:
        """Reads a scenario file (checks its YAML syntax; see :meth:`validate`)."""
        path = os.fspath(path)
        document = _core.ScenarioDocument.load_file(path)  # the CLI's errors for missing files
        scenario = cls.__new__(cls)
        scenario._document = document
        scenario._text = Path(path).read_text(encoding="utf-8")
        scenario._overrides = []
        return scenario

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], origin: str = DICT_ORIGIN) -> Scenario:
        """A scenario from the dict form :meth:`to_dict` returns (or hand-written).

        Relative file paths in it (trace and empirical CSV files) are resolved from
        the directory of ``origin``; the default resolves them from the working directory.
        """
        return cls(json.dumps(data, default=yaml_value), origin)

    @classmethod
    def from_yaml(cls, text: str, origin: str = "<string>") -> Scenario:
        """A scenario from YAML text."""
        return cls(text, origin)

    def set(self, path: str, value: Any) -> Scenario:
        """Overrides the value at a key path, like ``--set path=value``; returns self.

        Paths address list elements by index (``"workload.0.arrivals.load"``).
        ``value`` is a Python value or YAML text (``"250ms"``, ``"[local, random]"``).
        """
        text = yaml_value(value)
        self._document.set(path, text)
        self._overrides.append((path, text))
        return self

    def copy(self) -> Scenario:
        """An independent copy (later :meth:`set` calls do not affect this one)."""
        duplicate = Scenario.__new__(Scenario)
        duplicate._document = self._document.copy()
        duplicate._text = self._text
        duplicate._overrides = list(self._overrides)
        return duplicate

    def validate(self) -> None:
        """Checks everything, policies included, as ``fogsched validate`` does.

        Raises :class:`fogsched.ScenarioError` or :class:`fogsched.PolicyError`.
        """
        self._document.validate()

    def info(self) -> dict[str, Any]:
        """Validates and returns ``name``, ``seed``, ``replications``, ``duration`` and
        ``warmup`` (as text, ``"10min"``) and ``cameras`` (the camera count)."""
        return self._document.summary()

    def to_dict(self) -> dict[str, Any]:
        """The scenario as a dict: numbers and booleans typed, quantities with units
        (``"250ms"``) as strings. :meth:`from_dict` accepts it back unchanged."""
        return json.loads(self._document.to_json())

    def to_json(self) -> str:
        """The scenario as JSON text (see :meth:`to_dict`)."""
        return self._document.to_json()

    def to_yaml(self) -> str:
        """The scenario as YAML text, with every override applied."""
        return self._document.to_yaml()

    @property
    def origin(self) -> str:
        """Where the scenario came from: its file path, or ``"<dict>"``."""
        return self._document.origin

    @property
    def overrides(self) -> list[tuple[str, str]]:
        """The ``(path, yaml_value)`` overrides applied so far, in order."""
        return list(self._overrides)

    @property
    def document(self) -> _core.ScenarioDocument:
        """The underlying C++ document (for the private bindings)."""
        return self._document

    def __reduce__(self) -> tuple[Any, ...]:
        return (Scenario, (self._text, self.origin, tuple(self._overrides)))

    def __repr__(self) -> str:
        sets = "".join(f", {path}={value}" for path, value in self._overrides)
        return f"Scenario({self.origin!r}{sets})"


ScenarioLike = Union[Scenario, str, os.PathLike, Mapping[str, Any]]


def as_scenario(scenario: ScenarioLike) -> Scenario:
    """A :class:`Scenario` from a scenario, a file path or a dict."""
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, Mapping):
        return Scenario.from_dict(scenario)
    if isinstance(scenario, (str, os.PathLike)):
        return Scenario.load(scenario)
    raise TypeError(f"expected a Scenario, a path or a dict, got {type(scenario).__name__}")
