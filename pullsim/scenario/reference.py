"""The field reference of scenario files, generated from the schema's descriptions.

``python -m pullsim.scenario.reference`` prints the Markdown that docs/scenarios.md holds
between its ``<!-- fields -->`` markers; a test keeps the two equal.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from pullsim.scenario.model import (
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

__all__ = ["SECTIONS", "field_reference_markdown"]

SECTIONS: tuple[tuple[str, type[BaseModel]], ...] = (
    ("Scenario (top level)", Scenario),
    ("registries[]", RegistrySpec),
    ("registries[].rate_limit", RateLimitSpec),
    ("images[]", ImageSpec),
    ("images[].layers[]", LayerSpec),
    ("node_pools[]", NodePool),
    ("shared_links[]", SharedLink),
    ("pod_timings", PodTimingsSpec),
    ("scheduler", SchedulerSpec),
    ("arrivals[] with kind: burst", BurstArrival),
    ("arrivals[] with kind: poisson", PoissonArrival),
    ("arrivals[] with kind: rolling-update", RollingUpdateArrival),
    ("arrivals[] with kind: node-join", NodeJoinArrival),
    ("running_workloads[]", RunningWorkloadSpec),
    ("strategies.<name>", Strategy),
)


def _default(info: Any) -> str:
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        value = info.default_factory()
        if isinstance(value, BaseModel):
            return "defaults below"
        return f"`{value!r}`"
    return f"`{info.default!r}`"


def field_reference_markdown() -> str:
    lines: list[str] = []
    for title, model in SECTIONS:
        lines += [f"### `{title}`", "", "| field | default | description |", "|---|---|---|"]
        for name, info in model.model_fields.items():
            description = (info.description or "").replace("|", "\\|")
            if name == "kind" and not description:
                description = f"Always `{info.default}` for this kind of arrival."
            lines.append(f"| `{name}` | {_default(info)} | {description} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(field_reference_markdown())
