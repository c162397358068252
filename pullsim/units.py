"""Human units at the edge, SI floats inside.

pullsim computes in bytes, seconds and bytes per second. Scenario files and people speak in
``1Gbps``, ``125MiB/s``, ``350MiB``, ``20ms``; this module turns those into floats and back.

Conventions (the ones cloud providers and kernels use):

- Bit rates (``bps``, ``Kbps``, ``Mbps``, ``Gbps``, ``Tbps``) are decimal and in *bits*:
  ``1Gbps`` = 1e9 bit/s = 1.25e8 bytes/s (AWS quotes instance bandwidth this way).
- Byte sizes: ``KB``/``MB``/``GB``/``TB`` are decimal (1e3 …), ``KiB``/``MiB``/``GiB``/``TiB``
  binary (1024 …), as Kubernetes quantities spell them; ``B`` is one byte. Kubernetes' own suffixes
  ``Ki``/``Mi``/``Gi``/``Ti`` and ``k``/``M``/``G``/``T`` are accepted for sizes too.
- Byte rates: a size followed by ``/s`` (``125MiB/s``, ``1.5GB/s``).
- Durations: ``ns``, ``us``, ``ms``, ``s``, ``m``/``min``, ``h`` and Go-style compounds such as
  ``1h30m`` or ``2m30s`` (the form KubeletConfiguration uses).

A bare number is taken as already in SI base units.
"""

from __future__ import annotations

import math
import re

__all__ = [
    "UnitError",
    "parse_size",
    "parse_rate",
    "parse_duration",
    "format_size",
    "format_rate",
    "format_duration",
]


class UnitError(ValueError):
    """A quantity that cannot be read; the message says what was expected."""


_NUMBER = r"([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)"

_SIZE_FACTORS = {
    "": 1.0,
    "b": 1.0,
    "kb": 1e3,
    "mb": 1e6,
    "gb": 1e9,
    "tb": 1e12,
    "pb": 1e15,
    "k": 1e3,
    "m": 1e6,
    "g": 1e9,
    "t": 1e12,
    "kib": 1024.0,
    "mib": 1024.0**2,
    "gib": 1024.0**3,
    "tib": 1024.0**4,
    "pib": 1024.0**5,
    "ki": 1024.0,
    "mi": 1024.0**2,
    "gi": 1024.0**3,
    "ti": 1024.0**4,
}

_BIT_RATE_FACTORS = {
    "bps": 1 / 8,
    "kbps": 1e3 / 8,
    "mbps": 1e6 / 8,
    "gbps": 1e9 / 8,
    "tbps": 1e12 / 8,
    "bit/s": 1 / 8,
    "kbit/s": 1e3 / 8,
    "mbit/s": 1e6 / 8,
    "gbit/s": 1e9 / 8,
}

_DURATION_FACTORS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": 3600.0,
}

_SIZE_RE = re.compile(rf"^\s*{_NUMBER}\s*([a-zA-Z]*)\s*$")
_RATE_RE = re.compile(rf"^\s*{_NUMBER}\s*([a-zA-Z/]*)\s*$")
_DURATION_PART_RE = re.compile(rf"{_NUMBER}\s*(ns|us|µs|ms|min|s|m|h)")


def _as_number(value: object, what: str) -> float | None:
    if isinstance(value, bool):
        raise UnitError(f"expected {what}, got a boolean")
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            raise UnitError(f"expected a finite {what}, got {value!r}")
        return number
    if not isinstance(value, str):
        raise UnitError(f"expected {what} as a number or a string, got {type(value).__name__}")
    return None


def parse_size(value: str | float) -> float:
    """``"350MiB"`` → 367001600.0 bytes. Decimal ``MB``, binary ``MiB``; bare numbers are bytes."""
    number = _as_number(value, "a size such as '350MiB'")
    if number is not None:
        return number
    match = _SIZE_RE.match(value)  # type: ignore[arg-type]
    factor = _SIZE_FACTORS.get(match.group(2).lower()) if match else None
    if match is None or factor is None:
        raise UnitError(f"expected a size such as '350MiB', '2GB' or '512Ki', got {value!r}")
    return float(match.group(1)) * factor


def parse_rate(value: str | float) -> float:
    """``"1Gbps"`` → 1.25e8 bytes/s; ``"125MiB/s"`` → 131072000.0; bare numbers are bytes/s."""
    number = _as_number(value, "a rate such as '1Gbps' or '125MiB/s'")
    if number is not None:
        return number
    match = _RATE_RE.match(value)  # type: ignore[arg-type]
    if match is not None:
        amount, unit = float(match.group(1)), match.group(2).lower()
        if unit == "":
            return amount
        if unit in _BIT_RATE_FACTORS:
            return amount * _BIT_RATE_FACTORS[unit]
        if unit.endswith("/s") and unit[:-2] in _SIZE_FACTORS and unit[:-2]:
            return amount * _SIZE_FACTORS[unit[:-2]]
    raise UnitError(f"expected a rate such as '1Gbps', '500Mbps' or '125MiB/s', got {value!r}")


def parse_duration(value: str | float) -> float:
    """``"200ms"`` → 0.2; ``"1h30m"`` → 5400.0; bare numbers are seconds."""
    number = _as_number(value, "a duration such as '200ms' or '5m'")
    if number is not None:
        return number
    text = value.strip()  # type: ignore[union-attr]
    if re.fullmatch(_NUMBER, text):
        return float(text)
    position, total = 0, 0.0
    for match in _DURATION_PART_RE.finditer(text):
        if match.start() != position:
            break
        total += float(match.group(1)) * _DURATION_FACTORS[match.group(2)]
        position = match.end()
    if position == 0 or position != len(text):
        raise UnitError(f"expected a duration such as '200ms', '5m' or '1h30m', got {value!r}")
    return total


def _format(value: float, steps: list[tuple[float, str]], digits: int) -> str:
    for factor, unit in steps:
        if abs(value) >= factor:
            return f"{value / factor:.{digits}g}{unit}"
    factor, unit = steps[-1]
    return f"{value / factor:.{digits}g}{unit}"


def format_size(size_bytes: float, digits: int = 4) -> str:
    """367001600.0 → ``'350MiB'`` (binary units, as kubectl and containerd print sizes)."""
    steps = [(1024.0**4, "TiB"), (1024.0**3, "GiB"), (1024.0**2, "MiB"), (1024.0, "KiB"), (1, "B")]
    return _format(size_bytes, steps, digits)


def format_rate(bytes_per_second: float, digits: int = 4) -> str:
    """1.25e8 → ``'1Gbps'`` (decimal bits per second, as networks are sold)."""
    bits = bytes_per_second * 8
    steps = [(1e12, "Tbps"), (1e9, "Gbps"), (1e6, "Mbps"), (1e3, "Kbps"), (1, "bps")]
    return _format(bits, steps, digits)


def format_duration(seconds: float, digits: int = 4) -> str:
    """0.2 → ``'200ms'``; 5400 → ``'1.5h'``."""
    if math.isinf(seconds):
        return "inf"
    if seconds == 0:
        return "0s"
    steps = [(3600.0, "h"), (60.0, "min"), (1.0, "s"), (1e-3, "ms"), (1e-6, "us")]
    return _format(seconds, steps, digits)
