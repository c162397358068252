"""Data flows one way: the simulation core imports no YAML, pandas, matplotlib or CLI."""

from __future__ import annotations

import subprocess
import sys

import pytest

FORBIDDEN = ("yaml", "pandas", "matplotlib", "typer", "click", "rich")


@pytest.mark.parametrize("module", ["pullsim.engine", "pullsim.kube", "pullsim.model"])
def test_core_imports_nothing_from_the_edges(module):
    code = (
        f"import sys, {module}; "
        f"print(','.join(name for name in {FORBIDDEN!r} if name in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_kube_knows_nothing_of_time():
    code = (
        "import sys, pullsim.kube; print('simpy' in sys.modules, 'pullsim.engine' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]
