"""A fingerprint of every frame a run produces, to tell a pure optimisation from a model change.

Usage::

    python benchmarks/frame_digest.py --nodes 300              # cluster_rollout.py's scenario
    python benchmarks/frame_digest.py scenarios/02-rolling-update.yaml [--strategy parallel]

Prints one line per frame: its name, rows, a SHA-256 over its columns, dtypes and values
(``pd.util.hash_pandas_object``), then one line for the whole run. ``wall_s`` is left out of the
summary (it is the only column that may differ between identical runs). Two code versions whose
lines are equal produced byte-identical frames for that scenario and seed.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import pandas as pd

import pullsim

FRAMES = ("pods", "pulls", "layers", "events", "links", "workloads", "summary")


def digest(frame: pd.DataFrame) -> str:
    text = hashlib.sha256()
    text.update(repr(list(frame.columns)).encode())
    text.update(repr([str(dtype) for dtype in frame.dtypes]).encode())
    text.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return text.hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", help="a scenario file (default: --nodes)")
    parser.add_argument("--nodes", type=int, default=50, help="cluster_rollout.py's scenario")
    parser.add_argument("--strategy", default=None)
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args(argv)
    if arguments.scenario:
        from pullsim.scenario.loader import load_scenario

        scenario = load_scenario(arguments.scenario)
        strategy = arguments.strategy
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import cluster_rollout

        scenario = cluster_rollout.build(arguments.nodes, arguments.seed)
        strategy = arguments.strategy or "capped-3"
    result = pullsim.simulate(scenario, strategy, arguments.seed)
    whole = hashlib.sha256()
    for name in FRAMES:
        frame = getattr(result, name)
        if name == "summary":
            frame = frame.drop(columns=["wall_s"])
        value = digest(frame)
        whole.update(value.encode())
        print(f"{name:10s} {len(frame):9d} {value}")
    print(f"{'all':10s} {'':9s} {whole.hexdigest()[:16]}  error={result.error is not None}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
