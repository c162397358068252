"""A kube-scheduler for image-pull studies: filter, score, bind, one pod at a time.

Sources (kubernetes/kubernetes, ``pkg/scheduler``):
- Filters: ``NodeResourcesFit`` (the pod's effective requests, :meth:`PodSpec.resource_requests`,
  plus what is already requested must fit the node's allocatable cpu and memory; the pod count
  must stay within ``maxPods``, 110 by default) and ``NodeAffinity`` for ``nodeSelector``
  (every label equal). A pod with ``nodeName`` skips the scheduler and is bound as written.
- How many nodes are looked at (``schedule_one.go`` numFeasibleNodesToFind): all of them up to
  100 nodes; otherwise ``percentageOfNodesToScore`` (adaptive when unset:
  ``max(5, 50 - nodes/125)`` percent, at least 100 nodes), searching round-robin from where the
  previous pod stopped (``nextStartNodeIndex``).
- Scores, each 0..100 with weight 1: ``NodeResourcesFit`` LeastAllocated over cpu and memory,
  ``(allocatable - requested) * 100 / allocatable`` per resource, where requested includes the
  pod with non-zero defaults for containers without requests (0.1 cpu, 200 MiB;
  ``pkg/scheduler/util/pod_resources.go``), averaged; and optionally ``ImageLocality``
  (``framework/plugins/imagelocality/image_locality.go``): ``sumImageScores`` adds, for each
  init and app container whose image name is in the node's image states,
  ``scaledImageScore = int64(size x NumNodes / totalNumNodes)``; ``calculatePriority`` clamps
  the sum to ``[minThreshold = 23 MiB, maxContainerThreshold = 1000 MiB x containers]`` and
  scales it to ``100 x (sum - min) / (max - min)`` in integers.
- Image names as upstream: the pod's image string gets ``:latest`` when it has no tag
  (``normalizedImageName``: the last ``:`` is not after the last ``/``) and is compared as a
  plain string with the names in node status, which are what the runtime lists (CRI
  ``RepoTags`` and ``RepoDigests``): fully qualified for containerd and CRI-O
  (``docker.io/library/nginx:1.25``), familiar for Docker (``nginx:1.25``). So under containerd
  a pod asking for ``nginx:1.25`` gets no locality score for a node that has it
  (kubernetes/kubernetes#112699, the TODO above ``normalizedImageName``); pullsim reproduces
  that rather than correcting it. Repo digests are listed only for images pulled by digest.
- Ties: upstream picks at random among the best (``selectHost``, reservoir sampling); pullsim
  takes the first by node name, so runs are reproducible.

Not modelled: the other default plugins (BalancedAllocation, TaintToleration, PodTopologySpread,
InterPodAffinity, VolumeBinding ...), preemption, the scheduling queue's back-off, binding
latency and the lag of image lists in node status (image presence is known at once).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping

import numpy as np

from pullsim.kube import InvalidImageName, PodSpec, parse_image_ref

__all__ = [
    "Scheduler",
    "image_locality_score",
    "node_status_image_names",
    "normalized_image_name",
    "num_feasible_nodes_to_find",
]

MIB = 1024.0**2
MIN_THRESHOLD = 23 * MIB  # image_locality.go minThreshold
MAX_CONTAINER_THRESHOLD = 1000 * MIB  # image_locality.go maxContainerThreshold
MAX_NODE_SCORE = 100
DEFAULT_MILLI_CPU_REQUEST = 0.1  # pkg/scheduler/util: DefaultMilliCPURequest = 100m
DEFAULT_MEMORY_REQUEST = 200 * MIB  # DefaultMemoryRequest = 200 MiB
MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5
BASE_PERCENTAGE_OF_NODES_TO_SCORE = 50


def num_feasible_nodes_to_find(nodes: int, percentage: int | None = None) -> int:
    """schedule_one.go numFeasibleNodesToFind (percentage None or 0: adaptive)."""
    if nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return nodes
    if percentage is None or percentage <= 0:
        percentage = BASE_PERCENTAGE_OF_NODES_TO_SCORE - nodes // 125
        percentage = max(percentage, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    if percentage >= 100:
        return nodes
    found = nodes * percentage // 100
    return max(found, MIN_FEASIBLE_NODES_TO_FIND)


def image_locality_score(sum_scores: float, containers: int) -> int:
    """calculatePriority: clamp to [23 MiB, 1000 MiB x containers], scale to 0..100."""
    maximum = MAX_CONTAINER_THRESHOLD * containers
    clamped = min(max(sum_scores, MIN_THRESHOLD), maximum)
    return int(MAX_NODE_SCORE * (clamped - MIN_THRESHOLD) // (maximum - MIN_THRESHOLD))


def normalized_image_name(name: str) -> str:
    """image_locality.go normalizedImageName: ``name + ":latest"`` when the last ``:`` is not
    after the last ``/`` (no tag); nothing else is normalised."""
    if name.rfind(":") <= name.rfind("/"):
        return name + ":latest"
    return name


def node_status_image_names(image: str, *, familiar: bool = False) -> tuple[str, ...]:
    """The names node status lists for an image pulled as ``image`` (CRI ListImages
    ``RepoDigests`` then ``RepoTags``): fully qualified (containerd, CRI-O) or, with
    ``familiar``, as Docker shows them. Digests only when ``image`` names one."""
    try:
        ref = parse_image_ref(image)
    except InvalidImageName:
        return (image,)
    name = ref.familiar_name if familiar else ref.name
    names = []
    if ref.digest is not None:
        names.append(f"{name}@{ref.digest}")
    if ref.tag is not None or ref.digest is None:
        names.append(f"{name}:{ref.tag_or_default}")
    return tuple(names)


MAX_CACHED_FITS = 64  # request signatures whose fit is kept node by node (see _Fit)
_SCORE_LIMIT = 2.0**20  # cached keys hold scores up to this, exactly in float64 with the rank
_SCALAR_UPDATES = 64  # up to this many pending bookings, a fit is updated node by node
_LOG_LIMIT = 4096  # bookings logged before fits that have not caught up are rebuilt in full


class _Fit:
    """What pods of one signature (requests, node selector) see of every node.

    ``key[i]`` is ``score x scale + (scale - 1 - name rank)`` when the pod fits node ``i``, -1
    when it does not: the largest key among candidates is the best LeastAllocated score, ties
    to the first node by name, which is :meth:`Scheduler.schedule`'s choice. Bookings change
    one node at a time; the scheduler logs them and a fit applies what it has not ``seen``
    when it is next used. Scores and ranks are small integers, so the keys are exact."""

    __slots__ = ("infeasible", "key", "requests", "seen", "selector")

    def __init__(
        self, requests: tuple[float, float, float, float], selector: np.ndarray | None
    ) -> None:
        self.requests = requests
        self.selector = selector  # bool per node, or None
        self.key = np.zeros(0)
        self.infeasible = 0  # nodes the pod does not fit
        self.seen = -1  # bookings applied from the scheduler's log; -1: rebuild in full


class Scheduler:
    """Nodes as numpy columns; :meth:`schedule` picks a node for a pod and books its requests.

    The filter and the LeastAllocated score of pods with the same requests and node selector
    are kept per node (:class:`_Fit`) and updated only where a booking changed something, so
    a pod costs an argmax over the nodes searched rather than the whole filter and score. The
    arithmetic is the same float arithmetic, element by element, as the plain path
    (:meth:`_schedule_plain`), which pods of uncached signatures still take."""

    def __init__(
        self,
        *,
        image_locality: bool = False,
        percentage_of_nodes_to_score: int | None = None,
        familiar_image_names: bool = False,
    ) -> None:
        self.image_locality = image_locality
        self.familiar_image_names = familiar_image_names  # Docker lists familiar names
        self.percentage = percentage_of_nodes_to_score
        self.names: list[str] = []
        self.index: dict[str, int] = {}
        self.labels: list[Mapping[str, str]] = []
        self._cpu = np.zeros(0)  # allocatable
        self._memory = np.zeros(0)
        self._fit_cpu = np.zeros(0)  # allocatable + 1e-9: the filter's bound
        self._fit_memory = np.zeros(0)
        self._max_pods = np.zeros(0)
        self._cpu_requested = np.zeros(0)
        self._memory_requested = np.zeros(0)
        self._cpu_nonzero = np.zeros(0)  # requests with non-zero defaults, for scoring
        self._memory_nonzero = np.zeros(0)
        self._pods = np.zeros(0)
        # The same per node as Python floats, for updating fits node by node: pods, max pods,
        # cpu requested, cpu bound, memory requested, memory bound, cpu, cpu non-zero,
        # memory, memory non-zero.
        self._rows: list[list[float]] = []
        self._name_rank = np.zeros(0, dtype=np.int64)
        self._scale = 1.0  # a power of two above the node count
        self._tiebreak = np.zeros(0)  # scale - 1 - name rank
        self._tiebreak_list: list[float] = []
        self._images: dict[str, np.ndarray] = {}  # image key -> bool per node
        self._image_counts: dict[str, int] = {}  # image key -> nodes that have it
        self._image_sizes: dict[str, float] = {}
        self._next_start = 0
        self._rank_dirty = False
        self._to_find: tuple = (-1, None, 0)  # node count, percentage: numFeasibleNodesToFind
        self._cacheable = True  # False when an allocatable is not a positive finite number
        self._selector_cache: dict[tuple, np.ndarray] = {}
        self._requests_cache: dict[tuple[int, int], tuple] = {}
        self._fits: dict[tuple, _Fit] = {}
        self._uncacheable: set[tuple] = set()
        self._changes: list[int] = []  # nodes booked since the log was last cleared

    # ------------------------------------------------------------------ nodes
    def add_node(
        self,
        name: str,
        *,
        cpu: float,
        memory: float,
        max_pods: int = 110,
        labels: Mapping[str, str] | None = None,
    ) -> int:
        if name in self.index:
            raise ValueError(f"node {name!r} already exists")
        index = len(self.names)
        self.names.append(name)
        self.index[name] = index
        self.labels.append(dict(labels or {}))

        def grow(values: np.ndarray, value: float) -> np.ndarray:
            return np.append(values, value)

        self._cpu = grow(self._cpu, cpu)
        self._memory = grow(self._memory, memory)
        self._fit_cpu = grow(self._fit_cpu, self._cpu[index] + 1e-9)
        self._fit_memory = grow(self._fit_memory, self._memory[index] + 1e-9)
        self._max_pods = grow(self._max_pods, max_pods)
        for attribute in (
            "_cpu_requested",
            "_memory_requested",
            "_cpu_nonzero",
            "_memory_nonzero",
            "_pods",
        ):
            setattr(self, attribute, grow(getattr(self, attribute), 0.0))
        self._rows.append(
            [
                0.0,
                float(self._max_pods[index]),
                0.0,
                float(self._fit_cpu[index]),
                0.0,
                float(self._fit_memory[index]),
                float(self._cpu[index]),
                0.0,
                float(self._memory[index]),
                0.0,
            ]
        )
        if not (0.0 < self._rows[index][6] < math.inf and 0.0 < self._rows[index][8] < math.inf):
            self._cacheable = False  # a division by zero: leave it to the plain path
        for key in self._images:
            self._images[key] = np.append(self._images[key], False)
        self._rank_dirty = True  # recomputed at the next schedule: nodes often join in bulk
        self._selector_cache.clear()
        self._fits.clear()
        self._changes.clear()
        return index

    def _ensure_rank(self) -> None:
        if not self._rank_dirty:
            return
        count = len(self.names)
        order = sorted(range(count), key=self.names.__getitem__)
        self._name_rank = np.empty(count, dtype=np.int64)
        self._name_rank[order] = np.arange(count)
        self._scale = float(1 << max(1, count.bit_length()))
        self._tiebreak = self._scale - 1.0 - self._name_rank
        self._tiebreak_list = self._tiebreak.tolist()
        self._rank_dirty = False

    def _names(self, image: str) -> tuple[str, ...]:
        return node_status_image_names(image, familiar=self.familiar_image_names)

    def set_image_size(self, image: str, size: float) -> None:
        """The size node status reports for ``image`` (ImageStateSummary.Size)."""
        for name in self._names(image):
            self._image_sizes[name] = size

    def image_present(self, node: str, image: str) -> None:
        """The node now has ``image`` (the kubelet reports it in node status at once)."""
        index = self.index[node]
        for name in self._names(image):
            present = self._images.get(name)
            if present is None:
                present = self._images[name] = np.zeros(len(self.names), dtype=bool)
                self._image_counts[name] = 0
            if not present[index]:
                present[index] = True
                self._image_counts[name] += 1

    def image_locality_scores(self, spec: PodSpec) -> dict[str, int]:
        """The ImageLocality score of ``spec`` on every node, by node name."""
        count = len(self.names)
        scores = self._locality(spec, np.arange(count), count)
        return {name: int(score) for name, score in zip(self.names, scores, strict=True)}

    # ------------------------------------------------------------------ pods
    def _requests(self, spec: PodSpec) -> tuple[float, float, float, float]:
        # Pods of one template share their container tuples (``replace`` keeps them), so the
        # requests are computed once per template; the cache holds the tuples, so ids stay theirs.
        key = (id(spec.init_containers), id(spec.containers))
        cached = self._requests_cache.get(key)
        if cached is not None:
            return cached[2]
        requests = spec.resource_requests()
        cpu = requests.get("cpu", 0.0)
        memory = requests.get("memory", 0.0)
        # Scoring counts each long-running container at least at the non-zero defaults.
        cpu_nonzero = memory_nonzero = 0.0
        for container in spec.containers:
            cpu_nonzero += container.resource_requests.get("cpu", 0.0) or DEFAULT_MILLI_CPU_REQUEST
            memory_nonzero += (
                container.resource_requests.get("memory", 0.0) or DEFAULT_MEMORY_REQUEST
            )
        value = (cpu, memory, max(cpu, cpu_nonzero), max(memory, memory_nonzero))
        self._requests_cache[key] = (spec.init_containers, spec.containers, value)
        return value

    def bind(self, spec: PodSpec, node: str) -> None:
        """Book the pod's requests on ``node`` (after scheduling, or for nodeName pods)."""
        self._book(self._requests(spec), self.index[node], +1.0)

    def unbind(self, spec: PodSpec, node: str) -> None:
        self._book(self._requests(spec), self.index[node], -1.0)

    def _book(self, requests: tuple[float, float, float, float], index: int, sign: float) -> None:
        cpu, memory, cpu_nonzero, memory_nonzero = requests
        row = self._rows[index]
        # The columns get the same float64 sums as the row (old + sign x amount).
        row[0] += sign
        self._pods[index] = row[0]
        row[2] += sign * cpu
        self._cpu_requested[index] = row[2]
        row[4] += sign * memory
        self._memory_requested[index] = row[4]
        row[7] += sign * cpu_nonzero
        self._cpu_nonzero[index] = row[7]
        row[9] += sign * memory_nonzero
        self._memory_nonzero[index] = row[9]
        if self._fits:
            changes = self._changes
            if len(changes) >= _LOG_LIMIT:
                for fit in self._fits.values():
                    fit.seen = 0 if fit.seen == len(changes) else -1
                changes.clear()
            changes.append(index)

    def _selector_mask(self, key: tuple) -> np.ndarray:
        mask = self._selector_cache.get(key)
        if mask is None:
            mask = np.array(
                [all(labels.get(k) == v for k, v in key) for labels in self.labels], dtype=bool
            )
            self._selector_cache[key] = mask
        return mask

    # ------------------------------------------------------------------ fits
    def _fit(
        self, requests: tuple[float, float, float, float], selector: tuple | None
    ) -> _Fit | None:
        """The signature's fit brought up to date, or None: not cacheable, leave it to
        :meth:`_schedule_plain`."""
        if not self._cacheable:
            return None
        signature = (requests, selector)
        fit = self._fits.get(signature)
        if fit is None:
            if len(self._fits) >= MAX_CACHED_FITS or signature in self._uncacheable:
                return None
            mask = self._selector_mask(selector) if selector is not None else None
            fit = self._fits[signature] = _Fit(requests, mask)
        if fit.seen != len(self._changes) and not self._catch_up(fit):
            # A score outside the exact range (an absurd request): never cached again.
            del self._fits[signature]
            self._uncacheable.add(signature)
            return None
        return fit

    def _catch_up(self, fit: _Fit) -> bool:
        """Apply the bookings the fit has not seen; False if a key would not be exact."""
        changes = self._changes
        seen = fit.seen
        if seen >= 0 and len(changes) - seen <= _SCALAR_UPDATES:
            if not self._update_nodes(fit, set(changes[seen:])):
                return False
        else:
            self._ensure_rank()
            indexes = None
            if seen >= 0:
                indexes = np.unique(np.array(changes[seen:], dtype=np.intp))
                if indexes.shape[0] * 4 > len(self.names):
                    indexes = None  # most nodes changed: rebuild
            if indexes is None:
                values = self._keys(fit, slice(None))
                if values is None:
                    return False
                fit.key = values
                fit.infeasible = int(np.count_nonzero(values < 0.0))
            else:
                values = self._keys(fit, indexes)
                if values is None:
                    return False
                old = fit.key[indexes]
                fit.infeasible += int(np.count_nonzero(values < 0.0)) - int(
                    np.count_nonzero(old < 0.0)
                )
                fit.key[indexes] = values
        fit.seen = len(changes)
        return True

    def _keys(self, fit: _Fit, nodes: slice | np.ndarray) -> np.ndarray | None:
        """The fit's keys of ``nodes``: the filter and score of :meth:`_schedule_plain`."""
        cpu, memory, cpu_nonzero, memory_nonzero = fit.requests
        fits = (
            (self._pods[nodes] < self._max_pods[nodes])
            & (self._cpu_requested[nodes] + cpu <= self._fit_cpu[nodes])
            & (self._memory_requested[nodes] + memory <= self._fit_memory[nodes])
        )
        if fit.selector is not None:
            fits &= fit.selector[nodes]
        score = self._least_allocated(nodes, cpu_nonzero, memory_nonzero)
        if not np.all(((score >= 0.0) & (score <= _SCORE_LIMIT)) | ~fits):
            return None
        return np.where(fits, score * self._scale + self._tiebreak[nodes], -1.0)

    def _update_nodes(self, fit: _Fit, indexes: Iterable[int]) -> bool:
        """Update a few nodes' keys in Python floats: the same operations, one by one, as
        :meth:`_keys` (IEEE doubles; ``//`` on floats is numpy's floor_divide algorithm).
        False if a key would not be exact."""
        cpu, memory, cpu_nonzero, memory_nonzero = fit.requests
        selector = fit.selector
        rows = self._rows
        tiebreak = self._tiebreak_list
        scale = self._scale
        key = fit.key
        for index in indexes:
            (
                pods,
                max_pods,
                cpu_requested,
                cpu_bound,
                memory_requested,
                memory_bound,
                cpu_allocatable,
                cpu_booked,
                memory_allocatable,
                memory_booked,
            ) = rows[index]
            if (
                pods < max_pods
                and cpu_requested + cpu <= cpu_bound
                and memory_requested + memory <= memory_bound
                and (selector is None or selector[index])
            ):
                cpu_score = (cpu_allocatable - cpu_booked - cpu_nonzero) * 100
                if cpu_score < 0.0:
                    cpu_score = 0.0
                memory_score = (memory_allocatable - memory_booked - memory_nonzero) * 100
                if memory_score < 0.0:
                    memory_score = 0.0
                score = (cpu_score // cpu_allocatable + memory_score // memory_allocatable) // 2
                if not 0.0 <= score <= _SCORE_LIMIT:
                    return False
                value = score * scale + tiebreak[index]
                if key[index] < 0.0:
                    fit.infeasible -= 1
            else:
                value = -1.0
                if key[index] >= 0.0:
                    fit.infeasible += 1
            key[index] = value
        return True

    def _least_allocated(
        self, nodes: slice | np.ndarray, cpu_nonzero: float, memory_nonzero: float
    ) -> np.ndarray:
        """NodeResourcesFit LeastAllocated of ``nodes`` with the pod booked (integer-valued)."""
        cpu_score = (self._cpu[nodes] - self._cpu_nonzero[nodes] - cpu_nonzero) * 100
        cpu_score = np.floor_divide(np.maximum(cpu_score, 0), self._cpu[nodes])
        memory_score = (self._memory[nodes] - self._memory_nonzero[nodes] - memory_nonzero) * 100
        memory_score = np.floor_divide(np.maximum(memory_score, 0), self._memory[nodes])
        return (cpu_score + memory_score) // 2

    # ------------------------------------------------------------------ scheduling
    def schedule(self, spec: PodSpec) -> str | None:
        """The node for the pod (booked), or None when no node fits."""
        count = len(self.names)
        if count == 0:
            return None
        requests = self._requests(spec)
        selector = tuple(sorted(spec.node_selector.items())) if spec.node_selector else None
        fit = self._fit(requests, selector)
        if fit is None:
            return self._schedule_plain(spec, requests, selector)
        to_find = self._num_to_find(count)
        start = self._next_start % count
        key = fit.key
        candidates = None
        if fit.infeasible == 0:
            # Every node fits: the search takes the next ``to_find`` nodes of the ring.
            processed = to_find if to_find < count else count
            end = start + processed
            if self.image_locality:
                candidates = np.arange(start, end)
                candidates[candidates >= count] -= count
            elif end <= count:
                chosen = start + int(key[start:end].argmax())
            else:
                first = start + int(key[start:].argmax())
                second = int(key[: end - count].argmax())
                chosen = first if key[first] > key[second] else second
        elif fit.infeasible == count:
            self._next_start = start
            return None
        else:
            searched = self._search(start, count, lambda low, high: key[low:high] >= 0.0)
            assert searched is not None  # some node fits
            found, processed = searched
            candidates = found + start
            candidates[candidates >= count] -= count
        if candidates is not None:
            totals = key[candidates]
            if self.image_locality:
                totals = totals + self._locality(spec, candidates, count) * self._scale
            chosen = int(candidates[int(totals.argmax())])
        self._next_start = (start + processed) % count
        self._book(requests, chosen, +1.0)
        return self.names[chosen]

    def _schedule_plain(
        self, spec: PodSpec, requests: tuple[float, float, float, float], selector: tuple | None
    ) -> str | None:
        """Filter and score the nodes searched from scratch (signatures without a fit)."""
        count = len(self.names)
        cpu, memory, cpu_nonzero, memory_nonzero = requests
        mask = self._selector_mask(selector) if selector is not None else None

        def fits(low: int, high: int) -> np.ndarray:
            fits = (
                (self._pods[low:high] < self._max_pods[low:high])
                & (self._cpu_requested[low:high] + cpu <= self._fit_cpu[low:high])
                & (self._memory_requested[low:high] + memory <= self._fit_memory[low:high])
            )
            if mask is not None:
                fits &= mask[low:high]
            return fits

        start = self._next_start % count
        searched = self._search(start, count, fits)
        if searched is None:
            self._next_start = start
            return None
        found, processed = searched
        self._next_start = (start + processed) % count
        candidates = found + start
        candidates[candidates >= count] -= count
        score = self._least_allocated(candidates, cpu_nonzero, memory_nonzero)
        if self.image_locality:
            score = score + self._locality(spec, candidates, count)
        self._ensure_rank()
        best = candidates[score == score.max()]
        chosen = int(best[np.argmin(self._name_rank[best])])
        self._book(requests, chosen, +1.0)
        return self.names[chosen]

    def _num_to_find(self, count: int) -> int:
        if self._to_find[:2] != (count, self.percentage):
            found = num_feasible_nodes_to_find(count, self.percentage)
            self._to_find = (count, self.percentage, found)
        return self._to_find[2]

    def _search(
        self, start: int, count: int, fits: Callable[[int, int], np.ndarray]
    ) -> tuple[np.ndarray, int] | None:
        """The first ``numFeasibleNodesToFind`` nodes that fit, along the ring from ``start``
        (positions from ``start``), and how many nodes the search went through: up to the last
        one found when more fit, the whole ring otherwise. None when no node fits."""
        to_find = self._num_to_find(count)
        # Filter the ring from ``start`` in contiguous windows rather than all at once: the
        # search stops once it knows whether more than ``to_find`` nodes fit.
        window = to_find + to_find // 4 + 32
        parts: list[np.ndarray] = []
        found_count = 0
        position = 0  # along the ring, from start
        while position < count and found_count <= to_find:
            low = start + position
            if low >= count:
                low -= count
            high = min(count, low + window, low + count - position)
            hits = np.flatnonzero(fits(low, high))
            if hits.shape[0]:
                parts.append(hits + position)
                found_count += hits.shape[0]
            position += high - low
            window = count  # a crowded ring: look at the rest in one go
        if found_count == 0:
            return None
        found = parts[0] if len(parts) == 1 else np.concatenate(parts)
        if found_count > to_find:
            found = found[:to_find]
            return found, int(found[-1]) + 1
        return found, count

    def _locality(self, spec: PodSpec, candidates: np.ndarray, count: int) -> np.ndarray:
        sums = np.zeros(candidates.shape[0])
        for container in spec.all_containers:  # init containers too, as upstream now does
            key = normalized_image_name(container.image)
            present = self._images.get(key)
            if present is None:
                continue
            spread = float(self._image_counts[key]) / float(count)
            sums += present[candidates] * float(int(self._image_sizes.get(key, 0.0) * spread))
        containers = len(spec.all_containers)
        maximum = MAX_CONTAINER_THRESHOLD * containers
        clamped = np.clip(sums, MIN_THRESHOLD, maximum)
        return (MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) // (maximum - MIN_THRESHOLD)
