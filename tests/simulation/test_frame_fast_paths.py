"""results' fast conversions (numpy/pyarrow) give exactly what its generic pandas path gives,
odd inputs included: the generic path defines every frame."""

import enum
import math

import numpy as np
import pandas as pd
import pytest

from pullsim import results


class Kind(enum.StrEnum):
    A = "a"


class Shout(str):
    def __str__(self):
        return self.upper()


COLUMNS = {"s": "string", "f": "float64", "i": "int64", "t": "string"}
IDS = ("scenario", "strategy", 3)
ROWS = {
    "plain": [{"s": f"x{k}", "f": k / 3, "i": k, "t": None if k % 2 else "y"} for k in range(9)],
    "missing keys": [{"s": "x"}, {"f": 1.0}, {"i": 1}, {}],
    "all None": [{"s": None, "f": None, "i": None, "t": None}] * 3,
    "empty": [],
    "int, NaN, inf, -0.0 floats": [{"f": 1}, {"f": math.nan}, {"f": -math.inf}, {"f": -0.0}],
    "int beyond 2**53 as float": [{"f": 2**53 + 1}, {"f": 0.5}],
    "bool and numpy floats": [{"f": True}, {"f": np.float32(1.1)}, {"f": np.float64(2)}],
    "str as float": [{"f": "1.5"}, {"f": "x"}],
    "float, None, NaN, inf as int": [{"i": 1.5}, {"i": -1.5}, {"i": None}, {"i": math.nan}],
    "int beyond 2**53 with None": [{"i": 2**53 + 1}, {"i": None}],
    "int beyond int64": [{"i": 2**64}, {"i": 1}],
    "inf as int": [{"i": math.inf}],
    "non-str in a string column": [{"s": 1}, {"s": 2.5}, {"s": True}, {"s": math.nan}],
    "bytes, bytearray": [{"s": b"x"}, {"t": bytearray(b"y")}],
    "str subclasses": [{"s": Kind.A}, {"s": np.str_("z")}, {"s": Shout("w")}, {"t": pd.NA}],
    "odd value under another key": [{"s": "x", "other": object()}],
    "not dicts": [pd.Series({"s": "x", "f": 1.0})],
}


def assert_identical(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert [repr(t) for t in a.dtypes] == [repr(t) for t in b.dtypes]
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert pd.util.hash_pandas_object(a).equals(pd.util.hash_pandas_object(b))
    for column in a.columns:
        if a[column].dtype.kind == "f":
            assert a[column].to_numpy().tobytes() == b[column].to_numpy().tobytes(), column


def outcome(convert, *args):
    try:
        return convert(*args), None
    except Exception as error:  # the generic path's error is part of its result
        return None, type(error)


@pytest.mark.parametrize("name", list(ROWS))
def test_frame_is_the_generic_frame(name):
    for ids in (IDS, (None, Kind.A, 0)):
        fast, fast_error = outcome(results._frame, ROWS[name], COLUMNS, ids)
        generic, generic_error = outcome(results._frame_generic, ROWS[name], COLUMNS, ids)
        assert fast_error == generic_error
        if generic is not None:
            assert_identical(fast, generic)


def test_frame_from_many_slices_is_the_generic_frame(monkeypatch):
    monkeypatch.setattr(results, "_SLICE", 2)
    for name in ("plain", "missing keys", "float, None, NaN, inf as int", "str subclasses"):
        rows = ROWS[name] * 3
        assert_identical(
            results._frame(rows, COLUMNS, IDS), results._frame_generic(rows, COLUMNS, IDS)
        )


def pull(pod, requested, started, finished, outcome="pulled", namespace="default"):
    return {
        "namespace": namespace,
        "pod": pod,
        "requested_s": requested,
        "started_s": started,
        "finished_s": finished,
        "outcome": outcome,
    }


PULLS = [
    pull("a", 0, None, 0.5, "failed"),
    pull("a", 1.0, 1.25, 3.5),
    pull("b", 0.1, 0.2, 0.7),
    pull("a:b", 2.0, math.nan, 4.0, "failed"),
    pull("b", 0.3, 0.3, math.inf, namespace="other"),
    pull("b", 0.1, -0.0, 0.0, None),
]


class Shouting(dict):
    def __getitem__(self, key):
        value = dict.__getitem__(self, key)
        return value.upper() if isinstance(value, str) else value


@pytest.mark.parametrize(
    "rows",
    [
        PULLS,
        [],
        [pull("a", None, None, None)],
        PULLS + [pull("c", None, 1.0, 2.0)],
        [Shouting(row) for row in PULLS],
    ],
    ids=["pulls", "none", "no times", "started without requested", "dict subclass"],
)
def test_pull_totals_are_the_row_by_row_totals(rows):
    namespaces = ["default", "default", "other", "default", "default", "default"]
    names = ["a", "b", "b", "a:b", "nothing", "a"]  # "a" twice: both get its totals
    fast, fast_error = outcome(results._pulls, rows, namespaces, names)
    slow, slow_error = outcome(results._pulls_by_row, rows, namespaces, names)
    assert fast_error == slow_error
    if slow is None:
        return
    (fast_columns, fast_totals), (slow_columns, slow_totals) = fast, slow
    for column in ("waiting_s", "pulling_s"):
        expected = np.array(slow_columns[column], dtype=float)
        assert np.asarray(fast_columns[column]).tobytes() == expected.tobytes()
    for got, expected, dtype in zip(
        fast_totals, slow_totals, (float, float, np.int64), strict=True
    ):
        assert np.asarray(got, dtype=dtype).tobytes() == np.array(expected, dtype=dtype).tobytes()
