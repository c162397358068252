"""Checks a valid schema cannot express, run before time 0 on a validated ``Scenario``.

Each check returns ``(field path, message)`` pairs; :mod:`pullsim.scenario.loader` turns the
paths back into file lines. The checks mirror what the simulation would otherwise discover
during elaboration or, worse, only minutes into simulated time:

- every image a pod, a rolling update or a node pool names is declared under ``images`` and
  served by a registry (a pull of an undeclared image would fail as ``manifest unknown``);
- manifests read (each item on its own, so the error points at the item);
- arrivals name existing workloads (a rolling update: a Deployment and its containers);
- a node pool has nodes at t = 0 or nodes join it later;
- running-workload demands are positive; mirrors front a registry of the scenario; names of
  registries and pools are unique and shared links name existing ones.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from pullsim.kube import InvalidImageName, Workload, load_manifests, parse_image_ref
from pullsim.scenario.model import (
    NodeJoinArrival,
    RollingUpdateArrival,
    Scenario,
)

__all__ = ["check_scenario"]

Finding = tuple[tuple, str]


def _host(text: str) -> str:
    return parse_image_ref(f"{text}/probe:1").registry


def check_scenario(scenario: Scenario) -> list[Finding]:
    """Everything found wrong, in document order."""
    return [
        *_registries(scenario),
        *_images(scenario),
        *_pools(scenario),
        *_workloads_and_arrivals(scenario),
        *_running(scenario),
    ]


def _registries(scenario: Scenario) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for index, registry in enumerate(scenario.registries):
        try:
            host = _host(registry.host)
        except InvalidImageName as error:
            yield ("registries", index, "host"), f"not a registry host: {error}"
            continue
        if host in seen:
            yield (
                ("registries", index, "host"),
                f"registry {host!r} is already registries[{seen[host]}]",
            )
        seen[host] = index
    origins = {
        _host(r.host) for r in scenario.registries if r.mirror_of is None and _safe_host(r.host)
    }
    for index, registry in enumerate(scenario.registries):
        if registry.mirror_of is not None and _safe_host(registry.mirror_of) not in origins:
            yield (
                ("registries", index, "mirror_of"),
                f"no registry {registry.mirror_of!r} to mirror "
                f"(have: {', '.join(sorted(origins))})",
            )
    for index, link in enumerate(scenario.shared_links):
        for position, host in enumerate(link.registries):
            if _safe_host(host) not in seen:
                yield ("shared_links", index, "registries", position), f"no registry {host!r}"
        pools = {pool.name for pool in scenario.node_pools}
        for position, pool in enumerate(link.node_pools):
            if pool not in pools:
                yield ("shared_links", index, "node_pools", position), f"no node pool {pool!r}"


def _safe_host(text: str) -> str | None:
    try:
        return _host(text)
    except InvalidImageName:
        return None


def _served(scenario: Scenario) -> set[str]:
    return {_safe_host(r.host) for r in scenario.registries if r.mirror_of is None} - {None}


def _declared(scenario: Scenario) -> dict[str, str]:
    """Canonical reference -> reference as written under images."""
    declared = {}
    for image in scenario.images:
        with contextlib.suppress(InvalidImageName):
            declared[parse_image_ref(image.reference).canonical] = image.reference
    return declared


def _images(scenario: Scenario) -> Iterator[Finding]:
    served = _served(scenario)
    for index, image in enumerate(scenario.images):
        try:
            ref = parse_image_ref(image.reference)
        except InvalidImageName as error:
            yield ("images", index, "reference"), f"not an image reference: {error}"
            continue
        if ref.registry not in served:
            yield (
                ("images", index, "reference"),
                f"no registry serves {ref.registry!r} (registries: {', '.join(sorted(served))})",
            )


def _missing_image(reference: str, declared: dict[str, str]) -> str | None:
    try:
        canonical = parse_image_ref(reference).canonical
    except InvalidImageName:
        return None  # the kubelet reports InvalidImageName: a situation worth simulating
    if canonical in declared:
        return None
    known = ", ".join(sorted(declared.values())) or "none"
    return (
        f"image {reference!r} is served by no registry: declare it under images (declared: {known})"
    )


def _pools(scenario: Scenario) -> Iterator[Finding]:
    joined = {a.node_pool for a in scenario.arrivals if isinstance(a, NodeJoinArrival)}
    declared = _declared(scenario)
    seen = set()
    for index, pool in enumerate(scenario.node_pools):
        if pool.name in seen:
            yield ("node_pools", index, "name"), f"node pool {pool.name!r} is declared twice"
        seen.add(pool.name)
        if pool.count == 0 and pool.name not in joined:
            yield (
                ("node_pools", index, "count"),
                "a node pool of 0 nodes: give count >= 1, or a node-join arrival for this pool",
            )
        for position, reference in enumerate(pool.images_at_start):
            if reference not in {image.reference for image in scenario.images}:
                problem = _missing_image(reference, declared) or f"no image {reference!r}"
                yield ("node_pools", index, "images_at_start", position), problem


def _workloads_and_arrivals(scenario: Scenario) -> Iterator[Finding]:
    declared = _declared(scenario)
    workloads: list[Workload] = []
    broken = False
    for index, source in enumerate(scenario.manifests):
        try:
            loaded = load_manifests([source])
        except (ValueError, OSError) as error:
            broken = True
            yield ("manifests", index), str(error)
            continue
        for workload in loaded.workloads:
            workloads.append(workload)
            for number, container in enumerate(workload.pod_template.all_containers):
                problem = _missing_image(container.image, declared)
                if problem:
                    yield (
                        ("manifests", index),
                        f"{workload.kind} {workload.namespace}/{workload.name} container "
                        f"{container.name!r} (#{number}): {problem}",
                    )
    for item in scenario.objects:
        if isinstance(item, Workload):
            workloads.append(item)
    if broken:
        return  # arrivals would only repeat that the broken manifest's workloads are missing
    names = ", ".join(f"{w.kind}/{w.name}" for w in workloads) or "none"
    for index, arrival in enumerate(scenario.arrivals):
        if isinstance(arrival, NodeJoinArrival):
            continue
        parts = arrival.workload.split("/")
        matches = [
            w
            for w in workloads
            if (len(parts) == 1 and w.name == parts[0])
            or (len(parts) == 2 and (w.kind, w.name) == tuple(parts))
            or (len(parts) == 3 and (w.namespace, w.kind, w.name) == tuple(parts))
        ]
        if not matches:
            yield (
                ("arrivals", index, "workload"),
                f"no workload {arrival.workload!r} (have: {names})",
            )
            continue
        if isinstance(arrival, RollingUpdateArrival):
            workload = matches[0]
            if workload.kind != "Deployment":
                yield ("arrivals", index, "workload"), "a rolling update needs a Deployment"
            containers = {c.name for c in workload.pod_template.all_containers}
            for name, image in arrival.images.items():
                if name not in containers:
                    yield (
                        ("arrivals", index, "images", name),
                        f"no container {name!r} in {workload.name} "
                        f"(have: {', '.join(sorted(containers))})",
                    )
                problem = _missing_image(image, declared)
                if problem:
                    yield ("arrivals", index, "images", name), problem
    for name in scenario.run_seconds:
        if not any(w.name == name for w in workloads):
            yield ("run_seconds", name), f"no workload {name!r} (have: {names})"


def _running(scenario: Scenario) -> Iterator[Finding]:
    for index, workload in enumerate(scenario.running_workloads):
        for resource, rate in workload.demands.items():
            if not rate > 0:
                yield (
                    ("running_workloads", index, "demands", resource),
                    f"a demanded rate must be > 0, got {rate:g} bytes/s",
                )
        if workload.stop_s is not None and workload.stop_s <= workload.start_s:
            yield ("running_workloads", index, "stop_s"), "must be after start_s"
