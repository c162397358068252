"""Write a deterministic "star" bandwidth-sharing workload as JSON.

One registry egress link of ``reg_bw`` bytes/s is shared by N nodes; node i has its own NIC
link of ``nic_bw`` bytes/s and fetches every blob in ``sizes[i]`` at t = 0 (one flow per blob,
crossing {egress, NIC_i}).

Output: ``{"reg_bw": float, "nic_bw": float, "sizes": [[bytes, ...], ...]}`` with integer
sizes drawn uniformly from [min_mb, max_mb] (MB = 1e6 bytes, both ends inclusive) using
``numpy.random.default_rng(seed)``.

Example::

    python benchmarks/make_star.py --nodes 1000 -o /tmp/star_1000.json
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

MB = 1_000_000


def make_star(
    nodes: int,
    blobs: int = 5,
    min_mb: float = 1.0,
    max_mb: float = 200.0,
    seed: int = 0,
    reg_gbps: float = 10.0,
    nic_gbps: float = 1.0,
) -> dict:
    if nodes < 1 or blobs < 1:
        raise ValueError("nodes and blobs must be >= 1")
    if not 0 < min_mb <= max_mb:
        raise ValueError("need 0 < min_mb <= max_mb")
    rng = np.random.default_rng(seed)
    lo, hi = round(min_mb * MB), round(max_mb * MB)
    sizes = rng.integers(lo, hi, size=(nodes, blobs), endpoint=True, dtype=np.int64)
    return {
        "reg_bw": reg_gbps * 1e9 / 8,
        "nic_bw": nic_gbps * 1e9 / 8,
        "sizes": sizes.tolist(),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nodes", type=int, required=True)
    p.add_argument("--blobs", type=int, default=5, help="blobs per node (default 5)")
    p.add_argument("--min-mb", type=float, default=1.0)
    p.add_argument("--max-mb", type=float, default=200.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reg-gbps", type=float, default=10.0, help="registry egress, Gb/s")
    p.add_argument("--nic-gbps", type=float, default=1.0, help="per-node NIC, Gb/s")
    p.add_argument("-o", "--output", default="-", help="output file (default stdout)")
    a = p.parse_args(argv)
    wl = make_star(a.nodes, a.blobs, a.min_mb, a.max_mb, a.seed, a.reg_gbps, a.nic_gbps)
    if a.output == "-":
        json.dump(wl, sys.stdout)
        sys.stdout.write("\n")
    else:
        with open(a.output, "w") as f:
            json.dump(wl, f)
            f.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
