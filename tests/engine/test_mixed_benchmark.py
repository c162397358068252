"""The mixed-bottleneck benchmark's small instances, against the reference and the full solve."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

from .reference import Flow, TimedFlow, reference_finish_times

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "mixed.py"
_SPEC = importlib.util.spec_from_file_location("mixed_benchmark", _PATH)
mixed = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(mixed)


def reference_of(workload: dict) -> list[float]:
    names = [name for name, _ in workload["links"]]
    capacities = {name: capacity for name, capacity in workload["links"]}
    flows = []
    for start, size, entries, cap, weight in workload["transfers"]:
        links = {names[index]: coefficient for index, coefficient in entries}
        flow = Flow(links, weight=weight, cap=math.inf if cap is None else cap)
        flows.append(TimedFlow(flow, start=start, size=size))
    for start, stop, demand, entries in workload["streams"]:
        links = {names[index]: coefficient for index, coefficient in entries}
        flows.append(TimedFlow(Flow(links, cap=demand), start=start, stop=stop))
    return reference_finish_times(capacities, flows)[: len(workload["transfers"])]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_small_mixed_instances_match_the_reference(seed):
    workload = mixed.make_mixed(5, seed)
    finish, _, _ = mixed.run_mixed(workload)
    expected = reference_of(workload)
    assert finish == pytest.approx(expected, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("seed", [3, 4])
def test_every_incremental_update_matches_a_full_solve(seed):
    # verify=True re-solves from scratch after every fast update and raises on a difference.
    workload = mixed.make_mixed(40, seed)
    finish, _, stats = mixed.run_mixed(workload, verify=True)
    assert all(math.isfinite(time) for time in finish)
    assert stats["fast_updates"] > 10 * stats["full_solves"]
