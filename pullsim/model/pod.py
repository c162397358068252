"""A pod in the simulated cluster: its admitted spec, where it runs and how far it got.

The pod is created from a workload's template (or a bare Pod), admitted by ServiceAccount
admission (:func:`pullsim.kube.admit_pod`), placed by :mod:`pullsim.model.scheduler` and
synced by its node's kubelet (:mod:`pullsim.model.kubelet`). Everything here is state plus
the row it becomes in ``SimulationResult.pods``; the logic lives in those modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import simpy

from pullsim.kube import PodSpec

__all__ = ["ContainerState", "Pod"]


@dataclass
class ContainerState:
    """One container's progress: start and finish times, and its last waiting reason."""

    started_s: float | None = None
    finished_s: float | None = None
    """Regular init containers: when they exited successfully."""
    ready_s: float | None = None
    """Sidecars: when their startup probe succeeded (== started without a probe)."""
    reason: str = ""
    message: str = ""


@dataclass
class Pod:
    uid: str
    name: str
    spec: PodSpec
    workload_kind: str
    workload: str
    created_s: float
    revision: int = 0
    """Rolling updates: 0 for the first template, then 1, 2, ..."""
    run_seconds: Mapping[str, float] = field(default_factory=dict)
    """Container name -> run time of a regular init container (0 when absent)."""
    requests: Mapping[str, float] = field(default_factory=dict)
    node: str | None = None
    scheduled_s: float | None = None
    sandbox_ready_s: float | None = None
    ready_s: float | None = None
    deleted_s: float | None = None
    containers: dict[str, ContainerState] = field(default_factory=dict)
    syncs: int = 0
    process: Any = None
    _ready_event: simpy.Event | None = field(default=None, repr=False, compare=False)

    def ready_event(self, env: simpy.Environment) -> simpy.Event:
        """An event that fires (value: the pod) when the pod becomes ready; made only when
        someone waits (a rolling update does, a burst of 150,000 pods does not)."""
        if self._ready_event is None:
            self._ready_event = env.event()
            if self.ready_s is not None:
                self._ready_event.succeed(self)
        return self._ready_event

    def mark_ready(self, now: float) -> None:
        self.ready_s = now
        if self._ready_event is not None and not self._ready_event.triggered:
            self._ready_event.succeed(self)

    @property
    def namespace(self) -> str:
        return self.spec.namespace

    @property
    def images(self) -> tuple[str, ...]:
        return self.spec.images

    def state(self, container: str) -> ContainerState:
        found = self.containers.get(container)
        if found is None:
            found = self.containers[container] = ContainerState()
        return found

    @property
    def final_reason(self) -> str:
        """``Deleted`` once deleted (ready before or not), ``Running`` once ready, ``Pending``
        before a node runs it, else the waiting reason of the first container not started
        (``ErrImagePull`` ...)."""
        if self.deleted_s is not None:
            return "Deleted"
        if self.ready_s is not None:
            return "Running"
        if self.node is None:
            return "Pending"
        for container in self.spec.all_containers:
            state = self.containers.get(container.name)
            if state is None or state.started_s is None:
                if state is not None and state.reason:
                    return state.reason
                return "ContainerCreating" if self.sandbox_ready_s is None else "PodInitializing"
        return "ContainerCreating"
