"""The environment's additions to SimPy: started processes and urgent absolute-time events."""

from __future__ import annotations

import pytest
import simpy

from pullsim.engine import Environment
from pullsim.engine.environment import start_process


def test_a_started_process_runs_its_first_step_inside_the_caller():
    env = Environment()
    log = []
    active = {}

    def child():
        active["child"] = env.active_process
        log.append(("child starts", env.now))
        yield env.timeout(2)
        log.append(("child resumes", env.now))
        return "done"

    def parent():
        yield env.timeout(1)
        process = start_process(env, child())
        # The child ran up to its first yield before start_process returned, as itself, and
        # the active process is the parent's again.
        log.append(("parent continues", env.now))
        active["parent"] = env.active_process
        assert active["child"] is process
        value = yield process
        log.append(("parent got", value, env.now))

    parent_process = env.process(parent())
    env.run()
    assert active["parent"] is parent_process
    assert log == [
        ("child starts", 1),
        ("parent continues", 1),
        ("child resumes", 3),
        ("parent got", "done", 3),
    ]


def test_a_started_process_is_an_ordinary_process_once_it_yielded():
    env = Environment()

    def sleeper():
        try:
            yield env.timeout(10)
        except simpy.Interrupt as interrupt:
            return f"woken at {env.now} by {interrupt.cause}"

    process = start_process(env, sleeper())  # outside any process: active stays None
    assert env.active_process is None and process.is_alive

    def waker():
        yield env.timeout(4)
        process.interrupt("waker")

    env.process(waker())
    env.run()
    assert process.value == "woken at 4 by waker"


def test_a_started_process_that_never_yields_ends_as_an_event():
    env = Environment()

    def immediate():
        return 42
        yield  # pragma: no cover - makes it a generator

    process = start_process(env, immediate())
    assert not process.is_alive
    env.run()
    assert process.value == 42
    with pytest.raises(ValueError, match="not a generator"):
        start_process(env, 42)


def test_urgent_at_fires_before_the_ordinary_events_of_its_instant():
    env = Environment()
    order = []

    def ordinary():
        yield env.timeout(5)  # scheduled first, at time 0
        order.append("ordinary")

    env.process(ordinary())

    def ticker():
        yield env.timeout(1)
        tick = env.urgent_at(0.1 + 4.9)  # scheduled later, for the same instant
        yield tick
        order.append(("tick", env.now))

    env.process(ticker())
    env.run()
    assert order == [("tick", 5.0), "ordinary"]
    with pytest.raises(ValueError, match="in the past"):
        env.urgent_at(1.0)
