"""Layers already present, in-flight dedup, and what an ``Always`` pull of a cached image costs."""

from __future__ import annotations

import pytest

from pullsim.model import Authentication, image_from_layers

GZIP = 100 * 1024**2


def approx(value):
    return pytest.approx(value, rel=1e-12, abs=1e-12)


def blob_requests(registry, digest_prefix=""):
    return [row for row in registry.requests if row["request"] == "blob"]


def test_a_shared_base_layer_is_neither_downloaded_nor_unpacked_again(world):
    registry = world.registry(round_trip_s=0.0)
    full = image_from_layers("docker.io/library/python:3.12", [("base", 100e6), ("full", 300e6)])
    slim = image_from_layers("docker.io/library/python:3.12-slim", [("base", 100e6), ("s", 50e6)])
    registry.push(full)
    registry.push(slim)
    runtime = world.node(nic_receive_bytes_per_s=100e6, images_at_start=(full,))
    disk_before = runtime.node.disk_used_bytes
    box = world.run_pull(runtime, "python:3.12-slim")
    world.env.run()
    base, own = sorted(
        (row for row in world.records.layers if row["image"] == "python:3.12-slim"),
        key=lambda row: row["layer_index"],
    )
    assert base["outcome"] == "present"
    assert base["download_started_s"] is None and base["unpack_started_s"] is None
    assert own["outcome"] == "downloaded"
    # Only the 50 MB layer moves: 0.5 s at 100 MB/s, then 50e6 / 104857600 s of unpack.
    assert box[0].bytes_downloaded == 50e6
    assert box[0].finished_s == approx(0.5 + 50e6 / GZIP)
    assert len(blob_requests(registry)) == 1
    # Disk grows by that layer only: its blob and its 3x snapshot.
    assert runtime.node.disk_used_bytes - disk_before == 50e6 + 150e6


def test_two_simultaneous_pulls_share_one_blob_download(world):
    registry = world.registry(round_trip_s=0.0)
    registry.push(image_from_layers("docker.io/library/x:1", [("base", 100e6), ("x", 100e6)]))
    registry.push(image_from_layers("docker.io/library/y:1", [("base", 100e6), ("y", 100e6)]))
    runtime = world.node(nic_receive_bytes_per_s=300e6)
    first = world.run_pull(runtime, "x:1")
    second = world.run_pull(runtime, "y:1")
    world.env.run()
    assert first[0].ok and second[0].ok
    # Three flows, not four: base (once), x and y, at 100 MB/s each, all done at 1 s.
    assert len(blob_requests(registry)) == 3
    assert first[0].bytes_downloaded + second[0].bytes_downloaded == 300e6
    rows = {(row["image"], row["layer_index"]): row for row in world.records.layers}
    assert rows[("x:1", 0)]["outcome"] == "downloaded"
    assert rows[("y:1", 0)]["outcome"] == "shared"
    assert rows[("y:1", 0)]["download_finished_s"] == approx(1.0)
    # The base is unpacked once (by x), y waits for it and then unpacks its own layer.
    assert rows[("x:1", 0)]["unpack_started_s"] == approx(1.0)
    assert rows[("y:1", 0)]["unpack_started_s"] is None
    unpack = 100e6 / GZIP
    # x's and y's own layers both unpack after the base, in parallel on two cores.
    assert rows[("x:1", 1)]["unpack_started_s"] == approx(1 + unpack)
    assert rows[("y:1", 1)]["unpack_started_s"] == approx(1 + unpack)
    assert first[0].finished_s == second[0].finished_s == approx(1 + 2 * unpack)


def test_always_pull_of_a_cached_image_costs_only_round_trips(world):
    token = Authentication(token_auth=True, token_round_trip_s=0.08)
    registry = world.registry(round_trip_s=0.05, authentication=token)
    image = image_from_layers("docker.io/library/nginx:latest", [("n0", 100e6), ("n1", 50e6)])
    registry.push(image)
    runtime = world.node(images_at_start=(image,))
    box = world.run_pull(runtime, "nginx", at=10.0)
    world.env.run()
    (result,) = box
    # 401 challenge (0.05) + token (0.08) + HEAD (0.05); no GET, no blob, no byte.
    assert result.ok and result.outcome == "already-present"
    assert result.finished_s == approx(10.18)
    assert result.bytes_downloaded == 0
    assert [row["request"] for row in registry.requests] == ["challenge", "token", "head"]
    assert not any(row["image"] == "nginx" for row in world.records.layers)


def test_a_pull_of_a_moved_tag_fetches_only_the_new_layers(world):
    registry = world.registry(round_trip_s=0.0)
    old = image_from_layers("docker.io/library/app:latest", [("base", 100e6), ("v1", 10e6)])
    new = image_from_layers("docker.io/library/app:latest", [("base", 100e6), ("v2", 20e6)])
    registry.push(new)
    runtime = world.node(nic_receive_bytes_per_s=100e6, images_at_start=(old,))
    box = world.run_pull(runtime, "app")
    world.env.run()
    assert box[0].outcome == "pulled"
    assert box[0].bytes_downloaded == 20e6
    assert runtime.find_image("app:latest").digest == new.digest
