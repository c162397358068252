"""A cluster: nodes with their runtime and kubelet, the scheduler, pods and their controllers.

Pods are created from workloads (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, bare Pod)
at the times the arrivals say; ServiceAccount admission runs at creation
(:func:`pullsim.kube.admit_pod`; a rejection is a ``FailedCreate`` event of the workload, as the
ReplicaSet controller reports it). The scheduler binds each pod at once when a node fits;
otherwise it stays pending (``FailedScheduling``) and is retried whenever a node joins or a pod
is deleted. A DaemonSet gets one pod per node matching its selector, bound directly, also on
nodes that join later.

Arrivals (:meth:`Cluster.burst`, :meth:`poisson`, :meth:`rolling_update`, :meth:`join_nodes`):
- a burst: ``count`` pods at once;
- a Poisson stream: exponential gaps from a seeded numpy stream;
- a rolling update of a Deployment to a new template in waves, as the Deployment controller
  does it (``pkg/controller/deployment/rolling.go``): new pods while the total stays within
  ``replicas + maxSurge``; old pods deleted while the available ones (ready) stay at least
  ``replicas - maxUnavailable``; surge rounds up and unavailability down
  (``intstr.GetScaledValueFromIntOrPercent``); repeated whenever a new pod becomes ready;
- nodes joining: their DaemonSet pods are created and pending pods scheduled at that instant.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import fields, replace
from typing import Any

import numpy as np
import simpy

from pullsim.engine import Network
from pullsim.kube import (
    Keyring,
    KubeletConfiguration,
    PodSpec,
    Secret,
    ServiceAccount,
    ServiceAccountAdmissionError,
    Workload,
    admit_pod,
)
from pullsim.model.kubelet import Kubelet, PodTimings
from pullsim.model.node import Node, NodeConfig
from pullsim.model.pod import Pod
from pullsim.model.records import Records
from pullsim.model.registry import RegistryDirectory
from pullsim.model.runtime import CONTAINERD_2, ContainerRuntime, RuntimeProfile
from pullsim.model.scheduler import Scheduler
from pullsim.model.workloads import RunningWorkload, RunningWorkloadSpec

__all__ = ["Cluster", "ClusterNode", "scaled_value"]

# The PodSpec fields a pod copies from its admitted template, all but its name.
POD_SPEC_FIELDS = tuple(field for field in fields(PodSpec) if field.init and field.name != "name")


def scaled_value(value: int | str, total: int, *, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent: ``"25%"`` of total, rounded up or down."""
    if isinstance(value, int):
        return value
    text = value.strip()
    if not text.endswith("%"):
        return int(text)
    amount = float(text[:-1]) * total / 100.0
    return math.ceil(amount - 1e-9) if round_up else math.floor(amount + 1e-9)


class ClusterNode:
    """A node's parts: resources (``node``), container runtime and kubelet."""

    def __init__(self, node: Node, runtime: ContainerRuntime, kubelet: Kubelet) -> None:
        self.node = node
        self.runtime = runtime
        self.kubelet = kubelet
        self.name = node.name


class Cluster:
    """Owns the nodes, pods and controllers of one run."""

    def __init__(
        self,
        env: simpy.Environment,
        network: Network,
        registries: RegistryDirectory,
        records: Records,
        *,
        kubelet_config: KubeletConfiguration,
        runtime_profile: RuntimeProfile = CONTAINERD_2,
        timings: PodTimings | None = None,
        scheduler: Scheduler | None = None,
        secrets: Iterable[Secret] = (),
        service_accounts: Iterable[ServiceAccount] = (),
        node_keyring: Keyring | None = None,
        seed: int = 0,
        pod_stream_key: int = 1,
    ) -> None:
        self.env = env
        self.network = network
        self.registries = registries
        self.records = records
        self.kubelet_config = kubelet_config
        self.runtime_profile = runtime_profile
        self.timings = timings or PodTimings()
        self.scheduler = scheduler or Scheduler()
        self.secrets = tuple(secrets)
        self.service_accounts = tuple(service_accounts)
        self.node_keyring = node_keyring
        self.seed = seed
        self.pod_stream_key = pod_stream_key
        self.nodes: dict[str, ClusterNode] = {}
        self.pods: list[Pod] = []
        self.pending: list[Pod] = []
        self.daemon_sets: list[tuple[Workload, Mapping[str, float]]] = []
        self.kubelet_pulls: list[dict[str, Any]] = []
        self.running_workloads: list[RunningWorkload] = []
        self._running_specs: list[tuple[RunningWorkloadSpec, Callable[[str], bool]]] = []
        self._names: dict[str, int] = {}
        # id(template) -> (template, service accounts, admitted fields but the name)
        self._admitted: dict[int, tuple[PodSpec, tuple[ServiceAccount, ...], dict[str, Any]]] = {}

    # ------------------------------------------------------------------ nodes
    def add_node(
        self,
        config: NodeConfig,
        *,
        cpu: float,
        memory: float,
        max_pods: int = 110,
        labels: Mapping[str, str] | None = None,
    ) -> ClusterNode:
        node = Node(self.network, config)
        runtime = ContainerRuntime(
            self.env,
            self.network,
            node,
            self.registries,
            profile=self.runtime_profile,
            records=self.records,
        )
        kubelet = Kubelet(
            self.env,
            runtime,
            self.kubelet_config,
            secrets=self.secrets,
            node_keyring=self.node_keyring,
            timings=self.timings,
            events=self.records.events,
            pulls=self.kubelet_pulls,
            rng_for_pod=self._rng_for_pod,
            on_image_pulled=self.scheduler.image_present,
        )
        member = ClusterNode(node, runtime, kubelet)
        self.nodes[config.name] = member
        self.scheduler.add_node(config.name, cpu=cpu, memory=memory, max_pods=max_pods,
                                labels=labels)  # fmt: skip
        for image in config.images_at_start:
            self.scheduler.image_present(config.name, image.reference)
        for workload, run_seconds in self.daemon_sets:
            self._daemon_pod(workload, run_seconds, member)
        for spec, matches in self._running_specs:
            if matches(config.name):
                self._start_running(spec, member)
        return member

    def join_nodes(
        self, at_s: float, nodes: list[tuple[NodeConfig, dict[str, Any]]]
    ) -> simpy.Process:
        """Nodes join at ``at_s``: DaemonSet pods land on them and pending pods are retried."""

        def joining() -> Generator[simpy.Event, Any, None]:
            yield self.env.timeout(max(0.0, at_s - self.env.now))
            for config, options in nodes:
                self.add_node(config, **options)
            self.schedule_pending()

        return self.env.process(joining())

    # ------------------------------------------------------------------ running workloads
    def add_running_workload(
        self, spec: RunningWorkloadSpec, matches: Callable[[str], bool]
    ) -> None:
        """Run ``spec`` on every node whose name ``matches`` (now and joining later)."""
        self._running_specs.append((spec, matches))
        for member in self.nodes.values():
            if matches(member.name):
                self._start_running(spec, member)

    def _start_running(self, spec: RunningWorkloadSpec, member: ClusterNode) -> None:
        running = RunningWorkload(spec, member.name, f"workload:{spec.name}@{member.name}")
        self.running_workloads.append(running)

        def lifetime() -> Generator[simpy.Event, Any, None]:
            if spec.start_s > self.env.now:
                yield self.env.timeout(spec.start_s - self.env.now)
            running.start(self.network, member.node)
            if spec.stop_s is not None:
                yield self.env.timeout(max(0.0, spec.stop_s - self.env.now))
                running.stop(self.env.now)

        self.env.process(lifetime())

    # ------------------------------------------------------------------ pods
    def _rng_for_pod(self, pod: Pod) -> np.random.Generator:
        # One stream per pod, keyed by its creation number: strategies compared on the same
        # seed draw the same jitters for the same pod (common random numbers).
        sequence = int(pod.uid.rsplit("-", 1)[1])
        return np.random.default_rng(
            np.random.SeedSequence(self.seed, spawn_key=(self.pod_stream_key, sequence))
        )

    def _pod_name(self, workload: Workload, node: str | None = None) -> str:
        if workload.kind == "Pod":
            return workload.name
        if workload.kind == "DaemonSet" and node is not None:
            return f"{workload.name}-{node}"
        number = self._names.get(workload.name, 0)
        self._names[workload.name] = number + 1
        return f"{workload.name}-{number}"

    def create_pod(
        self,
        workload: Workload,
        *,
        template: PodSpec | None = None,
        revision: int = 0,
        run_seconds: Mapping[str, float] | None = None,
        node: str | None = None,
    ) -> Pod | None:
        """Create, admit and schedule one pod of ``workload`` now (None when admission fails)."""
        template = template or workload.pod_template
        name = self._pod_name(workload, node)
        # Admission depends on the template and the ServiceAccounts, not on the pod's name:
        # admitted once per template, each pod is the admitted template renamed.
        admitted = self._admitted.get(id(template))
        if (
            admitted is not None
            and admitted[0] is template
            and admitted[1] is self.service_accounts
        ):
            spec = PodSpec(**admitted[2], name=name)
        else:
            spec = self._admit(workload, template, name)
            if spec is None:
                return None
        if node is not None:
            spec = replace(spec, node_name=node)
        pod = Pod(
            uid=f"uid-{len(self.pods):07d}",
            name=name,
            spec=spec,
            workload_kind=workload.kind,
            workload=workload.name,
            created_s=self.env.now,
            revision=revision,
            run_seconds=dict(run_seconds or {}),
        )
        self.pods.append(pod)
        if not self._place(pod):
            self.pending.append(pod)
            self.records.events.append(
                {
                    "time_s": self.env.now,
                    "node": "",
                    "object": f"pod/{pod.namespace}/{pod.name}",
                    "container": "",
                    "type": "Warning",
                    "reason": "FailedScheduling",
                    "message": f"0/{len(self.nodes)} nodes are available.",
                }
            )
        return pod

    def _admit(self, workload: Workload, template: PodSpec, name: str) -> PodSpec | None:
        """ServiceAccount admission of a pod of ``template`` named ``name``; a rejection is a
        FailedCreate event of the workload (None)."""
        try:
            spec = admit_pod(replace(template, name=name), self.service_accounts)
        except ServiceAccountAdmissionError as error:
            self.records.events.append(
                {
                    "time_s": self.env.now,
                    "node": "",
                    "object": f"{workload.kind.lower()}/{workload.namespace}/{workload.name}",
                    "container": "",
                    "type": "Warning",
                    "reason": "FailedCreate",
                    "message": f"Error creating: {error}",
                }
            )
            return None
        values = {field.name: getattr(spec, field.name) for field in POD_SPEC_FIELDS}
        self._admitted[id(template)] = (template, self.service_accounts, values)
        return spec

    def _place(self, pod: Pod) -> bool:
        if pod.spec.node_name:
            if pod.spec.node_name not in self.nodes:
                return False
            node = pod.spec.node_name
            self.scheduler.bind(pod.spec, node)
        else:
            node = self.scheduler.schedule(pod.spec)
            if node is None:
                return False
        pod.node = node
        pod.scheduled_s = self.env.now
        self.nodes[node].kubelet.add_pod(pod)
        return True

    def schedule_pending(self) -> None:
        still: list[Pod] = []
        for pod in self.pending:
            if pod.deleted_s is None and not self._place(pod):
                still.append(pod)
        self.pending = still

    def delete_pod(self, pod: Pod) -> None:
        if pod.deleted_s is not None:
            return
        pod.deleted_s = self.env.now
        if pod.node is not None:
            self.nodes[pod.node].kubelet.remove_pod(pod)
            self.scheduler.unbind(pod.spec, pod.node)
            if self.pending:
                self.schedule_pending()

    def _daemon_pod(
        self, workload: Workload, run_seconds: Mapping[str, float], member: ClusterNode
    ) -> None:
        selector = workload.pod_template.node_selector
        labels = self.scheduler.labels[self.scheduler.index[member.name]]
        if all(labels.get(key) == value for key, value in selector.items()):
            self.create_pod(workload, run_seconds=run_seconds, node=member.name)

    # ------------------------------------------------------------------ arrivals
    def burst(
        self,
        workload: Workload,
        at_s: float,
        count: int | None = None,
        run_seconds: Mapping[str, float] | None = None,
    ) -> simpy.Process:
        """``count`` pods (default: the workload's replicas; a DaemonSet: one per node)."""
        run_seconds = dict(run_seconds or {})

        def creating() -> Generator[simpy.Event, Any, None]:
            yield self.env.timeout(max(0.0, at_s - self.env.now))
            if workload.kind == "DaemonSet":
                self.daemon_sets.append((workload, run_seconds))
                for member in list(self.nodes.values()):
                    self._daemon_pod(workload, run_seconds, member)
                return
            for _ in range(count if count is not None else (workload.replicas or 1)):
                self.create_pod(workload, run_seconds=run_seconds)

        return self.env.process(creating())

    def poisson(
        self,
        workload: Workload,
        rate_per_s: float,
        start_s: float,
        count: int,
        rng: np.random.Generator,
        run_seconds: Mapping[str, float] | None = None,
    ) -> simpy.Process:
        """``count`` pods with exponential gaps of mean ``1 / rate_per_s`` from ``start_s``."""
        gaps = rng.exponential(1.0 / rate_per_s, size=count)  # drawn up front: same for all

        def creating() -> Generator[simpy.Event, Any, None]:
            yield self.env.timeout(max(0.0, start_s - self.env.now))
            for gap in gaps:
                yield self.env.timeout(float(gap))
                self.create_pod(workload, run_seconds=run_seconds)

        return self.env.process(creating())

    def rolling_update(
        self,
        workload: Workload,
        at_s: float,
        template: PodSpec,
        *,
        max_surge: int | str = "25%",
        max_unavailable: int | str = "25%",
        run_seconds: Mapping[str, float] | None = None,
    ) -> simpy.Process:
        """Replace the workload's pods by pods of ``template`` in waves."""

        def rolling() -> Generator[simpy.Event, Any, None]:
            yield self.env.timeout(max(0.0, at_s - self.env.now))
            replicas = workload.replicas or 1
            surge = scaled_value(max_surge, replicas, round_up=True)
            unavailable = scaled_value(max_unavailable, replicas, round_up=False)
            if surge == 0 and unavailable == 0:
                unavailable = 1  # validation forbids both 0; upstream would refuse the update
            revision = 1 + max(
                (p.revision for p in self.pods if p.workload == workload.name), default=0
            )
            old = [
                p
                for p in self.pods
                if p.workload == workload.name and p.revision < revision and p.deleted_s is None
            ]
            new: list[Pod] = []
            while True:
                old = [p for p in old if p.deleted_s is None]
                new_ready = sum(1 for p in new if p.ready_s is not None)
                if new_ready >= replicas and not old:
                    return
                total = len(old) + len(new)
                for _ in range(max(0, min(replicas - len(new), replicas + surge - total))):
                    pod = self.create_pod(
                        workload, template=template, revision=revision, run_seconds=run_seconds
                    )
                    if pod is None:
                        return  # admission refuses the template: the rollout is stuck
                    new.append(pod)
                available = new_ready + sum(1 for p in old if p.ready_s is not None)
                can_delete = available - (replicas - unavailable)
                # Not-ready old pods first (cleanupUnhealthyReplicas), then ready ones.
                unready = [p for p in old if p.ready_s is None]
                for pod in unready:
                    self.delete_pod(pod)
                for pod in [p for p in old if p.ready_s is not None][: max(0, can_delete)]:
                    self.delete_pod(pod)
                if any(p.deleted_s is not None for p in old):
                    continue  # deletions free room for more new pods at once
                waiting = [p.ready_event(self.env) for p in new if p.ready_s is None]
                if not waiting:
                    return
                yield self.env.any_of(waiting)

        return self.env.process(rolling())
