"""The capacity-planning report: one self-contained HTML file with the question, the scenario
in brief, a table per strategy, the figures and a recommendation.

- :func:`write_report` / :func:`render_report` (:mod:`pullsim.report.html`);
- :func:`recommend` (:mod:`pullsim.report.recommend`): the smallest cap on parallel pulls that
  meets a p99 startup target within a workload slowdown budget;
- :func:`redact` (:mod:`pullsim.report.redact`): pull-secret values out of scenario text.
"""

from pullsim.report.html import render_report, write_report
from pullsim.report.recommend import Recommendation, evaluate, recommend
from pullsim.report.redact import REDACTED, redact

__all__ = [
    "REDACTED",
    "Recommendation",
    "evaluate",
    "recommend",
    "redact",
    "render_report",
    "write_report",
]
