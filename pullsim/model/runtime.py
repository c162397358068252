"""The container runtime of one node: resolve, download, unpack, store, and account for disk.

Model (containerd CRI by default; KUBELET.md §8, ../shared/CALIBRATION.md "Runtimes")
------------------------------------------------------------------------------------
A pull (:meth:`ContainerRuntime.pull`, a SimPy process) goes through:

1. **Resolve** at the first endpoint that answers (mirrors, then the host): the 401 challenge
   and token round trips when the registry uses token auth, then ``HEAD`` the manifest. If the
   manifest digest is already local the pull ends here, having moved no layer bytes: this is
   what an ``Always`` pull of a cached image costs.
2. **Fetch** the manifest with ``GET`` (one more round trip for the platform manifest of an
   index). This is what a rate limit counts; HTTP 408/429 are retried at once while the
   request has had at most 5 responses (containerd ``remotes/docker`` retryRequest: 6 in all),
   then the pull fails. The config blob is fetched alongside the layers (one round trip).
3. **Download** every layer whose snapshot is missing and whose blob is not in the content
   store, in parallel up to ``max_concurrent_downloads`` (per pull, or node-wide for
   containerd 2.x). Each layer is one connection: a transfer across
   ``[registry egress, *shared links, NIC receive, disk write]`` capped at the registry's
   per-connection throughput (the blob is written to the content store's ingest as it
   arrives). A blob another pull is already downloading is not fetched again: the second pull
   waits for the first (containerd's ingest ref lock); if that download fails, it starts its
   own.
4. **Unpack** in layer order: layer *i* starts when its blob is complete and layer *i-1* is
   unpacked, overlapping later downloads. An unpack is one flow through the CPU link
   (``1 / codec speed`` core-seconds per compressed byte, capped at one core's speed) and the
   disk write link (uncompressed/compressed bytes per compressed byte). Snapshots are keyed by
   chain (a layer over its parents), so a layer already unpacked over the same parents is
   neither downloaded nor unpacked.
5. **Progress timeout**: a watchdog ticks every 10 s from the pull's start (containerd
   ``defaultPullProgressReportInterval``); a tick that sees no active download, or more bytes
   read than the last tick, marks progress; otherwise, once ``image_pull_progress_timeout``
   (5 min) has passed since the last progress, every transfer of the pull is cancelled with
   ``cancel pulling image <ref> because of no progress in 5m0s``. (containerd compares with
   ``>``; its last-seen time is taken microseconds before the ticker starts, so the 30th tick
   already exceeds 5 min: we compare with ``>=``.) A tick comes first at its instant (a
   download starting at that very instant is not seen yet). While every link of the network
   has capacity, every active download moves bytes, so every tick marks progress: the watchdog
   then sleeps and is rebuilt, with the state its ticks would have had, the moment a link
   drops to zero capacity (:meth:`Network.on_stalls_possible`). Same cancellations, without
   a wake-up every 10 s for every pull.
6. **Disk**: a blob's compressed bytes are reserved when its download starts, a snapshot's
   uncompressed bytes when its unpack starts; a reservation that does not fit fails the pull
   with ``no space left on device``. containerd keeps compressed blobs after unpacking
   (``discard_unpacked_layers = false``); Docker and CRI-O do not.

Profiles (:data:`CONTAINERD_1`, :data:`CONTAINERD_2`, :data:`DOCKER`, :data:`CRI_O`) differ in
the download limit and its scope, download attempts (Docker retries a failed layer 5 times,
waiting 5 s more each time), the progress timeout, blob retention and the image size they
report to the kubelet (containerd: compressed content; Docker, CRI-O: unpacked).

The kubelet tries each credential it found in turn, the first success winning (KUBELET.md §7);
:meth:`ContainerRuntime.pull` takes that list so a pull can run without a kubelet.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import heapq
from collections import deque
from collections.abc import Generator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import simpy
from simpy.events import Timeout

from pullsim.engine import Network, Transfer, TransferCancelled
from pullsim.engine.environment import start_process
from pullsim.kube import Credential, ImageReference, InvalidImageName, parse_image_ref
from pullsim.model.image import CODECS, Codec, Image, Layer
from pullsim.model.node import Node
from pullsim.model.records import Records
from pullsim.model.registry import Registry, RegistryDirectory, RegistryError

__all__ = [
    "CONTAINERD_1",
    "CONTAINERD_2",
    "CRI_O",
    "DOCKER",
    "ContainerRuntime",
    "ImageRecord",
    "PullResult",
    "RuntimeProfile",
    "go_duration",
]


@dataclass(frozen=True)
class RuntimeProfile:
    """How a runtime pulls. Sources: CALIBRATION.md "Runtimes", KUBELET.md §8."""

    name: str
    max_concurrent_downloads: int = 3
    download_limit_scope: Literal["pull", "node"] = "pull"
    download_attempts: int = 1
    download_retry_delay_s: float = 5.0  # Docker: 5 s, 10 s, ... before attempts 2, 3, ...
    progress_timeout_s: float | None = 300.0
    progress_check_interval_s: float = 10.0
    max_responses_per_request: int = 6
    keeps_compressed_blobs: bool = True
    reported_size: Literal["compressed", "uncompressed"] = "compressed"

    def __post_init__(self) -> None:
        if self.max_concurrent_downloads < 1 or self.download_attempts < 1:
            raise ValueError(f"runtime profile {self.name}: limits must be >= 1")


CONTAINERD_1 = RuntimeProfile("containerd-1.x", 3, "pull")
CONTAINERD_2 = RuntimeProfile("containerd-2.x", 3, "node")
DOCKER = RuntimeProfile(
    "docker",
    3,
    "pull",
    download_attempts=5,
    progress_timeout_s=None,
    keeps_compressed_blobs=False,
    reported_size="uncompressed",
)
CRI_O = RuntimeProfile(
    "cri-o",
    6,
    "pull",
    progress_timeout_s=None,
    keeps_compressed_blobs=False,
    reported_size="uncompressed",
)


def go_duration(seconds: float) -> str:
    """Go's time.Duration.String for whole seconds: 300 → ``5m0s``, 3600 → ``1h0m0s``."""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def chain_ids(layers: Sequence[Layer]) -> list[str]:
    """A key per layer for the stack below and including it (OCI ChainID, over blob digests)."""
    return list(_chain_ids(tuple(layer.digest for layer in layers)))


def _image_chain_ids(image: Image) -> tuple[str, ...]:
    return _chain_ids(image.layer_digests)


@functools.lru_cache(maxsize=4096)
def _chain_ids(digests: tuple[str, ...]) -> tuple[str, ...]:
    # Pure and asked for at every pull of the same few images: computed once per layer list.
    chains: list[str] = []
    for digest in digests:
        if not chains:
            chains.append(digest)
        else:
            text = chains[-1] + " " + digest
            chains.append("sha256:" + hashlib.sha256(text.encode()).hexdigest())
    return tuple(chains)


@dataclass
class ImageRecord:
    """An image in the store, with what the kubelet's image GC looks at."""

    image: Image
    first_detected_s: float
    last_used_s: float | None = None
    pinned: bool = False
    containers_using: int = 0

    @property
    def digest(self) -> str:
        return self.image.index_digest or self.image.digest


@dataclass(frozen=True)
class PullResult:
    """What a pull returned (also appended to ``Records.pulls``)."""

    node: str
    image: str
    ok: bool
    outcome: str
    error: str
    started_s: float
    finished_s: float
    bytes_downloaded: float
    image_digest: str | None
    credential_index: int = -1
    """Which of the credentials passed to ``pull`` succeeded (-1: anonymous or failed)."""


class _PullFailed(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Limiter:
    """A FIFO counting semaphore that hands out numbered slots (the "connection" of a layer)."""

    def __init__(self, env: simpy.Environment, capacity: int) -> None:
        self.env = env
        self.free = list(range(capacity))
        self.waiting: deque[simpy.Event] = deque()

    def acquire_now(self) -> int | None:
        """The lowest free slot, when one is free and nobody queues before us (no event)."""
        if self.free and not self.waiting:
            return heapq.heappop(self.free)
        return None

    def wait(self) -> simpy.Event:
        """Queue for a slot; the event's value is the slot (None: withdrawn)."""
        event = self.env.event()
        self.waiting.append(event)
        return event

    def release(self, slot: int) -> None:
        while self.waiting:
            event = self.waiting.popleft()
            if not event.triggered:
                event.succeed(slot)
                return
        heapq.heappush(self.free, slot)

    def withdraw(self, event: simpy.Event) -> None:
        """A queued waiter gives up: it leaves the queue and is woken with None. (A slot
        already granted is released by its process, which sees that its pull failed.)"""
        try:
            self.waiting.remove(event)
        except ValueError:
            return
        event.succeed(None)


class _Signal:
    """Something others may wait for; its event is made only when someone does (most
    downloads and unpacks are never waited for, and an event nobody waits for still costs a
    trip through the event queue)."""

    __slots__ = ("env", "_event")

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self._event: simpy.Event | None = None

    def wait(self) -> simpy.Event:
        if self._event is None:
            self._event = self.env.event()
        return self._event

    def fire(self, value: Any = None) -> None:
        if self._event is not None:
            self._event.succeed(value)


class _Download:
    """One blob being fetched for the node; pulls needing the same blob wait on ``done``."""

    def __init__(self, env: simpy.Environment, owner: _Attempt) -> None:
        self.owner = owner
        self.done = _Signal(env)  # value: True when the blob is in the content store, else False


class _Attempt:
    """The state of one pull attempt: its transfers, failure and bytes read.

    The pull's own process (``process``) resolves, then applies the layers in order while one
    process per missing blob fetches it. An abort cancels every transfer, wakes the layers
    queued for a connection, and interrupts the pull's process wherever it waits, so the pull
    ends at the instant of the failure (cheaper than waiting on "this or failure" at every
    step: failures are rare, waits are not)."""

    def __init__(self, runtime: ContainerRuntime, ref: ImageReference, image_text: str) -> None:
        self.runtime = runtime
        self.env = runtime.env
        self.ref = ref
        self.image_text = image_text
        self.started_s = runtime.env.now
        self.process = runtime.env.active_process
        self.error: str | None = None
        self.finished = False
        self.downloads: list[Transfer] = []  # every download transfer this pull owned
        self.unpacks: list[Transfer] = []
        self.slot_waits: list[simpy.Event] = []  # layers queued for a connection
        self.watchdog: simpy.Process | None = None
        self.limiter = (
            runtime.node_limiter
            if runtime.node_limiter is not None
            else _Limiter(runtime.env, runtime.profile.max_concurrent_downloads)
        )

    @property
    def failed(self) -> bool:
        return self.error is not None

    def abort(self, message: str) -> None:
        if self.error is not None or self.finished:
            return
        self.error = message
        for transfer in (*self.downloads, *self.unpacks):
            transfer.cancel()
        for event in self.slot_waits:
            self.limiter.withdraw(event)
        active = self.env.active_process
        for process in (self.process, self.watchdog):
            if process is not None and process is not active and process.is_alive:
                process.interrupt(message)

    def bytes_read(self) -> float:
        return sum(transfer.delivered for transfer in self.downloads)

    def active_downloads(self) -> int:
        return sum(1 for transfer in self.downloads if transfer.active)


class ContainerRuntime:
    """The container runtime of one node: content store, snapshots, images, pulls."""

    def __init__(
        self,
        env: simpy.Environment,
        network: Network,
        node: Node,
        registries: RegistryDirectory,
        *,
        profile: RuntimeProfile = CONTAINERD_2,
        records: Records | None = None,
    ) -> None:
        self.env = env
        self.network = network
        self.node = node
        self.registries = registries
        self.profile = profile
        self.records = records if records is not None else Records()
        self.node_limiter = (
            _Limiter(env, profile.max_concurrent_downloads)
            if profile.download_limit_scope == "node"
            else None
        )
        self.blobs: dict[str, float] = {}  # digest -> compressed bytes on disk
        self.snapshots: dict[str, float] = {}  # chain id -> uncompressed bytes on disk
        self.images: dict[str, ImageRecord] = {}  # manifest (or index) digest -> record
        self.tags: dict[str, str] = {}  # "registry/repository:tag" -> digest
        self._downloads: dict[str, _Download] = {}
        self._unpacking: dict[str, _Signal] = {}  # chain id -> applied by a pull now
        self._pulls_in_progress: dict[str, int] = {}  # chain id -> pulls that need it
        self._blob_users: dict[str, int] = {}  # blob digest -> pulls that need it
        # Pulls whose progress watchdog sleeps (no link can stall), in start order.
        self._unwatched: dict[_Attempt, None] = {}
        if profile.progress_timeout_s is not None:
            network.on_stalls_possible(self._watch_unwatched)
        for image in node.config.images_at_start:
            self._add_present_image(image)

    # ------------------------------------------------------------------ store
    def _add_present_image(self, image: Image) -> None:
        for layer, chain in zip(image.layers, chain_ids(image.layers), strict=True):
            if chain not in self.snapshots:
                self._use_disk(layer.uncompressed_size)
                self.snapshots[chain] = layer.uncompressed_size
            if self.profile.keeps_compressed_blobs and layer.digest not in self.blobs:
                self._use_disk(layer.size)
                self.blobs[layer.digest] = layer.size
        self._store_image(image)

    def _use_disk(self, size: float) -> None:
        if self.node.disk_used_bytes + size > self.node.disk_capacity_bytes:
            raise ValueError(f"node {self.node.name}: the images at start do not fit on the disk")
        self.node.disk_used_bytes += size

    def _store_image(self, image: Image) -> ImageRecord:
        digest = image.index_digest or image.digest
        record = self.images.get(digest)
        if record is None:
            record = self.images[digest] = ImageRecord(image, first_detected_s=self.env.now)
        ref = parse_image_ref(image.reference)
        if ref.tag is not None or ref.digest is None:
            self.tags[f"{ref.name}:{ref.tag_or_default}"] = digest
        return record

    def find_image(self, image: str) -> ImageRecord | None:
        """The local image a reference names (by tag, or by digest), as ImageStatus finds it."""
        ref = parse_image_ref(image)
        if ref.digest is not None:
            return self.images.get(ref.digest)
        digest = self.tags.get(f"{ref.name}:{ref.tag_or_default}")
        return self.images.get(digest) if digest is not None else None

    def has_image(self, image: str) -> bool:
        return self.find_image(image) is not None

    def image_size(self, record: ImageRecord) -> float:
        """The size the runtime reports to the kubelet (ImageStatus ``size``)."""
        if self.profile.reported_size == "compressed":
            return record.image.size
        return record.image.uncompressed_size

    def container_started(self, image: str) -> None:
        """A container now uses ``image`` (it stays in use until :meth:`container_removed`)."""
        record = self.find_image(image)
        if record is None:
            raise KeyError(f"image {image!r} is not on node {self.node.name}")
        record.containers_using += 1
        record.last_used_s = self.env.now

    def container_removed(self, image: str) -> None:
        record = self.find_image(image)
        if record is not None and record.containers_using > 0:
            record.containers_using -= 1
            record.last_used_s = self.env.now

    def remove_image(self, digest: str) -> float:
        """Delete an image and whatever of it no other image or pull needs; returns bytes freed."""
        record = self.images.pop(digest)
        self.tags = {tag: value for tag, value in self.tags.items() if value != digest}
        needed_chains = set(self._pulls_in_progress)
        needed_blobs: set[str] = set(self._blob_users)
        for other in self.images.values():
            needed_chains.update(chain_ids(other.image.layers))
            needed_blobs.update(other.image.layer_digests)
        freed = 0.0
        for layer, chain in zip(record.image.layers, chain_ids(record.image.layers), strict=True):
            if chain in self.snapshots and chain not in needed_chains:
                freed += self.snapshots.pop(chain)
            if layer.digest in self.blobs and layer.digest not in needed_blobs:
                freed += self.blobs.pop(layer.digest)
        self.node.disk_used_bytes -= freed
        return freed

    # ------------------------------------------------------------------ pulls
    def pull(
        self, image: str, credentials: Sequence[Credential | None] = (), *, pinned: bool = False
    ) -> simpy.Process:
        """Pull ``image`` now; the process's value is a :class:`PullResult` (it never raises).

        ``credentials`` are tried in order, each as a whole pull, the first success winning;
        none means an anonymous pull. ``pinned`` marks the image as the kubelet's sandbox image.
        """
        return start_process(self.env, self._pull(image, tuple(credentials) or (None,), pinned))

    def _pull(
        self, image_text: str, credentials: tuple[Credential | None, ...], pinned: bool
    ) -> Generator[simpy.Event, Any, PullResult]:
        started = self.env.now
        errors: list[str] = []
        result: PullResult | None = None
        for index, credential in enumerate(credentials):
            result = yield from self._pull_once(image_text, credential)
            if result.ok:
                if credential is not None:
                    result = PullResult(**{**result.__dict__, "credential_index": index})
                break
            errors.append(result.error)
        assert result is not None
        if result.ok:
            if pinned:
                self.images[result.image_digest].pinned = True
        elif len(errors) > 1:
            # utilerrors.NewAggregate prints several errors as a list.
            result = PullResult(**{**result.__dict__, "error": "[" + ", ".join(errors) + "]"})
        if started != result.started_s:
            result = PullResult(**{**result.__dict__, "started_s": started})
        return result

    def _pull_once(
        self, image_text: str, credential: Credential | None
    ) -> Generator[simpy.Event, Any, PullResult]:
        started = self.env.now
        row: dict[str, Any] = {
            "node": self.node.name,
            "image": image_text,
            "image_digest": None,
            "runtime": self.profile.name,
            "registry": None,
            "credential": credential.username if credential is not None else "",
            "started_s": started,
            "resolved_s": None,
            "finished_s": None,
            "bytes_downloaded": 0.0,
            "outcome": "failed",
            "error": "",
        }
        attempt: _Attempt | None = None
        try:
            try:
                ref = parse_image_ref(image_text)
            except InvalidImageName as error:
                raise _PullFailed(str(error)) from None
            attempt = _Attempt(self, ref, image_text)
            self._watch(attempt)
            try:
                outcome = yield from self._pull_body(attempt, credential, row)
            except simpy.Interrupt:
                outcome = "failed"  # aborted while this process waited: attempt.error says why
            attempt.finished = True
            self._unwatch(attempt)
            if attempt.failed:
                raise _PullFailed(attempt.error)
            row["outcome"] = outcome
        except _PullFailed as failure:
            row["outcome"] = "failed"
            row["error"] = failure.message
        finally:
            if attempt is not None:
                attempt.finished = True
                row["bytes_downloaded"] = attempt.bytes_read()
            row["finished_s"] = self.env.now
            self.records.pulls.append(row)
        return PullResult(
            node=self.node.name,
            image=image_text,
            ok=row["outcome"] != "failed",
            outcome=row["outcome"],
            error=row["error"],
            started_s=started,
            finished_s=row["finished_s"],
            bytes_downloaded=row["bytes_downloaded"],
            image_digest=row["image_digest"],
        )

    def _with_retries(self, request) -> Generator[simpy.Event, Any, Any]:
        """containerd retryRequest: 408/429 retried at once while responses <= 5."""
        responses = 0
        while True:
            try:
                return (yield from request())
            except RegistryError as error:
                responses += 1
                if not error.retryable or responses >= self.profile.max_responses_per_request:
                    raise

    def _pull_body(
        self, attempt: _Attempt, credential: Credential | None, row: dict[str, Any]
    ) -> Generator[simpy.Event, Any, str]:
        ref = attempt.ref
        name = ref.canonical
        prefix = f"failed to pull and unpack image {_quote(name)}: "
        client = self.node.config.client_ip
        endpoints = self.registries.endpoints(ref.registry)
        if not endpoints:
            attempt.abort(
                prefix + f"failed to resolve reference {_quote(name)}: failed to do request: "
                f"Head {_quote('https://' + ref.registry + '/v2/')}: dial tcp: lookup "
                f"{ref.registry.split(':')[0]}: no such host"
            )
            return "failed"
        # Resolve: the first endpoint that answers wins (containerd hosts, mirrors first).
        registry: Registry | None = None
        image: Image | None = None
        last_error = ""
        for endpoint in endpoints:
            try:
                yield from self._with_retries(
                    lambda e=endpoint: e.authorize(client, ref, credential)
                )
                image = yield from self._with_retries(
                    lambda e=endpoint: e.head_manifest(client, ref)
                )
                registry = endpoint
                break
            except RegistryError as error:
                last_error = error.message
        if attempt.failed:
            return "failed"
        if registry is None or image is None:
            attempt.abort(prefix + f"failed to resolve reference {_quote(name)}: {last_error}")
            return "failed"
        row["registry"] = registry.host
        row["resolved_s"] = self.env.now
        target = image.index_digest or image.digest
        row["image_digest"] = target
        if target in self.images:
            # The manifest is local: nothing more to fetch (what Always costs).
            self._store_image(_renamed(image, ref))
            return "already-present"
        # Fetch the manifest by digest: this GET is what a rate limit counts.
        by_digest = ImageReference(ref.registry, ref.repository, None, target)
        try:
            yield from self._with_retries(
                lambda: registry.get_manifest(client, by_digest, credential)
            )
            if image.index_digest is not None:
                yield self.env.timeout(registry.config.round_trip_s)  # the platform manifest
        except RegistryError as error:
            attempt.abort(prefix + "failed to copy: httpReadSeeker: failed open: " + error.message)
            return "failed"
        if attempt.failed:
            return "failed"
        route = self.registries.route(self.node.name, registry.host)
        chains = _image_chain_ids(image)
        for chain in chains:
            self._pulls_in_progress[chain] = self._pulls_in_progress.get(chain, 0) + 1
        for digest in image.layer_digests:
            self._blob_users[digest] = self._blob_users.get(digest, 0) + 1
        try:
            # The config blob: one round trip alongside the layers (its few KiB are no flow).
            config = Timeout(self.env, registry.config.round_trip_s)
            blob_ready: dict[int, simpy.Event] = {}
            layer_rows: list[dict[str, Any]] = []
            for index, (layer, chain) in enumerate(zip(image.layers, chains, strict=True)):
                layer_row = {
                    "node": self.node.name,
                    "image": attempt.image_text,
                    "layer_digest": layer.digest,
                    "layer_index": index,
                    "bytes": layer.size,
                    "uncompressed_bytes": layer.uncompressed_size,
                    "codec": str(layer.codec),
                    "download_started_s": None,
                    "download_finished_s": None,
                    "unpack_started_s": None,
                    "unpack_finished_s": None,
                    "connection": -1,
                    "attempts": 0,
                    "outcome": "present",
                }
                layer_rows.append(layer_row)
                if chain in self.snapshots:
                    continue
                blob_ready[index] = start_process(
                    self.env,
                    self._ensure_blob(
                        attempt, registry, route, by_digest, layer, layer_row, prefix
                    ),
                )

            def fetch_blob(index: int, layer: Layer):
                return self._ensure_blob(
                    attempt, registry, route, by_digest, layer, layer_rows[index], prefix
                )

            # An abort by a layer or the watchdog interrupts the wait: attempt.error says why.
            with contextlib.suppress(simpy.Interrupt):
                yield from self._unpack_all(
                    attempt, image, chains, blob_ready, config, layer_rows, prefix, fetch_blob
                )
            self.records.layers.extend(layer_rows)
            if attempt.failed:
                for layer_row in layer_rows:
                    if layer_row["unpack_finished_s"] is None and layer_row["outcome"] != "present":
                        layer_row["outcome"] = "failed"
                return "failed"
            self._store_image(_renamed(image, ref))
            return "pulled"
        finally:
            _release(self._pulls_in_progress, chains)
            _release(self._blob_users, image.layer_digests)

    def _ensure_blob(
        self,
        attempt: _Attempt,
        registry: Registry,
        route: tuple,
        ref: ImageReference,
        layer: Layer,
        row: dict[str, Any],
        prefix: str,
    ) -> Generator[simpy.Event, Any, bool]:
        """Make the layer's blob local: already there, wait for another pull's download, or
        download it. Returns True when the blob is in the content store."""
        digest = layer.digest
        while not attempt.failed:
            if digest in self.blobs:
                if row["outcome"] == "present":
                    row["outcome"] = "blob-present"
                return True
            shared = self._downloads.get(digest)
            if shared is not None:
                row["outcome"] = "shared"
                if row["download_started_s"] is None:
                    row["download_started_s"] = self.env.now
                ok = yield shared.done.wait()
                if ok:
                    row["download_finished_s"] = self.env.now
                    return True
                continue  # the other pull failed: fetch it ourselves
            download = _Download(self.env, attempt)
            self._downloads[digest] = download
            try:
                ok = yield from self._download(attempt, registry, route, ref, layer, row, prefix)
            finally:
                del self._downloads[digest]
                download.done.fire(digest in self.blobs)
            return ok
        return False

    def _download(
        self,
        attempt: _Attempt,
        registry: Registry,
        route: tuple,
        ref: ImageReference,
        layer: Layer,
        row: dict[str, Any],
        prefix: str,
    ) -> Generator[simpy.Event, Any, bool]:
        slot = attempt.limiter.acquire_now()
        if slot is None:
            waiting = attempt.limiter.wait()
            attempt.slot_waits.append(waiting)
            slot = yield waiting
            attempt.slot_waits.remove(waiting)
            if slot is None:
                return False  # withdrawn: the pull failed while this layer queued
        if attempt.failed:
            attempt.limiter.release(slot)
            return False
        row["connection"] = slot
        row["outcome"] = "downloaded"
        client = self.node.config.client_ip
        try:
            for number in range(1, self.profile.download_attempts + 1):
                row["attempts"] = number
                if number > 1:
                    # Docker waits 5 s, 10 s, ... before retrying a layer.
                    yield self.env.timeout(self.profile.download_retry_delay_s * (number - 1))
                if attempt.failed:
                    return False
                try:
                    source = yield from self._with_retries(
                        lambda: registry.blob(client, ref, layer.digest)
                    )
                except RegistryError as error:
                    if number < self.profile.download_attempts:
                        continue
                    attempt.abort(
                        prefix + "failed to copy: httpReadSeeker: failed open: " + error.message
                    )
                    return False
                if attempt.failed:
                    return False
                if not self._reserve(layer.size):
                    attempt.abort(
                        prefix + "failed to copy: write /var/lib/containerd/io.containerd."
                        f"content.v1.content/ingest/{layer.digest[7:]}/data: "
                        "no space left on device"
                    )
                    return False
                path = [
                    *source.path,
                    *route,
                    self.node.nic_receive,
                    self.node.disk_write,
                ]
                transfer = self.network.transfer(
                    layer.size, path, cap=source.cap, label="layer-download"
                )
                attempt.downloads.append(transfer)
                if row["download_started_s"] is None:
                    row["download_started_s"] = self.env.now
                try:
                    yield transfer
                except TransferCancelled:
                    self.node.disk_used_bytes -= layer.size
                    return False
                source.completed()
                row["download_finished_s"] = self.env.now
                self.blobs[layer.digest] = layer.size
                return True
            return False  # pragma: no cover - the loop always returns
        finally:
            attempt.limiter.release(slot)

    def _reserve(self, size: float) -> bool:
        if self.node.disk_used_bytes + size > self.node.disk_capacity_bytes:
            return False
        self.node.disk_used_bytes += size
        return True

    def _unpack_all(
        self,
        attempt: _Attempt,
        image: Image,
        chains: list[str],
        blob_ready: dict[int, simpy.Process],
        config: simpy.Process,
        rows: list[dict[str, Any]],
        prefix: str,
        fetch_blob,
    ) -> Generator[simpy.Event, Any, None]:
        """Apply layers in order: layer i after its blob and after layer i-1."""
        yield config
        for index, (layer, chain) in enumerate(zip(image.layers, chains, strict=True)):
            if attempt.failed:
                return
            # Re-check after every wait: another pull may have started or finished this chain.
            while True:
                if attempt.failed:
                    return
                if chain in self.snapshots:
                    break
                if chain in self._unpacking:
                    yield self._unpacking[chain].wait()  # another pull applies it
                    continue
                ready = blob_ready.get(index)
                if ready is None:
                    # Present when the pull planned, deleted since (image GC): fetch it now.
                    ready = blob_ready[index] = start_process(self.env, fetch_blob(index, layer))
                if not ready.triggered:
                    yield ready
                    continue
                break
            if chain in self.snapshots:
                continue
            if not ready.value:
                return  # the blob failed; the attempt has been aborted
            done = _Signal(self.env)
            self._unpacking[chain] = done
            try:
                if not self._reserve(layer.uncompressed_size):
                    attempt.abort(
                        prefix + f"failed to extract layer {layer.digest}: write "
                        "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots: "
                        "no space left on device: unknown"
                    )
                    return
                rows[index]["unpack_started_s"] = self.env.now
                transfer = self._unpack_transfer(layer)
                attempt.unpacks.append(transfer)
                try:
                    yield transfer
                except (TransferCancelled, simpy.Interrupt):
                    self.node.disk_used_bytes -= layer.uncompressed_size
                    return  # the pull was aborted
                rows[index]["unpack_finished_s"] = self.env.now
                self.snapshots[chain] = layer.uncompressed_size
                if (
                    not self.profile.keeps_compressed_blobs
                    and layer.digest in self.blobs
                    and self._blob_users.get(layer.digest, 0) <= 1
                ):
                    # Docker and CRI-O delete the compressed blob once applied.
                    self.node.disk_used_bytes -= self.blobs.pop(layer.digest)
            finally:
                del self._unpacking[chain]
                done.fire()

    def _unpack_transfer(self, layer: Layer) -> Transfer:
        speed = CODECS[layer.codec].decompress_bytes_per_s_per_core
        if layer.size == 0:
            return self.network.transfer(0, [self.node.disk_write], label="layer-unpack")
        ratio = layer.uncompressed_size / layer.size
        if layer.codec is Codec.UNCOMPRESSED or speed is None:
            return self.network.transfer(
                layer.size, [(self.node.disk_write, max(ratio, 1e-12))], label="layer-unpack"
            )
        path = [(self.node.cpu, 1.0 / speed)]
        if ratio > 0:
            path.append((self.node.disk_write, ratio))
        return self.network.transfer(layer.size, path, cap=speed, label="layer-unpack")

    # ------------------------------------------------------------- progress watchdog
    def _progress_timing(self) -> tuple[float, float]:
        timeout = self.profile.progress_timeout_s
        interval = self.profile.progress_check_interval_s
        if timeout < interval:
            interval = timeout / 2  # containerd checks more often when the timeout is short
        return timeout, interval

    def _watch(self, attempt: _Attempt) -> None:
        """Start the pull's watchdog now, or let it sleep while no link can stall."""
        if self.profile.progress_timeout_s is None:
            return
        if self.network.stalls_possible:
            attempt.watchdog = self.env.process(
                self._watch_progress(attempt, attempt.started_s, attempt.started_s, 0.0)
            )
        else:
            self._unwatched[attempt] = None

    def _unwatch(self, attempt: _Attempt) -> None:
        self._unwatched.pop(attempt, None)
        if attempt.watchdog is not None and attempt.watchdog.is_alive:
            attempt.watchdog.interrupt()

    def _watch_unwatched(self) -> None:
        """A link just dropped to zero capacity: wake the sleeping watchdogs.

        Each resumes on its own tick grid (start + n x interval) as if it had ticked all along.
        Every tick so far marked progress, since no byte could stall; the last one, at or
        before now, saw the bytes read then. That count is not kept, but the next tick only
        compares with it: if any download moved since that tick, the next tick sees more
        bytes whatever follows (-1 stands for "fewer than now"); if none did, the count is
        the one read now."""
        now = self.env.now
        _, interval = self._progress_timing()
        attempts, self._unwatched = list(self._unwatched), {}
        for attempt in attempts:
            tick = attempt.started_s
            while tick + interval <= now:  # the same float sums the ticks make
                tick += interval
            moved = any(
                max(download.started_at, tick)
                < (now if download.finished_at is None else download.finished_at)
                for download in attempt.downloads
            )
            last_bytes = -1.0 if moved else attempt.bytes_read()
            attempt.watchdog = self.env.process(
                self._watch_progress(attempt, tick, tick, last_bytes)
            )

    def _watch_progress(
        self, attempt: _Attempt, tick: float, last_seen: float, last_bytes: float
    ) -> Generator[simpy.Event, Any, None]:
        """containerd's pullProgressReporter (see the module docstring), from ``tick`` on."""
        timeout, interval = self._progress_timing()
        try:
            while not attempt.finished and not attempt.failed:
                tick += interval
                yield self.env.urgent_at(tick)  # before anything else of that instant
                if attempt.finished or attempt.failed:
                    return
                bytes_read = attempt.bytes_read()
                if attempt.active_downloads() == 0 or bytes_read > last_bytes:
                    last_bytes, last_seen = bytes_read, tick
                    if not self.network.stalls_possible:
                        # Every link has capacity again: every later tick marks progress.
                        attempt.watchdog = None
                        self._unwatched[attempt] = None
                        return
                    continue
                if tick - last_seen >= timeout:
                    attempt.abort(
                        f"cancel pulling image {attempt.ref.canonical} because of no progress "
                        f"in {go_duration(timeout)}"
                    )
                    return
        except simpy.Interrupt:
            return


def _release(counts: dict[str, int], keys: Sequence[str]) -> None:
    for key in keys:
        counts[key] -= 1
        if counts[key] == 0:
            del counts[key]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _renamed(image: Image, ref: ImageReference) -> Image:
    """The image as stored under the reference it was pulled by."""
    if image.reference == ref.canonical:
        return image
    return replace(image, reference=ref.canonical)
