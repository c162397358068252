"""The kubelet's image garbage collection (KUBELET.md §6), on one node's container runtime.

Model (``pkg/kubelet/images/image_gc_manager.go`` GarbageCollect, freeSpace)
--------------------------------------------------------------------------
- Usage is computed as the kubelet does, in integer percent:
  ``usage = 100 - floor(available * 100 / capacity)``. When ``usage >= high`` (default 85), the
  kubelet tries to free ``floor(capacity * (100 - low) / 100) - available`` bytes (low default
  80).
- Candidates: images no container uses (a container that exited still uses its image until it
  is removed), not pinned (the sandbox image), first detected at least ``imageMinimumGCAge``
  (default 2 min) ago. Order: oldest last use first, images never used before all others
  (their last use is Go's zero time), ties broken by first detection.
- Each deleted image counts as its size *as the runtime reports it* (containerd: compressed
  content) until the amount is reached; the disk itself frees what the image did not share
  with the images left. If the candidates are not enough, a ``FreeDiskSpaceFailed`` warning
  event says ``Failed to garbage collect required amount of images. Attempted to free <n>
  bytes, but only found <m> bytes eligible to free.``
- :meth:`ImageGarbageCollector.start` runs it every 5 minutes (``ImageGCPeriod``), the first
  time at once (``wait.Until``).

Not modelled: ``imageMaximumGCAge``; the 5-minute granularity of image detection (an image is
"first detected" when it lands in the store); the eviction manager's own image GC on disk
pressure.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import simpy

from pullsim.model.runtime import ContainerRuntime

__all__ = ["FREE_DISK_SPACE_FAILED", "ImageGarbageCollector", "ImageGCPolicy", "ImageGCResult"]

FREE_DISK_SPACE_FAILED = "FreeDiskSpaceFailed"
IMAGE_GC_PERIOD_S = 300.0


@dataclass(frozen=True)
class ImageGCPolicy:
    """KubeletConfiguration's image GC fields (defaults: KUBELET.md §5)."""

    high_threshold_percent: int = 85
    low_threshold_percent: int = 80
    minimum_age_s: float = 120.0

    def __post_init__(self) -> None:
        if not 0 <= self.high_threshold_percent <= 100:
            raise ValueError("high_threshold_percent must be between 0 and 100")
        if not 0 <= self.low_threshold_percent < self.high_threshold_percent:
            raise ValueError("low_threshold_percent must be >= 0 and below the high threshold")


@dataclass(frozen=True)
class ImageGCResult:
    time_s: float
    usage_percent: int
    bytes_to_free: int
    bytes_counted_freed: float  # by the sizes the runtime reports, as the kubelet counts
    bytes_freed_on_disk: float
    removed: tuple[str, ...]  # image references, in deletion order
    error: str = ""


class ImageGarbageCollector:
    """Image GC of one node's runtime; call :meth:`collect` or :meth:`start` the loop."""

    def __init__(
        self,
        runtime: ContainerRuntime,
        policy: ImageGCPolicy | None = None,
        *,
        period_s: float = IMAGE_GC_PERIOD_S,
    ) -> None:
        self.runtime = runtime
        self.env = runtime.env
        self.policy = policy or ImageGCPolicy()
        self.period_s = period_s
        self.results: list[ImageGCResult] = []

    def collect(self) -> ImageGCResult:
        runtime = self.runtime
        node = runtime.node
        now = self.env.now
        capacity = int(node.disk_capacity_bytes)
        available = min(int(node.disk_available_bytes), capacity)
        usage = 100 - (available * 100) // capacity
        result = ImageGCResult(now, usage, 0, 0.0, 0.0, ())
        if usage >= self.policy.high_threshold_percent:
            to_free = capacity * (100 - self.policy.low_threshold_percent) // 100 - available
            result = self._free_space(to_free, usage)
        self.results.append(result)
        return result

    def _free_space(self, to_free: int, usage: int) -> ImageGCResult:
        runtime = self.runtime
        now = self.env.now
        candidates = [
            record
            for record in runtime.images.values()
            if record.containers_using == 0 and not record.pinned
        ]
        # Never used (Go zero time) first, then oldest last use; ties by first detection.
        candidates.sort(
            key=lambda record: (
                record.last_used_s is not None,
                record.last_used_s or 0.0,
                record.first_detected_s,
            )
        )
        counted = 0.0
        on_disk = 0.0
        removed: list[str] = []
        for record in candidates:
            if record.last_used_s is not None and record.last_used_s >= now:
                continue  # used at this very instant
            if now - record.first_detected_s < self.policy.minimum_age_s:
                continue
            counted += runtime.image_size(record)
            on_disk += runtime.remove_image(record.digest)
            removed.append(record.image.reference)
            if counted >= to_free:
                break
        error = ""
        if counted < to_free:
            error = (
                "Failed to garbage collect required amount of images. Attempted to free "
                f"{to_free} bytes, but only found {int(counted)} bytes eligible to free."
            )
            runtime.records.event(
                now, runtime.node.name, FREE_DISK_SPACE_FAILED, error, type="Warning"
            )
        return ImageGCResult(now, usage, to_free, counted, on_disk, tuple(removed), error)

    def start(self) -> simpy.Process:
        """Run :meth:`collect` now and every ``period_s`` after."""
        return self.env.process(self._loop())

    def _loop(self) -> Generator[simpy.Event, Any, None]:
        while True:
            self.collect()
            yield self.env.timeout(self.period_s)
