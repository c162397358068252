"""How many SimPy events a cluster rollout schedules, and how the engine's rates were updated.

Usage::

    python benchmarks/event_count.py --nodes 300 [--seed 0]

Runs ``cluster_rollout.py``'s scenario (strategy ``capped-3``) through ``pullsim.simulate`` and
prints one JSON line: ``nodes``, ``pods``, ``events`` (every event scheduled: each call of
``Environment.schedule`` plus the progress ticks ``Environment.urgent_at`` queues directly),
``events_per_pod``, ``rate_updates`` and ``full_solves`` (``Network.stats``). Events, not wall
time, are what the model's structure costs; they do not depend on the machine. Run it with
``PYTHONPATH`` pointing at another checkout to count that version's events.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import simpy

import pullsim
import pullsim.simulation
from pullsim.engine import Network
from pullsim.engine import environment as engine_environment

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster_rollout import build  # noqa: E402  (the benchmark scenario, beside this file)

STRATEGY = "capped-3"


def count_events(nodes: int, seed: int = 0) -> dict:
    scheduled = 0
    networks: list[Network] = []
    schedule = simpy.Environment.schedule
    urgent_at = getattr(engine_environment.Environment, "urgent_at", None)

    def counting_schedule(self, event, priority=simpy.events.NORMAL, delay=0):
        nonlocal scheduled
        scheduled += 1
        return schedule(self, event, priority, delay)

    def counting_urgent_at(self, time):
        nonlocal scheduled
        scheduled += 1
        return urgent_at(self, time)

    class RecordedNetwork(Network):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            networks.append(self)

    scenario = build(nodes, seed)
    original_network = pullsim.simulation.Network
    simpy.Environment.schedule = counting_schedule
    if urgent_at is not None:
        engine_environment.Environment.urgent_at = counting_urgent_at
    pullsim.simulation.Network = RecordedNetwork
    try:
        result = pullsim.simulate(scenario, STRATEGY, seed)
    finally:
        simpy.Environment.schedule = schedule
        if urgent_at is not None:
            engine_environment.Environment.urgent_at = urgent_at
        pullsim.simulation.Network = original_network
    (network,) = networks
    pods = len(result.pods)
    return {
        "nodes": nodes,
        "pods": pods,
        "events": scheduled,
        "events_per_pod": round(scheduled / pods, 1) if pods else None,
        "rate_updates": network.stats["updates"],
        "full_solves": network.stats["full_solves"],
        "error": result.error,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args(argv)
    print(json.dumps(count_events(arguments.nodes, arguments.seed)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
