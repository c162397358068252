"""A cluster rollout at scale: N nodes, ~30 pods per node from 50 Deployments over 20 images that
share base layers, served by 3 registries, pulled under one capped strategy
(``maxParallelImagePulls: 3``).

Usage::

    python benchmarks/cluster_rollout.py --nodes 1000 [--seed 0] [--profile]

Prints one JSON line ``{"nodes", "pods", "pulls", "ready", "makespan_s", "wall_s",
"peak_rss_mib"}``; ``wall_s`` covers elaborating, running and collecting the frames.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import pullsim
from pullsim.kube import Container, PodSpec, PullPolicy, Workload
from pullsim.scenario import (
    BurstArrival,
    ImageSpec,
    LayerSpec,
    NodePool,
    RegistrySpec,
    Scenario,
    Strategy,
)

MB = 1e6
REGISTRIES = ("registry-a.example.com", "registry-b.example.com", "registry-c.example.com")
BASES = [("debian", 30 * MB), ("alpine", 3 * MB), ("ubuntu", 28 * MB)]


def build(nodes: int, seed: int = 0) -> Scenario:
    images = []
    for k in range(20):
        base, size = BASES[k % 3]
        layers = (
            LayerSpec(name=f"{base}-base", bytes=size),
            LayerSpec(name=f"runtime-{k % 5}", bytes=(20 + 10 * (k % 5)) * MB),
            LayerSpec(name=f"app-{k}", bytes=(5 + 3 * k) * MB),
        )
        images.append(ImageSpec(reference=f"{REGISTRIES[k % 3]}/team/app{k}:1", layers=layers))
    workloads = []
    replicas = max(1, round(30 * nodes / 50))
    for w in range(50):
        container = Container(
            name="app",
            image=images[w % 20].reference,
            image_pull_policy=PullPolicy.IF_NOT_PRESENT,
            resource_requests={"cpu": 0.05, "memory": 64 * 2**20},
        )
        spec = PodSpec(name=f"svc{w}", containers=(container,))
        workloads.append(Workload("Deployment", f"svc{w}", "default", spec, replicas))
    return Scenario(
        name=f"cluster-rollout-{nodes}",
        registries=tuple(RegistrySpec(host=h, egress_bytes_per_s="10Gbps") for h in REGISTRIES),
        images=tuple(images),
        node_pools=(NodePool(name="node", count=nodes, cpu_cores=8),),
        objects=tuple(workloads),
        arrivals=tuple(BurstArrival(workload=w.name) for w in workloads),
        horizon_s=3600,
        seed=seed,
        strategies={"capped-3": Strategy(kubelet={"maxParallelImagePulls": 3})},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true", help="cProfile top entries to stderr")
    arguments = parser.parse_args(argv)
    scenario = build(arguments.nodes, arguments.seed)
    started = time.perf_counter()
    if arguments.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        result = profiler.runcall(pullsim.simulate, scenario, "capped-3", arguments.seed)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    else:
        result = pullsim.simulate(scenario, "capped-3", arguments.seed)
    wall = time.perf_counter() - started
    summary = result.summary.iloc[0]
    line = {
        "nodes": arguments.nodes,
        "pods": int(summary["pods"]),
        "ready": int(summary["pods_ready"]),
        "pulls": int(summary["pulls"]),
        "makespan_s": round(float(summary["all_ready_s"]), 3),
        "startup_p99_s": round(float(summary["startup_p99_s"]), 3),
        "wall_s": round(wall, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "error": result.error,
    }
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
