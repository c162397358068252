"""Rate limits, authentication, failure windows and a pull-through mirror, with on-paper times."""

from __future__ import annotations

import numpy as np
import pytest

from pullsim.kube import Credential
from pullsim.model import (
    CONTAINERD_2,
    DOCKER,
    Authentication,
    FailureWindow,
    RateLimit,
    image_from_layers,
)

GZIP = 100 * 1024**2


def approx(value):
    return pytest.approx(value, rel=1e-12, abs=1e-12)


def requests_of(registry, kind):
    return [row for row in registry.requests if row["request"] == kind]


def test_429_after_the_window_quota_then_allowed_again(world):
    limit = RateLimit(pulls=2, window_s=3600.0, authenticated_pulls=None)
    registry = world.registry(round_trip_s=0.1, rate_limit=limit)
    for name in ("a", "b", "c"):
        registry.push(image_from_layers(f"docker.io/library/{name}:1", [(name, 1e6)]))
    runtime = world.node(nic_receive_bytes_per_s=1e9)
    first = world.run_pull(runtime, "a:1", at=0)
    second = world.run_pull(runtime, "b:1", at=10)
    third = world.run_pull(runtime, "c:1", at=20)
    fourth = world.run_pull(runtime, "c:1", at=3601)  # the first GET (t=0.2) left the window
    world.env.run()
    assert first[0].ok and second[0].ok
    result = third[0]
    assert not result.ok
    assert "429 Too Many Requests" in result.error
    assert "toomanyrequests: You have reached your pull rate limit." in result.error
    assert result.error.startswith('failed to pull and unpack image "docker.io/library/c:1"')
    # HEAD (0.1) then 6 GET responses, each answered 429 (containerd retries at once while a
    # request has had <= 5 responses): 20 + 0.1 + 6 x 0.1.
    assert result.finished_s == approx(20.7)
    statuses = [row["status"] for row in requests_of(registry, "get") if row["time_s"] > 20]
    assert statuses[:6] == [429] * 6
    assert fourth[0].ok


def test_clients_behind_one_nat_share_the_quota_and_heads_are_free(world):
    limit = RateLimit(pulls=1, window_s=3600.0, authenticated_pulls=None)
    registry = world.registry(round_trip_s=0.0, rate_limit=limit)
    registry.push(image_from_layers("docker.io/library/a:1", [("a", 1e6)]))
    node_a = world.node("a", ip="10.0.0.1", public_ip="52.0.0.1")
    node_b = world.node("b", ip="10.0.0.2", public_ip="52.0.0.1")
    node_c = world.node("c", ip="10.0.0.3", public_ip="52.0.0.2")
    first = world.run_pull(node_a, "a:1", at=0)
    again = world.run_pull(node_a, "a:1", at=5)  # cached: HEAD only, never counted
    second = world.run_pull(node_b, "a:1", at=10)
    third = world.run_pull(node_c, "a:1", at=10)
    world.env.run()
    assert first[0].ok and again[0].outcome == "already-present"
    assert not second[0].ok and "toomanyrequests" in second[0].error
    assert third[0].ok


def test_authentication_required(world):
    accepted = frozenset({("robot", "s3cret")})
    auth = Authentication(anonymous=False, accepted_credentials=accepted, token_auth=True)
    registry = world.registry("registry.example.com", round_trip_s=0.01, authentication=auth)
    registry.push(image_from_layers("registry.example.com/team/app:1", [("p", 1e6)]))
    runtime = world.node()
    good = Credential("registry.example.com", "robot", "s3cret")
    bad = Credential("registry.example.com", "robot", "wrong")
    anonymous = world.run_pull(runtime, "registry.example.com/team/app:1")
    wrong = world.run_pull(runtime, "registry.example.com/team/app:1", credentials=[bad], at=1)
    both = world.run_pull(runtime, "registry.example.com/team/app:1", credentials=[bad, good], at=2)
    world.env.run()
    assert not anonymous[0].ok
    assert "pull access denied, repository does not exist or may require authorization" in (
        anonymous[0].error
    )
    assert not wrong[0].ok and "401 Unauthorized" in wrong[0].error
    assert "failed to fetch oauth token" in wrong[0].error
    assert both[0].ok and both[0].outcome == "pulled"


def test_registry_down_refuses_connections_and_unknown_hosts_fail(world):
    down = FailureWindow(start_s=0.0, end_s=60.0, kind="down")
    registry = world.registry("quay.io", round_trip_s=0.02, failures=(down,))
    registry.push(image_from_layers("quay.io/org/app:1", [("q", 1e6)]))
    runtime = world.node()
    during = world.run_pull(runtime, "quay.io/org/app:1")
    after = world.run_pull(runtime, "quay.io/org/app:1", at=60)
    unknown = world.run_pull(runtime, "ghcr.io/org/app:1")
    world.env.run()
    assert "dial tcp quay.io:443: connect: connection refused" in during[0].error
    assert during[0].finished_s == approx(0.02)
    assert after[0].ok
    assert "no such host" in unknown[0].error


def test_error_ratio_uses_the_generator_it_is_given(world):
    window = FailureWindow(start_s=0.0, end_s=1e9, kind="error", error_ratio=0.5, status=503)

    def outcomes(seed):
        from conftest import World

        other = World()
        registry = other.registry(
            round_trip_s=0.0, failures=(window,), rng=np.random.default_rng(seed)
        )
        registry.push(image_from_layers("docker.io/library/a:1", [("a", 1e3)]))
        runtime = other.node()
        boxes = [other.run_pull(runtime, "a:1", at=i) for i in range(20)]
        other.env.run()
        return [box[0].ok for box in boxes]

    first, again = outcomes(7), outcomes(7)
    assert first == again  # same seed, same failures
    assert 0 < sum(first) < 20  # some failed, some did not
    with pytest.raises(ValueError, match="rng"):
        world.registry(failures=(window,))


@pytest.mark.parametrize("profile", [DOCKER, CONTAINERD_2], ids=["docker", "containerd"])
def test_a_failed_layer_is_retried_by_docker_only(world, profile):
    # HEAD 0-0.1, GET 0.1-0.2, blob GET from 0.2: inside the 503 window [0.15, 1), it fails at
    # 0.3. Docker waits 5 s and tries again (5.3-5.4), then 100 MB at 100 MB/s: done at 6.4.
    window = FailureWindow(start_s=0.15, end_s=1.0, kind="error", status=503)
    registry = world.registry(round_trip_s=0.1, failures=(window,))
    registry.push(image_from_layers("docker.io/library/a:1", [("a", 100e6)]))
    runtime = world.node(profile=profile, nic_receive_bytes_per_s=100e6)
    box = world.run_pull(runtime, "a:1")
    world.env.run()
    (row,) = world.records.layers
    if profile is DOCKER:
        assert box[0].ok
        assert row["attempts"] == 2
        assert row["download_started_s"] == approx(5.4)
        assert row["download_finished_s"] == approx(6.4)
    else:
        assert not box[0].ok and box[0].finished_s == approx(0.3)
        assert "503 Service Unavailable" in box[0].error
        assert row["outcome"] == "failed"


def test_mirror_miss_then_hit(world):
    upstream = world.registry("docker.io", round_trip_s=0.05, egress_bytes_per_s=50e6)
    mirror = world.registry(
        "mirror.internal:5000",
        mirror_for="docker.io",
        round_trip_s=0.01,
        egress_bytes_per_s=1e9,
        upstream=upstream,
        ip="10.0.9.9",
    )
    upstream.push(image_from_layers("docker.io/library/app:1", [("m", 100e6)]))
    node_a = world.node("a", nic_receive_bytes_per_s=100e6)
    node_b = world.node("b", nic_receive_bytes_per_s=100e6)
    miss = world.run_pull(node_a, "app:1")
    hit = world.run_pull(node_b, "app:1", at=100)
    world.env.run()
    assert miss[0].ok and hit[0].ok
    rows = {row["node"]: row for row in world.records.layers}
    # Miss: HEAD at the mirror (0.01) + upstream HEAD (0.05); GET at the mirror (0.01) +
    # upstream GET (0.05); blob GET at the mirror (0.01) + upstream (0.05): bytes from 0.18,
    # through upstream egress (50 MB/s, the bottleneck) and the mirror: 2 s.
    assert rows["a"]["download_started_s"] == approx(0.18)
    assert rows["a"]["download_finished_s"] == approx(2.18)
    # Hit: HEAD at the mirror + upstream tag revalidation (0.06); GET from the mirror's cache
    # (0.01); blob from the mirror (0.01): bytes from 100.08 at the NIC's 100 MB/s: 1 s.
    assert rows["b"]["download_started_s"] == approx(100.08)
    assert rows["b"]["download_finished_s"] == approx(101.08)
    # Upstream served one blob and counted one manifest GET, from the mirror's address.
    assert len(requests_of(upstream, "blob")) == 1
    gets = requests_of(upstream, "get")
    assert [row["client"] for row in gets] == ["10.0.9.9"]
    assert mirror.cached_blobs == {rows["a"]["layer_digest"]}
