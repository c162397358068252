"""On-paper cases for the flow-level engine: every expected number is worked out in a comment."""

from __future__ import annotations

import math

import pytest
import simpy

from pullsim.engine import Environment, Network, TransferCancelled

MB = 1e6


def at(env: Environment, time: float, action) -> None:
    """Run ``action()`` at simulated ``time``."""

    def process():
        yield env.timeout(time)
        action()

    env.process(process())


def test_second_flow_halves_the_first():
    # 100 MB/s link. A starts at 0, B at 0.5. A moves 50 MB alone, then both get 50 MB/s:
    # A's last 50 MB take 1 s -> 1.5 s; B has 50 MB left at 1.5 s, alone at 100 MB/s -> 2.0 s.
    env = Environment()
    net = Network(env)
    link = net.add_link("egress", 100 * MB)
    first = net.transfer(100 * MB, [link])
    second = []
    at(env, 0.5, lambda: second.append(net.transfer(100 * MB, [link])))
    env.run()
    assert first.finished_at == pytest.approx(1.5, rel=1e-12)
    assert second[0].finished_at == pytest.approx(2.0, rel=1e-12)


def test_different_bottlenecks():
    # L1 = 10 B/s carries A and B; L2 = 20 B/s carries A and C. Max-min: A = B = 5 (L1),
    # C = 15 (rest of L2). C (15 B) ends at 1.0; nothing changes for A and B (L1 binds).
    # A (10 B) ends at 2.0 with B, which has moved 10 of 20 B; B alone on L1 ends at 3.0.
    env = Environment()
    net = Network(env)
    l1, l2 = net.add_link("l1", 10), net.add_link("l2", 20)
    a = net.transfer(10, [l1, l2])
    b = net.transfer(20, [l1])
    c = net.transfer(15, [l2])
    env.run(until=0.5)
    assert (a.rate, b.rate, c.rate) == pytest.approx((5, 5, 15))
    env.run()
    assert (a.finished_at, b.finished_at, c.finished_at) == pytest.approx((2.0, 3.0, 1.0))


def test_cap_leaves_the_rest_to_others():
    # 100 B/s link; A capped at 30 B/s, B uncapped gets 70. A (30 B) ends at 1.0 with B at 70 B
    # of 140; B alone: 70 B at 100 B/s -> 1.7 s.
    env = Environment()
    net = Network(env)
    link = net.add_link("link", 100)
    a = net.transfer(30, [link], cap=30)
    b = net.transfer(140, [link])
    env.run()
    assert a.finished_at == pytest.approx(1.0)
    assert b.finished_at == pytest.approx(1.7)


def test_weights_share_in_proportion():
    # Weights 1 and 3 on 100 B/s: 25 and 75 B/s.
    env = Environment()
    net = Network(env)
    link = net.add_link("link", 100)
    light = net.transfer(1000, [link], weight=1)
    heavy = net.transfer(1000, [link], weight=3)
    env.run(until=1)
    assert (light.rate, heavy.rate) == pytest.approx((25, 75))


def test_coefficients_make_the_disk_the_bottleneck():
    # Unpacking gzip: 1 CPU byte and 2.5 disk bytes per compressed byte. CPU 120 B/s, disk
    # 250 B/s: the disk allows 100 compressed B/s, the CPU 120, so 100 B/s; 100 B -> 1.0 s.
    # Two such unpacks share the disk: 50 B/s each -> 2.0 s.
    env = Environment()
    net = Network(env)
    cpu, disk = net.add_link("cpu", 120), net.add_link("disk", 250)
    single = net.transfer(100, [(cpu, 1.0), (disk, 2.5)])
    env.run()
    assert single.finished_at == pytest.approx(1.0)
    env = Environment()
    net = Network(env)
    cpu, disk = net.add_link("cpu", 120), net.add_link("disk", 250)
    pair = [net.transfer(100, [(cpu, 1.0), (disk, 2.5)]) for _ in range(2)]
    env.run()
    assert [flow.finished_at for flow in pair] == pytest.approx([2.0, 2.0])


def test_capacity_drop_mid_transfer():
    # 100 B at 100 B/s; at 0.5 s the link drops to 25 B/s: 50 B left take 2 s -> 2.5 s.
    env = Environment()
    net = Network(env)
    link = net.add_link("link", 100)
    flow = net.transfer(100, [link])
    at(env, 0.5, lambda: link.set_capacity(25))
    env.run()
    assert flow.finished_at == pytest.approx(2.5)


def test_outage_stalls_and_resumes():
    # Outage from 0.5 s to 2.0 s: 50 B moved before, 50 B after at 100 B/s -> 2.5 s.
    env = Environment()
    net = Network(env)
    link = net.add_link("link", 100)
    flow = net.transfer(100, [link])
    at(env, 0.5, lambda: link.set_capacity(0))
    at(env, 2.0, lambda: link.set_capacity(100))
    env.run(until=1.0)
    assert flow.rate == 0
    assert flow.delivered == pytest.approx(50)
    env.run()
    assert flow.finished_at == pytest.approx(2.5)


def test_stream_below_its_fair_share_gets_its_demand():
    # Stream asks 20 of a 100 B/s link; the transfer gets the other 80: 100 B -> 1.25 s.
    env = Environment()
    net = Network(env)
    link = net.add_link("link", 100)
    stream = net.stream([link], demand=20, label="workload")
    transfer = net.transfer(100, [link])
    env.run(until=1.0)
    assert stream.rate == pytest.approx(20)
    env.run(until=2.0)
    assert transfer.finished_at == pytest.approx(1.25)
    # After 1.25 s the stream still gets exactly its demand: it asked for 40 B and got 40 B.
    assert stream.delivered == pytest.approx(40)
    assert stream.demanded == pytest.approx(40)


def test_stream_above_its_fair_share_gets_the_share():
    # Stream asks 80; with two transfers the three share 100 B/s: 33.3 each. The transfers
    # (100 B) end at 3.0 s; then the stream gets its 80. At 4.0 s it has 100 + 80 = 180 B of
    # 320 B demanded.
    env = Environment()
    net = Network(env)
    link = net.add_link("link", 100)
    stream = net.stream([link], demand=80)
    transfers = [net.transfer(100, [link]) for _ in range(2)]
    env.run(until=1.0)
    assert stream.rate == pytest.approx(100 / 3)
    env.run(until=4.0)
    assert [flow.finished_at for flow in transfers] == pytest.approx([3.0, 3.0])
    assert stream.rate == pytest.approx(80)
    assert stream.delivered == pytest.approx(180)
    assert stream.demanded == pytest.approx(320)
    # The rate log has exactly the two changes: a third of the link, then its demand.
    log = net.recorder.streams()
    assert log["time_s"] == pytest.approx([0.0, 3.0])
    assert log["rate_bytes_per_s"] == pytest.approx([100 / 3, 80])
    stream.stop()
    assert stream.rate == 0


def test_levels_that_depend_on_each_other():
    # A on L1 (10 B/s) only; B on L1 and L2 (4 B/s); C on L2. B and C share L2: 2 each.
    # A gets the rest of L1: 8. A (8 B) ends at 1.0: nothing changes for B and C (L2 binds).
    # C (4 B) ends at 2.0; then B alone gets min(L1 10, L2 4) = 4: B (10 B) had 4 at 2.0,
    # 6 left at 4 B/s -> 3.5 s.
    env = Environment()
    net = Network(env)
    l1, l2 = net.add_link("l1", 10), net.add_link("l2", 4)
    a = net.transfer(8, [l1])
    b = net.transfer(10, [l1, l2])
    c = net.transfer(4, [l2])
    env.run(until=0.5)
    assert (a.rate, b.rate, c.rate) == pytest.approx((8, 2, 2))
    env.run()
    assert (a.finished_at, b.finished_at, c.finished_at) == pytest.approx((1.0, 3.5, 2.0))


def test_many_flows_finish_at_the_same_instant():
    # 10 identical 100 B flows on 100 B/s: all at 10 B/s, all end at exactly 10 s.
    env = Environment()
    net = Network(env)
    link = net.add_link("link", 100)
    flows = [net.transfer(100, [link]) for _ in range(10)]
    env.run()
    finish_times = {flow.finished_at for flow in flows}
    assert len(finish_times) == 1
    assert finish_times.pop() == pytest.approx(10.0)


def test_flow_started_when_another_finishes():
    # A (100 B) ends at 1.0; its waiter starts B (100 B) at once: B ends at 2.0.
    env = Environment()
    net = Network(env)
    link = net.add_link("link", 100)
    finish = {}

    def chain():
        first = yield net.transfer(100, [link])
        finish["a"] = first.finished_at
        second = yield net.transfer(100, [link])
        finish["b"] = second.finished_at

    env.process(chain())
    env.run()
    assert finish == pytest.approx({"a": 1.0, "b": 2.0})


def test_cancel_wakes_the_waiter_and_frees_capacity():
    # A and B share 100 B/s. A is cancelled at 1.0 s (50 B moved); B (150 B) has 100 left at
    # 100 B/s -> 2.0 s. The process waiting on A gets TransferCancelled.
    env = Environment()
    net = Network(env)
    link = net.add_link("link", 100)
    a = net.transfer(1000, [link])
    b = net.transfer(150, [link])
    outcome = []

    def waiter():
        try:
            yield a
        except TransferCancelled:
            outcome.append(env.now)

    env.process(waiter())
    at(env, 1.0, a.cancel)
    env.run()
    assert outcome == [1.0]
    assert a.delivered == pytest.approx(50)
    assert b.finished_at == pytest.approx(2.0)


def test_horizon_reports_unfinished_flows():
    # A link with no capacity: the flow never finishes; the run ends at the horizon.
    env = Environment()
    net = Network(env)
    link = net.add_link("dead", 0)
    stuck = net.transfer(100, [link], label="pull")
    env.run(until=60)
    assert net.active_transfers() == [stuck]
    assert stuck.delivered == 0 and stuck.finished_at is None
    rows = net.recorder.flows()
    assert rows["outcome"] == ["active"]
    assert math.isnan(rows["end_s"][0])


def test_zero_size_transfer_finishes_now():
    env = Environment()
    net = Network(env)
    link = net.add_link("link", 100)
    empty = net.transfer(0, [link])
    env.run()
    assert empty.processed and empty.finished_at == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": -1}, "size must be a finite number >= 0"),
        ({"size": math.inf}, "size must be a finite number >= 0"),
        ({"cap": 0}, "cap must be a number > 0"),
        ({"weight": 0}, "weight must be a finite number > 0"),
    ],
)
def test_bad_flow_arguments_are_named(kwargs, message):
    env = Environment()
    net = Network(env)
    link = net.add_link("link", 100)
    arguments = {"size": 10, "path": [link]} | kwargs
    with pytest.raises(ValueError, match=message):
        net.transfer(**arguments)


def test_bad_paths_and_links_are_named():
    env = Environment()
    net = Network(env)
    link = net.add_link("link", 100)
    with pytest.raises(ValueError, match="coefficient on 'link' must be > 0"):
        net.transfer(10, [(link, 0.0)])
    with pytest.raises(ValueError, match="at least one link"):
        net.transfer(10, [])
    with pytest.raises(ValueError, match="already exists"):
        net.add_link("link", 5)
    with pytest.raises(ValueError, match="capacity of link 'neg'"):
        net.add_link("neg", -1)
    other = Network(Environment()).add_link("elsewhere", 1)
    with pytest.raises(ValueError, match="links of this network"):
        net.transfer(10, [other])


def test_paths_seen_before_share_their_class_and_bad_ones_stay_refused():
    env = Environment()
    net = Network(env)
    link, disk = net.add_link("link", 100), net.add_link("disk", 100)
    first = net.transfer(10, [link, (disk, 2.0)], label="pull")
    again = net.transfer(10, (link, (disk, 2.0)), label="pull")  # a tuple: the same class
    spelled = net.transfer(10, iter([link, (disk, 2.0)]), label="pull")  # any iterable
    other_label = net.transfer(10, [link, (disk, 2.0)], label="other")
    assert first.class_index == again.class_index == spelled.class_index
    assert other_label.class_index != first.class_index
    for _ in range(2):  # refused each time: a refused path is never remembered
        with pytest.raises(ValueError, match="coefficient on 'disk' must be > 0"):
            net.transfer(10, [link, (disk, -2.0)], label="pull")
    with pytest.raises(ValueError, match="links of this network"):
        net.transfer(10, [link, [disk, 2.0]], label="pull")  # a list is not a pair


def test_link_usage_is_recorded_by_label_in_buckets():
    # 100 B/s link, 1 s buckets. A 150 B pull and a workload stream asking 50 share it 50/50
    # until the stream stops at 2.0 s (pull has 100 B); the pull's last 50 B take 0.5 s.
    env = Environment()
    net = Network(env, resolution=1.0)
    link = net.add_link("nic", 100)
    pull = net.transfer(150, [link], label="pull")
    stream = net.stream([link], demand=50, label="workload")
    at(env, 2.0, stream.stop)
    env.run()
    assert pull.finished_at == pytest.approx(2.5)
    usage = net.recorder.link_usage()
    rows = sorted(
        zip(usage["start_s"], usage["end_s"], usage["label"], usage["bytes"], strict=True)
    )
    assert rows == [
        (0.0, 1.0, "pull", pytest.approx(50)),
        (0.0, 1.0, "workload", pytest.approx(50)),
        (1.0, 2.0, "pull", pytest.approx(50)),
        (1.0, 2.0, "workload", pytest.approx(50)),
        (2.0, 2.5, "pull", pytest.approx(50)),
    ]
    streams = net.recorder.streams()
    assert streams["rate_bytes_per_s"] == [pytest.approx(50)]


def test_link_usage_follows_levels_and_links_added_later():
    # Buckets read the links' clocks from copies kept up to date as levels change. Two pulls
    # share a 100 B/s link (50 each); at 1.5 s a second link appears and a third pull starts
    # on it alone (100 B/s), and the first link's level changes when a pull ends at 2.0 s.
    env = Environment()
    net = Network(env, resolution=1.0)
    first = net.add_link("a", 100)
    a = net.transfer(100, [first], label="a")
    net.transfer(300, [first], label="b")

    def later():
        second = net.add_link("c", 100)
        net.transfer(100, [second], label="c")

    at(env, 1.5, later)
    env.run()
    assert a.finished_at == pytest.approx(2.0)
    usage = net.recorder.link_usage()
    moved: dict[tuple, float] = {}
    for start, link, label, amount in zip(
        usage["start_s"], usage["link"], usage["label"], usage["bytes"], strict=True
    ):
        moved[(start, link, label)] = moved.get((start, link, label), 0.0) + amount
    assert moved == {
        (0.0, "a", "a"): pytest.approx(50),
        (0.0, "a", "b"): pytest.approx(50),
        (1.0, "a", "a"): pytest.approx(50),
        (1.0, "a", "b"): pytest.approx(50),
        (1.0, "c", "c"): pytest.approx(50),
        (2.0, "c", "c"): pytest.approx(50),
        (2.0, "a", "b"): pytest.approx(100),
        (3.0, "a", "b"): pytest.approx(100),
    }


def test_idle_stretch_is_one_row():
    # A capped stream at 10 B/s for 100 s with 1 s buckets: one row for the first bucket and
    # one for the run of 99 identical buckets after it.
    env = Environment()
    net = Network(env, resolution=1.0)
    link = net.add_link("nic", 100)
    net.stream([link], demand=10, label="workload")
    at(env, 100.0, lambda: None)
    env.run(until=100.0)
    # Force a change at 100 s so the recorder reads the boundary.
    net.transfer(1, [link])
    env.run(until=100.5)
    usage = net.recorder.link_usage()
    workload = [
        (start, end, moved)
        for start, end, label, moved in zip(
            usage["start_s"], usage["end_s"], usage["label"], usage["bytes"], strict=True
        )
        if label == "workload"
    ]
    assert workload[0] == (0.0, 1.0, pytest.approx(10))
    assert workload[1] == (1.0, 100.0, pytest.approx(990))
    assert sum(moved for _, _, moved in workload) == pytest.approx(10 * 100.5)


def test_run_ends_at_the_last_completion():
    # Superseded wake-ups must not move the clock: the run ends when the last flow does.
    env = Environment()
    net = Network(env)
    link = net.add_link("link", 100)
    net.transfer(150, [link])
    stream = net.stream([link], demand=50)
    at(env, 2.0, stream.stop)
    env.run()
    assert env.now == pytest.approx(2.5)


def test_plain_simpy_environment_is_refused():
    with pytest.raises(TypeError, match="pullsim.engine.Environment"):
        Network(simpy.Environment())


def test_same_inputs_same_records():
    def run() -> dict:
        env = Environment()
        net = Network(env)
        egress = net.add_link("egress", 1000)
        nics = [net.add_link(f"nic-{i}", 300) for i in range(4)]
        for i, nic in enumerate(nics):
            for size in (100 + 37 * i, 250, 400 - 11 * i):
                net.transfer(size, [egress, nic], label="pull")
        env.run()
        return net.recorder.flows() | {"usage": net.recorder.link_usage()["bytes"].tolist()}

    assert run() == run()


def test_star_uses_the_fast_path():
    # 200 nodes x 5 flows behind one egress: the bottleneck structure barely changes, so
    # nearly every update is a fast one (a full solve is the fallback, not the rule).
    env = Environment()
    net = Network(env, record=False)
    egress = net.add_link("egress", 1.25e9)
    for node in range(200):
        nic = net.add_link(f"nic-{node}", 1.25e8)
        for blob in range(5):
            net.transfer(1e6 + 12345 * (node * 5 + blob), [egress, nic])
    env.run()
    assert net.stats["updates"] == 1001  # one at t = 0, then one per completion
    assert net.stats["full_solves"] < 50
