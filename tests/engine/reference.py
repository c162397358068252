"""A slow, plain reference for the engine's bandwidth sharing, sharing no code with pullsim.

Two things, both written to be read rather than to be fast:

- :func:`reference_rates`: weighted max-min fair rates with caps and coefficients by *sequential
  progressive filling*. Every unfrozen flow runs at ``weight x level``; raise the common level until
  a link saturates or a flow reaches its cap; freeze the flows that stopped; repeat.
- :func:`reference_finish_times`: an event-driven fluid simulation on top of it. Between events the
  rates are constant; the next event is the earliest of a flow finishing at the current rates, an
  arrival, a stop or a capacity change; remaining bytes are advanced, and so on.

Plain Python floats throughout; numbers you can check on paper are in ``test_reference.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

# Two levels (or times) within this relative distance are the same event.
TIE = 1e-12


@dataclass(frozen=True)
class Flow:
    """A flow's path ``{link name: coefficient}``, weight and cap (``inf`` for none)."""

    links: dict[str, float]
    weight: float = 1.0
    cap: float = math.inf


@dataclass(frozen=True)
class TimedFlow:
    """A flow that starts at ``start`` and moves ``size`` bytes (``inf`` for a stream).

    A stream (``size = inf``, ``cap`` = its demand) ends at ``stop``; a transfer still running
    at ``stop`` is cancelled then.
    """

    flow: Flow
    start: float = 0.0
    size: float = math.inf
    stop: float = math.inf


@dataclass
class Outcome:
    """Per flow: when it ended (``inf`` if not before the horizon) and the bytes it moved."""

    finish: list[float] = field(default_factory=list)
    delivered: list[float] = field(default_factory=list)


def reference_rates(capacities: dict[str, float], flows: Sequence[Flow]) -> list[float]:
    """Weighted max-min fair rates with caps, by progressive filling of a common level."""
    rates = [0.0] * len(flows)
    frozen = [False] * len(flows)
    while not all(frozen):
        # The level at which each link saturates if every unfrozen flow runs at weight x level.
        candidates: list[tuple[float, str | int]] = []
        for name, capacity in capacities.items():
            frozen_load = 0.0
            rising_demand = 0.0
            for index, flow in enumerate(flows):
                coefficient = flow.links.get(name, 0.0)
                if frozen[index]:
                    frozen_load += coefficient * rates[index]
                else:
                    rising_demand += coefficient * flow.weight
            if rising_demand > 0:
                left = max(capacity - frozen_load, 0.0)
                candidates.append((left / rising_demand, name))
        # The level at which each unfrozen flow reaches its cap.
        for index, flow in enumerate(flows):
            if not frozen[index] and math.isfinite(flow.cap):
                candidates.append((flow.cap / flow.weight, index))
        if not candidates:
            raise ValueError("a flow crosses no link and has no cap: its rate is unbounded")
        level = min(value for value, _ in candidates)
        stopping = [what for value, what in candidates if value <= level * (1 + TIE)]
        # Freeze every flow that reached its cap or crosses a link that saturated.
        for index, flow in enumerate(flows):
            if frozen[index]:
                continue
            at_cap = index in stopping
            on_saturated = any(name in stopping for name in flow.links)
            if at_cap or on_saturated:
                rates[index] = min(flow.weight * level, flow.cap)
                frozen[index] = True
    return rates


def reference_run(
    capacities: dict[str, float],
    flows: Sequence[TimedFlow],
    capacity_changes: Sequence[tuple[float, str, float]] = (),
    horizon: float = math.inf,
) -> Outcome:
    """Fluid simulation: finish (or stop) time and bytes moved per flow."""
    capacities = dict(capacities)
    changes = sorted(capacity_changes, key=lambda change: change[0])
    count = len(flows)
    finish = [math.inf] * count
    delivered = [0.0] * count
    started = [False] * count
    ended = [False] * count
    now = 0.0
    while True:
        # Apply everything due now: capacity changes, arrivals, stops, empty transfers.
        while changes and changes[0][0] <= now:
            _, name, capacity = changes.pop(0)
            capacities[name] = capacity
        for index, timed in enumerate(flows):
            if not started[index] and timed.start <= now:
                started[index] = True
            due = timed.stop <= now or timed.size == 0
            if started[index] and not ended[index] and due:
                ended[index] = True
                finish[index] = now
        active = [index for index in range(count) if started[index] and not ended[index]]
        rates = reference_rates(capacities, [flows[index].flow for index in active])

        # The next event: a finish at the current rates, an arrival, a stop or a change.
        upcoming = [math.inf]
        upcoming += [timed.start for index, timed in enumerate(flows) if not started[index]]
        upcoming += [flows[index].stop for index in active]
        upcoming += [change[0] for change in changes]
        for index, rate in zip(active, rates, strict=True):
            left = flows[index].size - delivered[index]
            if rate > 0 and math.isfinite(left):
                upcoming.append(now + left / rate)
        following = min(upcoming)
        if following > horizon or math.isinf(following):
            if math.isfinite(horizon):
                for index, rate in zip(active, rates, strict=True):
                    delivered[index] += rate * (horizon - now)
            break

        # Move bytes at constant rates up to the next event; flows due then are done.
        elapsed = following - now
        for index, rate in zip(active, rates, strict=True):
            delivered[index] += rate * elapsed
            size = flows[index].size
            left = size - delivered[index]
            if rate > 0 and math.isfinite(size) and left <= rate * TIE * max(1.0, following):
                delivered[index] = size
                ended[index] = True
                finish[index] = following
        now = following
    return Outcome(finish=finish, delivered=delivered)


def reference_finish_times(
    capacities: dict[str, float],
    flows: Sequence[TimedFlow],
    capacity_changes: Sequence[tuple[float, str, float]] = (),
    horizon: float = math.inf,
) -> list[float]:
    """Finish time per flow (``inf`` if it does not finish by ``horizon``)."""
    return reference_run(capacities, flows, capacity_changes, horizon).finish
