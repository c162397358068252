"""Small situations shared by the plot and report tests: strategies that differ on paper."""

from __future__ import annotations

import functools

import pullsim
from pullsim.scenario import PoissonArrival, RunningWorkloadSpec, Strategy
from tests.kubelet.helpers import MB, container, image, nic_bound_pool, pod_workload, scenario

STRATEGIES = {
    "serial": Strategy(),
    "capped-2": Strategy(kubelet={"maxParallelImagePulls": 2}),
    "parallel": Strategy(kubelet={"serializeImagePulls": False}),
}


def three_image_scenario(name: str = "three-images", nic_bytes_per_s: float = 100 * MB):
    """One node with a 100 MB/s NIC; three pods, each with its own 100 MB image; a consumer
    asking 60 MB/s of the NIC. Serial pulls share the NIC 50/50 with it (pods ready at 2, 4,
    6 s; consumer share 5/6), capped-2 ones get 33 MB/s each (ready at 3, 3, 5 s; share 5/9),
    parallel ones 25 MB/s each (all ready at 4 s; share 5/12)."""
    images = [image(f"registry.test/i{k}:1", (f"l{k}", 100 * MB)) for k in range(3)]
    workloads = [
        pod_workload(f"web{k}", container("app", f"registry.test/i{k}:1"), replicas=1)
        for k in range(3)
    ]
    built = scenario(
        images,
        workloads,
        pool=nic_bound_pool(count=1, nic_receive_bytes_per_s=nic_bytes_per_s),
        running_workloads=(RunningWorkloadSpec(name="consumer", demands={"nic-rx": 60 * MB}),),
        strategies=STRATEGIES,
        horizon_s=60,
    )
    return built.model_copy(update={"name": name})


@functools.cache
def comparison(seeds: tuple[int, ...] = (0,)):
    return pullsim.compare(three_image_scenario(), seeds=list(seeds)).raise_for_error()


def poisson_scenario(name: str = "three-images-poisson"):
    """:func:`three_image_scenario` with each pod created at a random time (Poisson, 0.5/s):
    each seed draws other creation times, so the runs of one strategy differ and their mean is
    none of them."""
    built = three_image_scenario(name)
    arrivals = tuple(PoissonArrival(workload=f"web{k}", rate_per_s=0.5, count=1) for k in range(3))
    return built.model_copy(update={"arrivals": arrivals})


@functools.cache
def poisson_comparison(seeds: tuple[int, ...] = (0, 1)):
    return pullsim.compare(poisson_scenario(), seeds=list(seeds)).raise_for_error()
