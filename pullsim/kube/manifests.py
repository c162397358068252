"""Kubernetes objects from manifests: multi-document YAML and ``kind: List``.

Reads Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, Secret, ServiceAccount and
Namespace; any other kind is reported in ``Manifests.skipped`` and otherwise ignored.
Pod specs get the API server's defaults that matter for pulls (kubernetes/kubernetes
``pkg/apis/core/v1/defaults.go``: imagePullPolicy from the image, requests copied from limits
when absent; the deprecated ``serviceAccount`` field fills ``serviceAccountName``) and a few of
its validation rules (``pkg/apis/core/validation/validation.go``: containers, names and images
are required, imagePullPolicy and init-container restartPolicy have fixed values, a
dockerconfigjson Secret needs a valid ``.dockerconfigjson``). Every error names the file, the
document index (and item index inside a List), the object's kind and name and the field path.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pullsim.kube.errors import go_quote
from pullsim.kube.objects import (
    DEFAULT_NAMESPACE,
    DOCKER_CONFIG_JSON_KEY,
    DOCKERCFG_KEY,
    SECRET_TYPE_DOCKER_CONFIG_JSON,
    SECRET_TYPE_DOCKERCFG,
    Container,
    ContainerKind,
    Namespace,
    PodSpec,
    Secret,
    ServiceAccount,
    Workload,
    _empty_mapping,
)
from pullsim.kube.pull_policy import PULL_POLICIES, PullPolicy, default_pull_policy
from pullsim.kube.quantity import parse_quantity

# Kinds pullsim models, with the API version kubectl would send them as.
API_VERSIONS = {
    "Pod": "v1",
    "Secret": "v1",
    "ServiceAccount": "v1",
    "Namespace": "v1",
    "Deployment": "apps/v1",
    "ReplicaSet": "apps/v1",
    "StatefulSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "Job": "batch/v1",
}
WORKLOAD_KINDS = ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job")
_REDACTED = "<secret contents redacted>"


@dataclass(frozen=True, slots=True)
class ManifestLocation:
    """Where an object was read: file (or ``<text>``), document index, item index in a List."""

    source: str
    document_index: int
    item_index: int | None = None
    kind: str = ""
    namespace: str = ""
    name: str = ""

    def __str__(self) -> str:
        text = f"{self.source}: document[{self.document_index}]"
        if self.item_index is not None:
            text += f" items[{self.item_index}]"
        if self.kind:
            name = self.name or "<unnamed>"
            text += f" {self.kind} {self.namespace + '/' if self.namespace else ''}{name}"
        return text


class ManifestError(ValueError):
    """An object pullsim cannot accept, with where and which field."""

    def __init__(self, location: ManifestLocation, field_path: str, message: str) -> None:
        self.location = location
        self.field_path = field_path
        self.message = message
        where = f"{location}: {field_path}" if field_path else str(location)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True, slots=True)
class SkippedObject:
    location: ManifestLocation
    reason: str


@dataclass(frozen=True, slots=True)
class Manifests:
    """The objects read from one or more manifests, in reading order per kind."""

    workloads: tuple[Workload, ...] = ()
    """Controllers with pod templates and bare Pods (``kind == "Pod"``)."""
    secrets: tuple[Secret, ...] = ()
    service_accounts: tuple[ServiceAccount, ...] = ()
    namespaces: tuple[Namespace, ...] = ()
    skipped: tuple[SkippedObject, ...] = ()
    locations: Mapping[tuple[str, str, str], ManifestLocation] = field(
        default_factory=_empty_mapping, repr=False
    )
    """(kind, namespace, name) -> where the object was read."""

    @property
    def pods(self) -> tuple[PodSpec, ...]:
        """Bare Pods (not pod templates)."""
        return tuple(w.pod_template for w in self.workloads if w.kind == "Pod")

    def workload(self, kind: str, name: str, namespace: str = DEFAULT_NAMESPACE) -> Workload:
        for workload in self.workloads:
            if (workload.kind, workload.name, workload.namespace) == (kind, name, namespace):
                return workload
        raise KeyError(f"{kind} {namespace}/{name}")

    def secret(self, name: str, namespace: str = DEFAULT_NAMESPACE) -> Secret | None:
        for secret in self.secrets:
            if (secret.name, secret.namespace) == (name, namespace):
                return secret
        return None


class _Reader:
    """Typed access to a decoded object that raises ManifestError with the field path."""

    def __init__(self, location: ManifestLocation) -> None:
        self.location = location

    def fail(self, path: str, message: str) -> ManifestError:
        return ManifestError(self.location, path, message)

    def mapping(self, value: Any, path: str, *, required: bool = False) -> Mapping[str, Any]:
        if value is None:
            if required:
                raise self.fail(path, "Required value")
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected an object, got {type(value).__name__}")
        return value

    def sequence(self, value: Any, path: str, *, required: bool = False) -> list[Any]:
        if value is None:
            if required:
                raise self.fail(path, "Required value")
            return []
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, got {type(value).__name__}")
        if required and not value:
            raise self.fail(path, "Required value")
        return value

    def string(self, value: Any, path: str, *, required: bool = False) -> str:
        if value is None or value == "":
            if required:
                raise self.fail(path, "Required value")
            return ""
        if not isinstance(value, str):
            raise self.fail(path, f"expected a string, got {type(value).__name__}")
        return value

    def integer(self, value: Any, path: str, default: int | None) -> int | None:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"expected an integer, got {type(value).__name__}")
        if value < 0:
            raise self.fail(path, f"Invalid value: {value}: must be greater than or equal to 0")
        return value

    def string_map(self, value: Any, path: str) -> Mapping[str, str]:
        result = {}
        for key, item in self.mapping(value, path).items():
            result[str(key)] = self.string(item, f"{path}[{key}]")
        return MappingProxyType(result)


def _parse_requests(reader: _Reader, resources: Mapping[str, Any], path: str) -> dict[str, float]:
    # SetDefaults: requests absent for a resource default to its limit.
    limits = reader.mapping(resources.get("limits"), f"{path}.limits")
    requests = dict(limits)
    requests.update(reader.mapping(resources.get("requests"), f"{path}.requests"))
    parsed = {}
    for resource, quantity in requests.items():
        source = "requests" if resource in (resources.get("requests") or {}) else "limits"
        try:
            parsed[str(resource)] = parse_quantity(quantity)
        except ValueError as error:
            raise reader.fail(f"{path}.{source}[{resource}]", str(error)) from None
    return parsed


def _parse_container(reader: _Reader, document: Any, path: str, *, init: bool) -> Container:
    container = reader.mapping(document, path, required=True)
    name = reader.string(container.get("name"), f"{path}.name", required=True)
    image = reader.string(container.get("image"), f"{path}.image", required=True)
    policy_text = reader.string(container.get("imagePullPolicy"), f"{path}.imagePullPolicy")
    if policy_text and policy_text not in PULL_POLICIES:
        supported = ", ".join(go_quote(policy) for policy in PULL_POLICIES)
        raise reader.fail(
            f"{path}.imagePullPolicy",
            f"Unsupported value: {go_quote(policy_text)}: supported values: {supported}",
        )
    policy = PullPolicy(policy_text) if policy_text else default_pull_policy(image)
    kind = ContainerKind.APP
    if init:
        restart_policy = reader.string(container.get("restartPolicy"), f"{path}.restartPolicy")
        if restart_policy and restart_policy != "Always":
            raise reader.fail(
                f"{path}.restartPolicy",
                f'Unsupported value: {go_quote(restart_policy)}: supported values: "Always"',
            )
        kind = ContainerKind.SIDECAR if restart_policy == "Always" else ContainerKind.INIT
    resources = reader.mapping(container.get("resources"), f"{path}.resources")
    return Container(
        name=name,
        image=image,
        image_pull_policy=policy,
        kind=kind,
        resource_requests=MappingProxyType(_parse_requests(reader, resources, f"{path}.resources")),
        has_startup_probe=container.get("startupProbe") is not None,
    )


def _parse_pod_spec(
    reader: _Reader,
    spec_document: Any,
    path: str,
    *,
    name: str,
    namespace: str,
    labels: Mapping[str, str],
) -> PodSpec:
    spec = reader.mapping(spec_document, path, required=True)
    init_containers = tuple(
        _parse_container(reader, item, f"{path}.initContainers[{index}]", init=True)
        for index, item in enumerate(
            reader.sequence(spec.get("initContainers"), f"{path}.initContainers")
        )
    )
    containers = tuple(
        _parse_container(reader, item, f"{path}.containers[{index}]", init=False)
        for index, item in enumerate(
            reader.sequence(spec.get("containers"), f"{path}.containers", required=True)
        )
    )
    seen: set[str] = set()
    for index, container in enumerate(init_containers + containers):
        if container.name in seen:
            is_init = index < len(init_containers)
            list_name = "initContainers" if is_init else "containers"
            position = index if is_init else index - len(init_containers)
            raise reader.fail(
                f"{path}.{list_name}[{position}].name",
                f"Duplicate value: {go_quote(container.name)}",
            )
        seen.add(container.name)
    pull_secrets = []
    for index, reference in enumerate(
        reader.sequence(spec.get("imagePullSecrets"), f"{path}.imagePullSecrets")
    ):
        entry = reader.mapping(reference, f"{path}.imagePullSecrets[{index}]", required=True)
        pull_secrets.append(
            reader.string(entry.get("name"), f"{path}.imagePullSecrets[{index}].name")
        )
    service_account = reader.string(
        spec.get("serviceAccountName"), f"{path}.serviceAccountName"
    ) or reader.string(spec.get("serviceAccount"), f"{path}.serviceAccount")
    return PodSpec(
        name=name,
        namespace=namespace,
        init_containers=init_containers,
        containers=containers,
        image_pull_secrets=tuple(pull_secrets),
        service_account_name=service_account,
        node_name=reader.string(spec.get("nodeName"), f"{path}.nodeName"),
        node_selector=reader.string_map(spec.get("nodeSelector"), f"{path}.nodeSelector"),
        labels=labels,
    )


def _parse_secret(
    reader: _Reader, document: Mapping[str, Any], name: str, namespace: str
) -> Secret:
    secret_type = reader.string(document.get("type"), "type") or "Opaque"
    data: dict[str, bytes] = {}
    for key, value in reader.mapping(document.get("data"), "data").items():
        text = reader.string(value, f"data[{key}]")
        try:
            data[str(key)] = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise reader.fail(f"data[{key}]", "illegal base64 data") from None
    for key, value in reader.mapping(document.get("stringData"), "stringData").items():
        data[str(key)] = reader.string(value, f"stringData[{key}]").encode()
    required_key = {
        SECRET_TYPE_DOCKER_CONFIG_JSON: DOCKER_CONFIG_JSON_KEY,
        SECRET_TYPE_DOCKERCFG: DOCKERCFG_KEY,
    }.get(secret_type)
    if required_key is not None:
        if required_key not in data:
            raise reader.fail(f"data[{required_key}]", "Required value")
        try:
            json.loads(data[required_key])
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            reason = error.msg if isinstance(error, json.JSONDecodeError) else "not UTF-8"
            raise reader.fail(
                f"data[{required_key}]", f"Invalid value: {go_quote(_REDACTED)}: {reason}"
            ) from None
    metadata = reader.mapping(document.get("metadata"), "metadata")
    uid = reader.string(metadata.get("uid"), "metadata.uid")
    return Secret(
        name=name, namespace=namespace, type=secret_type, uid=uid, data=MappingProxyType(data)
    )


@dataclass
class _Collector:
    default_namespace: str
    workloads: list[Workload] = field(default_factory=list)
    secrets: list[Secret] = field(default_factory=list)
    service_accounts: list[ServiceAccount] = field(default_factory=list)
    namespaces: list[Namespace] = field(default_factory=list)
    skipped: list[SkippedObject] = field(default_factory=list)
    locations: dict[tuple[str, str, str], ManifestLocation] = field(default_factory=dict)

    def add(self, document: Any, location: ManifestLocation) -> None:
        reader = _Reader(location)
        if not isinstance(document, Mapping):
            raise reader.fail("", f"expected a Kubernetes object, got {type(document).__name__}")
        kind = reader.string(document.get("kind"), "kind", required=True)
        if kind == "List" or (kind.endswith("List") and "items" in document):
            for item_index, item in enumerate(reader.sequence(document.get("items"), "items")):
                self.add(
                    item,
                    ManifestLocation(location.source, location.document_index, item_index),
                )
            return
        metadata = reader.mapping(document.get("metadata"), "metadata")
        name = metadata.get("name") or metadata.get("generateName") or ""
        namespace = "" if kind == "Namespace" else metadata.get("namespace")
        if kind != "Namespace" and not namespace:
            namespace = self.default_namespace
        location = ManifestLocation(
            location.source,
            location.document_index,
            location.item_index,
            kind=kind,
            namespace=str(namespace),
            name=str(name),
        )
        reader = _Reader(location)
        if kind not in API_VERSIONS:
            self.skipped.append(SkippedObject(location, f"kind {kind} is not modelled by pullsim"))
            return
        api_version = reader.string(document.get("apiVersion"), "apiVersion", required=True)
        if api_version != API_VERSIONS[kind]:
            raise reader.fail(
                "apiVersion",
                f"no matches for kind {go_quote(kind)} in version {go_quote(api_version)}",
            )
        name = reader.string(metadata.get("name"), "metadata.name", required=kind != "Pod")
        if not name:
            name = reader.string(metadata.get("generateName"), "metadata.name", required=True)
        namespace = str(namespace)
        self.locations[(kind, namespace, name)] = location
        if kind == "Namespace":
            self.namespaces.append(Namespace(name=name))
        elif kind == "Secret":
            self.secrets.append(_parse_secret(reader, document, name, namespace))
        elif kind == "ServiceAccount":
            secrets = []
            for index, entry in enumerate(
                reader.sequence(document.get("imagePullSecrets"), "imagePullSecrets")
            ):
                entry = reader.mapping(entry, f"imagePullSecrets[{index}]", required=True)
                secrets.append(reader.string(entry.get("name"), f"imagePullSecrets[{index}].name"))
            self.service_accounts.append(
                ServiceAccount(name=name, namespace=namespace, image_pull_secrets=tuple(secrets))
            )
        elif kind == "Pod":
            labels = reader.string_map(metadata.get("labels"), "metadata.labels")
            pod = _parse_pod_spec(
                reader, document.get("spec"), "spec", name=name, namespace=namespace, labels=labels
            )
            self.workloads.append(Workload("Pod", name, namespace, pod, replicas=1))
        else:
            self.workloads.append(_parse_workload(reader, document, kind, name, namespace))


def _parse_workload(
    reader: _Reader, document: Mapping[str, Any], kind: str, name: str, namespace: str
) -> Workload:
    spec = reader.mapping(document.get("spec"), "spec", required=True)
    template = reader.mapping(spec.get("template"), "spec.template", required=True)
    template_metadata = reader.mapping(template.get("metadata"), "spec.template.metadata")
    labels = reader.string_map(template_metadata.get("labels"), "spec.template.metadata.labels")
    pod_template = _parse_pod_spec(
        reader,
        template.get("spec"),
        "spec.template.spec",
        name=name,
        namespace=namespace,
        labels=labels,
    )
    completions = None
    if kind == "DaemonSet":
        replicas = None
    elif kind == "Job":
        parallelism = reader.integer(spec.get("parallelism"), "spec.parallelism", None)
        completions = reader.integer(spec.get("completions"), "spec.completions", None)
        if parallelism is None and completions is None:
            parallelism, completions = 1, 1  # batch/v1 SetDefaults_Job
        replicas = 1 if parallelism is None else parallelism
    else:
        replicas = reader.integer(spec.get("replicas"), "spec.replicas", 1)
    return Workload(kind, name, namespace, pod_template, replicas, completions)


def _read_source(source: str | Path) -> tuple[str, str]:
    """(display name, YAML text) of a path or of literal YAML text."""
    if isinstance(source, Path):
        return str(source), source.read_text()
    if "\n" not in source and source.strip() and Path(source).is_file():
        return source, Path(source).read_text()
    return "<text>", source


def load_manifests(
    sources: str | Path | Iterable[str | Path], *, default_namespace: str = DEFAULT_NAMESPACE
) -> Manifests:
    """Read manifests from a path, YAML text, or several of either.

    Objects without ``metadata.namespace`` go to ``default_namespace`` (as ``kubectl apply``).
    Raises :class:`ManifestError` (a ValueError) naming file, document, object and field.
    """
    import yaml  # only reading text needs it: the simulation core stays free of YAML

    if isinstance(sources, str | Path):
        sources = [sources]
    collector = _Collector(default_namespace=default_namespace)
    for source in sources:
        name, text = _read_source(source)
        document_index = -1
        try:
            for document_index, document in enumerate(yaml.safe_load_all(text)):
                if document is None:
                    continue  # an empty document between two "---"
                collector.add(document, ManifestLocation(name, document_index))
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(error, "problem", None) or str(error)
            raise ManifestError(
                ManifestLocation(name, document_index + 1), "", f"invalid YAML{line}: {problem}"
            ) from None
    return Manifests(
        workloads=tuple(collector.workloads),
        secrets=tuple(collector.secrets),
        service_accounts=tuple(collector.service_accounts),
        namespaces=tuple(collector.namespaces),
        skipped=tuple(collector.skipped),
        locations=MappingProxyType(collector.locations),
    )
