"""Running workloads: what the pods already on a node ask of its NIC, disk and CPU, and what they
get while image pulls compete with them.

Model
-----
A running workload on a node is one engine stream (:meth:`pullsim.engine.Network.stream`) with a
demanded rate on a reference resource and fixed proportions on the others: a data consumer that
receives 40 MB/s and writes half of it to disk crosses ``nic-rx`` with coefficient 1 and
``disk-write`` with coefficient 0.5. Slowed on any resource, it is slowed on all of them, as a
request that needs network and disk is. Its rate is whatever weighted max-min fairness leaves
it next to the pulls (a TCP-like share; no priority, no cgroup I/O weights).

Measures, from the exact record of its delivered rate over time:
- delivered vs demanded bytes, the deficit (demanded - delivered), the *share* (delivered /
  demanded rate) over time and its minimum, and the time spent below 90 % of demand;
- for a request-serving workload with utilisation rho (arrival rate / service capacity when
  unimpeded), the response-time inflation of an M/M/1 queue whose service rate is proportional
  to the delivered rate: mean response time ``1 / (mu - lambda)``, so with ``lambda = rho mu``
  and ``mu' = s mu`` (share ``s``) the ratio is ``(1 - rho) / (s - rho)``, unbounded when
  ``s <= rho`` (the queue grows without limit while that lasts). The queue is taken to reach its
  steady state within each interval of constant rate (quasi-static), which holds when intervals
  are long compared with response times (seconds vs milliseconds).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pullsim.engine import Network, Stream
from pullsim.model.node import Node

__all__ = [
    "RESOURCES",
    "RunningWorkload",
    "RunningWorkloadSpec",
    "response_time_inflation",
    "share_intervals",
    "summarise_intervals",
]

RESOURCES = ("nic-rx", "nic-tx", "disk-write", "cpu")
SLOW_THRESHOLD = 0.9


@dataclass(frozen=True)
class RunningWorkloadSpec:
    """What a running workload asks of one node. ``demands`` in bytes/s (cpu: cores), the first
    entry is the reference the stream's rate is counted in."""

    name: str
    demands: Mapping[str, float]
    start_s: float = 0.0
    stop_s: float | None = None
    utilisation: float | None = None
    """Request-serving workloads: utilisation rho in [0, 1) when it gets all it asks."""
    connections: int = 1
    """Connections it uses: its weight in the max-min share (a layer download counts one)."""

    def __post_init__(self) -> None:
        if not self.demands:
            raise ValueError(f"running workload {self.name}: demands must not be empty")
        for resource, rate in self.demands.items():
            if resource not in RESOURCES:
                raise ValueError(
                    f"running workload {self.name}: unknown resource {resource!r} "
                    f"(expected one of {', '.join(RESOURCES)})"
                )
            if not rate > 0:
                raise ValueError(f"running workload {self.name}: demand on {resource} must be > 0")
        if self.utilisation is not None and not 0 <= self.utilisation < 1:
            raise ValueError(f"running workload {self.name}: utilisation must be in [0, 1)")
        if self.connections < 1:
            raise ValueError(f"running workload {self.name}: connections must be >= 1")


def _link(node: Node, resource: str):
    return {
        "nic-rx": node.nic_receive,
        "nic-tx": node.nic_transmit,
        "disk-write": node.disk_write,
        "cpu": node.cpu,
    }[resource]


@dataclass
class RunningWorkload:
    """One workload on one node, running from ``spec.start_s`` until ``spec.stop_s``."""

    spec: RunningWorkloadSpec
    node: str
    label: str
    stream: Stream | None = None
    demand: float = 0.0
    started_s: float | None = None
    stopped_s: float | None = None
    rate_changes: list[tuple[float, float]] = field(default_factory=list)

    def start(self, network: Network, node: Node) -> None:
        resources = list(self.spec.demands)
        reference = self.spec.demands[resources[0]]
        path = [(_link(node, r), self.spec.demands[r] / reference) for r in resources]
        self.demand = reference
        self.stream = network.stream(
            path, reference, weight=self.spec.connections, label=self.label
        )
        self.started_s = network.env.now

    def stop(self, now: float) -> None:
        if self.stream is not None and self.stream.active:
            self.stream.stop()
            self.stopped_s = now


def response_time_inflation(share: float, utilisation: float) -> float:
    """M/M/1 mean response time at share ``s`` over that at full rate: (1-rho)/(s-rho)."""
    if share <= utilisation:
        return math.inf
    return (1.0 - utilisation) / (share - utilisation)


def share_intervals(
    changes: Sequence[tuple[float, float]], demand: float, start_s: float, end_s: float
) -> list[tuple[float, float, float]]:
    """(start, end, delivered rate) intervals from the stream's rate changes (time, rate)."""
    intervals: list[tuple[float, float, float]] = []
    rate = 0.0
    time = start_s
    for change_s, new_rate in changes:
        if change_s > time and change_s <= end_s:
            intervals.append((time, change_s, rate))
            time = change_s
        if change_s <= end_s:
            rate = new_rate
    if end_s > time:
        intervals.append((time, end_s, rate))
    merged: list[tuple[float, float, float]] = []
    for interval in intervals:
        if merged and merged[-1][2] == interval[2]:
            merged[-1] = (merged[-1][0], interval[1], interval[2])
        else:
            merged.append(interval)
    return merged


def summarise_intervals(
    intervals: Iterable[tuple[float, float, float]], demand: float, utilisation: float | None
) -> dict[str, Any]:
    """Demanded/delivered/deficit bytes, min and mean share, time below 90 %, inflation."""
    demanded = delivered = below = unstable = running = weighted = 0.0
    min_share = 1.0
    peak = 1.0
    for start, end, rate in intervals:
        duration = end - start
        share = min(1.0, rate / demand)
        running += duration
        demanded += demand * duration
        delivered += rate * duration
        min_share = min(min_share, share)
        if share < SLOW_THRESHOLD - 1e-12:
            below += duration
        if utilisation is not None:
            inflation = response_time_inflation(share, utilisation)
            peak = max(peak, inflation)
            if math.isinf(inflation):
                unstable += duration
            else:
                weighted += inflation * duration
    mean_inflation = math.nan
    if utilisation is not None and running > 0:
        mean_inflation = math.inf if unstable > 0 else weighted / running
    return {
        "running_s": running,
        "demanded_bytes": demanded,
        "delivered_bytes": delivered,
        "deficit_bytes": max(0.0, demanded - delivered),
        "mean_share": delivered / demanded if demanded > 0 else 1.0,
        "min_share": min_share,
        "below_90_percent_s": below,
        "mean_response_time_inflation": mean_inflation,
        "peak_response_time_inflation": peak if utilisation is not None else math.nan,
        "unstable_s": unstable if utilisation is not None else math.nan,
    }
