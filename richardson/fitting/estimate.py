"""Fit arms-race models to military-spending series: :func:`fit` is the one entry point.

It prepares the data (checked, never silently changed), runs one of two methods
(:mod:`.estimators`) and returns an immutable :class:`~.result.FitResult`:

``method="difference"``
    Richardson's own approach: OLS of yearly changes on levels (statsmodels), see
    :mod:`.difference`.
``method="ode"``
    Least squares on the solved trajectories with exact forward sensitivities, bounds,
    fixed parameters, multiple starts, optional log-scale residuals and profile-likelihood
    intervals, see :mod:`.ode`.

The fitted model is then classified (:func:`richardson.classify`) and its distance to a
regime change measured (:func:`richardson.escalation_margin`).

References
----------
Richardson, L. F. (1960). *Arms and Insecurity*. Pittsburgh: Boxwood Press.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import sympy as sp

from ..data import check
from ..data._frames import with_units, year_indexed
from ..errors import DataError, FitError, RichardsonError, RichardsonWarning, did_you_mean
from ..model.core import Model, Parameter
from ..model.delays import refuse_delays
from .bounds import at_bound_sentence, verdict_beyond_bounds
from .diagnostics import trend_diagnostics
from .difference import LEVELS
from .estimators import _fit_difference, _fit_ode, _Observations
from .price_basis import NOMINAL_FIXES, price_basis
from .result import _CI_METHODS, FitResult, last_observed_state
from .var import fit_var

__all__ = ["fit", "richardson_total", "METHODS"]

#: Fitting methods of :func:`fit`.
METHODS = ("ode", "difference", "var")


def richardson_total(growth: float = 0.5, grievance: float = 0.0, state_unit: str = "") -> Model:
    """Richardson's aggregated two-bloc model: the total spending of both blocs.

    With equal reactions and fatigues (``k = l``, ``a = b``) the two-nation equations add up to

    .. math::

        \\frac{d(U + V)}{dt} = (k - a)(U + V) + (g + h),

    a straight line of the yearly change of the total against the total: Richardson's test
    of his theory on the blocs of 1909-1913.

    Parameters
    ----------
    growth : float
        ``k - a``, 1/year: reaction minus fatigue. Positive means an unstable balance:
        totals above ``-grievance/growth`` grow without bound.
    grievance : float
        ``g + h``, spending units per year.
    state_unit : str
        Unit of spending (e.g. ``"thousand current GBP"``).

    Returns
    -------
    Model
        One state, ``total``; parameters ``growth`` and ``grievance``.

    References
    ----------
    Richardson (1960), *Arms and Insecurity*, ch. 4 (the 1909-1913 line).

    Examples
    --------
    >>> import richardson as rd
    >>> rd.richardson_total().param_names
    ('growth', 'grievance')
    """
    total, m, c = sp.symbols("total growth grievance")
    unit = state_unit or "spending"
    return Model(
        states=["total"],
        params={
            "growth": Parameter(
                "growth", growth, unit="1/year", description="reaction minus fatigue, k - a"
            ),
            "grievance": Parameter(
                "grievance",
                grievance,
                unit=f"{unit}/year",
                description="sum of the grievances, g + h",
            ),
        },
        rhs=[m * total + c],
        name="Richardson two-bloc total",
        description="d(U+V)/dt = (k - a)(U + V) + (g + h) (Richardson 1960)",
        state_unit=state_unit,
    )


# ---------------------------------------------------------------------- data alignment


def _prepared(data: Any, units: Any) -> pd.DataFrame:
    """The data as the checks read them: years as the index (from a ``DatetimeIndex`` or a
    ``year`` column too), the unit of each year in ``attrs`` (from ``units`` or a unit
    column, which leaves the table)."""
    if isinstance(data, pd.Series):
        data = data.to_frame()
    if not isinstance(data, pd.DataFrame):
        raise DataError(
            f"data must be a pandas DataFrame (year index, one column per actor), "
            f"not {type(data).__name__}"
        )
    return with_units(year_indexed(data), units)


def _in_data_units(model: Model, units: str) -> Model:
    """``model`` with its state unit, and the parameter units built on it, in ``units``."""
    old = model.state_unit
    if not units or old == units:
        return model

    def relabel(text: str) -> str:
        if old:
            return text.replace(old, units)
        return units + text[len("spending") :] if text.startswith("spending") else text

    params = {
        name: dataclasses.replace(p, unit=relabel(p.unit)) for name, p in model.params.items()
    }
    return dataclasses.replace(model, state_unit=units, params=params)


def _align(
    model: Model, data: pd.DataFrame, columns: Mapping[str, str] | None, method: str
) -> _Observations:
    available_columns = [str(c) for c in data.columns]
    chosen = []
    for state, actor in zip(model.states, model.actors, strict=True):
        if columns is not None and (state in columns or actor in columns):
            column = columns.get(state, columns.get(actor))
        elif actor in available_columns:
            column = actor
        elif state in available_columns:
            column = state
        else:
            raise DataError(
                f"the data have no column for {actor!r} (state {state!r}); columns are "
                f"{available_columns}{did_you_mean(actor, available_columns)}. Name the model's "
                "actors after the columns (e.g. richardson2(actors=(...))) or pass "
                "columns={state: column}"
            )
        if column not in available_columns:
            raise DataError(
                f"column {column!r} (for {actor!r}) is not in the data "
                f"{available_columns}{did_you_mean(str(column), available_columns)}"
            )
        chosen.append(column)
    frame = data[[c for c in data.columns if str(c) in chosen]].copy()
    frame.columns = [str(c) for c in frame.columns]
    frame = frame[chosen]
    frame.attrs = dict(data.attrs)
    report = check(frame)
    blocking = [i for i in report.issues if i.is_blocking]
    if method == "difference":
        blocking += list(report.of_kind("gap"))
    if blocking:
        raise DataError(
            "the data cannot be fitted as they are:\n"
            + "\n".join(f"  - {issue.message}" for issue in blocking)
        )
    notes = tuple(
        issue.message
        for issue in report.issues
        if not issue.is_blocking and not (method == "difference" and issue.kind == "gap")
    )
    values = frame.to_numpy(dtype=float)
    times = np.asarray(frame.index, dtype=float)
    if len(times) < 3:
        raise DataError(f"{len(times)} years of data; a fit needs at least 3")
    renamed = frame.set_axis(list(model.actors), axis=1)
    renamed.attrs = dict(data.attrs)
    return _Observations(times, values, renamed, tuple(chosen), notes)


# ---------------------------------------------------------------------- entry point
def fit(
    model: Model,
    data: pd.DataFrame,
    method: str = "ode",
    columns: Mapping[str, str] | None = None,
    fixed: Mapping[str, float] | Sequence[str] = (),
    bounds: Mapping[str, tuple[float, float]] | None = None,
    start: Mapping[str, float] | None = None,
    n_starts: int = 1,
    search: str = "global",
    log: bool = False,
    fit_initial: bool = True,
    ci: str = "profile",
    level: float = 0.95,
    hac: bool = False,
    hac_lags: int | None = None,
    level_at: str = "start",
    seed: int | None = 0,
    verdict: bool = True,
    margin_over: Sequence[str] | None = None,
    allow_nominal: bool = False,
    units: str | Mapping[int, str] | pd.Series | None = None,
) -> FitResult:
    """Fit a model to spending series.

    Parameters
    ----------
    model : Model
        Any ODE model (``method="ode"``), or a model linear in its parameters (every
        Richardson-type model; also ``kind="map"``) for ``method="difference"``. Its
        defaults are the starting values unless ``start`` says otherwise.
    data : pandas.DataFrame
        Year index, one column per actor (as from :func:`richardson.data.load`, or any
        frame: a ``DatetimeIndex`` gives its years, and with plain row numbers as index a
        column ``year`` holds them). Whatever its origin, the data get the checks of
        :func:`richardson.data.check`: missing values or missing-value codes (``-9``),
        negative, zero or constant series, repeated or unsorted years and a unit break are
        refused with a :class:`~richardson.DataError` that says how to treat them.
    method : {"ode", "difference"}
        Least squares on solved trajectories, or Richardson's regression of yearly changes
        on levels.
    columns : mapping, optional
        State or actor name -> data column, when the names differ.
    fixed : mapping or sequence of str
        Parameters held fixed: a mapping name -> value, or names held at the model default.
        For the ODE fit, ``"x(t0)"`` fixes an initial state.
    bounds : mapping, optional
        Name -> ``(lower, upper)`` overriding the model's parameter bounds (ODE fit).
    start : mapping, optional
        Starting values (ODE fit). By default the difference-method estimates (models
        linear in their parameters, consecutive years) or the model defaults, and the first
        observation as initial state.
    n_starts : int
        Number of start points (the first as above, the others perturbed at random by a
        factor ``exp(N(0, 0.5))``); the best fit is kept and all are reported.
    search : {"global", "local"}
        ODE fit: ``"global"`` adds the best few of a batched Sobol screen of starting points
        around the start (a factor 10 either way, and up to the typical size for parameters
        that start at zero) to the local refinements, so that a fit does not stop in a local
        minimum with the wrong actor's reaction at 0; ``"local"`` refines only the start and
        its ``n_starts - 1`` perturbations. Ignored when ``start`` is given, and for models
        nonlinear in their states (the screen would cost several fits: use ``n_starts``).
    log : bool
        Fit ``log(spending)`` (relative errors): for series that differ by orders of
        magnitude or grow exponentially. Needs positive data and predictions.
    fit_initial : bool
        Estimate the initial state (ODE fit); otherwise it is the first observation.
    ci : {"profile", "wald"}
        Confidence intervals of the ODE fit: profile likelihood (F-test form) for model
        parameters or the Jacobian's normal approximation. Difference fits use OLS t
        intervals.
    level : float
        Confidence level (0-1).
    hac : bool
        Newey-West standard errors for the difference regression (autocorrelated errors).
    hac_lags : int, optional
        Lags for ``hac``.
    level_at : {"start", "midpoint"}
        Difference fit: evaluate levels at the start of each year (the default) or at
        mid-year (the mean of consecutive years, as Richardson did). The mid-year level has
        population slope zero for any stationary series, so it calls stable systems
        unstable; keep it for replicating Richardson (see ``docs/fitting.md``).
    seed : int, optional
        Seed of the random start points.
    verdict : bool
        Classify the fitted model and measure its escalation margin.
    margin_over : sequence of str, optional
        Parameters over which :func:`richardson.escalation_margin` searches (its default
        when omitted).
    allow_nominal : bool
        Draw a verdict even from series in current prices (or money of unstated basis, or
        series without units over more than ten calendar years). By default the verdict
        is withheld from such series (``regime`` and ``escalation`` None, the reason in
        ``withheld``, one :class:`~richardson.RichardsonWarning`), because inflation
        enters a constant-coefficient fit as growth and reads as runaway escalation. With
        ``allow_nominal=True`` the verdict is drawn and the summary carries the caveat.
    units : str, mapping year -> str, pandas.Series or column name, optional
        The unit of the data, stated with the data rather than in ``attrs`` (which some
        pandas operations and every hand-built frame lose): one unit for all years (e.g.
        ``"thousand constant 2010 USD"``), a unit per year, or the name of a text column of
        ``data`` that holds it. A column named ``unit`` is read so without being named. A
        unit that changes within the fitted years is refused as a unit break. By default
        ``data.attrs`` as the loaders write them. Estimates, grievances and initial states
        are labelled in this unit (not the model's ``state_unit``), and the price basis for
        ``allow_nominal`` is read from it.

    Returns
    -------
    FitResult

    Raises
    ------
    DataError
        When the data cannot be fitted as they are (the message lists every problem and
        its fix) or lack a column for some actor.
    FitError
        For a bad option, an unknown parameter name, or a model unsuited to the method.

    Examples
    --------
    >>> import richardson as rd
    >>> df = rd.data.load("pre_wwi_blocs").loc[1909:1913]
    >>> total = rd.data.aggregate(df, {"total": ["Entente", "Central Powers"]})
    >>> ft = rd.fit(rd.richardson_total(), total, method="difference", level_at="midpoint",
    ...             verdict=False)
    >>> round(ft.params["growth"], 3)
    0.832
    """
    refuse_delays(model, "fit")
    if method not in METHODS:
        raise FitError(
            f"method must be one of {METHODS}, not {method!r}{did_you_mean(method, METHODS)}"
        )
    if ci not in _CI_METHODS:
        raise FitError(f"ci must be one of {_CI_METHODS}, not {ci!r}")
    if not 0 < level < 1:
        raise FitError(f"level must lie between 0 and 1, not {level}")
    if level_at not in LEVELS:
        raise FitError(f"level_at must be one of {LEVELS}, not {level_at!r}")
    if search not in ("global", "local"):
        raise FitError(f"search must be 'global' or 'local', not {search!r}")
    if int(n_starts) != n_starts or n_starts < 1:
        raise FitError(f"n_starts must be a positive whole number, not {n_starts}")
    if method in ("difference", "var"):
        ode_only = {
            "log": log,
            "bounds": bounds,
            "start": start,
            "n_starts": n_starts > 1 and method == "difference",
            "fit_initial": not fit_initial,
            "hac": method == "var" and (hac or hac_lags is not None),
        }
        given = [name for name, used in ode_only.items() if used]
        if given:
            where = "method='ode'" if "hac" not in given else "method='difference'"
            raise FitError(f"option(s) {given} apply to {where} only; drop them or change method")
    elif hac or hac_lags is not None:
        raise FitError(
            "hac applies to method='difference' only (OLS standard errors); for "
            "method='ode' use the bootstrap"
        )
    data = _prepared(data, units)
    observations = _align(model, data, columns, method)
    basis = price_basis(data)
    stated_unit = model.state_unit
    model = _in_data_units(model, basis.units)
    withheld = None
    if verdict and not basis.supports_verdict:
        if allow_nominal:
            caveat = (
                f"verdict drawn although {basis.reason} (allow_nominal=True): read it as "
                "a statement about nominal spending, not about the arms race"
            )
        else:
            withheld = f"No regime verdict: {basis.reason}. To fix: {NOMINAL_FIXES}."
    initial_names = [f"{s}(t0)" for s in model.states]
    fixed_values = _fixed_values(model, fixed, initial_names, observations)
    options = {
        "method": method,
        "log": log,
        "fit_initial": fit_initial,
        "ci": ci,
        "level": level,
        "hac": hac,
        "hac_lags": hac_lags,
        "level_at": level_at,
        "n_starts": int(n_starts),
        "search": search,
        "seed": seed,
        "columns": observations.columns,
        "fixed": dict(fixed_values),
        "margin_over": None if margin_over is None else tuple(margin_over),
        "allow_nominal": bool(allow_nominal),
        "bounds": dict(bounds or {}),
    }
    if method == "difference":
        result = _fit_difference(model, observations, fixed_values, options)
    elif method == "var":
        result = fit_var(model, observations, fixed_values, options)
    else:
        if model.kind != "ode":
            raise FitError(
                "method='ode' needs an ODE model; this is a map: use method='difference'"
            )
        if model.interventions:
            raise FitError(
                "method='ode' does not fit models with scheduled interventions yet; "
                "fit each period between interventions separately"
            )
        result = _fit_ode(model, observations, fixed_values, bounds, start, options)
    if verdict and withheld is None and result.at_bound:
        robust, bound_note = verdict_beyond_bounds(result, result.at_bound)
        if robust:
            kept = tuple(p for p in result.problems if p != at_bound_sentence(result.at_bound))
            object.__setattr__(result, "problems", kept)
        if bound_note:
            object.__setattr__(result, "notes", (*result.notes, bound_note))
    if verdict and withheld is None and result.problems:
        withheld = (
            "No regime verdict: "
            + "; ".join(result.problems)
            + ". To fix: fix those parameters at values you can justify (fixed=...), fit a "
            "model without them, or use more data."
        )
    try:  # auxiliary: a series the tests cannot handle (uneven years, constant) goes without
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trend = trend_diagnostics(result.data, log=bool(options.get("log", False)))
        object.__setattr__(result, "diagnostics", {**result.diagnostics, "trend": trend.as_dict()})
    except (DataError, ValueError, ArithmeticError, np.linalg.LinAlgError):
        pass
    object.__setattr__(result, "price_basis", basis.kind)
    if basis.units and stated_unit and stated_unit != basis.units:
        unit_note = (
            f"the model's state unit {stated_unit!r} is not the data's "
            f"{basis.units!r}: levels, grievances and initial states are in the data's units"
        )
        object.__setattr__(result, "notes", (unit_note, *result.notes))
    if withheld:
        object.__setattr__(result, "withheld", withheld)
        warnings.warn(withheld, RichardsonWarning, stacklevel=2)
    elif verdict:
        regime, escalation, notes = _verdicts(
            result.fitted_model, margin_over, last_observed_state(result)
        )
        if not basis.supports_verdict:
            notes = (caveat, *notes)
        object.__setattr__(result, "regime", regime)
        object.__setattr__(result, "escalation", escalation)
        object.__setattr__(result, "notes", result.notes + notes)
    return result


def _fixed_values(
    model: Model, fixed: Any, initial_names: list[str], observations: _Observations
) -> dict[str, float]:
    known = list(model.param_names) + initial_names
    if isinstance(fixed, Mapping):
        values = {str(k): float(v) for k, v in fixed.items()}
    else:
        if isinstance(fixed, str):
            fixed = [fixed]
        values = {}
        for name in fixed:
            if name in model.param_index:
                values[name] = model.params[name].value
            elif name in initial_names:
                values[name] = float(observations.values[0, initial_names.index(name)])
            else:
                values[name] = math.nan
    for name in values:
        if name not in known:
            raise FitError(
                f"cannot fix {name!r}: it is not a parameter or initial state "
                f"({known}){did_you_mean(name, known)}"
            )
    return values


def _verdicts(
    fitted_model: Model, margin_over: Sequence[str] | None, last: np.ndarray | None = None
) -> tuple[Any, Any, tuple[str, ...]]:
    """Regime and escalation margin of the fitted model; failures are recorded, not raised.

    The regime is judged with the fate of ``last`` (the last observed state)."""
    from ..analysis.margin import escalation_margin
    from ..analysis.regimes import classify

    notes = []
    regime = escalation = None
    try:
        regime = classify(fitted_model, y0=last)
    except (RichardsonError, ArithmeticError, np.linalg.LinAlgError) as err:
        notes.append(f"the fitted model could not be classified: {err}")
    try:
        escalation = (
            escalation_margin(fitted_model)
            if margin_over is None
            else escalation_margin(fitted_model, over=list(margin_over))
        )
    except (RichardsonError, ArithmeticError, np.linalg.LinAlgError) as err:
        notes.append(f"no escalation margin: {err}")
    return regime, escalation, tuple(notes)
