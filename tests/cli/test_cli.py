"""The pullsim command: outputs, run.json, --json, exit codes, determinism, no secret anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pullsim import __version__
from pullsim.cli import app
from pullsim.outputs import TABLES

ROOT = Path(__file__).resolve().parents[2]
SEED = str(ROOT / "scenarios" / "01-private-registry-seed.yaml")
SECRETS = (
    "Zx9-pullsim-demo-only",  # the password
    "Y2VzaGktcHVsbDpaeDktcHVsbHNpbS1kZW1vLW9ubHk=",  # base64(user:password), the auth field
    "eyJhdXRocyI6IHsiMTAuMjAyLjQzLjI0MDo1MDAwIjog",  # the Secret's data, base64
)


def invoke(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output
    return result


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    directory = tmp_path_factory.mktemp("out") / "seed"
    result = invoke("compare", SEED, "-o", str(directory), "--no-figures")
    return directory, result


def test_compare_writes_every_table_and_run_json(compared):
    directory, result = compared
    assert result.exit_code == 0, result.output
    for name in TABLES:
        frame = pd.read_parquet(directory / f"{name}.parquet")
        assert list(frame.columns[:3]) == ["scenario", "strategy", "seed"]
        assert len(pd.read_csv(directory / f"{name}.csv")) == len(frame)
    record = json.loads((directory / "run.json").read_text())
    assert record["pullsim_version"] == __version__
    assert record["strategies"] == ["serial", "parallel", "capped-3"]
    assert record["seeds"] == [0]
    assert record["exit_status"] == 0 and record["status"] == "ok"
    assert record["wall_s"] > 0
    assert record["scenario"]["name"] == "private-registry-seed"
    assert record["scenario"]["registries"][0]["credentials"] == [["ceshi-pull", "<redacted>"]]
    assert "wall_s" not in pd.read_parquet(directory / "summary.parquet").columns
    assert "wall_s" not in pd.read_parquet(directory / "summary_by_strategy.parquet").columns
    assert set(record["tables"]) == set(TABLES)
    assert record["tables"]["summary_by_strategy"]["rows"] == 3
    assert "serial" in result.output and "capped-3" in result.output
    assert "mean" not in result.output  # one seed: no mean rows
    assert "pullsim explain" in result.output  # the debug pod never starts


def test_no_secret_in_any_output(compared):
    directory, result = compared
    assert_no_secret(result.output)
    for path in directory.rglob("*"):
        if path.is_file():
            assert_no_secret(path.read_bytes().decode("latin-1"))


def test_same_scenario_and_seed_give_byte_identical_tables(compared, tmp_path):
    directory, _ = compared
    again = tmp_path / "again"
    assert invoke("compare", SEED, "-o", str(again), "--no-figures").exit_code == 0
    for name in TABLES:
        for suffix in (".parquet", ".csv"):
            first = (directory / f"{name}{suffix}").read_bytes()
            assert first == (again / f"{name}{suffix}").read_bytes(), f"{name}{suffix}"


POISSON_WEB = "arrivals[0]={kind: poisson, workload: web, rate_per_s: 0.5, count: 6}"


@pytest.fixture(scope="module")
def two_seeds(tmp_path_factory):
    """The seed scenario with web's pods created at random times: the two seeds differ."""
    directory = tmp_path_factory.mktemp("out") / "two-seeds"
    args = ("compare", SEED, "--seeds", "0,1", "--set", POISSON_WEB, "--no-figures")
    table = invoke(*args, "-o", str(directory))
    document = json.loads(invoke(*args, "--json").stdout)
    return directory, table, document


def test_compare_with_two_seeds_shows_runs_then_the_means_of_summary_by_strategy(two_seeds):
    directory, table, document = two_seeds
    assert table.exit_code == 0, table.output
    runs = pd.read_parquet(directory / "summary.parquet")
    by_strategy = pd.read_parquet(directory / "summary_by_strategy.parquet")
    assert len(runs) == 6 and set(runs["seed"]) == {0, 1}  # one row per run, no -1 row
    assert runs["pods"].dtype == "int64"  # counts stay counts: no mean rows mixed in
    assert by_strategy["strategy"].tolist() == ["serial", "parallel", "capped-3"]
    assert set(by_strategy["seed"]) == {-1} and set(by_strategy["seeds"]) == {2}
    lines = [line for line in table.output.splitlines() if "│" in line]
    for strategy in ("serial", "parallel", "capped-3"):
        mine = runs[runs["strategy"] == strategy]
        # What to expect, from the per-run rows: the mean of the strategy's two runs.
        p50, p99 = mine["startup_p50_s"].mean(), mine["startup_p99_s"].mean()
        row = by_strategy[by_strategy["strategy"] == strategy].iloc[0]
        assert row["startup_p50_s"] == pytest.approx(p50)
        assert row["startup_p99_s"] == pytest.approx(p99)
        cells = [
            [cell.strip() for cell in line.split("│")[1:-1]]
            for line in lines
            if line.split("│")[1].strip() == strategy
        ]
        assert [c[1] for c in cells] == ["0", "1", "mean"]  # runs first, then the mean
        assert cells[2][2:5] == ["18/19", f"{p50:.1f}", f"{p99:.1f}"]
    serial = runs[runs["strategy"] == "serial"]["startup_p50_s"]
    assert serial.nunique() == 2  # the seeds really differ: the mean is neither run
    # --fail-if-not-ready's count: the debug pod, in each of the 6 runs (no mean counted).
    assert "6 pod(s) not ready at the horizon" in table.output
    # --json: the same rows as the files.
    assert [r["seed"] for r in document["summary"]] == runs["seed"].tolist()
    means = document["summary_by_strategy"]
    assert [r["startup_p99_s"] for r in means] == pytest.approx(
        by_strategy["startup_p99_s"].tolist()
    )
    assert [(r["strategy"], r["seed"], r["seeds"]) for r in means] == [
        ("serial", -1, 2),
        ("parallel", -1, 2),
        ("capped-3", -1, 2),
    ]


def test_run_json_prints_one_document(tmp_path):
    result = invoke("run", SEED, "--strategy", "capped-3", "--seed", "3", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["status"] == "ok"
    assert document["strategies"] == ["capped-3"] and document["seeds"] == [3]
    (row,) = document["summary"]
    assert row["strategy"] == "capped-3" and row["pods"] == 19 and row["pods_ready"] == 18
    (mean,) = document["summary_by_strategy"]
    assert (mean["strategy"], mean["seed"], mean["seeds"], mean["pods"]) == ("capped-3", -1, 1, 19)
    assert_no_secret(result.stdout)


def test_fail_if_not_ready_exits_1():
    result = invoke("run", SEED, "--fail-if-not-ready", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"] == "pods-not-ready"


def test_set_reaches_the_run():
    result = invoke("run", SEED, "--json", "--set", "node_pools[0].count=1", "--set", "seed=2")
    document = json.loads(result.stdout)
    assert document["seeds"] == [2]
    assert document["summary"][0]["pods"] == 19


def test_unknown_strategy_and_bad_seeds_are_usage_errors():
    result = invoke("run", SEED, "--strategy", "turbo")
    assert result.exit_code == 2
    assert "no strategy 'turbo'" in result.output
    assert invoke("compare", SEED, "--seeds", "a,b").exit_code == 2
    assert invoke("run").exit_code == 2


def test_validate_accepts_the_whole_library():
    paths = sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
    result = invoke("validate", *paths, "--json")
    assert result.exit_code == 0, result.output
    assert all(item["valid"] for item in json.loads(result.stdout)["scenarios"])


def test_schema_prints_the_json_schema():
    result = invoke("schema")
    schema = json.loads(result.stdout)
    assert schema["title"] == "Scenario"
    assert "strategies" in schema["properties"]


def test_explain_says_why_the_ceshi_pod_fails():
    result = invoke("explain", SEED, "debug", "--strategy", "capped-3")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "service account: ceshi; pull secrets: none" in text
    assert "defaulted from" in text and "IfNotPresent" in text
    assert "ImagePullBackOff" in text and "pull access denied" in text
    assert_no_secret(result.output)


def test_explain_json_names_credentials_by_username_only():
    result = invoke("explain", SEED, "default/web-0", "--json")
    assert result.exit_code == 0
    explanation = json.loads(result.stdout)
    assert explanation["service_account"] == {
        "name": "default",
        "pull_secrets": ["images"],
        "pull_secrets_from": "service account",
    }
    credentials = explanation["containers"][0]["credentials"]
    assert [c["username"] for c in credentials] == ["ceshi-pull"]
    assert {p["credential"] for p in explanation["pulls"]} == {"ceshi-pull"}
    assert explanation["ready_s"] is not None
    assert_no_secret(result.stdout)


def test_explain_an_unknown_pod_is_bad_input():
    result = invoke("explain", SEED, "nope")
    assert result.exit_code == 2
    assert "no pod 'nope'" in result.output


# plot and report call the colleague's pullsim.plots.save_figures / pullsim.report.write_report.
def test_plot_writes_figures(tmp_path):
    result = invoke(
        "plot", SEED, "-o", str(tmp_path / "figures"), "--strategies", "serial,capped-3", "--json"
    )
    assert result.exit_code == 0, result.output
    figures = [Path(p) for p in json.loads(result.stdout)["figures"]]
    assert figures and all(p.exists() for p in figures)


def test_report_writes_one_html_file_without_secrets(tmp_path):
    target = tmp_path / "report.html"
    result = invoke(
        "report", SEED, "-o", str(target), "--startup-target", "30s", "--slowdown-budget", "0.2"
    )
    assert result.exit_code == 0, result.output
    html = target.read_text()
    assert html.lstrip().lower().startswith("<!doctype html")
    assert_no_secret(html)
    assert invoke("report", SEED, "-o", str(target), "--startup-target", "soon").exit_code == 2
