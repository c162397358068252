"""Arrivals on paper: a rolling update in waves, a Poisson stream, nodes joining.

One NIC-bound node (100 MB/s) and 100 MB images: a pull takes 1 s. Starting a container takes
1 s (``container_start_s``), so a pod whose image is present is ready 1 s after creation.

Rolling updates follow the Deployment controller (``pkg/controller/deployment/rolling.go``):
new pods while all pods stay within ``replicas + maxSurge``, old pods scaled down while the
available (ready) pods stay at least ``replicas - maxUnavailable``; percentages are taken of
``replicas`` and round up for maxSurge, down for maxUnavailable
(``deploymentutil.ResolveFenceposts``, ``intstr.GetScaledValueFromIntOrPercent``).
"""

import math

import numpy as np
import pytest

import pullsim
from pullsim.model.cluster import scaled_value
from pullsim.scenario import (
    BurstArrival,
    NodeJoinArrival,
    PodTimingsSpec,
    PoissonArrival,
    RollingUpdateArrival,
    Strategy,
)
from tests.kubelet.helpers import MB, container, image, nic_bound_pool, pod_workload, scenario

V1, V2 = "registry.test/web:1", "registry.test/web:2"


def approx(values):
    # Unpacking the uncompressed layer on the 1e15 B/s disk adds 1e-7 s per pull.
    return pytest.approx(values, abs=1e-6)


ONE_SECOND_START = PodTimingsSpec(sandbox_start_s=0, container_start_s=1, resync_jitter=0)


@pytest.mark.parametrize(
    ("value", "total", "up", "expected"),
    [
        ("25%", 10, True, 3),  # 2.5 -> 3 (surge rounds up)
        ("25%", 10, False, 2),  # 2.5 -> 2 (unavailable rounds down)
        ("25%", 4, True, 1),
        ("25%", 4, False, 1),
        ("10%", 4, True, 1),  # 0.4 -> 1
        ("10%", 4, False, 0),  # 0.4 -> 0
        (2, 10, True, 2),
        ("3", 10, False, 3),
    ],
)
def test_scaled_values_round_as_upstream(value, total, up, expected):
    assert scaled_value(value, total, round_up=up) == expected


def rolling(replicas: int, max_surge, max_unavailable, **options):
    web = pod_workload("web", container("app", V1), replicas=replicas)
    situation = scenario(
        [image(V1, ("v1", 100 * MB)), image(V2, ("v2", 100 * MB))],
        [web],
        pod_timings=ONE_SECOND_START,
        pool=nic_bound_pool(max_pods=50),
        arrivals=(
            BurstArrival(workload="web"),
            RollingUpdateArrival(
                workload="web",
                at_s=10,
                images={"app": V2},
                max_surge=max_surge,
                max_unavailable=max_unavailable,
            ),
        ),
        **options,
    )
    return pullsim.simulate(situation).raise_for_error().pods


def at_every_instant(pods):
    """(time, pods existing, pods ready) after each instant where something changed."""
    times = sorted(
        set(pods["created_s"]) | set(pods["ready_s"].dropna()) | set(pods["deleted_s"].dropna())
    )
    for t in times:
        exists = (pods["created_s"] <= t) & ~(pods["deleted_s"] <= t)
        ready = exists & (pods["ready_s"] <= t)
        yield t, int(exists.sum()), int(ready.sum())


def test_one_at_a_time_with_surge_1_unavailable_0():
    # replicas 4, maxSurge 1, maxUnavailable 0: at most 5 pods, at least 4 ready.
    # Old pods ready at 2 s (1 s pull + 1 s start). At 10 s one new pod: pull 1 s, start 1 s,
    # ready at 12; then one old pod goes and the next new one comes, whose image is now
    # present: ready 1 s later. Waves at 12, 13, 14, 15.
    pods = rolling(4, 1, 0)
    new = pods[pods["revision"] == 1].sort_values("created_s")
    old = pods[pods["revision"] == 0]
    assert list(old["ready_s"]) == approx([2.0] * 4)
    assert list(new["created_s"]) == approx([10.0, 12.0, 13.0, 14.0])
    assert list(new["ready_s"]) == approx([12.0, 13.0, 14.0, 15.0])
    assert sorted(old["deleted_s"]) == approx([12.0, 13.0, 14.0, 15.0])
    for t, exists, ready in at_every_instant(pods):
        assert exists <= 4 + 1, t
        if t >= 2:
            assert ready >= 4 - 0, t


def test_waves_with_percentages_25_25_of_10():
    # replicas 10: maxSurge 25% -> 3 (up), maxUnavailable 25% -> 2 (down): at most 13 pods,
    # at least 8 ready.
    # 10 s: 3 new (13 pods); 10 ready, 2 above 8: two old deleted; room for 2 more new: 5 new,
    #       8 old. The new ones share one pull (1 s) and start 1 s later: ready at 12.
    # 12 s: 5 + 8 = 13 ready, 5 above 8: five old deleted (3 left), five new created, whose
    #       image is present: ready at 13.
    # 13 s: 10 + 3 ready: the last three old pods go.
    pods = rolling(10, "25%", "25%", kubelet={"serializeImagePulls": False})
    new = pods[pods["revision"] == 1]
    old = pods[pods["revision"] == 0]
    assert sorted(new["created_s"]) == approx([10.0] * 5 + [12.0] * 5)
    assert sorted(new["ready_s"]) == approx([12.0] * 5 + [13.0] * 5)
    assert sorted(old["deleted_s"]) == approx([10.0] * 2 + [12.0] * 5 + [13.0] * 3)
    assert set(new["final_reason"]) == {"Running"} and set(old["final_reason"]) == {"Deleted"}
    peak_pods = max(exists for _, exists, _ in at_every_instant(pods))
    assert peak_pods == 13  # the surge is used in full, never exceeded
    for t, exists, ready in at_every_instant(pods):
        assert exists <= 13, t
        if t >= 2:
            assert ready >= 8, t


def test_not_ready_old_pods_go_first_without_waiting():
    # The old image does not exist in the registry: old pods never become ready. Even with
    # maxUnavailable 0 the controller removes unhealthy old pods first
    # (cleanupUnhealthyReplicas), so the new pods do not wait for them.
    # 10 s: 2 pods + surge 1 = 3 -> one new; both old (not ready) deleted -> one more new.
    # The two new pods share one 1 s pull and start 1 s later: ready at 12.
    web = pod_workload("web", container("app", "registry.test/web:missing"), replicas=2)
    situation = scenario(
        [image(V2, ("v2", 100 * MB))],
        [web],
        pod_timings=ONE_SECOND_START,
        arrivals=(
            BurstArrival(workload="web"),
            RollingUpdateArrival(
                workload="web", at_s=10, images={"app": V2}, max_surge=1, max_unavailable=0
            ),
        ),
    )
    pods = pullsim.simulate(situation).raise_for_error().pods
    old = pods[pods["revision"] == 0]
    new = pods[pods["revision"] == 1]
    assert old["ready_s"].isna().all()
    assert list(old["deleted_s"]) == approx([10.0, 10.0])
    assert sorted(new["created_s"]) == approx([10.0, 10.0])
    assert sorted(new["ready_s"]) == approx([12.0, 12.0])


# ------------------------------------------------------------------ Poisson arrivals
def poisson_scenario(rate: float, count: int, **options):
    # The image is on the node from the start: pods start without pulling.
    web = pod_workload("web", container("app", V1))
    return scenario(
        [image(V1, ("v1", 100 * MB))],
        [web],
        pool=nic_bound_pool(max_pods=count + 10, images_at_start=(V1,)),
        arrivals=(PoissonArrival(workload="web", rate_per_s=rate, start_s=5, count=count),),
        horizon_s=count / rate * 3 + 60,
        **options,
    )


def test_poisson_same_seed_same_times_other_seed_other_times():
    situation = poisson_scenario(2.0, 50)
    first = pullsim.simulate(situation, seed=7).pods["created_s"].to_numpy()
    again = pullsim.simulate(situation, seed=7).pods["created_s"].to_numpy()
    other = pullsim.simulate(situation, seed=8).pods["created_s"].to_numpy()
    assert len(first) == 50
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    assert first[0] > 5 and np.all(np.diff(first) >= 0)  # from start_s, in order


def test_poisson_mean_gap_is_one_over_rate():
    # 2000 gaps of mean 0.5 s: the sample mean has a standard error of 0.5 / sqrt(2000) =
    # 0.011 s; 5 standard errors is 0.056 s. The gaps are exponential: their coefficient of
    # variation is 1 (standard error of the sample standard deviation ~ 0.5 / sqrt(2 x 2000)).
    created = pullsim.simulate(poisson_scenario(2.0, 2000), seed=1).pods["created_s"].to_numpy()
    gaps = np.diff(np.concatenate([[5.0], created]))
    assert abs(gaps.mean() - 0.5) < 0.056
    assert abs(gaps.std() - 0.5) < 0.06
    # P(gap > 1 s) = e^-2 = 0.135 for an exponential of rate 2.
    assert abs((gaps > 1.0).mean() - math.exp(-2)) < 0.04


def test_poisson_arrivals_are_common_random_numbers_across_strategies():
    # Strategies change pulls and retries, not when pods are created: the arrival stream has
    # its own seeded generator. Here the pods pull (no image at start) under very different
    # strategies, one of which fails pulls on QPS and retries with jitter.
    web = pod_workload("web", container("app", V1))
    situation = scenario(
        [image(V1, ("v1", 100 * MB))],
        [web],
        pool=nic_bound_pool(max_pods=100),
        arrivals=(PoissonArrival(workload="web", rate_per_s=20.0, count=40),),
        strategies={
            "serial": Strategy(),
            "parallel-qps-1": Strategy(
                kubelet={"serializeImagePulls": False, "registryPullQPS": 1, "registryBurst": 1}
            ),
        },
    )
    both = pullsim.compare(situation, ["serial", "parallel-qps-1"], seeds=[3])
    pods = both.pods
    serial = pods[pods["strategy"] == "serial"].sort_values("pod")
    parallel = pods[pods["strategy"] == "parallel-qps-1"].sort_values("pod")
    assert np.array_equal(serial["created_s"].to_numpy(), parallel["created_s"].to_numpy())
    # ... while the runs themselves differ (otherwise the check above would prove nothing).
    assert both.summary.set_index("strategy").loc["parallel-qps-1", "pull_qps_exceeded"] > 0
    assert not np.array_equal(serial["ready_s"].to_numpy(), parallel["ready_s"].to_numpy())


# ------------------------------------------------------------------ nodes joining
def test_a_joining_node_gets_its_daemonset_pod_and_the_pending_pods_at_once():
    # max_pods 2: the first node holds the DaemonSet pod and one web pod; two web pods pend.
    # At 30 s two nodes join: each gets a DaemonSet pod (bound directly) and a pending web pod,
    # all at 30 s. Serial pulls per node, in the order the pod workers ask: the log shipper's
    # 50 MB image (0.5 s) then web's 100 MB (1 s): ready at 30.5 and 31.5 (start 0 s).
    logs = pod_workload("logs", container("ship", "registry.test/logs:1"), kind="DaemonSet")
    web = pod_workload("web", container("app", V1), replicas=3)
    situation = scenario(
        [image(V1, ("v1", 100 * MB)), image("registry.test/logs:1", ("logs", 50 * MB))],
        [logs, web],
        pool=nic_bound_pool(max_pods=2),
        arrivals=(
            BurstArrival(workload="logs"),
            BurstArrival(workload="web"),
            NodeJoinArrival(node_pool="node", count=2, at_s=30),
        ),
    )
    result = pullsim.simulate(situation).raise_for_error()
    pods = result.pods.set_index("pod")
    assert pods.loc["logs-node-0000", "scheduled_s"] == 0
    for node in ("node-0001", "node-0002"):
        daemon = pods.loc[f"logs-{node}"]
        assert (daemon["created_s"], daemon["scheduled_s"], daemon["node"]) == (30, 30, node)
        assert daemon["ready_s"] == pytest.approx(30.5)
    web_pods = pods[pods["workload"] == "web"].sort_values("scheduled_s")
    assert list(web_pods["created_s"]) == [0.0, 0.0, 0.0]
    assert list(web_pods["scheduled_s"]) == [0.0, 30.0, 30.0]
    assert set(web_pods["node"]) == {"node-0000", "node-0001", "node-0002"}
    assert list(web_pods["ready_s"]) == pytest.approx([1.5, 31.5, 31.5])
    waiting = result.events[result.events["reason"] == "FailedScheduling"]
    assert len(waiting) == 2 and set(waiting["time_s"]) == {0.0}
    assert (pods["final_reason"] == "Running").all()
