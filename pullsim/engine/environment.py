"""A SimPy environment whose cancelled wake-ups never move the clock.

SimPy cannot take an event back out of its queue. The network plans a wake-up for the next
completion and plans again whenever rates change; the superseded timeout would still be popped
later and move ``env.now`` past the last real event (a run would "end" at a completion that never
happened). This environment drops cancelled wake-ups when they reach the head of the queue,
without advancing the clock: lazy deletion, no heap surgery.
"""

from __future__ import annotations

from heapq import heappop

import simpy

__all__ = ["Environment", "WakeUp"]


class WakeUp(simpy.Timeout):
    """A timeout that can be cancelled before it fires."""

    cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Environment(simpy.Environment):
    """``simpy.Environment`` that skips cancelled :class:`WakeUp` events."""

    def _drop_cancelled(self) -> None:
        queue = self._queue
        while queue and type(queue[0][3]) is WakeUp and queue[0][3].cancelled:
            heappop(queue)

    def peek(self) -> float:
        self._drop_cancelled()
        return super().peek()

    def step(self) -> None:
        self._drop_cancelled()
        super().step()
