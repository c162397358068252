"""``compare`` summary columns on a case you can check on paper, and the per-strategy rows.

``summary`` has one row per run (strategy and seed), never a ``seed == -1`` row;
``summary_by_strategy`` one row per strategy with the means over its seeds.

One NIC-bound node (100 MB/s), four pods created at 0 s, each with its own 100 MB image, no
other delays. Pulls alone set the startup times:

- serial: one at a time, 1 s each: ready at 1, 2, 3, 4 s;
- parallel: four flows share 100 MB/s, 25 MB/s each: all ready at 4 s;
- capped at 2: two at 50 MB/s until 2 s, then the other two: 2, 2, 4, 4 s.

Percentiles are numpy's linear interpolation: for 1, 2, 3, 4 s, p50 sits at rank 1.5 -> 2.5 s,
p95 at rank 2.85 -> 3.85 s, p99 at rank 2.97 -> 3.97 s.
"""

import numpy as np
import pytest

import pullsim
from pullsim.results import FAILURE_REASONS
from pullsim.scenario import PoissonArrival, Strategy
from tests.kubelet.helpers import MB, container, image, pod_workload, scenario

STRATEGIES = {
    "serial": Strategy(),
    "parallel": Strategy(kubelet={"serializeImagePulls": False}),
    "capped-2": Strategy(kubelet={"maxParallelImagePulls": 2}),
}


def four_pods(**options):
    refs = [f"registry.test/app{k}:1" for k in range(4)]
    return scenario(
        [image(ref, (f"layer{k}", 100 * MB)) for k, ref in enumerate(refs)],
        [pod_workload(f"app{k}", container("app", ref)) for k, ref in enumerate(refs)],
        strategies=STRATEGIES,
        runtime="containerd-1.x",  # 3 downloads per pull; 2.x's node-wide 3 gives 3, 3, 3, 4 s
        **options,
    )


EXPECTED = {
    # strategy: (p50, p95, p99, max)
    "serial": (2.5, 3.85, 3.97, 4.0),
    "parallel": (4.0, 4.0, 4.0, 4.0),
    "capped-2": (3.0, 4.0, 4.0, 4.0),  # 2, 2, 4, 4: rank 1.5 -> 3; rank 2.85 -> 4
}


def test_summary_columns_on_paper():
    result = pullsim.compare(four_pods(), list(STRATEGIES), seeds=[0])
    summary = result.summary.set_index("strategy")
    assert list(summary.index) == ["serial", "parallel", "capped-2"]
    assert set(result.summary["seed"]) == {0}  # one row per run: no aggregate rows
    for strategy, (p50, p95, p99, most) in EXPECTED.items():
        row = summary.loc[strategy]
        got = (row["startup_p50_s"], row["startup_p95_s"], row["startup_p99_s"])
        assert got == pytest.approx((p50, p95, p99), abs=1e-6), strategy
        assert row["startup_max_s"] == pytest.approx(most, abs=1e-6)
        assert row["all_ready_s"] == pytest.approx(4.0, abs=1e-6)  # 400 MB through 100 MB/s
        assert (row["pods"], row["pods_ready"], row["pulls"]) == (4, 4, 4)
        assert row["registry_egress_bytes"] == pytest.approx(400 * MB)
        # The NIC caps the registry's egress at 100 MB/s whatever the strategy.
        assert row["registry_egress_peak_bytes_per_s"] == pytest.approx(100 * MB, rel=1e-6)
        failures = [row[f"failures_{r}"] for r in FAILURE_REASONS]
        assert failures == [0, 0, 0, 0] and row["pull_qps_exceeded"] == 0
        assert row["error"] == ""
    # The per-strategy frame exists with one seed too: one row each, seeds == 1, same values.
    by_strategy = result.summary_by_strategy.set_index("strategy")
    assert list(by_strategy["seeds"]) == [1, 1, 1]
    assert list(by_strategy["seed"]) == [-1, -1, -1]
    assert by_strategy.loc["serial", "startup_p95_s"] == pytest.approx(3.85, abs=1e-6)


def test_summary_by_strategy_holds_the_means_over_seeds_and_summary_only_runs():
    # Poisson arrivals: each seed creates the pods at other times, so per-seed rows differ.
    situation = four_pods(
        arrivals=tuple(
            PoissonArrival(workload=f"app{k}", rate_per_s=0.5, count=2) for k in range(4)
        ),
    )
    seeds = [0, 1, 2]
    result = pullsim.compare(situation, ["serial", "parallel"], seeds=seeds)
    runs = result.summary
    # One row per run, in run order (strategy, then seed); no seed == -1 row.
    assert list(zip(runs["strategy"], runs["seed"], strict=True)) == [
        (strategy, seed) for strategy in ("serial", "parallel") for seed in seeds
    ]
    assert (runs["seed"] >= 0).all()
    assert runs["pods"].dtype == np.int64  # counts stay integers: no mean rows mixed in
    by_strategy = result.summary_by_strategy.set_index("strategy")
    assert list(by_strategy.index) == ["serial", "parallel"]
    assert list(by_strategy["seeds"]) == [3, 3]
    for strategy in ("serial", "parallel"):
        mine = runs[runs["strategy"] == strategy]
        assert mine["startup_p99_s"].nunique() > 1  # the seeds really differ
        mean = mine["startup_p99_s"].mean()
        assert by_strategy.loc[strategy, "startup_p99_s"] == pytest.approx(mean)
        assert by_strategy.loc[strategy, "pods"] == 8.0  # a mean: float64
    assert by_strategy["pods"].dtype == np.float64
    assert by_strategy["seeds"].dtype == np.int64
    assert (result.summary_by_strategy["seed"] == -1).all()


@pytest.mark.parametrize("seeds", [[0], [0, 1], [3, 1, 2]])
def test_summary_never_has_an_aggregate_row(seeds):
    result = pullsim.compare(four_pods(), ["serial", "capped-2"], seeds=seeds)
    assert len(result.summary) == 2 * len(seeds)
    assert sorted(result.summary["seed"]) == sorted(seeds * 2)
    assert not (result.summary["seed"] == -1).any()
    assert list(result.summary_by_strategy["seeds"]) == [len(seeds)] * 2


def test_simulate_has_a_one_row_summary_by_strategy():
    one = pullsim.simulate(four_pods(), "capped-2")
    assert len(one.summary) == 1 and one.summary["seed"].iloc[0] >= 0
    assert len(one.summary_by_strategy) == 1
    row = one.summary_by_strategy.iloc[0]
    assert (row["strategy"], row["seed"], row["seeds"]) == ("capped-2", -1, 1)
    assert row["startup_p50_s"] == pytest.approx(3.0, abs=1e-6)
