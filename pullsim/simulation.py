"""Run a scenario: ``simulate`` one strategy and seed, ``compare`` several on common random numbers.

A run has three phases, as desmod's simulations do:

1. **Elaborate**: build the engine, registries, images, nodes, shared links, the cluster and its
   arrivals from the validated :class:`~pullsim.scenario.Scenario`; anything that does not fit
   (an image without a registry, an unknown workload) fails here with a message naming the field.
2. **Run** until the horizon.
3. **Collect**: records become DataFrames (:mod:`pullsim.results`). A run that raised while
   running still collects what it computed; ``SimulationResult.error`` holds the exception text.

Random streams are named and spawned from one ``numpy.random.SeedSequence(seed)``: arrivals
(key 0, one child per arrival), pod-worker jitter (key 1, one child per pod in creation
order). The same seed gives every strategy the same draws (common random numbers), and there is
no global random state.
"""

from __future__ import annotations

import contextlib
import gc
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from pullsim.engine import Environment, Network
from pullsim.kube import (
    Container,
    Workload,
    parse_image_ref,
)
from pullsim.model import (
    CONTAINERD_1,
    CONTAINERD_2,
    CRI_O,
    DOCKER,
    Authentication,
    NodeConfig,
    RateLimit,
    Records,
    Registry,
    RegistryConfig,
    RegistryDirectory,
    image_from_layers,
)
from pullsim.model.cluster import Cluster
from pullsim.model.kubelet import PodTimings
from pullsim.model.scheduler import Scheduler
from pullsim.model.workloads import RunningWorkloadSpec as ModelRunningWorkload
from pullsim.scenario.model import (
    BurstArrival,
    NodeJoinArrival,
    PoissonArrival,
    RollingUpdateArrival,
    Scenario,
)

__all__ = ["ScenarioError", "SimulationResult", "compare", "simulate"]

PROFILES = {
    "containerd-2.x": CONTAINERD_2,
    "containerd-1.x": CONTAINERD_1,
    "docker": DOCKER,
    "cri-o": CRI_O,
}
STREAM_ARRIVALS = 0
STREAM_POD_WORKERS = 1
PAUSE_LAYER_BYTES = 320e3  # registry.k8s.io/pause: one ~320 kB layer
DEFAULT_STRATEGY = "default"


class ScenarioError(ValueError):
    """The scenario cannot be wired into a simulation; the message names the field."""


@dataclass
class SimulationResult:
    """The frames of one run (or of several stacked, from :func:`compare`)."""

    scenario: str
    strategy: str
    seed: int
    pods: Any = None
    pulls: Any = None
    layers: Any = None
    events: Any = None
    links: Any = None
    workloads: Any = None
    summary: Any = None
    """One row per run (strategy and seed, ``seed >= 0``); never an aggregate row."""
    summary_by_strategy: Any = None
    """One row per strategy, means over its seeds (``seed == -1``, ``seeds`` = runs)."""
    wall_s: float = 0.0
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None

    def raise_for_error(self) -> SimulationResult:
        if self.error is not None:
            raise RuntimeError(f"the run failed: {self.error}")
        return self


class _Run:
    """Elaborated world of one run."""

    def __init__(self, scenario: Scenario, strategy: str | None, seed: int) -> None:
        self.scenario = scenario
        self.strategy = strategy
        self.seed = seed
        self.env = Environment()
        self.network = Network(self.env, resolution=scenario.link_resolution_s)
        self.records = Records()
        self.registries = RegistryDirectory()
        self.sequence = np.random.SeedSequence(seed)
        self._elaborate()

    # ------------------------------------------------------------------ elaborate
    def _elaborate(self) -> None:
        scenario = self.scenario
        by_host: dict[str, Registry] = {}
        mirrors: list[tuple[Registry, str]] = []
        # Mirrors after the registries they front, so that their upstream exists.
        ordered = sorted(
            enumerate(scenario.registries), key=lambda item: item[1].mirror_of is not None
        )
        for index, spec in ordered:
            try:
                host = parse_image_ref(f"{spec.host}/probe:1").registry
            except ValueError as error:
                raise ScenarioError(f"registries[{index}].host: {error}") from None
            upstream = upstream_host = None
            if spec.mirror_of is not None:
                upstream_host = parse_image_ref(f"{spec.mirror_of}/probe:1").registry
                upstream = by_host.get(upstream_host)
                if upstream is None:
                    raise ScenarioError(
                        f"registries[{index}].mirror_of: no registry {spec.mirror_of!r}"
                    )
            registry = Registry(
                self.env,
                self.network,
                RegistryConfig(
                    host=host,
                    egress_bytes_per_s=spec.egress_bytes_per_s,
                    round_trip_s=spec.round_trip_s,
                    connection_bytes_per_s=spec.connection_bytes_per_s,
                    authentication=Authentication(
                        anonymous=spec.anonymous,
                        accepted_credentials=(
                            frozenset(spec.credentials) if spec.credentials is not None else None
                        ),
                        token_auth=spec.token_auth,
                    ),
                    rate_limit=(
                        RateLimit(
                            pulls=spec.rate_limit.pulls,
                            window_s=spec.rate_limit.window_s,
                            authenticated_pulls=spec.rate_limit.authenticated_pulls,
                        )
                        if spec.rate_limit is not None
                        else None
                    ),
                    ip=spec.ip,
                ),
                upstream=upstream,
            )
            if upstream_host is not None:
                mirrors.append((registry, upstream_host))
                self.registries.add(registry, mirror_for=upstream_host)
            else:
                by_host[host] = self.registries.add(registry)
        self.images = {}
        for index, spec in enumerate(scenario.images):
            try:
                ref = parse_image_ref(spec.reference)
            except ValueError as error:
                raise ScenarioError(f"images[{index}].reference: {error}") from None
            layers = [
                (layer.name, layer.bytes)
                if layer.uncompressed_bytes is None
                else (layer.name, layer.bytes, layer.uncompressed_bytes)
                for layer in spec.layers
            ]
            image = image_from_layers(ref.canonical, layers, codec=spec.codec)
            if ref.registry not in by_host:
                raise ScenarioError(
                    f"images[{index}].reference: no registry for host {ref.registry!r} "
                    f"(have: {', '.join(by_host)})"
                )
            by_host[ref.registry].push(image)
            self.images[spec.reference] = image
        timings = scenario.pod_timings
        pause = timings.pause_image
        self.pause_images: tuple = ()
        if timings.preload_pause_image:
            pause_image = self.images.get(pause) or image_from_layers(
                parse_image_ref(pause).canonical, [("pause", PAUSE_LAYER_BYTES)]
            )
            self.pause_images = (pause_image,)
        self.shared_links = [
            (spec, self.network.add_link(spec.name, spec.bytes_per_s, kind="shared"))
            for spec in scenario.shared_links
        ]
        for mirror, upstream_host in mirrors:
            mirror.upstream_path = self._upstream_path(upstream_host)
        manifests = scenario.kubernetes_objects()
        self.workloads = manifests[0]
        keyring = scenario.node_keyring()
        profile = PROFILES[scenario.runtime_profile_name(self.strategy)]
        self.cluster = Cluster(
            self.env,
            self.network,
            self.registries,
            self.records,
            kubelet_config=scenario.kubelet_configuration(self.strategy),
            runtime_profile=profile,
            timings=PodTimings(
                sandbox_start_s=timings.sandbox_start_s,
                container_start_s=timings.container_start_s,
                startup_probe_s=timings.startup_probe_s,
                resync_s=timings.resync_s,
                resync_jitter=timings.resync_jitter,
                pause_image=pause,
            ),
            scheduler=Scheduler(
                image_locality=scenario.scheduler.image_locality,
                percentage_of_nodes_to_score=scenario.scheduler.percentage_of_nodes_to_score,
                familiar_image_names=profile is DOCKER,
            ),
            secrets=manifests[1],
            service_accounts=manifests[2],
            node_keyring=keyring,
            seed=self.seed,
            pod_stream_key=STREAM_POD_WORKERS,
        )
        for image in self.images.values():  # the size node status reports (the runtime's)
            size = image.size if profile.reported_size == "compressed" else image.uncompressed_size
            self.cluster.scheduler.set_image_size(image.reference, size)
        self.pool_of: dict[str, str] = {}
        self._pool_counts: dict[str, int] = {}
        for pool in scenario.node_pools:
            for _ in range(pool.count):
                config, options = self._node(pool)
                self.cluster.add_node(config, **options)
        for index, spec in enumerate(scenario.running_workloads):
            pools = set(spec.node_pools)
            self.cluster.add_running_workload(
                ModelRunningWorkload(
                    name=spec.name,
                    demands=dict(spec.demands),
                    start_s=spec.start_s,
                    stop_s=spec.stop_s,
                    utilisation=spec.utilisation,
                    connections=spec.connections,
                ),
                (lambda node, pools=pools: not pools or self.pool_of[node] in pools),
            )
            del index
        for index, arrival in enumerate(scenario.arrivals):
            self._arrival(index, arrival)

    def _upstream_path(self, upstream_host: str) -> tuple:
        """Shared links between a mirror and its upstream: the ones that name the upstream and
        no node pool (a NAT gateway the in-cluster mirror sits behind)."""
        links = []
        for spec, link in self.shared_links:
            hosts = {parse_image_ref(f"{h}/p:1").registry for h in spec.registries}
            if upstream_host in hosts and not spec.node_pools:
                links.append(link)
        return tuple(links)

    def _node(self, pool) -> tuple[NodeConfig, dict]:
        number = self._pool_counts.get(pool.name, 0)
        self._pool_counts[pool.name] = number + 1
        name = f"{pool.name}-{number:04d}"
        serial = len(self.pool_of) + 1
        self.pool_of[name] = pool.name
        images = []
        for index, reference in enumerate(pool.images_at_start):
            if reference not in self.images:
                raise ScenarioError(
                    f"node_pools[{pool.name}].images_at_start[{index}]: no image {reference!r}"
                )
            images.append(self.images[reference])
        config = NodeConfig(
            name=name,
            ip=f"10.{(serial >> 16) & 255}.{(serial >> 8) & 255}.{serial & 255}",
            public_ip=pool.public_ip,
            nic_receive_bytes_per_s=pool.nic_receive_bytes_per_s,
            nic_transmit_bytes_per_s=pool.nic_transmit_bytes_per_s,
            disk_write_bytes_per_s=pool.disk_write_bytes_per_s,
            disk_capacity_bytes=pool.disk_capacity_bytes,
            cpu_cores=pool.cpu_cores,
            images_at_start=(*self.pause_images, *images),
        )
        for host in {r.host for r in self.scenario.registries}:
            host = parse_image_ref(f"{host}/probe:1").registry
            links = [
                link
                for spec, link in self.shared_links
                if (not spec.node_pools or pool.name in spec.node_pools)
                and (
                    not spec.registries
                    or host in {parse_image_ref(f"{h}/p:1").registry for h in spec.registries}
                )
            ]
            if links:
                self.registries.set_route(links, node=name, registry=host)
        options = {
            "cpu": pool.cpu_cores,
            "memory": pool.allocatable_memory_bytes,
            "max_pods": pool.max_pods,
            "labels": dict(pool.labels),
        }
        return config, options

    def _workload(self, field_name: str, text: str) -> Workload:
        parts = text.split("/")
        for workload in self.workloads:
            if (
                (len(parts) == 1 and workload.name == text)
                or (len(parts) == 2 and (workload.kind, workload.name) == tuple(parts))
                or (
                    len(parts) == 3
                    and (workload.namespace, workload.kind, workload.name) == tuple(parts)
                )
            ):
                return workload
        known = ", ".join(f"{w.kind}/{w.name}" for w in self.workloads) or "none"
        raise ScenarioError(f"{field_name}: no workload {text!r} (have: {known})")

    def _arrival(self, index: int, arrival) -> None:
        where = f"arrivals[{index}]"
        cluster = self.cluster
        if isinstance(arrival, NodeJoinArrival):
            pool = next(p for p in self.scenario.node_pools if p.name == arrival.node_pool)
            cluster.join_nodes(arrival.at_s, [self._node(pool) for _ in range(arrival.count)])
            return
        workload = self._workload(f"{where}.workload", arrival.workload)
        run_seconds = self.scenario.run_seconds.get(workload.name, {})
        if isinstance(arrival, BurstArrival):
            cluster.burst(workload, arrival.at_s, arrival.count, run_seconds)
        elif isinstance(arrival, PoissonArrival):
            rng = np.random.default_rng(
                np.random.SeedSequence(self.seed, spawn_key=(STREAM_ARRIVALS, index))
            )
            cluster.poisson(
                workload, arrival.rate_per_s, arrival.start_s, arrival.count, rng, run_seconds
            )
        elif isinstance(arrival, RollingUpdateArrival):
            if workload.kind != "Deployment":
                raise ScenarioError(f"{where}.workload: a rolling update needs a Deployment")
            template = workload.pod_template
            names = {c.name for c in template.all_containers}
            for name in arrival.images:
                if name not in names:
                    raise ScenarioError(f"{where}.images: no container {name!r} in {workload.name}")
            template = replace(
                template,
                init_containers=_with_images(template.init_containers, arrival.images),
                containers=_with_images(template.containers, arrival.images),
            )
            cluster.rolling_update(
                workload,
                arrival.at_s,
                template,
                max_surge=arrival.max_surge,
                max_unavailable=arrival.max_unavailable,
                run_seconds=run_seconds,
            )


def _with_images(containers: Sequence[Container], images: dict[str, str]) -> tuple:
    return tuple(replace(c, image=images[c.name]) if c.name in images else c for c in containers)


def pd_string(text: str):
    """A one-row string column value (pandas is already imported by the results module)."""
    import pandas as pd

    return pd.array([text], dtype="string")


@contextlib.contextmanager
def _fewer_garbage_collections():
    """Run with CPython's cyclic collector triggered less often, then restore its thresholds.

    A run allocates millions of short-lived events, generators and rows on top of a large,
    long-lived world; with the default thresholds (700, 10, 10) the collector walks that world
    again and again (a 300-node rollout spent about 40 % of its time there). Collection still
    happens, every 50,000 allocations instead of 700, so memory stays bounded; results do not
    depend on it (nothing in pullsim uses finalisers)."""
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 50, 1_000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def simulate(
    scenario: Scenario,
    strategy: str | None = None,
    seed: int | None = None,
    *,
    progress: Callable[[float, float], None] | None = None,
) -> SimulationResult:
    """Run ``scenario`` under ``strategy`` (a key of ``scenario.strategies``; None: the
    scenario's own configuration) with ``seed`` (None: ``scenario.seed``).

    ``progress(now_s, horizon_s)``, when given, is called as simulated time passes (200 times
    over the horizon); it changes nothing in the results."""
    from pullsim import results  # the edge: pandas is imported only to collect

    seed = scenario.seed if seed is None else seed
    name = strategy or DEFAULT_STRATEGY
    started = time.perf_counter()
    with _fewer_garbage_collections():
        try:
            run = _Run(scenario, strategy, seed)
        except (ValueError, KeyError) as error:
            if isinstance(error, ScenarioError):
                raise
            raise ScenarioError(str(error)) from error
        error_text = None
        try:
            _run_until(run.env, scenario.horizon_s, progress)
        except Exception:  # keep what was computed (desmod): the frames and the error
            error_text = traceback.format_exc(limit=8)
        result = results.collect(run, scenario.name, name, seed)
    result.wall_s = time.perf_counter() - started
    result.error = error_text
    result.summary["wall_s"] = result.wall_s
    result.summary["error"] = pd_string(error_text or "")
    result.summary_by_strategy = results.by_strategy(result.summary, scenario.name)
    return result


_PROGRESS_STEPS = 200


def _run_until(env, horizon: float, progress: Callable[[float, float], None] | None) -> None:
    """Run to the horizon, in slices when someone watches the progress. A slice's end is an
    urgent event that touches no model state, so the results are the same either way."""
    if progress is None:
        env.run(until=horizon)
        return
    for step in range(1, _PROGRESS_STEPS + 1):
        until = horizon * step / _PROGRESS_STEPS
        if until > env.now:
            env.run(until=until)
        progress(env.now, horizon)


def compare(
    scenario: Scenario,
    strategies: Iterable[str | None] | None = None,
    seeds: Iterable[int] = (0,),
) -> SimulationResult:
    """Run every strategy on every seed (same seed, same random streams) and stack the frames;
    ``summary`` has one row per run (strategy and seed), whatever the number of seeds;
    ``summary_by_strategy`` one row per strategy with the means over its seeds (``seed == -1``,
    ``seeds`` = number of runs): use it for per-strategy answers."""
    from pullsim import results

    strategies = list(strategies) if strategies is not None else list(scenario.strategies)
    if not strategies:
        strategies = [None]
    runs = [simulate(scenario, strategy, seed) for strategy in strategies for seed in seeds]
    return results.stack(runs, scenario.name)
