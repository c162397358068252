"""Image references, normalised exactly as ``distribution/reference`` does it.

Sources: ``github.com/distribution/reference`` ``regexp.go`` (the grammar, reproduced below),
``reference.go`` (Parse and its errors), ``normalize.go`` (ParseNormalizedNamed,
splitDockerDomain, familiar names) and ``github.com/opencontainers/go-digest`` (digest
validation). The kubelet reaches this through ``pkg/util/parsers`` ParseImageName, whose error
text (``couldn't parse image name "<image>": <reason>``) is what ``InvalidImageName`` carries.

Normalisation: a name without ``/`` is a Docker Hub official image (``docker.io/library/<name>``).
Otherwise the first component is a registry host only if it is ``localhost``, contains ``.`` or
``:``, or contains an uppercase letter; ``index.docker.io`` becomes ``docker.io``; a Docker Hub
name with a single path component gets ``library/``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from pullsim.kube.errors import go_quote

DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
OFFICIAL_REPOSITORY_PREFIX = "library/"
LOCALHOST = "localhost"
REPOSITORY_NAME_TOTAL_LENGTH_MAX = 255

# --- the grammar of regexp.go, piece by piece -----------------------------------------------
_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_DOMAIN_NAME_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_OPTIONAL_PORT = r"(?::[0-9]+)?"
TAG_PATTERN = r"[\w][\w.-]{0,127}"
DIGEST_PATTERN = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}"
_IDENTIFIER = r"([a-f0-9]{64})"
_IPV6_ADDRESS = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN_NAME = _DOMAIN_NAME_COMPONENT + r"(?:\." + _DOMAIN_NAME_COMPONENT + r")*"
_HOST = r"(?:" + _DOMAIN_NAME + r"|" + _IPV6_ADDRESS + r")"
DOMAIN_AND_PORT_PATTERN = _HOST + _OPTIONAL_PORT
PATH_COMPONENT_PATTERN = _ALPHANUMERIC + r"(?:" + _SEPARATOR + _ALPHANUMERIC + r")*"
_REMOTE_NAME = PATH_COMPONENT_PATTERN + r"(?:/" + PATH_COMPONENT_PATTERN + r")*"
_NAME = r"(?:" + DOMAIN_AND_PORT_PATTERN + r"/)?" + _REMOTE_NAME

# Go's \w is ASCII-only, hence re.ASCII.
_REFERENCE_REGEXP = re.compile(
    r"^(" + _NAME + r")(?::(" + TAG_PATTERN + r"))?(?:@(" + DIGEST_PATTERN + r"))?$", re.ASCII
)
_ANCHORED_NAME_REGEXP = re.compile(
    r"^(?:(" + DOMAIN_AND_PORT_PATTERN + r")/)?(" + _REMOTE_NAME + r")$", re.ASCII
)
_ANCHORED_IDENTIFIER_REGEXP = re.compile(r"^" + _IDENTIFIER + r"$", re.ASCII)
_ANCHORED_DIGEST_REGEXP = re.compile(r"^" + DIGEST_PATTERN + r"$", re.ASCII)

# go-digest: algorithms the kubelet links in, with their hex length.
_DIGEST_HEX_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}
_LOWER_HEX = re.compile(r"^[a-f0-9]+$")

# Error texts of reference.go and go-digest.
ERR_REFERENCE_INVALID_FORMAT = "invalid reference format"
ERR_NAME_CONTAINS_UPPERCASE = "repository name must be lowercase"
ERR_NAME_EMPTY = "repository name must have at least one component"
ERR_NAME_TOO_LONG = (
    f"repository name must not be more than {REPOSITORY_NAME_TOTAL_LENGTH_MAX} characters"
)
ERR_DIGEST_INVALID_FORMAT = "invalid checksum digest format"
ERR_DIGEST_INVALID_LENGTH = "invalid checksum digest length"
ERR_DIGEST_UNSUPPORTED = "unsupported digest algorithm"


class InvalidImageName(ValueError):
    """An image reference the kubelet cannot parse (container reason ``InvalidImageName``).

    ``reason`` is the distribution/reference error; ``str()`` is ParseImageName's message.
    """

    def __init__(self, image: str, reason: str) -> None:
        self.image = image
        self.reason = reason
        super().__init__(f"couldn't parse image name {go_quote(image)}: {reason}")


@dataclass(frozen=True, slots=True)
class ImageReference:
    """A normalised image reference: ``registry/repository[:tag][@digest]``.

    ``registry`` is the domain (``docker.io`` for Docker Hub), ``repository`` the path
    (``library/busybox``); ``tag`` and ``digest`` are None when absent.
    """

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """Registry and repository without tag or digest: what the kubelet pulls and keys
        credentials by (``repoToPull`` in ParseImageName)."""
        return f"{self.registry}/{self.repository}"

    @property
    def familiar_name(self) -> str:
        """The name as Docker shows it: ``docker.io/`` and a lone ``library/`` removed."""
        if self.registry != DEFAULT_DOMAIN:
            return self.name
        if self.repository.startswith(OFFICIAL_REPOSITORY_PREFIX):
            remainder = self.repository[len(OFFICIAL_REPOSITORY_PREFIX) :]
            if "/" not in remainder:
                return remainder
        return self.repository

    @property
    def familiar(self) -> str:
        """The familiar string form, e.g. ``busybox:1.36``."""
        return self.familiar_name + self._suffix()

    @property
    def canonical(self) -> str:
        """The full string form, e.g. ``docker.io/library/busybox:1.36``."""
        return self.name + self._suffix()

    @property
    def tag_or_default(self) -> str | None:
        """The tag ParseImageName reports: ``latest`` when neither tag nor digest is given."""
        if self.tag is None and self.digest is None:
            return "latest"
        return self.tag

    def _suffix(self) -> str:
        suffix = f":{self.tag}" if self.tag is not None else ""
        return suffix + (f"@{self.digest}" if self.digest is not None else "")

    def __str__(self) -> str:
        return self.canonical


def _validate_digest(digest: str) -> str | None:
    """go-digest Digest.Validate: the error text, or None when valid."""
    algorithm, separator, encoded = digest.partition(":")
    if not separator or not algorithm or not encoded:
        return ERR_DIGEST_INVALID_FORMAT
    if algorithm not in _DIGEST_HEX_LENGTH:
        if not _ANCHORED_DIGEST_REGEXP.match(digest):
            return ERR_DIGEST_INVALID_FORMAT
        return ERR_DIGEST_UNSUPPORTED
    if len(encoded) != _DIGEST_HEX_LENGTH[algorithm]:
        return ERR_DIGEST_INVALID_LENGTH
    if not _LOWER_HEX.match(encoded):
        return ERR_DIGEST_INVALID_FORMAT
    return None


def _parse(text: str) -> tuple[str, str, str | None, str | None]:
    """reference.Parse on an already-prefixed name; returns (domain, path, tag, digest).

    Raises ValueError with the distribution/reference error text.
    """
    if text == "":
        raise ValueError(ERR_NAME_EMPTY)
    match = _REFERENCE_REGEXP.match(text)
    if match is None:
        lowered = text.lower()
        if lowered != text and _REFERENCE_REGEXP.match(lowered):
            raise ValueError(ERR_NAME_CONTAINS_UPPERCASE)
        raise ValueError(ERR_REFERENCE_INVALID_FORMAT)
    name, tag, digest = match.group(1), match.group(2), match.group(3)
    name_match = _ANCHORED_NAME_REGEXP.match(name)
    if name_match is not None:
        domain, path = name_match.group(1) or "", name_match.group(2)
    else:  # pragma: no cover - the reference regexp already guarantees a name match
        domain, path = "", name
    if len(path) > REPOSITORY_NAME_TOTAL_LENGTH_MAX:
        raise ValueError(ERR_NAME_TOO_LONG)
    if digest is not None:
        digest_error = _validate_digest(digest)
        if digest_error is not None:
            raise ValueError(digest_error)
    return domain, path, tag, digest


def split_docker_domain(name: str) -> tuple[str, str]:
    """normalize.go splitDockerDomain: (domain, remainder) of a possibly familiar name."""
    maybe_domain, separator, maybe_remainder = name.partition("/")
    if not separator:
        return DEFAULT_DOMAIN, OFFICIAL_REPOSITORY_PREFIX + name
    if maybe_domain == LOCALHOST:
        domain, remainder = maybe_domain, maybe_remainder
    elif maybe_domain == LEGACY_DEFAULT_DOMAIN:
        domain, remainder = DEFAULT_DOMAIN, maybe_remainder
    elif "." in maybe_domain or ":" in maybe_domain:
        domain, remainder = maybe_domain, maybe_remainder
    elif maybe_domain.lower() != maybe_domain:
        # Docker Hub namespaces are lowercase, so an uppercase first component is a host.
        domain, remainder = maybe_domain, maybe_remainder
    else:
        domain, remainder = DEFAULT_DOMAIN, name
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = OFFICIAL_REPOSITORY_PREFIX + remainder
    return domain, remainder


def parse_image_ref(image: str) -> ImageReference:
    """Parse and normalise ``image`` as the kubelet does (ParseNormalizedNamed).

    Raises :class:`InvalidImageName` (a ValueError) with the kubelet's message. Results are
    cached (the function is pure and :class:`ImageReference` is frozen): a simulation asks for
    the same few references hundreds of thousands of times. Failures are not cached.
    """
    if not isinstance(image, str):
        raise InvalidImageName(str(image), ERR_REFERENCE_INVALID_FORMAT)
    return _parse_image_ref(image)


@functools.lru_cache(maxsize=16384)
def _parse_image_ref(image: str) -> ImageReference:
    if _ANCHORED_IDENTIFIER_REGEXP.match(image):
        raise InvalidImageName(
            image,
            f"invalid repository name ({image}), cannot specify 64-byte hexadecimal strings",
        )
    domain, remainder = split_docker_domain(image)
    remote = remainder.split(":", 1)[0]
    if remote.lower() != remote:
        raise InvalidImageName(
            image, f"invalid reference format: repository name ({remote}) must be lowercase"
        )
    try:
        registry, repository, tag, digest = _parse(f"{domain}/{remainder}")
    except ValueError as error:
        raise InvalidImageName(image, str(error)) from None
    return ImageReference(registry=registry, repository=repository, tag=tag, digest=digest)


def is_valid_image_ref(image: str) -> bool:
    try:
        parse_image_ref(image)
    except InvalidImageName:
        return False
    return True
