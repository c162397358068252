"""A node's resources as links of the engine: NIC receive/transmit, disk writes, CPU, disk space.

Model
-----
- NICs are full duplex: receive (``<node>/nic-rx``) and transmit (``<node>/nic-tx``) are separate
  links; image pulls cross the receive side only.
- The disk is a write-bandwidth link (``<node>/disk-write``) and a capacity in bytes with the
  bytes already used at start (OS, logs; not images).
- The CPU is a link whose capacity is the number of cores, in core-seconds per second
  (``<node>/cpu``). An unpack stream of codec ``c`` uses ``1 / speed(c)`` core-seconds per
  compressed byte and is capped at ``speed(c)``: one core per layer stream, as Go's
  single-threaded gzip reader (KUBELET.md §8), and streams of different codecs share the cores.
- ``ip`` is the node's address; ``public_ip`` the address registries see (a NAT gateway's), which
  is the client a registry's rate limit counts.

Defaults: an m5.xlarge-like node (1,250 Mbps baseline) on a gp3 volume at its 125 MiB/s baseline
(../shared/CALIBRATION.md, "Nodes" and "Disks"), 4 cores, 100 GiB disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pullsim.engine import Link, Network
from pullsim.model.image import Image, Platform

__all__ = ["Node", "NodeConfig"]

MIB = 1024.0**2
GIB = 1024.0**3


@dataclass(frozen=True)
class NodeConfig:
    """What a node brings to a pull. SI units: bytes, bytes/s."""

    name: str
    ip: str = "10.0.0.10"
    public_ip: str | None = None
    # m5.xlarge baseline, 1,250 Mbps (CALIBRATION.md "Nodes").
    nic_receive_bytes_per_s: float = 1250e6 / 8
    nic_transmit_bytes_per_s: float = 1250e6 / 8
    # gp3 baseline 125 MiB/s (CALIBRATION.md "Disks").
    disk_write_bytes_per_s: float = 125 * MIB
    disk_capacity_bytes: float = 100 * GIB
    disk_used_bytes_at_start: float = 0.0
    cpu_cores: float = 4.0
    platform: Platform = field(default_factory=Platform)
    images_at_start: tuple[Image, ...] = ()

    def __post_init__(self) -> None:
        for name in (
            "nic_receive_bytes_per_s",
            "nic_transmit_bytes_per_s",
            "disk_write_bytes_per_s",
            "disk_capacity_bytes",
            "cpu_cores",
        ):
            if not getattr(self, name) > 0:
                raise ValueError(f"node {self.name}: {name} must be > 0")
        if not 0 <= self.disk_used_bytes_at_start <= self.disk_capacity_bytes:
            raise ValueError(f"node {self.name}: disk_used_bytes_at_start outside the disk")

    @property
    def client_ip(self) -> str:
        """The address registries see and rate-limit."""
        return self.public_ip or self.ip


class Node:
    """A node's links in a network, and its disk space accounting."""

    def __init__(self, network: Network, config: NodeConfig) -> None:
        self.network = network
        self.config = config
        self.name = config.name
        self.nic_receive: Link = network.add_link(
            f"{config.name}/nic-rx", config.nic_receive_bytes_per_s, kind="nic-rx"
        )
        self.nic_transmit: Link = network.add_link(
            f"{config.name}/nic-tx", config.nic_transmit_bytes_per_s, kind="nic-tx"
        )
        self.disk_write: Link = network.add_link(
            f"{config.name}/disk-write", config.disk_write_bytes_per_s, kind="disk"
        )
        self.cpu: Link = network.add_link(f"{config.name}/cpu", config.cpu_cores, kind="cpu")
        self.disk_used_bytes = config.disk_used_bytes_at_start

    @property
    def disk_capacity_bytes(self) -> float:
        return self.config.disk_capacity_bytes

    @property
    def disk_available_bytes(self) -> float:
        return self.config.disk_capacity_bytes - self.disk_used_bytes

    def __repr__(self) -> str:
        return f"Node({self.name!r})"
