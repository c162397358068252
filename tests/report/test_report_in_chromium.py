"""The report in a real browser (headless Chromium): every figure decodes, the console is
silent, and the page looks like a report (a screenshot is taken; set PULLSIM_SCREENSHOT_DIR to
keep it)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from pullsim.report import write_report
from tests.plots.situations import comparison, three_image_scenario
from tests.report.chromium import ensure_chromium, load
from tests.report.test_report import SCENARIO_TEXT, SECRETS


@pytest.fixture(scope="module")
def chromium():
    path, why = ensure_chromium()
    if path is None:
        pytest.skip(why)
    return path


def _body(dom: str) -> dict[str, str]:
    tag = re.search(r"<body([^>]*)>", dom)
    assert tag, dom[:500]
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag.group(1)))


def _images(dom: str) -> list[dict[str, str]]:
    return [
        dict(re.findall(r'([\w-]+)="([^"]*)"', tag)) for tag in re.findall(r"<img([^>]*)>", dom)
    ]


def test_every_figure_renders_and_the_console_stays_silent(chromium, tmp_path):
    report = write_report(
        comparison(),
        tmp_path / "report.html",
        startup_target_s=5.5,
        slowdown_budget=0.5,
        scenario_text=SCENARIO_TEXT,
        scenario=three_image_scenario(),
    )
    screenshot = tmp_path / "report.png"
    page = load(chromium, report, tmp_path / "profile", screenshot=screenshot)
    body = _body(page.dom)
    assert body["data-figures"] == "5"
    assert body["data-figures-rendered"] == "5"
    images = _images(page.dom)
    assert len(images) == 5
    for image in images:
        assert int(image["data-natural-width"]) > 0, image.get("alt")
        assert int(image["data-natural-height"]) > 0, image.get("alt")
    assert page.console == []
    assert "Recommended: capped-2" in page.dom
    for secret in SECRETS:
        assert secret not in page.dom
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 20_000  # not a blank page
    keep = os.environ.get("PULLSIM_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(screenshot, Path(keep) / "report.png")
        shutil.copy(report, Path(keep) / "report.html")


def test_the_checks_catch_a_broken_page(chromium, tmp_path):
    # The positive control: errors, an uncaught exception, a blocked external image and an
    # undecodable figure are all seen, so a silent console above means something.
    report = write_report(
        comparison(), tmp_path / "report.html", startup_target_s=5.5, slowdown_budget=0.5
    )
    text = report.read_text()
    broken = text.replace(
        "<h2>Figures</h2>",
        "<h2>Figures</h2><figure><img src='data:image/png;base64,bm90IGEgcG5n'></figure>"
        "<figure><img src='https://example.invalid/x.png'></figure>"
        "<script>console.error('boom'); throw new Error('kaboom');</script>",
    )
    page_path = tmp_path / "broken.html"
    page_path.write_text(broken)
    page = load(chromium, page_path, tmp_path / "profile")
    console = "\n".join(page.console)
    assert "boom" in console
    assert "Uncaught Error: kaboom" in console
    assert "Content Security Policy" in console
    body = _body(page.dom)
    assert int(body["data-figures-rendered"]) == 5  # of 7 images: two did not render
    widths = [int(image["data-natural-width"]) for image in _images(page.dom)]
    assert widths.count(0) == 2
