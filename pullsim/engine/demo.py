"""``make run`` until the full simulator lands: a small story told by the engine alone.

A registry with a 10 Gb/s egress serves two nodes with 1 Gb/s NICs (125 MB/s). Each node
pulls four layer blobs at once, each over one connection capped at 50 MB/s. Node a also runs
a data consumer that wants 80 MB/s on the same NIC. While the pulls run, the NIC is shared
max-min fairly: the consumer gets 25 MB/s, not 80, and the pulls on node a take longer than
on node b. The tables show what the engine computed: exact finish times, no time steps.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from pullsim.engine import Environment, Network, Stream
from pullsim.units import format_duration, format_rate, format_size, parse_rate, parse_size


def run() -> tuple[Network, list, Stream]:
    env = Environment()
    network = Network(env, resolution=1.0)
    egress = network.add_link("registry/egress", parse_rate("10Gbps"), kind="registry-egress")
    connection_cap = parse_rate("50MB/s")
    transfers = []
    stream = None
    for node in ("a", "b"):
        nic = network.add_link(f"node-{node}/nic-rx", parse_rate("1Gbps"), kind="nic-rx")
        for index, size in enumerate(("120MiB", "60MiB", "30MiB", "15MiB")):
            transfer = network.transfer(
                parse_size(size), [egress, nic], cap=connection_cap, label=f"{node}/layer-{index}"
            )
            transfers.append((node, transfer))
        if node == "a":
            stream = network.stream([nic], parse_rate("80MB/s"), label="a/data-consumer")

    def stop_consumer():
        yield env.timeout(10)
        stream.stop()

    env.process(stop_consumer())
    env.run()
    return network, transfers, stream


def main() -> None:
    network, transfers, stream = run()
    console = Console()
    console.print(__doc__.split("\n\n")[1].replace("\n", " "), style="dim")
    table = Table(title="Layer pulls (engine only: no kubelet or runtime yet)")
    for column in ("node", "blob", "size", "finished at", "mean rate"):
        table.add_column(column, justify="right" if column != "blob" else "left")
    for node, transfer in transfers:
        mean = transfer.size / (transfer.finished_at - transfer.started_at)
        table.add_row(
            node,
            transfer.label,
            format_size(transfer.size),
            format_duration(transfer.finished_at),
            format_rate(mean),
        )
    console.print(table)
    consumer = Table(title="The data consumer on node a: delivered rate over time")
    for column in ("from", "rate", "of demand"):
        consumer.add_column(column, justify="right")
    changes = network.recorder.streams()
    for time, rate, demand in zip(
        changes["time_s"], changes["rate_bytes_per_s"], changes["demand_bytes_per_s"], strict=True
    ):
        consumer.add_row(format_duration(time), format_rate(rate), f"{rate / demand:.0%}")
    consumer.add_row(format_duration(10.0), "stopped", "")
    console.print(consumer)
    console.print(
        f"Over its 10 s it asked for {format_size(stream.demanded)} and got "
        f"{format_size(stream.delivered)} ({stream.delivered / stream.demanded:.0%})."
    )
    counters = network.stats
    console.print(
        f"{counters['updates']} rate updates, {counters['full_solves']} full solve(s). "
        "Next: the kubelet and pods turn this into pod startup latency (see docs/).",
        style="dim",
    )


if __name__ == "__main__":
    main()
