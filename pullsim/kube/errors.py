"""Reason strings, event reasons and the message texts the kubelet uses for image pulls.

Sources (kubernetes/kubernetes):
- ``pkg/kubelet/images/types.go``: the container waiting reasons (``ErrImagePull``,
  ``ImagePullBackOff``, ``ErrImageNeverPull``, ``InvalidImageName``, ``ImageInspectError``,
  ``RegistryUnavailable``).
- ``pkg/kubelet/events/event.go``: the event reasons (``Pulling``, ``Pulled``, ``Failed``,
  ``BackOff``, ``ErrImageNeverPull``, ``InspectFailed``).
- ``pkg/kubelet/kubelet_pods.go`` getPullSecretsForPod: ``FailedToRetrieveImagePullSecret``.
- ``pkg/kubelet/images/image_manager.go``: the message texts built below.
"""

from __future__ import annotations

import json

# Container waiting reasons (pkg/kubelet/images/types.go).
ERR_IMAGE_PULL = "ErrImagePull"
IMAGE_PULL_BACK_OFF = "ImagePullBackOff"
ERR_IMAGE_NEVER_PULL = "ErrImageNeverPull"
INVALID_IMAGE_NAME = "InvalidImageName"
IMAGE_INSPECT_ERROR = "ImageInspectError"
REGISTRY_UNAVAILABLE = "RegistryUnavailable"

# Event reasons (pkg/kubelet/events/event.go, kubelet_pods.go).
EVENT_PULLING = "Pulling"
EVENT_PULLED = "Pulled"
EVENT_FAILED = "Failed"
EVENT_BACK_OFF = "BackOff"
EVENT_ERR_IMAGE_NEVER_PULL = "ErrImageNeverPull"
EVENT_INSPECT_FAILED = "InspectFailed"
EVENT_FAILED_TO_RETRIEVE_IMAGE_PULL_SECRET = "FailedToRetrieveImagePullSecret"

EVENT_TYPE_NORMAL = "Normal"
EVENT_TYPE_WARNING = "Warning"


def go_quote(text: str) -> str:
    """Quote like Go's ``%q`` for the printable strings that appear in kubelet messages."""
    return json.dumps(text, ensure_ascii=False)


def pulling_message(image: str) -> str:
    return f"Pulling image {go_quote(image)}"


def never_pull_message(image: str) -> str:
    """Message of ``ErrImageNeverPull`` (image_manager.go imageNotPresentOnNeverPolicyError)."""
    return f"Container image {go_quote(image)} is not present with pull policy of Never"


def already_present_message(image: str, *, verified_for_pod: bool = False) -> str:
    """``Pulled`` event text when no pull is needed.

    With KEP-2535 the kubelet adds "and can be accessed by the pod" once it checked the
    pod's credentials against its pull records.
    """
    suffix = " and can be accessed by the pod" if verified_for_pod else ""
    return f"Container image {go_quote(image)} already present on machine{suffix}"


def back_off_message(image: str) -> str:
    return f"Back-off pulling image {go_quote(image)}"


def failed_to_pull_message(image: str, error: str) -> str:
    return f"Failed to pull image {go_quote(image)}: {error}"


def invalid_image_name_message(image: str, error: str) -> str:
    """Message of ``InvalidImageName``; ``error`` is the parser's text (applyDefaultImageTag)."""
    return f"Failed to apply default image tag {go_quote(image)}: {error}"


def failed_to_retrieve_pull_secrets_message(secret_names: list[str] | tuple[str, ...]) -> str:
    """Warning event text when listed imagePullSecrets do not exist (getPullSecretsForPod)."""
    return (
        f"Unable to retrieve some image pull secrets ({', '.join(secret_names)}); "
        "attempting to pull the image may not succeed."
    )
