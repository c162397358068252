"""The kubelet's image pullers and its pull QPS limit.

Sources (kubernetes/kubernetes):
- ``pkg/kubelet/images/puller.go``: ``serialImagePuller`` has one goroutine reading a channel
  of ``maxImagePullRequests = 10`` requests, so a pod worker sending an eleventh request blocks
  (no error) until the worker takes one out; ``parallelImagePuller`` starts a goroutine per
  request, which first takes one of ``maxParallelImagePulls`` tokens when a cap is set and waits
  for it without limit.
- ``pkg/kubelet/images/helpers.go`` ``throttleImagePulling``: when ``registryPullQPS > 0`` the
  image service is wrapped by ``flowcontrol.NewTokenBucketRateLimiter(qps, burst)`` and
  ``PullImage`` calls ``TryAccept()``: no token left fails the pull at once with
  ``pull QPS exceeded``. The check happens where the puller calls ``PullImage``: after the
  serial queue or the parallel token, never when the pod asks.
- ``k8s.io/client-go/util/flowcontrol/throttle.go`` over ``golang.org/x/time/rate``: the bucket
  starts full (``burst`` tokens) and refills at ``qps`` tokens per second up to ``burst``.

A pull is handed to a puller as a generator function (``run``): the puller decides *when* it
starts; ``run`` does the QPS check and the runtime pull and returns its result.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from typing import Any

import simpy

__all__ = [
    "MAX_IMAGE_PULL_REQUESTS",
    "PULL_QPS_EXCEEDED",
    "ImagePuller",
    "ParallelImagePuller",
    "PullQPSLimiter",
    "SerialImagePuller",
    "make_puller",
]

MAX_IMAGE_PULL_REQUESTS = 10  # puller.go: the serial puller's channel buffer
PULL_QPS_EXCEEDED = "pull QPS exceeded"  # helpers.go throttledImageService.PullImage

PullRun = Callable[[], Generator[simpy.Event, Any, Any]]


class PullQPSLimiter:
    """A token bucket with TryAccept semantics: full at start, ``qps`` tokens/s up to ``burst``."""

    def __init__(self, qps: float, burst: int, now: float = 0.0) -> None:
        if qps <= 0 or burst < 1:
            raise ValueError("PullQPSLimiter needs qps > 0 and burst >= 1")
        self.qps = float(qps)
        self.burst = float(burst)
        self.tokens = float(burst)
        self.last_s = now

    def try_accept(self, now: float) -> bool:
        """Take one token if there is one (rate.Limiter.AllowN(now, 1))."""
        self.tokens = min(self.burst, self.tokens + (now - self.last_s) * self.qps)
        self.last_s = now
        # A hair of tolerance: 1/qps seconds of refill must give a whole token despite rounding.
        if self.tokens >= 1.0 - 1e-9:
            self.tokens = max(0.0, self.tokens - 1.0)
            return True
        return False


class ImagePuller:
    """Decides when a pull runs; :meth:`pull` is a generator the pod worker delegates to."""

    kind = "abstract"

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.active = 0  # pulls running now (for the properties the tests check)
        self.peak_active = 0

    def pull(self, run: PullRun) -> Generator[simpy.Event, Any, Any]:  # pragma: no cover
        raise NotImplementedError

    def _run(self, run: PullRun) -> Generator[simpy.Event, Any, Any]:
        self.active += 1
        self.peak_active = max(self.peak_active, self.active)
        try:
            return (yield from run())
        finally:
            self.active -= 1


class SerialImagePuller(ImagePuller):
    """One worker, FIFO; a queue of 10 whose overflow blocks the sender.

    A Go channel of ``queue_size`` requests and one goroutine reading it, as a deque: a request
    that finds room is queued without an event, the worker sleeps only when the queue is empty,
    and taking a request lets the first blocked sender's request in (a blocked send is not
    given up when its pod is deleted: the channel send in puller.go has no context)."""

    kind = "serial"

    def __init__(self, env: simpy.Environment, queue_size: int = MAX_IMAGE_PULL_REQUESTS) -> None:
        super().__init__(env)
        self.queue_size = queue_size
        self.queue: deque[tuple[PullRun, simpy.Event]] = deque()
        self.blocked: deque[tuple[PullRun, simpy.Event, simpy.Event]] = deque()
        self._idle: simpy.Event | None = None  # the worker waits on it while the queue is empty
        env.process(self._worker())

    def pull(self, run: PullRun) -> Generator[simpy.Event, Any, Any]:
        done = self.env.event()
        if len(self.queue) < self.queue_size and not self.blocked:
            self.queue.append((run, done))
            if self._idle is not None:
                self._idle.succeed()
                self._idle = None
        else:
            sent = self.env.event()
            self.blocked.append((run, done, sent))
            yield sent  # blocks the pod worker while 10 are queued
        return (yield done)

    def _worker(self) -> Generator[simpy.Event, Any, None]:
        while True:
            if not self.queue:
                self._idle = self.env.event()
                yield self._idle
            run, done = self.queue.popleft()
            if self.blocked:
                blocked_run, blocked_done, sent = self.blocked.popleft()
                self.queue.append((blocked_run, blocked_done))
                sent.succeed()
            value = yield from self._run(run)
            done.succeed(value)


class _Tokens:
    """``maxParallelImagePulls`` tokens handed out first come, first served (a buffered Go
    channel of that size). A free token is taken without an event."""

    def __init__(self, env: simpy.Environment, count: int) -> None:
        self.env = env
        self.free = count
        self.waiting: deque[simpy.Event] = deque()

    def take(self) -> simpy.Event | None:
        """None: a token was free and is now ours; else an event that fires when it is."""
        if self.free and not self.waiting:
            self.free -= 1
            return None
        event = self.env.event()
        self.waiting.append(event)
        return event

    def give_back(self) -> None:
        while self.waiting:
            event = self.waiting.popleft()
            if not event.triggered:
                event.succeed()  # the token passes straight to the next in line
                return
        self.free += 1

    def withdraw(self, event: simpy.Event) -> None:
        """The waiter gave up (its pod was deleted): leave the line, or pass a token on."""
        try:
            self.waiting.remove(event)
        except ValueError:
            self.give_back()  # granted already


class ParallelImagePuller(ImagePuller):
    """A pull per request; with ``max_parallel`` set, each first takes one of that many tokens."""

    kind = "parallel"

    def __init__(self, env: simpy.Environment, max_parallel: int | None = None) -> None:
        super().__init__(env)
        self.max_parallel = max_parallel
        self.tokens = _Tokens(env, max_parallel) if max_parallel else None

    def pull(self, run: PullRun) -> Generator[simpy.Event, Any, Any]:
        if self.tokens is None:
            return (yield from self._run(run))
        waiting = self.tokens.take()  # FIFO, unbounded wait, as a Go channel send
        if waiting is not None:
            try:
                yield waiting
            except BaseException:
                self.tokens.withdraw(waiting)
                raise
        try:
            return (yield from self._run(run))
        finally:
            self.tokens.give_back()


def make_puller(
    env: simpy.Environment, serialize_image_pulls: bool, max_parallel_image_pulls: int | None
) -> ImagePuller:
    """newImageManager: serial when serializeImagePulls, else parallel (capped when set)."""
    if serialize_image_pulls:
        return SerialImagePuller(env)
    return ParallelImagePuller(env, max_parallel_image_pulls)
