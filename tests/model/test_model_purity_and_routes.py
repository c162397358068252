"""pullsim.model imports no pandas, matplotlib or YAML; shared links sit on the layer's path."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pullsim.model import image_from_layers


def test_model_imports_no_dataframes_plots_or_yaml():
    # pullsim.kube (manifests.py) imports yaml when the package loads, so yaml is checked as
    # "nothing beyond what pullsim.kube already brings".
    code = (
        "import sys, pullsim.kube\n"
        "before = set(sys.modules)\n"
        "import pullsim.model\n"
        "banned = ('pandas', 'matplotlib', 'yaml', 'pullsim.cli', 'pullsim.results')\n"
        "print(sorted(m for m in sys.modules if m.startswith(banned[:2] + banned[3:])))\n"
        "print(sorted(m for m in set(sys.modules) - before if m.startswith(banned)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split("\n")[:2] == ["[]", "[]"]


def test_a_shared_nat_gateway_is_the_bottleneck(world):
    registry = world.registry(round_trip_s=0.0)
    registry.push(image_from_layers("docker.io/library/app:1", [("a", 100e6)]))
    nat = world.network.add_link("nat-gateway", 100e6, kind="nat")
    world.registries.set_route([nat], registry="docker.io")
    nodes = [world.node(f"n{i}", nic_receive_bytes_per_s=1e9) for i in range(4)]
    for runtime in nodes:
        world.run_pull(runtime, "app:1")
    world.env.run()
    # Four 100 MB downloads share the 100 MB/s NAT gateway: 25 MB/s each, all done at 4 s
    # (each node's NIC could take 1 GB/s).
    finished = [row["download_finished_s"] for row in world.records.layers]
    assert finished == [pytest.approx(4.0)] * 4


def test_routes_pick_the_most_specific_entry(world):
    nat = world.network.add_link("nat", 1e9)
    uplink = world.network.add_link("zone-uplink", 1e9)
    world.registries.set_route([nat])
    world.registries.set_route([uplink], node="n1", registry="index.docker.io")
    assert world.registries.route("n1", "docker.io") == (uplink,)
    assert world.registries.route("n2", "docker.io") == (nat,)
