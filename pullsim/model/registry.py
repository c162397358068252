"""Registries: where the bytes come from, what they cost in round trips, and how they say no.

Model
-----
A :class:`Registry` serves images under the host that image references name (``docker.io`` for
Docker Hub, as :func:`pullsim.kube.parse_image_ref` canonicalises it). It has:

- an **egress link** shared by every blob it serves, a **round-trip time** paid once per request
  (token, HEAD, GET; a request is a SimPy timeout, not a flow) and a **per-connection cap** (one
  TCP connection's throughput; each layer is one connection);
- **authentication**: anonymous pulls allowed or not, and the credentials it accepts (checked
  against the username/password of a :class:`pullsim.kube.Credential`). A registry with token
  auth answers the first request with ``401`` and a ``WWW-Authenticate: Bearer`` challenge; the
  client then asks the token service and retries: one challenge round trip plus one token round
  trip per pull (KUBELET.md §9; the CRI plugin makes a new resolver, so a new token, per pull);
- a **rate limit**: at most ``pulls`` manifest GETs per sliding ``window_s`` per client (the
  client is the node's public IP, or the username when authenticated), answered with HTTP 429
  ``toomanyrequests``. HEAD requests are never counted (KUBELET.md §1, §9);
- **failure windows**: ``down`` (connection refused) or ``error`` (HTTP 5xx with a probability,
  drawn from a numpy Generator the caller passes in; no global random state). They affect
  requests *started* inside the window;
- as a **mirror / pull-through cache** (``upstream=`` another registry): a manifest or blob it
  holds is served locally; a miss is fetched from upstream *while* serving, as one flow crossing
  upstream egress, the mirror's upstream path and the mirror's egress, after one upstream round
  trip; the blob is cached when that flow completes. Upstream counts the mirror's own IP against
  its rate limit. Tags are revalidated with an upstream HEAD (distribution's proxy does).

A :class:`RegistryDirectory` maps hosts to registries, lists mirrors per host (containerd's
``registry.mirrors`` endpoints, tried in order, the host itself last) and holds the optional
shared links between nodes and registries (a NAT gateway, a zone uplink), so a layer crosses
``[registry egress, *shared links, node NIC receive]``.

Sources: distribution ``docs/spec/api.md`` and ``registry/proxy``; Docker Hub rate-limit docs;
containerd ``remotes/docker`` (resolver, authorizer, ``hosts.go``). Defaults in
:class:`RegistryConfig` cite ../shared/CALIBRATION.md.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import simpy
from simpy.events import Timeout

from pullsim.engine import Link, Network
from pullsim.kube import Credential, ImageReference, parse_image_ref
from pullsim.model.image import Image

__all__ = [
    "Authentication",
    "BlobSource",
    "FailureWindow",
    "RateLimit",
    "Registry",
    "RegistryConfig",
    "RegistryDirectory",
    "RegistryError",
]

MIB = 1024.0**2

TOO_MANY_REQUESTS_MESSAGE = (
    "toomanyrequests: You have reached your pull rate limit. You may increase the limit by "
    "authenticating and upgrading: https://www.docker.com/increase-rate-limit"
)
PULL_ACCESS_DENIED_MESSAGE = (
    "pull access denied, repository does not exist or may require authorization: "
    "server message: insufficient_scope: authorization failed"
)


class RegistryError(Exception):
    """A request the registry refused or failed; ``status`` 0 means no HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    @property
    def retryable(self) -> bool:
        # containerd's docker resolver retries 408 and 429 at once (request.retryRequest).
        return self.status in (408, 429)


@dataclass(frozen=True)
class Authentication:
    """Who may pull. ``accepted_credentials`` None accepts any username/password given."""

    anonymous: bool = True
    accepted_credentials: frozenset[tuple[str, str]] | None = None
    token_auth: bool = True
    token_round_trip_s: float | None = None  # None: the registry's round trip

    def accepts(self, credential: Credential | None) -> bool:
        if credential is None:
            return self.anonymous
        if self.accepted_credentials is None:
            return True
        return (credential.username, credential.password) in self.accepted_credentials


@dataclass(frozen=True)
class RateLimit:
    """``pulls`` manifest GETs per sliding ``window_s`` per client.

    Docker Hub (KUBELET.md §9): anonymous 100 per 6 h per IP, authenticated 200 per 6 h per
    account; other doc revisions say otherwise, so these are parameters.
    """

    pulls: int = 100
    window_s: float = 6 * 3600.0
    authenticated_pulls: int | None = 200

    def limit_for(self, authenticated: bool) -> int | None:
        return self.authenticated_pulls if authenticated else self.pulls


@dataclass(frozen=True)
class FailureWindow:
    """Requests started in ``[start_s, end_s)`` fail: ``down`` always (connection refused),
    ``error`` with probability ``error_ratio`` (HTTP ``status``)."""

    start_s: float
    end_s: float
    kind: Literal["down", "error"] = "down"
    error_ratio: float = 1.0
    status: int = 503

    def __post_init__(self) -> None:
        if not self.end_s > self.start_s:
            raise ValueError("failure window must end after it starts")
        if not 0.0 <= self.error_ratio <= 1.0:
            raise ValueError("error_ratio must be within [0, 1]")


_STATUS_TEXT = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


@dataclass(frozen=True)
class RegistryConfig:
    """A registry's parameters. SI units: seconds, bytes/s."""

    host: str
    egress_bytes_per_s: float = 10e9 / 8
    round_trip_s: float = 0.02
    # One TCP connection to Docker Hub from a cloud VM: ~180 MiB/s (CALIBRATION.md, #13559).
    connection_bytes_per_s: float | None = 180 * MIB
    authentication: Authentication = field(default_factory=Authentication)
    rate_limit: RateLimit | None = None
    failures: tuple[FailureWindow, ...] = ()
    ip: str = ""  # the address a mirror uses towards its upstream
    url_host: str | None = None  # host in URLs of messages (registry-1.docker.io for docker.io)
    revalidate_tags: bool = True  # a mirror asks upstream (HEAD) what a tag points to

    def __post_init__(self) -> None:
        if not self.egress_bytes_per_s > 0:
            raise ValueError(f"registry {self.host}: egress_bytes_per_s must be > 0")
        if not self.round_trip_s >= 0:
            raise ValueError(f"registry {self.host}: round_trip_s must be >= 0")

    @property
    def endpoint(self) -> str:
        if self.url_host:
            return self.url_host
        return "registry-1.docker.io" if self.host == "docker.io" else self.host


@dataclass
class BlobSource:
    """Where one blob's bytes flow from: the links (before the node's), the connection cap, and
    what to do when the flow completes (a mirror caches the blob)."""

    path: tuple[Link, ...]
    cap: float | None
    registry: Registry
    digest: str
    cache_on_completion: Registry | None = None

    def completed(self) -> None:
        if self.cache_on_completion is not None:
            self.cache_on_completion.cached_blobs.add(self.digest)


class Registry:
    """A registry (or mirror) in a simulation: its egress link, contents and counters."""

    def __init__(
        self,
        env: simpy.Environment,
        network: Network,
        config: RegistryConfig,
        *,
        upstream: Registry | None = None,
        upstream_path: Iterable[Link] = (),
        rng: np.random.Generator | None = None,
    ) -> None:
        self.env = env
        self.network = network
        self.config = config
        self.host = config.host
        self.upstream = upstream
        self.upstream_path = tuple(upstream_path)
        self.rng = rng
        if rng is None and any(w.kind == "error" and w.error_ratio < 1 for w in config.failures):
            raise ValueError(f"registry {config.host}: an error ratio needs rng=")
        self.egress: Link = network.add_link(
            f"registry/{config.host}/egress", config.egress_bytes_per_s, kind="registry-egress"
        )
        self._images: dict[str, Image] = {}  # "repository:tag" and "repository@digest"
        self.cached_blobs: set[str] = set()
        self.cached_manifests: set[str] = set()
        self._pulls: dict[str, deque[float]] = {}
        # One row per request answered, as a tuple (a cluster run answers millions).
        self._requests: list[tuple] = []

    # ---------------------------------------------------------------- contents
    def push(self, image: Image, *tags: str) -> None:
        """Serve ``image`` under its reference (and further ``tags`` of the same repository)."""
        ref = parse_image_ref(image.reference)
        self._images[f"{ref.repository}@{image.digest}"] = image
        if image.index_digest:
            self._images[f"{ref.repository}@{image.index_digest}"] = image
        for tag in (ref.tag, *tags):
            if tag is not None:
                self._images[f"{ref.repository}:{tag}"] = image

    def lookup(self, ref: ImageReference) -> Image | None:
        """The image a reference names here (a mirror looks in its upstream)."""
        if self.upstream is not None:
            return self.upstream.lookup(ref)
        if ref.digest is not None:
            return self._images.get(f"{ref.repository}@{ref.digest}")
        return self._images.get(f"{ref.repository}:{ref.tag_or_default}")

    @property
    def is_mirror(self) -> bool:
        return self.upstream is not None

    # ---------------------------------------------------------------- requests
    def _url(self, ref: ImageReference, kind: str) -> str:
        what = ref.digest or ref.tag_or_default
        if kind == "blob":
            return f"https://{self.config.endpoint}/v2/{ref.repository}/blobs/"
        return f"https://{self.config.endpoint}/v2/{ref.repository}/manifests/{what}"

    _REQUEST_FIELDS = ("time_s", "registry", "client", "request", "repository", "status")

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request answered so far, in order: time_s, registry, client, request
        (challenge, token, head, get, blob), repository, status."""
        return [dict(zip(self._REQUEST_FIELDS, row, strict=True)) for row in self._requests]

    def _log(self, kind: str, client: str, ref: ImageReference, status: int) -> None:
        self._requests.append((self.env.now, self.host, client, kind, ref.repository, status))

    def _request(
        self, kind: str, client: str, ref: ImageReference, url: str
    ) -> Generator[simpy.Event, Any, None]:
        """One round trip; a failure window applies to a request started inside it, and the
        client learns of the failure one round trip later."""
        started = self.env.now
        yield Timeout(self.env, self.config.round_trip_s)
        try:
            self._check_failures_at(url, started)
        except RegistryError as error:
            self._log(kind, client, ref, error.status)
            raise

    def _check_failures_at(self, url: str, time: float) -> None:
        for window in self.config.failures:
            if not window.start_s <= time < window.end_s:
                continue
            if window.kind == "down":
                host = self.config.endpoint
                address = host if ":" in host else f"{host}:443"
                raise RegistryError(0, f"dial tcp {address}: connect: connection refused")
            if window.error_ratio >= 1.0 or self.rng.random() < window.error_ratio:
                text = _STATUS_TEXT.get(window.status, "")
                raise RegistryError(
                    window.status, f"unexpected status code {url}: {window.status} {text}".strip()
                )

    def authorize(
        self, client: str, ref: ImageReference, credential: Credential | None
    ) -> Generator[simpy.Event, Any, None]:
        """The 401 challenge and token round trips (token auth only); raises 401 errors.

        Without token auth, basic credentials ride on the HEAD itself: no extra round trip, and
        a refusal shows up as the HEAD's 401.
        """
        auth = self.config.authentication
        if not auth.token_auth:
            if not auth.accepts(credential):
                yield from self._request("head", client, ref, self._url(ref, "manifest"))
                self._log("head", client, ref, 401)
                raise RegistryError(401, self._denied(ref, credential, "HEAD"))
            return
        # The first request is answered 401 with a Bearer challenge.
        yield from self._request("challenge", client, ref, self._url(ref, "manifest"))
        self._log("challenge", client, ref, 401)
        token_rtt = auth.token_round_trip_s
        yield Timeout(self.env, self.config.round_trip_s if token_rtt is None else token_rtt)
        if not auth.accepts(credential):
            self._log("token", client, ref, 401)
            raise RegistryError(401, self._denied(ref, credential, "GET"))
        self._log("token", client, ref, 200)

    def _denied(self, ref: ImageReference, credential: Credential | None, method: str) -> str:
        if credential is None:
            return PULL_ACCESS_DENIED_MESSAGE
        if not self.config.authentication.token_auth:
            return (
                f"unexpected status from {method} request to "
                f"{self._url(ref, 'manifest')}: 401 Unauthorized"
            )
        host = self.config.endpoint
        return (
            "failed to authorize: failed to fetch oauth token: unexpected status from GET "
            f"request to https://{host}/token?scope=repository%3A{ref.repository}%3Apull"
            f"&service={host}: 401 Unauthorized"
        )

    def head_manifest(self, client: str, ref: ImageReference) -> Generator[simpy.Event, Any, Image]:
        """HEAD the manifest: what a tag points to now. Never counted by the rate limit."""
        url = self._url(ref, "manifest")
        yield from self._request("head", client, ref, url)
        if self.upstream is not None and (
            ref.digest is None
            and self.config.revalidate_tags
            or self._manifest_key(ref) not in self.cached_manifests
        ):
            yield from self.upstream._upstream_request("head", self, ref)
        image = self.lookup(ref)
        if image is None:
            self._log("head", client, ref, 404)
            raise RegistryError(404, f"{ref.canonical}: not found")
        self._log("head", client, ref, 200)
        return image

    def get_manifest(
        self, client: str, ref: ImageReference, credential: Credential | None
    ) -> Generator[simpy.Event, Any, Image]:
        """GET the manifest: counted against the rate limit, answered 429 over it."""
        url = self._url(ref, "manifest")
        yield from self._request("get", client, ref, url)
        image = self.lookup(ref)
        if image is None:
            self._log("get", client, ref, 404)
            raise RegistryError(404, f"{ref.canonical}: not found")
        if self.upstream is not None:
            key = self._manifest_key(ref)
            if key not in self.cached_manifests:
                yield from self.upstream._upstream_request("get", self, ref)
                self.cached_manifests.add(key)
            self._log("get", client, ref, 200)
            return image
        self._count_pull(client, ref, credential, url)
        self._log("get", client, ref, 200)
        return image

    def _manifest_key(self, ref: ImageReference) -> str:
        image = self.lookup(ref)
        return image.digest if image is not None else ref.canonical

    def _count_pull(
        self, client: str, ref: ImageReference, credential: Credential | None, url: str
    ) -> None:
        limit = self.config.rate_limit
        if limit is None:
            return
        authenticated = credential is not None
        allowed = limit.limit_for(authenticated)
        if allowed is None:
            return
        key = f"user:{credential.username}" if authenticated else f"ip:{client}"
        history = self._pulls.setdefault(key, deque())
        now = self.env.now
        while history and history[0] <= now - limit.window_s:
            history.popleft()
        if len(history) >= allowed:
            self._log("get", client, ref, 429)
            raise RegistryError(
                429,
                f"unexpected status code {url}: 429 Too Many Requests - Server message: "
                + TOO_MANY_REQUESTS_MESSAGE,
            )
        history.append(now)

    def _upstream_request(
        self, kind: str, mirror: Registry, ref: ImageReference
    ) -> Generator[simpy.Event, Any, None]:
        """A request the mirror makes to this (upstream) registry on a client's behalf."""
        url = self._url(ref, "manifest")
        client = mirror.config.ip or mirror.host
        yield from self._request(kind, client, ref, url)
        if kind == "get":
            self._count_pull(client, ref, None, url)
        self._log(kind, client, ref, 200)

    def blob(
        self, client: str, ref: ImageReference, digest: str
    ) -> Generator[simpy.Event, Any, BlobSource]:
        """The blob GET's round trip; returns the links the blob's bytes will cross."""
        url = self._url(ref, "blob") + digest
        yield from self._request("blob", client, ref, url)
        self._log("blob", client, ref, 200)
        own_cap = self.config.connection_bytes_per_s
        if self.upstream is None or digest in self.cached_blobs:
            return BlobSource((self.egress,), own_cap, self, digest)
        upstream = self.upstream
        mirror_client = self.config.ip or self.host
        yield from upstream._request("blob", mirror_client, ref, url)
        upstream._log("blob", mirror_client, ref, 200)
        caps = [c for c in (own_cap, upstream.config.connection_bytes_per_s) if c is not None]
        return BlobSource(
            (upstream.egress, *self.upstream_path, self.egress),
            min(caps) if caps else None,
            self,
            digest,
            cache_on_completion=self,
        )

    def __repr__(self) -> str:
        return f"Registry({self.host!r}{', mirror' if self.is_mirror else ''})"


class RegistryDirectory:
    """Hosts → registries, mirrors per host, and shared links between nodes and registries."""

    def __init__(self, registries: Iterable[Registry] = ()) -> None:
        self._registries: dict[str, Registry] = {}
        self._mirrors: dict[str, list[Registry]] = {}
        self._routes: dict[tuple[str | None, str | None], tuple[Link, ...]] = {}
        self._resolved: dict[tuple[str, str], tuple[Link, ...]] = {}  # route(), remembered
        for registry in registries:
            self.add(registry)

    def add(self, registry: Registry, *, mirror_for: str | None = None) -> Registry:
        """Register ``registry`` under its host, or as a mirror of host ``mirror_for``."""
        if mirror_for is not None:
            self._mirrors.setdefault(_canonical_host(mirror_for), []).append(registry)
        else:
            self._registries[_canonical_host(registry.host)] = registry
        return registry

    def endpoints(self, host: str) -> list[Registry]:
        """Registries to try for images of ``host``: its mirrors in order, then the host."""
        host = _canonical_host(host)
        found = list(self._mirrors.get(host, ()))
        if host in self._registries:
            found.append(self._registries[host])
        return found

    def set_route(
        self, links: Iterable[Link], *, node: str | None = None, registry: str | None = None
    ) -> None:
        """Shared links crossed between ``node`` (None: any) and ``registry`` (None: any)."""
        key_registry = None if registry is None else _canonical_host(registry)
        self._routes[(node, key_registry)] = tuple(links)
        self._resolved.clear()

    def route(self, node: str, registry: str) -> tuple[Link, ...]:
        """The most specific route set: (node, registry), (node, any), (any, registry), any."""
        found = self._resolved.get((node, registry))
        if found is not None:
            return found
        host = _canonical_host(registry)
        found = ()
        for key in ((node, host), (node, None), (None, host), (None, None)):
            if key in self._routes:
                found = self._routes[key]
                break
        self._resolved[(node, registry)] = found
        return found


def _canonical_host(host: str) -> str:
    return "docker.io" if host in ("index.docker.io", "registry-1.docker.io") else host
