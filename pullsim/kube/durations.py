"""Go ``time.Duration`` text as Kubernetes configuration uses it (``metav1.Duration``).

Parsing follows Go's ``time.ParseDuration`` ("300ms", "2m", "1h30m", "-1.5h"; a bare "0" is
allowed, any other number needs a unit). Formatting follows ``time.Duration.String`` ("2m0s",
"1h0m0s", "1.5ms", "-1ns") because the kubelet's validation messages print durations that way.
Values are held as integer nanoseconds, exactly like Go.
"""

from __future__ import annotations

import re

NANOSECONDS_PER_SECOND = 1_000_000_000

_UNIT_NANOSECONDS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,  # U+00B5 micro sign
    "μs": 1_000,  # U+03BC Greek mu
    "ms": 1_000_000,
    "s": NANOSECONDS_PER_SECOND,
    "m": 60 * NANOSECONDS_PER_SECOND,
    "h": 3600 * NANOSECONDS_PER_SECOND,
}
_COMPONENT = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")


def parse_go_duration(text: str) -> int:
    """Parse Go duration text into integer nanoseconds; raise ValueError with Go's message."""
    original = text
    if not isinstance(text, str):
        raise ValueError(f"time: invalid duration {original!r}")
    sign = 1
    if text.startswith(("+", "-")):
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    if text == "0":
        return 0
    if not text:
        raise ValueError(f'time: invalid duration "{original}"')
    total = 0
    position = 0
    while position < len(text):
        match = _COMPONENT.match(text, position)
        if match is None:
            if re.match(r"[0-9.]+$", text[position:]):
                raise ValueError(f'time: missing unit in duration "{original}"')
            raise ValueError(f'time: invalid duration "{original}"')
        number, unit = match.groups()
        if number in ("", "."):
            raise ValueError(f'time: invalid duration "{original}"')
        whole, _, fraction = number.partition(".")
        scale = _UNIT_NANOSECONDS[unit]
        value = int(whole or "0") * scale
        if fraction:
            # Go truncates the fractional part towards zero at nanosecond precision.
            value += int(fraction) * scale // (10 ** len(fraction))
        total += value
        position = match.end()
    return sign * total


def _format_fraction(value: int, precision: int) -> tuple[str, int]:
    """Go's fmtFrac: the fraction digits without trailing zeros, and the integer part."""
    if precision == 0:
        return "", value
    integer, fraction = divmod(value, 10**precision)
    digits = f"{fraction:0{precision}d}".rstrip("0")
    return ("." + digits if digits else ""), integer


def format_go_duration(nanoseconds: int) -> str:
    """Format integer nanoseconds like Go's ``time.Duration.String``."""
    negative = nanoseconds < 0
    magnitude = -nanoseconds if negative else nanoseconds
    if magnitude == 0:
        return "0s"
    if magnitude < NANOSECONDS_PER_SECOND:
        if magnitude < 1_000:
            precision, unit = 0, "ns"
        elif magnitude < 1_000_000:
            precision, unit = 3, "µs"
        else:
            precision, unit = 6, "ms"
        fraction, integer = _format_fraction(magnitude, precision)
        text = f"{integer}{fraction}{unit}"
    else:
        fraction, seconds = _format_fraction(magnitude, 9)
        text = f"{seconds % 60}{fraction}s"
        minutes = seconds // 60
        if minutes > 0:
            text = f"{minutes % 60}m" + text
            hours = minutes // 60
            if hours > 0:
                text = f"{hours}h" + text
    return "-" + text if negative else text


def seconds_to_nanoseconds(seconds: float) -> int:
    return round(seconds * NANOSECONDS_PER_SECOND)
