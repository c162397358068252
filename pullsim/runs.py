"""Run a loaded scenario for the CLI and notebooks: strategies x seeds, with a progress callback.

:func:`run_scenario` is :func:`pullsim.compare` with two additions the command line needs: a
callback after each run (the progress bar) and strategy names checked before anything runs
(an unknown name is bad input, not a crash ten minutes in).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pullsim.scenario.model import Scenario

__all__ = ["UnknownStrategy", "resolve_strategies", "run_scenario"]


class UnknownStrategy(ValueError):
    """A strategy name the scenario does not define."""


def resolve_strategies(scenario: Scenario, names: Sequence[str] | None) -> list[str | None]:
    """Names to run: the given ones (checked), else every strategy of the scenario, else the
    scenario's own configuration (None, reported as ``default``)."""
    if names:
        unknown = [n for n in names if n not in scenario.strategies and n != "default"]
        if unknown:
            have = ", ".join(scenario.strategies) or "none; the scenario's own kubelet is 'default'"
            raise UnknownStrategy(
                f"no strategy {', '.join(map(repr, unknown))} in the scenario (have: {have})"
            )
        return [None if n == "default" else n for n in names]
    return list(scenario.strategies) or [None]


def run_scenario(
    scenario: Scenario,
    strategies: Sequence[str | None],
    seeds: Sequence[int],
    *,
    on_run: Callable[[str, int, object], None] | None = None,
    on_time: Callable[[str, int, float, float], None] | None = None,
):
    """Every strategy on every seed (common random numbers per seed), stacked as
    :func:`pullsim.compare` stacks them; ``on_run(strategy, seed, result)`` after each run,
    ``on_time(strategy, seed, now_s, horizon_s)`` as each run's simulated time passes."""
    from pullsim import results
    from pullsim.simulation import simulate

    runs = []
    for strategy in strategies:
        for seed in seeds:
            watch = None
            if on_time is not None:

                def watch(now, horizon, strategy=strategy, seed=seed):
                    on_time(strategy or "default", seed, now, horizon)

            result = simulate(scenario, strategy, seed, progress=watch)
            runs.append(result)
            if on_run is not None:
                on_run(strategy or "default", seed, result)
    return results.stack(runs, scenario.name)
