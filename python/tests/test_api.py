"""The public surface: documented, typed, and importable without matplotlib."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import fogsched
import fogsched.plot
import fogsched.report
from fogsched import _core


def public_names(module) -> list[str]:
    return list(getattr(module, "__all__", [n for n in dir(module) if not n.startswith("_")]))


def test_every_public_name_has_a_docstring():
    undocumented = []
    for module in (fogsched, fogsched.plot, fogsched.report, _core):
        assert module.__doc__, module.__name__
        for name in public_names(module):
            value = getattr(module, name)
            if not (inspect.isclass(value) or callable(value)):
                continue
            if not value.__doc__:
                undocumented.append(f"{module.__name__}.{name}")
            if inspect.isclass(value):
                for member_name, member in vars(value).items():
                    if member_name.startswith("_") or not (callable(member) or isinstance(member, property)):
                        continue
                    if not getattr(value, member_name).__doc__:
                        undocumented.append(f"{module.__name__}.{name}.{member_name}")
    assert undocumented == []


def test_the_extension_has_stubs_and_the_package_is_typed():
    package = Path(fogsched.__file__).parent
    assert (package / "py.typed").is_file()
    stub = (package / "_core.pyi").read_text()
    for name in public_names(_core):
        assert f" {name}" in stub, f"_core.{name} is missing from _core.pyi"


def test_importing_fogsched_does_not_load_matplotlib():
    code = "import sys, fogsched; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False, timeout=60).returncode == 0
