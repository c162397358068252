"""A SimPy environment whose cancelled wake-ups never move the clock.

SimPy cannot take an event back out of its queue. The network plans a wake-up for the next
completion and plans again whenever rates change; the superseded timeout would still be popped
later and move ``env.now`` past the last real event (a run would "end" at a completion that never
happened). This environment drops cancelled wake-ups when they reach the head of the queue,
without advancing the clock: lazy deletion, no heap surgery.
"""

from __future__ import annotations

from heapq import heappop, heappush

import simpy
from simpy.events import URGENT

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

    def urgent_at(self, time: float) -> simpy.Event:
        """An event that fires at the absolute ``time`` before the ordinary events of that
        instant (a clock tick that must see the state as it was when the instant began).

        The time is taken as given, not as ``now + (time - now)``, so a series of ticks
        accumulated as ``tick += interval`` lands on exactly the same floats however it is
        scheduled."""
        if time < self._now:
            raise ValueError(f"urgent_at({time!r}) is in the past (now is {self._now!r})")
        event = simpy.Event(self)
        event._ok = True
        event._value = None
        heappush(self._queue, (time, URGENT, next(self._eid), event))
        return event
