"""The scenario schema (:mod:`pullsim.scenario.model`); the YAML loader comes with issue 6."""

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
