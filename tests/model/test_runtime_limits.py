"""The progress timeout, a full disk, and image garbage collection."""

from __future__ import annotations

import pytest

from pullsim.engine import Environment, Network
from pullsim.model import (
    CONTAINERD_2,
    ImageGarbageCollector,
    ImageGCPolicy,
    RuntimeProfile,
    image_from_layers,
)
from pullsim.model.runtime import go_duration


def approx(value):
    return pytest.approx(value, rel=1e-12, abs=1e-12)


def test_go_duration():
    assert [go_duration(s) for s in (300, 90, 10, 3600, 5400)] == [
        "5m0s",
        "1m30s",
        "10s",
        "1h0m0s",
        "1h30m0s",
    ]


def test_a_starved_pull_is_cancelled_at_exactly_five_minutes(world):
    registry = world.registry(round_trip_s=0.01)
    registry.push(image_from_layers("docker.io/library/app:1", [("a", 100e6), ("b", 100e6)]))
    registry.egress.set_capacity(0.0)  # an outage: connections open, no byte flows
    runtime = world.node()
    box = world.run_pull(runtime, "app:1")
    world.env.run()
    (result,) = box
    # containerd's watchdog ticks every 10 s from the pull's start; the downloads are active
    # but read nothing, so the 30th tick (300 s) cancels the pull.
    assert not result.ok
    assert result.finished_s == approx(300.0)
    assert result.error == (
        "cancel pulling image docker.io/library/app:1 because of no progress in 5m0s"
    )
    assert result.bytes_downloaded == 0
    assert {row["outcome"] for row in world.records.layers} == {"failed"}
    assert runtime.node.disk_used_bytes == 0  # reservations of the cancelled blobs returned


def test_a_pull_starved_midway_is_cancelled_five_minutes_after_the_last_tick_with_progress(world):
    registry = world.registry(round_trip_s=0.0)
    registry.push(image_from_layers("docker.io/library/app:1", [("a", 1e9)]))
    runtime = world.node(nic_receive_bytes_per_s=100e6)
    box = world.run_pull(runtime, "app:1")

    def outage():
        yield world.env.timeout(5.0)
        runtime.node.nic_receive.set_capacity(0.0)

    world.env.process(outage())
    world.env.run()
    # 500 MB arrive by 5 s; the tick at 10 s still sees more bytes than at 0 s, so the last
    # progress is at 10 s and the cancel comes at the tick 300 s later: 310 s.
    assert box[0].finished_s == approx(310.0)
    assert box[0].bytes_downloaded == pytest.approx(500e6)


def _outages(world, link, *changes):
    """Set ``link``'s capacity at the given times: ``(time, capacity), ...``."""

    def run():
        for time, capacity in changes:
            yield world.env.timeout(time - world.env.now)
            link.set_capacity(capacity)

    world.env.process(run())


@pytest.mark.parametrize(
    ("outage_at", "cancelled_at"),
    [
        # Ticks at 10, 20, 30, 40 see bytes; bytes also move from 40 to 47, so the tick at 50
        # still sees more than at 40: last progress at 50, cancel at 350.
        (47.0, 350.0),
        # The tick at 40 comes first at its instant and sees bytes; nothing moves after it, so
        # the tick at 50 sees none: last progress at 40, cancel at 340.
        (40.0, 340.0),
    ],
)
def test_a_stall_after_ticks_without_one_cancels_on_the_same_tick_grid(
    world, outage_at, cancelled_at
):
    # While no link is at zero capacity the watchdog sleeps; when the NIC drops to zero it
    # resumes with the state its ticks would have had.
    registry = world.registry(round_trip_s=0.0)
    registry.push(image_from_layers("docker.io/library/app:1", [("a", 10e9)]))
    runtime = world.node(nic_receive_bytes_per_s=100e6)
    box = world.run_pull(runtime, "app:1")
    _outages(world, runtime.node.nic_receive, (outage_at, 0.0))
    world.env.run()
    assert box[0].finished_s == approx(cancelled_at)
    assert box[0].bytes_downloaded == pytest.approx(100e6 * outage_at)


def test_a_watchdog_sleeps_again_after_an_outage_and_wakes_for_the_next(world):
    registry = world.registry(round_trip_s=0.0)
    registry.push(image_from_layers("docker.io/library/app:1", [("a", 10e9)]))
    runtime = world.node(nic_receive_bytes_per_s=10e6)
    box = world.run_pull(runtime, "app:1")
    # Outage 5-100 s (< 5 min: no cancel; the tick at 110 sees bytes again), then from 200 s
    # on. The tick at 200 comes before the second outage and sees bytes: cancel at 500.
    link = runtime.node.nic_receive
    _outages(world, link, (5.0, 0.0), (100.0, 10e6), (200.0, 0.0))
    world.env.run()
    assert box[0].finished_s == approx(500.0)
    assert box[0].bytes_downloaded == pytest.approx(10e6 * (5 + 100))


def test_an_outage_elsewhere_wakes_watchdogs_without_cancelling_anything(world):
    registry = world.registry(round_trip_s=0.0)
    registry.push(image_from_layers("docker.io/library/app:1", [("a", 4e9)]))
    runtime = world.node(nic_receive_bytes_per_s=10e6)
    other = world.node("node-b")
    box = world.run_pull(runtime, "app:1")
    _outages(world, other.node.nic_receive, (15.0, 0.0))  # node-b's NIC: not on this pull's path
    world.env.run()
    assert box[0].ok and box[0].finished_s > 400.0  # 4e9 B at 10 MB/s, then the unpack


class _CountingEnvironment(Environment):
    steps = 0

    def step(self) -> None:
        self.steps += 1
        super().step()


def test_a_long_pull_on_links_that_never_stall_schedules_no_watchdog_tick():
    # 1,000 s of download: containerd's ticker would fire 100 times; here no event is spent
    # on them, as none of them could cancel anything.
    from tests.model.conftest import World

    world = World()
    world.env = _CountingEnvironment()
    world.network = Network(world.env)
    registry = world.registry(round_trip_s=0.0)
    registry.push(image_from_layers("docker.io/library/app:1", [("a", 10e9)]))
    runtime = world.node(nic_receive_bytes_per_s=10e6)
    box = world.run_pull(runtime, "app:1")
    world.env.run()
    assert box[0].ok and box[0].finished_s > 1000.0
    assert world.env.steps < 50  # ~20 (requests, transfers, rate updates); with ticks: 120+


def test_docker_profile_has_no_progress_timeout(world):
    from pullsim.model import DOCKER

    registry = world.registry(round_trip_s=0.0)
    registry.push(image_from_layers("docker.io/library/app:1", [("a", 1e6)]))
    registry.egress.set_capacity(0.0)
    runtime = world.node(profile=DOCKER)
    box = world.run_pull(runtime, "app:1")

    def restore():
        yield world.env.timeout(1000.0)
        registry.egress.set_capacity(1e6)

    world.env.process(restore())
    world.env.run()
    assert box[0].ok and box[0].finished_s > 1001.0


def test_a_pull_that_does_not_fit_fails_with_no_space_left_on_device(world):
    registry = world.registry(round_trip_s=0.0)
    registry.push(image_from_layers("docker.io/library/big:1", [("big", 100e6)]))
    # 100 MB blob fits in 350 MB; its 300 MB snapshot then does not.
    runtime = world.node(disk_capacity_bytes=350e6)
    box = world.run_pull(runtime, "big:1")
    world.env.run()
    assert not box[0].ok
    assert box[0].error.startswith(
        'failed to pull and unpack image "docker.io/library/big:1": failed to extract layer '
    )
    assert box[0].error.endswith("no space left on device: unknown")
    assert runtime.node.disk_used_bytes == 100e6  # the blob stays in the content store
    assert not runtime.has_image("big:1")


# A profile whose disk usage is exactly the unpacked sizes, as the kubelet sees them.
UNPACKED = RuntimeProfile(
    "unpacked-only", keeps_compressed_blobs=False, reported_size="uncompressed"
)


def test_gc_frees_never_used_then_least_recently_used_down_to_the_low_threshold(world):
    def image(name):  # 100 MB unpacked each, no shared layers
        return image_from_layers(f"docker.io/library/{name}:1", [(name, 100e6 / 3, 100e6)])

    pause = image_from_layers("registry.k8s.io/pause:3.10", [("pause", 1e6, 10e6)])
    images = [pause, image("never"), image("old"), image("recent"), image("running")]
    runtime = world.node(
        profile=UNPACKED,
        images_at_start=tuple(images),
        disk_capacity_bytes=1000e6,
        disk_used_bytes_at_start=560e6,
    )
    runtime.find_image("registry.k8s.io/pause:3.10").pinned = True
    gc = ImageGarbageCollector(runtime, ImageGCPolicy(85, 80, 120.0))

    def scenario():
        yield world.env.timeout(50)
        runtime.container_started("old:1")
        runtime.container_removed("old:1")  # last used at 50
        yield world.env.timeout(50)
        runtime.container_started("recent:1")
        runtime.container_removed("recent:1")  # last used at 100
        runtime.container_started("running:1")  # in use
        yield world.env.timeout(900)
        gc.collect()

    world.env.process(scenario())
    world.env.run()
    (result,) = gc.results
    # Used 560 + 10 + 4 x 100 = 970 MB: available 30 MB, usage 97 % >= 85 %.
    # To free: 1000 MB x 20 % - 30 MB = 170 MB. "never" (never used) goes first, 100 MB;
    # then "old" (last used at 50 s): 200 MB >= 170 MB, stop. "recent" stays.
    assert result.usage_percent == 97
    assert result.bytes_to_free == 170_000_000
    assert result.removed == ("docker.io/library/never:1", "docker.io/library/old:1")
    assert result.bytes_freed_on_disk == 200e6
    assert runtime.node.disk_used_bytes == 770e6  # 77 %, below the low threshold
    assert runtime.has_image("recent:1") and runtime.has_image("running:1")
    assert runtime.has_image("registry.k8s.io/pause:3.10")
    assert world.records.events == []


def test_gc_respects_minimum_age_and_reports_free_disk_space_failed(world):
    registry = world.registry(round_trip_s=0.0)
    registry.push(image_from_layers("docker.io/library/new:1", [("new", 100e6, 300e6)]))
    runtime = world.node(
        profile=UNPACKED, disk_capacity_bytes=1000e6, disk_used_bytes_at_start=600e6
    )
    gc = ImageGarbageCollector(runtime)
    world.run_pull(runtime, "new:1")
    world.env.run()
    gc.collect()  # just pulled: younger than imageMinimumGCAge (2 min)
    (result,) = gc.results
    assert result.removed == ()
    assert result.usage_percent == 90
    assert result.bytes_to_free == 100_000_000
    (event,) = world.records.events
    assert event["reason"] == "FreeDiskSpaceFailed" and event["type"] == "Warning"
    assert event["message"] == (
        "Failed to garbage collect required amount of images. Attempted to free 100000000 "
        "bytes, but only found 0 bytes eligible to free."
    )


def test_periodic_gc_runs_every_five_minutes(world):
    runtime = world.node(profile=CONTAINERD_2)
    gc = ImageGarbageCollector(runtime)
    gc.start()
    world.env.run(until=901)
    assert [result.time_s for result in gc.results] == [0, 300, 600, 900]
