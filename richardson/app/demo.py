"""The main job (``make demo`` = ``richardson demo``): every scenario simulated, classified,
placed relative to its nearest trigger point, mapped, and fitted where data exists; written
to ``out/report.md`` and ``out/report.html`` with figures."""

from __future__ import annotations

import math
import multiprocessing
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

from .. import plot
from ..errors import RichardsonError
from ..model.core import Model
from ..model.families import richardson2
from ..model.interventions import step
from ..simulation.integrate import simulate
from .report import Report

__all__ = ["run_demo", "Scenario", "builtin_scenarios", "scenario_files"]

#: Directory of the bundled scenario files: the package's copies of ``models/*.toml``.
MODELS_DIR = Path(__file__).resolve().parents[1] / "scenarios"


@dataclass(frozen=True)
class Scenario:
    """A model with the run the report makes of it.

    Attributes
    ----------
    key : str
        Short name used for figure files.
    model : Model
        The model (with its initial values and interventions).
    t_span : pair of float
        Simulated time span (model time unit).
    y0 : tuple of float, optional
        Initial state (defaults to the model's ``initial`` values).
    ceiling : float, optional
        Spending level counted as runaway.
    """

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
        Scenario(
            "classic_stable",
            replace(stable, name="Classic two-nation race, stable (a b > k l)"),
            (0.0, 30.0),
            (1.0, 2.0),
        ),
        Scenario(
            "classic_runaway",
            replace(runaway, name="Classic two-nation race, runaway (k l > a b)"),
            (0.0, 40.0),
            (1.0, 2.0),
            ceiling=1e3,
        ),
        Scenario(
            "classic_hotline",
            replace(hotline, name="Runaway race damped by a hotline at t = 10"),
            (0.0, 40.0),
            (1.0, 2.0),
            ceiling=1e3,
        ),
    ]


def scenario_files(directory: Path = MODELS_DIR) -> list[Scenario]:
    """The bundled scenarios (``rd.scenarios``, copies of ``models/*.toml``), with the time
    span and ceiling of their ``[simulation]`` metadata when given, else 50 years from the
    model's initial values."""
    from ..io.model_files import load_model

    scenarios = []
    for path in sorted(directory.glob("*.toml")):
        model = load_model(path)
        settings = dict(model.metadata.get("simulation", {}))
        t0 = float(settings.get("t0", 0.0))
        t1 = float(settings.get("t1", t0 + 50.0))
        ceiling = settings.get("ceiling")
        scenarios.append(
            Scenario(
                path.stem, model, (t0, t1), None, float(ceiling) if ceiling is not None else None
            )
        )
    return scenarios


@dataclass(frozen=True)
class _MarginDigest:
    """What the report needs of an escalation margin (picklable across processes)."""

    text: str
    parameters: tuple[str, ...]


def _margin_digest(model: Model, **options) -> _MarginDigest:  # noqa: ANN003
    from ..analysis.margin import escalation_margin

    result = escalation_margin(model, **options)
    return _MarginDigest(result.summary(), tuple(result.parameters))


#: Seconds the demo allows for the escalation margin of one nonlinear model.
MARGIN_BUDGET_S = 15.0


def _budget_worker(connection, func, args, kwargs) -> None:  # noqa: ANN001
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            connection.send(("ok", func(*args, **kwargs)))
    except Exception as err:  # noqa: BLE001 -- sent back and re-raised in the parent
        connection.send(("error", err))
    finally:
        connection.close()


def _within_budget(func, args, kwargs, seconds):  # noqa: ANN001, ANN202
    """``func(*args, **kwargs)`` in a child process; None if it takes longer than ``seconds``."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(target=_budget_worker, args=(sender, func, args, kwargs), daemon=True)
    worker.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            return None
        status, value = receiver.recv()
    finally:
        worker.terminate()
        worker.join()
        receiver.close()
    if status == "error":
        raise value
    return value


def _attempt(report: Report, what: str, action: Callable[[], None]) -> None:
    """Run one part of a section; a failure is reported in the text, the report goes on."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            action()
    except (RichardsonError, ValueError, RuntimeError, np.linalg.LinAlgError) as err:
        report.text(f"({what} could not be computed: {err})")


def _parameter_table(model: Model) -> pd.DataFrame:
    rows = {
        name: {"value": p.value, "unit": p.unit, "meaning": p.description, "source": p.source}
        for name, p in model.params.items()
    }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "parameter"
    return frame


def _params_after_interventions(model: Model, t: float) -> dict[str, float]:
    from ..model.interventions import Schedule

    values = Schedule(model.param_index, model.interventions).at(t, model.param_vector())
    return dict(zip(model.param_names, values.tolist(), strict=True))


def _map_axes(model: Model, margin, trigger=None) -> list[str]:  # noqa: ANN001
    """Two parameters for the stability map: those a single change of which reaches a trigger
    point soonest (so the map shows the boundary), then those of the margin, then the first
    reactions."""
    near = sorted(
        (abs(change), name)
        for name, change, _ in getattr(trigger, "candidates", ())
        if math.isfinite(change) and model.params[name].value != 0
    )
    names = [name for _, name in near]
    for name in getattr(margin, "parameters", ()):
        if model.params[name].value != 0 and name not in names:
            names.append(name)
    if len(names) < 2:
        from ..analysis.margin import _default_parameters

        names += [n for n in _default_parameters(model, model.param_vector()) if n not in names]
    return names[:2]


def _spread(values: np.ndarray) -> bool:
    """Whether an actor's series would lie flat along the bottom of a linear axis: its peak
    below a thirtieth of the highest (a logarithmic axis shows it)."""
    peaks = np.nanmax(np.where(np.isfinite(values), values, np.nan), axis=0)
    if not np.all(np.isfinite(values)) or np.nanmin(values) <= 0 or len(peaks) < 2:
        return False
    return bool(peaks.min() < peaks.max() / 30.0)


def _scenario_section(report: Report, scenario: Scenario, fits: dict[str, object]) -> None:
    from ..analysis.regimes import classify
    from ..analysis.sweeps import stability_map
    from ..analysis.trigger import nearest_bifurcation

    model = scenario.model
    report.heading(model.name or scenario.key)
    if model.description:
        report.text(model.description)
    if len(model.params) <= 40:
        report.table(_parameter_table(model))
    trajectory = simulate(model, scenario.t_span, scenario.y0, ceiling=scenario.ceiling)
    report.preformatted(trajectory.summary())
    logy = trajectory.has_runaway or _spread(trajectory.values)
    ax = plot.time_series(trajectory, logy=logy)
    report.figure(
        ax.figure,
        f"{scenario.key}_series",
        f"{model.name}: spending over time" + (" (logarithmic axis)" if logy else ""),
    )
    state = {}

    def verdict() -> None:
        # the fate of the scenario's own start is judged too (which side of a threshold)
        start = scenario.y0
        if start is None and model.initial and len(model.initial) == model.n_states:
            start = model.initial_vector()
        regime = classify(model, y0=start)
        state["regime"] = regime
        report.heading("Regime verdict", 3)
        before = "Before the interventions: " if model.interventions else ""
        report.text(f"{before}Regime: {regime.name.replace('_', ' ')}. {regime.explanation}")
        if model.interventions:
            after = _params_after_interventions(model, scenario.t_span[1])
            changed = {k: v for k, v in after.items() if v != model.params[k].value}
            regime_after = classify(model, after)
            report.text(
                "After the interventions ("
                + ", ".join(f"{k} = {v:.4g}" for k, v in changed.items())
                + f"): {regime_after.name.replace('_', ' ')}. {regime_after.explanation}"
            )

    linear = model.compile().is_linear
    cheap = {} if linear else {"n_samples": 12}

    def margin() -> None:
        report.heading("Escalation margin", 3)
        if linear:
            result = _margin_digest(model)
        else:
            result = _within_budget(_margin_digest, (model,), cheap, MARGIN_BUDGET_S)
        if result is None:
            report.text(
                f"Not computed within the demo's {MARGIN_BUDGET_S:.0f} s budget (the margin of "
                "a nonlinear model is found by bisection on sampled verdicts); run "
                "`richardson analyze` on the model file for it."
            )
            return
        state["margin"] = result
        report.text(result.text)

    def trigger() -> None:
        point = nearest_bifurcation(model)
        state["trigger"] = point
        report.heading("Nearest trigger point", 3)
        report.text(
            point.summary()
            if point is not None
            else "No fold, Hopf or branch point, and no stability boundary, within a factor of "
            "three of any reaction or fatigue parameter."
        )

    def portrait() -> None:
        ax = plot.phase_portrait(model, trajectories=4)
        report.figure(
            ax.figure,
            f"{scenario.key}_portrait",
            f"{model.name}: phase portrait of {model.actors[0]} and {model.actors[1]}"
            + ("" if model.n_states == 2 else " (other actors at their balance)")
            + (
                "; the field and its balances are those before the interventions, the shaded "
                "starts run away with them"
                if model.interventions
                else ""
            ),
        )

    def regime_map() -> None:
        names = _map_axes(model, state.get("margin"), state.get("trigger"))
        if len(names) < 2:
            return
        count = 120 if linear else 7
        grid = {}
        for name in names:
            value = model.params[name].value
            lo, hi = (
                (0.0, 2.5 * value)
                if value > 0
                else (2.5 * value, 0.0)
                if value < 0
                else (-1.0, 1.0)
            )
            grid[name] = np.linspace(lo, hi, count)
        if linear:
            regimes = stability_map(model, grid, progress=False)
        else:
            with ProcessPoolExecutor(2) as pool:
                regimes = stability_map(model, grid, progress=False, executor=pool, n_samples=8)
        ax = plot.stability_map(regimes)
        here = (model.params[names[0]].value, model.params[names[1]].value)
        ax.plot(*here, "k*", ms=12)
        ax.annotate("this scenario", here, xytext=(6, 6), textcoords="offset points", fontsize=8)
        report.figure(
            ax.figure,
            f"{scenario.key}_map",
            f"{model.name}: regimes over {names[0]} and {names[1]} (star: this scenario"
            + (", before the interventions)" if model.interventions else ")"),
        )

    _attempt(report, "The regime verdict", verdict)
    _attempt(report, "The escalation margin", margin)
    _attempt(report, "The nearest trigger point", trigger)
    if model.n_states >= 2 and model.is_autonomous:
        _attempt(report, "The phase portrait", portrait)
    _attempt(report, "The stability map", regime_map)
    dataset = model.metadata.get("data")
    if isinstance(dataset, str) and dataset:
        _attempt(report, "The fit", lambda: _fit_section(report, scenario, dataset, fits))


#: Historical fits of the main job: (title, bundled case, years, actors, fit options). Each
#: is loaded on a real basis (:func:`._basis.load_real`): personnel before 1914, constant
#: 2010 dollars after.
HISTORICAL_FITS = (
    (
        "Pre-1914 Europe: Entente vs Central Powers",
        "pre_wwi_blocs",
        (1880, 1913),
        ("Entente", "Central Powers"),
        {},
    ),
    ("Cold War: USA vs USSR", "us_ussr", (1950, 1988), ("USA", "USSR"), {}),
    (
        "Cold War blocs: NATO vs Warsaw Pact",
        "nato_warsaw_pact",
        (1957, 1989),
        ("NATO", "Warsaw Pact"),
        {"log": True},
    ),
    (
        "Intra-alliance rivalry: Greece vs Turkey",
        "greece_turkey",
        (1952, 2016),
        ("Greece", "Turkey"),
        {"log": True},
    ),
)


def _data_basis(frame: pd.DataFrame) -> str:
    """One sentence on what the fitted series measure, for the report."""
    attrs = frame.attrs
    if attrs.get("measure") == "milper":
        return (
            f"Data basis: military personnel ({attrs.get('units')}), COW NMC v6.0: no openly "
            "licensed deflator for pre-1914 pounds is bundled, so spending is not used."
        )
    note = attrs.get("price_note", "")
    return f"Data basis: military spending in {attrs.get('units')}, COW NMC v6.0. {note}"


def _verdict_text(result: object, boot: object) -> str:
    """The verdict of a fit with its bootstrap, or why there is none."""
    if result.regime is None:
        return (
            f"Verdict: withheld. {result.withheld or 'The fitted model could not be classified.'}"
        )
    low, high = boot.p_runaway_interval()
    return (
        f"Verdict: {result.regime.name.replace('_', ' ')}; P(runaway) over the bootstrap "
        f"= {boot.p_runaway:.2f} (Monte-Carlo 95% interval {low:.2f}-{high:.2f}; "
        f"{boot.scheme.describe()}). {result.regime.explanation}"
    )


def _historical_fits(report: Report, n_bootstrap: int) -> None:
    from ..fitting.coupling import coupling_test
    from ..fitting.estimate import fit
    from ._basis import load_real

    report.heading("Historical fits")
    report.text(
        "Richardson's two-nation model fitted by least squares on its solved trajectories to the "
        "bundled Correlates of War series on a real basis: spending in constant 2010 US dollars "
        "(deflated by the US CPI-U) from 1914 on, military personnel before (no open deflator "
        "for pounds is bundled). Current-price series would read inflation as escalation, so "
        "the toolkit gives no verdict on them. Each case shows a test of whether the actors "
        "react to each other, the fit with yearly shocks (method='var', parametric bootstrap) "
        "and the trajectory fit (profile-likelihood intervals, residual bootstrap in blocks "
        f"when the years are autocorrelated), each with {n_bootstrap} resamples for "
        "P(runaway), unit-root diagnostics in the summary, and a verdict or the reason why "
        "there is none."
    )
    for title, case, (start, end), actors, options in HISTORICAL_FITS:

        def one_fit(
            title=title, case=case, start=start, end=end, actors=actors, options=options
        ) -> None:
            frame = load_real(case, start=start, end=end)
            model = richardson2(actors=actors, state_unit=frame.attrs["units"])
            report.heading(f"{title}, {start}-{end}", 3)
            report.text(_data_basis(frame))
            report.text("Coupling test: " + " ".join(coupling_test(frame).lines()))
            shocks = fit(model, frame, method="var")
            report.text(
                "With yearly shocks (method='var'): "
                + _verdict_text(shocks, shocks.bootstrap(n_bootstrap, seed=1, margins=False))
            )
            result = fit(model, frame, **options)
            boot = result.bootstrap(n_bootstrap, seed=1, margins=False)
            report.text("As one smooth path (method='ode'): " + _verdict_text(result, boot))
            report.preformatted(result.summary())
            ax = result.plot(bootstrap=boot, logy=bool(options.get("log")))
            report.figure(
                ax.figure, f"fit_{case}", f"{title}: data, fitted trajectory, bootstrap band"
            )

        _attempt(report, f"The fit of {case}", one_fit)


def _fit_section(report: Report, scenario: Scenario, dataset: str, fits: dict[str, object]) -> None:
    from ..fitting.estimate import fit
    from ._basis import load_real

    years = scenario.model.metadata.get("fit_years") or (None, None)
    frame = load_real(dataset, start=years[0], end=years[1])
    columns = {
        state: actor
        for state, actor in zip(scenario.model.states, scenario.model.actors, strict=True)
        if actor in frame.columns
    }
    result = fit(scenario.model, frame, method="ode", columns=columns or None)
    fits[scenario.key] = result
    report.heading(f"Fit to {dataset}", 3)
    report.text(_data_basis(frame))
    report.preformatted(result.summary())
    ax = result.plot()
    report.figure(ax.figure, f"{scenario.key}_fit", f"{scenario.model.name}: fit to {dataset}")


def run_demo(
    out: str | Path = "out",
    scenarios: list[Scenario] | None = None,
    fits: bool = True,
    n_bootstrap: int = 100,
) -> Path:
    """Run the main job and write the report.

    Parameters
    ----------
    out : str or pathlib.Path
        Output directory (created if missing).
    scenarios : list of Scenario, optional
        What to report; the built-in classic cases and every bundled scenario by default.
    fits : bool
        Add the historical fits (bundled Correlates of War series).
    n_bootstrap : int
        Bootstrap resamples per historical fit.

    Returns
    -------
    pathlib.Path
        Path of ``report.md`` (``report.html`` beside it).
    """
    matplotlib.use("Agg")
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if scenarios is None:
        scenarios = builtin_scenarios()
        if any(MODELS_DIR.glob("*.toml")):
            scenarios += scenario_files()
    report = Report("richardson demo report", directory)
    report.text(
        "Every scenario below was built, compiled, simulated, classified and placed relative to "
        "its nearest trigger point by `richardson demo`; scenarios with a historical series are "
        "fitted to it. Spending is in the units stated by each model, time in years."
    )
    fitted: dict[str, object] = {}
    for scenario in scenarios:
        _scenario_section(report, scenario, fitted)
    if fits:
        _historical_fits(report, n_bootstrap)
    elapsed = time.perf_counter() - started
    report.text(f"{len(scenarios)} scenarios, report generated in {elapsed:.1f} s.")
    markdown, _ = report.write()
    return markdown
