"""What the engine writes down while it runs: flows, link utilisation, stream delivery.

- One row per flow when it ends (finished, cancelled, stopped); :meth:`Recorder.flows` adds the
  ones still active (at the horizon: unfinished), so nothing is lost.
- Link utilisation per (link, label): the exact bytes each label moved over each link within each
  bucket of ``resolution`` seconds. The recorder keeps, per flow class, the bytes moved up to the
  last change of its flow count; at a bucket boundary it reads every class's progress from the
  bottleneck clocks, so the cost is one vectorised pass per bucket, not per rate change (on a star
  every completion changes every NIC's share). A stretch of identical buckets is one row.
- Streams: every change of a stream's delivered rate, exactly (time, stream, rate, demand).

Everything comes out as columns (name -> list or numpy array): the engine imports no pandas;
:mod:`pullsim.results` turns columns into DataFrames.
"""

from __future__ import annotations

import math
from operator import itemgetter
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from pullsim.engine.network import Network, Stream, _Flow

__all__ = ["Recorder"]


class Recorder:
    def __init__(self, network: Network, *, resolution: float, enabled: bool) -> None:
        if not (isinstance(resolution, int | float) and math.isfinite(resolution)):
            raise ValueError(f"recording resolution must be seconds, got {resolution!r}")
        if resolution <= 0:
            raise ValueError(f"recording resolution must be > 0 seconds, got {resolution!r}")
        self.network = network
        self.resolution = float(resolution)
        self.enabled = enabled
        # (link, label) pairs and the entries (class, coefficient) that load them.
        self._pair_of: dict[tuple[int, str], int] = {}
        self._pair_link: list[int] = []
        self._pair_label: list[str] = []
        self._entry_pair: list[int] = []
        self._entry_class: list[int] = []
        self._entry_coefficient: list[float] = []
        # numpy copies of the entry lists and of the per-class lists a bucket reads; classes are
        # only ever added, so both grow at the end, and a class's values are copied again only
        # when they changed (its flow count, or its clock: see class_changed).
        self._entry_arrays = _Mirror((np.int64, np.int64, float))
        self._class_arrays = _Mirror((np.int64, float, float, float, float, float))
        self._changed_classes: set[int] = set()
        # The same for the links' clocks (clock, level, clock time per link group; the cap
        # group, last in the network's lists, is read as it is). The network adds a group to
        # changed_groups whenever it sets its level.
        self._group_arrays = _Mirror((float, float, float))
        self.changed_groups: set[int] = set()
        # Per class: bytes moved by all its flows up to the mark, and the progress at the mark.
        self._class_bytes: list[float] = []
        self._class_mark: list[float] = []
        # Buckets: the last boundary read and the cumulative bytes per pair at it.
        self._boundary = math.floor(network.env.now / self.resolution)
        self._snapshot = np.zeros(0)
        self._rows: list[tuple[float, float, np.ndarray, np.ndarray]] = []
        self._flow_rows: list[tuple] = []
        self._stream_rows: list[tuple] = []
        self._stream_rate: dict[int, float] = {}

    # ---------------------------------------------------------------- wiring
    def add_class(self, class_index: int, entries: tuple, label: str) -> None:
        self._class_bytes.append(0.0)
        self._class_mark.append(0.0)
        for link_index, coefficient in entries:
            key = (link_index, label)
            pair = self._pair_of.get(key)
            if pair is None:
                pair = len(self._pair_link)
                self._pair_of[key] = pair
                self._pair_link.append(link_index)
                self._pair_label.append(label)
            self._entry_pair.append(pair)
            self._entry_class.append(class_index)
            self._entry_coefficient.append(coefficient)

    def class_changed(self, class_index: int) -> None:
        """The class's clock (group, slope or offset) was changed."""
        if self.enabled:
            self._changed_classes.add(class_index)

    def all_classes_changed(self) -> None:
        """Every class's clock and every group's level was set anew (a full solve)."""
        self._class_arrays.forget()
        self._group_arrays.forget()

    def count_changing(self, class_index: int) -> None:
        """Close the class's byte count before its number of flows changes."""
        if not self.enabled:
            return
        self._changed_classes.add(class_index)
        progress = self.network._progress(class_index)
        count = self.network._count[class_index]
        self._class_bytes[class_index] += count * (progress - self._class_mark[class_index])
        self._class_mark[class_index] = progress

    # ---------------------------------------------------------------- buckets
    def catch_up(self, now: float) -> None:
        """Read the boundaries passed since the last change; rates were constant meanwhile."""
        if not self.enabled:
            return
        last = math.floor(now / self.resolution)
        if last <= self._boundary:
            return
        first = self._boundary + 1
        self._close(first)
        if last > first:
            self._close(last)

    def _close(self, boundary: int) -> None:
        """Emit the bytes moved between the previous boundary read and ``boundary``."""
        time = boundary * self.resolution
        cumulative = self._cumulative(time)
        moved = cumulative - self._grown(self._snapshot, cumulative.shape[0])
        self._emit(self._boundary * self.resolution, time, moved)
        self._snapshot = cumulative
        self._boundary = boundary

    def _cumulative(self, time: float) -> np.ndarray:
        """Bytes moved per (link, label) pair from the start up to ``time``."""
        network = self.network
        pairs = len(self._pair_link)
        if not self._entry_class:
            return np.zeros(pairs)
        entry_pair, entry_class, entry_coefficient = self._entry_arrays.sync(
            (self._entry_pair, self._entry_class, self._entry_coefficient), ()
        )
        group, slope, offset, count, class_bytes, class_mark = self._class_arrays.sync(
            (
                network._group,
                network._slope,
                network._offset,
                network._count,
                self._class_bytes,
                self._class_mark,
            ),
            self._changed_classes,
        )
        self._changed_classes = set()
        clocks, levels, clock_times = network._clock, network._level, network._clock_time
        links = len(clocks) - 1  # the cap group comes last
        link_clock, link_level, link_time = self._group_arrays.sync(
            (clocks, levels, clock_times), self.changed_groups, size=links
        )
        self.changed_groups.clear()
        clock = np.append(
            link_clock + link_level * (time - link_time),
            clocks[-1] + levels[-1] * (time - clock_times[-1]),
        )
        progress = slope * clock[group] + offset
        moved = class_bytes + count * (progress - class_mark)
        return np.bincount(
            entry_pair, weights=entry_coefficient * moved[entry_class], minlength=pairs
        )

    @staticmethod
    def _grown(values: np.ndarray, size: int) -> np.ndarray:
        if values.shape[0] >= size:
            return values
        return np.append(values, np.zeros(size - values.shape[0]))

    def _emit(self, start: float, end: float, moved: np.ndarray) -> None:
        pairs = np.flatnonzero(moved)
        if pairs.shape[0]:
            self._rows.append((start, end, pairs, moved[pairs]))

    # ----------------------------------------------------------------- events
    def flow_ended(self, flow: _Flow, outcome: str) -> None:
        self._flow_rows.append(_flow_row(flow, outcome))

    def stream_rate(self, now: float, stream: Stream, rate: float) -> None:
        if self._stream_rate.get(stream.id) != rate:
            self._stream_rate[stream.id] = rate
            self._stream_rows.append((now, stream.id, stream.label, rate, stream.demand))

    # ---------------------------------------------------------------- output
    def flows(self) -> dict[str, list]:
        """One row per flow: ended ones in the order they ended, then the active ones."""
        rows = list(self._flow_rows)
        network = self.network
        for flow in [*network.active_transfers(), *network.active_streams()]:
            rows.append(_flow_row(flow, "active"))
        names = [
            "flow_id",
            "kind",
            "label",
            "size_bytes",
            "delivered_bytes",
            "start_s",
            "end_s",
            "outcome",
        ]
        return {name: [row[i] for row in rows] for i, name in enumerate(names)}

    def link_usage(self) -> dict[str, np.ndarray | list]:
        """Bytes per (interval, link, label); an interval is a bucket or a run of equal ones.

        The bucket still open at the current time is included up to now.
        """
        usage = self.link_usage_indexed()
        links = self.network.links
        labels = usage.pop("labels")
        return {
            "start_s": usage["start_s"],
            "end_s": usage["end_s"],
            "link": [links[index].name for index in usage["link_index"].tolist()],
            "label": [labels[index] for index in usage["label_index"].tolist()],
            "bytes": usage["bytes"],
        }

    def link_usage_indexed(self) -> dict[str, np.ndarray | list]:
        """:meth:`link_usage` with each row's link as its index in ``network.links`` and its
        label as an index into ``labels`` (millions of rows name a few thousand links and a
        few labels: the caller looks names up once per distinct one)."""
        now = self.network.env.now
        self.catch_up(now)
        rows = list(self._rows)
        if self.enabled:
            start = self._boundary * self.resolution
            if now > start:
                cumulative = self._cumulative(now)
                moved = cumulative - self._grown(self._snapshot, cumulative.shape[0])
                pairs = np.flatnonzero(moved)
                if pairs.shape[0]:
                    rows.append((start, now, pairs, moved[pairs]))
        pair_link = np.asarray(self._pair_link, dtype=np.int64)
        pair = np.concatenate([row[2] for row in rows]) if rows else np.zeros(0, dtype=np.int64)
        labels = sorted(set(self._pair_label))
        label_of_pair = np.asarray(
            [labels.index(label) for label in self._pair_label], dtype=np.int64
        )
        return {
            "start_s": np.concatenate([np.full(row[2].shape[0], row[0]) for row in rows])
            if rows
            else np.zeros(0),
            "end_s": np.concatenate([np.full(row[2].shape[0], row[1]) for row in rows])
            if rows
            else np.zeros(0),
            "link_index": pair_link[pair],
            "label_index": label_of_pair[pair],
            "labels": labels,
            "bytes": np.concatenate([row[3] for row in rows]) if rows else np.zeros(0),
        }

    def streams(self) -> dict[str, list]:
        """Every change of a stream's delivered rate."""
        names = ["time_s", "stream_id", "label", "rate_bytes_per_s", "demand_bytes_per_s"]
        rows = self._stream_rows
        return {name: [row[i] for row in rows] for i, name in enumerate(names)}


class _Mirror:
    """numpy copies of parallel Python lists that only grow at the end.

    ``sync`` copies the new tail and the rows named as changed (or everything after
    ``forget``), so a copy is exactly what ``np.asarray`` of the lists would give.
    """

    def __init__(self, dtypes: tuple) -> None:
        self._dtypes = dtypes
        self._buffers = [np.zeros(0, dtype=dtype) for dtype in dtypes]
        self._size = 0

    def forget(self) -> None:
        self._size = 0

    def sync(self, lists: tuple[list, ...], changed, size: int | None = None) -> list[np.ndarray]:
        """Copies of the first ``size`` items of the lists (all of them by default); ``changed``
        names the rows that may have changed since the last sync."""
        if size is None:
            size = len(lists[0])
        done = self._size
        if size > self._buffers[0].shape[0]:
            capacity = max(size, 2 * self._buffers[0].shape[0], 64)
            self._buffers = [
                np.concatenate([buffer[:done], np.zeros(capacity - done, dtype=buffer.dtype)])
                for buffer in self._buffers
            ]
        if changed and done:
            rows = [k for k in changed if 0 <= k < done]
            if rows:
                index = np.asarray(rows, dtype=np.int64)
                take = itemgetter(*rows)
                for buffer, values in zip(self._buffers, lists, strict=True):
                    buffer[index] = take(values)  # one row: an item, which numpy broadcasts
        if size > done:
            for buffer, values, dtype in zip(self._buffers, lists, self._dtypes, strict=True):
                buffer[done:size] = np.asarray(values[done:size], dtype=dtype)
        self._size = size
        return [buffer[:size] for buffer in self._buffers]


def _flow_row(flow: _Flow, outcome: str) -> tuple:
    size = getattr(flow, "size", math.nan)
    kind = "transfer" if hasattr(flow, "size") else "stream"
    end = flow.finished_at if flow.finished_at is not None else math.nan
    return (flow.id, kind, flow.label, size, flow.delivered, flow.started_at, end, outcome)
