"""The main job (``make demo`` = ``richardson demo``): every bundled scenario simulated and
reported, with figures, in ``out/report.md`` and ``out/report.html``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import matplotlib

from . import plot
from .families import richardson2
from .interventions import step
from .model import Model
from .report import Report
from .simulate import simulate

__all__ = ["run_demo", "Scenario", "builtin_scenarios"]


@dataclass(frozen=True)
class Scenario:
    """A model with the run the report makes of it."""

    key: str
    model: Model
    t_span: tuple[float, float]
    y0: tuple[float, ...] | None = None
    ceiling: float | None = None


def builtin_scenarios() -> list[Scenario]:
    """The classic two-nation cases that need no model file."""
    stable = richardson2(k=0.9, l=0.8, a=1.0, b=1.1, g=0.5, h=0.3)
    runaway = richardson2(k=1.3, l=1.2, a=1.0, b=1.1, g=0.5, h=0.3)
    hotline = runaway.with_interventions(step("k", at=10, to=0.6), step("l", at=10, to=0.6))
    return [
        Scenario("classic_stable", _named(stable, "Classic two-nation race, stable (a b > k l)"),
                 (0.0, 30.0), (1.0, 2.0)),
        Scenario("classic_runaway", _named(runaway, "Classic two-nation race, runaway (k l > a b)"),
                 (0.0, 40.0), (1.0, 2.0), ceiling=1e3),
        Scenario("classic_hotline", _named(hotline, "Runaway race damped by a hotline at t = 10"),
                 (0.0, 40.0), (1.0, 2.0), ceiling=1e3),
    ]


def _named(model: Model, name: str) -> Model:
    from dataclasses import replace

    return replace(model, name=name)


def _scenario_section(report: Report, scenario: Scenario) -> None:
    model = scenario.model
    report.heading(model.name or scenario.key)
    if model.description:
        report.text(model.description)
    trajectory = simulate(model, scenario.t_span, scenario.y0, ceiling=scenario.ceiling)
    report.preformatted(trajectory.summary())
    ax = plot.time_series(trajectory, logy=trajectory.has_runaway)
    report.figure(ax.figure, f"{scenario.key}_series", f"{model.name}: spending over time")


def run_demo(out: str | Path = "out", scenarios: list[Scenario] | None = None) -> Path:
    """Run the main job and write the report.

    Parameters
    ----------
    out : str or pathlib.Path
        Output directory (created if missing).
    scenarios : list of Scenario, optional
        What to report; the built-in and bundled scenarios by default.

    Returns
    -------
    pathlib.Path
        Path of ``report.md``.
    """
    matplotlib.use("Agg")
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    report = Report("richardson demo report", directory)
    report.text(
        "Every scenario below was built, compiled and simulated by `richardson demo`. "
        "Spending is in the units stated by each model; time in years."
    )
    for scenario in scenarios if scenarios is not None else builtin_scenarios():
        _scenario_section(report, scenario)
    report.text(f"Report generated in {time.perf_counter() - started:.1f} s.")
    markdown, _ = report.write()
    return markdown
