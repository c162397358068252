"""On-paper timings of pulls on an otherwise idle node.

Units: bytes, seconds. gzip unpacks at 100 MiB/s = 104,857,600 compressed bytes/s per core
(pullsim.model.image.CODECS); hand-written layers unpack to 3x their size. Registries here use
no token auth, so a request costs one round trip: HEAD, then GET manifest, then (in parallel)
the config GET and each blob GET.
"""

from __future__ import annotations

import pytest

from pullsim.model import CONTAINERD_1, CONTAINERD_2, RuntimeProfile, image_from_layers

GZIP = 100 * 1024**2  # compressed bytes/s per core


def approx(value):
    return pytest.approx(value, rel=1e-12, abs=1e-12)


def layer_rows(world, image):
    return sorted(
        (row for row in world.records.layers if row["image"] == image),
        key=lambda row: row["layer_index"],
    )


def test_one_gzip_layer_network_bound(world):
    registry = world.registry(round_trip_s=0.01)
    registry.push(image_from_layers("docker.io/library/app:1", [("l0", 100e6)]))
    runtime = world.node(nic_receive_bytes_per_s=100e6)
    box = world.run_pull(runtime, "app:1")
    world.env.run()
    # HEAD 0.00-0.01, GET manifest 0.01-0.02, blob GET 0.02-0.03, then 100 MB at the NIC's
    # 100 MB/s: 1 s, to 1.03. Unpack 100 MB of gzip on one core: 100e6 / 104857600 s.
    (result,) = box
    assert result.ok and result.outcome == "pulled"
    (row,) = layer_rows(world, "app:1")
    assert row["download_started_s"] == approx(0.03)
    assert row["download_finished_s"] == approx(1.03)
    assert row["unpack_started_s"] == approx(1.03)
    assert result.finished_s == approx(1.03 + 100e6 / GZIP)  # 1.98367431640625
    assert result.bytes_downloaded == 100e6
    assert runtime.node.disk_used_bytes == 100e6 + 300e6  # blob kept + snapshot


def test_one_gzip_layer_cpu_bound(world):
    registry = world.registry(round_trip_s=0.01)
    registry.push(image_from_layers("docker.io/library/app:1", [("l0", 100e6)]))
    # A fast NIC (1.25 GB/s) and half a core: the unpack is now what takes time.
    runtime = world.node(nic_receive_bytes_per_s=1.25e9, cpu_cores=0.5)
    box = world.run_pull(runtime, "app:1")
    world.env.run()
    # Download 100e6 / 1.25e9 = 0.08 s from 0.03 to 0.11; unpack at half a core's gzip speed:
    # 100e6 / (0.5 x 104857600) = 1.9073486328125 s.
    (row,) = layer_rows(world, "app:1")
    assert row["download_finished_s"] == approx(0.11)
    assert box[0].finished_s == approx(0.11 + 100e6 / (0.5 * GZIP))


def test_unpack_shares_the_disk_with_its_own_download_writes(world):
    registry = world.registry(round_trip_s=0.0)
    registry.push(image_from_layers("docker.io/library/app:1", [("l0", 100e6)]))
    # A 125 MB/s disk: the download (NIC 1e9) writes its blob at the disk's 125e6 (0.8 s); the
    # unpack then writes 3 bytes per compressed byte: 125e6 / 3 compressed bytes/s, slower than
    # the core, so 300e6 / 125e6 = 2.4 s.
    runtime = world.node(nic_receive_bytes_per_s=1e9, disk_write_bytes_per_s=125e6)
    box = world.run_pull(runtime, "app:1")
    world.env.run()
    assert box[0].finished_s == approx(0.8 + 2.4)


def test_six_layers_with_a_limit_of_three(world):
    registry = world.registry(round_trip_s=0.0)
    names = [f"l{i}" for i in range(6)]
    registry.push(image_from_layers("docker.io/library/app:1", [(n, 100e6) for n in names]))
    runtime = world.node(nic_receive_bytes_per_s=300e6, profile=CONTAINERD_1)
    box = world.run_pull(runtime, "app:1")
    world.env.run()
    rows = layer_rows(world, "app:1")
    # Three connections share the NIC at 100 MB/s each: layers 0-2 from 0 to 1 s, layers 3-5
    # from 1 to 2 s on the slots the first three freed.
    assert [row["download_started_s"] for row in rows] == [0, 0, 0, 1, 1, 1]
    assert [row["download_finished_s"] for row in rows] == [approx(t) for t in [1, 1, 1, 2, 2, 2]]
    assert sorted(row["connection"] for row in rows[:3]) == [0, 1, 2]
    assert sorted(row["connection"] for row in rows[3:]) == [0, 1, 2]
    # Unpacks one after another from 1 s, each 100e6 / 104857600 s.
    unpack = 100e6 / GZIP
    for index, row in enumerate(rows):
        assert row["unpack_started_s"] == approx(1 + index * unpack)
        assert row["unpack_finished_s"] == approx(1 + (index + 1) * unpack)
    assert box[0].finished_s == approx(1 + 6 * unpack)


def test_in_order_unpack_overlapping_later_downloads(world):
    registry = world.registry(round_trip_s=0.0)
    layers = [("l0", 100e6), ("l1", 100e6), ("l2", 200e6)]
    registry.push(image_from_layers("docker.io/library/app:1", layers))
    two = RuntimeProfile("two-downloads", max_concurrent_downloads=2)
    runtime = world.node(nic_receive_bytes_per_s=200e6, profile=two)
    box = world.run_pull(runtime, "app:1")
    world.env.run()
    l0, l1, l2 = layer_rows(world, "app:1")
    # Two connections at 100 MB/s: l0 and l1 done at 1 s; l2 alone at 200 MB/s from 1 to 2 s.
    assert (l0["download_finished_s"], l1["download_finished_s"]) == (approx(1), approx(1))
    assert (l2["download_started_s"], l2["download_finished_s"]) == (approx(1), approx(2))
    # l0 unpacks 1 -> 1.9537 while l2 is still downloading (the overlap).
    assert l0["unpack_started_s"] == approx(1)
    assert l0["unpack_finished_s"] == approx(1 + 100e6 / GZIP)
    assert l0["unpack_finished_s"] < l2["download_finished_s"]
    # l1's blob was ready at 1 s, yet it waits for l0: 1.9537 -> 2.9074.
    assert l1["unpack_started_s"] == approx(l0["unpack_finished_s"])
    # l2 after l1: 2.9074 + 200e6 / 104857600.
    assert l2["unpack_started_s"] == approx(1 + 2 * 100e6 / GZIP)
    assert box[0].finished_s == approx(1 + 2 * 100e6 / GZIP + 200e6 / GZIP)


def test_containerd_2_limits_downloads_node_wide(world):
    registry = world.registry(round_trip_s=0.0)
    registry.push(image_from_layers("docker.io/library/a:1", [("a0", 100e6), ("a1", 100e6)]))
    registry.push(image_from_layers("docker.io/library/b:1", [("b0", 100e6), ("b1", 100e6)]))
    runtime = world.node(nic_receive_bytes_per_s=300e6, profile=CONTAINERD_2)
    world.run_pull(runtime, "a:1")
    world.run_pull(runtime, "b:1")
    world.env.run()
    starts = sorted(row["download_started_s"] for row in world.records.layers)
    # Node-wide limit 3: three downloads at 100 MB/s until 1 s, the fourth from 1 s.
    assert starts == [0, 0, 0, approx(1)]


def test_containerd_1_limits_downloads_per_pull(world):
    registry = world.registry(round_trip_s=0.0)
    registry.push(image_from_layers("docker.io/library/a:1", [("a0", 100e6), ("a1", 100e6)]))
    registry.push(image_from_layers("docker.io/library/b:1", [("b0", 100e6), ("b1", 100e6)]))
    runtime = world.node(nic_receive_bytes_per_s=400e6, profile=CONTAINERD_1)
    world.run_pull(runtime, "a:1")
    world.run_pull(runtime, "b:1")
    world.env.run()
    # Per pull: all four start at once and share the NIC at 100 MB/s each.
    assert [row["download_started_s"] for row in world.records.layers] == [0, 0, 0, 0]
    assert [row["download_finished_s"] for row in world.records.layers] == [approx(1)] * 4
