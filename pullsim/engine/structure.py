"""The bottleneck structure of a max-min allocation, kept up to date by local repair.

The network (:mod:`pullsim.engine.network`) binds every active flow class either to an *owner*
link, a saturated link on which it has the largest weighted share (rate = weight x the owner's
level), or to its cap (the cap group). This module keeps that binding right as flow counts and
capacities change, without solving from scratch.

The allocation is max-min fair exactly when these conditions hold (each is linear in the levels):

- ``load``: a link that owns nothing carries no more than its capacity;
- ``share``: a class bound to owner ``l`` that crosses owner ``m`` has ``level[l] <= level[m]``;
- ``ceiling``: an owner's level is no more than the cap share (cap / weight) of its classes;
- ``floor``: an owner's level is no less than the cap share of capped classes crossing it;
- an owner's level (what its capacity leaves after foreign load, per owned weight) is >= 0.

After a change, levels are recomputed from per-link sums, lowest first, following owners whose
load depends on other owners' levels. Each ``load`` and ``share`` condition's slack is split
evenly among the owners it involves as thresholds in their heaps; a level change re-checks only
the conditions whose threshold it crosses (exactly), and any condition whose terms changed.

A failed condition is repaired where it failed, as water-filling would: a link over capacity, or
an owner whose classes are outshared, is *refilled* (the classes crossing it and not bound to it,
sorted by share; those above the link's fill level are bound to it); classes whose cap falls below
their owner's level move to the cap group. Levels are settled and the checks run again until none
fails. A class that becomes active is first bound where it would get the least (the lowest owner on
its path, its cap, or a link on its path that owns nothing and would give it less than its cap),
and judged by the same checks. A binding that no levels satisfy (an owner whose foreign load
exceeds its capacity, or owners whose classes outshare each other in a cycle) is not iterated:
settling stops there and the owner is refilled first. Only repairs that do not settle fall back
to the full water-filling of :mod:`pullsim.engine.maxmin`. Whatever path is taken, what is
accepted satisfies every condition, so it is the unique max-min allocation.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from pullsim.engine.maxmin import solve_max_min

# Classes at their cap share one clock: real time. Its state is the last entry of every
# per-group list, so adding a link (an insert before it) moves nothing else.
CAP_GROUP = -1
# Relative tolerance of the checks: a level within this of another counts as equal.
CHECK_TOLERANCE = 1e-9
# An owner whose level is recomputed more often than this in one settling has a cycle.
_MAX_LEVEL_PASSES = 8
# At this pass an owner's cycle is looked at for a class that outshares an owner it crosses.
_CYCLE_PASSES = 3
# A link that owns nothing and is crossed by no more classes than this is not watched while they
# fit within its capacity at their caps.
_FEW_CLASSES = 8
# A threshold heap is rid of its stale entries when it reaches this size, and then whenever it
# has doubled since.
_COMPACT_AT = 256
# Rounds of repair before giving up on local repair for this update.
_MAX_REPAIR_ROUNDS = 64


class StructureChanged(Exception):
    """Local repair cannot settle the structure: solve from scratch."""


class _Pending:
    """What one update still has to recompute and check."""

    def __init__(self) -> None:
        self.owners: set[int] = set()  # owners whose level must be recomputed
        self.links: set[int] = set()  # links whose load condition must be checked
        self.bounds: set[int] = set()  # owners whose ceiling or floor must be checked
        self.watches: list[tuple] = []  # new share conditions to check and place
        self.moved: set[int] = set()  # classes bound to a new group (finish times to re-push)
        self.moves = 0  # how many times a class was bound to a new group
        # Levels that refills in the current round of repairs expect for the links they filled
        # (their settled levels are not known until the round ends): what later refills in
        # the round take as the share of those links' classes.
        self.estimates: dict[int, float] = {}

    def touch(self, network: BottleneckStructure, k: int, *, more_load: bool = True) -> None:
        """Class ``k``'s load changed: recompute the levels of the owners it crosses, and check
        the load of the other links it crosses unless its load only went down (a load condition
        holds while its owners stay within their thresholds, and less load keeps it so)."""
        for link, _ in network._class_entries[k]:
            if network._owned_classes[link] > 0:
                self.owners.add(link)
            elif more_load:
                self.links.add(link)


class BottleneckStructure:
    """Mixin for :class:`pullsim.engine.network.Network`: binding, levels, checks, repair."""

    # ------------------------------------------------------------------ state
    def _init_structure(self, links: int = 0) -> None:
        """Empty state for ``links`` links (built in bulk: a full solve rebuilds it all)."""
        # per link: sum of count * coefficient * weight owned
        self._owned_sum: list[float] = [0.0] * links
        self._owned_classes: list[int] = [0] * links  # per link: active classes bound to it
        self._owned_by: list[set[int]] = [set() for _ in range(links)]
        self._capped_load: list[float] = [0.0] * links  # per link: load of capped classes
        self._capped_on: list[set[int]] = [set() for _ in range(links)]  # active capped classes
        # per link: active classes crossing it that are not bound to it
        self._others_on: list[set[int]] = [set() for _ in range(links)]
        # per link: owner -> count*coefficient*weight
        self._foreign: list[dict[int, float]] = [{} for _ in range(links)]
        self._pair_count: dict[tuple[int, int], int] = {}  # (owner, link) -> classes
        # owner -> the *owners* its classes also cross: their levels depend on its level.
        self._dependent_owners: list[set[int]] = [set() for _ in range(links)]
        self._ceiling: list[float] = [math.inf] * links
        self._floor: list[float] = [0.0] * links
        self._up_watch: list[list] = [[] for _ in range(links)]
        self._down_watch: list[list] = [[] for _ in range(links)]
        # per link: the size at which its heaps are next rid of their stale entries
        self._up_limit: list[int] = [_COMPACT_AT] * links
        self._down_limit: list[int] = [_COMPACT_AT] * links
        self._watch_version: dict[tuple, int] = {}
        self._structure_valid = False

    def _structure_add_link(self) -> None:
        self._owned_sum.append(0.0)
        self._owned_classes.append(0)
        self._owned_by.append(set())
        self._capped_load.append(0.0)
        self._capped_on.append(set())
        self._others_on.append(set())
        self._foreign.append({})
        self._dependent_owners.append(set())
        self._ceiling.append(math.inf)
        self._floor.append(0.0)
        self._up_watch.append([])
        self._down_watch.append([])
        self._up_limit.append(_COMPACT_AT)
        self._down_limit.append(_COMPACT_AT)

    # ------------------------------------------------------------ full solve
    def _full_solve(self) -> None:
        """Water-fill from scratch and rebind every class to its new bottleneck clock."""
        self.stats["full_solves"] += 1
        now = self.env.now
        links = len(self.links)
        cap_group = CAP_GROUP
        classes = len(self._class_entries)
        progress = [self._progress(k) for k in range(classes)]
        active = [k for k in range(classes) if self._count[k] > 0]
        rates, bound = self._solve(active)
        self._structure_valid = True
        self._level = [0.0] * links + [1.0]
        self._clock = [0.0] * (links + 1)
        self._clock_time = [now] * (links + 1)
        self._group_heap = [[] for _ in range(links + 1)]
        self._group_version = [version + 1 for version in self._group_version]
        self._global_heap = []
        for k in range(classes):
            self._offset[k] = progress[k]
            self._group[k] = cap_group
            self._slope[k] = 0.0
            self._applied_count[k] = self._count[k]
        self.recorder.all_classes_changed()
        self._stream_classes_of_group = {}
        for k in range(classes):
            if self._is_stream[k]:
                self._stream_classes_of_group.setdefault(self._group[k], set()).add(k)
        for position, k in enumerate(active):
            owner = int(bound[position])
            rate = float(rates[position])
            if owner >= 0:
                self._group[k] = owner
                if self._is_stream[k]:
                    self._stream_classes_of_group[cap_group].discard(k)
                    self._stream_classes_of_group.setdefault(owner, set()).add(k)
                self._slope[k] = self._weight[k]
                self._level[owner] = rate / self._weight[k]
            else:
                self._slope[k] = rate
        self._rebuild_structure(active)
        for k in active:
            self._class_version[k] += 1
            self._push_class(k)

    def _solve(self, active: list[int]) -> tuple[np.ndarray, np.ndarray]:
        if not active:
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        entry_class, entry_link, entry_coefficient = [], [], []
        for position, k in enumerate(active):
            for link, coefficient in self._class_entries[k]:
                entry_class.append(position)
                entry_link.append(link)
                entry_coefficient.append(coefficient)
        return solve_max_min(
            np.asarray(self._capacity, dtype=float),
            np.asarray(entry_class, dtype=np.int64),
            np.asarray(entry_link, dtype=np.int64),
            np.asarray(entry_coefficient, dtype=float),
            np.asarray([self._count[k] for k in active], dtype=float),
            np.asarray([self._weight[k] for k in active], dtype=float),
            np.asarray([self._cap[k] for k in active], dtype=float),
        )

    def _verify_rates(self) -> None:
        """Compare every active class's rate with a full water-filling (``verify=True``)."""
        active = [k for k in range(len(self._class_entries)) if self._count[k] > 0]
        expected, _ = self._solve(active)
        for position, k in enumerate(active):
            rate = self._class_rate(k)
            want = float(expected[position])
            if abs(rate - want) > 1e-9 * max(abs(want), 1e-12):
                raise AssertionError(
                    f"at t={self.env.now}: class {k} ({self._label_of_class[k]!r}) has rate "
                    f"{rate!r}, the full solve gives {want!r}"
                )

    def _rebuild_structure(self, active: list[int]) -> None:
        links = len(self.links)
        self._init_structure(links)
        self._structure_valid = True
        for k in active:
            self._attach(k, self._count[k])
        for link in range(links):
            if self._owned_classes[link] > 0:
                for other in self._foreign[link]:
                    if self._pair_count.get((other, link), 0) > 0:
                        self._dependent_owners[other].add(link)
                        self._watch(("share", other, link))
            elif self._others_on[link]:
                self._watch(("load", link))

    # --------------------------------------------------------- class binding
    def _attach(self, k: int, count: int) -> None:
        """Add an active class (``count`` flows) to the sums of its current group."""
        cap_group = CAP_GROUP
        group = self._group[k]
        weight = self._weight[k]
        if group == cap_group:
            share = self._cap[k] / weight
        else:
            self._owned_classes[group] += 1
            self._owned_by[group].add(k)
            self._ceiling[group] = min(self._ceiling[group], self._cap[k] / weight)
        for link, coefficient in self._class_entries[k]:
            if group == link:
                self._owned_sum[link] += count * coefficient * weight
                continue
            self._others_on[link].add(k)
            if group == cap_group:
                self._capped_load[link] += count * coefficient * self._slope[k]
                self._capped_on[link].add(k)
                self._floor[link] = max(self._floor[link], share)
            else:
                foreign = self._foreign[link]
                foreign[group] = foreign.get(group, 0.0) + count * coefficient * weight
                pair = (group, link)
                pair_count = self._pair_count
                pair_count[pair] = pair_count.get(pair, 0) + 1
                if self._owned_classes[link] > 0:
                    self._dependent_owners[group].add(link)

    def _detach(self, k: int, count: int) -> None:
        """Remove an active class (``count`` flows) from the sums of its current group."""
        cap_group = CAP_GROUP
        group = self._group[k]
        weight = self._weight[k]
        if group != cap_group:
            self._owned_classes[group] -= 1
            self._owned_by[group].discard(k)
        # Running sums drift by rounding; when the last contributor leaves, they are exactly 0.
        for link, coefficient in self._class_entries[k]:
            if group == link:
                self._owned_sum[link] -= count * coefficient * weight
                if self._owned_classes[link] == 0:
                    self._owned_sum[link] = 0.0
                continue
            self._others_on[link].discard(k)
            if group == cap_group:
                self._capped_load[link] -= count * coefficient * self._slope[k]
                self._capped_on[link].discard(k)
                if not self._capped_on[link]:
                    self._capped_load[link] = 0.0
            else:
                pair = (group, link)
                pair_count = self._pair_count
                left = pair_count[pair] - 1
                if left:
                    pair_count[pair] = left
                    foreign = self._foreign[link]
                    foreign[group] = foreign[group] - count * coefficient * weight
                else:
                    # Gone rather than 0: a registry meets thousands of owners over a run, and
                    # its level and load are summed over the ones that are still there.
                    del self._foreign[link][group]
                    del pair_count[pair]
                    self._dependent_owners[group].discard(link)

    def _add_load(self, k: int, delta: int) -> None:
        """More or fewer flows in an active class that stays active."""
        cap_group = CAP_GROUP
        group = self._group[k]
        weight = self._weight[k]
        for link, coefficient in self._class_entries[k]:
            if group == link:
                self._owned_sum[link] += delta * coefficient * weight
            elif group == cap_group:
                self._capped_load[link] += delta * coefficient * self._slope[k]
            else:
                foreign = self._foreign[link]
                foreign[group] = foreign.get(group, 0.0) + delta * coefficient * weight

    def _rebind(self, k: int, group: int) -> None:
        """Point class ``k`` at a new clock, keeping its progress continuous."""
        # _progress(k) and _clock_at(group, now), written out: this runs for every binding
        now = self.env.now
        clock, level, clock_time = self._clock, self._level, self._clock_time
        old = self._group[k]
        progress = (
            self._slope[k] * (clock[old] + level[old] * (now - clock_time[old])) + self._offset[k]
        )
        slope = self._cap[k] if group == CAP_GROUP else self._weight[k]
        if self._is_stream[k]:
            self._stream_classes_of_group[old].discard(k)
            self._stream_classes_of_group.setdefault(group, set()).add(k)
        self._group[k] = group
        self._slope[k] = slope
        self._offset[k] = progress - slope * (
            clock[group] + level[group] * (now - clock_time[group])
        )
        self.recorder.class_changed(k)

    def _move(self, k: int, group: int, pending: _Pending) -> None:
        """Bind active class ``k`` to ``group`` (an owner link or the cap group)."""
        cap_group = CAP_GROUP
        old = self._group[k]
        if old == group:
            return
        count = self._applied_count[k]
        promoted = group != cap_group and self._owned_classes[group] == 0
        self._detach(k, count)
        self._rebind(k, group)
        if promoted:
            self._promote(group, pending)
        self._attach(k, count)
        pending.moved.add(k)
        pending.moves += 1
        pending.touch(self, k)
        if group != cap_group:
            pending.owners.add(group)
            pending.bounds.add(group)
            for link, _ in self._class_entries[k]:
                if link != group and self._owned_classes[link] > 0:
                    pending.watches.append(("share", group, link))
        else:
            pending.bounds.update(
                link for link, _ in self._class_entries[k] if self._owned_classes[link] > 0
            )
        if old != cap_group and self._owned_classes[old] == 0:
            self._retire(old, pending)

    def _promote(self, link: int, pending: _Pending) -> None:
        """A link that owned nothing starts owning: its load condition becomes share ones."""
        self._watch_version.pop(("load", link), None)
        self._ceiling[link] = math.inf
        self._floor[link] = max(
            (self._cap[k] / self._weight[k] for k in self._capped_on[link]), default=0.0
        )
        pending.bounds.add(link)
        pending.owners.add(link)
        for other in self._foreign[link]:
            if self._pair_count.get((other, link), 0) > 0:
                pending.watches.append(("share", other, link))
                self._dependent_owners[other].add(link)

    def _retire(self, link: int, pending: _Pending) -> None:
        """A bottleneck whose last class left becomes an ordinary link."""
        self._set_level(link, 0.0)
        self._ceiling[link] = math.inf
        self._floor[link] = 0.0
        for other in self._foreign[link]:
            self._watch_version.pop(("share", other, link), None)
            self._dependent_owners[other].discard(link)
        pending.owners.discard(link)
        pending.links.add(link)

    def _bind_new_class(self, k: int, pending: _Pending) -> None:
        """Tentatively bind a class that just became active; the checks will judge it.

        It joins whichever would give it the least: the owner on its path with the lowest level,
        its cap, or (when neither is lower) a link on its path that owns nothing, at the level
        that link would have with this class bound to it (what refilling the link, over capacity
        with the class at its cap, would bind). A link it starts owning takes that level as its
        estimate until the levels are settled.
        """
        cap_group = CAP_GROUP
        entries = self._class_entries[k]
        owned_classes = self._owned_classes
        owners = [link for link, _ in entries if owned_classes[link] > 0]
        group, limit = cap_group, self._cap[k] / self._weight[k]
        if owners:
            lowest = min(owners, key=lambda link: (self._level[link], link))
            if self._level[lowest] < limit:
                group, limit = lowest, self._level[lowest]
        if group == cap_group:
            demand = self._count[k] * self._weight[k]
            for link, coefficient in entries:
                if owned_classes[link] == 0:
                    fill = self._room(link) / (demand * coefficient)
                    if fill < limit:
                        group, limit = link, fill
        if group != cap_group and owned_classes[group] == 0:
            self._set_idle_level(group, max(limit, 0.0))
            self._rebind(k, group)
            self._promote(group, pending)
        else:
            self._rebind(k, group)
        self._attach(k, self._count[k])
        pending.moved.add(k)
        if group != cap_group:
            pending.bounds.add(group)
            for link in owners:
                if link != group:
                    pending.watches.append(("share", group, link))
        else:
            pending.bounds.update(owners)

    def _room(self, link: int) -> float:
        """Capacity a link has left at the current rates."""
        load = self._capped_load[link] + self._owned_sum[link] * self._level[link]
        for owner, value in self._foreign[link].items():
            load += value * self._level[owner]
        return self._capacity[link] - load

    # -------------------------------------------------------------- fast path
    def _fast_update(self) -> tuple[list[int], set[int]]:
        """Apply count and capacity changes, settle levels, check and repair.

        Returns the groups whose level changed and the classes bound to a new group; raises
        :class:`StructureChanged` when local repair gives up.
        """
        cap_group = CAP_GROUP
        pending = _Pending()
        for k in sorted(self._changed_classes):
            old, new = self._applied_count[k], self._count[k]
            if old == new:
                continue
            if old == 0:
                self._applied_count[k] = new
                self._bind_new_class(k, pending)
            elif new == 0:
                group = self._group[k]
                self._detach(k, old)
                self._applied_count[k] = 0
                if group != cap_group and self._owned_classes[group] == 0:
                    self._retire(group, pending)
            else:
                self._add_load(k, new - old)
                self._applied_count[k] = new
            pending.touch(self, k, more_load=new > old)
        for link in self._changed_capacity:
            if self._owned_classes[link] > 0:
                pending.owners.add(link)
            else:
                pending.links.add(link)
        changed: dict[int, float] = {}
        unchecked: dict[int, float] = {}  # levels moved since the checks last ran
        for _ in range(_MAX_REPAIR_ROUNDS):
            infeasible = self._settle_levels(pending.owners, changed, unchecked)
            pending.estimates = {}
            if infeasible:
                # The binding leaves these owners less than nothing: repair it before checking
                # anything against levels that cannot stand.
                moves = pending.moves
                for owner in infeasible:
                    self._refill(owner, pending)
                if pending.moves != moves:
                    continue
                # Nothing to move here: a level elsewhere is wrong (above the caps of its
                # classes, say); the checks find it.
            failures = self._run_checks(pending, unchecked)
            unchecked = {}
            if not failures:
                if infeasible:
                    raise StructureChanged("infeasible")
                break
            for failure in failures:
                self._repair(failure, pending)
                # A repaired condition is checked again, and re-watched once it holds.
                if failure[0] == "load":
                    pending.links.add(failure[1])
                elif failure[0] == "share":
                    pending.watches.append(failure)
                else:
                    pending.bounds.add(failure[1])
        else:
            raise StructureChanged("repair-did-not-settle")
        for k in pending.moved:
            self._class_version[k] += 1
            self._push_class(k)
        return sorted(changed), pending.moved

    def _settle_levels(
        self, owners: set[int], changed: dict[int, float], unchecked: dict[int, float]
    ) -> list[int]:
        """Recompute levels, lowest first, following owners whose load depends on others.

        An owner's level is what its capacity leaves after the capped load and the foreign
        load (each other owner's sum times its level) crossing it, per unit of its owned sum.
        Records in ``changed`` and ``unchecked`` the old level of every owner whose level
        changed (the first one an owner had), and returns owners whose binding, not level, is
        wrong, to be refilled before anything is checked:

        - an owner whose load from others exceeds its capacity (a negative level); it keeps
          its level and is not propagated;
        - in a cycle of owners whose levels keep moving each other (only possible when a class
          has a larger share than an owner it crosses: in a max-min allocation such a cycle has
          equal levels), the owner that such a class over-commits. The settling stops there;
          what is left of it is put back into ``owners``.
        """
        infeasible: set[int] = set()
        passes: dict[int, int] = {}
        level_of = self._level
        owned_classes = self._owned_classes
        capacity_of = self._capacity
        capped_load = self._capped_load
        foreign_of = self._foreign
        owned_sum = self._owned_sum
        dependents_of = self._dependent_owners
        isfinite = math.isfinite
        heappop = heapq.heappop
        queue = [(level_of[owner], owner) for owner in sorted(owners)]
        heapq.heapify(queue)
        queued = set(owners)
        owners.clear()
        while queue:
            _, owner = heappop(queue)
            queued.discard(owner)
            if owned_classes[owner] == 0:
                continue  # retired: checked as an ordinary link
            count = passes.get(owner, 0) + 1
            passes[owner] = count
            if count > _MAX_LEVEL_PASSES:
                raise StructureChanged("level-cycle")
            capacity = capacity_of[owner]
            if capacity == 0:
                level = 0.0  # an outage: exactly nothing, whatever the rounding in the sums
            else:
                foreign_load = capped_load[owner]
                for other, load in foreign_of[owner].items():
                    if load:
                        foreign_load += load * level_of[other]
                level = (capacity - foreign_load) / owned_sum[owner]
            if not isfinite(level):
                raise StructureChanged("level-not-finite")
            if level < 0:
                if level < -CHECK_TOLERANCE * capacity:
                    infeasible.add(owner)
                    continue
                level = 0.0
            if infeasible:
                infeasible.discard(owner)
            old_level = level_of[owner]
            if level == old_level:
                continue
            if count == _CYCLE_PASSES:
                outshared = self._outshared(owner, level)
                if outshared:
                    infeasible.update(outshared)
                    owners.update(queued)
                    owners.add(owner)
                    break
            if owner not in changed:
                changed[owner] = old_level
            if owner not in unchecked:
                unchecked[owner] = old_level
            self._set_level(owner, level)
            dependents = dependents_of[owner]
            if dependents:
                for dependent in dependents:
                    if dependent not in queued and owned_classes[dependent] > 0:
                        queued.add(dependent)
                        heapq.heappush(queue, (level_of[dependent], dependent))
        return sorted(infeasible)

    def _outshared(self, owner: int, level: float) -> list[int]:
        """Owners a class has a larger share than, were ``owner`` at ``level``: to refill."""
        tolerance = CHECK_TOLERANCE * max(level, 1e-300)
        if any(
            load and self._owned_classes[other] > 0 and self._level[other] > level + tolerance
            for other, load in self._foreign[owner].items()
        ):
            return [owner]
        return sorted(
            dependent
            for dependent in self._dependent_owners[owner]
            if self._owned_classes[dependent] > 0 and self._level[dependent] < level - tolerance
        )

    # ----------------------------------------------------------------- checks
    def _run_checks(self, pending: _Pending, settled: dict[int, float]) -> list[tuple]:
        failures: list[tuple] = []
        for link in sorted(pending.links):
            if self._owned_classes[link] == 0 and not self._watch_load(("load", link)):
                failures.append(("load", link))
        pending.links = set()
        level_of = self._level
        up_watch = self._up_watch
        down_watch = self._down_watch
        for owner, old_level in settled.items():
            level = level_of[owner]
            if level != old_level:
                up = up_watch[owner]
                down = down_watch[owner]
                if (up and up[0][0] < level) or (down and -down[0][0] > level):
                    failures.extend(self._cross_thresholds(owner, old_level))
        owned_classes = self._owned_classes
        floor = self._floor
        ceiling = self._ceiling
        for owner in sorted(pending.bounds.union(settled)):
            if owned_classes[owner] > 0:
                level = level_of[owner]
                if level < 0:
                    failures.append(("negative", owner))
                else:
                    # the bounds: the floor and ceiling of its classes' cap shares
                    tolerance = CHECK_TOLERANCE * max(level, 1e-300)
                    if not floor[owner] - tolerance <= level <= ceiling[owner] + tolerance:
                        failures.append(("bounds", owner))
        pending.bounds = set()
        for key in pending.watches:
            if not self._watch(key):
                failures.append(key)
        pending.watches = []
        return list(dict.fromkeys(failures))

    def _watch(self, key: tuple) -> bool:
        """Check a condition exactly; when it holds, (re)place its thresholds.

        A condition is ``sum(a * level[owner]) <= bound``; its slack is split evenly among the
        owners with a nonzero ``a``, as a threshold in each one's heap (up for ``a > 0``, down
        for ``a < 0``): while every level stays within its threshold, the condition holds.
        """
        if key[0] == "load":
            return self._watch_load(key)
        return self._watch_share(key)

    def _watch_load(self, key: tuple) -> bool:
        """``("load", link)``: a link that owns nothing carries no more than its capacity,
        ``sum(foreign[owner] * level[owner]) <= capacity - capped load``."""
        link = key[1]
        if self._owned_classes[link] > 0:
            self._watch_version.pop(key, None)
            return True
        capacity = self._capacity[link]
        others = self._others_on[link]
        if len(others) <= _FEW_CLASSES:
            # Classes that fit at their caps (with room for the tolerance of the caps) hold it
            # at any levels: nothing to watch until its load or capacity changes, and either
            # puts it back into the checks.
            room = capacity * (1 - CHECK_TOLERANCE)
            cap_of = self._cap
            count_of = self._applied_count
            coefficient_of = self._class_coefficient
            for k in others:
                room -= count_of[k] * coefficient_of[k][link] * cap_of[k]
                if room < 0:
                    break
            else:
                self._watch_version.pop(key, None)
                return True
        level = self._level
        foreign = self._foreign[link]
        if len(foreign) == 1:
            involved = [item for item in foreign.items() if item[1] > 0 or item[1] < 0]
            value = involved[0][1] * level[involved[0][0]] if involved else 0.0  # fsum of one
        else:
            involved = [(owner, a) for owner, a in foreign.items() if a > 0 or a < 0]
            value = math.fsum([a * level[owner] for owner, a in involved])
        bound = capacity - self._capped_load[link]
        slack = bound - value
        if slack < -CHECK_TOLERANCE * max(capacity, 1e-300):
            return False
        slack = max(slack, 0.0)
        version = self._watch_version.get(key, 0) + 1
        self._watch_version[key] = version
        parts = len(involved)
        for owner, a in involved:
            step = slack / (parts * abs(a))
            if a > 0:
                heap = self._up_watch[owner]
                heapq.heappush(heap, (level[owner] + step, key, version))
                if len(heap) > self._up_limit[owner]:
                    self._up_limit[owner] = self._compact(heap)
            else:
                heap = self._down_watch[owner]
                heapq.heappush(heap, (-(level[owner] - step), key, version))
                if len(heap) > self._down_limit[owner]:
                    self._down_limit[owner] = self._compact(heap)
        return True

    def _watch_share(self, key: tuple) -> bool:
        """``("share", lower, upper)``: classes bound to ``lower`` cross ``upper``, so
        ``level[lower] <= level[upper]``; vacuous unless both own classes."""
        _, lower, upper = key
        owned = self._owned_classes
        if self._pair_count.get((lower, upper), 0) == 0 or owned[lower] == 0 or owned[upper] == 0:
            self._watch_version.pop(key, None)
            return True
        level_lower = self._level[lower]
        level_upper = self._level[upper]
        # 0 - fsum([lower, -upper]): a sum of two floats is rounded once, as a subtraction is.
        slack = 0.0 - (level_lower - level_upper)
        if slack < -CHECK_TOLERANCE * max(level_lower, level_upper, 1e-300):
            return False
        slack = max(slack, 0.0)
        version = self._watch_version.get(key, 0) + 1
        self._watch_version[key] = version
        step = slack / 2.0
        heap = self._up_watch[lower]
        heapq.heappush(heap, (level_lower + step, key, version))
        if len(heap) > self._up_limit[lower]:
            self._up_limit[lower] = self._compact(heap)
        heap = self._down_watch[upper]
        heapq.heappush(heap, (-(level_upper - step), key, version))
        if len(heap) > self._down_limit[upper]:
            self._down_limit[upper] = self._compact(heap)
        return True

    def _compact(self, heap: list) -> int:
        """Drop a threshold heap's stale entries, in place; returns the size to do it again at.

        A condition placed again leaves its old entries behind (they are skipped by version when
        popped): a registry's heap holds a threshold for every NIC and disk its classes cross,
        and collects the stale ones of every re-check. Dropping them when the heap has doubled
        costs a pass over it per doubling; popping them one by one, a heap operation each. The
        entries that remain pop in the same order, so nothing else changes.
        """
        version_of = self._watch_version
        heap[:] = [entry for entry in heap if version_of.get(entry[1]) == entry[2]]
        heapq.heapify(heap)
        return max(2 * len(heap), _COMPACT_AT)

    def _cross_thresholds(self, owner: int, old_level: float) -> list[tuple]:
        """Re-check the conditions whose threshold this owner's level change crossed."""
        failures: list[tuple] = []
        level = self._level[owner]
        # Both directions: between two checks a level may have gone up and come back down.
        if level != old_level:
            watch = self._up_watch[owner]
            while watch and watch[0][0] < level:
                _, key, version = heapq.heappop(watch)
                if self._watch_version.get(key) == version and not self._watch(key):
                    failures.append(key)
            watch = self._down_watch[owner]
            while watch and -watch[0][0] > level:
                _, key, version = heapq.heappop(watch)
                if self._watch_version.get(key) == version and not self._watch(key):
                    failures.append(key)
        return failures

    # ----------------------------------------------------------------- repair
    def _repair(self, failure: tuple, pending: _Pending) -> None:
        kind = failure[0]
        if kind == "load" or kind == "negative":
            self._refill(failure[1], pending)
        elif kind == "share":
            self._refill(failure[2], pending)
        elif kind == "bounds":
            if self._owned_classes[failure[1]] == 0:
                # An earlier repair of this round took its last class: it is an ordinary link
                # now, whose load the next round checks.
                pending.links.add(failure[1])
            else:
                self._fix_bounds(failure[1], pending)

    def _refill(self, link: int, pending: _Pending) -> None:
        """Water-fill one link over the classes crossing it; bind those above its level to it.

        Classes already bound to the link stay; the others, in falling order of share, join
        while their share is above the level the link would give its classes. Only the classes
        not bound to the link are looked at: a registry is crossed by thousands of classes, but
        most of them are bound to it and are counted by its owned sum.
        """
        others_on = self._others_on[link]
        if self._owned_classes[link] == 0 and not others_on:
            return
        capacity = self._capacity[link]
        coefficient_of = self._class_coefficient
        estimates = pending.estimates
        level_of = self._level
        owned_weight = self._owned_sum[link]
        others = []
        for k in others_on:
            weight = self._weight[k]
            share = self._cap[k] / weight
            group = self._group[k]
            if group != CAP_GROUP:
                level = estimates.get(group)
                share = min(level_of[group] if level is None else level, share)
            others.append((-share, k, self._applied_count[k] * coefficient_of[k][link] * weight))
        others.sort()
        rest_load = 0.0
        for negative_share, _, demand in others:
            rest_load -= demand * negative_share
        joining = []
        for negative_share, k, demand in others:
            share = -negative_share
            if owned_weight > 0 and share <= (capacity - rest_load) / owned_weight * (
                1 + CHECK_TOLERANCE
            ):
                break
            joining.append(k)
            owned_weight += demand
            rest_load -= demand * share
        if owned_weight > 0:
            estimates[link] = (capacity - rest_load) / owned_weight
        for k in joining:
            self._move(k, link, pending)
        if not joining:
            # Nothing to move: the level itself is stale (e.g. foreign load just changed).
            pending.owners.add(link) if self._owned_classes[link] > 0 else pending.links.add(link)

    def _fix_bounds(self, owner: int, pending: _Pending) -> None:
        """Caps against an owner's level: classes capped below it leave, capped ones above join."""
        cap_group = CAP_GROUP
        level = self._level[owner]
        tolerance = CHECK_TOLERANCE * max(level, 1e-300)
        leaving = sorted(
            k for k in self._owned_by[owner] if self._cap[k] / self._weight[k] < level - tolerance
        )
        for k in leaving:
            self._move(k, cap_group, pending)
        if self._owned_classes[owner] > 0:
            self._ceiling[owner] = min(
                (self._cap[k] / self._weight[k] for k in self._owned_by[owner]), default=math.inf
            )
        above = [
            k for k in self._capped_on[owner] if self._cap[k] / self._weight[k] > level + tolerance
        ]
        if above:
            self._refill(owner, pending)
        else:
            self._floor[owner] = max(
                (self._cap[k] / self._weight[k] for k in self._capped_on[owner]), default=0.0
            )
        if leaving or not above:
            pending.owners.add(owner)
            pending.bounds.add(owner)
