"""Watching the progress of a run changes nothing in its results."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import pullsim
from pullsim.scenario.loader import read_scenario

SEED_SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "01-private-registry-seed.yaml"


def test_progress_reports_simulated_time_and_leaves_results_alone():
    scenario = read_scenario(SEED_SCENARIO).scenario
    seen: list[tuple[float, float]] = []
    watched = pullsim.simulate(scenario, "capped-3", progress=lambda n, h: seen.append((n, h)))
    plain = pullsim.simulate(scenario, "capped-3")
    times = [now for now, _ in seen]
    assert times == sorted(times) and len(times) == 200
    assert times[-1] == scenario.horizon_s and {h for _, h in seen} == {scenario.horizon_s}
    for name in ("pods", "pulls", "layers", "events", "links", "workloads"):
        left, right = getattr(watched, name), getattr(plain, name)
        assert pd.util.hash_pandas_object(left).equals(pd.util.hash_pandas_object(right)), name
