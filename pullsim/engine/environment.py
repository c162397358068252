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
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import URGENT, EventPriority

__all__ = ["Environment", "WakeUp", "start_process"]


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
        """``simpy.Environment.step`` with the cancelled wake-ups dropped inline (this runs once
        per event, millions of times in a cluster run: one call instead of three)."""
        queue = self._queue
        try:
            entry = queue[0]
            event = entry[3]
            while type(event) is WakeUp and event.cancelled:
                heappop(queue)
                entry = queue[0]
                event = entry[3]
        except IndexError:
            raise EmptySchedule from None
        heappop(queue)
        self._now = entry[0]
        # As simpy's step: callbacks taken off first; a StopSimulation re-queues the rest.
        callbacks, event.callbacks = event.callbacks, None
        try:
            for callback in callbacks:
                callback(event)
        except StopSimulation:
            event.callbacks = callbacks[callbacks.index(callback) + 1 :]
            self.schedule(event, EventPriority(-1))
            raise
        if not event._ok and not hasattr(event, "_defused"):
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc

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


class _Started(simpy.Event):
    """Stands for the Initialize event a started process never needed (never scheduled)."""

    def __init__(self) -> None:  # no environment: only its _ok and _value are read
        self._ok = True
        self._value = None


_STARTED = _Started()


class _StartedProcess(simpy.Process):
    def __init__(self, env: simpy.Environment, generator) -> None:
        if not hasattr(generator, "throw"):
            raise ValueError(f"{generator} is not a generator.")
        self.env = env
        self.callbacks = []
        self._generator = generator
        caller = env.active_process
        self._resume(_STARTED)  # runs the generator up to its first yield, sets _target
        env._active_proc = caller


def start_process(env: simpy.Environment, generator) -> simpy.Process:
    """A SimPy process whose first step runs now, inside the caller, instead of at an
    Initialize event later in this instant: one event less per process (a cluster run starts
    half a million). Otherwise it is an ordinary :class:`simpy.Process` (wait for it,
    interrupt it once it has yielded); ``env.active_process`` is the caller's again after."""
    return _StartedProcess(env, generator)
