"""pullsim: a discrete-event simulator of Kubernetes image pulls.

The layers, from the bottom up:

- :mod:`pullsim.units`: human units ("1Gbps", "350MiB", "200ms") to SI floats and back.
- :mod:`pullsim.engine`: fluid, flow-level bandwidth sharing on SimPy (weighted max-min with caps).
- :mod:`pullsim.kube`: Kubernetes semantics as pure functions and frozen models (no notion of time).
- :mod:`pullsim.model`: the simulated world (registries, nodes, container runtime, kubelet).
- :mod:`pullsim.scenario`, :func:`simulate`, :func:`compare`, :mod:`pullsim.results`: scenario in,
  DataFrames out.
"""

__version__ = "0.1.0"

__all__ = ["ScenarioError", "SimulationResult", "compare", "simulate", "__version__"]


def __getattr__(name: str):
    # Lazy, so that ``import pullsim.kube`` stays free of the simulation core (SimPy, engine).
    if name in ("ScenarioError", "SimulationResult", "compare", "simulate"):
        from pullsim import simulation

        return getattr(simulation, name)
    raise AttributeError(f"module 'pullsim' has no attribute {name!r}")
