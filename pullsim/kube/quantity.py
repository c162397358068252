"""Kubernetes resource quantities ("500m", "128Mi", "1.5G", "2e3") as SI floats.

Source: ``staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go`` (binary suffixes
Ki..Ei, decimal suffixes n, u, m, k, M, G, T, P, E, and decimal exponents).
"""

from __future__ import annotations

import re

_SUFFIX_MULTIPLIERS = {
    "": 1.0,
    "n": 1e-9,
    "u": 1e-6,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2.0**10,
    "Mi": 2.0**20,
    "Gi": 2.0**30,
    "Ti": 2.0**40,
    "Pi": 2.0**50,
    "Ei": 2.0**60,
}
_QUANTITY = re.compile(
    r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$"
)


def parse_quantity(value: str | int | float) -> float:
    """Parse a quantity; raise ValueError naming the text when it is not one."""
    if isinstance(value, bool):
        raise ValueError(f"quantities must match the regular expression: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    match = _QUANTITY.match(str(value).strip())
    if match is None:
        raise ValueError(
            f"quantities must match the regular expression "
            f"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {value!r}"
        )
    number, suffix = match.group(1), match.group(2) or ""
    if suffix[:1] in ("e", "E"):
        return float(number) * 10.0 ** int(suffix[1:])
    return float(number) * _SUFFIX_MULTIPLIERS[suffix]
