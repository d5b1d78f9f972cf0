"""Fit arms-race models to military-spending series, with honest uncertainty.

:func:`fit` is the one entry point; it prepares the data (checked, never silently changed),
runs one of two methods and returns an immutable :class:`FitResult`:

``method="difference"``
    Richardson's own approach: OLS of yearly changes on levels (statsmodels), see
    :mod:`richardson.fit_difference`.
``method="ode"``
    Least squares on the solved trajectories with exact forward sensitivities, bounds,
    fixed parameters, multiple starts, optional log-scale residuals and profile-likelihood
    intervals, see :mod:`richardson.fit_ode`.

The fitted model is then classified (:func:`richardson.classify`) and its distance to a
regime change measured (:func:`richardson.escalation_margin`). :meth:`FitResult.bootstrap`
gives the distribution of every parameter, of the verdict, of ``P(runaway)`` and of the margin.

References
----------
Richardson, L. F. (1960). *Arms and Insecurity*. Pittsburgh: Boxwood Press.
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.stats
import sympy as sp

from .data import check
from .errors import DataError, FitError, RichardsonError, RichardsonWarning, did_you_mean
from .fit_difference import LEVELS, fit_differences, is_linear_in_params
from .fit_ode import TrajectoryProblem, least_squares, profile_intervals
from .model import Model, Parameter

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .bootstrap import BootstrapResult
    from .trajectory import Trajectory

__all__ = ["fit", "FitResult", "richardson_total", "METHODS"]

#: Fitting methods of :func:`fit`.
METHODS = ("ode", "difference")
_CI_METHODS = ("profile", "wald")


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
@dataclass(frozen=True)
class _Observations:
    times: np.ndarray  # (T,)
    values: np.ndarray  # (T, n) in model-state order
    frame: pd.DataFrame  # columns renamed to the model's actors
    columns: tuple[str, ...]  # original column of each state
    notes: tuple[str, ...]


def _align(
    model: Model, data: Any, columns: Mapping[str, str] | None, method: str
) -> _Observations:
    if isinstance(data, pd.Series):
        data = data.to_frame()
    if not isinstance(data, pd.DataFrame):
        raise DataError(
            f"data must be a pandas DataFrame (year index, one column per actor), "
            f"not {type(data).__name__}"
        )
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


# ---------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class FitResult:
    """A model fitted to spending series: estimates, uncertainty, verdict.

    Attributes
    ----------
    model : Model
        The model as given (its defaults were the starting values).
    fitted_model : Model
        The model with the fitted values as defaults (and, for ``method="ode"``, the fitted
        initial state); simulate or classify it directly.
    method : str
        ``"ode"`` or ``"difference"``.
    params : mapping str -> float
        Every parameter's value (fixed ones included); for the ODE fit also the initial
        states, named ``"x(t0)"``.
    stderr : mapping str -> float
        Standard errors (NaN for fixed parameters), from the Jacobian (ODE) or OLS.
    free : tuple of str
        Names of the estimated quantities.
    covariance : pandas.DataFrame
        Covariance of the free estimates.
    intervals : pandas.DataFrame
        ``lower`` and ``upper`` confidence limits of the free estimates at ``level``
        (``attrs["method"]``: ``"profile"`` likelihood, ``"wald"`` or ``"t"`` for OLS).
    level : float
        Confidence level of ``intervals``.
    data : pandas.DataFrame
        The series fitted (columns renamed to the model's actors; provenance in ``attrs``).
    fitted : pandas.DataFrame
        The fitted trajectory at the data years (ODE), or the one-year-ahead prediction
        ``y[t] + Delta t * f`` (difference).
    n_obs : int
        Number of residuals (observations x series; yearly changes for the difference fit).
    rss, loglike, aic, bic : float
        Residual sum of squares (on the fitted scale), Gaussian log-likelihood and the
        information criteria ``-2 logL + 2 q`` and ``-2 logL + q log N`` (q = free
        estimates, sigma not counted, as in statsmodels). Compare them only between fits of
        the same data by the same method.
    r_squared : mapping str -> float
        Per series (ODE) or per regression (difference).
    success : bool
        Whether the optimiser converged; ``message`` says how.
    message : str
    diagnostics : mapping
        Durbin-Watson, Jarque-Bera, condition numbers, solver counts, starts.
    notes : tuple of str
        Data notes (jumps), parameters at bounds, identifiability problems.
    regime : Regime or None
        :func:`richardson.classify` of the fitted model (None if it could not be classified;
        ``notes`` then says why).
    escalation : EscalationMargin or None
        :func:`richardson.escalation_margin` of the fitted model.
    options : mapping
        The options the fit ran with.
    """

    model: Model
    fitted_model: Model
    method: str
    params: Mapping[str, float]
    stderr: Mapping[str, float]
    free: tuple[str, ...]
    covariance: pd.DataFrame
    intervals: pd.DataFrame
    level: float
    data: pd.DataFrame
    fitted: pd.DataFrame
    n_obs: int
    rss: float
    loglike: float
    aic: float
    bic: float
    r_squared: Mapping[str, float]
    success: bool
    message: str
    diagnostics: Mapping[str, Any]
    notes: tuple[str, ...]
    regime: Any
    escalation: Any
    options: Mapping[str, Any]
    regressions: tuple[Any, ...] = ()
    _problem: Any = field(default=None, repr=False)
    _theta: Any = field(default=None, repr=False)

    # -- uncertainty
    @property
    def correlation(self) -> pd.DataFrame:
        """Correlation matrix of the free estimates."""
        cov = self.covariance.to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            sd = np.sqrt(np.diag(cov))
            corr = cov / np.outer(sd, sd)
        return pd.DataFrame(corr, index=self.covariance.index, columns=self.covariance.columns)

    def conf_int(self, level: float | None = None, method: str | None = None) -> pd.DataFrame:
        """Confidence intervals of the free estimates.

        Parameters
        ----------
        level : float, optional
            Confidence level (0-1); the fit's ``level`` by default.
        method : {"profile", "wald"}, optional
            Profile likelihood (ODE fits) or estimate +- t * stderr; the fit's own by
            default. OLS intervals (difference fits) are t-based and exact under normal
            errors.

        Returns
        -------
        pandas.DataFrame
            Columns ``lower``, ``upper``, index the free estimates.
        """
        level = self.level if level is None else float(level)
        if not 0 < level < 1:
            raise FitError(f"level must lie between 0 and 1, not {level}")
        method = method or self.intervals.attrs.get("method", "wald")
        if level == self.level and method == self.intervals.attrs.get("method"):
            return self.intervals.copy()
        if self.method == "difference" or method != "profile":
            return _wald(self, level)
        return _profile(self, level)

    # -- trajectories and bands
    def trajectory(self, t_span: Sequence[float] | None = None, n_points: int = 201) -> Trajectory:
        """Simulate the fitted model from the first data year (fitted initial state).

        Parameters
        ----------
        t_span : pair of float, optional
            Years to simulate; the data's span by default.
        n_points : int
            Number of output times.
        """
        from .simulate import simulate

        t0, t1 = (
            (float(self.data.index[0]), float(self.data.index[-1])) if t_span is None else t_span
        )
        return simulate(self.fitted_model, (t0, t1), t_eval=np.linspace(t0, t1, n_points))

    def band(
        self,
        level: float = 0.95,
        n_samples: int = 300,
        seed: int = 0,
        samples: pd.DataFrame | None = None,
        n_points: int = 121,
    ) -> dict[str, pd.DataFrame]:
        """Pointwise confidence band of the fitted trajectory.

        Parameter sets are drawn from the estimates' normal approximation (or taken from
        ``samples``, e.g. a bootstrap), solved as one batched system (exactly, for linear
        models), and the band is given by the pointwise quantiles. Draws whose trajectory
        leaves the data's range by a factor of 10^4 are left out and counted in
        ``result["center"].attrs["dropped"]``.

        Parameters
        ----------
        level : float
            Coverage of the band (0-1).
        n_samples : int
            Number of parameter draws (ignored when ``samples`` is given).
        seed : int
            Seed of the draws.
        samples : pandas.DataFrame, optional
            Parameter sets, one row each (columns = free estimates).
        n_points : int
            Number of output times.

        Returns
        -------
        dict
            ``"center"``, ``"lower"``, ``"upper"``: DataFrames (time index, one column per actor).
        """
        times = np.linspace(float(self.data.index[0]), float(self.data.index[-1]), n_points)
        if samples is None:
            cov = self.covariance.to_numpy()
            mean = np.array([self.params[name] for name in self.free])
            rng = np.random.default_rng(seed)
            if not np.all(np.isfinite(cov)):
                raise FitError(
                    "the covariance is not finite (parameters not identifiable); "
                    "pass samples= from a bootstrap instead"
                )
            draws = rng.multivariate_normal(mean, cov, size=n_samples, method="eigh")
            samples = pd.DataFrame(draws, columns=list(self.free))
        model = self.fitted_model
        problem = _band_problem(self, times)
        theta = np.array(
            [
                samples[name].to_numpy(dtype=float)
                if name in samples.columns
                else np.full(len(samples), self.params[name])
                for name in problem.names
            ]
        )
        theta = np.clip(theta, problem.lower[:, None], problem.upper[:, None])
        predicted, _, ok = problem.solve(theta, sensitivities=False)  # (T, n, m)
        values = np.moveaxis(predicted[:, :, ok], 2, 0)  # (member, time, actor)
        if values.shape[0] == 0:
            raise FitError("every parameter draw blew up; no band can be drawn")
        centre = problem.solve(
            np.array([self.params[name] for name in problem.names])[:, None],
            sensitivities=False,
        )[0][:, :, 0]
        alpha = (1.0 - level) / 2.0
        frames = {}
        for key, data in (
            ("center", centre),
            ("lower", np.nanquantile(values, alpha, axis=0)),
            ("upper", np.nanquantile(values, 1 - alpha, axis=0)),
        ):
            frames[key] = pd.DataFrame(
                data, index=pd.Index(times, name="year"), columns=list(model.actors)
            )
        frames["center"].attrs["members"] = int(values.shape[0])
        frames["center"].attrs["dropped"] = int((~ok).sum())
        return frames

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Data, fitted trajectory and confidence band (see :func:`richardson.plot.fit`)."""
        from . import plot

        return plot.fit(self, ax=ax, **kwargs)

    def bootstrap(self, n: int = 1000, seed: int | None = 0, **options: Any) -> BootstrapResult:
        """Residual bootstrap of this fit (see :func:`richardson.bootstrap.bootstrap`)."""
        from .bootstrap import bootstrap

        return bootstrap(self, n=n, seed=seed, **options)

    # -- reports
    def summary(self) -> str:
        """A plain-text fit report (like lmfit's ``fit_report``) to paste into an appendix."""
        return _summary(self)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"

    def __repr__(self) -> str:
        verdict = getattr(self.regime, "name", None)
        return (
            f"<FitResult {self.method} of {self.model.name or 'model'}: {len(self.free)} "
            f"estimates, AIC={self.aic:.4g}, success={self.success}, regime={verdict}>"
        )


def _band_problem(result: FitResult, times: np.ndarray) -> TrajectoryProblem:
    """A trajectory problem that maps the fit's free estimates to trajectories at ``times``
    (exact for linear models, batched over parameter sets)."""
    model = result.fitted_model
    index = model.param_index
    free_params = np.array([index[n] for n in result.free if n in index], dtype=int)
    initial_names = [f"{s}(t0)" for s in model.states]
    fit_initial = all(name in result.free for name in initial_names)
    names = tuple(model.param_names[k] for k in free_params) + (
        tuple(initial_names) if fit_initial else ()
    )
    bounds = [model.params[n].bounds if n in index else (-math.inf, math.inf) for n in names]
    return TrajectoryProblem(
        compiled=model.compile(),
        times=np.asarray(times, dtype=float),
        observed=result.data.to_numpy(dtype=float),
        p_base=model.param_vector(),
        free_params=free_params,
        fit_initial=fit_initial,
        y0=np.array(
            [
                result.params.get(n, model.initial[s])
                for n, s in zip(initial_names, model.states, strict=True)
            ]
        ),
        log=False,
        names=names,
        lower=np.array([b[0] for b in bounds], dtype=float),
        upper=np.array([b[1] for b in bounds], dtype=float),
    )


def _wald(result: FitResult, level: float) -> pd.DataFrame:
    dof = max(result.n_obs - len(result.free), 1)
    t = scipy.stats.t.ppf(0.5 + level / 2.0, dof)
    values = np.array([result.params[n] for n in result.free])
    errors = np.array([result.stderr[n] for n in result.free])
    frame = pd.DataFrame(
        {"lower": values - t * errors, "upper": values + t * errors}, index=list(result.free)
    )
    frame.attrs = {"level": level, "method": "wald" if result.method == "ode" else "t"}
    return frame


def _profile(result: FitResult, level: float) -> pd.DataFrame:
    problem = result._problem
    theta = result._theta
    errors = np.array([result.stderr[n] for n in result.free])
    which = list(range(problem.q_model))
    covariance = result.covariance.to_numpy()
    low, high = profile_intervals(
        problem, theta, errors, covariance, result.rss, result.n_obs, level, which
    )
    frame = _wald(result, level)
    frame.iloc[which, 0] = low
    frame.iloc[which, 1] = high
    frame.attrs = {
        "level": level,
        "method": "profile",
        "note": "profile likelihood for model parameters; Wald for initial states",
    }
    return frame


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
    log: bool = False,
    fit_initial: bool = True,
    ci: str = "profile",
    level: float = 0.95,
    hac: bool = False,
    hac_lags: int | None = None,
    level_at: str = "midpoint",
    seed: int | None = 0,
    verdict: bool = True,
    margin_over: Sequence[str] | None = None,
) -> FitResult:
    """Fit a model to spending series.

    Parameters
    ----------
    model : Model
        Any ODE model (``method="ode"``), or a model linear in its parameters (every
        Richardson-type model; also ``kind="map"``) for ``method="difference"``. Its
        defaults are the starting values unless ``start`` says otherwise.
    data : pandas.DataFrame
        Year index, one column per actor (as from :func:`richardson.data.load`), in the
        state units. Data with missing values, repeated or unsorted years or a unit break
        are refused with a :class:`~richardson.DataError` that says how to treat them.
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
    level_at : {"midpoint", "start"}
        Difference fit: evaluate levels at mid-year (mean of consecutive years, as
        Richardson did) or at the start of each year.
    seed : int, optional
        Seed of the random start points.
    verdict : bool
        Classify the fitted model and measure its escalation margin.
    margin_over : sequence of str, optional
        Parameters over which :func:`richardson.escalation_margin` searches (its default
        when omitted).

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
    >>> ft = rd.fit(rd.richardson_total(), total, method="difference", verdict=False)
    >>> round(ft.params["growth"], 3)
    0.832
    """
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
    if int(n_starts) != n_starts or n_starts < 1:
        raise FitError(f"n_starts must be a positive whole number, not {n_starts}")
    if method == "difference":
        ode_only = {
            "log": log,
            "bounds": bounds,
            "start": start,
            "n_starts": n_starts > 1,
            "fit_initial": not fit_initial,
        }
        given = [name for name, used in ode_only.items() if used]
        if given:
            raise FitError(
                f"option(s) {given} apply to method='ode' only; drop them or use method='ode'"
            )
    elif hac or hac_lags is not None:
        raise FitError(
            "hac applies to method='difference' only (OLS standard errors); for "
            "method='ode' use the bootstrap"
        )
    observations = _align(model, data, columns, method)
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
        "seed": seed,
        "columns": observations.columns,
        "fixed": dict(fixed_values),
        "margin_over": None if margin_over is None else tuple(margin_over),
    }
    if method == "difference":
        result = _fit_difference(model, observations, fixed_values, options)
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
    if verdict:
        regime, escalation, notes = _verdicts(result.fitted_model, margin_over)
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
    fitted_model: Model, margin_over: Sequence[str] | None
) -> tuple[Any, Any, tuple[str, ...]]:
    """Regime and escalation margin of the fitted model; failures are recorded, not raised."""
    from . import classify, escalation_margin

    notes = []
    regime = escalation = None
    try:
        regime = classify(fitted_model)
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


def _with_fitted(
    model: Model, values: Mapping[str, float], initial: Mapping[str, float], source: str
) -> tuple[Model, list[str]]:
    """The model with fitted defaults; values outside declared bounds widen them, with a note."""
    notes = []
    updates = {}
    for name, value in values.items():
        if name not in model.param_index or not math.isfinite(value):
            continue
        parameter = model.params[name]
        lower, upper = parameter.bounds
        if not lower <= value <= upper:
            notes.append(
                f"{name} = {value:.4g} lies outside its declared bounds ({lower:g}, "
                f"{upper:g}); the fitted model widens them. Read this as evidence "
                "against the model's sign assumption, not as a physical value"
            )
            lower, upper = min(lower, value), max(upper, value)
        updates[name] = Parameter(
            name, value, (lower, upper), parameter.unit, parameter.description, source
        )
    fitted = model.with_params(updates)
    from dataclasses import replace

    return replace(fitted, initial=dict(initial)), notes


def _information(loglike: float, q: int, n_obs: int) -> tuple[float, float]:
    return -2.0 * loglike + 2.0 * q, -2.0 * loglike + q * math.log(n_obs)


# ---------------------------------------------------------------------- difference
def _fit_difference(
    model: Model, obs: _Observations, fixed: dict[str, float], options: dict[str, Any]
) -> FitResult:
    if not is_linear_in_params(model):
        raise FitError(
            "method='difference' needs a model whose right-hand sides are linear in "
            "the parameters (sum of parameter x term); use method='ode'"
        )
    if any(name.endswith("(t0)") for name in fixed):
        raise FitError("initial states are not estimated by method='difference'; do not fix them")
    if any(math.isnan(v) for v in fixed.values()):
        raise FitError("fixed values must be numbers")
    raw = fit_differences(
        model,
        obs.times,
        obs.values,
        fixed,
        level=options["level_at"],
        hac=options["hac"],
        hac_lags=options["hac_lags"],
        conf_level=options["level"],
    )
    free = raw.free
    covariance = pd.DataFrame(raw.covariance, index=list(free), columns=list(free))
    intervals = pd.DataFrame(
        {"lower": [raw.conf_low[n] for n in free], "upper": [raw.conf_high[n] for n in free]},
        index=list(free),
    )
    intervals.attrs = {"level": options["level"], "method": "t"}
    initial = dict(zip(model.states, obs.values[0].tolist(), strict=True))
    fitted_model, notes = _with_fitted(model, raw.values, initial, "fit (difference regression)")
    steps = np.diff(obs.times)[:, None]
    if model.kind == "ode":
        ahead = obs.values[:-1] + steps * raw.fitted_response
    else:
        ahead = raw.fitted_response
    fitted = pd.DataFrame(
        np.vstack([obs.values[:1], ahead]), index=obs.frame.index, columns=list(model.actors)
    )
    aic, bic = _information(raw.loglike, len(free), raw.n_obs)
    r2 = {label: d["r_squared"] for label, d in raw.diagnostics.items()}
    return FitResult(
        model=model,
        fitted_model=fitted_model,
        method="difference",
        params=dict(raw.values),
        stderr=dict(raw.stderr),
        free=free,
        covariance=covariance,
        intervals=intervals,
        level=options["level"],
        data=obs.frame,
        fitted=fitted,
        n_obs=raw.n_obs,
        rss=raw.rss,
        loglike=raw.loglike,
        aic=aic,
        bic=bic,
        r_squared=r2,
        success=True,
        message="ordinary least squares (closed form)",
        diagnostics=dict(raw.diagnostics),
        notes=obs.notes + tuple(notes),
        regime=None,
        escalation=None,
        options=options,
        regressions=raw.regressions,
        _problem=raw,
    )


# ---------------------------------------------------------------------- ODE
def _fit_ode(
    model: Model,
    obs: _Observations,
    fixed: dict[str, float],
    bounds: Mapping[str, tuple[float, float]] | None,
    start: Mapping[str, float] | None,
    options: dict[str, Any],
) -> FitResult:
    log = options["log"]
    if log and np.any(obs.values <= 0):
        raise DataError("log=True needs positive spending; the data hold zeros or negatives")
    compiled = model.compile()
    index = model.param_index
    initial_names = [f"{s}(t0)" for s in model.states]
    bounds = dict(bounds or {})
    for name in bounds:
        if name not in index and name not in initial_names:
            raise FitError(
                f"bounds given for {name!r}, which is not a parameter or initial "
                f"state{did_you_mean(name, list(index) + initial_names)}"
            )
    p_base = model.param_vector({k: v for k, v in fixed.items() if k in index and math.isfinite(v)})
    free_params = np.array([index[n] for n in model.param_names if n not in fixed], dtype=int)
    fit_initial = options["fit_initial"]
    free_initial = [
        s
        for s, name in zip(model.states, initial_names, strict=True)
        if fit_initial and name not in fixed
    ]
    if fit_initial and len(free_initial) not in (0, model.n_states):
        raise FitError("fix either all initial states or none (fit_initial=False fixes all)")
    fit_initial = fit_initial and bool(free_initial)
    y0 = obs.values[0].copy()
    for i, name in enumerate(initial_names):
        if name in fixed and math.isfinite(fixed[name]):
            y0[i] = fixed[name]
    names = tuple(model.param_names[k] for k in free_params) + (
        tuple(initial_names) if fit_initial else ()
    )
    lower = np.array(
        [
            bounds.get(n, model.params[n].bounds if n in index else (-math.inf, math.inf))[0]
            for n in names
        ],
        dtype=float,
    )
    upper = np.array(
        [
            bounds.get(n, model.params[n].bounds if n in index else (-math.inf, math.inf))[1]
            for n in names
        ],
        dtype=float,
    )
    if np.any(lower > upper):
        raise FitError("a lower bound exceeds its upper bound")
    if not names:
        raise FitError("nothing to fit: every parameter and initial state is fixed")
    problem = TrajectoryProblem(
        compiled=compiled,
        times=obs.times,
        observed=obs.values,
        p_base=p_base,
        free_params=free_params,
        fit_initial=fit_initial,
        y0=y0,
        log=log,
        names=names,
        lower=lower,
        upper=upper,
    )
    theta0, start_note = _start(model, obs, fixed, start, names, p_base, y0)
    starts = [theta0]
    rng = np.random.default_rng(options["seed"])
    for _ in range(options["n_starts"] - 1):
        jitter = theta0.copy()
        q_model = len(free_params)
        jitter[:q_model] *= np.exp(rng.normal(0.0, 0.5, q_model))
        jitter[q_model:] *= np.exp(rng.normal(0.0, 0.05, len(theta0) - q_model))
        starts.append(jitter)
    target = problem.target()
    runs = [least_squares(problem, s, target) for s in starts]
    best = min(runs, key=lambda r: (not np.isfinite(r.cost), 2 * r.cost))
    theta = best.x
    residual, jac, ok = problem.residuals(theta[:, None], target)
    if not ok[0]:
        raise FitError(
            "the model could not be solved at the fitted parameters; try other "
            "starting values (start=...), bounds or log=True"
        )
    residual, jac = residual[:, 0], jac[:, :, 0]
    rss = float(residual @ residual)
    n_obs, q = residual.size, len(names)
    dof = n_obs - q
    if dof <= 0:
        raise FitError(f"{n_obs} observations for {q} estimates; use more data or fix parameters")
    notes = list(obs.notes)
    sigma2 = rss / dof
    covariance, rank, condition = _covariance(jac, sigma2)
    if rank < q:
        notes.append(
            f"the Jacobian has rank {rank} < {q}: some parameters are not identifiable "
            "from these data (standard errors are NaN); fix some of them"
        )
    stderr_free = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    at_bound = [
        n
        for n, v, lo, hi in zip(names, theta, lower, upper, strict=True)
        if (np.isfinite(lo) and abs(v - lo) <= 1e-6 * (1 + abs(lo)))
        or (np.isfinite(hi) and abs(v - hi) <= 1e-6 * (1 + abs(hi)))
    ]
    if at_bound:
        message = (
            f"fit at a bound for {at_bound}: the data push the estimate against the "
            "model's constraint; its standard error and interval are not reliable"
        )
        notes.append(message)
        warnings.warn(message, RichardsonWarning, stacklevel=3)
    values = {name: float(fixed.get(name, model.params[name].value)) for name in model.param_names}
    for name in initial_names:
        values[name] = float(y0[initial_names.index(name)])
    values.update(dict(zip(names, theta.tolist(), strict=True)))
    stderr = {name: math.nan for name in values}
    stderr.update(dict(zip(names, stderr_free.tolist(), strict=True)))
    predicted = problem.solve(theta[:, None], sensitivities=False)[0][:, :, 0]
    initial = {s: values[f"{s}(t0)"] for s in model.states}
    fitted_model, bound_notes = _with_fitted(
        model, values, initial, "fit (trajectory least squares)"
    )
    notes += bound_notes
    loglike = -0.5 * n_obs * (math.log(2 * math.pi * rss / n_obs) + 1.0)
    aic, bic = _information(loglike, q, n_obs)
    scale_obs = np.log(obs.values) if log else obs.values
    scale_fit = np.log(predicted) if log else predicted
    r2 = {}
    for i, actor in enumerate(model.actors):
        tss = float(np.sum((scale_obs[:, i] - scale_obs[:, i].mean()) ** 2))
        r2[actor] = (
            1.0 - float(np.sum((scale_obs[:, i] - scale_fit[:, i]) ** 2)) / tss if tss else math.nan
        )
    covariance_frame = pd.DataFrame(covariance, index=list(names), columns=list(names))
    from statsmodels.stats.stattools import durbin_watson

    res_matrix = residual.reshape(len(obs.times), model.n_states)
    diagnostics = {
        "durbin_watson": {
            a: float(durbin_watson(res_matrix[:, i])) for i, a in enumerate(model.actors)
        },
        "starts": [
            {"cost": float(2 * r.cost), "success": bool(r.success), "nfev": int(r.nfev)}
            for r in runs
        ],
        "start": start_note,
        "condition_number": condition,
        "solves": problem.n_solves[0],
    }
    provisional = FitResult(
        model=model,
        fitted_model=fitted_model,
        method="ode",
        params=values,
        stderr=stderr,
        free=names,
        covariance=covariance_frame,
        intervals=pd.DataFrame(),
        level=options["level"],
        data=obs.frame,
        fitted=pd.DataFrame(predicted, index=obs.frame.index, columns=list(model.actors)),
        n_obs=n_obs,
        rss=rss,
        loglike=loglike,
        aic=aic,
        bic=bic,
        r_squared=r2,
        success=bool(best.success),
        message=str(best.message),
        diagnostics=diagnostics,
        notes=tuple(notes),
        regime=None,
        escalation=None,
        options=options,
        _problem=problem,
        _theta=theta,
    )
    if options["ci"] == "profile" and rank == q:
        intervals = _profile(provisional, options["level"])
    else:
        intervals = _wald(provisional, options["level"])
    object.__setattr__(provisional, "intervals", intervals)
    return provisional


def _covariance(jac: np.ndarray, sigma2: float) -> tuple[np.ndarray, int, float]:
    """``sigma2 (J^T J)^-1`` computed on column-scaled J (parameters differ by orders of
    magnitude); rank and condition number of the scaled Jacobian."""
    q = jac.shape[1]
    scale = np.linalg.norm(jac, axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    singular = np.linalg.svd(jac / scale, compute_uv=False)
    tol = singular.max() * max(jac.shape) * np.finfo(float).eps
    rank = int(np.sum(singular > tol))
    condition = float(singular.max() / singular.min()) if singular.min() > 0 else math.inf
    if rank < q:
        return np.full((q, q), np.nan), rank, condition
    scaled = jac / scale
    inverse = np.linalg.inv(scaled.T @ scaled)
    return sigma2 * inverse / np.outer(scale, scale), rank, condition


def _start(
    model: Model,
    obs: _Observations,
    fixed: dict[str, float],
    start: Mapping[str, float] | None,
    names: tuple[str, ...],
    p_base: np.ndarray,
    y0: np.ndarray,
) -> tuple[np.ndarray, str]:
    values = dict(zip(model.param_names, p_base.tolist(), strict=True))
    note = "model defaults"
    consecutive = np.all(np.diff(obs.times) == 1)
    if start is None and consecutive and is_linear_in_params(model):
        raw = fit_differences(
            model, obs.times, obs.values, {k: v for k, v in fixed.items() if k in model.param_index}
        )
        values.update({k: v for k, v in raw.values.items() if math.isfinite(v)})
        note = "difference-regression estimates"
    for name, value in (start or {}).items():
        if name not in values and name not in {f"{s}(t0)" for s in model.states}:
            raise FitError(
                f"start value given for {name!r}, which is not estimated{did_you_mean(name, names)}"
            )
        values[name] = float(value)
        note = "user start values"
    for i, state in enumerate(model.states):
        values.setdefault(f"{state}(t0)", float(y0[i]))
    theta = np.array([values[n] for n in names], dtype=float)
    return theta, note


# ---------------------------------------------------------------------- report
def _fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.5g}"


def _summary(result: FitResult) -> str:
    model = result.model
    data = result.data
    years = f"{int(data.index[0])}-{int(data.index[-1])}"
    what = data.attrs.get("case") or data.attrs.get("title") or "data"
    method = (
        "trajectory least squares (solved ODE, forward sensitivities)"
        if result.method == "ode"
        else f"difference regression (OLS of yearly change on {result.options['level_at']} level)"
    )
    scale = "log(spending)" if result.options.get("log") else "spending"
    lines = [
        f"Fit of {model.name or 'model'} to {what} ({', '.join(model.actors)}), {years}",
        f"method: {method}; residuals on {scale}",
        f"observations: {result.n_obs}; estimates: {len(result.free)}; success: {result.success} "
        f"({result.message})",
        f"RSS = {_fmt(result.rss)}; log-likelihood = {_fmt(result.loglike)}; "
        f"AIC = {_fmt(result.aic)}; BIC = {_fmt(result.bic)}",
        "R^2: " + ", ".join(f"{k} {_fmt(v)}" for k, v in result.r_squared.items()),
        "",
        f"Estimates ({100 * result.level:g}% CI, {result.intervals.attrs.get('method', '')}):",
        f"  {'name':<18}{'value':>12}{'stderr':>12}{'lower':>12}{'upper':>12}  unit / meaning",
    ]
    for name in result.params:
        value = result.params[name]
        if name in result.free:
            lo, hi = result.intervals.loc[name, "lower"], result.intervals.loc[name, "upper"]
            err = result.stderr[name]
        else:
            lo = hi = err = math.nan
        parameter = model.params.get(name)
        meaning = (
            f"{parameter.unit} {parameter.description}".strip()
            if parameter is not None
            else f"initial state, {model.state_unit}".rstrip(", ")
        )
        flag = "" if name in result.free else "  (fixed)"
        lines.append(
            f"  {name:<18}{_fmt(value):>12}{_fmt(err):>12}{_fmt(lo):>12}{_fmt(hi):>12}"
            f"  {meaning}{flag}"
        )
    corr = result.correlation
    strong = [
        (a, b, corr.loc[a, b])
        for i, a in enumerate(corr.index)
        for b in corr.index[i + 1 :]
        if np.isfinite(corr.loc[a, b]) and abs(corr.loc[a, b]) > 0.8
    ]
    if strong:
        lines.append(
            "Correlations |r| > 0.8: " + "; ".join(f"({a}, {b}) = {r:+.3f}" for a, b, r in strong)
        )
    lines.append("")
    if result.method == "difference":
        for label, d in result.diagnostics.items():
            lines.append(
                f"Regression {label}: n = {d['n_obs']}, R^2 = {_fmt(d['r_squared'])}, "
                f"Durbin-Watson = {_fmt(d['durbin_watson'])}, Jarque-Bera p = "
                f"{_fmt(d['jarque_bera_p'])}, covariance {d['cov_type']}"
            )
    else:
        dw = result.diagnostics["durbin_watson"]
        lines.append(
            "Durbin-Watson of residuals: "
            + ", ".join(f"{k} {_fmt(v)}" for k, v in dw.items())
            + " (near 2: no autocorrelation; near 0: the model misses a systematic pattern)"
        )
        starts = result.diagnostics["starts"]
        lines.append(
            f"Start: {result.diagnostics['start']}; {len(starts)} start point(s), RSS "
            + ", ".join(_fmt(s["cost"]) for s in starts)
        )
    if result.regime is not None:
        lines += ["", f"Regime: {result.regime.name}", f"  {result.regime.explanation}"]
    if result.escalation is not None:
        lines.append(result.escalation.summary())
    if result.notes:
        lines += ["", "Notes:"] + [f"  - {note}" for note in result.notes]
    attrs = data.attrs
    if attrs.get("source"):
        lines += [
            "",
            f"Data: {attrs.get('source')} {attrs.get('version', '')}".rstrip()
            + f"; units: {attrs.get('units', '')}",
        ]
        if attrs.get("citation"):
            lines.append(f"Citation: {attrs['citation']}")
        for treatment in attrs.get("treatments", []):
            lines.append(f"Treatment: {treatment}")
    return "\n".join(lines)
