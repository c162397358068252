"""Small scenarios you can check on paper: one registry, NIC-bound nodes, hand-made images."""

from __future__ import annotations

from pullsim.kube import Container, ContainerKind, PodSpec, PullPolicy, Workload
from pullsim.scenario import (
    BurstArrival,
    ImageSpec,
    LayerSpec,
    NodePool,
    PodTimingsSpec,
    RegistrySpec,
    Scenario,
)

MB = 1e6
# Nothing but the NIC limits a pull: no round trips, no caps, fast disk and CPU, no delays.
REGISTRY = RegistrySpec(
    host="registry.test", round_trip_s=0, connection_bytes_per_s=None, token_auth=False
)
INSTANT = PodTimingsSpec(sandbox_start_s=0, container_start_s=0, resync_jitter=0)


def nic_bound_pool(**options) -> NodePool:
    options.setdefault("nic_receive_bytes_per_s", 100 * MB)
    options.setdefault("disk_write_bytes_per_s", 1e15)
    options.setdefault("cpu_cores", 1e6)
    return NodePool(name="node", **options)


def image(reference: str, *layers: tuple[str, float]) -> ImageSpec:
    # Uncompressed layers on a fast disk: unpacking costs nothing worth counting.
    return ImageSpec(
        reference=reference,
        codec="uncompressed",
        layers=tuple(LayerSpec(name=n, bytes=b, uncompressed_bytes=b) for n, b in layers),
    )


def container(name: str, image_ref: str, kind=ContainerKind.APP, policy=None) -> Container:
    return Container(
        name=name,
        image=image_ref,
        image_pull_policy=PullPolicy(policy or "IfNotPresent"),
        kind=kind,
    )


def pod_workload(name: str, *containers: Container, init=(), replicas=1, kind="Deployment"):
    spec = PodSpec(name=name, init_containers=tuple(init), containers=tuple(containers))
    return Workload(kind, name, "default", spec, replicas)


def scenario(images, workloads, *, kubelet=None, pool=None, **options) -> Scenario:
    options.setdefault("pod_timings", INSTANT)
    options.setdefault("horizon_s", 600)
    return Scenario(
        name="paper",
        registries=(options.pop("registry", REGISTRY),),
        images=tuple(images),
        node_pools=(pool or nic_bound_pool(),),
        kubelet=kubelet or {},
        objects=tuple(workloads),
        arrivals=tuple(BurstArrival(workload=w.name) for w in workloads if w.kind != "Secret")
        if "arrivals" not in options
        else options.pop("arrivals"),
        **options,
    )
