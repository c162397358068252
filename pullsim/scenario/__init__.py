"""The scenario schema (:mod:`pullsim.scenario.model`) and the YAML front door
(:mod:`pullsim.scenario.loader`: ``read_scenario``, ``load_scenario``)."""

from pullsim.scenario.model import (
    Arrival,
    BurstArrival,
    ImageSpec,
    LayerSpec,
    NodeJoinArrival,
    NodePool,
    PodTimingsSpec,
    PoissonArrival,
    RateLimitSpec,
    RegistrySpec,
    RollingUpdateArrival,
    RunningWorkloadSpec,
    Scenario,
    SchedulerSpec,
    SharedLink,
    Strategy,
)

__all__ = [
    "Arrival",
    "BurstArrival",
    "ImageSpec",
    "LayerSpec",
    "NodeJoinArrival",
    "NodePool",
    "PodTimingsSpec",
    "PoissonArrival",
    "RateLimitSpec",
    "RegistrySpec",
    "RollingUpdateArrival",
    "RunningWorkloadSpec",
    "Scenario",
    "SchedulerSpec",
    "SharedLink",
    "Strategy",
]
