"""Run the standard "star" workload through pullsim's engine.

One registry egress link of ``reg_bw`` bytes/s shared by N nodes, each with its own NIC link of
``nic_bw``; node i fetches every blob in ``sizes[i]`` at t = 0 (one flow per blob crossing
{egress, NIC_i}). Same input as ``simgrid_star.py``, so engines compare on identical work.

Usage::

    python benchmarks/star.py WORKLOAD.json [FINISH.json] [--record]

Prints one JSON line ``{"engine", "flows", "makespan_s", "wall_s", "peak_rss_mib", ...}``;
``wall_s`` times the simulation only (building the links and flows and running them), not
Python start-up or reading the file. With FINISH.json, writes ``{"finish": [[s, ...], ...]}`` in
the shape of ``sizes``. Link recording is off unless ``--record`` (then at 10 s buckets).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import pullsim
from pullsim.engine import Environment, Network


def run_star(workload: dict, *, record: bool = False) -> tuple[list[list[float]], float, dict]:
    start = time.perf_counter()
    env = Environment()
    network = Network(env, record=record, resolution=10.0)
    egress = network.add_link("registry/egress", float(workload["reg_bw"]))
    transfers = []
    for node, sizes in enumerate(workload["sizes"]):
        nic = network.add_link(f"node-{node}/nic-rx", float(workload["nic_bw"]))
        transfers.append([network.transfer(float(size), [egress, nic]) for size in sizes])
    env.run()
    wall = time.perf_counter() - start
    finish = [[transfer.finished_at for transfer in node] for node in transfers]
    return finish, wall, dict(network.stats)


def peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", help="star workload JSON (see make_star.py)")
    parser.add_argument("finish", nargs="?", help="write per-flow finish times here")
    parser.add_argument("--record", action="store_true", help="record link utilisation")
    arguments = parser.parse_args(argv)
    with open(arguments.workload) as handle:
        workload = json.load(handle)
    finish, wall, stats = run_star(workload, record=arguments.record)
    flows = sum(len(node) for node in finish)
    line = {
        "engine": f"pullsim-{pullsim.__version__}",
        "flows": flows,
        "makespan_s": max((max(node) for node in finish if node), default=0.0),
        "wall_s": round(wall, 4),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "record": arguments.record,
        **stats,
    }
    print(json.dumps(line))
    if arguments.finish:
        with open(arguments.finish, "w") as handle:
            json.dump({"finish": finish}, handle)
            handle.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
