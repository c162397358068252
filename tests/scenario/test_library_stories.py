"""Each library scenario's story holds in its numbers, not just in its prose."""

from __future__ import annotations

from pathlib import Path

import pullsim
from pullsim.scenario.loader import read_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def summary_of(name: str, *overrides: str):
    scenario = read_scenario(SCENARIOS / name, list(overrides)).scenario
    result = pullsim.compare(scenario, seeds=[0])
    assert result.error is None
    rows = result.summary[result.summary["seed"] == 0]
    return rows.set_index("strategy"), result


def test_02_parallel_and_capped_pulls_finish_the_release_sooner():
    # Four new images per node over ECR connections of 400 Mbps on a 600 MiB/s disk: pulling
    # them one at a time is what delays the new pods.
    summary, _ = summary_of("02-rolling-update.yaml")
    p99 = summary["startup_p99_s"]
    assert p99["parallel"] < p99["capped-3"] < p99["serial"]
    assert (summary["pods_ready"] == summary["pods"]).all()


def test_06_the_cap_protects_the_consumer_and_parallel_barely_helps_startup():
    summary, _ = summary_of("06-data-consumer-slowdown.yaml")
    share = summary["workload_min_share"]
    assert share["serial"] == 1.0 and share["capped-2"] == 1.0
    assert share["parallel"] < share["capped-3"] < 1.0
    assert share["parallel"] < 0.5  # parallel pulls take more than half of what it needs
    p99 = summary["startup_p99_s"]
    # On a 125 MiB/s gp3 disk, parallel pulls start pods less than 10 % sooner than serial.
    assert 0.9 * p99["serial"] < p99["parallel"] < p99["serial"]
    assert summary.loc["parallel", "pull_qps_exceeded"] > 0
    assert summary.loc["serial", "pull_qps_exceeded"] == 0


def test_07_the_mirror_keeps_the_cluster_under_docker_hubs_limit():
    with_mirror, _ = summary_of("07-pull-through-mirror.yaml")
    assert (with_mirror["pods_ready"] == with_mirror["pods"]).all()
    direct, result = summary_of("07-pull-through-mirror.yaml", "registries[1].mirror_of=null")
    assert (direct["pods_ready"] < direct["pods"]).all()
    messages = result.events["message"]
    assert messages.str.contains("toomanyrequests").any()
