"""The scenario schema: everything a run needs, as frozen pydantic models.

A scenario is validated once, here, into frozen models with ``extra="forbid"`` and a
description on every field (the schema is also its reference documentation; the YAML front
door reads into the same models). Quantities are SI floats inside (bytes, seconds, bytes/s);
fields typed as sizes, rates or durations also accept human strings (``"350MiB"``,
``"1Gbps"``, ``"200ms"``) through :mod:`pullsim.units`. The KubeletConfiguration and every
strategy's overrides are validated as the kubelet would (:class:`pullsim.kube.KubeletConfiguration`)
when the scenario is built, so a bad configuration fails before any run, naming the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from pullsim.kube import (
    Keyring,
    KubeletConfiguration,
    Secret,
    ServiceAccount,
    Workload,
    load_manifests,
)
from pullsim.units import parse_duration, parse_rate, parse_size

__all__ = [
    "Arrival",
    "BurstArrival",
    "ImageSpec",
    "LayerSpec",
    "NodeJoinArrival",
    "NodePool",
    "PodTimingsSpec",
    "PoissonArrival",
    "RateLimitSpec",
    "RegistrySpec",
    "RollingUpdateArrival",
    "RunningWorkloadSpec",
    "Scenario",
    "SchedulerSpec",
    "SharedLink",
    "Strategy",
]

Size = Annotated[float, BeforeValidator(parse_size)]
Rate = Annotated[float, BeforeValidator(parse_rate)]
Duration = Annotated[float, BeforeValidator(parse_duration)]
MIB = 1024.0**2
GIB = 1024.0**3


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class LayerSpec(_Frozen):
    name: str = Field(description="Layer name; equal names are the same blob (shared layers).")
    bytes: Size = Field(gt=0, description="Compressed size in bytes.")
    uncompressed_bytes: Size | None = Field(
        None, description="Unpacked size in bytes (default: 3 x compressed, model.md)."
    )


class ImageSpec(_Frozen):
    reference: str = Field(description="Image reference as pods name it, e.g. 'app:v1'.")
    layers: tuple[LayerSpec, ...] = Field(
        (), description="Layers, base first (or give 'manifest' instead)."
    )
    codec: Literal["gzip", "zstd", "uncompressed"] = Field(
        "gzip", description="Layer compression; sets the unpack cost (model.md)."
    )
    manifest: str | None = Field(
        None,
        description="Path to a real OCI/Docker manifest or index (what 'crane manifest' or "
        "'skopeo inspect --raw' print); its layers replace 'layers' (linux/amd64 from an index).",
    )
    manifest_directory: str | None = Field(
        None, description="Directory holding an index's per-platform manifests (by digest)."
    )
    compression_ratio: float = Field(
        3.0, gt=0, description="Uncompressed/compressed size of layers read from 'manifest'."
    )

    @model_validator(mode="before")
    @classmethod
    def _layers_from_manifest(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or data.get("manifest") is None:
            return data
        if data.get("layers"):
            raise ValueError("give either 'layers' or 'manifest', not both")
        from pullsim.model.image import read_image  # lazy: the schema stays light

        try:
            image = read_image(
                str(data["manifest"]),
                str(data.get("reference", "")),
                manifests=data.get("manifest_directory"),
                compression_ratio=float(data.get("compression_ratio", 3.0)),
            )
        except ValueError as error:
            raise ValueError(f"manifest: {error}") from None
        codecs = {layer.codec.value for layer in image.layers}
        return {
            **data,
            "layers": [
                {
                    "name": layer.digest,
                    "bytes": layer.size,
                    "uncompressed_bytes": layer.uncompressed_size,
                }
                for layer in image.layers
            ],
            "codec": data.get("codec") or (codecs.pop() if len(codecs) == 1 else "gzip"),
        }

    @model_validator(mode="after")
    def _has_layers(self) -> ImageSpec:
        if not self.layers:
            raise ValueError("layers: an image needs at least one layer (or a 'manifest')")
        return self


class RateLimitSpec(_Frozen):
    pulls: int = Field(
        100, ge=0, description="Manifest GETs allowed per window per client IP (anonymous)."
    )
    window_s: Duration = Field(
        6 * 3600.0, gt=0, description="Sliding window; Docker Hub: 100 per 6 h (KUBELET.md)."
    )
    authenticated_pulls: int | None = Field(
        200, ge=0, description="Per account when authenticated; None: unlimited."
    )


class RegistrySpec(_Frozen):
    host: str = Field(description="Registry host as image references name it ('docker.io').")
    egress_bytes_per_s: Rate = Field(1.25e9, gt=0, description="Egress capacity, bytes/s.")
    round_trip_s: Duration = Field(0.02, ge=0, description="Cost of one request, seconds.")
    connection_bytes_per_s: Rate | None = Field(
        180 * MIB, description="Cap of one connection (one layer), bytes/s; None: no cap."
    )
    anonymous: bool = Field(True, description="Anonymous pulls allowed.")
    credentials: tuple[tuple[str, str], ...] | None = Field(
        None, description="(username, password) pairs accepted; None accepts any credential."
    )
    token_auth: bool = Field(True, description="Bearer token dance (one more round trip).")
    rate_limit: RateLimitSpec | None = Field(
        None, description="Pull rate limit answered with HTTP 429 (Docker Hub); None: none."
    )
    mirror_of: str | None = Field(
        None,
        description="Host this registry mirrors as a pull-through cache; nodes try it first "
        "(containerd registry.mirrors), misses are fetched from that host while serving.",
    )
    ip: str = Field("", description="Address a mirror uses towards its upstream (rate limits).")


class NodePool(_Frozen):
    name: str = Field(description="Pool name; nodes are '<pool>-<n>' (n from 0, 4 digits).")
    count: int = Field(1, ge=0, description="Nodes present at t = 0.")
    nic_receive_bytes_per_s: Rate = Field(1250e6 / 8, gt=0, description="NIC receive, bytes/s.")
    nic_transmit_bytes_per_s: Rate = Field(1250e6 / 8, gt=0, description="NIC transmit, bytes/s.")
    disk_write_bytes_per_s: Rate = Field(125 * MIB, gt=0, description="Disk write, bytes/s.")
    disk_capacity_bytes: Size = Field(100 * GIB, gt=0, description="Disk size, bytes.")
    cpu_cores: float = Field(4.0, gt=0, description="Cores (decompression and allocatable).")
    allocatable_memory_bytes: Size = Field(16 * GIB, gt=0, description="Allocatable memory.")
    max_pods: int = Field(110, ge=1, description="kubelet maxPods.")
    labels: dict[str, str] = Field(default_factory=dict, description="Node labels.")
    images_at_start: tuple[str, ...] = Field(
        (), description="References of scenario images already on every node of the pool."
    )
    public_ip: str | None = Field(None, description="Address registries see (a NAT gateway).")


class SharedLink(_Frozen):
    name: str = Field(description="Link name (a NAT gateway, a zone uplink).")
    bytes_per_s: Rate = Field(gt=0, description="Capacity, bytes/s.")
    registries: tuple[str, ...] = Field((), description="Registry hosts it carries; () all.")
    node_pools: tuple[str, ...] = Field((), description="Node pools behind it; () all.")


class PodTimingsSpec(_Frozen):
    sandbox_start_s: Duration = Field(1.0, ge=0, description="Sandbox creation, without pulls.")
    container_start_s: Duration = Field(0.2, ge=0, description="Create + start a container.")
    startup_probe_s: Duration = Field(0.0, ge=0, description="Sidecar startup-probe delay.")
    resync_s: Duration = Field(10.0, gt=0, description="Pod worker retry after a failed sync.")
    resync_jitter: float = Field(0.5, ge=0, description="wait.Jitter factor on resync_s.")
    pause_image: str = Field("registry.k8s.io/pause:3.10", description="Sandbox image.")
    preload_pause_image: bool = Field(True, description="Pause image present on every node.")


class SchedulerSpec(_Frozen):
    image_locality: bool = Field(False, description="Score with the ImageLocality plugin.")
    percentage_of_nodes_to_score: int | None = Field(
        None, ge=0, le=100, description="kube-scheduler percentageOfNodesToScore; None adaptive."
    )


class BurstArrival(_Frozen):
    kind: Literal["burst"] = "burst"
    workload: str = Field(description="Workload name, or 'Kind/name', or 'namespace/Kind/name'.")
    at_s: Duration = Field(0.0, ge=0, description="Creation time.")
    count: int | None = Field(None, ge=0, description="Pods; default the workload's replicas.")


class PoissonArrival(_Frozen):
    kind: Literal["poisson"] = "poisson"
    workload: str = Field(description="Workload name, or 'Kind/name'.")
    rate_per_s: float = Field(gt=0, description="Mean pods created per second.")
    start_s: Duration = Field(0.0, ge=0, description="When the stream starts.")
    count: int = Field(ge=1, description="Pods created in all.")


class RollingUpdateArrival(_Frozen):
    kind: Literal["rolling-update"] = "rolling-update"
    workload: str = Field(description="Deployment name, or 'Deployment/name'.")
    at_s: Duration = Field(ge=0, description="When the new template is applied.")
    images: dict[str, str] = Field(description="Container name -> new image.")
    max_surge: int | str = Field("25%", description="maxSurge (count or percent).")
    max_unavailable: int | str = Field("25%", description="maxUnavailable (count or percent).")


class NodeJoinArrival(_Frozen):
    kind: Literal["node-join"] = "node-join"
    node_pool: str = Field(description="Pool whose specification the new nodes follow.")
    count: int = Field(1, ge=1, description="Nodes joining.")
    at_s: Duration = Field(ge=0, description="When they join.")


Arrival = Annotated[
    BurstArrival | PoissonArrival | RollingUpdateArrival | NodeJoinArrival,
    Field(discriminator="kind"),
]


class RunningWorkloadSpec(_Frozen):
    name: str = Field(description="Workload name (a data consumer, a database, a log shipper).")
    node_pools: tuple[str, ...] = Field((), description="Pools it runs on (every node); () all.")
    demands: dict[Literal["nic-rx", "nic-tx", "disk-write", "cpu"], Rate] = Field(
        min_length=1,
        description="Demanded rate per resource, bytes/s (cpu: cores); the first is the "
        "reference the stream is counted in, the others scale with it.",
    )
    start_s: Duration = Field(0.0, ge=0, description="When it starts.")
    stop_s: Duration | None = Field(None, description="When it stops; None: runs to the end.")
    utilisation: float | None = Field(
        None, ge=0, lt=1, description="Request-serving: M/M/1 utilisation when unimpeded."
    )
    connections: int = Field(
        1,
        ge=1,
        description="TCP connections it reads and writes over (e.g. one per Kafka broker): its "
        "weight in the max-min share against pulls, each of which counts one per layer.",
    )


class Strategy(_Frozen):
    kubelet: dict[str, Any] = Field(
        default_factory=dict, description="KubeletConfiguration fields overriding the scenario's."
    )
    runtime: str | None = Field(None, description="Runtime profile name overriding the scenario's.")


RUNTIME_PROFILES = ("containerd-2.x", "containerd-1.x", "docker", "cri-o")


class Scenario(_Frozen):
    """A situation to simulate; build it in Python or read it from YAML (issue 6)."""

    name: str = Field("scenario", description="Name carried by every result frame.")
    description: str = Field("", description="The story: what situation, which question.")
    registries: tuple[RegistrySpec, ...] = Field(min_length=1, description="Registries.")
    images: tuple[ImageSpec, ...] = Field((), description="Images the registries serve.")
    node_pools: tuple[NodePool, ...] = Field(min_length=1, description="Node pools.")
    shared_links: tuple[SharedLink, ...] = Field((), description="NAT gateways, uplinks.")
    kubelet: dict[str, Any] = Field(
        default_factory=dict, description="A KubeletConfiguration document (v1beta1 fields)."
    )
    runtime: str = Field("containerd-2.x", description=f"One of {', '.join(RUNTIME_PROFILES)}.")
    pod_timings: PodTimingsSpec = Field(default_factory=PodTimingsSpec, description="Delays.")
    scheduler: SchedulerSpec = Field(default_factory=SchedulerSpec, description="Scheduler.")
    manifests: tuple[str, ...] = Field((), description="Manifest YAML texts or paths.")
    objects: tuple[Workload | Secret | ServiceAccount, ...] = Field(
        (), description="pullsim.kube objects (Workload, Secret, ServiceAccount) built in Python."
    )
    run_seconds: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="Workload name -> container name -> run time of regular init containers, s.",
    )
    node_credentials: tuple[str, ...] = Field(
        (), description="Node-wide credentials: .dockerconfigjson texts (the node's keyring)."
    )
    arrivals: tuple[Arrival, ...] = Field((), description="When pods are created, nodes join.")
    running_workloads: tuple[RunningWorkloadSpec, ...] = Field(
        (), description="Workloads already running on nodes."
    )
    horizon_s: Duration = Field(3600.0, gt=0, description="Simulated time, seconds.")
    seed: int = Field(0, ge=0, description="Default seed of the random streams.")
    link_resolution_s: Duration = Field(1.0, gt=0, description="Width of link usage buckets.")
    strategies: dict[str, Strategy] = Field(
        default_factory=dict, description="Named overrides compared on the same situation."
    )

    @field_validator("runtime")
    @classmethod
    def _known_runtime(cls, value: str) -> str:
        if value not in RUNTIME_PROFILES:
            raise ValueError(f"unknown runtime {value!r}; expected one of {RUNTIME_PROFILES}")
        return value

    @field_validator("kubelet")
    @classmethod
    def _valid_kubelet(cls, value: dict[str, Any]) -> dict[str, Any]:
        KubeletConfiguration.from_dict(value)  # raises with the kubelet's own message
        return value

    @model_validator(mode="after")
    def _valid_strategies(self) -> Scenario:
        for name, strategy in self.strategies.items():
            try:
                self.kubelet_configuration(name)
            except ValueError as error:
                raise ValueError(f"strategies.{name}.kubelet: {error}") from None
            if strategy.runtime is not None and strategy.runtime not in RUNTIME_PROFILES:
                raise ValueError(f"strategies.{name}.runtime: unknown runtime {strategy.runtime!r}")
        pools = {pool.name for pool in self.node_pools}
        for index, arrival in enumerate(self.arrivals):
            if isinstance(arrival, NodeJoinArrival) and arrival.node_pool not in pools:
                raise ValueError(f"arrivals[{index}].node_pool: no node pool {arrival.node_pool!r}")
        for index, workload in enumerate(self.running_workloads):
            for pool in workload.node_pools:
                if pool not in pools:
                    raise ValueError(f"running_workloads[{index}].node_pools: no pool {pool!r}")
        return self

    def kubelet_document(self, strategy: str | None = None) -> Mapping[str, Any]:
        document = dict(self.kubelet)
        if strategy is not None:
            if strategy not in self.strategies:
                raise KeyError(f"no strategy {strategy!r} (have: {', '.join(self.strategies)})")
            overrides = self.strategies[strategy].kubelet
            # Setting maxParallelImagePulls without serializeImagePulls lets defaulting decide.
            if "maxParallelImagePulls" in overrides and "serializeImagePulls" not in overrides:
                document.pop("serializeImagePulls", None)
            document.update(overrides)
        return document

    def kubelet_configuration(self, strategy: str | None = None) -> KubeletConfiguration:
        return KubeletConfiguration.from_dict(self.kubelet_document(strategy))

    def runtime_profile_name(self, strategy: str | None = None) -> str:
        if strategy is not None and self.strategies[strategy].runtime is not None:
            return self.strategies[strategy].runtime
        return self.runtime

    def kubernetes_objects(self) -> tuple[list[Workload], list[Secret], list[ServiceAccount]]:
        """Workloads, Secrets and ServiceAccounts: from the manifests, then ``objects``."""
        workloads: list[Workload] = []
        secrets: list[Secret] = []
        accounts: list[ServiceAccount] = []
        if self.manifests:
            loaded = load_manifests(list(self.manifests))
            workloads += loaded.workloads
            secrets += loaded.secrets
            accounts += loaded.service_accounts
        for item in self.objects:
            if isinstance(item, Workload):
                workloads.append(item)
            elif isinstance(item, Secret):
                secrets.append(item)
            else:
                accounts.append(item)
        return workloads, secrets, accounts

    def node_keyring(self) -> Keyring | None:
        """The nodes' own credentials (every ``node_credentials`` entry merged), if any."""
        if not self.node_credentials:
            return None
        auths: dict[str, Any] = {}
        for text in self.node_credentials:
            auths.update(json.loads(text).get("auths", {}))
        return Keyring.from_dockerconfigjson({"auths": auths})
