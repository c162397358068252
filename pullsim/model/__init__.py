"""The simulated world on top of the engine and the Kubernetes rules: images, registries,
nodes, the container runtime and the kubelet's image garbage collection.

docs/model.md is the reference: each mechanism, its parameters and defaults with their sources.
"""

from pullsim.model.image import (
    CODECS,
    DEFAULT_COMPRESSION_RATIO,
    Codec,
    CodecSpec,
    Image,
    ImageManifestError,
    Layer,
    Platform,
    fake_digest,
    image_from_layers,
    read_image,
)
from pullsim.model.image_gc import ImageGarbageCollector, ImageGCPolicy, ImageGCResult
from pullsim.model.node import Node, NodeConfig
from pullsim.model.records import Records
from pullsim.model.registry import (
    Authentication,
    FailureWindow,
    RateLimit,
    Registry,
    RegistryConfig,
    RegistryDirectory,
    RegistryError,
)
from pullsim.model.runtime import (
    CONTAINERD_1,
    CONTAINERD_2,
    CRI_O,
    DOCKER,
    ContainerRuntime,
    ImageRecord,
    PullResult,
    RuntimeProfile,
)

__all__ = [
    "CODECS",
    "CONTAINERD_1",
    "CONTAINERD_2",
    "CRI_O",
    "DEFAULT_COMPRESSION_RATIO",
    "DOCKER",
    "Authentication",
    "Codec",
    "CodecSpec",
    "ContainerRuntime",
    "FailureWindow",
    "Image",
    "ImageGCPolicy",
    "ImageGCResult",
    "ImageGarbageCollector",
    "ImageManifestError",
    "ImageRecord",
    "Layer",
    "Node",
    "NodeConfig",
    "Platform",
    "PullResult",
    "RateLimit",
    "Records",
    "Registry",
    "RegistryConfig",
    "RegistryDirectory",
    "RegistryError",
    "RuntimeProfile",
    "fake_digest",
    "image_from_layers",
    "read_image",
]
