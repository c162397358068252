"""A running workload asking 80 MB/s of a 100 MB/s NIC while a 400 MB image is pulled."""

import pytest

import pullsim
from pullsim.scenario import RunningWorkloadSpec
from tests.kubelet.helpers import MB, container, image, pod_workload, scenario


def test_slowdown_equals_the_max_min_share():
    # Max-min on the NIC: the pull is uncapped, the workload capped at 80: each gets 50 MB/s.
    # The pull takes 400 / 50 = 8 s; the workload's share is 50 / 80 = 0.625 meanwhile.
    # With utilisation 0.5 the M/M/1 inflation is (1 - 0.5) / (0.625 - 0.5) = 4.
    consumer = RunningWorkloadSpec(
        name="consumer", demands={"nic-rx": 80 * MB}, utilisation=0.5, stop_s=20
    )
    result = pullsim.simulate(
        scenario(
            [image("registry.test/big:1", ("big", 400 * MB))],
            [pod_workload("web", container("app", "registry.test/big:1"))],
            running_workloads=(consumer,),
            horizon_s=30,
        )
    ).raise_for_error()
    assert result.pulls["finished_s"].iloc[0] == pytest.approx(8, abs=1e-6)
    rows = result.workloads
    slow = rows[rows["share"] < 1]
    assert slow["share"].tolist() == pytest.approx([0.625])
    assert slow["start_s"].iloc[0] == pytest.approx(0) and slow["end_s"].iloc[0] == pytest.approx(8)
    assert slow["response_time_inflation"].iloc[0] == pytest.approx(4)
    summary = result.summary.iloc[0]
    assert summary["workload_deficit_bytes"] == pytest.approx(8 * 30 * MB)
    assert summary["workload_below_90_percent_s"] == pytest.approx(8)
    assert summary["workload_min_share"] == pytest.approx(0.625)
    assert summary["workload_peak_response_time_inflation"] == pytest.approx(4)


def test_connections_weigh_the_workload_share():
    # The same workload over 3 connections has weight 3 against the pull's 1: on 100 MB/s it
    # gets 3/4 of the NIC, 75 MB/s (under its 80), the pull 25 MB/s: 400 / 25 = 16 s.
    # Share 75 / 80 = 0.9375; M/M/1 inflation (1 - 0.5) / (0.9375 - 0.5) = 8/7.
    consumer = RunningWorkloadSpec(
        name="consumer", demands={"nic-rx": 80 * MB}, utilisation=0.5, stop_s=40, connections=3
    )
    result = pullsim.simulate(
        scenario(
            [image("registry.test/big:1", ("big", 400 * MB))],
            [pod_workload("web", container("app", "registry.test/big:1"))],
            running_workloads=(consumer,),
            horizon_s=60,
        )
    ).raise_for_error()
    assert result.pulls["finished_s"].iloc[0] == pytest.approx(16, abs=1e-6)
    summary = result.summary.iloc[0]
    assert summary["workload_min_share"] == pytest.approx(0.9375)
    assert summary["workload_peak_response_time_inflation"] == pytest.approx(8 / 7)
