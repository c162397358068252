"""Frozen models of the Kubernetes objects pullsim reads: pods and pod templates, Secrets,
ServiceAccounts and Namespaces, reduced to what matters for image pulls.

Sources (kubernetes/kubernetes): ``staging/src/k8s.io/api/core/v1/types.go`` (PodSpec,
Container, Secret, ServiceAccount; ``restartPolicy: Always`` on an init container makes it a
sidecar, KEP-753) and ``staging/src/k8s.io/api/apps/v1/types.go`` / ``batch/v1/types.go`` (the
workload kinds that carry a pod template).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from pullsim.kube.pull_policy import PullPolicy

DEFAULT_NAMESPACE = "default"
DEFAULT_SERVICE_ACCOUNT_NAME = "default"

SECRET_TYPE_DOCKER_CONFIG_JSON = "kubernetes.io/dockerconfigjson"
SECRET_TYPE_DOCKERCFG = "kubernetes.io/dockercfg"
DOCKER_CONFIG_JSON_KEY = ".dockerconfigjson"
DOCKERCFG_KEY = ".dockercfg"


def _empty_mapping() -> Mapping:
    return MappingProxyType({})


class ContainerKind(StrEnum):
    """Where a container sits in the pod's start order."""

    INIT = "init"
    """A regular init container: runs to completion before the next one starts."""
    SIDECAR = "sidecar"
    """An init container with ``restartPolicy: Always``: started, then left running."""
    APP = "app"


@dataclass(frozen=True, slots=True)
class Container:
    name: str
    image: str
    image_pull_policy: PullPolicy
    kind: ContainerKind = ContainerKind.APP
    resource_requests: Mapping[str, float] = field(default_factory=_empty_mapping)
    """Requests by resource name in SI units (cpu in cores, memory and storage in bytes)."""
    has_startup_probe: bool = False


@dataclass(frozen=True, slots=True)
class PodSpec:
    """A pod, or a workload's pod template, after API defaulting."""

    name: str
    """The pod's name, or the workload's name for a template."""
    namespace: str = DEFAULT_NAMESPACE
    init_containers: tuple[Container, ...] = ()
    """Init containers in spec order, regular ones and sidecars interleaved as written."""
    containers: tuple[Container, ...] = ()
    image_pull_secrets: tuple[str, ...] = ()
    service_account_name: str = ""
    """Empty until ServiceAccount admission sets it (see ``service_account.admit_pod``)."""
    node_name: str = ""
    node_selector: Mapping[str, str] = field(default_factory=_empty_mapping)
    labels: Mapping[str, str] = field(default_factory=_empty_mapping)

    @property
    def all_containers(self) -> tuple[Container, ...]:
        """Init containers (and sidecars) then app containers: the kubelet's pull order."""
        return self.init_containers + self.containers

    @property
    def images(self) -> tuple[str, ...]:
        return tuple(container.image for container in self.all_containers)

    def resource_requests(self) -> dict[str, float]:
        """Effective pod requests: max(largest regular init container, app containers plus
        sidecars), the rule of ``k8s.io/component-helpers/resource`` PodRequests."""
        long_running: dict[str, float] = {}
        init_peak: dict[str, float] = {}
        sidecars: dict[str, float] = {}
        for container in self.init_containers:
            if container.kind is ContainerKind.SIDECAR:
                for resource, amount in container.resource_requests.items():
                    sidecars[resource] = sidecars.get(resource, 0.0) + amount
                    long_running[resource] = long_running.get(resource, 0.0) + amount
            else:
                # A regular init container runs next to the sidecars started before it.
                for resource, amount in container.resource_requests.items():
                    peak = amount + sidecars.get(resource, 0.0)
                    init_peak[resource] = max(init_peak.get(resource, 0.0), peak)
        for container in self.containers:
            for resource, amount in container.resource_requests.items():
                long_running[resource] = long_running.get(resource, 0.0) + amount
        return {
            resource: max(long_running.get(resource, 0.0), init_peak.get(resource, 0.0))
            for resource in sorted(set(long_running) | set(init_peak))
        }


@dataclass(frozen=True, slots=True)
class Workload:
    """A controller object with a pod template (Deployment, ReplicaSet, StatefulSet, DaemonSet,
    Job), or a bare Pod (``kind == "Pod"``, ``replicas == 1``)."""

    kind: str
    name: str
    namespace: str
    pod_template: PodSpec
    replicas: int | None
    """Desired pods; None for a DaemonSet (one per eligible node). For a Job: parallelism."""
    completions: int | None = None
    """Job only: pods that must succeed (None: as many as parallelism, upstream default 1)."""


@dataclass(frozen=True, slots=True)
class Secret:
    """A Secret; ``data`` holds decoded bytes and never appears in repr."""

    name: str
    namespace: str = DEFAULT_NAMESPACE
    type: str = "Opaque"
    uid: str = ""
    data: Mapping[str, bytes] = field(default_factory=_empty_mapping, repr=False)

    @classmethod
    def docker_config_json(
        cls, name: str, docker_config_json: str, namespace: str = DEFAULT_NAMESPACE
    ) -> Secret:
        """A ``kubernetes.io/dockerconfigjson`` Secret holding the given JSON text."""
        return cls(
            name=name,
            namespace=namespace,
            type=SECRET_TYPE_DOCKER_CONFIG_JSON,
            data=MappingProxyType({DOCKER_CONFIG_JSON_KEY: docker_config_json.encode()}),
        )

    @staticmethod
    def decode_data(encoded: Mapping[str, str]) -> dict[str, bytes]:
        return {key: base64.b64decode(value, validate=True) for key, value in encoded.items()}


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    name: str
    namespace: str = DEFAULT_NAMESPACE
    image_pull_secrets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
