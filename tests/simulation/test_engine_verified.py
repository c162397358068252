"""Under real kubelet and runtime traffic, every incremental rate update equals a full solve.

The engine's ``verify=True`` re-solves the max-min allocation from scratch after each fast
update and raises on any difference; here it runs under library scenarios whose traffic mixes
capped downloads, unpacks through CPU and disk, workload streams, retries and node joins.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pullsim
import pullsim.simulation
from pullsim.engine import Network
from pullsim.scenario.loader import read_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


class VerifyingNetwork(Network):
    def __init__(self, *args, **kwargs):
        kwargs["verify"] = True
        super().__init__(*args, **kwargs)


@pytest.mark.parametrize(
    "name",
    ["02-rolling-update.yaml", "06-data-consumer-slowdown.yaml", "07-pull-through-mirror.yaml"],
)
def test_library_scenarios_run_with_every_update_verified(monkeypatch, name):
    monkeypatch.setattr(pullsim.simulation, "Network", VerifyingNetwork)
    scenario = read_scenario(SCENARIOS / name).scenario
    for strategy in scenario.strategies:
        result = pullsim.simulate(scenario, strategy, seed=0)
        assert result.error is None, result.error
