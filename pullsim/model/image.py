"""Images as the runtime sees them: a manifest of layers, each a compressed blob with a codec.

Model
-----
An :class:`Image` is a manifest (its digest is what ``Always`` compares), a config blob and an
ordered tuple of :class:`Layer` s. A layer is identified by the digest of its compressed blob, so
images that share a base share those layers. Unpacking a layer costs CPU in proportion to its
*compressed* bytes, at its codec's per-core speed (:data:`CODECS`), and disk writes in proportion
to its *uncompressed* bytes.

Manifests carry compressed sizes only (the uncompressed size is in no manifest), so the readers
take an uncompressed/compressed ratio, :data:`DEFAULT_COMPRESSION_RATIO` unless told.

Readers accept what ``skopeo inspect --raw`` or ``crane manifest`` print:

- OCI image manifests (``application/vnd.oci.image.manifest.v1+json``),
- Docker v2 schema 2 manifests (``application/vnd.docker.distribution.manifest.v2+json``),
- OCI image indexes and Docker manifest lists, from which the node's :class:`Platform` is chosen
  the way containerd's platform matcher does (os, architecture, variant; ``arm64`` ``v8`` is
  the same as no variant). The per-platform manifests come from a directory (files named by
  digest, or any ``*.json`` whose bytes hash to the digest) or a mapping digest → JSON.

A manifest's digest is the sha256 of its exact bytes, as registries compute it.

Sources: OCI image-spec ``manifest.md``, ``image-index.md``, ``media-types.md``; Docker
``distribution`` ``docs/spec/manifest-v2-2.md``; containerd ``platforms`` (``Only``,
``Normalize``). Decompression speeds: ../shared/CALIBRATION.md (see :data:`CODECS`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

__all__ = [
    "CODECS",
    "DEFAULT_COMPRESSION_RATIO",
    "Codec",
    "CodecSpec",
    "Image",
    "ImageManifestError",
    "Layer",
    "Platform",
    "codec_of_media_type",
    "fake_digest",
    "image_from_layers",
    "read_image",
]

MIB = 1024.0**2

# Media types (OCI image-spec media-types.md; Docker manifest-v2-2.md).
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"


class Codec(StrEnum):
    GZIP = "gzip"
    ZSTD = "zstd"
    UNCOMPRESSED = "uncompressed"


@dataclass(frozen=True)
class CodecSpec:
    """Per-core decompression speed, in *compressed* bytes read per second (None: no CPU work)."""

    codec: Codec
    decompress_bytes_per_s_per_core: float | None
    source: str


CODECS: Mapping[Codec, CodecSpec] = {
    # Go's compress/gzip (containerd's default decompressor) reads ~80-135 MiB/s of compressed
    # input per core: we take 100 MiB/s, inside that range (CALIBRATION.md; containerd #13559).
    Codec.GZIP: CodecSpec(Codec.GZIP, 100 * MIB, "containerd PR #13560, issue #13559"),
    # zstd -1 decompresses at 1,200-1,660 MB/s of output (facebook/zstd README, C reference); at
    # the default ratio of 3 that is >= 400 MB/s of compressed input. Go's klauspost zstd (what
    # containerd links) is slower than C, so we keep the low end: 400 MB/s compressed in.
    Codec.ZSTD: CodecSpec(Codec.ZSTD, 400e6, "facebook/zstd README (lower bound, / ratio 3)"),
    # An uncompressed tar is only written to disk.
    Codec.UNCOMPRESSED: CodecSpec(Codec.UNCOMPRESSED, None, "no decompression"),
}

# Real layers compress 2.5-3.5x with gzip (CALIBRATION.md: accelerated-container-image
# docs/TURBO_OCI.md): 3.0 is the middle.
DEFAULT_COMPRESSION_RATIO = 3.0

_LAYER_MEDIA_TYPES = {
    "application/vnd.oci.image.layer.v1.tar+gzip": Codec.GZIP,
    "application/vnd.oci.image.layer.v1.tar+zstd": Codec.ZSTD,
    "application/vnd.oci.image.layer.v1.tar": Codec.UNCOMPRESSED,
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip": Codec.GZIP,
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd": Codec.ZSTD,
    "application/vnd.oci.image.layer.nondistributable.v1.tar": Codec.UNCOMPRESSED,
    "application/vnd.docker.image.rootfs.diff.tar.gzip": Codec.GZIP,
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip": Codec.GZIP,
    "application/vnd.docker.image.rootfs.diff.tar.zstd": Codec.ZSTD,
    "application/vnd.docker.image.rootfs.diff.tar": Codec.UNCOMPRESSED,
}
_MEDIA_TYPE_OF_CODEC = {
    Codec.GZIP: "application/vnd.oci.image.layer.v1.tar+gzip",
    Codec.ZSTD: "application/vnd.oci.image.layer.v1.tar+zstd",
    Codec.UNCOMPRESSED: "application/vnd.oci.image.layer.v1.tar",
}


class ImageManifestError(ValueError):
    """A manifest that cannot be read; the message names the file and the JSON path."""


def codec_of_media_type(media_type: str) -> Codec:
    try:
        return _LAYER_MEDIA_TYPES[media_type]
    except KeyError:
        raise ValueError(f"unsupported layer media type {media_type!r}") from None


def fake_digest(name: str) -> str:
    """A stable, real-looking sha256 digest for hand-written layers and images."""
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


@dataclass(frozen=True)
class Layer:
    """One layer blob: ``size`` compressed bytes, ``uncompressed_size`` bytes once unpacked."""

    digest: str
    size: float
    uncompressed_size: float
    media_type: str = _MEDIA_TYPE_OF_CODEC[Codec.GZIP]

    def __post_init__(self) -> None:
        codec_of_media_type(self.media_type)
        if not (self.size >= 0 and self.uncompressed_size >= 0):
            raise ValueError(f"layer {self.digest}: sizes must be >= 0")

    @property
    def codec(self) -> Codec:
        return codec_of_media_type(self.media_type)


@dataclass(frozen=True)
class Platform:
    """The platform a node asks for in an index (containerd's default matcher)."""

    os: str = "linux"
    architecture: str = "amd64"
    variant: str = ""

    def normalized(self) -> Platform:
        # containerd platforms.Normalize: arm64/v8 is arm64, plain arm is arm/v7.
        variant = self.variant
        if self.architecture == "arm64" and variant == "v8":
            variant = ""
        if self.architecture == "arm" and variant == "":
            variant = "v7"
        return Platform(self.os, self.architecture, variant)

    def matches(self, other: Platform) -> bool:
        a, b = self.normalized(), other.normalized()
        return (a.os, a.architecture, a.variant) == (b.os, b.architecture, b.variant)

    def __str__(self) -> str:
        return "/".join(part for part in (self.os, self.architecture, self.variant) if part)


@dataclass(frozen=True)
class Image:
    """An image as a registry serves it.

    ``reference`` is how it is named (``docker.io/library/python:3.12``); ``digest`` is its
    manifest digest; ``index_digest`` the digest of the index it was chosen from, if any (one
    more manifest round trip to resolve).
    """

    reference: str
    digest: str
    layers: tuple[Layer, ...]
    config_digest: str = ""
    config_size: float = 0.0
    index_digest: str | None = None
    platform: Platform = field(default_factory=Platform)

    @property
    def size(self) -> float:
        """Compressed content size (manifest layers plus config): what containerd reports."""
        return sum(layer.size for layer in self.layers) + self.config_size

    @property
    def uncompressed_size(self) -> float:
        return sum(layer.uncompressed_size for layer in self.layers)

    @functools.cached_property
    def layer_digests(self) -> tuple[str, ...]:
        return tuple(layer.digest for layer in self.layers)


def image_from_layers(
    reference: str,
    layers: Sequence[Layer | tuple[str, float] | tuple[str, float, float]],
    *,
    codec: Codec | str = Codec.GZIP,
    compression_ratio: float = DEFAULT_COMPRESSION_RATIO,
    digest: str | None = None,
    config_size: float = 0.0,
) -> Image:
    """A hand-written image: ``layers`` are Layers or ``(name, compressed[, uncompressed])``.

    A name that is not already a ``sha256:`` digest becomes :func:`fake_digest` of the name, so
    two images listing the same name share that layer.
    """
    media_type = _MEDIA_TYPE_OF_CODEC[Codec(codec)]
    built: list[Layer] = []
    for item in layers:
        if isinstance(item, Layer):
            built.append(item)
            continue
        name, size, *rest = item
        uncompressed = rest[0] if rest else size * compression_ratio
        layer_digest = name if name.startswith("sha256:") else fake_digest(name)
        built.append(Layer(layer_digest, float(size), float(uncompressed), media_type))
    layer_tuple = tuple(built)
    if digest is None:
        digest = fake_digest("manifest:" + ",".join(layer.digest for layer in layer_tuple))
    return Image(reference, digest, layer_tuple, fake_digest("config:" + digest), config_size)


# --- readers -------------------------------------------------------------------------------


def _fail(where: str, path: str, message: str) -> ImageManifestError:
    return ImageManifestError(f"{where}: {path}: {message}")


def _field(document: Any, key: str, kind: type | tuple[type, ...], where: str, path: str) -> Any:
    if not isinstance(document, Mapping):
        raise _fail(where, path, "expected a JSON object")
    if key not in document:
        raise _fail(where, f"{path}.{key}", "missing")
    value = document[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise _fail(where, f"{path}.{key}", f"expected {names}, got {type(value).__name__}")
    return value


def _load(source: str | bytes | os.PathLike | Mapping, what: str) -> tuple[Any, bytes, str]:
    """(document, raw bytes, name for errors). Dicts are re-serialised: their digest is nominal."""
    if isinstance(source, Mapping):
        raw = json.dumps(source, separators=(",", ":")).encode()
        return source, raw, what
    if isinstance(source, bytes):
        raw, where = source, what
    elif isinstance(source, os.PathLike) or (
        isinstance(source, str) and not source.lstrip().startswith("{")
    ):
        path = Path(source)
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise ImageManifestError(f"{path}: cannot read: {error.strerror}") from None
        where = str(path)
    else:
        raw, where = source.encode(), what
    try:
        return json.loads(raw), raw, where
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ImageManifestError(f"{where}: $: not valid JSON ({error})") from None


def _media_type(document: Any, where: str) -> str:
    if not isinstance(document, Mapping):
        raise _fail(where, "$", "expected a JSON object")
    media_type = document.get("mediaType")
    if media_type is None:
        # OCI allows mediaType to be absent: tell a manifest from an index by its fields.
        if "manifests" in document:
            return OCI_INDEX
        if "layers" in document:
            return OCI_MANIFEST
        raise _fail(where, "$.mediaType", "missing, and neither layers nor manifests present")
    if not isinstance(media_type, str):
        raise _fail(where, "$.mediaType", "expected str")
    return media_type


def _read_layers(
    document: Any, where: str, compression_ratio: float | Mapping[str, float]
) -> tuple[tuple[Layer, ...], str, float]:
    schema = document.get("schemaVersion") if isinstance(document, Mapping) else None
    if schema != 2:
        raise _fail(where, "$.schemaVersion", f"expected 2, got {schema!r}")
    config = _field(document, "config", Mapping, where, "$")
    config_digest = _field(config, "digest", str, where, "$.config")
    config_size = _field(config, "size", int, where, "$.config")
    entries = _field(document, "layers", list, where, "$")
    layers = []
    for index, entry in enumerate(entries):
        path = f"$.layers[{index}]"
        layer_digest = _field(entry, "digest", str, where, path)
        size = _field(entry, "size", int, where, path)
        media_type = _field(entry, "mediaType", str, where, path)
        if media_type not in _LAYER_MEDIA_TYPES:
            raise _fail(where, f"{path}.mediaType", f"unsupported layer media type {media_type!r}")
        if not layer_digest.startswith("sha256:") or len(layer_digest) != 71:
            raise _fail(where, f"{path}.digest", f"not a sha256 digest: {layer_digest!r}")
        if size < 0:
            raise _fail(where, f"{path}.size", "must be >= 0")
        codec = _LAYER_MEDIA_TYPES[media_type]
        if isinstance(compression_ratio, Mapping):
            ratio = compression_ratio.get(layer_digest, DEFAULT_COMPRESSION_RATIO)
        else:
            ratio = compression_ratio
        uncompressed = size if codec is Codec.UNCOMPRESSED else size * ratio
        layers.append(Layer(layer_digest, float(size), float(uncompressed), media_type))
    return tuple(layers), config_digest, float(config_size)


def _platform_of(entry: Any, where: str, path: str) -> Platform:
    platform = _field(entry, "platform", Mapping, where, path)
    return Platform(
        os=_field(platform, "os", str, where, f"{path}.platform"),
        architecture=_field(platform, "architecture", str, where, f"{path}.platform"),
        variant=str(platform.get("variant", "")),
    )


def _child_manifest(
    digest: str, manifests: str | os.PathLike | Mapping[str, Any] | None, where: str, path: str
) -> str | bytes | os.PathLike | Mapping:
    if manifests is None:
        raise _fail(where, path, f"index entry {digest} needs its manifest: pass manifests=")
    if isinstance(manifests, Mapping):
        if digest not in manifests:
            raise _fail(where, path, f"manifest {digest} not among the given manifests")
        return manifests[digest]
    directory = Path(manifests)
    hex_part = digest.partition(":")[2]
    for name in (f"{digest}.json", f"{hex_part}.json", f"sha256-{hex_part}.json", hex_part):
        candidate = directory / name
        if candidate.is_file():
            return candidate
    for candidate in sorted(directory.glob("*.json")):
        if "sha256:" + hashlib.sha256(candidate.read_bytes()).hexdigest() == digest:
            return candidate
    raise _fail(where, path, f"manifest {digest} not found in {directory}")


def read_image(
    source: str | bytes | os.PathLike | Mapping[str, Any],
    reference: str,
    *,
    platform: Platform | None = None,
    manifests: str | os.PathLike | Mapping[str, Any] | None = None,
    compression_ratio: float | Mapping[str, float] = DEFAULT_COMPRESSION_RATIO,
) -> Image:
    """Read an image from a manifest or index (a path, JSON text/bytes, or a parsed dict).

    For an index, the entry matching ``platform`` (default linux/amd64) is taken and its manifest
    read from ``manifests`` (a directory or a mapping digest → JSON). ``compression_ratio`` is
    uncompressed/compressed, one number or per layer digest. Raises :class:`ImageManifestError`.
    """
    platform = platform or Platform()
    document, raw, where = _load(source, "<manifest>")
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    media_type = _media_type(document, where)
    index_digest = None
    if media_type in (OCI_INDEX, DOCKER_MANIFEST_LIST):
        entries = _field(document, "manifests", list, where, "$")
        chosen = None
        for position, entry in enumerate(entries):
            path = f"$.manifests[{position}]"
            if not isinstance(entry, Mapping) or "platform" not in entry:
                continue  # e.g. an artifact without platform
            if _platform_of(entry, where, path).matches(platform):
                chosen = (position, entry)
                break
        if chosen is None:
            available = [
                str(_platform_of(entry, where, f"$.manifests[{n}]"))
                for n, entry in enumerate(entries)
                if isinstance(entry, Mapping) and "platform" in entry
            ]
            raise _fail(
                where, "$.manifests", f"no manifest for platform {platform}; has {available}"
            )
        position, entry = chosen
        path = f"$.manifests[{position}]"
        child_digest = _field(entry, "digest", str, where, path)
        child = _child_manifest(child_digest, manifests, where, f"{path}.digest")
        child_document, child_raw, child_where = _load(child, f"<manifest {child_digest}>")
        child_type = _media_type(child_document, child_where)
        if child_type not in (OCI_MANIFEST, DOCKER_MANIFEST):
            raise _fail(child_where, "$.mediaType", f"expected an image manifest, got {child_type}")
        layers, config_digest, config_size = _read_layers(
            child_document, child_where, compression_ratio
        )
        index_digest, digest = digest, child_digest
    elif media_type in (OCI_MANIFEST, DOCKER_MANIFEST):
        layers, config_digest, config_size = _read_layers(document, where, compression_ratio)
    else:
        raise _fail(where, "$.mediaType", f"unsupported manifest media type {media_type!r}")
    return Image(
        reference=reference,
        digest=digest,
        layers=layers,
        config_digest=config_digest,
        config_size=config_size,
        index_digest=index_digest,
        platform=platform,
    )


def total_size(images: Iterable[Image]) -> float:
    """Compressed bytes of the distinct layers of ``images`` (shared layers counted once)."""
    seen: dict[str, float] = {}
    for image in images:
        for layer in image.layers:
            seen[layer.digest] = layer.size
    return sum(seen.values())
