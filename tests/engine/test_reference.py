"""The reference itself, against numbers worked out on paper."""

from __future__ import annotations

import math

import pytest

from .reference import Flow, TimedFlow, reference_finish_times, reference_rates, reference_run


def approx(values: list[float]) -> object:
    return pytest.approx(values, rel=1e-12, abs=1e-12)


def test_two_flows_share_one_link_equally() -> None:
    flows = [Flow({"egress": 1.0}), Flow({"egress": 1.0})]
    assert reference_rates({"egress": 100.0}, flows) == approx([50.0, 50.0])


def test_a_flow_bottlenecked_elsewhere_leaves_the_rest_to_others() -> None:
    # L1 = 10 is shared by A and B: 5 each. A then uses 5 of L2 = 20, leaving C 15.
    flows = [Flow({"L1": 1.0, "L2": 1.0}), Flow({"L1": 1.0}), Flow({"L2": 1.0})]
    assert reference_rates({"L1": 10.0, "L2": 20.0}, flows) == approx([5.0, 5.0, 15.0])


def test_a_capped_flow_leaves_its_share_to_the_others() -> None:
    flows = [Flow({"egress": 1.0}, cap=10.0), Flow({"egress": 1.0}), Flow({"egress": 1.0})]
    assert reference_rates({"egress": 100.0}, flows) == approx([10.0, 45.0, 45.0])


def test_caps_above_the_fair_share_do_not_bind() -> None:
    flows = [Flow({"egress": 1.0}, cap=60.0), Flow({"egress": 1.0}, cap=70.0)]
    assert reference_rates({"egress": 100.0}, flows) == approx([50.0, 50.0])


def test_a_flow_alone_with_a_cap_sits_at_it() -> None:
    assert reference_rates({"egress": 100.0}, [Flow({"egress": 1.0}, cap=30.0)]) == approx([30.0])


def test_weights_one_to_three() -> None:
    flows = [Flow({"egress": 1.0}, weight=1.0), Flow({"egress": 1.0}, weight=3.0)]
    assert reference_rates({"egress": 100.0}, flows) == approx([25.0, 75.0])


def test_a_coefficient_scales_the_use_of_a_disk() -> None:
    # A gzip layer writes 2.5 disk bytes per network byte: the 100 B/s disk allows 40 B/s.
    flows = [Flow({"nic": 1.0, "disk": 2.5})]
    assert reference_rates({"nic": 1000.0, "disk": 100.0}, flows) == approx([40.0])


def test_a_coefficient_with_a_competitor_on_the_disk() -> None:
    # Both at x: 2.5 x + x = 70 on the disk, so x = 20; the NIC (1000) is far from full.
    flows = [Flow({"nic": 1.0, "disk": 2.5}), Flow({"disk": 1.0})]
    assert reference_rates({"nic": 1000.0, "disk": 70.0}, flows) == approx([20.0, 20.0])


def test_a_link_out_of_service_stalls_its_flows_only() -> None:
    flows = [Flow({"down": 1.0, "up": 1.0}), Flow({"up": 1.0})]
    assert reference_rates({"down": 0.0, "up": 100.0}, flows) == approx([0.0, 100.0])


def test_two_levels_in_a_chain() -> None:
    # L1 = 30 holds A, B, C: 10 each. L2 = 100 holds C and D: D gets 90.
    flows = [Flow({"L1": 1.0}), Flow({"L1": 1.0}), Flow({"L1": 1.0, "L2": 1.0}), Flow({"L2": 1.0})]
    rates = reference_rates({"L1": 30.0, "L2": 100.0}, flows)
    assert rates == approx([10.0, 10.0, 10.0, 90.0])


def test_staggered_transfers_finish_as_on_paper() -> None:
    # Two 100 B flows on 100 B/s from 0 and 0.5 s: the first has 50 B left at 0.5 s, done at 1.5;
    # the second has 50 B left then, done at 2.0.
    flows = [
        TimedFlow(Flow({"egress": 1.0}), 0.0, 100.0),
        TimedFlow(Flow({"egress": 1.0}), 0.5, 100.0),
    ]
    assert reference_finish_times({"egress": 100.0}, flows) == approx([1.5, 2.0])


def test_an_outage_delays_a_transfer_by_its_length() -> None:
    flows = [TimedFlow(Flow({"egress": 1.0}), 0.0, 100.0)]
    changes = [(0.5, "egress", 0.0), (2.0, "egress", 100.0)]
    assert reference_finish_times({"egress": 100.0}, flows, changes) == approx([2.5])


def test_an_outage_that_never_ends_leaves_the_transfer_unfinished() -> None:
    flows = [TimedFlow(Flow({"egress": 1.0}), 0.0, 100.0)]
    outcome = reference_run({"egress": 100.0}, flows, [(0.5, "egress", 0.0)], horizon=10.0)
    assert outcome.finish == [math.inf]
    assert outcome.delivered == approx([50.0])


def test_a_stream_below_its_share_leaves_the_rest_to_a_transfer() -> None:
    # The stream asks 20 of 100 until 3 s: the transfer gets 80, then 100.
    flows = [
        TimedFlow(Flow({"egress": 1.0}, cap=20.0), 0.0, stop=3.0),
        TimedFlow(Flow({"egress": 1.0}), 0.0, 400.0),
    ]
    outcome = reference_run({"egress": 100.0}, flows)
    # 240 B by 3 s, then 160 B at 100 B/s: done at 4.6 s.
    assert outcome.finish == approx([3.0, 4.6])
    assert outcome.delivered == approx([60.0, 400.0])


def test_empty_transfer_finishes_when_it_starts() -> None:
    assert reference_finish_times(
        {"egress": 1.0}, [TimedFlow(Flow({"egress": 1.0}), 2.0, 0.0)]
    ) == [2.0]
