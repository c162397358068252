"""A run's outputs as a directory: one Parquet and one CSV file per table, and ``run.json``.

Layout of ``DIR`` after ``pullsim run|compare ... -o DIR``::

    DIR/summary.parquet  DIR/summary.csv     one row per run: strategy and seed (docs/results.md)
    DIR/summary_by_strategy.parquet, .csv    one row per strategy: the means over its seeds
    DIR/pods.parquet     DIR/pods.csv        ... and pulls, layers, events, links, workloads
    DIR/run.json                             what ran: version, scenario (secrets redacted),
                                             strategies, seeds, overrides, wall time, status
    DIR/figures/*.png                        when figures were drawn (``pullsim plot``)

The tables are a pure function of scenario, strategies and seeds: the same inputs give
byte-identical Parquet and CSV files. What varies between two runs of the same inputs (wall
time, the host) goes to ``run.json`` only, which is why ``wall_s`` is not a column of the
written ``summary`` and ``summary_by_strategy`` tables. Every string column passes through the
scenario's redaction, so a password or a pull Secret's contents cannot reach a file (desmod's
lesson: the record is written even when the run failed, see :func:`write_run_record`).
"""

from __future__ import annotations

import json
import math
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["TABLES", "read_tables", "write_run_record", "write_tables"]

TABLES = (
    "summary",
    "summary_by_strategy",
    "pods",
    "pulls",
    "layers",
    "events",
    "links",
    "workloads",
)
VOLATILE_COLUMNS = {"summary": ("wall_s",), "summary_by_strategy": ("wall_s",)}


def _redacted(frame, redact) -> Any:
    if redact is None:
        return frame
    frame = frame.copy()
    for column in frame.columns:
        if str(frame[column].dtype) in ("string", "object"):
            frame[column] = (
                frame[column]
                .map(lambda value: redact(value) if isinstance(value, str) else value)
                .astype(frame[column].dtype)
            )
    return frame


def write_tables(result, directory: str | Path, *, redact=None) -> dict[str, dict[str, Any]]:
    """Write every table of ``result`` as ``<name>.parquet`` and ``<name>.csv``; returns
    ``{name: {"parquet": file, "csv": file, "rows": n}}`` (file names relative to directory)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[str, dict[str, Any]] = {}
    for name in TABLES:
        frame = getattr(result, name, None)
        if frame is None:
            continue
        frame = frame.drop(columns=[c for c in VOLATILE_COLUMNS.get(name, ()) if c in frame])
        frame = _redacted(frame, redact).reset_index(drop=True)
        frame.to_parquet(directory / f"{name}.parquet", index=False, engine="pyarrow")
        frame.to_csv(directory / f"{name}.csv", index=False, lineterminator="\n")
        written[name] = {"parquet": f"{name}.parquet", "csv": f"{name}.csv", "rows": len(frame)}
    return written


def read_tables(directory: str | Path) -> dict[str, Any]:
    """The tables of an output directory, read back from Parquet."""
    import pandas as pd

    directory = Path(directory)
    return {
        name: pd.read_parquet(directory / f"{name}.parquet")
        for name in TABLES
        if (directory / f"{name}.parquet").exists()
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return _jsonable(value.item())
    return value


def write_run_record(
    directory: str | Path,
    *,
    command: str,
    scenario_file: str | None,
    scenario: Mapping[str, Any] | None,
    strategies: Sequence[str],
    seeds: Sequence[int],
    overrides: Sequence[str] = (),
    wall_s: float,
    exit_status: int,
    status: str,
    error: str | None = None,
    tables: Mapping[str, Any] | None = None,
    figures: Sequence[str] = (),
    extra: Mapping[str, Any] | None = None,
    redact=None,
) -> Path:
    """Write ``run.json``: what ran, how long and how it ended (also for failed runs)."""
    from pullsim import __version__

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    record = {
        "pullsim_version": __version__,
        "python": platform.python_version(),
        "command": command,
        "scenario_file": scenario_file,
        "strategies": list(strategies),
        "seeds": list(seeds),
        "overrides": list(overrides),
        "wall_s": round(wall_s, 6),
        "exit_status": exit_status,
        "status": status,
        "error": error,
        "tables": dict(tables or {}),
        "figures": list(figures),
        **dict(extra or {}),
        "scenario": scenario,
    }
    text = json.dumps(_jsonable(record), indent=2, sort_keys=False, default=str)
    if redact is not None:
        text = redact(text)
    path = directory / "run.json"
    path.write_text(text + "\n")
    return path
