"""One NIC-bound node (100 MB/s), four pods with one image each of 100, 200, 300, 400 MB, all
created at t = 0. containerd 1.x (3 downloads per pull) so that only the kubelet's puller
decides how many pulls share the NIC. Unpacking is free (uncompressed layers, fast disk)."""

import pytest

import pullsim
from tests.kubelet.helpers import MB, container, image, pod_workload, scenario

IMAGES = [image(f"registry.test/i{k}:1", (f"l{k}", 100 * MB * (k + 1))) for k in range(4)]
PODS = [pod_workload(f"w{k}", container("app", f"registry.test/i{k}:1")) for k in range(4)]


def finishes(kubelet):
    result = pullsim.simulate(scenario(IMAGES, PODS, kubelet=kubelet, runtime="containerd-1.x"))
    result.raise_for_error()
    return result, result.pulls.sort_values("image")["finished_s"].tolist()


def test_serial_completion_times_are_cumulative():
    # 1 s, then 2 s more, 3 s more, 4 s more.
    result, done = finishes({})
    assert done == pytest.approx([1, 3, 6, 10], abs=1e-6)
    assert result.pods["ready_s"].tolist() == pytest.approx([1, 3, 6, 10], abs=1e-6)
    # The fourth waited 6 s in the queue: "in 4s (10s including waiting)".
    messages = result.events[result.events["reason"] == "Pulled"]["message"].tolist()
    assert messages[-1] == (
        'Successfully pulled image "registry.test/i3:1" in 4s (10s including waiting). '
        "Image size: 400000000 bytes."
    )


def test_parallel_pulls_share_the_nic_fairly():
    # 4 flows at 25 MB/s: 100 MB done at 4 s; 3 at 33.3: +100 MB at 7 s; 2 at 50: 9 s; 10 s.
    _, done = finishes({"serializeImagePulls": False})
    assert done == pytest.approx([4, 7, 9, 10], abs=1e-6)


def test_a_cap_of_two_lies_in_between():
    # i0, i1 at 50: i0 at 2 s; i1 (100 MB left) with i2: i1 at 4 s; i2 (200 left) with i3 at
    # 50 each: i2 at 8 s; i3 (200 left) alone: 10 s.
    result, done = finishes({"maxParallelImagePulls": 2})
    assert done == pytest.approx([2, 4, 8, 10], abs=1e-6)
    started = result.pulls.sort_values("image")["started_s"].tolist()
    assert started == pytest.approx([0, 0, 2, 4], abs=1e-6)


def test_init_containers_delay_app_container_pulls():
    # init pull 1 s, init runs 5 s, then the app image is asked for at 6 s and takes 2 s.
    from pullsim.kube import ContainerKind

    workload = pod_workload(
        "job",
        container("app", "registry.test/i1:1"),
        init=[container("migrate", "registry.test/i0:1", kind=ContainerKind.INIT)],
    )
    result = pullsim.simulate(
        scenario(IMAGES, [workload], run_seconds={"job": {"migrate": 5.0}})
    ).raise_for_error()
    pulls = result.pulls.set_index("container")
    assert pulls.loc["migrate", "finished_s"] == pytest.approx(1, abs=1e-6)
    assert pulls.loc["app", "requested_s"] == pytest.approx(6, abs=1e-6)
    assert result.pods["ready_s"].iloc[0] == pytest.approx(8, abs=1e-6)
    assert result.pods["init_running_s"].iloc[0] == pytest.approx(5)


def test_a_failed_app_pull_does_not_stop_the_next_container():
    workload = pod_workload(
        "two",
        container("missing", "registry.test/nope:1"),
        container("app", "registry.test/i0:1"),
    )
    result = pullsim.simulate(scenario(IMAGES, [workload], horizon_s=5)).raise_for_error()
    first = result.pulls.iloc[:2]
    assert first["container"].tolist() == ["missing", "app"]
    assert first["outcome"].tolist() == ["failed", "pulled"]
    assert result.pods["final_reason"].iloc[0] == "ErrImagePull"


def test_the_serial_queue_holds_ten_requests_and_blocks_the_eleventh_sender():
    # puller.go: one worker reading a channel of 10. Twelve pod workers ask at t = 0 for pulls
    # of 1 s each: the worker takes the first, ten wait in the channel, the twelfth sender
    # blocks until the worker takes the second (at 1 s). Pulls finish at 1, 2, ..., 12 s.
    from pullsim.engine import Environment
    from pullsim.model.kubelet import SerialImagePuller

    env = Environment()
    puller = SerialImagePuller(env)
    finished = []

    def sender(number):
        def run():
            yield env.timeout(1.0)
            return number

        def pull():
            requested = env.now
            value = yield from puller.pull(run)
            finished.append((value, env.now, requested))

        return pull()

    for number in range(12):
        env.process(sender(number))
    env.run(until=0.5)
    assert (len(puller.queue), len(puller.blocked)) == (10, 1)
    env.run(until=1.5)
    assert (len(puller.queue), len(puller.blocked)) == (10, 0)
    env.run()
    assert [(value, time) for value, time, _ in finished] == [(n, n + 1.0) for n in range(12)]
    assert puller.peak_active == 1
