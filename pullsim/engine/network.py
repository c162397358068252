"""Fluid, flow-level sharing of capacity on SimPy: links, transfers, streams.

Model
-----
A :class:`Link` is any shared capacity in bytes/s (registry egress, a NAT gateway, a NIC's receive
side, a disk's write bandwidth, CPU decompression). A flow crosses one or more links, each with a
coefficient (one byte of the flow uses ``coefficient`` bytes of that link), may carry a rate cap of
its own (a TCP connection, one core) and a weight, and is either a :class:`Transfer` (a size; its
SimPy event fires when the last byte arrives) or a :class:`Stream` (a demanded rate, running until
stopped: what a running workload asks for and gets). Rates are weighted max-min fair with caps
(:mod:`pullsim.engine.maxmin`), recomputed once per instant at which anything changed; completion
times are exact, there are no time steps.

How it stays fast
-----------------
- Flows with the same links, coefficients, weight, cap and label form one *class* with a count;
  they always share one rate.
- Every active class is bound either to a saturated link, its *owner* (rate = weight x the owner's
  *level*), or to its cap (rate = cap: the cap group). A class's progress per flow is
  ``slope x clock + offset`` where an owner's clock integrates its level over time and the cap
  group's clock is real time. A change of level moves one clock, not every flow (Ciw's
  charge-then-reproject for processor sharing, done per bottleneck). Finish times sit in one heap
  per group, in clock units, and a global heap holds each group's next finish.
- When only flow counts or capacities change, the bottleneck structure usually survives: new
  levels follow from per-link sums, propagated along owners whose classes cross other owners.
  Every max-min condition is a linear inequality in the levels (a link's load within capacity, a
  class's share no larger than the level of an owner it crosses, a level within its classes' caps);
  each inequality's slack is split among the owners it involves as a threshold in that owner's
  heap, so a level change looks only at thresholds it crosses, and each crossing re-checks its
  inequality exactly. Only when an inequality fails, a new class appears or a bottleneck empties is
  the full water-filling solved again. Either way the result is the unique max-min allocation.
- Wake-ups are SimPy timeouts tagged with a generation number; a stale one is ignored when it
  fires, and stale heap entries are skipped by version, never searched for.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import simpy

from pullsim.engine.environment import Environment, WakeUp
from pullsim.engine.recording import Recorder
from pullsim.engine.structure import CAP_GROUP, BottleneckStructure, StructureChanged

__all__ = ["Link", "Network", "Stream", "Transfer", "TransferCancelled"]

# A flow finishes at a wake-up when its remaining time is within this fraction of the clock,
# or, when none is, within the looser rounding tolerance.
_TIME_TOLERANCE = 1e-12
_ROUNDING_TOLERANCE = 1e-9


class TransferCancelled(Exception):
    """Raised in a process waiting on a transfer that was cancelled before it finished."""


@dataclass(frozen=True, eq=False)
class Link:
    """A shared capacity in bytes/s; create with :meth:`Network.add_link`."""

    network: Network
    index: int
    name: str
    kind: str

    @property
    def capacity(self) -> float:
        return self.network._capacity[self.index]

    def set_capacity(self, capacity: float) -> None:
        """Change the capacity now (0 is an outage: its flows stall until it returns)."""
        self.network._set_capacity(self.index, capacity)

    @property
    def usage(self) -> float:
        """Bytes/s the link carries now, at the rates of the last computation."""
        return self.network._link_usage(self.index)

    def __repr__(self) -> str:
        return f"Link({self.name!r}, capacity={self.capacity:.6g})"


class _Flow:
    """State common to transfers and streams: its class and where its progress started."""

    def __init__(self, network: Network, flow_id: int, class_index: int, label: str) -> None:
        self.network = network
        self.id = flow_id
        self.class_index = class_index
        self.label = label
        self.started_at = network.env.now
        self.finished_at: float | None = None
        self._start_progress = network._progress(class_index)
        self._delivered_at_end: float | None = None

    @property
    def active(self) -> bool:
        return self.finished_at is None

    @property
    def rate(self) -> float:
        """Bytes/s this flow gets now (0 once it has ended)."""
        return self.network._class_rate(self.class_index) if self.active else 0.0

    @property
    def delivered(self) -> float:
        """Bytes moved so far."""
        if self._delivered_at_end is not None:
            return self._delivered_at_end
        return max(0.0, self.network._progress(self.class_index) - self._start_progress)


class Transfer(_Flow, simpy.Event):
    """A flow of a given size; as a SimPy event it fires, with itself as value, when done."""

    def __init__(
        self, network: Network, flow_id: int, class_index: int, label: str, size: float
    ) -> None:
        simpy.Event.__init__(self, network.env)
        _Flow.__init__(self, network, flow_id, class_index, label)
        self.size = float(size)
        self.target = self._start_progress + self.size

    @property
    def remaining(self) -> float:
        return max(0.0, self.size - self.delivered) if self.active else 0.0

    def cancel(self) -> None:
        """Stop the transfer now; a process waiting on it gets :class:`TransferCancelled`."""
        if self.active:
            self.network._end_flow(self, "cancelled")
            self.defused = True
            self.fail(TransferCancelled(f"transfer {self.id} ({self.label}) cancelled"))

    def __repr__(self) -> str:
        state = "active" if self.active else f"ended at {self.finished_at:.6g}"
        return f"Transfer(id={self.id}, label={self.label!r}, size={self.size:.6g}, {state})"


class Stream(_Flow):
    """A flow with a demanded rate and no size, running until :meth:`stop`."""

    def __init__(
        self, network: Network, flow_id: int, class_index: int, label: str, demand: float
    ) -> None:
        super().__init__(network, flow_id, class_index, label)
        self.demand = float(demand)

    @property
    def demanded(self) -> float:
        """Bytes it asked for so far (demand x time running)."""
        end = self.finished_at if self.finished_at is not None else self.network.env.now
        return self.demand * (end - self.started_at)

    def stop(self) -> None:
        if self.active:
            self.network._end_flow(self, "stopped")

    def __repr__(self) -> str:
        return f"Stream(id={self.id}, label={self.label!r}, demand={self.demand:.6g})"


PathSpec = Iterable["Link | tuple[Link, float]"]


class Network(BottleneckStructure):
    """Owns the links and flows of one run and keeps their rates max-min fair.

    ``resolution`` is the width in seconds of the utilisation buckets the recorder fills with
    exact byte counts; ``record=False`` turns link recording off. ``verify=True`` compares the
    rates after every incremental update with a full water-filling and raises
    :class:`AssertionError` on a difference (slow: for tests and debugging).
    """

    def __init__(
        self,
        env: Environment,
        *,
        resolution: float = 1.0,
        record: bool = True,
        verify: bool = False,
    ) -> None:
        if not isinstance(env, Environment):
            raise TypeError(
                "Network needs a pullsim.engine.Environment (a simpy.Environment whose "
                "superseded wake-ups do not move the clock), got "
                f"{type(env).__module__}.{type(env).__name__}"
            )
        self.env = env
        self.verify = verify
        self.links: list[Link] = []
        self._link_names: dict[str, Link] = {}
        self._capacity: list[float] = []
        # Classes (index k). Lists for the scalar-heavy fast path; arrays are built for solves.
        self._class_of: dict[tuple, int] = {}
        # The same classes by the path as the caller wrote it (a list or tuple of links and
        # (link, coefficient) pairs), cap, weight, label, kind: a runtime asks for the same few
        # paths again and again, and this skips their checks and normalisation.
        self._class_of_path: dict[tuple, int] = {}
        self._class_entries: list[tuple[tuple[int, float], ...]] = []
        self._class_coefficient: list[dict[int, float]] = []  # per class: link -> coefficient
        self._label_of_class: list[str] = []
        self._weight: list[float] = []
        self._cap: list[float] = []
        self._is_stream: list[bool] = []
        self._count: list[int] = []  # flows in the class now
        self._applied_count: list[int] = []  # count the current levels were computed with
        self._members: list[list] = []  # heap of (target, flow id, transfer)
        self._head: list[float] = []  # smallest pending target (inf when none)
        self._class_version: list[int] = []
        self._streams_of_class: list[dict[int, Stream]] = []
        self._stream_classes_of_group: dict[int, set[int]] = {}  # who to log when a level moves
        # Progress per flow of class k = slope[k] * clock(group[k]) + offset[k].
        self._group: list[int] = []
        self._slope: list[float] = []
        self._offset: list[float] = []
        # Groups: one per link (when it owns classes) plus the cap group, index CAP_GROUP = -1.
        self._level: list[float] = [1.0]
        self._clock: list[float] = [0.0]
        self._clock_time: list[float] = [env.now]
        self._group_heap: list[list] = [[]]
        self._group_version: list[int] = [0]
        self._global_heap: list[tuple[float, int, int]] = []
        # Groups whose next finish changed and is not in the global heap yet (planned before the
        # heap is read, so a group whose level moves many times in an update is planned once).
        self._unplanned: set[int] = set()
        self._init_structure()
        self._changed_classes: set[int] = set()
        self._changed_capacity: set[int] = set()
        self._new_streams: list[Stream] = []
        self._update_pending = False
        self._generation = 0
        self._wakeup: WakeUp | None = None
        self._next_flow_id = 0
        self._active_transfers: dict[int, Transfer] = {}
        self._active_streams: dict[int, Stream] = {}
        self.recorder = Recorder(self, resolution=resolution, enabled=record)
        self._changed_groups = self.recorder.changed_groups  # groups whose level was set
        self.stats = {"updates": 0, "full_solves": 0, "fast_updates": 0}
        self._zero_capacity: set[int] = set()  # links at capacity 0 now
        self._stall_listeners: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ links
    def add_link(self, name: str, capacity: float, *, kind: str = "") -> Link:
        """A new shared capacity (bytes/s). Names are unique within a network."""
        if name in self._link_names:
            raise ValueError(f"link {name!r} already exists")
        _check_rate(capacity, f"capacity of link {name!r}")
        index = len(self.links)
        link = Link(self, index, name, kind)
        # Per-group lists end with the cap group's entry: the new link goes just before it.
        for values, fill in (
            (self._level, 0.0),
            (self._clock, 0.0),
            (self._clock_time, self.env.now),
            (self._group_heap, None),
            (self._group_version, 0),
        ):
            values.insert(index, [] if fill is None else fill)
        self.links.append(link)
        self._link_names[name] = link
        self._capacity.append(float(capacity))
        self._structure_add_link()
        self._note_capacity(index, float(capacity))
        return link

    def link(self, name: str) -> Link:
        return self._link_names[name]

    def _set_capacity(self, index: int, capacity: float) -> None:
        _check_rate(capacity, f"capacity of link {self.links[index].name!r}")
        self._advance()
        self._capacity[index] = float(capacity)
        self._changed_capacity.add(index)
        self._request_update()
        self._note_capacity(index, float(capacity))

    # ------------------------------------------------------------------ stalls
    @property
    def stalls_possible(self) -> bool:
        """True while some link has capacity 0. Only then can an active flow get rate 0: with
        every capacity positive, max-min gives every flow a positive rate (water-filling's
        first level is already min over links of capacity / load weight > 0)."""
        return bool(self._zero_capacity)

    def on_stalls_possible(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` at once whenever :attr:`stalls_possible` turns true (a link's
        capacity drops to 0 while all others are positive)."""
        self._stall_listeners.append(callback)

    def _note_capacity(self, index: int, capacity: float) -> None:
        if capacity > 0:
            self._zero_capacity.discard(index)
            return
        first = not self._zero_capacity
        self._zero_capacity.add(index)
        if first:
            for callback in list(self._stall_listeners):
                callback()

    # ------------------------------------------------------------------ flows
    def transfer(
        self,
        size: float,
        path: PathSpec,
        *,
        cap: float | None = None,
        weight: float = 1.0,
        label: str = "",
    ) -> Transfer:
        """Start moving ``size`` bytes across ``path`` now; ``yield`` the result to wait."""
        if isinstance(size, bool) or not isinstance(size, int | float):
            raise ValueError(f"transfer size must be a number of bytes, got {size!r}")
        if not (math.isfinite(size) and size >= 0):
            raise ValueError(f"transfer size must be a finite number >= 0, got {size!r}")
        class_index = self._class_for(path, cap, weight, label, is_stream=False)
        self._advance()
        transfer = Transfer(self, self._next_id(), class_index, label, size)
        if size == 0:
            transfer.finished_at = self.env.now
            transfer._delivered_at_end = 0.0
            self.recorder.flow_ended(transfer, "finished")
            transfer.succeed(transfer)
            return transfer
        members = self._members[class_index]
        heapq.heappush(members, (transfer.target, transfer.id, transfer))
        self._active_transfers[transfer.id] = transfer
        self._join(class_index)
        return transfer

    def stream(
        self, path: PathSpec, demand: float, *, weight: float = 1.0, label: str = ""
    ) -> Stream:
        """Start a stream that asks for ``demand`` bytes/s across ``path`` until stopped."""
        _check_rate(demand, "stream demand")
        if demand == 0:
            raise ValueError("stream demand must be > 0 bytes/s")
        class_index = self._class_for(path, demand, weight, label, is_stream=True)
        self._advance()
        stream = Stream(self, self._next_id(), class_index, label, demand)
        self._active_streams[stream.id] = stream
        self._streams_of_class[class_index][stream.id] = stream
        self._new_streams.append(stream)
        self._join(class_index)
        return stream

    def active_transfers(self) -> list[Transfer]:
        """Transfers not finished yet, oldest first (at the horizon: the unfinished ones)."""
        return sorted(self._active_transfers.values(), key=lambda transfer: transfer.id)

    def active_streams(self) -> list[Stream]:
        return sorted(self._active_streams.values(), key=lambda stream: stream.id)

    def _next_id(self) -> int:
        self._next_flow_id += 1
        return self._next_flow_id - 1

    def _join(self, class_index: int) -> None:
        self.recorder.count_changing(class_index)
        self._count[class_index] += 1
        self._changed_classes.add(class_index)
        self._refresh_head(class_index)
        self._request_update()

    def _end_flow(self, flow: _Flow, outcome: str, *, advanced: bool = False) -> None:
        """Take a flow out; ``advanced``: the caller (a wake-up) has caught the recorder up."""
        if not advanced:
            self._advance()
        if outcome == "finished" and isinstance(flow, Transfer):
            flow._delivered_at_end = flow.size
        else:
            flow._delivered_at_end = flow.delivered
        flow.finished_at = self.env.now
        class_index = flow.class_index
        self.recorder.count_changing(class_index)
        self._count[class_index] -= 1
        self._changed_classes.add(class_index)
        if isinstance(flow, Transfer):
            self._active_transfers.pop(flow.id, None)
            self._refresh_head(class_index)
        else:
            self._active_streams.pop(flow.id, None)
            self._streams_of_class[class_index].pop(flow.id, None)
        self.recorder.flow_ended(flow, outcome)
        self._request_update()

    def _refresh_head(self, class_index: int) -> None:
        members = self._members[class_index]
        while members and not members[0][2].active:
            heapq.heappop(members)
        head = members[0][0] if members else math.inf
        if head != self._head[class_index]:
            self._head[class_index] = head
            self._class_version[class_index] += 1
            self._push_class(class_index)

    # ---------------------------------------------------------------- classes
    def _class_for(
        self, path: PathSpec, cap: float | None, weight: float, label: str, *, is_stream: bool
    ) -> int:
        path_key = None
        if type(path) is list or type(path) is tuple:
            try:
                path_key = (tuple(path), cap, weight, label, is_stream)
                found = self._class_of_path.get(path_key)
            except TypeError:  # an unhashable item: the checks below say what is wrong
                path_key = found = None
            if found is not None:
                return found
        class_index = self._class_for_checked(path, cap, weight, label, is_stream=is_stream)
        if path_key is not None:
            self._class_of_path[path_key] = class_index
        return class_index

    def _class_for_checked(
        self, path: PathSpec, cap: float | None, weight: float, label: str, *, is_stream: bool
    ) -> int:
        entries: dict[int, float] = {}
        for item in path:
            link, coefficient = item if isinstance(item, tuple) else (item, 1.0)
            if not isinstance(link, Link) or link.network is not self:
                raise ValueError(f"path items must be links of this network, got {link!r}")
            if not (isinstance(coefficient, int | float) and math.isfinite(coefficient)):
                raise ValueError(f"coefficient on {link.name!r} must be a number > 0")
            if coefficient <= 0:
                raise ValueError(f"coefficient on {link.name!r} must be > 0, got {coefficient!r}")
            entries[link.index] = entries.get(link.index, 0.0) + float(coefficient)
        if not entries:
            raise ValueError("a flow must cross at least one link")
        if not (isinstance(weight, int | float) and math.isfinite(weight) and weight > 0):
            raise ValueError(f"flow weight must be a finite number > 0, got {weight!r}")
        cap_value = math.inf if cap is None else cap
        if not (isinstance(cap_value, int | float) and cap_value > 0):
            raise ValueError(f"flow cap must be a number > 0 bytes/s, got {cap!r}")
        key_entries = tuple(sorted(entries.items()))
        signature = (key_entries, float(weight), float(cap_value), label, is_stream)
        class_index = self._class_of.get(signature)
        if class_index is not None:
            return class_index
        class_index = len(self._class_entries)
        self._class_of[signature] = class_index
        self._class_entries.append(key_entries)
        self._class_coefficient.append(dict(key_entries))
        self._label_of_class.append(label)
        self._weight.append(float(weight))
        self._cap.append(float(cap_value))
        self._is_stream.append(is_stream)
        self._count.append(0)
        self._applied_count.append(0)
        self._members.append([])
        self._head.append(math.inf)
        self._class_version.append(0)
        self._streams_of_class.append({})
        self._group.append(CAP_GROUP)
        if is_stream:
            self._stream_classes_of_group.setdefault(CAP_GROUP, set()).add(class_index)
        self._slope.append(0.0)
        self._offset.append(0.0)
        self.recorder.add_class(class_index, key_entries, label)
        return class_index

    # ---------------------------------------------------------------- clocks
    def _advance(self) -> None:
        """Let the recorder close any utilisation bucket that ended before now."""
        self.recorder.catch_up(self.env.now)

    def _clock_at(self, group: int, time: float) -> float:
        return self._clock[group] + self._level[group] * (time - self._clock_time[group])

    def _progress(self, class_index: int) -> float:
        group = self._group[class_index]
        clock = self._clock_at(group, self.env.now)
        return self._slope[class_index] * clock + self._offset[class_index]

    def _class_rate(self, class_index: int) -> float:
        return self._slope[class_index] * self._level[self._group[class_index]]

    def _set_level(self, group: int, level: float) -> None:
        now = self.env.now
        self._clock[group] += self._level[group] * (now - self._clock_time[group])
        self._clock_time[group] = now
        self._level[group] = level
        self._changed_groups.add(group)
        self._unplanned.add(group)

    def _set_idle_level(self, group: int, level: float) -> None:
        """``_set_level`` for a link that owns no class yet: nothing finishes on its clock, so
        no finish is planned, and what its finish heap holds is stale and dropped (the classes
        bound to it in this update push their finishes when the update ends)."""
        now = self.env.now
        self._clock[group] += self._level[group] * (now - self._clock_time[group])
        self._clock_time[group] = now
        self._level[group] = level
        self._changed_groups.add(group)
        self._group_version[group] += 1
        self._group_heap[group] = []

    def _link_usage(self, index: int) -> float:
        total = 0.0
        for class_index, entries in enumerate(self._class_entries):
            for link, coefficient in entries:
                if link == index:
                    rate = self._class_rate(class_index)
                    total += coefficient * self._count[class_index] * rate
        return total

    # ------------------------------------------------------------- finishes
    def _push_class(self, class_index: int) -> None:
        """Put the class's next finish, in its group's clock units, into the group's heap.

        Not for a class that is not bound yet (it became active in this instant): the update
        binds it and pushes it then."""
        if not self._structure_valid or self._applied_count[class_index] == 0:
            return
        if self._count[class_index] == 0:
            return
        head = self._head[class_index]
        slope = self._slope[class_index]
        if not math.isfinite(head) or slope <= 0:
            return
        group = self._group[class_index]
        clock_target = (head - self._offset[class_index]) / slope
        heap = self._group_heap[group]
        entry = (clock_target, class_index, self._class_version[class_index])
        heapq.heappush(heap, entry)
        if heap[0] is entry:
            self._unplanned.add(group)

    def _group_top(self, group: int) -> tuple[float, int] | None:
        heap = self._group_heap[group]
        while heap:
            clock_target, class_index, version = heap[0]
            if (
                version == self._class_version[class_index]
                and self._group[class_index] == group
                and self._count[class_index] > 0
            ):
                return clock_target, class_index
            heapq.heappop(heap)
        return None

    def _plan_groups(self) -> None:
        """Put the next finish of every group whose level or first finish changed since the
        last planning into the global heap: once per group, however often it changed."""
        unplanned = self._unplanned
        if unplanned:
            versions = self._group_version
            for group in unplanned:
                versions[group] += 1
                self._push_group(group)
            unplanned.clear()

    def _push_group(self, group: int) -> None:
        level = self._level[group]
        if level <= 0:
            return  # nothing finishes on a clock that stands still
        top = self._group_top(group)
        if top is None:
            return
        time = self._clock_time[group] + (top[0] - self._clock[group]) / level
        heapq.heappush(
            self._global_heap, (max(time, self.env.now), group, self._group_version[group])
        )

    def _next_finish(self) -> tuple[float, int] | None:
        heap = self._global_heap
        while heap:
            time, group, version = heap[0]
            if version == self._group_version[group]:
                return time, group
            heapq.heappop(heap)
        return None

    # --------------------------------------------------------------- updates
    def _request_update(self) -> None:
        if not self._update_pending:
            self._update_pending = True
            # A plain event succeeds at normal priority for the current time: it runs after
            # every event already queued for this instant, so all changes made at one time are
            # solved once.
            event = simpy.Event(self.env)
            event.callbacks.append(self._update)
            event.succeed()

    def _update(self, _event: simpy.Event | None = None) -> None:
        self._update_pending = False
        if not self._changed_classes and not self._changed_capacity:
            return
        self._advance()
        self.stats["updates"] += 1
        try:
            if not self._structure_valid:
                raise StructureChanged("first-solve")
            changed_levels, moved = self._fast_update()
            self.stats["fast_updates"] += 1
            if self.verify:
                self._verify_rates()
        except StructureChanged as reason:
            key = f"full_solve:{reason}"
            self.stats[key] = self.stats.get(key, 0) + 1
            self._full_solve()
            changed_levels, moved = [*range(len(self.links)), CAP_GROUP], set()
        self._changed_classes.clear()
        self._changed_capacity.clear()
        self._log_streams(changed_levels, moved)
        self._schedule_wakeup()

    # --------------------------------------------------------------- wake-ups
    def _schedule_wakeup(self) -> None:
        self._generation += 1
        if self._wakeup is not None:
            self._wakeup.cancel()
            self._wakeup = None
        self._plan_groups()
        nxt = self._next_finish()
        if nxt is not None:
            generation = self._generation
            self._wakeup = WakeUp(self.env, max(0.0, nxt[0] - self.env.now))
            self._wakeup.callbacks.append(lambda _event: self._wake(generation))

    def _wake(self, generation: int) -> None:
        if generation != self._generation:
            return  # stale: rates changed since this wake-up was planned
        self._wakeup = None
        self._advance()
        now = self.env.now
        finished = self._collect_due(_TIME_TOLERANCE * max(1.0, now))
        if not finished:
            # Rounding can put the planned finish a hair after now.
            finished = self._collect_due(_ROUNDING_TOLERANCE * max(1.0, now))
        for transfer in sorted(finished, key=lambda item: item.id):
            self._end_flow(transfer, "finished", advanced=True)
            transfer.succeed(transfer)
        if not finished:
            self._schedule_wakeup()

    def _collect_due(self, slack_time: float) -> list[Transfer]:
        """Take every transfer due within ``slack_time`` of now out of the finish heaps."""
        now = self.env.now
        finished: list[Transfer] = []
        visited: set[int] = set()
        self._plan_groups()
        while True:
            nxt = self._next_finish()
            if nxt is None or nxt[0] > now + slack_time or nxt[1] in visited:
                break
            group = nxt[1]
            visited.add(group)
            clock_now = self._clock_at(group, now)
            clock_slack = slack_time * self._level[group]
            while True:
                top = self._group_top(group)
                if top is None or top[0] > clock_now + clock_slack:
                    break
                class_index = top[1]
                progress = self._progress(class_index)
                byte_slack = clock_slack * self._slope[class_index]
                members = self._members[class_index]
                while members and members[0][0] <= progress + byte_slack:
                    _, _, transfer = heapq.heappop(members)
                    if transfer.active:
                        finished.append(transfer)
                self._refresh_head(class_index)
                if self._group_top(group) == top:
                    break  # its head did not move: nothing more is due in this class
            self._unplanned.discard(group)
            self._group_version[group] += 1
            self._push_group(group)
        return finished

    def _log_streams(self, groups: list[int], moved: set[int]) -> None:
        """Record the new rate of every stream whose rate may have changed in this update."""
        streams: dict[int, Stream] = {stream.id: stream for stream in self._new_streams}
        self._new_streams.clear()
        if self._active_streams:
            classes = {k for k in moved if self._is_stream[k]}
            for group in groups:
                classes.update(self._stream_classes_of_group.get(group, ()))
            for k in classes:
                streams.update(self._streams_of_class[k])
        now = self.env.now
        for stream_id in sorted(streams):
            stream = streams[stream_id]
            if stream.active:
                self.recorder.stream_rate(now, stream, self._class_rate(stream.class_index))


def _check_rate(value: float, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number of bytes/s, got {value!r}")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{what} must be a finite number >= 0, got {value!r}")
