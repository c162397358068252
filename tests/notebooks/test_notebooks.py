"""The notebooks in notebooks/: stored without outputs, using only the public API, and executed
here with a real Jupyter kernel (ipykernel) running this virtual environment's Python."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("*.ipynb"))
PUBLIC_MODULES = {
    "pullsim",
    "pullsim.kube",
    "pullsim.plots",
    "pullsim.report",
    "pullsim.scenario",
}
CELL_TIMEOUT_S = 300
BUDGET_S = 60


def _ids(paths):
    return [path.name for path in paths]


def test_there_are_notebooks():
    names = _ids(NOTEBOOKS)
    assert "01-serial-parallel-capped.ipynb" in names
    assert "02-capacity-planning.ipynb" in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_is_stored_without_outputs(path):
    document = json.loads(path.read_text())
    for cell in document["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name}: strip the outputs before committing"
            assert cell.get("execution_count") is None, f"{path.name}: execution counts stored"
    assert document["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_uses_only_the_public_api(path):
    document = json.loads(path.read_text())
    source = "\n".join("".join(cell["source"]) for cell in document["cells"])
    modules = set(re.findall(r"^\s*(?:from|import)\s+(pullsim[\w.]*)", source, re.MULTILINE))
    assert modules <= PUBLIC_MODULES, modules - PUBLIC_MODULES
    assert "tests." not in source


@pytest.fixture(scope="module")
def kernel_path(tmp_path_factory):
    """A ``python3`` kernelspec that runs this interpreter, first on JUPYTER_PATH: the kernel is
    this virtual environment's Python whatever other kernels the machine has."""
    pytest.importorskip("ipykernel", reason="dev dependency ipykernel is not installed")
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (pullsim test)",
                "language": "python",
            }
        )
    )
    return root


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs_in_a_jupyter_kernel(path, kernel_path, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="dev dependency nbformat is not installed")
    nbclient = pytest.importorskip("nbclient", reason="dev dependency nbclient is not installed")
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_path))
    notebook = nbformat.read(path, as_version=4)
    probe = nbformat.v4.new_code_cell("import sys; print(sys.executable)")
    notebook.cells.append(probe)
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(tmp_path)}},  # the notebook's working directory
    )
    started = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - started
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert errors == []
    assert notebook.cells[-1].outputs[0]["text"].strip() == sys.executable
    figures = sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert figures >= 4, "the notebook's figures were not displayed"
    assert elapsed < BUDGET_S, f"{path.name} took {elapsed:.0f} s"
