"""Registry credentials: pull Secrets, the kubelet's keyring and the order credentials are tried.

Sources (kubernetes/kubernetes):
- ``pkg/credentialprovider/config.go``: the ``.dockercfg`` / ``.dockerconfigjson`` formats and
  DockerConfigEntry decoding (``auth`` is base64 of ``username:password``, padded or not, and
  overrides ``username``/``password``).
- ``pkg/credentialprovider/keyring.go``: BasicDockerKeyring.Add (a scheme-less key gets
  ``https://``; a path starting ``/v1/`` or ``/v2/`` is reduced to ``/``; the key is host plus
  path), Lookup (every key that matches, keys reverse-sorted so the most specific comes first;
  the ``index.docker.io`` entry is a fallback for Docker Hub images only), URLsMatch (equal
  ports, same number of dot-separated host labels each matching as a glob, key path a plain
  string prefix of the image path) and isDefaultRegistryMatch.
- ``pkg/credentialprovider/secrets/secrets.go`` MakeDockerKeyring: all pod pull secrets go into
  one keyring, which is tried before the node's credentials.
- ``pkg/kubelet/kuberuntime/kuberuntime_image.go`` PullImage: each credential is tried in order,
  the first success wins, and there is no anonymous attempt once any credential matched.
- ``pkg/kubelet/kubelet_pods.go`` getPullSecretsForPod: missing secrets are skipped with a
  ``FailedToRetrieveImagePullSecret`` warning.

Passwords never appear in ``repr``, ``str`` or error messages.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pullsim.kube.errors import failed_to_retrieve_pull_secrets_message
from pullsim.kube.objects import (
    DOCKER_CONFIG_JSON_KEY,
    DOCKERCFG_KEY,
    SECRET_TYPE_DOCKER_CONFIG_JSON,
    SECRET_TYPE_DOCKERCFG,
    Secret,
)
from pullsim.kube.reference import parse_image_ref

DEFAULT_REGISTRY_HOST = "index.docker.io"
DEFAULT_REGISTRY_KEY = DEFAULT_REGISTRY_HOST + "/v1/"


class PullSecretError(ValueError):
    """A pull secret whose content cannot be decoded (the pull then fails, ErrImagePull)."""


@dataclass(frozen=True, slots=True)
class CredentialSource:
    """Where a credential came from: a pod's pull Secret, or the node (``secret_name`` empty)."""

    secret_namespace: str = ""
    secret_name: str = ""
    secret_uid: str = ""

    @property
    def is_node(self) -> bool:
        return not self.secret_name

    def __str__(self) -> str:
        return "node" if self.is_node else f"secret {self.secret_namespace}/{self.secret_name}"


NODE_CREDENTIALS = CredentialSource()


@dataclass(frozen=True, slots=True)
class Credential:
    """One username/password for a registry key; the password is hidden from repr and str."""

    registry_key: str
    username: str
    password: str = field(repr=False)
    email: str = ""
    source: CredentialSource = NODE_CREDENTIALS

    def __repr__(self) -> str:
        return (
            f"Credential(registry_key={self.registry_key!r}, username={self.username!r}, "
            f"password='**********', source={str(self.source)!r})"
        )

    __str__ = __repr__


# --- decoding docker config files ----------------------------------------------------------


def _decode_auth_field(value: str, entry_key: str) -> tuple[str, str]:
    """config.go decodeDockerConfigFieldAuth: padded -> StdEncoding, else RawStdEncoding."""
    try:
        if value.strip().endswith("="):
            decoded = base64.b64decode(value, validate=True)
        else:
            if "=" in value or len(value) % 4 == 1:
                raise binascii.Error
            decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise PullSecretError(f"entry {entry_key!r}: illegal base64 data in auth field") from None
    text = decoded.decode("utf-8", errors="replace")
    username, separator, password = text.partition(":")
    if not separator:
        raise PullSecretError(
            f"entry {entry_key!r}: unable to parse auth field, must be formatted as "
            "base64(username:password)"
        )
    return username, password


def _entry_field(entry: Mapping[str, Any], name: str, entry_key: str) -> str:
    # Go's encoding/json matches field names case-insensitively.
    for key, value in entry.items():
        if isinstance(key, str) and key.lower() == name:
            if not isinstance(value, str):
                raise PullSecretError(f"entry {entry_key!r}: field {key!r} must be a string")
            return value
    return ""


def _decode_entries(
    config: Mapping[str, Any], source: CredentialSource
) -> list[tuple[str, Credential]]:
    entries = []
    for location, entry in config.items():
        if not isinstance(entry, Mapping):
            raise PullSecretError(f"entry {location!r} must be an object")
        username = _entry_field(entry, "username", location)
        password = _entry_field(entry, "password", location)
        email = _entry_field(entry, "email", location)
        auth = _entry_field(entry, "auth", location)
        if auth:
            username, password = _decode_auth_field(auth, location)
        entries.append(
            (
                str(location),
                Credential(
                    registry_key=str(location),
                    username=username,
                    password=password,
                    email=email,
                    source=source,
                ),
            )
        )
    return entries


def _load_json(obj: Mapping[str, Any] | str | bytes, what: str) -> Mapping[str, Any]:
    if isinstance(obj, str | bytes):
        try:
            obj = json.loads(obj)
        except (json.JSONDecodeError, UnicodeDecodeError):
            # The decoder's message is generic, but keep secret text out of errors entirely.
            raise PullSecretError(f"{what} is not valid JSON") from None
    if not isinstance(obj, Mapping):
        raise PullSecretError(f"{what} must be a JSON object")
    return obj


# --- keys and matching (keyring.go) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ParsedURL:
    host: str
    path: str


def _parse_url(value: str) -> _ParsedURL | None:
    try:
        parts = urlsplit(value)
        _ = parts.port  # rejects a non-numeric port, as Go's url.Parse does
    except ValueError:
        return None
    host = parts.netloc.rpartition("@")[2]
    if any(character.isspace() for character in host):
        return None
    return _ParsedURL(host=host, path=parts.path)


def keyring_key(location: str) -> str | None:
    """BasicDockerKeyring.Add: the index key of a docker config entry, or None if unparseable."""
    value = location
    if not value.startswith(("https://", "http://")):
        value = "https://" + value
    parsed = _parse_url(value)
    if parsed is None:
        return None
    effective_path = parsed.path
    if effective_path.startswith(("/v2/", "/v1/")):
        effective_path = effective_path[3:]
    if effective_path and effective_path != "/":
        return parsed.host + effective_path
    return parsed.host


def _split_host_port(host_port: str) -> tuple[str, str] | None:
    """net.SplitHostPort; None where Go returns an error."""
    if host_port.startswith("["):
        end = host_port.find("]")
        if end < 0 or end + 1 == len(host_port) or host_port[end + 1] != ":":
            return None
        port = host_port[end + 2 :]
        return None if ":" in port else (host_port[1:end], port)
    host, separator, port = host_port.rpartition(":")
    if not separator or ":" in host:
        return None
    return host, port


def _split_url(parsed: _ParsedURL) -> tuple[list[str], str]:
    split = _split_host_port(parsed.host)
    host, port = split if split is not None else (parsed.host, "")
    return host.split("."), port


def _go_glob_match(pattern: str, name: str) -> bool:
    """path/filepath.Match for one host label ("*" never crosses a dot here)."""
    return fnmatch.fnmatchcase(name, pattern.replace("[^", "[!"))


def urls_match(glob: str, target: str) -> bool:
    """keyring.go URLsMatchStr: does the key ``glob`` cover the scheme-less URL ``target``?"""
    glob_url = _parse_url("https://" + glob)
    target_url = _parse_url("https://" + target)
    if glob_url is None or target_url is None:
        return False
    glob_parts, glob_port = _split_url(glob_url)
    target_parts, target_port = _split_url(target_url)
    if glob_port != target_port:
        return False
    if len(glob_parts) != len(target_parts):
        return False
    if not target_url.path.startswith(glob_url.path):
        return False
    return all(
        _go_glob_match(glob_part, target_part)
        for glob_part, target_part in zip(glob_parts, target_parts, strict=True)
    )


def is_default_registry_match(image: str) -> bool:
    """keyring.go isDefaultRegistryMatch: would ``image`` be pulled from Docker Hub?"""
    first, separator, _ = image.partition("/")
    if not first:
        return False
    if not separator:
        return True
    if first in ("docker.io", DEFAULT_REGISTRY_HOST):
        return True
    return "." not in first and ":" not in first


class Keyring:
    """An immutable BasicDockerKeyring: credentials indexed by registry key."""

    __slots__ = ("_credentials", "_index")

    def __init__(self, entries: Iterable[tuple[str, Credential]] = ()) -> None:
        credentials: dict[str, list[Credential]] = {}
        for location, credential in entries:
            key = keyring_key(location)
            if key is None:
                continue  # upstream logs "Entry ... in dockercfg invalid" and ignores it
            credentials.setdefault(key, []).append(credential)
        self._credentials = {key: tuple(value) for key, value in credentials.items()}
        # Reverse-sorted so that "quay.io/coreos" is tried before "quay.io".
        self._index = tuple(sorted(self._credentials, reverse=True))

    @classmethod
    def from_dockerconfigjson(
        cls, obj: Mapping[str, Any] | str | bytes, source: CredentialSource = NODE_CREDENTIALS
    ) -> Keyring:
        """From a ``.dockerconfigjson`` document (``{"auths": {...}}``), decoded or as text."""
        document = _load_json(obj, DOCKER_CONFIG_JSON_KEY)
        auths = document.get("auths") or {}
        if not isinstance(auths, Mapping):
            raise PullSecretError(f"{DOCKER_CONFIG_JSON_KEY}: auths must be a JSON object")
        return cls(_decode_entries(auths, source))

    @classmethod
    def from_dockercfg(
        cls, obj: Mapping[str, Any] | str | bytes, source: CredentialSource = NODE_CREDENTIALS
    ) -> Keyring:
        """From a legacy ``.dockercfg`` document (registry keys at the top level)."""
        return cls(_decode_entries(_load_json(obj, DOCKERCFG_KEY), source))

    @classmethod
    def from_secret(cls, secret: Secret) -> Keyring:
        return cls.from_secrets([secret])

    @classmethod
    def from_secrets(cls, secrets: Iterable[Secret]) -> Keyring:
        """One keyring from a pod's pull secrets, as MakeDockerKeyring builds it.

        Secrets of other types, or without their data key, are ignored like upstream.
        """
        entries: list[tuple[str, Credential]] = []
        for secret in secrets:
            source = CredentialSource(
                secret_namespace=secret.namespace, secret_name=secret.name, secret_uid=secret.uid
            )
            try:
                if secret.type == SECRET_TYPE_DOCKER_CONFIG_JSON and secret.data.get(
                    DOCKER_CONFIG_JSON_KEY
                ):
                    document = _load_json(secret.data[DOCKER_CONFIG_JSON_KEY], "data")
                    auths = document.get("auths") or {}
                    if not isinstance(auths, Mapping):
                        raise PullSecretError("auths must be a JSON object")
                    entries.extend(_decode_entries(auths, source))
                elif secret.type == SECRET_TYPE_DOCKERCFG and secret.data.get(DOCKERCFG_KEY):
                    document = _load_json(secret.data[DOCKERCFG_KEY], "data")
                    entries.extend(_decode_entries(document, source))
            except PullSecretError as error:
                raise PullSecretError(
                    f"pull secret {secret.namespace}/{secret.name}: {error}"
                ) from None
        return cls(entries)

    @property
    def keys(self) -> tuple[str, ...]:
        """Index keys in lookup order."""
        return self._index

    def lookup_repository(self, repository: str) -> tuple[Credential, ...]:
        """BasicDockerKeyring.Lookup on an already normalised name such as
        ``docker.io/library/busybox`` (what the kubelet passes)."""
        found: list[Credential] = []
        for key in self._index:
            if urls_match(key, repository):
                found.extend(self._credentials[key])
        if found:
            return tuple(found)
        if is_default_registry_match(repository) and DEFAULT_REGISTRY_HOST in self._credentials:
            return self._credentials[DEFAULT_REGISTRY_HOST]
        return ()

    def lookup(self, image: str) -> tuple[Credential, ...]:
        """Credentials for ``image`` in the order the kubelet tries them.

        The image is normalised first, as the kubelet does (``busybox:1.36`` is looked up as
        ``docker.io/library/busybox``). Raises InvalidImageName for an unparseable image.
        """
        return self.lookup_repository(parse_image_ref(image).name)

    def __len__(self) -> int:
        return sum(len(credentials) for credentials in self._credentials.values())

    def __repr__(self) -> str:
        return f"Keyring(keys={list(self._index)!r})"


def pull_credentials(
    image: str, pod_pull_secrets: Sequence[Secret], node_keyring: Keyring | None = None
) -> tuple[Credential, ...]:
    """All credentials the kubelet will try for ``image``, in order: the pod's pull secrets
    (one keyring) first, then the node's. An empty result means an anonymous pull."""
    found = Keyring.from_secrets(pod_pull_secrets).lookup(image)
    if node_keyring is not None:
        found += node_keyring.lookup(image)
    return found


@dataclass(frozen=True, slots=True)
class RetrievedPullSecrets:
    """The outcome of getPullSecretsForPod."""

    secrets: tuple[Secret, ...]
    missing: tuple[str, ...]

    @property
    def warning_message(self) -> str | None:
        """Text of the ``FailedToRetrieveImagePullSecret`` warning, if any secret is missing."""
        if not self.missing:
            return None
        return failed_to_retrieve_pull_secrets_message(self.missing)


def retrieve_pull_secrets(
    namespace: str, secret_names: Iterable[str], available: Iterable[Secret]
) -> RetrievedPullSecrets:
    """Look up a pod's imagePullSecrets in its namespace; empty names are skipped silently."""
    by_name = {secret.name: secret for secret in available if secret.namespace == namespace}
    found: list[Secret] = []
    missing: list[str] = []
    for name in secret_names:
        if not name:
            continue
        if name in by_name:
            found.append(by_name[name])
        else:
            missing.append(name)
    return RetrievedPullSecrets(secrets=tuple(found), missing=tuple(missing))
