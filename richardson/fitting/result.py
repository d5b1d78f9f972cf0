"""The result of a fit: :class:`FitResult` (estimates, standard errors, intervals, verdict,
summary) and its interval computations (Wald / t and profile likelihood).

Convenience methods that reach later stages (:meth:`FitResult.plot`,
:meth:`FitResult.bootstrap`, :meth:`FitResult.trajectory`) import lazily inside the method:
the only upward dependency of this module.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.stats

from ..errors import FitError
from ..model.core import Model
from .ode import TrajectoryProblem, profile_intervals

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..simulation.trajectory import Trajectory
    from .resampling import BootstrapResult

__all__ = ["FitResult"]

_CI_METHODS = ("profile", "wald")


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
    withheld : str or None
        Why no verdict was drawn (``regime`` and ``escalation`` are then None), e.g.
        series in current prices; None when a verdict was drawn or not asked for.
    problems : tuple of str
        Why the estimates cannot carry a verdict, one sentence each: estimates on their
        bounds (when the verdict changes with them moved beyond their bounds), with the
        wrong sign, or not identifiable. Any problem withholds the verdict.
    at_bound : tuple of str
        Free estimates that sit on a bound of their parameter.
    price_basis : str
        The data's price basis as :func:`richardson.fitting.price_basis.price_basis` read
        it: ``"constant"``, ``"non-monetary"``, ``"current"``, ``"unknown money"``,
        ``"unknown"`` or ``"short"``.
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
    withheld: str | None = None
    price_basis: str = ""
    problems: tuple[str, ...] = ()
    at_bound: tuple[str, ...] = ()
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
        if self.method in ("difference", "var") or method != "profile":
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
        from ..simulation.integrate import simulate

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
            # normal draws through the eigen-decomposition of the symmetrised covariance;
            # rounding can leave tiny negative eigenvalues (estimates at a bound): clipped to 0
            values, vectors = np.linalg.eigh(0.5 * (cov + cov.T))
            scale = np.sqrt(np.clip(values, 0.0, None))
            draws = mean + (rng.standard_normal((n_samples, mean.size)) * scale) @ vectors.T
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
        from .. import plot

        return plot.fit(self, ax=ax, **kwargs)

    def bootstrap(self, n: int = 1000, seed: int | None = 0, **options: Any) -> BootstrapResult:
        """Residual bootstrap of this fit (see :func:`richardson.bootstrap`)."""
        from .resampling import bootstrap

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
    # maximum likelihood (var): normal quantiles; least squares: t with the residual dof
    t = (
        scipy.stats.norm.ppf(0.5 + level / 2.0)
        if result.method == "var"
        else scipy.stats.t.ppf(0.5 + level / 2.0, dof)
    )
    values = np.array([result.params[n] for n in result.free])
    errors = np.array([result.stderr[n] for n in result.free])
    frame = pd.DataFrame(
        {"lower": values - t * errors, "upper": values + t * errors}, index=list(result.free)
    )
    frame.attrs = {"level": level, "method": "t" if result.method == "difference" else "wald"}
    return frame


def _profile(result: FitResult, level: float) -> pd.DataFrame:
    problem = result._problem
    theta = result._theta
    errors = np.array([result.stderr[n] for n in result.free])
    which = list(range(problem.q_model))
    covariance = result.covariance.to_numpy()
    low, high, lowest = profile_intervals(
        problem, theta, errors, covariance, result.rss, result.n_obs, level, which
    )
    frame = _wald(result, level)
    wald = frame.copy()
    frame.iloc[which, 0] = low
    frame.iloc[which, 1] = high
    # a profile of zero width with a positive standard error is a failed profile (a refit
    # that did not move), not certainty: those parameters keep their Wald interval
    width = frame["upper"].to_numpy() - frame["lower"].to_numpy()
    scale = np.maximum(1.0, np.abs(theta))
    collapsed = [
        result.free[j]
        for j in which
        if width[j] <= 1e-12 * scale[j] and np.isfinite(errors[j]) and errors[j] > 0
    ]
    frame.loc[collapsed] = wald.loc[collapsed]
    note = "profile likelihood for model parameters; Wald for initial states"
    if collapsed:
        note += f"; Wald for {collapsed}, whose profile had zero width"
    frame.attrs = {
        "level": level,
        "method": "profile",
        "note": note,
        "wald_fallback": tuple(collapsed),
        "lower_objective": lowest if lowest < result.rss * (1.0 - 1e-6) else None,
    }
    return frame


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
    method = {
        "ode": "trajectory least squares (solved ODE, forward sensitivities)",
        "var": "exact discrete-time likelihood of the model with yearly shocks (VAR(1) with "
        "transition expm(A dt), maximum likelihood)",
    }.get(
        result.method,
        f"difference regression (OLS of yearly change on {result.options['level_at']} level)",
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
            if label == "trend":
                continue
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
        objective = "-2 log-likelihood" if result.method == "var" else "RSS"
        lines.append(
            f"Start: {result.diagnostics['start']}; {len(starts)} start point(s), {objective} "
            + ", ".join(_fmt(s["cost"]) for s in starts)
        )
    trend = result.diagnostics.get("trend")
    if trend:
        lines += ["", "Trend and unit roots:"] + [f"  {sentence}" for sentence in trend["lines"]]
    if result.withheld:
        lines += ["", "Regime: withheld", f"  {result.withheld}"]
    if result.regime is not None:
        lines += ["", f"Regime: {result.regime.name}"]
        if result.regime.start is not None:
            year = result.data.index[-1]
            fate = (result.regime.fate or "not settled").replace("_", " ")
            lines.append(f"  judged from the last observed state ({year}): its fate is {fate}")
        lines.append(f"  {result.regime.explanation}")
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


def last_observed_state(result: Any) -> np.ndarray | None:
    """The last observed state, in model-state order (the start the verdict is judged from)."""
    model = result.model
    try:
        row = result.data.iloc[-1]
        values = [float(row[actor]) for actor in model.actors]
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    state = np.array(values)
    return state if np.all(np.isfinite(state)) else None
