#!/usr/bin/python3
"""Run a "star" workload through SimGrid 3.32's LMM (max-min) solver: the comparison anchor.

Must run under Debian's /usr/bin/python3 with ``python3-simgrid`` installed
(``apt-get install -y python3-simgrid``); it does not import pullsim or numpy.

Usage::

    /usr/bin/python3 benchmarks/simgrid_star.py WORKLOAD.json [FINISH.json] [--cfg KEY:VALUE ...]
    /usr/bin/python3 benchmarks/simgrid_star.py --selftest   # hand-computed tiny cases

WORKLOAD.json is ``{"reg_bw": B/s, "nic_bw": B/s, "sizes": [[bytes, ...], ...]}`` (see
make_star.py). One registry egress link of ``reg_bw`` is shared by N nodes, each with its own
NIC link of ``nic_bw``; every blob of ``sizes[i]`` is one flow registry -> node i crossing
{egress, nic_i}, all started at t = 0.

Prints one JSON line ``{"engine": ..., "flows": F, "makespan_s": ..., "wall_s": ...}``;
``wall_s`` covers ``Engine.run()`` only (not Python start-up, JSON loading or platform
construction). If FINISH.json is given, writes ``{"finish": [[s, ...], ...]}`` shaped like
``sizes``.

SimGrid is configured for pure max-min fairness (see ``SIMGRID_CFG``): CM02 model, latency and
bandwidth factors 1, no crosstraffic (by default SimGrid adds a reverse "ACK" flow that takes
5 % of each shared link), zero-latency links (so TCP-gamma never bounds a rate), tight
numerical precision, full (non-lazy) LMM updates. Extra ``--cfg KEY:VALUE`` arguments are
appended and override these.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

SIMGRID_CFG = [
    "network/model:CM02",
    "network/latency-factor:1",
    "network/bandwidth-factor:1",
    "network/weight-S:0",
    "network/crosstraffic:0",
    "network/TCP-gamma:0",  # 0 = no window bound (links have zero latency anyway)
    "maxmin/precision:1e-12",
    "surf/precision:1e-12",
    # Re-solve the whole LMM system at each event instead of SimGrid's default "Lazy" update:
    # same results here, 1.2-1.6x faster on this workload (every flow shares the egress, so
    # every event touches every flow and lazy bookkeeping is pure overhead).
    "network/optim:Full",
]

# (reg_bw, nic_bw, sizes, finish times computed by hand) for --selftest.
SELFTEST_CASES = [
    (100.0, 1000.0, [[100], [100]], [[2.0], [2.0]]),
    (1000.0, 100.0, [[100, 100]], [[2.0, 2.0]]),
    (100.0, 1000.0, [[100], [300]], [[2.0], [4.0]]),
    # egress level 75 B/s: node0 75, node1 2 x 50 (NIC-bound), node2 75; node0 done at 4/3,
    # node1 at 2, then node2 alone at its NIC rate 100 until 10 + 1/3.
    (250.0, 100.0, [[100], [100, 100], [1000]], [[4 / 3], [2.0, 2.0], [31 / 3]]),
]


def _import_simgrid():
    """Import simgrid with stderr muted: the module logs an INFO line at import time."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        import simgrid
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    return simgrid


def run_star(wl: dict, extra_cfg: list[str] | None = None) -> tuple[list[list[float]], float]:
    """Simulate the workload; return (finish times shaped like sizes, wall seconds of run())."""
    sg = _import_simgrid()
    cfg = SIMGRID_CFG + list(extra_cfg or [])
    args = [sys.argv[0], "--log=root.thres:critical"] + [f"--cfg={c}" for c in cfg]
    engine = sg.Engine(args)

    # Star zone: a route a -> b is a's "up" links followed by b's "down" links. The registry's
    # only link is the egress, node i's only link is nic_i, so registry -> node i crosses
    # [egress, nic_i]. Links keep SimGrid's default SHARED policy (the 3.32 Python binding of
    # set_sharing_policy insists on a NONLINEAR callback, so we don't call it): one capacity
    # shared by all flows crossing the link, in either direction.
    zone = sg.NetZone.create_star_zone("star")
    registry = zone.create_host("registry", 1e9).seal()
    egress = zone.create_link("egress", float(wl["reg_bw"])).set_latency(0).seal()
    zone.add_route(registry.netpoint, None, None, None, [sg.LinkInRoute(egress)], True)
    nodes = []
    nic_bw = float(wl["nic_bw"])
    for i in range(len(wl["sizes"])):
        host = zone.create_host(f"node{i}", 1e9).seal()
        nic = zone.create_link(f"nic{i}", nic_bw).set_latency(0).seal()
        zone.add_route(host.netpoint, None, None, None, [sg.LinkInRoute(nic)], True)
        nodes.append(host)
    zone.seal()

    flows = [(i, j, int(s)) for i, blobs in enumerate(wl["sizes"]) for j, s in enumerate(blobs)]
    finish = [[0.0] * len(blobs) for blobs in wl["sizes"]]

    def driver():
        comms = [sg.Comm.sendto_async(registry, nodes[i], size) for i, _, size in flows]
        sg.Comm.wait_all(comms)
        for (i, j, _), comm in zip(flows, comms, strict=True):
            finish[i][j] = comm.finish_time

    sg.Actor.create("driver", registry, driver)
    t0 = time.perf_counter()
    engine.run()
    wall = time.perf_counter() - t0
    return finish, wall


def selftest(extra_cfg: list[str]) -> int:
    """Check SimGrid against hand-computed max-min finish times (1e-9 relative)."""
    import subprocess

    # One SimGrid engine per process, so each case runs in a fresh interpreter.
    bad = 0
    for reg_bw, nic_bw, sizes, want in SELFTEST_CASES:
        wl = json.dumps({"reg_bw": reg_bw, "nic_bw": nic_bw, "sizes": sizes})
        code = (
            "import json, sys; sys.path.insert(0, sys.argv[1]); import simgrid_star as m; "
            "print(json.dumps(m.run_star(json.loads(sys.argv[2]), sys.argv[3:])[0]))"
        )
        here = os.path.dirname(os.path.abspath(__file__))
        res = subprocess.run(
            [sys.executable, "-c", code, here, wl, *extra_cfg],
            capture_output=True,
            text=True,
            check=True,
        )
        got = json.loads(res.stdout)
        ok = all(
            abs(g - w) <= 1e-9 * abs(w)
            for grow, wrow in zip(got, want, strict=True)
            for g, w in zip(grow, wrow, strict=True)
        )
        bad += not ok
        print(f"{'ok  ' if ok else 'FAIL'} reg={reg_bw} nic={nic_bw} sizes={sizes} got={got}")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workload", nargs="?", help="star workload JSON (see make_star.py)")
    p.add_argument("finish", nargs="?", help="optional output JSON of per-flow finish times")
    p.add_argument(
        "--cfg",
        action="append",
        default=[],
        metavar="KEY:VALUE",
        help="extra SimGrid --cfg setting (repeatable; overrides the defaults)",
    )
    p.add_argument(
        "--selftest", action="store_true", help="check tiny hand-computed cases and exit"
    )
    a = p.parse_args(argv)
    if a.selftest:
        return selftest(a.cfg)
    if not a.workload:
        p.error("WORKLOAD.json is required")
    with open(a.workload) as f:
        wl = json.load(f)
    finish, wall = run_star(wl, a.cfg)
    flat = [t for row in finish for t in row]
    out = {
        "engine": "simgrid-3.32-lmm",
        "flows": len(flat),
        "makespan_s": max(flat, default=0.0),
        "wall_s": wall,
    }
    print(json.dumps(out), flush=True)
    if a.finish:
        with open(a.finish, "w") as f:
            json.dump({"finish": finish}, f)
            f.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
