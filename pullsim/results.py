"""Records of a run → tidy pandas DataFrames with stable columns and dtypes; summaries.

Every frame starts with ``scenario``, ``strategy``, ``seed``; columns carry their unit in the
name (``_s`` seconds, ``_bytes`` bytes, ``_bytes_per_s``). docs/results.md lists every column.
Only this module (and plots) imports pandas; the simulation core hands over plain rows.
"""

from __future__ import annotations

import math
import operator
from collections import defaultdict
from itertools import chain, repeat
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowStringArray

from pullsim.model.workloads import share_intervals, summarise_intervals

__all__ = ["by_strategy", "collect", "stack", "FAILURE_REASONS", "SUMMARY_COLUMNS"]

IDS = ["scenario", "strategy", "seed"]
FAILURE_REASONS = (
    "ErrImagePull",
    "ImagePullBackOff",
    "ErrImageNeverPull",
    "InvalidImageName",
)

POD_COLUMNS = {
    "pod": "string",
    "namespace": "string",
    "workload_kind": "string",
    "workload": "string",
    "revision": "int64",
    "node": "string",
    "created_s": "float64",
    "scheduled_s": "float64",
    "sandbox_ready_s": "float64",
    "ready_s": "float64",
    "deleted_s": "float64",
    "startup_s": "float64",
    "scheduling_s": "float64",
    "waiting_s": "float64",
    "pulling_s": "float64",
    "init_running_s": "float64",
    "pull_failures": "int64",
    "syncs": "int64",
    "final_reason": "string",
}
PULL_COLUMNS = {
    "node": "string",
    "pod": "string",
    "namespace": "string",
    "container": "string",
    "container_kind": "string",
    "image": "string",
    "pull_policy": "string",
    "attempt": "int64",
    "requested_s": "float64",
    "started_s": "float64",
    "finished_s": "float64",
    "waiting_s": "float64",
    "pulling_s": "float64",
    "bytes_downloaded": "float64",
    "image_size_bytes": "float64",
    "credential": "string",
    "outcome": "string",
    "reason": "string",
    "error": "string",
}
LAYER_COLUMNS = {
    "node": "string",
    "image": "string",
    "layer_digest": "string",
    "layer_index": "int64",
    "bytes": "float64",
    "uncompressed_bytes": "float64",
    "codec": "string",
    "download_started_s": "float64",
    "download_finished_s": "float64",
    "unpack_started_s": "float64",
    "unpack_finished_s": "float64",
    "connection": "int64",
    "attempts": "int64",
    "outcome": "string",
}
EVENT_COLUMNS = {
    "time_s": "float64",
    "node": "string",
    "object": "string",
    "container": "string",
    "type": "string",
    "reason": "string",
    "message": "string",
}
LINK_COLUMNS = {
    "start_s": "float64",
    "end_s": "float64",
    "link": "string",
    "link_kind": "string",
    "label": "string",
    "bytes": "float64",
    "rate_bytes_per_s": "float64",
    "utilisation": "float64",
}
WORKLOAD_COLUMNS = {
    "workload": "string",
    "node": "string",
    "start_s": "float64",
    "end_s": "float64",
    "demand_bytes_per_s": "float64",
    "delivered_bytes_per_s": "float64",
    "share": "float64",
    "below_90_percent": "bool",
    "response_time_inflation": "float64",
}
SUMMARY_COLUMNS = {
    "pods": "int64",
    "pods_ready": "int64",
    "startup_p50_s": "float64",
    "startup_p95_s": "float64",
    "startup_p99_s": "float64",
    "startup_max_s": "float64",
    "all_ready_s": "float64",
    "pulls": "int64",
    "pull_qps_exceeded": "int64",
    **{f"failures_{reason}": "int64" for reason in FAILURE_REASONS},
    "registry_egress_bytes": "float64",
    "registry_egress_peak_bytes_per_s": "float64",
    "workload_mean_share": "float64",
    "workload_min_share": "float64",
    "workload_deficit_bytes": "float64",
    "workload_below_90_percent_s": "float64",
    "workload_mean_response_time_inflation": "float64",
    "workload_peak_response_time_inflation": "float64",
    "wall_s": "float64",
    "error": "string",
}


def _frame(
    rows: list[dict[str, Any]] | dict[str, Any],
    columns: dict[str, str],
    ids,
    extra: dict[str, list] | None = None,
) -> Any:
    """The frame of ``rows`` (dicts, a missing key is None) or of a dict of columns (lists or
    numpy arrays; a numpy array of the column's dtype that is not a view is taken over, not
    copied: pass distinct arrays the caller drops), ``extra`` columns replacing the rows'
    values, with exactly ``columns`` and their dtypes after the ``ids`` columns.

    Column by column, each finished and its input list dropped before the next (no second copy
    of every row), straight to numpy or pyarrow for the plain values a run produces (str, float,
    int, bool, None); anything else goes through the generic pandas conversion
    (:func:`_frame_generic`), which defines the result."""
    extra = extra or {}
    converted = {}
    if isinstance(rows, list):
        if not set(map(type, rows)) <= {dict}:
            return _frame_generic(_merged(rows, extra), columns, ids)
        length = len(rows)
        converted = _row_columns(rows, {c: d for c, d in columns.items() if c not in extra})
    else:
        values = [rows[c] for c in columns if c in rows]
        if not rows or len(values) < len(columns) or extra:
            return _frame_generic(rows, columns, ids)
        if not all(isinstance(v, (list, np.ndarray, pa.Array)) for v in values):
            return _frame_generic(rows, columns, ids)
        length = len(values[0])
        if any(len(v) != length or getattr(v, "ndim", 1) != 1 for v in values):
            return _frame_generic(rows, columns, ids)
    if any(len(values) != length for values in extra.values()):
        raise ValueError("extra columns must have one value per row")
    scenario, strategy, seed = ids
    data = {
        "scenario": _repeated(scenario, length),
        "strategy": _repeated(strategy, length),
        "seed": np.full(length, seed, dtype="int64"),
    }
    for column, dtype in columns.items():
        if column in converted:
            data[column] = converted.pop(column)
            continue
        if column in extra:
            values = extra[column]
        elif isinstance(rows, list):
            values = list(map(dict.get, rows, repeat(column)))
        else:
            values = rows[column]
        data[column] = _column(values, dtype)
        del values
    return pd.DataFrame(data, copy=False)


def _merged(rows: list, extra: dict[str, list]) -> list:
    if not extra:
        return rows
    return [{**row, **{c: v[i] for c, v in extra.items()}} for i, row in enumerate(rows)]


_NONE = type(None)
_FLOATS = frozenset({float, int, _NONE})
_PLAIN = frozenset({str, float, int, _NONE})


def _row_columns(rows: list[dict], columns: dict[str, str]) -> dict[str, Any]:
    """The string, float64 and int64 ``columns`` of ``rows``, finished (:func:`_row_arrays`,
    :func:`_finished`); a column missing from the answer is left to the caller."""
    arrays = _row_arrays(rows, columns)
    converted = {}
    for column in list(arrays):
        finished = _finished(arrays.pop(column), columns[column])
        if finished is not None:
            converted[column] = finished
    return converted


def _row_arrays(rows: list[dict], columns: dict[str, str]) -> dict[str, pa.Array]:
    """The string and float64 ``columns`` of ``rows``, int64 ones as float64 (nulls kept), from
    pyarrow conversions that read each row once (reading them column by column walks every row
    again for each column, and rows scattered over the heap make that walk the cost); ``{}``
    when a row is not a dict (exactly), a value of a row is not a str, float, int or None, or
    pyarrow refuses one (the caller then goes column by column).

    pyarrow takes str and None for a string column; float, int (made exactly a float, else
    refused: an int beyond 2**53) and None for a float64 one. Rows go in slices of ``_SLICE``:
    the type check then leaves a slice's rows in the CPU cache for the conversion."""
    wanted = {c: d for c, d in columns.items() if d in ("string", "float64", "int64")}
    if not rows or not wanted:
        return {}
    fields = [(c, pa.large_string() if d == "string" else pa.float64()) for c, d in wanted.items()]
    struct = pa.struct(fields)
    pieces: list[list] = [[] for _ in fields]
    for start in range(0, len(rows), _SLICE):
        part = rows[start : start + _SLICE]
        if not set(map(type, part)) <= {dict}:  # a Mapping, a subclass: read as the caller would
            return {}
        if not set(map(type, chain.from_iterable(map(dict.values, part)))) <= _PLAIN:
            return {}
        try:
            children = pa.array(part, type=struct).flatten()
        except (pa.ArrowException, OverflowError, TypeError, ValueError):
            return {}
        for piece, child in zip(pieces, children, strict=True):
            piece.append(child)
    arrays = {}
    for column, piece in zip(wanted, pieces, strict=True):
        arrays[column] = pa.concat_arrays(piece) if len(piece) > 1 else piece[0]
        piece.clear()
    return arrays


def _finished(values: pa.Array, dtype: str) -> Any:
    """A column of :func:`_row_arrays` as the frame holds it: strings with "" for None, floats
    with NaN, int64 (read as float64) finished like pandas does: missing -1, then truncated
    (exact: every int pyarrow took is exactly a float); None when pandas would refuse (inf) or
    numpy's cast is not pandas' to copy (beyond int64): the caller's generic path decides."""
    if dtype == "string":
        if values.null_count:
            values = pc.fill_null(values, "")
        return ArrowStringArray(values)
    floats = values.to_numpy(zero_copy_only=False)
    del values
    if dtype == "float64":
        return floats if floats.flags.writeable else floats.copy()
    floats = np.where(np.isnan(floats), -1.0, floats)
    if (np.abs(floats) < 2.0**63).all():
        return floats.astype(np.int64)
    return None


_SLICE = 2000


def _column(values: list | np.ndarray | pa.Array, dtype: str) -> Any:
    """One finished column: the array :func:`_generic_column` makes, made faster when the
    values are plain (this checks the types of all of them, then converts in one call)."""
    if isinstance(values, ArrowStringArray) and dtype == "string":
        return values
    if isinstance(values, pa.Array):
        if dtype == "string" and values.type == pa.large_string() and not values.null_count:
            return ArrowStringArray(values)
        values = values.to_pylist()
    if isinstance(values, np.ndarray):
        if dtype != "string" and values.dtype == np.dtype(dtype):
            # the caller's own array (not a view of another): taken over, as documented
            return values if values.base is None else values.copy()
        return _generic_column(values, dtype)
    if dtype == "string":
        strings = _strings(values)
        if strings is None:
            return _generic_column(values, dtype)
        if strings.null_count:
            strings = pc.fill_null(strings, "")
        return ArrowStringArray(strings)
    types = set(map(type, values))
    try:
        if dtype == "float64" and types <= _FLOATS:
            # pyarrow refuses an int it cannot make an exact float of: the generic path decides.
            floats = pa.array(values, type=pa.float64()).to_numpy(zero_copy_only=False)
            return floats if floats.flags.writeable else floats.copy()
        if dtype == "int64" and types <= {int}:
            return np.array(values, dtype=np.int64)
        if dtype == "bool" and types <= {bool}:
            return np.array(values, dtype=bool)
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        pass
    return _generic_column(values, dtype)


def _strings(values: list) -> pa.Array | None:
    """``values`` as a large_string array (None: null) when every one is a str or None, else
    None. pyarrow's own inference checks that: it makes a string array of str (subclasses
    included, by content, as pandas does) and None only (bytes: binary; anything else: another
    type or an error)."""
    try:
        strings = pa.array(values)
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        return None
    if not isinstance(strings, pa.Array) or strings.type not in _STRING_TYPES:
        return None
    return strings if strings.type == pa.large_string() else strings.cast(pa.large_string())


_STRING_TYPES = (pa.string(), pa.large_string(), pa.null())


def _generic_column(values: list | np.ndarray, dtype: str) -> Any:
    frame = pd.DataFrame({"column": values})
    frame = _converted(frame, {"column": dtype})
    return frame["column"].array if dtype == "string" else frame["column"].to_numpy(copy=True)


def _repeated(text: str, length: int) -> Any:
    if type(text) is str:
        return ArrowStringArray(pa.repeat(pa.scalar(text, type=pa.large_string()), length))
    return pd.array([text] * length, dtype="string")


def _converted(frame: Any, columns: dict[str, str]) -> Any:
    for column, dtype in columns.items():
        if dtype == "string":
            frame[column] = frame[column].fillna("").astype(str).astype("string")
        elif dtype == "int64":
            frame[column] = pd.to_numeric(frame[column]).fillna(-1).astype("int64")
        elif dtype == "bool":
            frame[column] = frame[column].fillna(False).astype(bool)
        else:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame


def _frame_generic(
    rows: list[dict[str, Any]] | dict[str, list], columns: dict[str, str], ids
) -> Any:
    """The reference conversion, through pandas' own inference: what :func:`_frame` makes."""
    if isinstance(rows, list):
        if rows:
            rows = {column: [row.get(column) for row in rows] for column in columns}
        else:
            rows = {column: [] for column in columns}
    frame = pd.DataFrame({column: rows.get(column) for column in columns} if rows else {})
    for column in columns:
        if column not in frame.columns:
            frame[column] = None
    frame = _converted(frame[list(columns)], columns)
    scenario, strategy, seed = ids
    frame.insert(0, "seed", np.full(len(frame), seed, dtype="int64"))
    frame.insert(0, "strategy", pd.array([strategy] * len(frame), dtype="string"))
    frame.insert(0, "scenario", pd.array([scenario] * len(frame), dtype="string"))
    return frame.reset_index(drop=True)


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def collect(run, scenario: str, strategy: str, seed: int):
    """The frames of one elaborated (and run, or crashed) simulation."""
    from pullsim.simulation import SimulationResult

    ids = (scenario, strategy, seed)
    cluster = run.cluster
    now = run.env.now
    kubelet_pulls = cluster.kubelet_pulls
    pod_list = cluster.pods
    pod_names = [pod.name for pod in pod_list]
    pod_namespaces = [pod.namespace for pod in pod_list]
    pulls, pod_pulls = _pulls(kubelet_pulls, pod_namespaces, pod_names)
    ready = [_nan(pod.ready_s) for pod in pod_list]
    scheduled = [_nan(pod.scheduled_s) for pod in pod_list]
    created = [pod.created_s for pod in pod_list]
    pods = {
        "pod": pod_names,
        "namespace": pod_namespaces,
        "workload_kind": [pod.workload_kind for pod in pod_list],
        "workload": [pod.workload for pod in pod_list],
        "revision": [pod.revision for pod in pod_list],
        "node": [pod.node or "" for pod in pod_list],
        "created_s": created,
        "scheduled_s": scheduled,
        "sandbox_ready_s": [_nan(pod.sandbox_ready_s) for pod in pod_list],
        "ready_s": ready,
        "deleted_s": [_nan(pod.deleted_s) for pod in pod_list],
        "startup_s": [r - c for r, c in zip(ready, created, strict=True)],
        "scheduling_s": [s - c for s, c in zip(scheduled, created, strict=True)],
        "waiting_s": pod_pulls[0],
        "pulling_s": pod_pulls[1],
        "init_running_s": [
            sum(
                (state.finished_s - state.started_s)
                for state in pod.containers.values()
                if state.finished_s is not None and state.started_s is not None
            )
            for pod in pod_list
        ],
        "pull_failures": pod_pulls[2],
        "syncs": [pod.syncs for pod in pod_list],
        "final_reason": [pod.final_reason for pod in pod_list],
    }
    del pod_names, pod_namespaces, pod_pulls, ready, scheduled, created
    network = run.network
    usage = network.recorder.link_usage_indexed()
    duration = np.asarray(usage["end_s"], dtype=float) - np.asarray(usage["start_s"], dtype=float)
    moved = np.asarray(usage["bytes"], dtype=float)
    rates = np.divide(moved, duration, out=np.zeros_like(moved), where=duration > 0)
    link_names, link_kinds, capacities = _per_link(usage["link_index"], network.links)
    links = {
        "start_s": usage["start_s"],
        "end_s": usage["end_s"],
        "link": link_names,
        "link_kind": link_kinds,
        "label": _taken(usage["labels"], usage["label_index"]),
        "bytes": moved,
        "rate_bytes_per_s": rates,
        "utilisation": rates / np.maximum(capacities, 1e-300) if len(moved) else np.zeros(0),
    }
    del usage, link_names, link_kinds, capacities
    workload_rows, workload_stats = _workloads(run, now)
    result = SimulationResult(scenario=scenario, strategy=strategy, seed=seed)
    result.pods = _frame(pods, POD_COLUMNS, ids)
    del pods
    result.pulls = _frame(kubelet_pulls, PULL_COLUMNS, ids, extra=pulls)
    del pulls
    result.layers = _frame(run.records.layers, LAYER_COLUMNS, ids)
    result.events = _frame(run.records.events, EVENT_COLUMNS, ids)
    result.links = _frame(links, LINK_COLUMNS, ids)
    del links
    result.workloads = _frame(workload_rows, WORKLOAD_COLUMNS, ids)
    result.extra["workload_stats"] = workload_stats
    result.summary = _summary(result, workload_stats, ids)
    return result


_PULL_INPUTS = ("requested_s", "started_s", "finished_s", "namespace", "pod", "outcome")


def _pulls(rows: list[dict], pod_namespaces: list, pod_names: list) -> tuple[dict, tuple]:
    """The pulls' columns for :func:`_frame` (``extra``: at least ``waiting_s`` and
    ``pulling_s``), and each pod's summed ``waiting_s``, ``pulling_s`` and failed pulls over the
    pulls of its (namespace, name), in pull order (0 without pulls).

    :func:`_pulls_by_row` defines them; when every pull row has plain values and the keys it
    reads (and no pull's requested or finished time is missing once started), the same
    arithmetic runs on the converted columns instead: float64 subtraction of the exactly
    converted values, the same sums in the same order (``np.bincount`` adds each pod's weights
    in row order, from 0.0)."""
    columns = {c: d for c, d in PULL_COLUMNS.items() if c not in ("waiting_s", "pulling_s")}
    arrays = _row_arrays(rows, columns)
    if not (
        set(_PULL_INPUTS) <= arrays.keys()
        and set(map(type, pod_namespaces)) <= {str}
        and set(map(type, pod_names)) <= {str}
        and all(map(operator.ge, map(dict.keys, rows), repeat(_PULL_INPUTS_SET)))
        and not arrays["namespace"].null_count
        and not arrays["pod"].null_count
    ):
        return _pulls_by_row(rows, pod_namespaces, pod_names)
    missing = arrays["started_s"].is_null().to_numpy(zero_copy_only=False)
    started = arrays["started_s"].to_numpy(zero_copy_only=False)
    requested = arrays["requested_s"].to_numpy(zero_copy_only=False)
    finished = arrays["finished_s"].to_numpy(zero_copy_only=False)
    if (arrays["requested_s"].is_null().to_numpy(zero_copy_only=False) & ~missing).any() or (
        arrays["finished_s"].is_null().to_numpy(zero_copy_only=False) & ~missing
    ).any():
        return _pulls_by_row(rows, pod_namespaces, pod_names)  # it raises, as it should
    with np.errstate(invalid="ignore"):
        waiting = np.where(missing, 0.0, started - requested)
        pulling = np.where(missing, 0.0, finished - started)
    failed = pc.fill_null(pc.equal(arrays["outcome"], "failed"), False)
    groups = _keys(arrays["namespace"], arrays["pod"]).dictionary_encode()
    group = groups.indices.to_numpy().astype(np.intp)
    count = len(groups.dictionary)
    waiting_sums = np.bincount(group, weights=waiting, minlength=count)
    pulling_sums = np.bincount(group, weights=pulling, minlength=count)
    failures = np.bincount(group[failed.to_numpy(zero_copy_only=False)], minlength=count)
    where = _keys(
        pa.array(pod_namespaces, type=pa.large_string()),
        pa.array(pod_names, type=pa.large_string()),
    )
    where = pc.fill_null(pc.index_in(where, value_set=groups.dictionary), -1).to_numpy()
    found = where >= 0
    where = np.where(found, where, 0)
    per_pod = (  # rows is not empty here (_row_arrays answers {} for no rows): count >= 1
        np.where(found, waiting_sums[where], 0.0),
        np.where(found, pulling_sums[where], 0.0),
        np.where(found, failures[where], 0).astype(np.int64),
    )
    columns = {c: arrays.pop(c) for c in list(arrays)}
    for column in list(columns):
        finished_column = _finished(columns[column], PULL_COLUMNS[column])
        if finished_column is None:
            del columns[column]
        else:
            columns[column] = finished_column
    columns["waiting_s"] = waiting
    columns["pulling_s"] = pulling
    return columns, per_pod


_PULL_INPUTS_SET = frozenset(_PULL_INPUTS)


def _keys(namespaces: pa.Array, names: pa.Array) -> pa.Array:
    """One string per (namespace, name), equal only for equal pairs: "<len(namespace)>:
    namespace:name"."""
    lengths = pc.cast(pc.utf8_length(namespaces), pa.large_string())
    return pc.binary_join_element_wise(
        lengths, namespaces, names, pa.scalar(":", type=pa.large_string())
    )


def _pulls_by_row(rows: list[dict], pod_namespaces: list, pod_names: list) -> tuple[dict, tuple]:
    waiting_column, pulling_column = [], []
    # (namespace, pod) -> [waiting, pulling, failures], summed in pull order
    per_pod: dict[tuple[str, str], list] = {}
    for row in rows:
        started = row["started_s"]
        if started is not None:
            waiting = started - row["requested_s"]
            pulling = row["finished_s"] - started
        else:
            waiting = pulling = 0.0
        waiting_column.append(waiting)
        pulling_column.append(pulling)
        key = (row["namespace"], row["pod"])
        totals = per_pod.get(key)
        if totals is None:
            totals = per_pod[key] = [0.0, 0.0, 0]
        totals[0] += waiting
        totals[1] += pulling
        totals[2] += row["outcome"] == "failed"
    no_pulls = [0, 0, 0]
    pod_totals = [
        per_pod.get((namespace, name), no_pulls)
        for namespace, name in zip(pod_namespaces, pod_names, strict=True)
    ]
    totals_columns = tuple([totals[i] for totals in pod_totals] for i in range(3))
    return {"waiting_s": waiting_column, "pulling_s": pulling_column}, totals_columns


def _per_link(indexes: np.ndarray, links: list) -> tuple[Any, Any, Any]:
    """The ``link`` column, each row's link kind and capacity, from each row's index into
    ``links``: names and kinds are looked up once per link, then taken row by row."""
    names = _taken([link.name for link in links], indexes)
    kinds = _taken([link.kind for link in links], indexes)
    capacities = np.asarray([link.capacity for link in links], dtype=float)[indexes]
    return names, kinds, capacities


def _taken(values: list, indexes: np.ndarray) -> Any:
    """``[values[i] for i in indexes]``: a large_string array when ``values`` are str."""
    if set(map(type, values)) <= {str}:
        return pa.array(values, type=pa.large_string()).take(pa.array(indexes, type=pa.int64()))
    return [values[index] for index in indexes.tolist()]


def _workloads(run, now: float) -> tuple[list[dict], list[dict]]:
    streams = run.network.recorder.streams()
    changes: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for time_s, stream_id, rate in zip(
        streams["time_s"], streams["stream_id"], streams["rate_bytes_per_s"], strict=True
    ):
        changes[stream_id].append((time_s, rate))
    rows, stats = [], []
    for running in run.cluster.running_workloads:
        if running.stream is None:
            continue
        end = running.stopped_s if running.stopped_s is not None else now
        intervals = share_intervals(
            changes.get(running.stream.id, []), running.demand, running.started_s, end
        )
        utilisation = running.spec.utilisation
        for start, stop, rate in intervals:
            share = min(1.0, rate / running.demand)
            inflation = math.nan
            if utilisation is not None:
                inflation = (
                    (1 - utilisation) / (share - utilisation) if share > utilisation else math.inf
                )
            rows.append(
                {
                    "workload": running.spec.name,
                    "node": running.node,
                    "start_s": start,
                    "end_s": stop,
                    "demand_bytes_per_s": running.demand,
                    "delivered_bytes_per_s": rate,
                    "share": share,
                    "below_90_percent": share < 0.9 - 1e-12,
                    "response_time_inflation": inflation,
                }
            )
        stat = summarise_intervals(intervals, running.demand, utilisation)
        stats.append({"workload": running.spec.name, "node": running.node, **stat})
    return rows, stats


def _percentile(values: np.ndarray, q: float) -> float:
    return float(np.percentile(values, q)) if values.shape[0] else math.nan


def _summary(result, workload_stats: list[dict], ids) -> Any:
    pods = result.pods
    live = pods[pods["deleted_s"].isna() | pods["ready_s"].notna()]
    ready = live["startup_s"].dropna().to_numpy()
    all_ready = (
        float(live["ready_s"].max() - live["created_s"].min())
        if len(live) and live["ready_s"].notna().all()
        else math.nan
    )
    pulls = result.pulls
    links = result.links
    egress = links[links["link_kind"] == "registry-egress"]
    if len(egress):
        per_bucket = egress.groupby(["start_s", "end_s"], sort=True)["bytes"].sum()
        spans = np.array([end - start for start, end in per_bucket.index])
        peak = float((per_bucket.to_numpy() / np.maximum(spans, 1e-300)).max())
        total = float(egress["bytes"].sum())
    else:
        peak = total = 0.0
    demanded = sum(s["demanded_bytes"] for s in workload_stats)
    delivered = sum(s["delivered_bytes"] for s in workload_stats)
    inflations = [
        s["mean_response_time_inflation"]
        for s in workload_stats
        if not math.isnan(s["mean_response_time_inflation"])
    ]
    peaks = [
        s["peak_response_time_inflation"]
        for s in workload_stats
        if not math.isnan(s["peak_response_time_inflation"])
    ]
    row = {
        "pods": len(live),
        "pods_ready": int(live["ready_s"].notna().sum()),
        "startup_p50_s": _percentile(ready, 50),
        "startup_p95_s": _percentile(ready, 95),
        "startup_p99_s": _percentile(ready, 99),
        "startup_max_s": float(ready.max()) if ready.shape[0] else math.nan,
        "all_ready_s": all_ready,
        "pulls": int((pulls["started_s"].notna()).sum()),
        "pull_qps_exceeded": int(pulls["error"].str.endswith(": pull QPS exceeded").sum()),
        **{
            f"failures_{reason}": int((pulls["reason"] == reason).sum())
            for reason in FAILURE_REASONS
        },
        "registry_egress_bytes": total,
        "registry_egress_peak_bytes_per_s": peak,
        "workload_mean_share": delivered / demanded if demanded > 0 else math.nan,
        "workload_min_share": min((s["min_share"] for s in workload_stats), default=math.nan),
        "workload_deficit_bytes": max(0.0, demanded - delivered),
        "workload_below_90_percent_s": sum(s["below_90_percent_s"] for s in workload_stats),
        "workload_mean_response_time_inflation": max(inflations, default=math.nan),
        "workload_peak_response_time_inflation": max(peaks, default=math.nan),
        "wall_s": result.wall_s,
        "error": result.error or "",
    }
    return _frame([row], SUMMARY_COLUMNS, ids)


def by_strategy(summary: Any, scenario: str) -> Any:
    """One row per strategy over its runs (``summary``: one row per run): ``seed`` is -1 (no
    single seed), ``seeds`` counts the runs, every numeric column is the mean over them (so
    counts become float64), ``error`` joins the runs' errors."""
    numeric = [c for c, t in SUMMARY_COLUMNS.items() if t in ("float64", "int64")]
    groups = summary.groupby("strategy", sort=False)
    means = groups[numeric].mean().astype("float64").reset_index()
    means.insert(0, "scenario", pd.array([scenario] * len(means), dtype="string"))
    means["strategy"] = means["strategy"].astype("string")
    means.insert(2, "seed", np.full(len(means), -1, dtype="int64"))
    means.insert(3, "seeds", groups.size().to_numpy().astype("int64"))
    errors = groups["error"].agg(lambda texts: "; ".join(t for t in texts if t))
    means["error"] = pd.array(errors.to_numpy(), dtype="string")
    return means.reset_index(drop=True)


def stack(runs: list, scenario: str):
    """Stack the frames of several runs. ``summary``: one row per run (``seed >= 0``, never an
    aggregate); ``summary_by_strategy``: one row per strategy with the means over its runs
    (``seed == -1``, ``seeds`` = number of runs), however many seeds."""
    from pullsim.simulation import SimulationResult

    stacked = SimulationResult(scenario=scenario, strategy="*", seed=-1)
    for name in ("pods", "pulls", "layers", "events", "links", "workloads"):
        setattr(stacked, name, pd.concat([getattr(r, name) for r in runs], ignore_index=True))
    for run in runs:
        run.summary.loc[:, "wall_s"] = run.wall_s
        run.summary.loc[:, "error"] = run.error or ""
    summary = pd.concat([r.summary for r in runs], ignore_index=True)
    stacked.summary = summary
    stacked.summary_by_strategy = by_strategy(summary, scenario)
    stacked.wall_s = sum(r.wall_s for r in runs)
    stacked.error = "; ".join(r.error for r in runs if r.error) or None
    return stacked
