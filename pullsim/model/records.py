"""Append-only records of a run: one plain dict per pull, per layer of a pull, per event.

Rows are dicts with stable keys (units in the names), so ``pandas.DataFrame(rows)`` is all a
caller needs (:func:`pullsim.results.records_to_frame`); nothing here imports pandas.

- ``pulls``: node, image, image_digest, runtime, attempt credential, started_s, resolved_s,
  finished_s, bytes_downloaded, outcome (``pulled``, ``already-present``, ``failed``), error.
- ``layers``: node, image, layer_digest, layer_index, bytes, uncompressed_bytes, codec,
  download_started_s, download_finished_s, unpack_started_s, unpack_finished_s, connection
  (the download slot used, -1 when none), attempts, outcome (``downloaded``, ``shared``,
  ``blob-present``, ``present``, ``failed``).
- ``events``: time_s, node, object, type, reason, message (kubelet-style, e.g.
  ``FreeDiskSpaceFailed``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Records"]


@dataclass
class Records:
    """The rows one simulation appends to; share one instance between nodes."""

    pulls: list[dict[str, Any]] = field(default_factory=list)
    layers: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def event(
        self, time_s: float, node: str, reason: str, message: str, *, type: str = "Normal"
    ) -> None:
        self.events.append(
            {
                "time_s": time_s,
                "node": node,
                "object": f"node/{node}",
                "type": type,
                "reason": reason,
                "message": message,
            }
        )
