"""The ``pullsim`` command: thin commands over the library (docs/cli.md).

Exit codes: 0 the command did what was asked (a simulation that ran to its horizon is a
success even when some pods never started: that is a result, shown in the tables); 1 a
simulation raised while running (an internal error: ``run.json`` and the frames up to the crash
are still written) or, with ``--fail-if-not-ready``, some pod was not ready at the horizon;
2 bad input or usage (unreadable or invalid scenario, unknown strategy or pod, bad option);
130 interrupted. Bad input never prints a traceback; secrets never reach the terminal.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["app", "main"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

app = typer.Typer(
    name="pullsim",
    help="Simulate Kubernetes image pulls: serial, parallel or capped, on your scenario.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ScenarioArgument = Annotated[
    Path, typer.Argument(help="Scenario YAML file (docs/scenarios.md).", show_default=False)
]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a field before validation: key.path=value (value read as YAML). "
        "Repeatable; beats the file; strategies still apply on top.",
        show_default=False,
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one machine-readable JSON document on stdout.")
]
OutputOption = Annotated[
    Path | None,
    typer.Option("-o", "--output", help="Directory for tables (Parquet, CSV) and run.json."),
]
FailIfNotReadyOption = Annotated[
    bool,
    typer.Option("--fail-if-not-ready", help="Exit 1 when a pod is not ready at the horizon."),
]


class _BadInput(Exception):
    """Bad input or usage, already worded for a person; ``problems`` for --json."""

    def __init__(self, message: str, problems: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [{"message": message}]


# ------------------------------------------------------------------------------ helpers
def _stderr_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _stdout_console():
    from rich.console import Console

    return Console(highlight=False)


def _load(path: Path, overrides: list[str] | None):
    from pullsim.scenario.loader import ScenarioFileError, read_scenario

    try:
        return read_scenario(path, overrides or ())
    except ScenarioFileError as error:
        raise _BadInput(
            str(error),
            [
                {
                    "file": p.file,
                    "line": p.line,
                    "column": p.column,
                    "field": p.field,
                    "message": p.message,
                }
                for p in error.problems
            ],
        ) from None


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _seeds(text: str | None, default: int) -> list[int]:
    if not text:
        return [default]
    try:
        seeds = [int(part) for part in _split(text)]
    except ValueError:
        raise _BadInput(f"--seeds: expected integers separated by commas, got {text!r}") from None
    if any(seed < 0 for seed in seeds):
        raise _BadInput("--seeds: seeds must be >= 0")
    return seeds


def _fail(error: _BadInput, as_json: bool) -> None:
    if as_json:
        print(
            json.dumps(
                {"status": "invalid", "exit_status": EXIT_BAD_INPUT, "problems": error.problems}
            )
        )
    else:
        for line in str(error).splitlines():
            sys.stderr.write(f"error: {line}\n")
    raise typer.Exit(EXIT_BAD_INPUT)


def _execute(loaded, strategy_names: list[str] | None, seeds: list[int], quiet: bool):
    """Run with a progress bar on a terminal; returns (stacked result, wall seconds)."""
    from pullsim.runs import UnknownStrategy, resolve_strategies, run_scenario
    from pullsim.simulation import ScenarioError

    try:
        strategies = resolve_strategies(loaded.scenario, strategy_names)
    except UnknownStrategy as error:
        raise _BadInput(str(error)) from None
    started = time.perf_counter()
    total = len(strategies) * len(seeds)
    try:
        if not quiet and sys.stderr.isatty():
            from rich.progress import BarColumn, Progress, TimeElapsedColumn

            horizon = loaded.scenario.horizon_s
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                "[progress.percentage]{task.percentage:>3.0f}%",
                TimeElapsedColumn(),
                console=_stderr_console(),
                transient=True,
            ) as progress:
                # One bar over all runs, advanced by simulated time.
                task = progress.add_task("simulating", total=total * horizon)
                done = {"runs": 0, "now": 0.0}

                def on_time(strategy: str, seed: int, now: float, run_horizon: float) -> None:
                    completed = done["runs"] * horizon + now
                    progress.update(
                        task,
                        completed=completed,
                        description=f"{strategy} seed {seed}: {now:,.0f} s of {run_horizon:,.0f} s",
                    )

                def advance(_strategy: str, _seed: int, _result) -> None:
                    done["runs"] += 1

                result = run_scenario(
                    loaded.scenario, strategies, seeds, on_run=advance, on_time=on_time
                )
        else:
            result = run_scenario(loaded.scenario, strategies, seeds)
    except ScenarioError as error:
        raise _BadInput(loaded.redact(f"{loaded.path}: {error}")) from None
    return result, [s or "default" for s in strategies], time.perf_counter() - started


def _compare_runs(
    scenario: Path, set_: list[str] | None, strategies: str | None, seeds: str | None, as_json: bool
):
    """Load, then run the chosen strategies on the chosen seeds; bad input exits with code 2.

    Returns (loaded scenario, seeds, stacked result, strategy names, wall seconds)."""
    try:
        loaded = _load(scenario, set_)
        seed_list = _seeds(seeds, loaded.scenario.seed)
        result, names, wall = _execute(loaded, _split(strategies) or None, seed_list, as_json)
    except _BadInput as error:
        _fail(error, as_json)
    return loaded, seed_list, result, names, wall


def _summary_records(summary) -> list[dict[str, Any]]:
    from pullsim.outputs import _jsonable

    columns = [c for c in summary.columns if c not in ("wall_s",)]
    return [
        _jsonable(dict(zip(columns, row, strict=True)))
        for row in summary[columns].itertuples(index=False)
    ]


def _row(table, *cells: Any) -> None:
    """Add a row of plain text (no rich markup: error messages contain brackets)."""
    from rich.text import Text

    table.add_row(*(Text(str(cell)) for cell in cells))


def _count(value: Any) -> str:
    """A count, or a mean of counts over seeds (17.5 stays 17.5; 18.0 is 18)."""
    number = float(value)
    if math.isnan(number):
        return "—"
    return str(round(number)) if number == round(number) else f"{number:.1f}"


def _fmt(value: Any, unit: str = "s") -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "—"
    return f"{number:.1f} {unit}".strip()


def _summary_table(summary, by_strategy, title: str):
    """One row per run (``summary``); with several seeds, then one ``mean`` row per strategy
    (``summary_by_strategy``)."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("strategy", no_wrap=True)
    for heading, justify in (
        ("seed", "right"),
        ("ready", "right"),
        ("p50 s", "right"),
        ("p99 s", "right"),
        ("all ready s", "right"),
        ("failed pulls", "right"),
        ("back-offs", "right"),
        ("QPS", "right"),
        ("min share", "right"),
    ):
        table.add_column(heading, justify=justify)
    means = by_strategy[by_strategy["seeds"] > 1] if by_strategy is not None else summary[:0]
    for rows, label in ((summary, None), (means, "mean")):
        if label is not None and len(rows):
            table.add_section()
        for row in rows.itertuples(index=False):
            # A back-off is a sync that skipped the pull (ImagePullBackOff), not a failed pull.
            _row(
                table,
                str(row.strategy),
                label or str(row.seed),
                f"{_count(row.pods_ready)}/{_count(row.pods)}",
                _fmt(row.startup_p50_s, ""),
                _fmt(row.startup_p99_s, ""),
                _fmt(row.all_ready_s, ""),
                _count(row.failures_ErrImagePull),
                _count(row.failures_ImagePullBackOff),
                _count(row.pull_qps_exceeded),
                "—"
                if math.isnan(float(row.workload_min_share))
                else f"{row.workload_min_share:.2f}",
            )
    return table


def _finish_run(
    command: str,
    loaded,
    result,
    strategies: list[str],
    seeds: list[int],
    wall_s: float,
    output: Path | None,
    as_json: bool,
    fail_if_not_ready: bool,
    overrides: list[str] | None,
    figures: bool = False,
) -> int:
    from pullsim.outputs import write_run_record, write_tables
    from pullsim.scenario.loader import redacted_document

    runs = result.summary  # one row per run
    not_ready = int((runs["pods"] - runs["pods_ready"]).sum())  # summed over the runs
    if result.error:
        status, exit_status = "crashed", EXIT_FAILED
    elif fail_if_not_ready and not_ready:
        status, exit_status = "pods-not-ready", EXIT_FAILED
    else:
        status, exit_status = "ok", EXIT_OK
    error_text = loaded.redact(result.error) if result.error else None
    tables: dict[str, Any] = {}
    drawn: list[str] = []
    if output is not None:
        tables = write_tables(result, output, redact=loaded.redact)
        if figures:
            from pullsim.plots import save_figures

            drawn = [str(p.relative_to(output)) for p in save_figures(result, output / "figures")]
        write_run_record(
            output,
            command=command,
            scenario_file=str(loaded.path),
            scenario=redacted_document(loaded),
            strategies=strategies,
            seeds=seeds,
            overrides=overrides or (),
            wall_s=wall_s,
            exit_status=exit_status,
            status=status,
            error=error_text,
            tables=tables,
            figures=drawn,
            redact=loaded.redact,
        )
    if as_json:
        document = {
            "status": status,
            "exit_status": exit_status,
            "scenario": loaded.scenario.name,
            "scenario_file": str(loaded.path),
            "strategies": strategies,
            "seeds": seeds,
            "output": str(output) if output is not None else None,
            "figures": drawn,
            "wall_s": round(wall_s, 3),
            "error": error_text,
            "summary": _summary_records(runs),
            "summary_by_strategy": _summary_records(result.summary_by_strategy),
        }
        print(loaded.redact(json.dumps(document, default=str)))
    else:
        console = _stdout_console()
        console.print(
            _summary_table(
                runs,
                result.summary_by_strategy,
                f"{loaded.scenario.name}: pods from creation to ready",
            )
        )
        if not_ready:
            console.print(
                f"{not_ready} pod(s) not ready at the horizon: `pullsim explain` tells why."
            )
        if output is not None:
            console.print(f"tables and run.json: {output}/", markup=False)
            if drawn:
                console.print(f"figures: {output / 'figures'}/", markup=False)
        if error_text:
            last = error_text.strip().splitlines()[-1]
            _stderr_console().print(f"the simulation failed while running: {last}", markup=False)
    return exit_status


# ------------------------------------------------------------------------------ commands
@app.command()
def run(
    scenario: ScenarioArgument,
    strategy: Annotated[
        str | None,
        typer.Option(
            "--strategy", "-s", help="Strategy name (default: the scenario's own kubelet)."
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the scenario's).", min=0)] = None,
    output: OutputOption = None,
    set_: SetOption = None,
    as_json: JsonOption = False,
    fail_if_not_ready: FailIfNotReadyOption = False,
) -> None:
    """Run one strategy on one seed; print the summary, write tables with -o."""
    try:
        loaded = _load(scenario, set_)
        seeds = [loaded.scenario.seed if seed is None else seed]
        result, strategies, wall = _execute(
            loaded, [strategy] if strategy else ["default"], seeds, as_json
        )
    except _BadInput as error:
        _fail(error, as_json)
    code = _finish_run(
        "run", loaded, result, strategies, seeds, wall, output, as_json, fail_if_not_ready, set_
    )
    raise typer.Exit(code)


@app.command()
def compare(
    scenario: ScenarioArgument,
    strategies: Annotated[
        str | None,
        typer.Option(help="Comma-separated strategy names (default: all of the scenario's)."),
    ] = None,
    seeds: Annotated[
        str | None, typer.Option(help="Comma-separated seeds (default: the scenario's).")
    ] = None,
    output: OutputOption = None,
    set_: SetOption = None,
    as_json: JsonOption = False,
    fail_if_not_ready: FailIfNotReadyOption = False,
    figures: Annotated[
        bool, typer.Option("--figures/--no-figures", help="With -o, also draw DIR/figures/*.png.")
    ] = True,
) -> None:
    """Run several strategies on the same seeds (common random numbers) and compare them."""
    loaded, seed_list, result, names, wall = _compare_runs(
        scenario, set_, strategies, seeds, as_json
    )
    code = _finish_run(
        "compare",
        loaded,
        result,
        names,
        seed_list,
        wall,
        output,
        as_json,
        fail_if_not_ready,
        set_,
        figures=figures,
    )
    raise typer.Exit(code)


@app.command()
def validate(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario files.", show_default=False)],
    set_: SetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check scenario files without running them (every problem, with file and line)."""
    reports, worst = [], EXIT_OK
    for path in scenarios:
        try:
            loaded = _load(path, set_)
        except _BadInput as error:
            worst = EXIT_BAD_INPUT
            reports.append({"file": str(path), "valid": False, "problems": error.problems})
            if not as_json:
                for line in str(error).splitlines():
                    sys.stderr.write(f"error: {line}\n")
            continue
        scenario = loaded.scenario
        reports.append(
            {
                "file": str(path),
                "valid": True,
                "name": scenario.name,
                "strategies": list(scenario.strategies),
            }
        )
        if not as_json:
            names = ", ".join(scenario.strategies) or "default"
            _stdout_console().print(
                f"ok: {path} ({scenario.name}; strategies: {names})", markup=False
            )
    if as_json:
        print(json.dumps({"exit_status": worst, "scenarios": reports}))
    raise typer.Exit(worst)


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files."""
    from pullsim.scenario import Scenario

    print(json.dumps(Scenario.model_json_schema(), indent=2))


@app.command()
def explain(
    scenario: ScenarioArgument,
    pod: Annotated[str, typer.Argument(help="Pod name, or namespace/name.", show_default=False)],
    strategy: Annotated[
        str | None,
        typer.Option("--strategy", "-s", help="Strategy (default: the scenario's own kubelet)."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the scenario's).", min=0)] = None,
    set_: SetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Why this pod's images were or were not pulled: policy, credentials, queueing, back-off."""
    from pullsim.explain import PodNotFound, explain_pod

    try:
        loaded = _load(scenario, set_)
        seeds = [loaded.scenario.seed if seed is None else seed]
        result, _, _ = _execute(loaded, [strategy] if strategy else ["default"], seeds, True)
        try:
            explanation = explain_pod(loaded.scenario, result, pod)
        except PodNotFound as error:
            raise _BadInput(str(error)) from None
    except _BadInput as error:
        _fail(error, as_json)
    if as_json:
        print(loaded.redact(json.dumps(explanation, default=str)))
        raise typer.Exit(EXIT_OK)
    _print_explanation(explanation, loaded.redact)
    raise typer.Exit(EXIT_OK)


@app.command()
def plot(
    scenario: ScenarioArgument,
    output: Annotated[Path, typer.Option("-o", "--output", help="Directory for the figures.")],
    strategies: Annotated[str | None, typer.Option(help="Comma-separated strategy names.")] = None,
    seeds: Annotated[str | None, typer.Option(help="Comma-separated seeds.")] = None,
    set_: SetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Draw the standard figures of a comparison (pullsim.plots) into a directory."""
    from pullsim.plots import save_figures

    _, _, result, names, _ = _compare_runs(scenario, set_, strategies, seeds, as_json)
    paths = [str(path) for path in save_figures(result, output)]
    if as_json:
        print(
            json.dumps(
                {"status": "ok", "exit_status": EXIT_OK, "strategies": names, "figures": paths}
            )
        )
    else:
        for path in paths:
            _stdout_console().print(path, markup=False)
    raise typer.Exit(EXIT_FAILED if result.error else EXIT_OK)


@app.command()
def report(
    scenario: ScenarioArgument,
    output: Annotated[Path, typer.Option("-o", "--output", help="The HTML file to write.")],
    strategies: Annotated[str | None, typer.Option(help="Comma-separated strategy names.")] = None,
    seeds: Annotated[str | None, typer.Option(help="Comma-separated seeds.")] = None,
    startup_target: Annotated[
        str, typer.Option(help="p99 pod startup to meet (a duration: 60s, 2m).")
    ] = "60s",
    slowdown_budget: Annotated[
        float,
        typer.Option(help="Largest fraction (0-1) of its demand a running workload may lose."),
    ] = 0.1,
    set_: SetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the capacity-planning report: one self-contained HTML file with a recommendation."""
    from pullsim.report import write_report
    from pullsim.units import UnitError, parse_duration

    try:
        try:
            target = parse_duration(startup_target)
        except UnitError as error:
            raise _BadInput(f"--startup-target: {error}") from None
        if not 0 <= slowdown_budget <= 1:
            raise _BadInput("--slowdown-budget: expected a fraction between 0 and 1")
    except _BadInput as error:
        _fail(error, as_json)
    loaded, _, result, names, _ = _compare_runs(scenario, set_, strategies, seeds, as_json)
    path = write_report(
        result,
        output,
        startup_target_s=target,
        slowdown_budget=slowdown_budget,
        scenario_text=loaded.redact(loaded.path.read_text()),
        scenario=loaded.scenario,
    )
    if as_json:
        print(
            json.dumps(
                {"status": "ok", "exit_status": EXIT_OK, "strategies": names, "report": str(path)}
            )
        )
    else:
        _stdout_console().print(f"report: {path}", markup=False)
    raise typer.Exit(EXIT_FAILED if result.error else EXIT_OK)


def _print_explanation(explanation: dict[str, Any], redact) -> None:
    from rich.table import Table

    console = _stdout_console()

    def say(text: str) -> None:
        console.print(redact(text), markup=False)

    say(
        f"pod {explanation['namespace']}/{explanation['pod']} ({explanation['workload']}) on "
        f"{explanation['node'] or 'no node'}, strategy {explanation['strategy']}, "
        f"seed {explanation['seed']}"
    )
    say(f"verdict: {explanation['verdict']}")
    account = explanation.get("service_account") or {}
    if "error" in account:
        say(f"service account: {account['error']}")
    elif account:
        if account["pull_secrets"]:
            origin = f"from the {account['pull_secrets_from']}"
            say(
                f"service account: {account['name']}; pull secrets: "
                f"{', '.join(account['pull_secrets'])} ({origin})"
            )
        else:
            say(
                f"service account: {account['name']}; pull secrets: none (neither the pod nor "
                "its ServiceAccount lists any)"
            )
    if explanation.get("missing_secrets"):
        say(
            "missing pull secrets (FailedToRetrieveImagePullSecret): "
            + ", ".join(explanation["missing_secrets"])
        )
    containers = Table(title="containers, in pull order", title_justify="left")
    for heading in (
        "container",
        "image",
        "pull policy",
        "where the policy came from",
        "credentials (username)",
    ):
        containers.add_column(heading)
    for item in explanation.get("containers", []):
        users = (
            ", ".join(f"{c['username']} ({c['registry_key']})" for c in item["credentials"])
            or "none: anonymous"
        )
        _row(
            containers,
            item["container"],
            item["image"],
            item["pull_policy"],
            item["pull_policy_source"],
            redact(users),
        )
    console.print(containers)
    pulls = Table(title="pull attempts (back-off rows left out)", title_justify="left")
    for heading in ("container", "attempt", "asked at", "queued", "pulling", "outcome", "user"):
        pulls.add_column(heading)
    errors: list[str] = []
    for item in explanation.get("pulls", []):
        if item["outcome"] == "back-off":
            continue
        if item["error"] and item["error"] not in errors:
            errors.append(item["error"])
        _row(
            pulls,
            item["container"],
            item["attempt"],
            _fmt(item["requested_s"]),
            _fmt(item["waiting_s"]),
            _fmt(item["pulling_s"]),
            item["outcome"],
            item["credential"] or "",
        )
    console.print(pulls)
    for error in errors:
        say(f"error: {error}")
    say(
        f"back-offs: {explanation['back_offs']}; "
        f"time queued behind other pulls: {_fmt(explanation['waiting_s'])}"
    )
    groups: dict[tuple[str, str, str], list[float]] = {}
    for item in explanation.get("events", []):
        groups.setdefault((item["type"], item["reason"], item["message"]), []).append(
            item["time_s"] or 0.0
        )
    if groups:
        events = Table(title="events (as kubectl describe groups them)", title_justify="left")
        for heading in ("first", "last", "count", "type", "reason", "message"):
            events.add_column(heading)
        for (kind, reason, message), times in groups.items():
            _row(events, _fmt(times[0]), _fmt(times[-1]), len(times), kind, reason, redact(message))
        console.print(events)


def main() -> None:
    """Entry point of the ``pullsim`` script."""
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(EXIT_INTERRUPTED)


if __name__ == "__main__":
    main()
