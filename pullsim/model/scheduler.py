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

from collections.abc import Mapping

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


class Scheduler:
    """Nodes as numpy columns; :meth:`schedule` picks a node for a pod and books its requests."""

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
        self._size = 0
        self._cpu = np.zeros(0)  # allocatable
        self._memory = np.zeros(0)
        self._max_pods = np.zeros(0)
        self._cpu_requested = np.zeros(0)
        self._memory_requested = np.zeros(0)
        self._cpu_nonzero = np.zeros(0)  # requests with non-zero defaults, for scoring
        self._memory_nonzero = np.zeros(0)
        self._pods = np.zeros(0)
        self._name_rank = np.zeros(0, dtype=np.int64)
        self._images: dict[str, np.ndarray] = {}  # image key -> bool per node
        self._image_sizes: dict[str, float] = {}
        self._next_start = 0
        self._rank_dirty = False
        self._selector_cache: dict[tuple, np.ndarray] = {}
        self._requests_cache: dict[tuple[int, int], tuple] = {}

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
        self._max_pods = grow(self._max_pods, max_pods)
        for attribute in (
            "_cpu_requested",
            "_memory_requested",
            "_cpu_nonzero",
            "_memory_nonzero",
            "_pods",
        ):
            setattr(self, attribute, grow(getattr(self, attribute), 0.0))
        for key in self._images:
            self._images[key] = np.append(self._images[key], False)
        self._rank_dirty = True  # recomputed at the next schedule: nodes often join in bulk
        self._selector_cache.clear()
        return index

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
            present[index] = True

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
        self._cpu_requested[index] += sign * cpu
        self._memory_requested[index] += sign * memory
        self._cpu_nonzero[index] += sign * cpu_nonzero
        self._memory_nonzero[index] += sign * memory_nonzero
        self._pods[index] += sign

    def _selector_mask(self, selector: Mapping[str, str]) -> np.ndarray:
        key = tuple(sorted(selector.items()))
        mask = self._selector_cache.get(key)
        if mask is None:
            mask = np.array(
                [all(labels.get(k) == v for k, v in key) for labels in self.labels], dtype=bool
            )
            self._selector_cache[key] = mask
        return mask

    def schedule(self, spec: PodSpec) -> str | None:
        """The node for the pod (booked), or None when no node fits."""
        count = len(self.names)
        if count == 0:
            return None
        requests = self._requests(spec)
        cpu, memory, cpu_nonzero, memory_nonzero = requests
        selector = self._selector_mask(spec.node_selector) if spec.node_selector else None
        to_find = num_feasible_nodes_to_find(count, self.percentage)
        start = self._next_start % count
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
            fits = (
                (self._pods[low:high] < self._max_pods[low:high])
                & (self._cpu_requested[low:high] + cpu <= self._cpu[low:high] + 1e-9)
                & (self._memory_requested[low:high] + memory <= self._memory[low:high] + 1e-9)
            )
            if selector is not None:
                fits &= selector[low:high]
            hits = np.flatnonzero(fits)
            if hits.shape[0]:
                parts.append(hits + position)
                found_count += hits.shape[0]
            position += high - low
            window = count  # a crowded ring: look at the rest in one go
        if found_count == 0:
            self._next_start = start
            return None
        found = parts[0] if len(parts) == 1 else np.concatenate(parts)
        if found_count > to_find:
            found = found[:to_find]
            processed = int(found[-1]) + 1
        else:
            processed = count
        self._next_start = (start + processed) % count
        candidates = found + start
        candidates[candidates >= count] -= count
        cpu_score = (self._cpu[candidates] - self._cpu_nonzero[candidates] - cpu_nonzero) * 100
        cpu_score = np.floor_divide(np.maximum(cpu_score, 0), self._cpu[candidates])
        memory_score = (
            self._memory[candidates] - self._memory_nonzero[candidates] - memory_nonzero
        ) * 100
        memory_score = np.floor_divide(np.maximum(memory_score, 0), self._memory[candidates])
        score = (cpu_score + memory_score) // 2
        if self.image_locality:
            score = score + self._locality(spec, candidates, count)
        if self._rank_dirty:
            order = sorted(range(count), key=self.names.__getitem__)
            self._name_rank = np.empty(count, dtype=np.int64)
            self._name_rank[order] = np.arange(count)
            self._rank_dirty = False
        best = candidates[score == score.max()]
        chosen = int(best[np.argmin(self._name_rank[best])])
        self._book(requests, chosen, +1.0)
        return self.names[chosen]

    def _locality(self, spec: PodSpec, candidates: np.ndarray, count: int) -> np.ndarray:
        sums = np.zeros(candidates.shape[0])
        for container in spec.all_containers:  # init containers too, as upstream now does
            key = normalized_image_name(container.image)
            present = self._images.get(key)
            if present is None:
                continue
            spread = float(present.sum()) / float(count)
            sums += present[candidates] * float(int(self._image_sizes.get(key, 0.0) * spread))
        containers = len(spec.all_containers)
        maximum = MAX_CONTAINER_THRESHOLD * containers
        clamped = np.clip(sums, MIN_THRESHOLD, maximum)
        return (MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) // (maximum - MIN_THRESHOLD)
