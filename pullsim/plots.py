"""Figures from result frames: DataFrame in, matplotlib :class:`~matplotlib.figure.Figure` out.

Every function takes the frame(s) of :mod:`pullsim.results` (one run, or several stacked by
:func:`pullsim.compare`) and returns a new ``Figure``; nothing here runs a simulation or touches
pyplot's global state, so the functions work headless (no display, no backend selection) and in
notebooks alike. :func:`save_figures` writes the standard set for a result to a directory.

- :func:`pull_timeline`: one node's pulls, image by image and layer by layer: time queued in
  the kubelet, downloading, unpacking (``pulls`` and ``layers``).
- :func:`link_utilisation`: one link's rate over time stacked by class (image pulls vs running
  workloads) with its capacity, one panel per strategy (``links``).
- :func:`startup_cdf`: the pod startup-latency distribution per strategy (``pods``).
- :func:`workload_delivery`: what a running workload was delivered vs what it demanded
  (``workloads``).
- :func:`cap_tradeoff`: p50/p99 startup and workload slowdown against the parallel-pull cap
  (the per-strategy means, ``summary_by_strategy``), one line per scenario for sweeps;
  :func:`strategy_means` is how it (and :func:`pullsim.report.recommend`) reads them.

Colours are the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies),
and lines also differ by marker or style. Units are in every axis label: seconds of simulated
time, MB/s (10^6 bytes per second).

*Workload slowdown* is ``1 - workload_min_share``: the largest fraction of its demanded rate a
running workload lost at any time of the run (0 = never slowed; 0.4 = at worst it got 60 % of
what it asked for). Strategies are ordered by their *cap* on parallel pulls per node:
``serial`` is 1, ``parallel`` (no cap) is infinite, ``capped-3`` (any name ending in a number)
is 3 (:func:`strategy_cap`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

__all__ = [
    "PALETTE",
    "cap_tradeoff",
    "link_utilisation",
    "order_strategies",
    "pull_timeline",
    "save_figures",
    "startup_cdf",
    "strategy_cap",
    "strategy_caps",
    "strategy_means",
    "workload_delivery",
    "workload_slowdown",
]

# Okabe & Ito (2008), "Color Universal Design": safe for protanopia, deuteranopia, tritanopia.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", "-.", ":")
MB = 1e6
PHASE_COLOURS = {"queued": "#BBBBBB", "download": "#0072B2", "unpack": "#E69F00"}
CLASS_COLOURS = {"image pulls": "#0072B2", "running workloads": "#E69F00"}
MAX_TIMELINE_ROWS = 40
MAX_STRATEGY_PANELS = 6


# ---------------------------------------------------------------------------- strategies


def strategy_cap(name: str) -> float | None:
    """The parallel-pull cap a strategy name says: ``serial`` 1, ``parallel`` infinite, a name
    ending in a number (``capped-3``, ``max3``) that number; None when the name does not say."""
    text = str(name).strip().lower()
    if text in ("serial", "serialized", "serialize", "sequential"):
        return 1.0
    if text in ("parallel", "unlimited", "uncapped", "unbounded"):
        return math.inf
    match = re.search(r"(\d+)$", text)
    return float(match.group(1)) if match else None


def strategy_caps(strategies: Iterable[str], scenario: Any = None) -> dict[str, float | None]:
    """The cap of each strategy: from ``scenario``'s KubeletConfiguration when given (serial is
    1, no ``maxParallelImagePulls`` infinite), else from the name (:func:`strategy_cap`)."""
    caps: dict[str, float | None] = {}
    for name in strategies:
        cap = None
        if scenario is not None:
            try:
                config = scenario.kubelet_configuration(None if name == "default" else name)
            except (KeyError, ValueError):
                config = None
            if config is not None:
                if config.serializeImagePulls:
                    cap = 1.0
                elif config.maxParallelImagePulls is None:
                    cap = math.inf
                else:
                    cap = float(config.maxParallelImagePulls)
        caps[name] = cap if cap is not None else strategy_cap(name)
    return caps


def order_strategies(
    strategies: Iterable[str], caps: Mapping[str, float | None] | None = None
) -> list[str]:
    """Strategies by increasing cap; those without a known cap last, in their given order."""
    names = list(dict.fromkeys(str(s) for s in strategies))
    caps = dict(caps) if caps is not None else strategy_caps(names)
    known = [n for n in names if caps.get(n) is not None]
    unknown = [n for n in names if caps.get(n) is None]
    return sorted(known, key=lambda n: (caps[n], names.index(n))) + unknown


def _cap_label(name: str, cap: float | None) -> str:
    if cap is None:
        return name
    number = "∞" if math.isinf(cap) else f"{cap:g}"
    return name if name == number else f"{name}\n(cap {number})"


def _styles(strategies: Sequence[str]) -> dict[str, dict[str, Any]]:
    return {
        name: {
            "color": PALETTE[k % len(PALETTE)],
            "marker": MARKERS[k % len(MARKERS)],
            "linestyle": LINESTYLES[k % len(LINESTYLES)],
        }
        for k, name in enumerate(strategies)
    }


def workload_slowdown(summary: pd.DataFrame) -> pd.Series:
    """``1 - workload_min_share`` per summary row (0 where no workload runs: nothing slowed)."""
    return (1.0 - summary["workload_min_share"].astype(float)).fillna(0.0).clip(lower=0.0)


def strategy_means(data: Any) -> pd.DataFrame:
    """One row per scenario and strategy: the means over its seeds (``seed`` -1, ``seeds`` the
    number of runs), as :func:`cap_tradeoff` and :func:`pullsim.report.recommend` use them.

    ``data`` is one of:

    - a result of :func:`pullsim.compare` or :func:`pullsim.simulate`: its
      ``summary_by_strategy``, as it is;
    - a ``summary_by_strategy`` frame (every row ``seed == -1``), or several concatenated (a
      sweep over scenarios with different names), as it is;
    - a frame of per-run rows such as ``summary`` (every row ``seed >= 0``), averaged here per
      scenario and strategy as ``summary_by_strategy`` averages them (numeric columns as means,
      ``error`` joined with ``; ``).

    A frame mixing per-run rows with ``seed == -1`` rows is refused (ValueError): averaging it
    would count each run again inside its mean."""
    if isinstance(data, pd.DataFrame):
        frame = data
    else:
        frame = getattr(data, "summary_by_strategy", None)
        if frame is None:  # a result put together by hand: average its runs
            frame = data.summary
    if frame.empty:
        return frame.reset_index(drop=True)
    aggregated = frame["seed"].astype("int64") == -1
    if aggregated.all():
        return frame.reset_index(drop=True)
    if aggregated.any():
        raise ValueError(
            "the frame mixes per-run rows (seed >= 0) with per-strategy means (seed == -1): "
            "pass a result's summary_by_strategy, or its per-run summary alone"
        )
    keys = [c for c in ("scenario", "strategy") if c in frame.columns]
    numeric = [c for c in frame.select_dtypes("number").columns if c not in ("seed", "seeds")]
    groups = frame.groupby(keys, sort=False)
    means = groups[numeric].mean().astype("float64")
    means.insert(0, "seed", np.int64(-1))
    means.insert(1, "seeds", groups.size().astype("int64"))
    if "error" in frame.columns:
        means["error"] = groups["error"].agg(
            lambda texts: "; ".join(t for t in texts if isinstance(t, str) and t)
        )
    return means.reset_index()


# ---------------------------------------------------------------------------- helpers


def _new_figure(width: float = 9.0, height: float = 4.5) -> Figure:
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return figure


def _select(
    frame: pd.DataFrame, strategy: str | None = None, seed: int | None = None
) -> pd.DataFrame:
    """Rows of one strategy (default: the first in the frame) and one seed (default: first)."""
    if frame is None or frame.empty:
        return frame
    if strategy is None:
        strategy = str(frame["strategy"].iloc[0])
    rows = frame[frame["strategy"] == strategy]
    if seed is None and len(rows):
        seed = int(rows["seed"].iloc[0])
    return rows[rows["seed"] == seed]


def _empty(figure: Figure, message: str) -> Figure:
    axes = figure.add_subplot()
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes)
    axes.set_axis_off()
    return figure


def _strategies_in(frame: pd.DataFrame, caps: Mapping[str, float | None] | None) -> list[str]:
    names = [str(s) for s in dict.fromkeys(frame["strategy"].tolist())]
    return order_strategies(names, caps)


def _step_sum(
    starts: np.ndarray, ends: np.ndarray, values: np.ndarray, edges: np.ndarray
) -> np.ndarray:
    """Sum of piecewise-constant ``values`` on [start, end) over the intervals of ``edges``."""
    totals = np.zeros(len(edges))
    if len(starts) == 0:
        return totals[:-1]
    low = np.searchsorted(edges, starts, side="left")
    high = np.searchsorted(edges, ends, side="left")
    np.add.at(totals, low, values)
    np.add.at(totals, high, -values)
    return np.cumsum(totals)[:-1]


def _megabytes(value: float) -> str:
    if value >= 1e9:
        return f"{value / 1e9:.1f} GB"
    if value >= 1e6:
        return f"{value / 1e6:.0f} MB"
    return f"{value / 1e3:.0f} kB"


def _short_image(reference: str, limit: int = 38) -> str:
    text = str(reference)
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


# ---------------------------------------------------------------------------- pull timeline


def pull_timeline(
    pulls: pd.DataFrame,
    layers: pd.DataFrame,
    *,
    node: str | None = None,
    strategy: str | None = None,
    seed: int | None = None,
    until_s: float | None = None,
) -> Figure:
    """One node's pulls over time: per image a row of time queued in the kubelet (``Pulling``
    event to the puller starting it; failed pulls and back-offs marked ×), then per layer a row
    with its download and its unpack. Default node: the one with the most pull requests;
    default strategy and seed: the first in the frame; the time axis ends shortly after the
    last layer is unpacked (failures that go on retrying after that are counted in the
    title) unless ``until_s``."""
    pulls = _select(pulls, strategy, seed)
    figure = _new_figure(10, 5)
    if pulls is None or pulls.empty:
        return _empty(figure, "no image pulls")
    strategy = str(pulls["strategy"].iloc[0])
    seed = int(pulls["seed"].iloc[0])
    if node is None:
        node = str(pulls["node"].value_counts().index[0])
    pulls = pulls[pulls["node"] == node]
    layers = _select(layers, strategy, seed)
    layers = layers[(layers["node"] == node) & layers["download_started_s"].notna()]
    order = pulls.groupby("image", sort=False)["requested_s"].min().sort_values(kind="stable").index
    rows: list[tuple[str, str, Any]] = []  # (label, kind, data)
    for image in order:
        rows.append((_short_image(image), "image", pulls[pulls["image"] == image]))
        image_layers = layers[layers["image"] == image].sort_values(
            ["layer_index", "download_started_s"], kind="stable"
        )
        for index, group in image_layers.groupby("layer_index", sort=True):
            size = float(group["bytes"].iloc[0])
            rows.append((f"  layer {index} ({_megabytes(size)})", "layer", group))
    truncated = len(rows) > MAX_TIMELINE_ROWS
    rows = rows[:MAX_TIMELINE_ROWS]
    figure.set_size_inches(10, max(3.0, 1.2 + 0.28 * len(rows)))
    axes = figure.add_subplot()
    failed_seen = False
    for position, (_, kind, data) in enumerate(rows):
        y = len(rows) - 1 - position
        if kind == "image":
            queued = data[data["started_s"].notna() & (data["started_s"] > data["requested_s"])]
            spans = list(
                zip(queued["requested_s"], queued["started_s"] - queued["requested_s"], strict=True)
            )
            if spans:
                axes.broken_barh(
                    spans, (y - 0.35, 0.7), facecolors=PHASE_COLOURS["queued"], alpha=0.6
                )
            failed = data[data["outcome"].isin(["failed", "back-off"])]
            if len(failed):
                failed_seen = True
                times = failed["finished_s"].fillna(failed["requested_s"])
                axes.plot(times, [y] * len(times), "x", color="#D55E00", markersize=7)
        else:
            downloads = list(
                zip(
                    data["download_started_s"],
                    (data["download_finished_s"] - data["download_started_s"]).fillna(0),
                    strict=True,
                )
            )
            axes.broken_barh(
                downloads, (y - 0.35, 0.7), facecolors=PHASE_COLOURS["download"], alpha=0.9
            )
            unpacked = data[data["unpack_started_s"].notna()]
            unpacks = list(
                zip(
                    unpacked["unpack_started_s"],
                    (unpacked["unpack_finished_s"] - unpacked["unpack_started_s"]).fillna(0),
                    strict=True,
                )
            )
            if unpacks:
                axes.broken_barh(
                    unpacks, (y - 0.2, 0.4), facecolors=PHASE_COLOURS["unpack"], alpha=0.95
                )
    axes.set_yticks(range(len(rows)))
    axes.set_yticklabels([label for label, _, _ in reversed(rows)], fontsize=8)
    for tick, (_, kind, _) in zip(axes.get_yticklabels(), reversed(rows), strict=True):
        if kind == "image":
            tick.set_fontweight("bold")
    axes.set_xlabel("simulated time (s)")
    if until_s is None:
        done = pulls[pulls["outcome"].isin(["pulled", "already-present", "present"])]
        ends = [layers["unpack_finished_s"].max(), layers["download_finished_s"].max()]
        ends += [done["finished_s"].max(), pulls["started_s"].min()]
        ends = [end for end in ends if end == end]  # not NaN
        until_s = max(ends) * 1.1 + 1.0 if ends else float(pulls["finished_s"].max()) + 1.0
    axes.set_xlim(0, until_s)
    axes.grid(axis="x", alpha=0.3)
    title = f"Pulls on {node} ({strategy}, seed {seed})"
    if truncated:
        title += f": first {MAX_TIMELINE_ROWS} rows"
    later = pulls[pulls["outcome"].isin(["failed", "back-off"]) & (pulls["finished_s"] > until_s)]
    if len(later):
        title += f"; {len(later)} more failed pulls or back-offs later"
    axes.set_title(title)
    handles = [
        Patch(facecolor=PHASE_COLOURS["queued"], alpha=0.6, label="queued in the kubelet"),
        Patch(facecolor=PHASE_COLOURS["download"], label="layer download"),
        Patch(facecolor=PHASE_COLOURS["unpack"], label="layer unpack"),
    ]
    if failed_seen:
        handles.append(
            Line2D([], [], marker="x", color="#D55E00", linestyle="", label="failed pull")
        )
    figure.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=9)
    return figure


# ---------------------------------------------------------------------------- links


def _busiest_link(links: pd.DataFrame) -> str:
    """The link to show by default: where pulls and workloads meet if anywhere (the highest
    peak utilisation among links that carry a workload), else the highest peak overall."""
    totals = links.groupby(["strategy", "seed", "link", "start_s"], sort=False)["utilisation"].sum()
    peaks = totals.groupby(level="link").max()
    shared = links[links["label"].str.startswith("workload:")]["link"].unique()
    candidates = peaks[peaks.index.isin(shared)] if len(shared) else peaks
    if candidates.empty:
        candidates = peaks
    return str(candidates.sort_values(ascending=False, kind="stable").index[0])


def _link_class(label: str) -> str:
    return "running workloads" if str(label).startswith("workload:") else "image pulls"


def _active_until(frame: pd.DataFrame, busy: pd.Series) -> float:
    ends = frame.loc[busy, "end_s"]
    return float(ends.max()) if len(ends) else float(frame["end_s"].max())


def link_utilisation(
    links: pd.DataFrame,
    *,
    link: str | None = None,
    strategies: Sequence[str] | None = None,
    seed: int | None = None,
    until_s: float | None = None,
    caps: Mapping[str, float | None] | None = None,
) -> Figure:
    """One link's rate over time (MB/s), stacked by class (image pulls vs running workloads),
    with its capacity as a dashed line; one panel per strategy (at most six), shared axes.
    Default link: the one where pulls and running workloads compete hardest; default seed:
    the first; the time axis ends shortly after the last pull traffic unless ``until_s``."""
    figure = _new_figure()
    if links is None or links.empty:
        return _empty(figure, "no link usage recorded")
    if link is None:
        link = _busiest_link(links)
    rows = links[links["link"] == link]
    if seed is None:
        seed = int(rows["seed"].iloc[0])
    rows = rows[rows["seed"] == seed]
    names = list(strategies) if strategies is not None else _strategies_in(rows, caps)
    names = names[:MAX_STRATEGY_PANELS]
    if not names:
        return _empty(figure, f"no usage of {link}")
    if until_s is None:
        pulls_busy = ~rows["label"].str.startswith("workload:") & (rows["bytes"] > 0)
        until_s = _active_until(rows, pulls_busy) * 1.05 + 1.0
    kind = str(rows["link_kind"].iloc[0]) if len(rows) else ""
    unit = "MB/s decompressed" if kind == "cpu" else "MB/s"
    figure.set_size_inches(9, 1.0 + 2.2 * len(names))
    axes_list = figure.subplots(len(names), 1, sharex=True, sharey=True, squeeze=False)[:, 0]
    for axes, name in zip(axes_list, names, strict=True):
        data = rows[rows["strategy"] == name]
        edges = np.unique(np.concatenate([data["start_s"].to_numpy(), data["end_s"].to_numpy()]))
        if len(edges) < 2:
            axes.text(0.5, 0.5, "no traffic", ha="center", va="center", transform=axes.transAxes)
            axes.set_title(name, loc="left", fontsize=10)
            continue
        classes = data["label"].map(_link_class)
        stacked = []
        for label in CLASS_COLOURS:
            part = data[classes == label]
            stacked.append(
                _step_sum(
                    part["start_s"].to_numpy(),
                    part["end_s"].to_numpy(),
                    part["rate_bytes_per_s"].to_numpy() / MB,
                    edges,
                )
            )
        bottom = np.zeros(len(edges) - 1)
        for label, values in zip(CLASS_COLOURS, stacked, strict=True):
            top = bottom + values
            axes.fill_between(
                edges,
                np.append(bottom, bottom[-1]),
                np.append(top, top[-1]),
                step="post",
                color=CLASS_COLOURS[label],
                alpha=0.85,
                linewidth=0,
                label=label,
            )
            bottom = top
        with np.errstate(divide="ignore", invalid="ignore"):
            capacity = (data["rate_bytes_per_s"] / data["utilisation"]).replace(
                [np.inf, -np.inf], np.nan
            )
        capacity = capacity.dropna()
        if len(capacity):
            axes.axhline(
                float(capacity.median()) / MB,
                color="#000000",
                linestyle="--",
                linewidth=1.2,
                label="capacity",
            )
        axes.set_title(name, loc="left", fontsize=10)
        axes.set_ylabel(f"rate ({unit})")
        axes.grid(alpha=0.3)
        axes.set_ylim(bottom=0)
    axes_list[-1].set_xlabel("simulated time (s)")
    axes_list[-1].set_xlim(0, until_s)
    handles, labels = axes_list[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside upper right", ncol=3, fontsize=9)
    figure.suptitle(f"Link {link} (seed {seed})", x=0.02, ha="left", fontsize=11)
    return figure


# ---------------------------------------------------------------------------- startup CDF


def startup_cdf(
    pods: pd.DataFrame,
    *,
    seed: int | None = None,
    caps: Mapping[str, float | None] | None = None,
    target_s: float | None = None,
) -> Figure:
    """The fraction of pods ready within t seconds of their creation, per strategy (all seeds
    pooled unless ``seed``). Pods that never became ready keep the curve below 1 (pods deleted
    before ready, as in rolling updates, are left out); ``target_s`` draws a startup target."""
    figure = _new_figure(8, 4.5)
    if pods is None or pods.empty:
        return _empty(figure, "no pods")
    if seed is not None:
        pods = pods[pods["seed"] == seed]
    live = pods[pods["deleted_s"].isna() | pods["ready_s"].notna()]
    names = _strategies_in(live, caps)
    styles = _styles(names)
    axes = figure.add_subplot()
    longest = 0.0
    for name in names:
        data = live[live["strategy"] == name]
        startup = np.sort(data["startup_s"].dropna().to_numpy())
        if len(data) == 0:
            continue
        fraction = np.arange(1, len(startup) + 1) / len(data)
        style = styles[name]
        not_ready = len(data) - len(startup)
        label = name if not not_ready else f"{name} ({not_ready} never ready)"
        if len(startup):
            longest = max(longest, float(startup[-1]))
            axes.step(
                np.concatenate([[0.0], startup]),
                np.concatenate([[0.0], fraction]),
                where="post",
                color=style["color"],
                linestyle=style["linestyle"],
                linewidth=1.8,
                label=label,
            )
        else:
            axes.plot([], [], color=style["color"], label=label)
    if target_s is not None:
        axes.axvline(target_s, color="#000000", linestyle=":", linewidth=1.2, label="target")
        longest = max(longest, target_s)
    axes.axhline(0.99, color="#999999", linewidth=0.8)
    axes.text(
        0.995,
        0.99,
        "p99",
        va="bottom",
        ha="right",
        fontsize=8,
        color="#666666",
        transform=axes.get_yaxis_transform(),
    )
    axes.set_xlim(0, longest * 1.05 + 0.5)
    axes.set_ylim(0, 1.02)
    axes.set_xlabel("pod startup latency: created → all containers started (s)")
    axes.set_ylabel("fraction of pods ready")
    axes.set_title("Pod startup latency")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize=9)
    return figure


# ---------------------------------------------------------------------------- workloads


def workload_delivery(
    workloads: pd.DataFrame,
    *,
    workload: str | None = None,
    seed: int | None = None,
    until_s: float | None = None,
    caps: Mapping[str, float | None] | None = None,
) -> Figure:
    """A running workload's delivered rate summed over its nodes (MB/s; cores for a cpu
    reference), per strategy, against what it demanded (dashed). Default workload: the first;
    default seed: the first; the time axis ends shortly after the last shortfall."""
    figure = _new_figure(9, 4.5)
    if workloads is None or workloads.empty:
        return _empty(figure, "no running workloads")
    if workload is None:
        workload = str(workloads["workload"].iloc[0])
    rows = workloads[workloads["workload"] == workload]
    if seed is None:
        seed = int(rows["seed"].iloc[0])
    rows = rows[rows["seed"] == seed]
    names = _strategies_in(rows, caps)
    styles = _styles(names)
    if until_s is None:
        until_s = _active_until(rows, rows["share"] < 0.999) * 1.1 + 1.0
    axes = figure.add_subplot()
    demand_drawn = False
    for name in names:
        data = rows[rows["strategy"] == name]
        edges = np.unique(np.concatenate([data["start_s"].to_numpy(), data["end_s"].to_numpy()]))
        if len(edges) < 2:
            continue
        starts, ends = data["start_s"].to_numpy(), data["end_s"].to_numpy()
        delivered = _step_sum(starts, ends, data["delivered_bytes_per_s"].to_numpy() / MB, edges)
        style = styles[name]
        axes.step(
            edges,
            np.append(delivered, delivered[-1]),
            where="post",
            color=style["color"],
            linestyle=style["linestyle"],
            linewidth=1.8,
            label=f"{name}: delivered",
        )
        if not demand_drawn:
            demanded = _step_sum(starts, ends, data["demand_bytes_per_s"].to_numpy() / MB, edges)
            axes.step(
                edges,
                np.append(demanded, demanded[-1]),
                where="post",
                color="#000000",
                linestyle="--",
                linewidth=1.2,
                label="demanded",
            )
            demand_drawn = True
    nodes = rows["node"].nunique()
    axes.set_xlim(0, until_s)
    axes.set_ylim(bottom=0)
    axes.set_xlabel("simulated time (s)")
    axes.set_ylabel(f"rate summed over {nodes} node{'s' if nodes != 1 else ''} (MB/s)")
    axes.set_title(f"Running workload {workload!s}: delivered vs demanded (seed {seed})")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize=9)
    return figure


# ---------------------------------------------------------------------------- cap sweep


def cap_tradeoff(
    by_strategy: Any,
    *,
    caps: Mapping[str, float | None] | None = None,
    startup_target_s: float | None = None,
    slowdown_budget: float | None = None,
) -> Figure:
    """Left: p50 (dashed) and p99 (solid) pod startup against the parallel-pull cap; right:
    workload slowdown (``1 - workload_min_share``, %) against the cap. One line per scenario
    (sweeps concatenate the ``summary_by_strategy`` of scenarios with different names);
    strategies ordered by cap (:func:`strategy_caps`). Optional target and budget lines.

    ``by_strategy``: the per-strategy means, i.e. a result of :func:`pullsim.compare` (its
    ``summary_by_strategy``) or such a frame; a frame of per-run rows (``summary``) is averaged
    over its seeds first (:func:`strategy_means`)."""
    figure = _new_figure(11, 4.5)
    data = strategy_means(by_strategy) if by_strategy is not None else None
    if data is None or data.empty:
        return _empty(figure, "no summary")
    names = _strategies_in(data, caps)
    caps = dict(caps) if caps is not None else strategy_caps(names)
    positions = {name: k for k, name in enumerate(names)}
    scenarios = [str(s) for s in dict.fromkeys(data["scenario"].tolist())]
    styles = _styles(scenarios)
    startup_axes, slowdown_axes = figure.subplots(1, 2)
    for scenario in scenarios:
        rows = data[data["scenario"] == scenario].copy()
        rows["position"] = rows["strategy"].map(positions)
        rows = rows.sort_values("position")
        style = styles[scenario]
        label = scenario if len(scenarios) > 1 else None
        startup_axes.plot(
            rows["position"],
            rows["startup_p99_s"],
            color=style["color"],
            marker=style["marker"],
            linestyle="-",
            label=f"{label}: p99" if label else "p99",
        )
        startup_axes.plot(
            rows["position"],
            rows["startup_p50_s"],
            color=style["color"],
            marker=style["marker"],
            linestyle="--",
            fillstyle="none",
            label=f"{label}: p50" if label else "p50",
        )
        slowdown_axes.plot(
            rows["position"],
            100 * workload_slowdown(rows),
            color=style["color"],
            marker=style["marker"],
            linestyle="-",
            label=label or "workload slowdown",
        )
    if startup_target_s is not None:
        startup_axes.axhline(
            startup_target_s, color="#000000", linestyle=":", label="startup target"
        )
    if slowdown_budget is not None:
        slowdown_axes.axhline(
            100 * slowdown_budget, color="#000000", linestyle=":", label="slowdown budget"
        )
    ticks = [_cap_label(name, caps.get(name)) for name in names]
    for axes in (startup_axes, slowdown_axes):
        axes.set_xticks(range(len(names)))
        axes.set_xticklabels(ticks, fontsize=8)
        axes.set_xlabel("strategy (parallel pulls per node)")
        axes.grid(alpha=0.3)
        axes.margins(y=0.12)
        axes.set_ylim(bottom=0)
    startup_axes.set_ylabel("pod startup latency (s)")
    startup_axes.set_title("Pod startup: p50 and p99")
    slowdown_axes.set_ylabel("workload slowdown (%)")
    slowdown_axes.set_title("Running workloads: worst loss of demanded rate")
    slowdown_axes.set_ylim(0, max(5.0, slowdown_axes.get_ylim()[1]))
    startup_axes.legend(fontsize=8, loc="best")
    slowdown_axes.legend(fontsize=8, loc="best")
    return figure


# ---------------------------------------------------------------------------- files


def standard_figures(
    result: Any,
    *,
    caps: Mapping[str, float | None] | None = None,
    startup_target_s: float | None = None,
    slowdown_budget: float | None = None,
    timeline_strategy: str | None = None,
) -> dict[str, tuple[Figure, str]]:
    """The figures :func:`save_figures` and the report show, by file stem: (figure, caption).
    Figures that have no data in ``result`` (no running workloads, one strategy) are left out."""
    figures: dict[str, tuple[Figure, str]] = {}
    summary = result.summary
    strategies = [str(s) for s in dict.fromkeys(summary["strategy"].tolist())]
    if caps is None:
        caps = strategy_caps(strategies)
    if result.pods is not None and not result.pods.empty:
        figures["startup-cdf"] = (
            startup_cdf(result.pods, caps=caps, target_s=startup_target_s),
            "Fraction of pods ready within a given time of their creation, per strategy.",
        )
    if len(strategies) > 1:
        figures["cap-tradeoff"] = (
            cap_tradeoff(
                result,
                caps=caps,
                startup_target_s=startup_target_s,
                slowdown_budget=slowdown_budget,
            ),
            "Startup latency and workload slowdown against the number of parallel pulls.",
        )
    if result.links is not None and not result.links.empty:
        figures["link-utilisation"] = (
            link_utilisation(result.links, caps=caps),
            "Rate on the most contended link, stacked by class, with its capacity.",
        )
    if result.workloads is not None and not result.workloads.empty:
        figures["workload-delivery"] = (
            workload_delivery(result.workloads, caps=caps),
            "What the running workload was delivered against what it demanded.",
        )
    if result.pulls is not None and not result.pulls.empty:
        figures["pull-timeline"] = (
            pull_timeline(
                result.pulls,
                result.layers,
                strategy=timeline_strategy
                if timeline_strategy is not None
                else order_strategies(strategies, caps)[-1],
            ),
            "One node's pulls: time queued, each layer's download and unpack.",
        )
    return figures


def save_figures(result: Any, directory: str | Path) -> list[Path]:
    """Write the standard figures of ``result`` (a :class:`~pullsim.SimulationResult` of one
    run or stacked by :func:`pullsim.compare`) to ``directory`` as PNG and SVG; return the
    paths written (PNG first for each figure)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with matplotlib.rc_context({"svg.hashsalt": "pullsim"}):  # stable SVG ids
        for stem, (figure, _) in standard_figures(result).items():
            for suffix, metadata in ((".png", {}), (".svg", {"Date": None})):
                path = directory / f"{stem}{suffix}"
                figure.savefig(path, dpi=100, metadata=metadata)
                written.append(path)
    return written
