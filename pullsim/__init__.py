"""pullsim: a discrete-event simulator of Kubernetes image pulls.

The layers, from the bottom up:

- :mod:`pullsim.units`: human units ("1Gbps", "350MiB", "200ms") to SI floats and back.
- :mod:`pullsim.engine`: fluid, flow-level bandwidth sharing on SimPy (weighted max-min with caps).
- :mod:`pullsim.kube`: Kubernetes semantics as pure functions and frozen models (no notion of time).
- :mod:`pullsim.model`: the simulated world (registries, nodes, container runtime, kubelet).
"""

__version__ = "0.1.0"
