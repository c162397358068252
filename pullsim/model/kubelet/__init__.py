"""The kubelet of each node: image pullers and the pull QPS limit (``pullers``),
EnsureImageExists with pull policies, credentials, KEP-2535, back-off and events
(``image_manager``), and the pod worker's sync order (``pod_worker``).

docs/kubelet.md describes each rule with its upstream source.
"""

from pullsim.model.kubelet.image_manager import EnsureResult, ImageManager, go_duration_ms
from pullsim.model.kubelet.pod_worker import DEFAULT_PAUSE_IMAGE, Kubelet, PodTimings
from pullsim.model.kubelet.pullers import (
    MAX_IMAGE_PULL_REQUESTS,
    PULL_QPS_EXCEEDED,
    ImagePuller,
    ParallelImagePuller,
    PullQPSLimiter,
    SerialImagePuller,
    make_puller,
)

__all__ = [
    "DEFAULT_PAUSE_IMAGE",
    "MAX_IMAGE_PULL_REQUESTS",
    "PULL_QPS_EXCEEDED",
    "EnsureResult",
    "ImageManager",
    "ImagePuller",
    "Kubelet",
    "ParallelImagePuller",
    "PodTimings",
    "PullQPSLimiter",
    "SerialImagePuller",
    "go_duration_ms",
    "make_puller",
]
