"""Run every engine benchmark and write the results table, benchmarks/RESULTS.md.

Usage::

    python benchmarks/run_all.py [--simgrid-max-nodes 5000] [--output benchmarks/RESULTS.md]

Each measurement runs in its own process (so its peak memory is its own). The star workload runs
through pullsim and, when Debian's ``python3-simgrid`` is installed, through SimGrid 3.32 on the
same input file in the same session; the finish times of the two are compared flow by flow.
SimGrid is slow on large stars (about 12 minutes at 10,000 nodes on a 2-core machine), so by
default it runs up to 5,000 nodes.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SYSTEM_PYTHON = "/usr/bin/python3"
STAR_NODES = [1000, 2000, 5000, 10000]
MIXED_NODES = [100, 500, 1000, 2000, 5000]
CLUSTER_NODES = [500, 1000, 2000, 5000]
# Runs a script and reports its peak resident memory (KiB) on stderr, for scripts that don't.
PEAK_WRAPPER = (
    "import atexit, resource, runpy, sys; "
    "atexit.register(lambda: sys.stderr.write("
    "'PEAK_RSS_KIB=%d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)); "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


def run_json(command: list[str]) -> tuple[dict, float | None]:
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    line = json.loads(result.stdout.strip().splitlines()[-1])
    peak = None
    for text in result.stderr.splitlines():
        if text.startswith("PEAK_RSS_KIB="):
            peak = int(text.split("=")[1]) / 1024
    return line, peak


def simgrid_available() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import simgrid"], capture_output=True, text=True, check=False
    )
    return probe.returncode == 0


def max_relative_difference(first: Path, second: Path) -> float:
    a = json.loads(first.read_text())["finish"]
    b = json.loads(second.read_text())["finish"]
    worst = 0.0
    for row_a, row_b in zip(a, b, strict=True):
        for x, y in zip(row_a, row_b, strict=True):
            worst = max(worst, abs(x - y) / max(abs(y), 1e-300))
    return worst


def star_rows(work: Path, simgrid_max_nodes: int) -> list[dict]:
    rows = []
    use_simgrid = simgrid_available()
    for nodes in STAR_NODES:
        workload = work / f"star_{nodes}.json"
        subprocess.run(
            [
                sys.executable,
                str(HERE / "make_star.py"),
                "--nodes",
                str(nodes),
                "-o",
                str(workload),
            ],
            check=True,
        )
        ours_finish = work / f"star_{nodes}.pullsim.json"
        ours, _ = run_json([sys.executable, str(HERE / "star.py"), str(workload), str(ours_finish)])
        row = {"nodes": nodes, "flows": ours["flows"], "makespan_s": ours["makespan_s"]}
        row |= {"pullsim_wall_s": ours["wall_s"], "pullsim_peak_mib": ours["peak_rss_mib"]}
        recorded, _ = run_json([sys.executable, str(HERE / "star.py"), str(workload), "--record"])
        row |= {
            "recorded_wall_s": recorded["wall_s"],
            "recorded_peak_mib": recorded["peak_rss_mib"],
        }
        if use_simgrid and nodes <= simgrid_max_nodes:
            theirs_finish = work / f"star_{nodes}.simgrid.json"
            command = [SYSTEM_PYTHON, "-c", PEAK_WRAPPER, str(HERE / "simgrid_star.py")]
            theirs, peak = run_json([*command, str(workload), str(theirs_finish)])
            row |= {"simgrid_wall_s": theirs["wall_s"], "simgrid_peak_mib": peak}
            row["max_relative_difference"] = max_relative_difference(ours_finish, theirs_finish)
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def mixed_rows() -> list[dict]:
    rows = []
    for nodes in MIXED_NODES:
        line, _ = run_json([sys.executable, str(HERE / "mixed.py"), "--nodes", str(nodes)])
        rows.append(line)
        print(json.dumps(line), flush=True)
    return rows


def cluster_rows() -> list[dict]:
    rows = []
    for nodes in CLUSTER_NODES:
        line, _ = run_json(
            [sys.executable, str(HERE / "cluster_rollout.py"), "--nodes", str(nodes)]
        )
        rows.append(line)
        print(json.dumps(line), flush=True)
    return rows


def render_cluster(cluster: list[dict]) -> list[str]:
    lines = [
        "",
        "## Cluster rollout: kubelet, runtime and scheduler end to end",
        "",
        "`cluster_rollout.py --nodes N` (seed 0): 30 pods per node from 50 Deployments over 20 "
        "images sharing base layers, 3 registries, strategy `maxParallelImagePulls: 3`; wall "
        "time includes elaborating the scenario and collecting the DataFrames.",
        "",
        "| nodes | pods | pulls | ready | makespan (s) | p99 startup (s) | wall (s) | peak (MiB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in cluster:
        lines.append(
            f"| {row['nodes']:,} | {row['pods']:,} | {row['pulls']:,} | {row['ready']:,} "
            f"| {row['makespan_s']:.3f} | {row['startup_p99_s']:.3f} | {row['wall_s']:.2f} "
            f"| {row['peak_rss_mib']:.0f} |"
        )
    return lines


def cell(value, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}g}" if value and abs(value) < 1e-3 else f"{value:,.{digits}f}"
    return f"{value:,}"


def render(
    star: list[dict], mixed: list[dict], command: str, cluster: list[dict] | None = None
) -> str:
    today = datetime.date.today().isoformat()
    cpu = platform.processor() or platform.machine()
    lines = [
        "# Engine benchmark results",
        "",
        f"Produced by `{command}` on {today}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}. Wall time is the simulation only (building "
        "links and flows and running them), not start-up or file reading; peak memory is the "
        "process's maximum resident set. Regenerate with the same command; do not edit by hand.",
        "",
        "## Star: one registry egress (10 Gb/s), N nodes with 1 Gb/s NICs, 5 blobs of 1–200 MB "
        "each at t = 0",
        "",
        "Both engines read the same workload file (`make_star.py --nodes N`, seed 0). SimGrid is "
        "3.32's LMM solver configured for pure max-min (see README.md). Recording: link "
        "utilisation by label in 10 s buckets, as `star.py --record`. Speed-up is SimGrid's wall "
        "time over pullsim's without recording.",
        "",
        "| nodes | flows | makespan (s) | pullsim wall (s) | pullsim peak (MiB) "
        "| with recording: wall (s) / peak (MiB) "
        "| SimGrid wall (s) | SimGrid peak (MiB) | speed-up | max finish-time difference |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in star:
        simgrid = row.get("simgrid_wall_s")
        speed_up = f"{simgrid / row['pullsim_wall_s']:.1f}×" if simgrid else "—"
        difference = row.get("max_relative_difference")
        lines.append(
            f"| {row['nodes']:,} | {row['flows']:,} | {row['makespan_s']:.3f} "
            f"| {row['pullsim_wall_s']:.2f} | {row['pullsim_peak_mib']:.0f} "
            f"| {row['recorded_wall_s']:.2f} / {row['recorded_peak_mib']:.0f} "
            f"| {cell(simgrid)} | {cell(row.get('simgrid_peak_mib'), 0)} | {speed_up} "
            f"| {'—' if difference is None else f'{difference:.1e}'} |"
        )
    lines += [
        "",
        "## Mixed bottlenecks: 3 registries, 4 zone uplinks, NICs, disks, CPUs; staggered "
        "arrivals, caps, coefficients, workload streams",
        "",
        "`mixed.py --nodes N` (seed 0). Full solves are the fallback when local repair of the "
        "bottleneck structure gives up; the first solve of a run is always one.",
        "",
        "| nodes | transfers | streams | makespan (s) | wall (s) | peak (MiB) | updates "
        "| full solves |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in mixed:
        lines.append(
            f"| {row['nodes']:,} | {row['flows']:,} | {row['streams']:,} "
            f"| {row['makespan_s']:.3f} | {row['wall_s']:.2f} | {row['peak_rss_mib']:.0f} "
            f"| {row['updates']:,} | {row['full_solves']:,} |"
        )
    if cluster:
        lines += render_cluster(cluster)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simgrid-max-nodes", type=int, default=5000)
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"))
    arguments = parser.parse_args(argv)
    command = "python benchmarks/run_all.py" + (
        f" --simgrid-max-nodes {arguments.simgrid_max_nodes}"
        if arguments.simgrid_max_nodes != 5000
        else ""
    )
    with tempfile.TemporaryDirectory() as directory:
        star = star_rows(Path(directory), arguments.simgrid_max_nodes)
    mixed = mixed_rows()
    cluster = cluster_rows()
    Path(arguments.output).write_text(render(star, mixed, command, cluster))
    print(f"wrote {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
