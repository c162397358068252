"""The recommendation: the smallest cap on parallel pulls that meets a startup target without
exceeding a workload slowdown budget.

For each strategy, from its row of per-strategy means over the seeds (``summary_by_strategy``,
read through :func:`pullsim.plots.strategy_means`):

- it *meets the startup target* when its p99 pod startup (over pods that became ready) is at
  most ``startup_target_s`` **and** no more pods stayed un-ready than under the best strategy
  (pods that fail under every strategy, such as a pod without its pull secret, are not a matter
  of pull parallelism: they are reported, not held against every strategy);
- it *stays within the slowdown budget* when its workload slowdown, ``1 - workload_min_share``
  (the largest fraction of its demanded rate any running workload lost at any time), is at most
  ``slowdown_budget``; without running workloads nothing is slowed.

Strategies are tried by increasing cap (serial = 1, ``capped-N`` = N, parallel = no cap; see
:func:`pullsim.plots.strategy_caps`); the first that meets both is recommended. When none does,
the recommendation says so and names the closest candidates on each side.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pullsim.plots import order_strategies, strategy_caps, strategy_means, workload_slowdown

__all__ = ["Recommendation", "evaluate", "recommend"]

TOLERANCE = 1e-9


@dataclass(frozen=True)
class Recommendation:
    """What :func:`recommend` concluded."""

    strategy: str | None
    """The recommended strategy; None when no strategy meets both criteria."""
    text: str
    """One paragraph, plain text, saying what to do and why."""
    notes: tuple[str, ...]
    """Caveats: pods that never started under any strategy, failed runs."""
    table: pd.DataFrame
    """One row per strategy in cap order: ``strategy``, ``cap``, ``startup_p50_s``,
    ``startup_p99_s``, ``not_ready``, ``workload_slowdown``, ``meets_startup_target``,
    ``within_slowdown_budget``."""

    @property
    def met(self) -> bool:
        return self.strategy is not None


def _per_strategy(by_strategy: Any) -> pd.DataFrame:
    rows = strategy_means(by_strategy)
    strategies = rows["strategy"].astype(str)
    if strategies.duplicated().any():
        scenarios = ", ".join(dict.fromkeys(rows["scenario"].astype(str)))
        raise ValueError(
            f"one scenario at a time: the rows name several ({scenarios}); "
            "recommend for each scenario's summary_by_strategy on its own"
        )
    return rows


def _cap_text(cap: float | None) -> str:
    if cap is None:
        return "unknown"
    return "no cap" if math.isinf(cap) else f"{cap:g}"


def evaluate(
    by_strategy: Any,
    *,
    startup_target_s: float,
    slowdown_budget: float,
    caps: Mapping[str, float | None] | None = None,
) -> pd.DataFrame:
    """The per-strategy table of :class:`Recommendation` (see the module doc for the rules);
    ``by_strategy`` as for :func:`recommend`."""
    rows = _per_strategy(by_strategy)
    names = [str(s) for s in dict.fromkeys(rows["strategy"].tolist())]
    caps = dict(caps) if caps is not None else strategy_caps(names)
    ordered = order_strategies(names, caps)
    rows = rows.set_index(rows["strategy"].astype(str)).loc[ordered]
    not_ready = (rows["pods"] - rows["pods_ready"]).astype(float)
    fewest = float(not_ready.min()) if len(not_ready) else 0.0
    p99 = rows["startup_p99_s"].astype(float)
    slowdown = workload_slowdown(rows)
    table = pd.DataFrame(
        {
            "strategy": ordered,
            "cap": [caps.get(name) for name in ordered],
            "startup_p50_s": rows["startup_p50_s"].astype(float).to_numpy(),
            "startup_p99_s": p99.to_numpy(),
            "not_ready": not_ready.to_numpy(),
            "workload_slowdown": slowdown.to_numpy(),
        }
    )
    table["meets_startup_target"] = (
        table["startup_p99_s"].le(startup_target_s + TOLERANCE)
        & table["not_ready"].le(fewest + TOLERANCE)
    ).to_numpy()
    table["within_slowdown_budget"] = table["workload_slowdown"].le(slowdown_budget + TOLERANCE)
    return table


def recommend(
    by_strategy: Any,
    *,
    startup_target_s: float,
    slowdown_budget: float,
    caps: Mapping[str, float | None] | None = None,
    pods: pd.DataFrame | None = None,
) -> Recommendation:
    """The smallest-cap strategy meeting ``startup_target_s`` (p99, seconds) within
    ``slowdown_budget`` (fraction of demanded rate lost, 0-1).

    ``by_strategy``: the per-strategy means of one scenario, i.e. a result of
    :func:`pullsim.compare` or :func:`pullsim.simulate` (its ``summary_by_strategy``; its
    ``pods`` unless ``pods`` is given) or a ``summary_by_strategy`` frame; a frame of per-run
    rows (``summary``) is averaged over its seeds first (:func:`pullsim.plots.strategy_means`).
    ``pods`` adds the reasons of pods that never started to the notes."""
    if not startup_target_s > 0:
        raise ValueError(f"startup_target_s must be > 0, not {startup_target_s!r}")
    if not 0 <= slowdown_budget <= 1:
        raise ValueError(f"slowdown_budget is a fraction in [0, 1], not {slowdown_budget!r}")
    if pods is None and not isinstance(by_strategy, pd.DataFrame):
        pods = getattr(by_strategy, "pods", None)
    rows = _per_strategy(by_strategy)
    table = evaluate(
        rows, startup_target_s=startup_target_s, slowdown_budget=slowdown_budget, caps=caps
    )
    notes: list[str] = []
    fewest = float(table["not_ready"].min()) if len(table) else 0.0
    if fewest > 0:
        reasons = ""
        if pods is not None and len(pods):
            stuck = pods[pods["ready_s"].isna() & pods["deleted_s"].isna()]
            first = str(stuck["strategy"].iloc[0]) if len(stuck) else ""
            stuck = stuck[stuck["strategy"] == first]
            if len(stuck):
                counts = stuck.drop_duplicates(["namespace", "pod"])["final_reason"].value_counts()
                reasons = " (" + ", ".join(f"{r}: {n}" for r, n in counts.items()) + ")"
        notes.append(
            f"{fewest:g} pod(s) never became ready under any strategy{reasons}. That is not a "
            "matter of pull parallelism (look at pull secrets, image names and registry "
            "errors); those pods are left out of the startup percentiles."
        )
    if "error" in rows.columns:
        failed = rows[rows["error"].fillna("").astype(str) != ""]
        for name in dict.fromkeys(failed["strategy"].astype(str)):
            notes.append(f"The run of strategy {name} raised an error; its numbers are partial.")
    target = f"p99 startup ≤ {startup_target_s:g} s"
    budget = f"workload slowdown ≤ {100 * slowdown_budget:g} %"
    both = table[table["meets_startup_target"] & table["within_slowdown_budget"]]
    if len(both):
        row = both.iloc[0]
        name = str(row["strategy"])
        text = (
            f"Use {name} (cap: {_cap_text(row['cap'])}). It is the smallest cap that meets "
            f"{target} (p99 {row['startup_p99_s']:.1f} s) within {budget} "
            f"(slowdown {100 * row['workload_slowdown']:.1f} %)."
        )
        return Recommendation(name, text, tuple(notes), table)
    parts = [f"No strategy meets both {target} and {budget}."]
    fast = table[table["meets_startup_target"]]
    gentle = table[table["within_slowdown_budget"]]
    if len(fast):
        best = fast.sort_values("workload_slowdown", kind="stable").iloc[0]
        parts.append(
            f"Fast enough: {', '.join(fast['strategy'])}; the gentlest of them, "
            f"{best['strategy']}, slows running workloads by "
            f"{100 * best['workload_slowdown']:.1f} %."
        )
    else:
        quickest = table.sort_values("startup_p99_s", kind="stable").iloc[0]
        parts.append(
            f"None is fast enough: the best p99 startup is {quickest['startup_p99_s']:.1f} s "
            f"({quickest['strategy']})."
        )
    if len(gentle):
        best = gentle.sort_values("startup_p99_s", kind="stable").iloc[0]
        parts.append(
            f"Within the budget: {', '.join(gentle['strategy'])}; the fastest of them, "
            f"{best['strategy']}, has p99 startup {best['startup_p99_s']:.1f} s."
        )
    else:
        parts.append("None stays within the slowdown budget.")
    parts.append(
        "Relax the target or the budget, or change the situation: more node or registry "
        "bandwidth, smaller images, a pull-through mirror, or images pre-pulled on the nodes."
    )
    return Recommendation(None, " ".join(parts), tuple(notes), table)
