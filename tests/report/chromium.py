"""Headless Chromium for the report tests: find (or install) it, load a page, read the DOM,
the console and a screenshot.

Chromium comes from Debian's ``chromium`` package. ``.ci/run`` installs it before ``make test``;
when it is missing here and we are root with apt-get, :func:`ensure_chromium` installs it
(set ``PULLSIM_NO_APT=1`` to forbid that). The console is read from ``--enable-logging=stderr``:
every console message (log, error, an uncaught exception, a Content-Security-Policy violation)
appears there as a ``...:CONSOLE(...)`` line, whatever its level, so a report that must be
silent is checked by finding none.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)
INSTALL_TIMEOUT_S = 900
RUN_TIMEOUT_S = 120


def find_chromium() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def ensure_chromium() -> tuple[str | None, str]:
    """The chromium executable, installing Debian's package when possible; else (None, why)."""
    found = find_chromium()
    if found:
        return found, ""
    if os.environ.get("PULLSIM_NO_APT"):
        return None, "chromium is not installed and PULLSIM_NO_APT forbids installing it"
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None, (
            "chromium is not installed and cannot be installed here (needs root and apt-get): "
            "run `apt-get install chromium` (.ci/run does)"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        for command in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "chromium"],
        ):
            subprocess.run(
                command,
                check=True,
                capture_output=True,
                text=True,
                env=env,
                timeout=INSTALL_TIMEOUT_S,
            )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        output = getattr(error, "stderr", "") or ""
        return None, f"installing chromium failed: {error}; {str(output)[-500:]}"
    found = find_chromium()
    return found, "" if found else "apt-get installed chromium but it is not on PATH"


@dataclass(frozen=True)
class PageLoad:
    dom: str
    stderr: str

    @property
    def console(self) -> list[str]:
        """Console messages (any level) and uncaught exceptions the page produced."""
        return [
            line for line in self.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line
        ]


def load(
    chromium: str,
    page: Path,
    profile: Path,
    *,
    screenshot: Path | None = None,
    window: tuple[int, int] = (1200, 2400),
) -> PageLoad:
    """Open ``page`` headless and return the DOM after the load event (``--dump-dom``) and
    Chromium's log; with ``screenshot``, a second run writes a PNG of the window."""
    base = [
        chromium,
        *FLAGS,
        f"--user-data-dir={profile}",
        f"--window-size={window[0]},{window[1]}",
    ]
    url = page.resolve().as_uri()
    done = subprocess.run(
        [*base, "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited with {done.returncode}: {done.stderr[-2000:]}")
    if screenshot is not None:
        subprocess.run(
            [*base, f"--screenshot={screenshot}", url],
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            check=True,
        )
    return PageLoad(done.stdout, done.stderr)
