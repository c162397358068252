"""A small world for on-paper tests: one SimPy environment, one network, registries, nodes."""

from __future__ import annotations

import pytest

from pullsim.engine import Environment, Network
from pullsim.model import (
    CONTAINERD_2,
    Authentication,
    ContainerRuntime,
    Node,
    NodeConfig,
    Records,
    Registry,
    RegistryConfig,
    RegistryDirectory,
    RuntimeProfile,
)

# No token dance unless a test asks for it: round trips are then easy to count.
PLAIN = Authentication(token_auth=False)


class World:
    def __init__(self) -> None:
        self.env = Environment()
        self.network = Network(self.env)
        self.registries = RegistryDirectory()
        self.records = Records()

    def registry(self, host: str = "docker.io", *, mirror_for: str | None = None, **options):
        options.setdefault("authentication", PLAIN)
        options.setdefault("connection_bytes_per_s", None)
        upstream = options.pop("upstream", None)
        upstream_path = options.pop("upstream_path", ())
        rng = options.pop("rng", None)
        registry = Registry(
            self.env,
            self.network,
            RegistryConfig(host=host, **options),
            upstream=upstream,
            upstream_path=upstream_path,
            rng=rng,
        )
        self.registries.add(registry, mirror_for=mirror_for)
        return registry

    def node(self, name: str = "node-a", profile: RuntimeProfile = CONTAINERD_2, **options):
        # Plenty of disk bandwidth and cores unless a test says otherwise.
        options.setdefault("disk_write_bytes_per_s", 10e9)
        options.setdefault("cpu_cores", 8.0)
        node = Node(self.network, NodeConfig(name=name, **options))
        return ContainerRuntime(
            self.env, self.network, node, self.registries, profile=profile, records=self.records
        )

    def run_pull(self, runtime: ContainerRuntime, image: str, at: float = 0.0, **options):
        """Start a pull at time ``at``; returns a one-element list filled with its result."""
        box: list = []

        def later():
            if at:
                yield self.env.timeout(at)
            result = yield runtime.pull(image, **options)
            box.append(result)

        self.env.process(later())
        return box


@pytest.fixture
def world() -> World:
    return World()
