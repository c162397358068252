"""Human units at the edge: every expected value is plain arithmetic."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pullsim.units import (
    UnitError,
    format_duration,
    format_rate,
    format_size,
    parse_duration,
    parse_rate,
    parse_size,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1Gbps", 1.25e8),  # bits, decimal: 1e9 / 8
        ("500Mbps", 62.5e6),
        ("10 Gbps", 1.25e9),
        ("125MiB/s", 125 * 1024**2),  # gp3 baseline
        ("1.5GB/s", 1.5e9),
        ("3000", 3000.0),
        (1e6, 1e6),
    ],
)
def test_parse_rate(text, expected):
    assert parse_rate(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("350MiB", 350 * 1024**2),
        ("2GB", 2e9),
        ("512Ki", 512 * 1024),  # Kubernetes quantity suffix
        ("100Gi", 100 * 1024**3),
        ("17GB", 17e9),
        ("42", 42.0),
        ("0.5KB", 500.0),
    ],
)
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("200ms", 0.2),
        ("5m", 300.0),
        ("1h30m", 5400.0),  # Go duration, as KubeletConfiguration writes them
        ("2m30s", 150.0),
        ("1.5s", 1.5),
        ("250us", 250e-6),
        (10, 10.0),
        ("10", 10.0),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    ("parse", "text", "expected"),
    [
        (parse_rate, "1 gigabit", "rate such as '1Gbps'"),
        (parse_rate, "100MiB", "rate such as"),  # a size is not a rate
        (parse_size, "12 parsecs", "size such as '350MiB'"),
        (parse_duration, "5 minutes", "duration such as '200ms'"),
        (parse_duration, "", "duration such as"),
        (parse_size, True, "boolean"),
        (parse_rate, float("nan"), "finite"),
        (parse_size, [1], "number or a string"),
    ],
)
def test_bad_units_say_what_was_expected(parse, text, expected):
    with pytest.raises(UnitError, match=expected):
        parse(text)


def test_format_back():
    assert format_size(350 * 1024**2) == "350MiB"
    assert format_rate(1.25e8) == "1Gbps"
    assert format_duration(0.2) == "200ms"
    assert format_duration(5400) == "1.5h"
    assert format_duration(0) == "0s"


@given(st.floats(min_value=1, max_value=1e15, allow_nan=False))
def test_formatted_sizes_read_back_close(size):
    assert parse_size(format_size(size, digits=12)) == pytest.approx(size, rel=1e-9)


@given(st.floats(min_value=1, max_value=1e13, allow_nan=False))
def test_formatted_rates_read_back_close(rate):
    assert parse_rate(format_rate(rate, digits=12)) == pytest.approx(rate, rel=1e-9)
