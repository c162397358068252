"""The YAML front door: a scenario file (plus ``--set`` overrides) in, a validated ``Scenario`` out.

Reading happens in four steps, each of which can only fail with a :class:`ScenarioFileError`
whose problems name the file, the line and column, the field path and what was expected:

1. **Parse** the file with PyYAML's composer, keeping every node's position (a mapping key seen
   twice is an error, as it is for the API server). Values are built by PyYAML's safe
   constructor, so ``3``, ``true`` and ``1.5`` mean what they mean in Kubernetes manifests.
2. **Resolve includes**, relative to the scenario file's directory: ``kubelet:`` may be a path
   to a KubeletConfiguration file; ``manifests:`` items may be paths (multi-document files),
   inline YAML text or inline objects; ``images[].manifest`` (and ``manifest_directory``) name
   real OCI/Docker manifests; ``node_credentials`` items may be ``.dockerconfigjson`` objects.
3. **Override** with ``--set key.path=value`` (values read as YAML), applied to the document as
   if the file had been edited: ``--set`` beats the file. Strategies are applied later, by the
   simulation, on top of the (overridden) file, so a strategy beats ``--set kubelet.x`` for the
   keys it sets; ``--set strategies.<name>.kubelet.x=...`` changes the strategy itself.
4. **Validate** into the frozen pydantic :class:`~pullsim.scenario.Scenario`, then check what the
   schema alone cannot see, all before time 0 (:mod:`pullsim.scenario.checks`): every image a
   pod or rolling update names is declared and served by a registry, arrivals name existing
   workloads, no node pool is empty unless nodes join it, mirrors front a known registry.

Secrets (registry passwords, pull Secret contents, node credentials) never appear in a message:
every problem text passes through :func:`redact`, which knows each secret string of the file.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from pullsim.scenario.model import Scenario

__all__ = [
    "LoadedScenario",
    "Problem",
    "ScenarioFileError",
    "apply_overrides",
    "load_scenario",
    "read_scenario",
    "redacted_document",
]

REDACTED = "<redacted>"
_PATH_PREFIX = re.compile(r"^([A-Za-z_][\w-]*(?:\[\d+\]|\.[\w][\w.-]*?)*): (.*)$", re.S)
_PATH_PART = re.compile(r"\[(\d+)\]|\.?([^.\[\]]+)")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where (file, line, column, field path) and what."""

    file: str
    line: int | None
    column: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ScenarioFileError(ValueError):
    """A scenario file that cannot become a ``Scenario``; ``problems`` says each where and why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with where it came from; ``document`` is the resolved raw document
    (includes read, overrides applied) that was validated. Use :func:`redacted_document` before
    writing it anywhere."""

    scenario: Scenario
    path: Path
    document: Mapping[str, Any]
    overrides: tuple[str, ...] = ()
    secrets: frozenset[str] = field(default_factory=frozenset, repr=False)

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)


# ------------------------------------------------------------------------------------ parsing
@dataclass(frozen=True)
class _Origin:
    file: str
    line: int | None = None
    column: int | None = None
    # For a block scalar (`|` or `>`, e.g. inline manifests): where its text starts in the file.
    block_line: int | None = None
    block_indent: int = 0


class _Document:
    """A parsed YAML document and the origin of every value in it, keyed by field path."""

    def __init__(self, file: str, text: str = "") -> None:
        self.file = file
        self.lines = text.splitlines()
        self.origins: dict[tuple, _Origin] = {}
        self.key_origins: dict[tuple, _Origin] = {}

    def origin(self, path: tuple) -> _Origin:
        """The origin of ``path`` or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.origins:
                return self.origins[path]
            path = path[:-1]
        return self.origins.get((), _Origin(self.file))


def _mark(node: yaml.Node, document: _Document) -> _Origin:
    line, column = node.start_mark.line + 1, node.start_mark.column + 1
    first = node.start_mark.line + 1  # a block scalar's text starts after its indicator line
    if (
        isinstance(node, yaml.ScalarNode)
        and node.style in ("|", ">")
        and first < len(document.lines)
    ):
        text_line = document.lines[first]
        indent = len(text_line) - len(text_line.lstrip(" "))
        return _Origin(document.file, line, column, block_line=first + 1, block_indent=indent)
    return _Origin(document.file, line, column)


_INNER_POSITION = re.compile(r" at line (\d+), column (\d+)")


def _finding(origin: _Origin, field: str, message: str) -> Problem:
    """A check's finding at its value's origin; a YAML error inside a block scalar (an inline
    manifest) is placed at its own line and column in the scenario file."""
    inner = _INNER_POSITION.search(message) if origin.block_line is not None else None
    if inner is None:
        return Problem(origin.file, origin.line, origin.column, field, message)
    line = origin.block_line + int(inner.group(1)) - 1
    column = origin.block_indent + int(inner.group(2))
    return Problem(origin.file, line, column, field, _INNER_POSITION.sub("", message, count=1))


def _parse(text: str, file: str) -> tuple[Any, _Document]:
    document = _Document(file, text)
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise ScenarioFileError([Problem(file, None, None, "", "the file is empty")])
        value = _build(loader, root, (), document)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "invalid YAML"
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise ScenarioFileError(
            [Problem(file, line, column, "", f"invalid YAML: {problem}")]
        ) from None
    except yaml.YAMLError as error:
        raise ScenarioFileError([Problem(file, None, None, "", f"invalid YAML: {error}")]) from None
    finally:
        loader.dispose()
    return value, document


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: tuple, document: _Document) -> Any:
    document.origins[path] = _mark(node, document)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # merge keys (<<: *anchor)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise ScenarioFileError(
                    [
                        Problem(
                            document.file,
                            *_position(key_node),
                            _format_path(path),
                            "a mapping key must be a scalar",
                        )
                    ]
                )
            if key in result:
                raise ScenarioFileError(
                    [
                        Problem(
                            document.file,
                            *_position(key_node),
                            _format_path((*path, key)),
                            "duplicate key (the first value would be silently lost)",
                        )
                    ]
                )
            document.key_origins[(*path, key)] = _mark(key_node, document)
            result[key] = _build(loader, value_node, (*path, key), document)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(loader, item, (*path, index), document) for index, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)


def _position(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _format_path(path: Iterable[Any]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _split_path(text: str) -> list[str | int]:
    parts: list[str | int] = []
    for match in _PATH_PART.finditer(text):
        index, name = match.groups()
        parts.append(int(index) if index is not None else name)
    return parts


# ------------------------------------------------------------------------------------ secrets
def _dockerconfig_secrets(text: str | bytes, found: set[str]) -> None:
    try:
        config = json.loads(text)
    except (ValueError, TypeError):
        return
    entries = config.get("auths", config) if isinstance(config, Mapping) else {}
    if not isinstance(entries, Mapping):
        return
    for entry in entries.values():
        if not isinstance(entry, Mapping):
            continue
        for key in ("auth", "password", "identitytoken", "registrytoken"):
            value = entry.get(key)
            if isinstance(value, str) and value:
                found.add(value)
        auth = entry.get("auth")
        if isinstance(auth, str):
            try:
                decoded = base64.b64decode(auth + "=" * (-len(auth) % 4)).decode()
            except (binascii.Error, ValueError):
                continue
            found.add(decoded)
            if ":" in decoded:
                found.add(decoded.split(":", 1)[1])


def _manifest_secrets(document: Any, found: set[str]) -> None:
    """Every value of every Secret's ``data``/``stringData`` (and what it decodes to)."""
    if isinstance(document, list):
        for item in document:
            _manifest_secrets(item, found)
        return
    if not isinstance(document, Mapping):
        return
    if document.get("kind") == "List" or "items" in document:
        _manifest_secrets(document.get("items"), found)
    if document.get("kind") != "Secret":
        return
    for section, encoded in (("data", True), ("stringData", False)):
        values = document.get(section)
        if not isinstance(values, Mapping):
            continue
        for value in values.values():
            if not isinstance(value, str) or not value:
                continue
            found.add(value)
            plain: str | bytes = value
            if encoded:
                try:
                    plain = base64.b64decode(value, validate=True)
                    found.add(plain.decode())
                except (binascii.Error, ValueError):
                    continue
            _dockerconfig_secrets(plain, found)


def _collect_secrets(raw: Mapping[str, Any], manifest_documents: Iterable[Any]) -> frozenset[str]:
    found: set[str] = set()
    for registry in _as_list(raw.get("registries")):
        if isinstance(registry, Mapping):
            for pair in _as_list(registry.get("credentials")):
                if isinstance(pair, list | tuple) and len(pair) >= 2 and isinstance(pair[1], str):
                    found.add(pair[1])
    for credential in _as_list(raw.get("node_credentials")):
        if isinstance(credential, str):
            found.add(credential)
            _dockerconfig_secrets(credential, found)
    for document in manifest_documents:
        _manifest_secrets(document, found)
    return frozenset(secret for secret in found if len(secret) >= 3)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret string replaced by ``<redacted>`` (longest first)."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def redacted_document(loaded: LoadedScenario) -> dict[str, Any]:
    """The resolved document with passwords, pull Secret contents and node credentials
    replaced by ``<redacted>``: what run.json records."""
    document = json.loads(json.dumps(loaded.document, default=str))
    for registry in _as_list(document.get("registries")):
        if isinstance(registry, dict) and registry.get("credentials"):
            registry["credentials"] = [
                [pair[0], REDACTED] if isinstance(pair, list) and pair else REDACTED
                for pair in registry["credentials"]
            ]
    if document.get("node_credentials"):
        document["node_credentials"] = [REDACTED for _ in document["node_credentials"]]
    manifests = []
    for item in _as_list(document.get("manifests")):
        if isinstance(item, str) and "\n" in item:
            try:
                parsed = [d for d in yaml.safe_load_all(item) if d is not None]
            except yaml.YAMLError:
                parsed = [REDACTED]
            manifests.append(
                yaml.safe_dump_all([_redact_secret_object(d) for d in parsed], sort_keys=False)
            )
        else:
            manifests.append(item)
    if manifests:
        document["manifests"] = manifests
    return json.loads(redact(json.dumps(document), loaded.secrets))


def _redact_secret_object(document: Any) -> Any:
    if isinstance(document, Mapping):
        if document.get("kind") == "Secret":
            return {
                key: (
                    {k: REDACTED for k in value}
                    if key in ("data", "stringData") and isinstance(value, Mapping)
                    else value
                )
                for key, value in document.items()
            }
        if "items" in document and isinstance(document["items"], list):
            return {
                **document,
                "items": [_redact_secret_object(item) for item in document["items"]],
            }
    return document


# ------------------------------------------------------------------------------------ includes
def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _looks_like_path(text: str) -> bool:
    return "\n" not in text and not text.lstrip().startswith(("{", "[", "apiVersion:", "kind:"))


def _resolve_includes(
    raw: dict[str, Any], base: Path, document: _Document, problems: list[Problem]
) -> list[Any]:
    """Read what the document points at; returns the decoded manifest documents (for secrets)."""

    def fail(path: tuple, message: str) -> None:
        origin = document.origin(path)
        problems.append(
            Problem(origin.file, origin.line, origin.column, _format_path(path), message)
        )

    def resolve(path: tuple, text: str) -> Path | None:
        candidate = Path(text).expanduser()
        if not candidate.is_absolute():
            candidate = base / candidate
        if not candidate.exists():
            fail(path, f"file not found: {text} (looked for {candidate})")
            return None
        return candidate

    kubelet = raw.get("kubelet")
    if isinstance(kubelet, str):
        where = ("kubelet",)
        found = resolve(where, kubelet)
        if found is not None:
            try:
                loaded = yaml.safe_load(found.read_text())
            except yaml.YAMLError as error:
                fail(where, f"{found}: invalid YAML: {getattr(error, 'problem', None) or error}")
            except OSError as error:
                fail(where, f"{found}: cannot read: {error.strerror}")
            else:
                if loaded is not None and not isinstance(loaded, Mapping):
                    fail(where, f"{found}: expected a KubeletConfiguration mapping")
                else:
                    raw["kubelet"] = dict(loaded or {})
    manifest_documents: list[Any] = []
    manifests = raw.get("manifests")
    if isinstance(manifests, list):
        for index, item in enumerate(manifests):
            where = ("manifests", index)
            if isinstance(item, Mapping | list):
                documents = item if isinstance(item, list) else [item]
                manifest_documents.extend(documents)
                manifests[index] = yaml.safe_dump_all(documents, sort_keys=False)
            elif isinstance(item, str) and _looks_like_path(item):
                found = resolve(where, item)
                if found is None:
                    continue
                if found.is_dir():
                    fail(where, f"expected a manifest file, got a directory: {item}")
                    continue
                manifests[index] = str(found)
                # load_manifests reports a broken file with its own location
                with contextlib.suppress(yaml.YAMLError, OSError):
                    manifest_documents.extend(yaml.safe_load_all(found.read_text()))
            elif isinstance(item, str):
                with contextlib.suppress(yaml.YAMLError):
                    manifest_documents.extend(yaml.safe_load_all(item))
    for index, image in enumerate(_as_list(raw.get("images"))):
        if not isinstance(image, dict):
            continue
        for key in ("manifest", "manifest_directory"):
            value = image.get(key)
            if isinstance(value, str):
                found = resolve(("images", index, key), value)
                if found is not None:
                    image[key] = str(found)
    credentials = raw.get("node_credentials")
    if isinstance(credentials, list):
        for index, item in enumerate(credentials):
            if isinstance(item, Mapping):
                credentials[index] = json.dumps(item, sort_keys=True)
    return manifest_documents


# ------------------------------------------------------------------------------------ overrides
def apply_overrides(
    raw: dict[str, Any], overrides: Sequence[str], document: _Document | None = None
) -> None:
    """Apply ``key.path=value`` overrides (``a.b[0].c`` or ``a.b.0.c``; values read as YAML)."""
    problems = []
    for override in overrides:
        origin = _Origin(f"--set {override}")
        key, separator, text = override.partition("=")
        if not separator or not key.strip():
            problems.append(Problem(origin.file, None, None, "", "expected key.path=value"))
            continue
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError as error:
            problem = getattr(error, "problem", None) or str(error)
            problems.append(
                Problem(origin.file, None, None, key, f"value is not valid YAML: {problem}")
            )
            continue
        parts = [
            int(p) if isinstance(p, str) and p.isdigit() else p for p in _split_path(key.strip())
        ]
        target: Any = raw
        for position, part in enumerate(parts[:-1]):
            following = parts[position + 1]
            if isinstance(target, dict):
                if not isinstance(target.get(part), dict | list):
                    target[part] = [] if isinstance(following, int) else {}
                target = target[part]
            elif isinstance(target, list) and isinstance(part, int) and part < len(target):
                target = target[part]
            else:
                problems.append(
                    Problem(
                        origin.file,
                        None,
                        None,
                        _format_path(parts[: position + 1]),
                        "no such list item to set",
                    )
                )
                target = None
                break
        if target is None:
            continue
        last = parts[-1]
        if isinstance(target, dict):
            target[last] = value
        elif isinstance(target, list) and isinstance(last, int) and last <= len(target):
            if last == len(target):
                target.append(value)
            else:
                target[last] = value
        else:
            problems.append(
                Problem(origin.file, None, None, _format_path(parts), "no such list item to set")
            )
            continue
        if document is not None:
            path = tuple(parts)
            for known in [p for p in document.origins if p[: len(path)] == path]:
                del document.origins[known]
            document.origins[path] = origin
    if problems:
        raise ScenarioFileError(problems)


# ------------------------------------------------------------------------------------ validation
def _walk(raw: Any, loc: Sequence[Any]) -> tuple[tuple, list[Any]]:
    """Split a pydantic error location into the part present in the document and the rest
    (a missing or unknown field), skipping the tags pydantic adds for unions and validators."""
    present: list[Any] = []
    rest: list[Any] = []
    current = raw
    for part in loc:
        if rest:
            rest.append(part)
            continue
        if isinstance(part, str) and ("[" in part or part.startswith("function-")):
            continue  # 'function-after[...]', 'tagged-union[...]', '[key]'
        if (
            isinstance(current, Mapping)
            and part in current
            or isinstance(current, list)
            and isinstance(part, int)
            and 0 <= part < len(current)
        ):
            present.append(part)
            current = current[part]
        elif isinstance(current, Mapping) and current.get("kind") == part:
            continue  # a discriminated union's tag
        else:
            rest.append(part)
    return tuple(present), rest


def _model_fields_at(path: Sequence[Any], raw: Any) -> list[str]:
    """Field names of the model expected at ``path`` (for 'did you mean' on unknown keys)."""
    import types
    import typing

    annotation: Any = Scenario
    current = raw
    for part in path:
        annotation = _unwrap(annotation, current)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            info = annotation.model_fields.get(part) if isinstance(part, str) else None
            if info is None:
                return []
            annotation = info.annotation
        else:
            origin = typing.get_origin(annotation)
            args = typing.get_args(annotation)
            if origin in (tuple, list) and args:
                annotation = args[0]
            elif origin is dict and len(args) == 2:
                annotation = args[1]
            else:
                return []
        current = current[part] if isinstance(current, Mapping | list) else None
    annotation = _unwrap(annotation, current)
    del types
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _unwrap(annotation: Any, value: Any) -> Any:
    import types
    import typing

    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            kind = value.get("kind") if isinstance(value, Mapping) else None
            for model in models:
                field_info = model.model_fields.get("kind")
                if field_info is not None and field_info.default == kind:
                    return model
            if len(members) == 1 or models:
                annotation = models[0] if models else members[0]
                continue
            return annotation
        return annotation


_EXPECTED = {
    "missing": "required field is missing",
    "extra_forbidden": "unknown field",
}


def _problems_from_validation(
    error: ValidationError, raw: Any, document: _Document
) -> list[Problem]:
    import difflib

    problems = []
    items = error.errors(include_url=False, include_input=False)
    locations = [tuple(item.get("loc", ())) for item in items]
    for item in items:
        loc = list(item.get("loc", ()))
        if item.get("type") == "too_short" and any(
            len(other) > len(loc) and other[: len(loc)] == tuple(loc) for other in locations
        ):
            continue  # pydantic also counts the item that failed as missing: one problem only
        message = str(item.get("msg", ""))
        kind = item.get("type", "")
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        if message.startswith("Assertion failed, "):
            message = message[len("Assertion failed, ") :]
        present, rest = _walk(raw, loc)
        match = _PATH_PREFIX.match(message)
        if match and not rest:
            candidate = _split_path(match.group(1))
            parent: Any = raw
            for part in present:
                parent = parent[part]
            if candidate and isinstance(parent, Mapping) and candidate[0] in parent:
                deeper, deeper_rest = _walk(parent, candidate)
                present = (*present, *deeper)
                rest = deeper_rest
                message = match.group(2)
        path = (*present, *rest)
        if kind == "extra_forbidden":
            known = _model_fields_at(present[:-1], raw)
            name = present[-1] if present else (rest[-1] if rest else "")
            origin = document.key_origins.get(tuple(present)) or document.origin(present)
            message = f"unknown field {name!r}"
            close = difflib.get_close_matches(str(name), known, n=1)
            if close:
                message += f"; did you mean {close[0]!r}?"
            elif known:
                message += f"; expected one of: {', '.join(known)}"
        elif kind == "missing":
            origin = document.origin(present)
            message = "required field is missing"
        else:
            origin = document.origin(present)
        problems.append(
            Problem(origin.file, origin.line, origin.column, _format_path(path), message)
        )
    return problems


def read_scenario(path: str | Path, overrides: Sequence[str] = ()) -> LoadedScenario:
    """Read, resolve, override, validate and check a scenario file.

    Raises :class:`ScenarioFileError` (a ValueError) listing every problem found; messages
    never contain a secret of the file.
    """
    from pullsim.scenario.checks import check_scenario

    path = Path(path)
    file = str(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ScenarioFileError([Problem(file, None, None, "", "file not found")]) from None
    except IsADirectoryError:
        raise ScenarioFileError(
            [Problem(file, None, None, "", "expected a file, got a directory")]
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioFileError([Problem(file, None, None, "", f"cannot read: {error}")]) from None
    raw, document = _parse(text, file)
    if not isinstance(raw, dict):
        raise ScenarioFileError(
            [
                Problem(
                    file,
                    1,
                    1,
                    "",
                    f"expected a mapping of scenario fields, got {type(raw).__name__}",
                )
            ]
        )
    base = path.resolve().parent
    problems: list[Problem] = []
    manifest_documents = _resolve_includes(raw, base, document, problems)
    secrets = _collect_secrets(raw, manifest_documents)
    try:
        if problems:
            raise ScenarioFileError(problems)
        apply_overrides(raw, overrides, document)
        manifest_documents += _resolve_includes(raw, base, document, problems)
        secrets = _collect_secrets(raw, manifest_documents)
        if problems:
            raise ScenarioFileError(problems)
        try:
            scenario = Scenario.model_validate(raw)
        except ValidationError as error:
            raise ScenarioFileError(_problems_from_validation(error, raw, document)) from None
        found = [
            _finding(document.origin(where), _format_path(where), message)
            for where, message in check_scenario(scenario)
        ]
        if found:
            raise ScenarioFileError(found)
    except ScenarioFileError as error:
        raise ScenarioFileError(
            [
                Problem(p.file, p.line, p.column, p.field, redact(p.message, secrets))
                for p in error.problems
            ]
        ) from None
    return LoadedScenario(scenario, path, raw, tuple(overrides), secrets)


def _origin_tuple(origin: _Origin) -> tuple[str, int | None, int | None]:
    return origin.file, origin.line, origin.column


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """The validated :class:`Scenario` of a file (see :func:`read_scenario`)."""
    return read_scenario(path, overrides).scenario
