"""pullsim.plots: frames in, Figures out; numbers drawn are the numbers computed on paper."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import pullsim
from pullsim import plots
from tests.plots.situations import comparison, poisson_comparison, three_image_scenario


@pytest.fixture(scope="module")
def result():
    return comparison()


def _labels(figure: Figure) -> list[str]:
    return [axes.get_xlabel() + " | " + axes.get_ylabel() for axes in figure.axes]


def test_strategy_caps_from_names_and_from_the_kubelet_configuration():
    assert plots.strategy_cap("serial") == 1
    assert math.isinf(plots.strategy_cap("parallel"))
    assert plots.strategy_cap("capped-3") == 3
    assert plots.strategy_cap("containerd-1.x") is None
    scenario = three_image_scenario()
    assert plots.strategy_caps(["serial", "capped-2", "parallel"], scenario) == {
        "serial": 1.0,
        "capped-2": 2.0,
        "parallel": math.inf,
    }
    assert plots.order_strategies(["parallel", "odd", "capped-10", "serial", "capped-2"]) == [
        "serial",
        "capped-2",
        "capped-10",
        "parallel",
        "odd",
    ]


def test_step_sum_adds_piecewise_constant_rates_on_paper():
    edges = np.array([0.0, 1.0, 2.0, 3.0])
    sums = plots._step_sum(np.array([0.0, 1.0]), np.array([2.0, 3.0]), np.array([5.0, 7.0]), edges)
    assert sums.tolist() == [5.0, 12.0, 7.0]


def test_startup_cdf_steps_at_each_pod_ready_time(result):
    figure = plots.startup_cdf(result.pods, target_s=5)
    assert isinstance(figure, Figure)
    axes = figure.axes[0]
    lines = {line.get_label(): line for line in axes.get_lines()}
    # serial: pods ready at 2, 4, 6 s (created at 0)
    serial = lines["serial"]
    assert serial.get_xdata().tolist() == pytest.approx([0, 2, 4, 6])
    assert serial.get_ydata().tolist() == pytest.approx([0, 1 / 3, 2 / 3, 1])
    assert lines["parallel"].get_xdata().tolist() == pytest.approx([0, 4, 4, 4])
    assert "target" in lines
    assert "(s)" in axes.get_xlabel() and "fraction" in axes.get_ylabel()
    # legend order follows the cap: serial, capped-2, parallel
    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert legend[:3] == ["serial", "capped-2", "parallel"]


def test_startup_cdf_stays_below_one_when_pods_never_start():
    pods = pd.DataFrame(
        {
            "scenario": ["s"] * 4,
            "strategy": ["serial"] * 4,
            "seed": [0] * 4,
            "startup_s": [1.0, 2.0, 3.0, math.nan],
            "ready_s": [1.0, 2.0, 3.0, math.nan],
            "deleted_s": [math.nan] * 4,
        }
    )
    axes = plots.startup_cdf(pods).axes[0]
    line = axes.get_lines()[0]
    assert line.get_label() == "serial (1 never ready)"
    assert line.get_ydata()[-1] == pytest.approx(0.75)


def test_link_utilisation_stacks_pulls_and_workloads_under_the_capacity(result):
    figure = plots.link_utilisation(result.links)
    assert figure.get_suptitle().startswith("Link node-0000/nic-rx")
    panels = [axes for axes in figure.axes if axes.get_title(loc="left")]
    assert [axes.get_title(loc="left") for axes in panels] == ["serial", "capped-2", "parallel"]
    for axes in panels:
        capacity = [line for line in axes.get_lines() if line.get_label() == "capacity"]
        assert capacity[0].get_ydata()[0] == pytest.approx(100.0)  # MB/s
        assert axes.get_ylabel() == "rate (MB/s)"
        # the stacked top never exceeds the capacity
        top = max(collection.get_paths()[0].vertices[:, 1].max() for collection in axes.collections)
        assert top <= 100.0 + 1e-6
    assert figure.axes[len(panels) - 1].get_xlabel() == "simulated time (s)"


def test_workload_delivery_shows_demand_and_each_strategys_shortfall(result):
    figure = plots.workload_delivery(result.workloads)
    axes = figure.axes[0]
    lines = {line.get_label(): line for line in axes.get_lines()}
    assert set(lines) == {
        "demanded",
        "serial: delivered",
        "capped-2: delivered",
        "parallel: delivered",
    }
    assert min(lines["serial: delivered"].get_ydata()) == pytest.approx(50.0)
    assert min(lines["capped-2: delivered"].get_ydata()) == pytest.approx(100 / 3)
    assert min(lines["parallel: delivered"].get_ydata()) == pytest.approx(25.0)
    assert max(lines["demanded"].get_ydata()) == pytest.approx(60.0)
    assert "(MB/s)" in axes.get_ylabel()


def test_cap_tradeoff_plots_p50_p99_and_slowdown_against_the_cap(result):
    figure = plots.cap_tradeoff(result, startup_target_s=5, slowdown_budget=0.5)
    startup, slowdown = figure.axes
    p99 = next(line for line in startup.get_lines() if line.get_label() == "p99")
    assert p99.get_ydata().tolist() == pytest.approx([5.96, 4.96, 4.0])
    worst = next(line for line in slowdown.get_lines() if line.get_label() == "workload slowdown")
    assert worst.get_ydata().tolist() == pytest.approx([100 / 6, 100 * 4 / 9, 100 * 7 / 12])
    assert [tick.get_text() for tick in startup.get_xticklabels()] == [
        "serial\n(cap 1)",
        "capped-2\n(cap 2)",
        "parallel\n(cap ∞)",
    ]
    assert "(%)" in slowdown.get_ylabel() and "(s)" in startup.get_ylabel()


def test_cap_tradeoff_draws_the_means_over_seeds_from_summary_by_strategy():
    result = poisson_comparison((0, 1))
    runs = result.summary  # one row per run
    assert set(runs["seed"]) == {0, 1}
    order = ["serial", "capped-2", "parallel"]
    # What to expect, from the per-run rows: the mean of each strategy's two runs.
    means = runs.groupby("strategy")[["startup_p99_s", "startup_p50_s", "workload_min_share"]]
    means = means.mean().loc[order]
    seed0 = runs[runs["seed"] == 0].set_index("strategy").loc[order]
    for data in (result, result.summary_by_strategy):
        startup, slowdown = plots.cap_tradeoff(data).axes
        lines = {line.get_label(): line for line in startup.get_lines()}
        assert lines["p99"].get_ydata().tolist() == pytest.approx(means["startup_p99_s"].tolist())
        assert lines["p50"].get_ydata().tolist() == pytest.approx(means["startup_p50_s"].tolist())
        worst = slowdown.get_lines()[0].get_ydata().tolist()
        assert worst == pytest.approx((100 * (1 - means["workload_min_share"])).tolist())
    # The seeds really differ, so a figure of one seed's rows would not pass the checks above.
    assert lines["p50"].get_ydata()[0] != pytest.approx(seed0["startup_p50_s"].iloc[0])
    assert worst[2] != pytest.approx(100 * (1 - seed0["workload_min_share"].iloc[2]))


def test_strategy_means_reads_summary_by_strategy_or_averages_runs():
    result = poisson_comparison((0, 1))
    by_strategy = result.summary_by_strategy
    assert plots.strategy_means(result).equals(by_strategy)
    assert plots.strategy_means(by_strategy).equals(by_strategy)
    runs = result.summary  # one row per run
    assert set(runs["seed"]) == {0, 1}
    averaged = plots.strategy_means(runs)
    assert averaged["seed"].tolist() == [-1, -1, -1] and averaged["seeds"].tolist() == [2, 2, 2]
    columns = ["startup_p50_s", "startup_p99_s", "pods", "workload_min_share"]
    assert averaged[columns].to_numpy() == pytest.approx(by_strategy[columns].to_numpy())
    mixed = pd.concat([runs, by_strategy[runs.columns]], ignore_index=True)
    with pytest.raises(ValueError, match="mixes per-run rows"):
        plots.strategy_means(mixed)


def test_cap_tradeoff_draws_one_line_per_scenario_of_a_sweep():
    runs = [
        pullsim.compare(three_image_scenario(f"nic {rate} MB/s", rate * 1e6)) for rate in (100, 200)
    ]
    by_strategy = pd.concat([run.summary_by_strategy for run in runs], ignore_index=True)
    summary = pd.concat([run.summary for run in runs], ignore_index=True)
    for frame in (by_strategy, summary):  # per-run rows of one seed: the same means
        startup, _ = plots.cap_tradeoff(frame).axes
        labels = [line.get_label() for line in startup.get_lines()]
        assert labels == [
            "nic 100 MB/s: p99",
            "nic 100 MB/s: p50",
            "nic 200 MB/s: p99",
            "nic 200 MB/s: p50",
        ]


def test_pull_timeline_draws_each_layers_download(result):
    figure = plots.pull_timeline(result.pulls, result.layers, strategy="serial")
    axes = figure.axes[0]
    labels = [tick.get_text() for tick in axes.get_yticklabels()]
    assert "registry.test/i0:1" in labels and "  layer 0 (100 MB)" in labels
    bars = [c for c in axes.collections if len(c.get_paths())]
    assert len(bars) >= 3  # one download bar per image at least
    assert axes.get_xlabel() == "simulated time (s)"
    assert "serial" in axes.get_title()


def test_empty_frames_give_a_figure_that_says_so():
    empty = pd.DataFrame(columns=["scenario", "strategy", "seed"])
    for figure in (
        plots.startup_cdf(empty),
        plots.workload_delivery(empty),
        plots.link_utilisation(empty),
        plots.pull_timeline(empty, empty),
        plots.cap_tradeoff(empty),
    ):
        assert isinstance(figure, Figure)
        assert figure.axes[0].texts


def test_save_figures_writes_png_and_svg(result, tmp_path):
    paths = plots.save_figures(result, tmp_path / "figures")
    stems = sorted({path.stem for path in paths})
    assert stems == [
        "cap-tradeoff",
        "link-utilisation",
        "pull-timeline",
        "startup-cdf",
        "workload-delivery",
    ]
    for path in paths:
        assert path.exists() and path.stat().st_size > 1000
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        else:
            assert path.read_text().lstrip().startswith("<?xml")


def test_save_figures_of_one_run_leaves_out_the_cap_sweep(tmp_path):
    one = pullsim.simulate(three_image_scenario(), "serial").raise_for_error()
    stems = {path.stem for path in plots.save_figures(one, tmp_path)}
    assert "cap-tradeoff" not in stems and "startup-cdf" in stems


def test_plots_run_headless_without_pyplot(tmp_path):
    code = (
        "import sys, os; os.environ.pop('DISPLAY', None); os.environ.pop('MPLBACKEND', None)\n"
        "from tests.plots.situations import comparison\n"
        "from pullsim.plots import save_figures\n"
        f"paths = save_figures(comparison(), {str(tmp_path)!r})\n"
        "print(len(paths), 'matplotlib.pyplot' in sys.modules)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.split() == ["10", "False"]


def test_pull_timeline_marks_failed_pulls_and_counts_the_later_retries():
    from tests.kubelet.test_failures_on_paper import (
        CESHI,
        DEPLOYMENT,
        PATCHED_DEFAULT,
        SECRET,
        private,
    )

    result = private(SECRET, PATCHED_DEFAULT, CESHI, DEPLOYMENT % "ceshi")
    axes = plots.pull_timeline(result.pulls, result.layers, until_s=12).axes[0]
    failed = [line for line in axes.get_lines() if line.get_marker() == "x"]
    assert failed and all(x <= 30 for x in failed[0].get_xdata())
    later = int((result.pulls["finished_s"] > 12).sum())
    assert axes.get_xlim() == (0, 12)
    assert axes.get_title().endswith(f"; {later} more failed pulls or back-offs later")
    cdf = plots.startup_cdf(result.pods).axes[0]
    assert cdf.get_lines()[0].get_label() == "default (1 never ready)"
