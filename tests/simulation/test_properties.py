"""Properties over small random situations (hypothesis), and determinism."""

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pullsim
from tests.kubelet.helpers import MB, container, image, pod_workload, scenario

NIC = 100 * MB


def situation(sizes, kubelet):
    images = [image(f"registry.test/i{k}:1", (f"l{k}", size * MB)) for k, size in enumerate(sizes)]
    pods = [
        pod_workload(f"w{k}", container("app", f"registry.test/i{k}:1")) for k in range(len(sizes))
    ]  # noqa: E501
    return scenario(images, pods, kubelet=kubelet, runtime="containerd-1.x", horizon_s=600)


def most_at_once(pulls) -> int:
    edges = sorted(
        [(t, 1) for t in pulls["started_s"]] + [(t, -1) for t in pulls["finished_s"]],
        key=lambda edge: (edge[0], edge[1]),
    )
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


SIZES = st.lists(st.integers(1, 300), min_size=1, max_size=6)
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(SIZES, st.sampled_from([None, 1, 2, 3]))
def test_no_pod_ready_before_its_bytes_could_arrive_and_caps_hold(sizes, cap):
    kubelet = {} if cap is None else {"serializeImagePulls": False, "maxParallelImagePulls": cap}
    if cap == 1:
        kubelet = {"serializeImagePulls": False}  # unlimited parallel
    result = pullsim.simulate(situation(sizes, kubelet)).raise_for_error()
    pulls = result.pulls[result.pulls["outcome"] == "pulled"]
    for k, size in enumerate(sizes):
        ready = result.pods.loc[result.pods["workload"] == f"w{k}", "ready_s"].iloc[0]
        assert ready >= size * MB / NIC - 1e-9
    limit = 1 if cap is None else (len(sizes) if cap == 1 else cap)
    assert most_at_once(pulls) <= limit


def test_same_scenario_and_seed_give_identical_frames():
    sizes = [50, 120, 80]
    first = pullsim.compare(situation(sizes, {}), seeds=[3])
    second = pullsim.compare(situation(sizes, {}), seeds=[3])
    for name in ("pods", "pulls", "layers", "events", "links", "workloads"):
        a, b = getattr(first, name), getattr(second, name)
        assert list(a.columns) == list(b.columns)
        assert pd.util.hash_pandas_object(a).equals(pd.util.hash_pandas_object(b))
        assert a.to_csv().encode() == b.to_csv().encode()
    drop = ["wall_s"]
    assert first.summary.drop(columns=drop).equals(second.summary.drop(columns=drop))


def test_compare_stacks_strategies_on_common_random_numbers():
    base = situation([100, 200], {})
    base = base.model_copy(
        update={
            "strategies": {
                "serial": pullsim.scenario.Strategy(kubelet={}),
                "parallel": pullsim.scenario.Strategy(kubelet={"serializeImagePulls": False}),
            }
        }
    )
    result = pullsim.compare(base, seeds=[0, 1])
    assert set(result.pods["strategy"]) == {"serial", "parallel"}
    summary = result.summary
    assert list(summary.columns[:3]) == ["scenario", "strategy", "seed"]
    assert set(summary["seed"]) == {0, 1}  # one row per run: no aggregate row
    assert len(summary) == 4
    assert set(result.summary_by_strategy["seed"]) == {-1}
    serial = summary[(summary["strategy"] == "serial") & (summary["seed"] == 0)].iloc[0]
    assert serial["all_ready_s"] > 2.99
