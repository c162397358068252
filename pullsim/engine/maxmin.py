"""Weighted max-min fair rates with per-flow caps and per-link coefficients.

The allocation problem (the one SimGrid's LMM solver and TCP-fair fluid models solve):

- link ``l`` has capacity ``C[l]`` (bytes/s);
- flow class ``k`` holds ``n[k]`` identical flows, each of weight ``w[k]`` and cap ``u[k]``
  (``inf`` for none), crossing links with coefficients ``c[k, l]`` (a flow at rate ``x`` uses
  ``c * x`` of the link: gzip decompression writes ~2.5 disk bytes per compressed byte);
- find rates ``x[k]`` such that every link holds ``sum_k n[k] c[k,l] x[k] <= C[l]`` and every class
  either sits at its cap or crosses a saturated link on which no class has a larger ``x / w``.

That solution is unique. We compute it by *parallel water-filling*: all unfrozen classes rise
together at ``x = w * level``; a link's fill level is ``remaining capacity / sum of n c w`` over its
unfrozen classes. A link whose fill level is no larger than that of any link (or cap) its classes
touch is a *local* bottleneck: fill levels only grow as other classes freeze, so its level is final
and all its unfrozen classes freeze there at once. Likewise a class whose cap level ``u / w`` is
below every level it sees freezes at its cap. Each round freezes every local bottleneck, so the
number of rounds is the depth of the bottleneck chain, not the number of distinct levels, and each
round is a handful of vectorised passes over the (class, link) entries.

Identical flows (same links, coefficients, weight and cap) are one class with a multiplicity: a
star of 25,000 flows over 5,000 nodes is 5,000 classes.
"""

from __future__ import annotations

import numpy as np

__all__ = ["solve_max_min"]


def solve_max_min(
    capacity: np.ndarray,
    entry_class: np.ndarray,
    entry_link: np.ndarray,
    entry_coefficient: np.ndarray,
    multiplicity: np.ndarray,
    weight: np.ndarray,
    cap: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-flow rate of each class under weighted max-min fairness with caps, and its bound.

    Returns ``(rates, bound)``: ``bound[k]`` is the link on which class ``k`` froze (a saturated
    link where it has the largest ``x / w``), or ``-1`` when it sits at its own cap.
    ``entry_class`` must be sorted (each class's entries contiguous) and every class must have at
    least one entry with a positive coefficient.
    """
    class_count = multiplicity.shape[0]
    link_count = capacity.shape[0]
    rates = np.zeros(class_count)
    bound = np.full(class_count, -1, dtype=np.int64)
    if class_count == 0:
        return rates, bound
    class_start = np.flatnonzero(np.r_[True, entry_class[1:] != entry_class[:-1]])
    link_order, link_start = _link_index(entry_link)

    demand = entry_coefficient * (multiplicity * weight)[entry_class]
    with np.errstate(divide="ignore", invalid="ignore"):
        cap_level = np.where(np.isfinite(cap), cap / weight, np.inf)
    remaining = capacity.astype(float, copy=True)
    frozen = np.zeros(class_count, dtype=bool)
    entry_unfrozen = np.ones(entry_class.shape[0], dtype=bool)
    entry_link_sorted = entry_link[link_order]
    used_links = entry_link_sorted[link_start]
    entry_position = np.arange(entry_class.shape[0])
    no_entry = entry_class.shape[0]

    while True:
        denominator = np.bincount(
            entry_link, weights=np.where(entry_unfrozen, demand, 0.0), minlength=link_count
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            level = np.where(denominator > 0, np.maximum(remaining, 0.0) / denominator, np.inf)
        entry_level = np.where(entry_unfrozen, level[entry_link], np.inf)
        class_level = np.minimum(np.minimum.reduceat(entry_level, class_start), cap_level)
        class_level[frozen] = np.inf
        # The lowest level each link's unfrozen classes see anywhere.
        seen = np.minimum.reduceat(class_level[entry_class][link_order], link_start)
        link_seen = np.full(link_count, np.inf)
        link_seen[used_links] = seen
        local_bottleneck = (denominator > 0) & (level <= link_seen)
        entry_freezes = local_bottleneck[entry_link] & entry_unfrozen
        first_freezing_entry = np.minimum.reduceat(
            np.where(entry_freezes, entry_position, no_entry), class_start
        )
        freeze_by_link = first_freezing_entry < no_entry
        freeze = ~frozen & (freeze_by_link | (cap_level <= class_level))
        if not freeze.any():
            break
        rates[freeze] = weight[freeze] * class_level[freeze]
        by_link = freeze & freeze_by_link
        bound[by_link] = entry_link[first_freezing_entry[by_link]]
        frozen |= freeze
        newly = freeze[entry_class]
        remaining -= np.bincount(
            entry_link,
            weights=np.where(newly, demand * class_level[entry_class], 0.0),
            minlength=link_count,
        )
        entry_unfrozen &= ~newly
        if frozen.all():
            break
    return rates, bound


def _link_index(entry_link: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Entries grouped by link: a stable order and the start of each used link's run."""
    order = np.argsort(entry_link, kind="stable")
    sorted_links = entry_link[order]
    starts = np.flatnonzero(np.r_[True, sorted_links[1:] != sorted_links[:-1]])
    return order, starts
