"""KubeletConfiguration (``kubelet.config.k8s.io/v1beta1``): the image-pull subset, defaulted and
validated as the kubelet does it.

Sources (kubernetes/kubernetes):
- ``staging/src/k8s.io/kubelet/config/v1beta1/types.go``: the schema and field names.
- ``pkg/kubelet/apis/config/v1beta1/defaults.go`` SetDefaults_KubeletConfiguration: defaults.
  Note ``registryBurst: 0`` and a zero ``imageMinimumGCAge`` are replaced by their defaults
  (10 and 2m) because upstream defaults on the zero value; ``registryPullQPS: 0`` stays 0 (no
  limit) because that field is a pointer.
- ``pkg/kubelet/apis/config/validation/validation.go`` ValidateKubeletConfiguration: the error
  texts, in the same order; several errors are joined as ``[a, b]`` like
  ``k8s.io/apimachinery/pkg/util/errors`` aggregates.
- ``pkg/kubelet/images/pullmanager/image_pull_policies.go``: allowlist pattern validation.

Fields of the real schema that pullsim does not model are accepted, kept verbatim and listed in
``ignored_fields`` (and not validated). Unknown fields are errors, which is stricter than the
kubelet (it falls back to lenient decoding with a warning).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ConfigDict, field_serializer, field_validator

from pullsim.kube.durations import (
    NANOSECONDS_PER_SECOND,
    format_go_duration,
    parse_go_duration,
)
from pullsim.kube.errors import go_quote
from pullsim.kube.reference import InvalidImageName, parse_image_ref

API_VERSION = "kubelet.config.k8s.io/v1beta1"
KIND = "KubeletConfiguration"

# imagePullCredentialsVerificationPolicy values (types.go).
NEVER_VERIFY = "NeverVerify"
NEVER_VERIFY_PRELOADED_IMAGES = "NeverVerifyPreloadedImages"
NEVER_VERIFY_ALLOWLISTED_IMAGES = "NeverVerifyAllowlistedImages"
ALWAYS_VERIFY = "AlwaysVerify"
IMAGE_PULL_CREDENTIALS_VERIFICATION_POLICIES = (
    NEVER_VERIFY,
    NEVER_VERIFY_PRELOADED_IMAGES,
    NEVER_VERIFY_ALLOWLISTED_IMAGES,
    ALWAYS_VERIFY,
)

KUBELET_ENSURE_SECRET_PULLED_IMAGES = "KubeletEnsureSecretPulledImages"
IMAGE_MAXIMUM_GC_AGE = "ImageMaximumGCAge"
# Defaults of the gates pullsim consults (pkg/features/kube_features.go, Kubernetes 1.35):
# KubeletEnsureSecretPulledImages is beta and on; ImageMaximumGCAge is on.
DEFAULT_FEATURE_GATES: Mapping[str, bool] = MappingProxyType(
    {KUBELET_ENSURE_SECRET_PULLED_IMAGES: True, IMAGE_MAXIMUM_GC_AGE: True}
)

# Fields of v1beta1 KubeletConfiguration that pullsim reads (camelCase as in YAML).
MODELLED_FIELDS = (
    "serializeImagePulls",
    "maxParallelImagePulls",
    "registryPullQPS",
    "registryBurst",
    "imageGCHighThresholdPercent",
    "imageGCLowThresholdPercent",
    "imageMinimumGCAge",
    "imageMaximumGCAge",
    "imagePullCredentialsVerificationPolicy",
    "preloadedImagesVerificationAllowlist",
    "featureGates",
    "runtimeRequestTimeout",
)

# The rest of the v1beta1 schema (types.go): accepted, recorded, not modelled.
UNMODELLED_FIELDS = frozenset(
    {
        "enableServer", "staticPodPath", "podLogsDir", "syncFrequency", "fileCheckFrequency",
        "httpCheckFrequency", "staticPodURL", "staticPodURLHeader", "address", "port",
        "readOnlyPort", "tlsCertFile", "tlsPrivateKeyFile", "tlsCipherSuites",
        "tlsCurvePreferences", "tlsMinVersion", "rotateCertificates", "serverTLSBootstrap",
        "authentication", "authorization", "eventRecordQPS", "eventBurst",
        "enableDebuggingHandlers", "enableContentionProfiling", "healthzPort",
        "healthzBindAddress", "oomScoreAdj", "clusterDomain", "clusterDNS",
        "streamingConnectionIdleTimeout", "nodeStatusUpdateFrequency",
        "nodeStatusReportFrequency", "nodeLeaseDurationSeconds", "volumeStatsAggPeriod",
        "kubeletCgroups", "systemCgroups", "cgroupRoot", "cgroupsPerQOS", "cgroupDriver",
        "cpuManagerPolicy", "singleProcessOOMKill", "cpuManagerPolicyOptions",
        "cpuManagerReconcilePeriod", "draManagerReconcilePeriod", "memoryManagerPolicy",
        "topologyManagerPolicy", "topologyManagerScope", "topologyManagerPolicyOptions",
        "qosReserved", "hairpinMode", "maxPods", "podCIDR", "podPidsLimit", "resolvConf",
        "runOnce", "cpuCFSQuota", "cpuCFSQuotaPeriod", "nodeStatusMaxImages", "maxOpenFiles",
        "contentType", "kubeAPIQPS", "kubeAPIBurst", "evictionHard", "evictionSoft",
        "evictionSoftGracePeriod", "evictionPressureTransitionPeriod",
        "evictionMaxPodGracePeriod", "evictionMinimumReclaim", "mergeDefaultEvictionSettings",
        "podsPerCore", "enableControllerAttachDetach", "protectKernelDefaults",
        "makeIPTablesUtilChains", "iptablesMasqueradeBit", "iptablesDropBit", "failSwapOn",
        "memorySwap", "containerLogMaxSize", "containerLogMaxFiles", "containerLogMaxWorkers",
        "containerLogMonitorInterval", "configMapAndSecretChangeDetectionStrategy",
        "systemReserved", "kubeReserved", "reservedSystemCPUs", "showHiddenMetricsForVersion",
        "systemReservedCgroup", "kubeReservedCgroup", "enforceNodeAllocatable",
        "allowedUnsafeSysctls", "volumePluginDir", "providerID", "kernelMemcgNotification",
        "logging", "enableSystemLogHandler", "enableSystemLogQuery", "shutdownGracePeriod",
        "shutdownGracePeriodCriticalPods", "shutdownGracePeriodByPodPriority",
        "crashLoopBackOff", "reservedMemory", "enableProfilingHandler",
        "enableDebugFlagsHandler", "seccompDefault", "memoryThrottlingFactor",
        "memoryReservationPolicy", "registerWithTaints", "registerNode", "tracing",
        "localStorageCapacityIsolation", "containerRuntimeEndpoint", "imageServiceEndpoint",
        "failCgroupV1", "userNamespaces", "podHousekeepingPeriod",
    }
)  # fmt: skip

_TYPE_META_FIELDS = ("apiVersion", "kind")


class KubeletConfigurationError(ValueError):
    """The configuration cannot be read or the kubelet would refuse to start with it."""


class KubeletConfiguration(BaseModel):
    """The image-pull part of a kubelet's configuration, after upstream defaulting.

    Attribute names are the upstream camelCase field names; durations are in seconds.
    Build it with :meth:`from_dict`, :meth:`from_yaml` or :meth:`from_path`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    apiVersion: str = API_VERSION
    kind: str = KIND
    serializeImagePulls: bool = True
    """Pull one image at a time per node (default true unless maxParallelImagePulls >= 2)."""
    maxParallelImagePulls: int | None = None
    """Cap on parallel pulls when serializeImagePulls is false; None means no cap."""
    registryPullQPS: int = 5
    """Token-bucket refill per second for pulls; 0 means no limit."""
    registryBurst: int = 10
    """Token-bucket size for pulls."""
    imageGCHighThresholdPercent: int = 85
    imageGCLowThresholdPercent: int = 80
    imageMinimumGCAge: float = 120.0
    """Seconds an unused image is kept before garbage collection may remove it."""
    imageMaximumGCAge: float = 0.0
    """Seconds after which an unused image is removed regardless of disk usage; 0 is off."""
    imagePullCredentialsVerificationPolicy: str = NEVER_VERIFY_PRELOADED_IMAGES
    """KEP-2535 policy; empty when the KubeletEnsureSecretPulledImages gate is off."""
    preloadedImagesVerificationAllowlist: tuple[str, ...] = ()
    featureGates: Mapping[str, bool] = MappingProxyType({})
    """Gates as written in the document (see :meth:`feature_enabled` for effective values)."""
    runtimeRequestTimeout: float = 120.0
    """Seconds; does not apply to PullImage, which has no kubelet deadline."""
    ignored_fields: tuple[str, ...] = ()
    """Names of schema fields present in the document that pullsim does not model."""
    ignored_values: Mapping[str, Any] = MappingProxyType({})

    @field_validator("featureGates", "ignored_values", mode="after")
    @classmethod
    def _read_only(cls, value: Mapping[str, Any]) -> Mapping[str, Any]:
        # Frozen all the way down: a shared configuration must not be edited in place.
        return MappingProxyType(dict(value))

    @field_serializer("featureGates", "ignored_values")
    def _as_dict(self, value: Mapping[str, Any]) -> dict[str, Any]:
        return dict(value)

    def feature_enabled(self, gate: str) -> bool:
        """Effective value of a feature gate: the document's setting, else the default."""
        if gate in self.featureGates:
            return self.featureGates[gate]
        return DEFAULT_FEATURE_GATES.get(gate, False)

    @property
    def ensure_secret_pulled_images(self) -> bool:
        return self.feature_enabled(KUBELET_ENSURE_SECRET_PULLED_IMAGES)

    @classmethod
    def from_dict(cls, document: Mapping[str, Any] | None = None) -> KubeletConfiguration:
        """Read a decoded KubeletConfiguration document, apply defaults and validate it.

        ``apiVersion``/``kind`` may be omitted (v1beta1 assumed) but must be right if given.
        Raises :class:`KubeletConfigurationError` (a ValueError).
        """
        return _build(document or {})

    @classmethod
    def from_yaml(cls, text: str) -> KubeletConfiguration:
        import yaml  # only reading text needs it: the simulation core stays free of YAML

        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise KubeletConfigurationError(
                f"KubeletConfiguration is not valid YAML: {error}"
            ) from None
        if document is not None and not isinstance(document, Mapping):
            raise KubeletConfigurationError("KubeletConfiguration must be a YAML mapping")
        return cls.from_dict(document)

    @classmethod
    def from_path(cls, path: str | Path) -> KubeletConfiguration:
        path = Path(path)
        try:
            return cls.from_yaml(path.read_text())
        except KubeletConfigurationError as error:
            raise KubeletConfigurationError(f"{path}: {error}") from None


def _integer(field_name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise KubeletConfigurationError(
            f"KubeletConfiguration field {field_name}: expected an integer, got {value!r}"
        )
    return value


def _boolean(field_name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise KubeletConfigurationError(
            f"KubeletConfiguration field {field_name}: expected true or false, got {value!r}"
        )
    return value


def _duration(field_name: str, value: Any) -> int:
    """A metav1.Duration as integer nanoseconds."""
    if not isinstance(value, str):
        raise KubeletConfigurationError(
            f"KubeletConfiguration field {field_name}: expected a duration string such as "
            f'"2m", got {value!r}'
        )
    try:
        return parse_go_duration(value)
    except ValueError as error:
        raise KubeletConfigurationError(
            f"KubeletConfiguration field {field_name}: {error}"
        ) from None


def allowlist_pattern_error(pattern: str) -> str | None:
    """image_pull_policies.go getAllowlistImagePattern: the error text, or None if valid."""
    if pattern != pattern.strip():
        return f"leading/trailing spaces are not allowed: {pattern}"
    trimmed = pattern
    is_wildcard = pattern.endswith("/*")
    if is_wildcard:
        trimmed = trimmed[:-1]
    if not trimmed:
        return f"the supplied pattern is too short: {pattern}"
    if "*" in trimmed:
        return (
            f"not a valid wildcard pattern, only patterns ending with '/*' are allowed: {pattern}"
        )
    if is_wildcard:
        if len(trimmed) == 1:
            return "at least registry hostname is required"
        return None
    try:
        reference = parse_image_ref(trimmed)
    except InvalidImageName as error:
        return f"failed to parse as an image name: {error.reason}"
    if trimmed != reference.name:
        return f"neither tag nor digest is accepted in an image reference: {pattern}"
    return None


def _aggregate(messages: list[str]) -> str:
    """k8s.io/apimachinery/pkg/util/errors aggregate text: deduplicated, ``[a, b]`` if many."""
    unique = list(dict.fromkeys(messages))
    if len(unique) == 1:
        return unique[0]
    return "[" + ", ".join(unique) + "]"


def _build(document: Mapping[str, Any]) -> KubeletConfiguration:
    if not isinstance(document, Mapping):
        raise KubeletConfigurationError("KubeletConfiguration must be a mapping")
    api_version = document.get("apiVersion", API_VERSION)
    kind = document.get("kind", KIND)
    if kind != KIND:
        raise KubeletConfigurationError(f"expected kind {KIND!r}, got {kind!r}")
    if api_version != API_VERSION:
        raise KubeletConfigurationError(
            f"expected apiVersion {API_VERSION!r} for KubeletConfiguration, got {api_version!r}"
        )
    known = set(MODELLED_FIELDS) | UNMODELLED_FIELDS | set(_TYPE_META_FIELDS)
    unknown = [name for name in document if name not in known]
    if unknown:
        names = ", ".join(go_quote(str(name)) for name in unknown)
        raise KubeletConfigurationError(
            f"KubeletConfiguration: unknown field {names}"
            if len(unknown) == 1
            else f"KubeletConfiguration: unknown fields {names}"
        )

    # A null value means "unset", as in Go's JSON decoding into pointers and zero values.
    def given(name: str) -> Any:
        return document.get(name)

    feature_gates_document = given("featureGates") or {}
    if not isinstance(feature_gates_document, Mapping):
        raise KubeletConfigurationError("KubeletConfiguration field featureGates: expected a map")
    feature_gates = {
        str(name): _boolean(f"featureGates.{name}", value)
        for name, value in feature_gates_document.items()
    }

    def gate(name: str) -> bool:
        return feature_gates.get(name, DEFAULT_FEATURE_GATES.get(name, False))

    # --- defaults (SetDefaults_KubeletConfiguration) ---
    max_parallel = given("maxParallelImagePulls")
    if max_parallel is not None:
        max_parallel = _integer("maxParallelImagePulls", max_parallel)
    serialize = given("serializeImagePulls")
    if serialize is None:
        serialize = max_parallel is None or max_parallel < 2
    else:
        serialize = _boolean("serializeImagePulls", serialize)

    registry_pull_qps = given("registryPullQPS")
    registry_pull_qps = (
        5 if registry_pull_qps is None else _integer("registryPullQPS", registry_pull_qps)
    )
    registry_burst = _integer("registryBurst", given("registryBurst") or 0) or 10

    high = given("imageGCHighThresholdPercent")
    high = 85 if high is None else _integer("imageGCHighThresholdPercent", high)
    low = given("imageGCLowThresholdPercent")
    low = 80 if low is None else _integer("imageGCLowThresholdPercent", low)

    minimum_age = given("imageMinimumGCAge")
    minimum_age = 0 if minimum_age is None else _duration("imageMinimumGCAge", minimum_age)
    if minimum_age == 0:
        minimum_age = 2 * 60 * NANOSECONDS_PER_SECOND
    maximum_age = given("imageMaximumGCAge")
    maximum_age = 0 if maximum_age is None else _duration("imageMaximumGCAge", maximum_age)
    runtime_timeout = given("runtimeRequestTimeout")
    runtime_timeout = (
        0 if runtime_timeout is None else _duration("runtimeRequestTimeout", runtime_timeout)
    )
    if runtime_timeout == 0:
        runtime_timeout = 2 * 60 * NANOSECONDS_PER_SECOND

    policy = given("imagePullCredentialsVerificationPolicy") or ""
    if not isinstance(policy, str):
        raise KubeletConfigurationError(
            "KubeletConfiguration field imagePullCredentialsVerificationPolicy: expected a string"
        )
    ensure_secret_pulled = gate(KUBELET_ENSURE_SECRET_PULLED_IMAGES)
    if ensure_secret_pulled and policy == "":
        policy = NEVER_VERIFY_PRELOADED_IMAGES
    allowlist = given("preloadedImagesVerificationAllowlist") or []
    if not isinstance(allowlist, list) or not all(isinstance(item, str) for item in allowlist):
        raise KubeletConfigurationError(
            "KubeletConfiguration field preloadedImagesVerificationAllowlist: "
            "expected a list of strings"
        )

    # --- validation (ValidateKubeletConfiguration), in upstream order ---
    errors: list[str] = []
    prefix = "invalid configuration: "
    if not 0 <= high <= 100:
        errors.append(
            f"{prefix}imageGCHighThresholdPercent (--image-gc-high-threshold) {high} "
            "must be between 0 and 100, inclusive"
        )
    if not 0 <= low <= 100:
        errors.append(
            f"{prefix}imageGCLowThresholdPercent (--image-gc-low-threshold) {low} "
            "must be between 0 and 100, inclusive"
        )
    if low >= high:
        errors.append(
            f"{prefix}imageGCLowThresholdPercent (--image-gc-low-threshold) {low} must be less "
            f"than imageGCHighThresholdPercent (--image-gc-high-threshold) {high}"
        )
    if maximum_age != 0 and not gate(IMAGE_MAXIMUM_GC_AGE):
        errors.append(
            f"{prefix}ImageMaximumGCAge feature gate is required for Kubelet configuration "
            "option imageMaximumGCAge"
        )
    if minimum_age < 0:
        errors.append(
            f"{prefix}imageMinimumGCAge {format_go_duration(minimum_age)} must not be negative"
        )
    if maximum_age < 0:
        errors.append(
            f"{prefix}imageMaximumGCAge {format_go_duration(maximum_age)} must not be negative"
        )
    if 0 < maximum_age <= minimum_age:
        errors.append(
            f"{prefix}imageMaximumGCAge {format_go_duration(maximum_age)} must be greater than "
            f"imageMinimumGCAge {format_go_duration(minimum_age)}"
        )
    if registry_burst < 0:
        errors.append(
            f"{prefix}registryBurst (--registry-burst) {registry_burst} "
            "must not be a negative number"
        )
    if registry_pull_qps < 0:
        errors.append(
            f"{prefix}registryPullQPS (--registry-qps) {registry_pull_qps} "
            "must not be a negative number"
        )
    if max_parallel is not None and max_parallel < 1:
        errors.append(f"{prefix}maxParallelImagePulls {max_parallel} must be a positive number")
    if serialize and max_parallel is not None and max_parallel > 1:
        errors.append(
            f"{prefix}maxParallelImagePulls cannot be larger than 1 unless SerializeImagePulls "
            "(--serialize-image-pulls) is set to false"
        )
    if ensure_secret_pulled:
        if policy not in IMAGE_PULL_CREDENTIALS_VERIFICATION_POLICIES:
            options = ", ".join(
                go_quote(option) for option in IMAGE_PULL_CREDENTIALS_VERIFICATION_POLICIES[:3]
            )
            errors.append(
                f"{prefix}option {go_quote(policy)} specified for "
                f"imagePullCredentialsVerificationPolicy. Valid options are {options} or "
                f"{go_quote(ALWAYS_VERIFY)}"
            )
        if allowlist and policy != NEVER_VERIFY_ALLOWLISTED_IMAGES:
            # "Vertification" is upstream's spelling.
            errors.append(
                f"{prefix}can't set `preloadedImagesVerificationAllowlist` if "
                '`imagePullCredentialsVertificationPolicy` is not "NeverVerifyAllowlistedImages"'
            )
        else:
            for pattern in allowlist:
                pattern_error = allowlist_pattern_error(pattern)
                if pattern_error is not None:
                    errors.append(
                        f"{prefix}invalid image pattern in "
                        f"`preloadedImagesVerificationAllowlist`: {pattern_error}"
                    )
                    break
    else:
        if policy:
            errors.append(
                f"{prefix}`imagePullCredentialsVerificationPolicy` must not be set if "
                "KubeletEnsureSecretPulledImages feature gate is not enabled"
            )
        if allowlist:
            errors.append(
                f"{prefix}`preloadedImagesVerificationAllowlist` must not be set if "
                "KubeletEnsureSecretPulledImages feature gate is not enabled"
            )
    if errors:
        raise KubeletConfigurationError(_aggregate(errors))

    ignored = tuple(name for name in document if name in UNMODELLED_FIELDS)
    return KubeletConfiguration(
        apiVersion=api_version,
        kind=kind,
        serializeImagePulls=serialize,
        maxParallelImagePulls=max_parallel,
        registryPullQPS=registry_pull_qps,
        registryBurst=registry_burst,
        imageGCHighThresholdPercent=high,
        imageGCLowThresholdPercent=low,
        imageMinimumGCAge=minimum_age / NANOSECONDS_PER_SECOND,
        imageMaximumGCAge=maximum_age / NANOSECONDS_PER_SECOND,
        imagePullCredentialsVerificationPolicy=policy,
        preloadedImagesVerificationAllowlist=tuple(allowlist),
        featureGates=MappingProxyType(feature_gates),
        runtimeRequestTimeout=runtime_timeout / NANOSECONDS_PER_SECOND,
        ignored_fields=ignored,
        ignored_values=MappingProxyType({name: document[name] for name in ignored}),
    )
