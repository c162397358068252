"""A mixed-bottleneck workload, so the engine is not tuned to the star alone.

N nodes in 4 zones pull layers from 3 registries of different egress (10, 5 and 2 Gb/s) with
different per-connection caps (none, 60 MB/s, 25 MB/s) through their zone's uplink
(2.5 Gb/s) and their own NIC (0.5 to 5 Gb/s). Downloads arrive as a Poisson stream over the
first minute; each is followed, two seconds after its start, by an unpack flow through the node's
CPU (one core per flow: a cap) and disk (2.5 disk bytes per compressed byte). Every node also
runs a workload stream on its NIC and disk that stops at 120 s. So some flows are bound by a
connection cap, some by a registry, a zone uplink, a NIC, a disk or the CPU, and the bottlenecks
move as flows come and go.

Usage::

    python benchmarks/mixed.py --nodes 1000 [--seed 0] [--write WORKLOAD.json] [--finish F.json]

Prints one JSON line ``{"engine", "nodes", "flows", "streams", "makespan_s", "wall_s",
"peak_rss_mib", ...}`` (``wall_s``: building and running the simulation, not generation).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numpy as np

import pullsim
from pullsim.engine import Environment, Network

MB = 1e6
GBPS = 1e9 / 8


def make_mixed(nodes: int, seed: int = 0) -> dict:
    """Links, transfers and streams as plain lists (the workload file's format)."""
    rng = np.random.default_rng(seed)
    links: list[tuple[str, float]] = []

    def link(name: str, capacity: float) -> int:
        links.append((name, capacity))
        return len(links) - 1

    registries = [
        (link("registry-0/egress", 10 * GBPS), None),
        (link("registry-1/egress", 5 * GBPS), 60 * MB),
        (link("registry-2/egress", 2 * GBPS), 25 * MB),
    ]
    zones = [link(f"zone-{zone}/uplink", 2.5 * GBPS) for zone in range(4)]
    transfers: list[tuple] = []
    streams: list[tuple] = []
    for node in range(nodes):
        nic = link(f"node-{node}/nic-rx", float(rng.choice([0.5, 1, 2.5, 5])) * GBPS)
        disk = link(f"node-{node}/disk", float(rng.choice([125, 600])) * 1024**2)
        cores = int(rng.integers(2, 9))
        core_speed = 100 * 1024**2  # gzip, Go stdlib, compressed bytes/s per core
        cpu = link(f"node-{node}/cpu", cores * core_speed)
        zone = zones[node % len(zones)]
        arrivals = np.cumsum(rng.exponential(60 / 6, size=int(rng.integers(3, 9))))
        for start in arrivals:
            egress, connection_cap = registries[int(rng.integers(0, len(registries)))]
            size = float(np.round(rng.lognormal(np.log(30 * MB), 1.0)))
            transfers.append(
                (float(start), size, [(egress, 1.0), (zone, 1.0), (nic, 1.0)], connection_cap, 1.0)
            )
            transfers.append((float(start) + 2.0, size, [(cpu, 1.0), (disk, 2.5)], core_speed, 1.0))
        demand = float(rng.uniform(20, 60)) * MB
        streams.append((0.0, 120.0, demand, [(nic, 1.0), (disk, 1.0)]))
    return {"links": links, "transfers": transfers, "streams": streams}


def run_mixed(workload: dict, *, verify: bool = False) -> tuple[list[float], float, dict]:
    """Finish time per transfer, wall seconds and engine counters.

    ``verify`` checks every incremental update against a full solve (slow; for tests).
    """
    start = time.perf_counter()
    env = Environment()
    network = Network(env, record=False, verify=verify)
    links = [network.add_link(name, capacity) for name, capacity in workload["links"]]
    transfers: list = [None] * len(workload["transfers"])
    events = sorted(
        [(flow[0], 0, index) for index, flow in enumerate(workload["transfers"])]
        + [(stream[0], 1, index) for index, stream in enumerate(workload["streams"])]
    )

    def path(entries) -> list:
        return [(links[index], coefficient) for index, coefficient in entries]

    def stop_later(stream, stop: float):
        yield env.timeout(stop - env.now)
        stream.stop()

    def driver():
        for when, kind, index in events:
            if when > env.now:
                yield env.timeout(when - env.now)
            if kind == 0:
                _, size, entries, cap, weight = workload["transfers"][index]
                transfers[index] = network.transfer(size, path(entries), cap=cap, weight=weight)
            else:
                _, stop, demand, entries = workload["streams"][index]
                stream = network.stream(path(entries), demand, label="workload")
                env.process(stop_later(stream, stop))

    env.process(driver())
    env.run()
    wall = time.perf_counter() - start
    return [transfer.finished_at for transfer in transfers], wall, dict(network.stats)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", help="also write the generated workload here")
    parser.add_argument("--finish", help="write per-transfer finish times here")
    arguments = parser.parse_args(argv)
    workload = make_mixed(arguments.nodes, arguments.seed)
    if arguments.write:
        with open(arguments.write, "w") as handle:
            json.dump(workload, handle)
    finish, wall, stats = run_mixed(workload)
    print(
        json.dumps(
            {
                "engine": f"pullsim-{pullsim.__version__}",
                "nodes": arguments.nodes,
                "flows": len(finish),
                "streams": len(workload["streams"]),
                "makespan_s": max(finish),
                "wall_s": round(wall, 4),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                **stats,
            }
        )
    )
    if arguments.finish:
        with open(arguments.finish, "w") as handle:
            json.dump({"finish": finish}, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
