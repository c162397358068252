"""Redact pull secrets from scenario text before it is shown anywhere.

A scenario file can hold credentials in several shapes, all of which are redacted:

- a Secret's ``data`` / ``stringData`` (``.dockerconfigjson``, ``.dockercfg``, any key): every
  value under those mappings, block scalars included;
- keys that name a secret wherever they appear, in YAML block or flow style or in JSON:
  ``auth``, ``password``, ``identitytoken``, ``registrytoken``, ``token``, ``.dockerconfigjson``,
  ``.dockercfg``;
- a registry's accepted ``credentials`` (``[[user, password]]``) and the node keyring
  (``node_credentials``): the whole value;
- ``user:password@`` in URLs.

Line-oriented on purpose: it never parses (so it also works on text that does not validate)
and it keeps the shape of the file, replacing values with ``<redacted>``. It errs on the side
of hiding: a ConfigMap's ``data`` is hidden too.
"""

from __future__ import annotations

import re

__all__ = ["REDACTED", "redact"]

REDACTED = "<redacted>"
SECRET_KEYS = (
    "auth",
    "password",
    "identitytoken",
    "registrytoken",
    "token",
    r"\.dockerconfigjson",
    r"\.dockercfg",
)
WHOLE_VALUE_KEYS = ("credentials", "node_credentials", "data", "stringData")
_KEYS = "|".join(SECRET_KEYS)
# "auth": "..."  (JSON, possibly inside a YAML string)
_JSON_VALUE = re.compile(rf'("(?:{_KEYS})"\s*:\s*)"(?:[^"\\]|\\.)*"', re.IGNORECASE)
# auth: value  /  {auth: value, ...}  /  'auth': "value"  (the key, then a colon and a space)
_YAML_KEY = re.compile(rf"""(^|[\s{{,\[])(["']?)(?:{_KEYS})\2\s*:(?=\s|$)""", re.IGNORECASE)
_WHOLE_KEY = re.compile(rf"""^(\s*(?:-\s+)?)(["']?)(?:{"|".join(WHOLE_VALUE_KEYS)})\2\s*:(.*)$""")
_URL_USERINFO = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@", re.IGNORECASE)
_BLOCK_SCALAR = re.compile(r"^[|>][-+0-9]*\s*(#.*)?$")
_FLOW_VALUE = re.compile(r"""\s*("(?:[^"\\]|\\.)*"|'[^']*'|[^,}\]]*)""")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _opens_block(value: str) -> bool:
    value = value.strip()
    return not value or value.startswith("#") or bool(_BLOCK_SCALAR.match(value))


def _redact_keys(line: str) -> tuple[str, bool]:
    """Redact secret-named keys' values on one line; True when a key's value is a nested or
    block value that continues on the following (deeper) lines."""
    position = 0
    opens_block = False
    while True:
        match = _YAML_KEY.search(line, position)
        if match is None:
            return line, opens_block
        before = line[: match.end()]
        in_flow = before.count("{") + before.count("[") > before.count("}") + before.count("]")
        rest = line[match.end() :]
        if rest.lstrip().startswith(f'"{REDACTED}"'):
            position = match.end()
            continue
        if in_flow:
            value = _FLOW_VALUE.match(rest)
            end = match.end() + value.end()
            replacement = f" {REDACTED}"
        elif _opens_block(rest):
            return before, True
        else:
            end = len(line)
            replacement = f" {REDACTED}"
        line = before + replacement + line[end:]
        position = len(before) + len(replacement)


def redact(text: str) -> str:
    """``text`` with every pull-secret value replaced by ``<redacted>`` (see module doc)."""
    out: list[str] = []
    hide_deeper_than: int | None = None  # a nested block under a secret key is being hidden
    for line in text.splitlines():
        stripped = line.strip()
        if hide_deeper_than is not None:
            deeper = _indent(line) > hide_deeper_than
            same_level_item = _indent(line) == hide_deeper_than and (
                stripped.startswith("- ") or stripped == "-"
            )
            if not stripped:
                out.append(line)
                continue
            if deeper or same_level_item:
                out.append(" " * _indent(line) + "# " + REDACTED)
                continue
            hide_deeper_than = None
        whole = _WHOLE_KEY.match(line)
        if whole:
            prefix, value = whole.group(1), whole.group(3)
            head = line[: len(line) - len(value)]
            if _opens_block(value):
                out.append(head)
                hide_deeper_than = len(prefix)
            else:
                out.append(f"{head} {REDACTED}")
            continue
        line = _JSON_VALUE.sub(lambda m: f'{m.group(1)}"{REDACTED}"', line)
        line, opens_block = _redact_keys(line)
        line = _URL_USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", line)
        out.append(line)
        if opens_block:
            hide_deeper_than = _indent(line) + (len(line.lstrip(" ")) - len(line.lstrip(" -")))
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")
