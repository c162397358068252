"""The image pull back-off the kubelet keeps per pod and image, without a clock.

Source: ``k8s.io/client-go/util/flowcontrol/backoff.go`` (Backoff.Next, IsInBackOffSinceUpdate,
GC, hasExpired) as created in ``pkg/kubelet/kubelet.go`` with ``imageBackOffPeriod`` 10 s and
``MaxContainerBackOff`` 300 s and no jitter, and used by ``pkg/kubelet/images/image_manager.go``
with the key ``<podUID>_<image as written in the container spec>``.

Rules reproduced:
- The first failure sets the delay to 10 s; each later failure doubles it, capped at 300 s.
- An entry whose last failure is more than 2 x 300 s = 600 s old has expired: the next failure
  starts again at 10 s and a pod is no longer in back-off for it.
- A successful pull does not reset the entry; only expiry (and ``gc``) does.
- While ``now - last_failure < delay`` the kubelet refuses to pull (``ImagePullBackOff``).

Every method takes ``now`` in seconds, so the simulation owns time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

IMAGE_BACK_OFF_INITIAL_SECONDS = 10.0
IMAGE_BACK_OFF_MAXIMUM_SECONDS = 300.0


def image_back_off_key(pod_uid: str, image: str) -> str:
    """The kubelet's back-off key: pod UID and the image exactly as written."""
    return f"{pod_uid}_{image}"


@dataclass(frozen=True, slots=True)
class BackOffEntry:
    delay_seconds: float
    last_update_seconds: float


@dataclass(slots=True)
class Backoff:
    """Per-key exponential back-off (client-go flowcontrol.Backoff), clock-free."""

    initial_seconds: float = IMAGE_BACK_OFF_INITIAL_SECONDS
    maximum_seconds: float = IMAGE_BACK_OFF_MAXIMUM_SECONDS
    _entries: dict[str, BackOffEntry] = field(default_factory=dict, repr=False)

    def _has_expired(self, entry: BackOffEntry, now: float) -> bool:
        # client-go: stable once it has been fine for twice the maximum duration.
        return now - entry.last_update_seconds > 2 * self.maximum_seconds

    def next(self, key: str, now: float) -> float:
        """Record a failure at ``now`` and return the new delay in seconds."""
        entry = self._entries.get(key)
        if entry is None or self._has_expired(entry, now):
            delay = self.initial_seconds
        else:
            delay = min(entry.delay_seconds * 2, self.maximum_seconds)
        self._entries[key] = BackOffEntry(delay_seconds=delay, last_update_seconds=now)
        return delay

    def is_in_back_off(self, key: str, now: float) -> bool:
        """IsInBackOffSinceUpdate(key, now): true while ``now - last failure < delay``."""
        entry = self._entries.get(key)
        if entry is None or self._has_expired(entry, now):
            return False
        return now - entry.last_update_seconds < entry.delay_seconds

    def delay(self, key: str, now: float) -> float:
        """The current delay for ``key`` (0 when there is no live entry)."""
        entry = self._entries.get(key)
        if entry is None or self._has_expired(entry, now):
            return 0.0
        return entry.delay_seconds

    def back_off_until(self, key: str, now: float) -> float | None:
        """When the back-off for ``key`` ends, or None when not in back-off at ``now``."""
        if not self.is_in_back_off(key, now):
            return None
        entry = self._entries[key]
        return entry.last_update_seconds + entry.delay_seconds

    def gc(self, now: float) -> None:
        """Drop expired entries (the kubelet calls this after each successful pull)."""
        for key in [key for key, entry in self._entries.items() if self._has_expired(entry, now)]:
            del self._entries[key]

    def reset(self, key: str) -> None:
        self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)
