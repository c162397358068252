"""A corpus of broken scenarios: each gets one clear line naming file, line, field and what was
expected, exit code 2 from the CLI, and never a traceback or a secret.

Each file under broken/ starts with ``# expect: LINE | FIELD PATH | TEXT``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pullsim.cli import app
from pullsim.scenario.loader import ScenarioFileError, read_scenario

BROKEN = sorted((Path(__file__).parent / "broken").glob("*.yaml"))


def _expectation(path: Path) -> tuple[int, str, str]:
    header = path.read_text().splitlines()[0]
    assert header.startswith("# expect: "), path
    line, field, text = (part.strip() for part in header[len("# expect: ") :].split("|"))
    return int(line), field, text


def test_the_corpus_is_not_empty():
    assert len(BROKEN) >= 15


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_loader_names_file_line_field_and_expectation(path):
    line, field, text = _expectation(path)
    with pytest.raises(ScenarioFileError) as caught:
        read_scenario(path)
    first = caught.value.problems[0]
    assert first.file == str(path)
    assert first.line == line, str(caught.value)
    assert first.field == field, str(caught.value)
    assert text in first.message, str(caught.value)
    assert str(first).startswith(f"{path}:{line}:")


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_cli_exits_2_with_one_line_per_problem_and_no_traceback(path):
    line, field, text = _expectation(path)
    result = CliRunner().invoke(app, ["validate", str(path)])
    output = result.output
    assert result.exit_code == 2, output
    assert "Traceback" not in output
    assert f"{path}:{line}" in output
    assert text in output
    assert all(row.startswith("error: ") for row in output.strip().splitlines())
    assert "hunter2-very-secret" not in output


@pytest.mark.parametrize("command", ["run", "compare"])
def test_run_and_compare_refuse_broken_input_the_same_way(command):
    path = Path(__file__).parent / "broken" / "zero-node-pool.yaml"
    result = CliRunner().invoke(app, [command, str(path)])
    assert result.exit_code == 2
    assert "a node pool of 0 nodes" in result.output
    assert "Traceback" not in result.output


def test_json_errors_are_machine_readable():
    import json

    path = Path(__file__).parent / "broken" / "bad-unit.yaml"
    result = CliRunner().invoke(app, ["run", str(path), "--json"])
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["status"] == "invalid"
    problem = document["problems"][0]
    assert (problem["line"], problem["field"]) == (9, "node_pools[0].disk_write_bytes_per_s")


def test_a_missing_scenario_file_is_bad_input():
    result = CliRunner().invoke(app, ["validate", "no/such/scenario.yaml"])
    assert result.exit_code == 2
    assert "no/such/scenario.yaml: file not found" in result.output
