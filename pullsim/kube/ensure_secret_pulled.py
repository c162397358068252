"""KEP-2535 "ensure secret pulled images": may a pod use an image already on the node?

Sources (kubernetes/kubernetes):
- ``pkg/kubelet/images/image_manager.go`` EnsureImageExists and imagePullPrecheck: ``Always``
  never looks at the local store; with the KubeletEnsureSecretPulledImages gate off a present
  image is used as is; with it on the pull manager decides, and ``Never`` fails with
  ``ErrImageNeverPull`` when the image is absent or its use would need a credentialed pull.
- ``pkg/kubelet/images/pullmanager/image_pull_manager.go`` MustAttemptImagePull: the records of
  earlier kubelet pulls, keyed by image ID and image name without tag or digest.
- ``pkg/kubelet/images/pullmanager/image_pull_policies.go``: the four
  imagePullCredentialsVerificationPolicy values.

The decision for a present image, gate on:
1. Policy exemption: ``NeverVerify`` exempts everything; ``NeverVerifyPreloadedImages`` exempts
   images the kubelet never pulled (preloaded); ``NeverVerifyAllowlistedImages`` exempts images
   whose name is in ``preloadedImagesVerificationAllowlist`` (exact name or ``prefix/*``),
   whoever pulled them; ``AlwaysVerify`` exempts nothing.
2. Not exempt and no record for this image name: pull (with the pod's credentials).
3. Record says anonymous or node-wide credentials (``nodePodsAccessible``): use it.
4. Record lists secrets: use it if one of the pod's pull secrets has the same credential hash,
   or the same namespace/name/UID (a rotated secret); otherwise pull.
Not modelled: in-flight pull intents, service-account-token credentials, record write limits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from pullsim.kube.kubelet_config import (
    ALWAYS_VERIFY,
    NEVER_VERIFY,
    NEVER_VERIFY_ALLOWLISTED_IMAGES,
    NEVER_VERIFY_PRELOADED_IMAGES,
)
from pullsim.kube.objects import DOCKER_CONFIG_JSON_KEY, DOCKERCFG_KEY, Secret
from pullsim.kube.pull_policy import PullPolicy
from pullsim.kube.reference import InvalidImageName, parse_image_ref


@dataclass(frozen=True, slots=True)
class PullSecretCoordinates:
    """A pull secret as the kubelet records it: coordinates plus a hash of its credentials."""

    namespace: str
    name: str
    uid: str = ""
    credential_hash: str = ""

    @classmethod
    def of(cls, secret: Secret) -> PullSecretCoordinates:
        payload = secret.data.get(DOCKER_CONFIG_JSON_KEY) or secret.data.get(DOCKERCFG_KEY) or b""
        digest = hashlib.sha256(payload).hexdigest() if payload else ""
        return cls(
            namespace=secret.namespace, name=secret.name, uid=secret.uid, credential_hash=digest
        )


@dataclass(frozen=True, slots=True)
class ImagePullRecord:
    """What the kubelet remembers about how it pulled an image name (one ImagePulledRecord
    credentialMapping entry). ``node_pods_accessible`` covers anonymous pulls and node-wide
    credentials."""

    node_pods_accessible: bool = False
    kubernetes_secrets: frozenset[PullSecretCoordinates] = frozenset()


class PresentImageDecision(StrEnum):
    PULL = "pull"
    """Ask the runtime to pull (cheap if the layers are cached: manifest only)."""
    USE_PRESENT = "use-present"
    """Start the container from the image on the node."""
    NEVER_PULL_ERROR = "never-pull-error"
    """``ErrImageNeverPull``: the image may not be used and the policy forbids pulling."""


def image_name_without_tag_or_digest(image: str) -> str:
    """The credentialMapping key: the normalised name, or the text as is if unparseable."""
    try:
        return parse_image_ref(image).name
    except InvalidImageName:
        return image


def allowlist_matches(image: str, allowlist: Iterable[str]) -> bool:
    """NeverVerifyAllowlistedImages.imageMatches: exact normalised name or ``prefix/*``."""
    try:
        name = parse_image_ref(image).name
    except InvalidImageName:
        return False
    for pattern in allowlist:
        if pattern.endswith("/*"):
            if name.startswith(pattern[:-1]):
                return True
        elif name == pattern:
            return True
    return False


def requires_credential_verification(
    policy: str, image: str, pulled_by_kubelet: bool, allowlist: Iterable[str] = ()
) -> bool:
    """image_pull_policies.go RequireCredentialVerificationForImage."""
    if policy == NEVER_VERIFY:
        return False
    if policy == NEVER_VERIFY_PRELOADED_IMAGES:
        return pulled_by_kubelet
    if policy == NEVER_VERIFY_ALLOWLISTED_IMAGES:
        return not allowlist_matches(image, allowlist)
    if policy == ALWAYS_VERIFY:
        return True
    raise ValueError(f"unknown image pull credential verification policy: {policy}")


def must_attempt_image_pull(
    *,
    image: str,
    policy: str,
    pulled_by_kubelet: bool,
    record: ImagePullRecord | None,
    pod_pull_secrets: Iterable[PullSecretCoordinates] = (),
    allowlist: Iterable[str] = (),
) -> bool:
    """MustAttemptImagePull for an image present on the node.

    ``pulled_by_kubelet`` is false for a preloaded image; ``record`` is the kubelet's record for
    this image's name (None when it has none).
    """
    if not requires_credential_verification(policy, image, pulled_by_kubelet, allowlist):
        return False
    if record is None:
        return True
    if record.node_pods_accessible:
        return False
    for pod_secret in pod_pull_secrets:
        for recorded in record.kubernetes_secrets:
            hashes_match = bool(recorded.credential_hash) and (
                pod_secret.credential_hash == recorded.credential_hash
            )
            coordinates_match = (pod_secret.uid, pod_secret.namespace, pod_secret.name) == (
                recorded.uid,
                recorded.namespace,
                recorded.name,
            )
            if hashes_match or coordinates_match:
                return False
    return True


def decide_present_image(
    *,
    image: str,
    pull_policy: PullPolicy | str,
    image_present: bool,
    feature_gate_enabled: bool,
    policy: str = NEVER_VERIFY_PRELOADED_IMAGES,
    pulled_by_kubelet: bool = False,
    record: ImagePullRecord | None = None,
    pod_pull_secrets: Iterable[PullSecretCoordinates] = (),
    allowlist: Iterable[str] = (),
) -> PresentImageDecision:
    """EnsureImageExists' choice between pulling, using the local image and ErrImageNeverPull."""
    pull_policy = PullPolicy(pull_policy)
    if pull_policy is PullPolicy.ALWAYS:
        return PresentImageDecision.PULL
    if not image_present:
        if pull_policy is PullPolicy.NEVER:
            return PresentImageDecision.NEVER_PULL_ERROR
        return PresentImageDecision.PULL
    if not feature_gate_enabled:
        return PresentImageDecision.USE_PRESENT
    if not must_attempt_image_pull(
        image=image,
        policy=policy,
        pulled_by_kubelet=pulled_by_kubelet,
        record=record,
        pod_pull_secrets=pod_pull_secrets,
        allowlist=allowlist,
    ):
        return PresentImageDecision.USE_PRESENT
    if pull_policy is PullPolicy.NEVER:
        return PresentImageDecision.NEVER_PULL_ERROR
    return PresentImageDecision.PULL


def record_after_pull(
    previous: ImagePullRecord | None, used_secret: PullSecretCoordinates | None
) -> ImagePullRecord:
    """The record after a successful pull: anonymous/node credentials make the image
    accessible to every pod on the node; a secret is added to the list."""
    previous = previous or ImagePullRecord()
    if used_secret is None or previous.node_pods_accessible:
        return ImagePullRecord(node_pods_accessible=True)
    return ImagePullRecord(kubernetes_secrets=previous.kubernetes_secrets | {used_secret})
