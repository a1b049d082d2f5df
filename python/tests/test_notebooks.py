"""The notebooks are committed without outputs and execute without error."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import fogsched
from conftest import REPO

NOTEBOOKS = REPO / "python" / "notebooks"
KERNEL_NAME = "fogsched-test-python3"


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory):
    """A kernelspec running this interpreter, with this fogsched on its path."""
    jupyter_path = tmp_path_factory.mktemp("jupyter")
    spec_dir = jupyter_path / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "fogsched tests", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    package_parent = str(Path(fogsched.__file__).parent.parent)
    python_path = os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))
    patch = pytest.MonkeyPatch()
    patch.setenv("JUPYTER_PATH", str(jupyter_path))
    patch.setenv("PYTHONPATH", python_path)
    patch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    patch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # quiets the kernel's debugger warning
    yield
    patch.undo()


def execute(name: str) -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(notebook, timeout=120, kernel_name=KERNEL_NAME,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    return notebook


def outputs(notebook: nbformat.NotebookNode, mime: str) -> list[str]:
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if mime in data:
                found.append(data[mime])
            if mime == "text/plain" and output.get("output_type") == "stream":
                found.append(output["text"])
    return found


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: strip the outputs"


def test_compare_policies_executes_and_names_the_winners(kernel_env):
    notebook = execute("compare_policies.ipynb")
    (text,) = outputs(notebook, "text/markdown")
    assert "rejects the fewest invocations" in text
    assert "From load 0.5" in text or "At load 0.5" in text
    assert outputs(notebook, "image/png"), "the comparison plot was not drawn"
    assert any("On the Azure sample," in text and "rejects the fewest invocations" in text
               for text in outputs(notebook, "text/plain")), "the Azure section named no winner"


def test_validate_executes_and_agrees_with_erlang_b(kernel_env):
    notebook = execute("validate.ipynb")
    assert any("Erlang-B values lie inside the simulated 95 % interval" in text
               for text in outputs(notebook, "text/plain"))
    assert outputs(notebook, "image/png"), "the validation plot was not drawn"


def test_learning_executes_and_states_where_learning_wins(kernel_env):
    notebook = execute("learning.ipynb")
    (text,) = outputs(notebook, "text/markdown")
    for scenario in ("markov-small", "city-default", "city-rush-hour"):
        assert f"On **{scenario}**" in text
    assert "The exact optimum rejects" in text
    assert len(outputs(notebook, "image/png")) == 2, "the learning curves and the comparison were not both drawn"
