"""Kubernetes semantics for pullsim: pure functions and frozen models, no notion of time.

Image references (``reference``), pull-policy defaulting (``pull_policy``), the kubelet's
configuration (``kubelet_config``), pull secrets and the keyring (``credentials``),
ServiceAccount admission (``service_account``), KEP-2535 decisions (``ensure_secret_pulled``),
objects from manifests (``manifests``, ``objects``), the image pull back-off (``backoff``) and the
kubelet's reasons and messages (``errors``). docs/kubernetes.md lists each rule with its
upstream source.
"""

from pullsim.kube.backoff import Backoff, image_back_off_key
from pullsim.kube.credentials import (
    Credential,
    CredentialSource,
    Keyring,
    PullSecretError,
    pull_credentials,
    retrieve_pull_secrets,
    urls_match,
)
from pullsim.kube.ensure_secret_pulled import (
    ImagePullRecord,
    PresentImageDecision,
    PullSecretCoordinates,
    decide_present_image,
    must_attempt_image_pull,
)
from pullsim.kube.kubelet_config import KubeletConfiguration, KubeletConfigurationError
from pullsim.kube.manifests import ManifestError, Manifests, load_manifests
from pullsim.kube.objects import (
    Container,
    ContainerKind,
    Namespace,
    PodSpec,
    Secret,
    ServiceAccount,
    Workload,
)
from pullsim.kube.pull_policy import PullPolicy, default_pull_policy, should_pull_image
from pullsim.kube.reference import ImageReference, InvalidImageName, parse_image_ref
from pullsim.kube.service_account import ServiceAccountAdmissionError, admit_pod

__all__ = [
    "Backoff",
    "Container",
    "ContainerKind",
    "Credential",
    "CredentialSource",
    "ImagePullRecord",
    "ImageReference",
    "InvalidImageName",
    "Keyring",
    "KubeletConfiguration",
    "KubeletConfigurationError",
    "ManifestError",
    "Manifests",
    "Namespace",
    "PodSpec",
    "PresentImageDecision",
    "PullPolicy",
    "PullSecretCoordinates",
    "PullSecretError",
    "Secret",
    "ServiceAccount",
    "ServiceAccountAdmissionError",
    "Workload",
    "admit_pod",
    "decide_present_image",
    "default_pull_policy",
    "image_back_off_key",
    "load_manifests",
    "must_attempt_image_pull",
    "parse_image_ref",
    "pull_credentials",
    "retrieve_pull_secrets",
    "should_pull_image",
    "urls_match",
]
