"""A cluster rollout's traffic shape, engine only: where local repair used to give up.

Nodes pull layers from three shared registries (a capped download through the registry's
egress, the node's NIC and its disk) and unpack each one (a capped flow through the node's CPU
and, with a coefficient, its disk). The registries bind, the disks bind when unpacks load them,
and bottlenecks move between them as flows come and go. Repairs in the middle of an update
used to leave bindings that no levels satisfy (a registry whose foreign load exceeds its
capacity, registries and disks outsharing each other in a cycle); settling then iterated until
it fell back to a full solve. Every update must now be repaired locally, and stay exact.
"""

from __future__ import annotations

import math
import random

import pytest

from pullsim.engine import Environment, Network

from .reference import Flow, TimedFlow, reference_finish_times

MiB = 2**20


def rollout(nodes: int, seed: int, *, verify: bool) -> tuple[Network, list, list]:
    """Run the workload; returns the network, the transfers and what the reference needs."""
    rng = random.Random(seed)
    env = Environment()
    net = Network(env, verify=verify)
    registries = [net.add_link(f"registry-{r}", 1.25e9) for r in range(3)]
    transfers: list = []
    plan: list[tuple[float, float, dict, float]] = []  # start, size, {link: coefficient}, cap

    def pull(nic, disk, cpu, layers, delay):
        yield env.timeout(delay)
        for size, registry, ratio in layers:
            path = [registry, nic, disk]
            plan.append((env.now, size, {link.name: 1.0 for link in path}, 60e6))
            transfers.append(net.transfer(size, path, cap=60e6, label="download"))
            yield transfers[-1]
            path = [(cpu, 1 / 100e6), (disk, ratio)]
            plan.append((env.now, size, {link.name: c for link, c in path}, 100e6))
            transfers.append(net.transfer(size, path, cap=100e6, label="unpack"))
            yield transfers[-1]

    for node in range(nodes):
        nic = net.add_link(f"node-{node}/nic", 1.25e9 / 8)
        disk = net.add_link(f"node-{node}/disk", 125 * MiB)
        cpu = net.add_link(f"node-{node}/cpu", 8.0)
        for _ in range(3):
            layers = [
                (rng.choice([3e6, 20e6, 30e6, 50e6]), rng.choice(registries), rng.choice([1.5, 3]))
                for _ in range(rng.randint(1, 3))
            ]
            delay = rng.choice([0.0, 0.0, 1.0, rng.uniform(0, 5)])
            env.process(pull(nic, disk, cpu, layers, delay))
    env.run()
    return net, transfers, plan


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_update_is_repaired_locally_and_exactly(seed):
    # verify=True re-solves from scratch after every fast update and raises on a difference.
    net, transfers, _ = rollout(20, seed, verify=True)
    assert all(transfer.finished_at is not None for transfer in transfers)
    assert net.stats["full_solves"] == 1, net.stats  # the first solve only


def test_a_small_rollout_matches_the_reference():
    net, transfers, plan = rollout(4, 5, verify=False)
    capacities = {link.name: link.capacity for link in net.links}
    flows = [
        TimedFlow(Flow(links, cap=cap), start=start, size=size) for start, size, links, cap in plan
    ]
    expected = reference_finish_times(capacities, flows)
    finish = [transfer.finished_at for transfer in transfers]
    assert all(math.isfinite(time) for time in expected)
    assert finish == pytest.approx(expected, rel=1e-9, abs=1e-9)


def _count_refills(monkeypatch) -> list:
    calls: list = []
    refill = Network._refill

    def counting(self, link, pending):
        calls.append(self.links[link].name)
        return refill(self, link, pending)

    monkeypatch.setattr(Network, "_refill", counting)
    return calls


def test_an_unpack_its_disk_cannot_carry_at_its_cap_is_bound_to_the_disk_at_once(monkeypatch):
    # The disk carries a download at 20 B/s (its registry's share); the unpack at its cap
    # (100 B/s, 3 disk bytes per byte) would need 300 B/s of the 80 left: it starts bound to the
    # disk, at 80 / 3 B/s, and no repair has to move it there.
    refills = _count_refills(monkeypatch)
    env = Environment()
    net = Network(env, verify=True)
    registry = net.add_link("registry", 20.0)
    nic = net.add_link("nic", 1000.0)
    disk = net.add_link("disk", 100.0)
    cpu = net.add_link("cpu", 8.0)
    download = net.transfer(2000.0, [registry, nic, disk], cap=80.0)
    env.run(until=1)
    unpack = net.transfer(1000.0, [(cpu, 1 / 100), (disk, 3.0)], cap=100.0)
    env.run(until=2)
    assert download.rate == pytest.approx(20.0)
    assert unpack.rate == pytest.approx(80 / 3)
    assert net._group[unpack.class_index] == disk.index
    assert refills == []
    assert net.stats["full_solves"] == 1


def test_a_link_that_starts_owning_is_not_taken_for_the_lowest_owner(monkeypatch):
    # In one instant an unpack makes the disk an owner and a download through the disk starts.
    # The disk's level is not settled yet; the download must not take it for 0 and bind there:
    # it belongs to the registry (level 10 against the disk's 45), with no repair.
    refills = _count_refills(monkeypatch)
    env = Environment()
    net = Network(env, verify=True)
    registry = net.add_link("registry", 20.0)
    other = net.add_link("other-nic", 1000.0)
    nic = net.add_link("nic", 1000.0)
    disk = net.add_link("disk", 100.0)
    cpu = net.add_link("cpu", 8.0)
    net.transfer(1e6, [registry, other], cap=1000.0)
    env.run(until=1)
    unpack = net.transfer(1e6, [(cpu, 1 / 100), (disk, 2.0)], cap=100.0)
    download = net.transfer(1e6, [registry, nic, disk], cap=1000.0)
    env.run(until=2)
    assert net._group[download.class_index] == registry.index
    assert download.rate == pytest.approx(10.0)
    assert unpack.rate == pytest.approx(45.0)
    assert refills == []
    assert net.stats["full_solves"] == 1


def test_a_link_its_classes_fit_at_their_caps_is_not_watched_until_they_do_not():
    # Three unpacks of one core each on 8 cores: the CPU cannot be over capacity at any levels,
    # so it carries no thresholds. When its capacity drops to 2 cores it must bind them.
    env = Environment()
    net = Network(env, verify=True)
    cpu = net.add_link("cpu", 8.0)
    disk = net.add_link("disk", 1000.0)
    unpacks = [net.transfer(1000.0, [(cpu, 1 / 100), (disk, 2.0)], cap=100.0) for _ in range(3)]
    env.run(until=1)
    assert ("load", cpu.index) not in net._watch_version
    assert [unpack.rate for unpack in unpacks] == pytest.approx([100.0] * 3)
    cpu.set_capacity(2.0)
    env.run(until=2)
    assert [unpack.rate for unpack in unpacks] == pytest.approx([200 / 3] * 3)
    assert net.stats["full_solves"] == 1


def test_a_registrys_threshold_heap_sheds_the_stale_entries_of_its_nics():
    # Every download that starts re-checks its NIC's load and places a new threshold in the
    # registry's heap; the old one is stale. 200 NICs see 2,000 starts: the heap keeps about
    # the live entries (it peaked at 2,000 when they were only dropped as popped), and every
    # update stays exact.
    rng = random.Random(3)
    env = Environment()
    net = Network(env, verify=True)
    registry = net.add_link("registry", 1000.0)
    placed = []
    peak = 0
    watch = Network._watch_load

    def counting(self, key):
        nonlocal peak
        placed.append(key)
        holds = watch(self, key)
        peak = max(peak, len(self._up_watch[registry.index]))
        return holds

    net._watch_load = counting.__get__(net)

    def node(nic):
        for _ in range(10):
            yield env.timeout(rng.uniform(0, 2))
            net.transfer(rng.uniform(10, 200), [registry, nic])

    for index in range(200):
        env.process(node(net.add_link(f"nic-{index}", 100.0)))
    env.run()
    assert len(placed) > 2000
    assert peak <= 600
    assert net.stats["full_solves"] == 1
