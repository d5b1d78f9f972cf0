"""Do the actors react to each other? :func:`coupling_test` and its :class:`CouplingTest`.

Two arms budgets that both grow look related whether or not either side reacts to the
other. The test here asks whether one side's past helps predict the other's beyond that
side's own past and its own trend or drift: the null hypothesis is independent own growth.

``method="granger"``
    A vector autoregression (statsmodels ``VAR``) of the transformed series, lag order by
    BIC; Wald F tests that a series' lags have zero coefficients in another's equation
    (``VARResults.test_causality``, each direction) and that every cross coefficient is
    zero (the joint test: the same Wald statistic with all cross coefficients restricted).
``method="lr"``
    Likelihood ratio, equation by equation (statsmodels OLS and ``compare_lr_test``), of
    the coupled regression (own lags, the other series' lags, deterministic terms) against
    the uncoupled one (own lags, deterministic terms), with Sims' small-sample correction;
    the joint statistic is the sum, chi-square with as many degrees of freedom as cross
    coefficients.

References
----------
Granger, C. W. J. (1969). Investigating causal relations by econometric models and
cross-spectral methods. *Econometrica* 37, 424-438.
Lütkepohl, H. (2005). *New Introduction to Multiple Time Series Analysis*, section 3.6.
Springer.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.stats

from ..errors import DataError, FitError, did_you_mean
from .diagnostics import _check_alpha, _check_frame, _expected_warnings, _var_lag_cap, _year

__all__ = ["COUPLING_METHODS", "TRANSFORMS", "CouplingTest", "coupling_test"]

#: Methods of :func:`coupling_test`.
COUPLING_METHODS = ("granger", "lr")

#: Transforms of :func:`coupling_test`, with their wording in summaries.
TRANSFORMS = {
    "logdiff": "log-differences",
    "diff": "yearly changes",
    "log": "log levels",
    "level": "levels",
}

_TRENDS = {
    "n": " without constant",
    "c": " with a constant",
    "ct": " with constant and trend",
    "ctt": " with constant, trend and squared trend",
}

_DEFAULT_TRANSFORM = {"granger": "logdiff", "lr": "log"}


@dataclass(frozen=True, eq=False)
class CouplingTest:
    """Evidence that the actors react to each other, against independent own growth.

    Attributes
    ----------
    statistic : float
        The joint statistic: Wald F (``"granger"``) or likelihood ratio
        ``2 (logL1 - logL0)`` summed over the equations, each with Sims' factor
        ``(T - c) / T`` (``"lr"``), dimensionless.
    p_value : float
        Its p-value (F or chi-square).
    df : int or tuple of int
        Degrees of freedom: ``(numerator, denominator)`` of the F test, or the chi-square's
        (the number of cross coefficients).
    method : str
        ``"granger"`` or ``"lr"``.
    transform : str
        ``"logdiff"``, ``"diff"``, ``"log"`` or ``"level"``: what the model describes.
    trend : str
        Deterministic terms: ``"n"``, ``"c"`` (constant: a drift of differences), ``"ct"``
        (constant and linear trend), ``"ctt"``.
    lags : int
        Lag order (years) of the autoregression.
    n_obs : int
        Observations per equation (years after transforming and lagging).
    n_years : int
        Years of data given; ``years`` their span, e.g. ``"1952-2016"``.
    years : str
    series : tuple of str
        The actors (column names).
    directions : pandas.DataFrame
        One row per ordered pair: ``cause``, ``effect``, ``statistic``, ``p_value``,
        ``df`` (the effect's equation; for more than two series, conditional on the
        others).
    alpha : float
        Significance level of ``coupled`` and of the wording.
    measure : str
        What the series are, for the wording (``"spending"`` unless the data say otherwise).
    """

    statistic: float
    p_value: float
    df: int | tuple[int, int]
    method: str
    transform: str
    trend: str
    lags: int
    n_obs: int
    n_years: int
    years: str
    series: tuple[str, ...]
    directions: pd.DataFrame
    alpha: float
    measure: str = "spending"

    @property
    def coupled(self) -> bool:
        """Whether the joint test rejects independent own growth at ``alpha``."""
        return bool(self.p_value < self.alpha)

    def lines(self) -> list[str]:
        """Plain-language sentences: the joint finding, then the directions."""
        if self.method == "granger":
            test = f"Granger F = {self.statistic:.2f}, p {_p(self.p_value)}"
        else:
            test = (
                f"likelihood ratio = {self.statistic:.2f} (chi-square, {self.df} df), "
                f"p {_p(self.p_value)}"
            )
        setting = (
            f"{self.lags} lag{'s' if self.lags != 1 else ''}, {TRANSFORMS[self.transform]}"
            f"{_TRENDS[self.trend]}, {self.n_years} years {self.years}"
        )
        if self.coupled:
            first = f"Evidence that the actors react to each other: {test} ({setting})."
        else:
            first = (
                f"No evidence that the actors react to each other: {test} ({setting}); "
                "each series is consistent with its own growth (which is not proof that "
                "they ignore each other)."
            )
        return [first, self._directions_sentence()]

    def _directions_sentence(self) -> str:
        rows = list(self.directions.itertuples(index=False))
        alpha = self.alpha
        if len(self.series) == 2:
            ab, ba = rows
            a, b = ab.cause, ab.effect
            if ab.p_value < alpha and ba.p_value < alpha:
                return (
                    f"{_own(a)} {self.measure} helps predict {_own(b)} "
                    f"(p {_p(ab.p_value)}) and {_own(b)} helps predict {_own(a)} "
                    f"(p {_p(ba.p_value)})."
                )
            if ab.p_value < alpha or ba.p_value < alpha:
                yes, no = (ab, ba) if ab.p_value < alpha else (ba, ab)
                return (
                    f"{_own(yes.cause)} {self.measure} helps predict {_own(yes.effect)} "
                    f"(p {_p(yes.p_value)}); not the reverse (p {_p(no.p_value)})."
                )
            return (
                f"Neither side's {self.measure} helps predict the other's: {a} -> {b} "
                f"p {_p(ab.p_value)}, {b} -> {a} p {_p(ba.p_value)}."
            )
        significant = [r for r in rows if r.p_value < alpha]
        if not significant:
            best = min(rows, key=lambda r: r.p_value)
            return (
                f"No single direction has p < {alpha:g} (smallest: {best.cause} -> "
                f"{best.effect}, p {_p(best.p_value)})."
            )
        listed = ", ".join(f"{r.cause} -> {r.effect} (p {_p(r.p_value)})" for r in significant)
        others = len(rows) - len(significant)
        return (
            f"Directions with p < {alpha:g}, each given the other series: {listed}; "
            f"not the other {others}."
        )

    def summary(self) -> str:
        """A plain-text report: the finding in words, then one row per direction."""
        name = {"granger": "Granger causality (VAR, Wald F)", "lr": "likelihood ratio (OLS)"}
        df = self.df if isinstance(self.df, int) else f"{self.df[0]}, {self.df[1]}"
        lines = [
            f"Coupling test: {name[self.method]} of {', '.join(self.series)}, {self.years}",
            "H0: independent own growth (each series its own lags and "
            f"{'drift' if self.transform in ('logdiff', 'diff') else 'trend'}); "
            "H1: the other series' lags matter too",
            f"statistic = {self.statistic:.4g}, df = {df}, p = {self.p_value:.4g}, "
            f"lags = {self.lags}, observations per equation = {self.n_obs}, "
            f"alpha = {self.alpha:g}",
            "",
            *self.lines(),
            "",
            f"  {'cause':<18}{'effect':<18}{'statistic':>11}{'p-value':>10}  df",
        ]
        for r in self.directions.itertuples(index=False):
            p = f"{r.p_value:.4f}" if r.p_value >= 1e-4 else "< 0.0001"
            lines.append(f"  {r.cause:<18}{r.effect:<18}{r.statistic:>11.4g}{p:>10}  {r.df}")
        lines += [
            "",
            "Read it as prediction: one side's past improves the forecast of the other's "
            "beyond its own past; an outside driver of both (a war, an alliance, the "
            "economy) can produce the same pattern.",
        ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"

    def __repr__(self) -> str:
        return (
            f"<CouplingTest {self.method} of {', '.join(self.series)}: statistic="
            f"{self.statistic:.4g}, p={self.p_value:.4g}, coupled={self.coupled}>"
        )


def _p(p: float) -> str:
    if not math.isfinite(p):
        return "not available"
    if p < 0.001:
        return "< 0.001"
    return f"= {p:.3f}" if p < 0.01 else f"= {p:.2f}"


def _own(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


# ---------------------------------------------------------------------- preparation
def _transformed(frame: pd.DataFrame, transform: str) -> pd.DataFrame:
    if transform in ("logdiff", "log"):
        bad = frame.le(0)
        if bad.to_numpy().any():
            where = {
                c: [_year(y) for y in frame.index[bad[c].to_numpy()]][:6]
                for c in frame.columns
                if bad[c].any()
            }
            raise DataError(
                f"transform={transform!r} takes logarithms, which needs positive values; "
                f"zero or negative values in {where}. Use transform='diff' or 'level', or "
                "fix the values (rd.data.check(data) lists suspicious ones)"
            )
        frame = np.log(frame)
    if transform in ("logdiff", "diff"):
        frame = frame.diff().iloc[1:]
    return frame.reset_index(drop=True)


def _n_det(trend: str) -> int:
    return 0 if trend == "n" else len(trend)


def _lag_order(
    values: pd.DataFrame, trend: str, maxlags: int | None, ic: str | None, n_years: int
) -> int:
    from statsmodels.tsa.api import VAR

    n, k = values.shape
    n_det = _n_det(trend)
    most = _var_lag_cap(n, k, n_det)
    feasible = max(0, (n - n_det - 10) // (k + 1))
    if feasible < 1:
        need = n_years - n + (k + 1) + n_det + 10
        raise FitError(
            f"{n_years} years ({n} observations after the transform) are too few for a "
            f"coupling test of {k} series with 1 lag and trend={trend!r}: it needs at least "
            f"{need} years (10 residual degrees of freedom per equation)"
        )
    if maxlags is not None:
        if int(maxlags) != maxlags or maxlags < 1:
            raise FitError(f"maxlags must be a positive whole number, not {maxlags}")
        if maxlags > feasible:
            raise FitError(
                f"maxlags={maxlags} is too many for {n_years} years ({n} observations after "
                f"the transform) and {k} series: at most {feasible} lags leave 10 residual "
                "degrees of freedom per equation; lower maxlags or leave it out"
            )
        most = int(maxlags)
    if ic is None:
        return most
    with _expected_warnings(RuntimeWarning):
        order = VAR(values).select_order(most, trend=trend).selected_orders[ic]
    return max(1, int(order))


# ---------------------------------------------------------------------- the two methods
def _granger(values: pd.DataFrame, trend: str, lags: int) -> tuple[float, float, Any, list]:
    from statsmodels.tsa.api import VAR

    result = VAR(values).fit(lags, trend=trend)
    names = list(values.columns)
    rows = []
    for cause in names:
        for effect in names:
            if cause != effect:
                test = result.test_causality(effect, [cause], kind="f")
                df = (int(test.df[0]), int(test.df[1]))
                rows.append((cause, effect, float(test.test_statistic), float(test.pvalue), df))
    statistic, df = _joint_wald(result)
    p_value = float(scipy.stats.f.sf(statistic, *df))
    return statistic, p_value, df, rows


def _joint_wald(
    result: Any, pairs: list[tuple[int, int]] | None = None
) -> tuple[float, tuple[int, int]]:
    """The F form of the Wald test that every cross coefficient is zero.

    ``VARResults.test_causality`` restricts the lags of ``causing`` in the equations of
    ``caused``, which for the joint hypothesis would include the own lags; this is the
    same statistic (Lütkepohl 2005, 3.6.5) with the cross coefficients only, and the same
    degrees of freedom ``(restrictions, k * df_resid)``. ``pairs`` (causing, caused) are
    all ordered pairs of different series by default.
    """
    k, p = result.neqs, result.k_ar
    cols_det = k * result.k_exog
    if pairs is None:
        pairs = [(i, j) for i in range(k) for j in range(k) if i != j]
    restriction = np.zeros((len(pairs) * p, cols_det + k * k * p))
    row = 0
    for lag in range(p):
        for causing, caused in pairs:
            restriction[row, cols_det + caused + k * causing + k * k * lag] = 1.0
            row += 1
    # vec(params.T) of Lütkepohl's notation: the rows of params, one after the other
    coefficients = restriction @ np.asarray(result.params).ravel()
    middle = np.linalg.inv(restriction @ np.asarray(result.cov_params()) @ restriction.T)
    wald = float(coefficients @ middle @ coefficients)
    df = (row, int(k * result.df_resid))
    return wald / row, df


def _lr(values: pd.DataFrame, trend: str, lags: int) -> tuple[float, float, int, list]:
    import statsmodels.api as sm
    from statsmodels.tsa.tsatools import add_trend

    data = values.to_numpy()
    n, k = data.shape
    names = list(values.columns)
    lagged = {
        j: np.column_stack([data[lags - lag : n - lag, j] for lag in range(1, lags + 1)])
        for j in range(k)
    }

    def design(columns: list[int]) -> np.ndarray:
        block = np.column_stack([lagged[j] for j in columns])
        return block if trend == "n" else add_trend(block, trend=trend, prepend=True)

    rows = []
    total, total_df = 0.0, 0
    for i in range(k):
        y = data[lags:, i]
        others = [j for j in range(k) if j != i]
        full = sm.OLS(y, design([i, *others])).fit()
        own = sm.OLS(y, design([i])).fit()
        # Sims' small-sample correction: 2 (logL1 - logL0) scaled by (T - c) / T, c the
        # coefficients per coupled equation
        shrink = full.df_resid / full.nobs
        statistic, _, df = full.compare_lr_test(own)
        total += shrink * float(statistic)
        total_df += int(df)
        for j in others:
            if k == 2:
                restricted = own
            else:
                restricted = sm.OLS(y, design([i, *[m for m in others if m != j]])).fit()
            stat_j, _, df_j = full.compare_lr_test(restricted)
            stat_j = shrink * float(stat_j)
            p_j = float(scipy.stats.chi2.sf(stat_j, df_j))
            rows.append((names[j], names[i], stat_j, p_j, int(df_j)))
    rows.sort(key=lambda r: (names.index(r[0]), names.index(r[1])))
    return total, float(scipy.stats.chi2.sf(total, total_df)), total_df, rows


# ---------------------------------------------------------------------- entry point
def coupling_test(
    data: pd.DataFrame,
    method: str = "granger",
    maxlags: int | None = None,
    trend: str | None = None,
    alpha: float = 0.05,
    transform: str | None = None,
    ic: str | None = "bic",
) -> CouplingTest:
    """Test whether the actors react to each other, against independent own growth.

    Parameters
    ----------
    data : pandas.DataFrame
        Year index (evenly spaced), two or more numeric columns (one per actor, e.g. from
        :func:`richardson.data.load`), no missing values.
    method : {"granger", "lr"}
        Granger causality in a VAR (Wald F tests), or the likelihood ratio of coupled
        against uncoupled regressions, equation by equation (chi-square).
    maxlags : int, optional
        Most lags (years) the AIC may choose, or (``ic=None``) the lag order. By default
        about ``n^(1/3)`` (4 for 50 years), fewer for short series: at least 10 residual
        degrees of freedom per equation.
    trend : {"n", "c", "ct", "ctt"}, optional
        Deterministic terms of every equation: the own growth of the null. By default
        ``"c"`` (a constant: each side's own average growth) for differences and
        ``"ct"`` (constant and linear trend) for levels.
    alpha : float
        Significance level (0-1) of ``coupled`` and of the wording.
    transform : {"logdiff", "diff", "log", "level"}, optional
        What the model describes: yearly growth rates (log-differences), yearly changes,
        log levels or levels. By default ``"logdiff"`` for ``"granger"`` (growing budgets
        made stationary) and ``"log"`` for ``"lr"`` (the levels model of the null: own
        lag, constant and trend, on the log scale of constant growth). Log transforms
        need positive values.
    ic : {"bic", "aic", "hqic", "fpe"} or None
        Information criterion that chooses the lag order (at least 1) up to ``maxlags``
        (statsmodels ``VAR.select_order`` on the coupled model); None uses ``maxlags``
        lags. BIC by default: AIC picks more lags on short series and the test then
        rejects too often (see Notes).

    Returns
    -------
    CouplingTest
        The joint statistic and p-value, the per-direction tests and the verdict
        ``coupled`` (p < alpha), with ``summary()`` in words.

    Raises
    ------
    DataError
        For data that are not a DataFrame of at least two numeric columns, that have
        missing values or uneven years, or non-positive values under a log transform.
    FitError
        For an unknown option, or too few years for the lags.

    Notes
    -----
    Under the null each series follows its own autoregression with drift or trend; the
    test asks whether the other series' lags add to it. With ``"lr"`` the equations are
    estimated separately (OLS), so the joint statistic assumes the actors' yearly shocks
    are uncorrelated; ``"granger"`` uses the VAR's full residual covariance. The ``"lr"``
    statistic carries Sims' small-sample correction: ``2 (logL1 - logL0)`` of each
    equation times ``(T - c) / T`` (``T`` observations, ``c`` coefficients of the coupled
    equation). Both are predictive tests: a common outside driver can look like mutual
    reaction.

    The lag order is chosen by BIC: with AIC, measured on the null series below, the
    false-positive rate at alpha = 0.05 was 12% (granger) and 19% (lr) instead of 7% and
    9%. Measured rejection rates at alpha = 0.05 (1000 seeded replicates each):

    * independent series growing 6% a year, log-linear trend times ``exp(u)`` with
      ``u`` AR(1) (coefficient 0.3 / 0.6 / 0.8 / 0.9), 50 years: granger 10% / 7% / 6% /
      6%, lr 7% / 9% / 13% / 15%. The levels regression of ``"lr"`` over-rejects for very
      persistent deviations from trend; differences over-reject a little when the
      deviations are short-lived.
    * Richardson-type coupling of log levels, ``x[t+1] = x[t] + 0.06 + 0.3 (y[t] - x[t])
      + noise`` and the same for ``y``: lr 84% (50 years), 99% (80 years); granger on
      log-differences only 8% / 16%, because differencing removes the gap between the
      levels that drives the reaction.
    * a VAR(1) of growth rates with cross coefficients 0.3 (own 0.2): granger 72% (50
      years), 92% (80 years); lr 67% / 84%.

    Examples
    --------
    >>> import warnings, richardson as rd
    >>> from richardson.fitting.coupling import coupling_test
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     df = rd.data.load("greece_turkey", prices="constant")
    >>> coupling_test(df).method
    'granger'
    """
    if method not in COUPLING_METHODS:
        raise FitError(
            f"method must be one of {COUPLING_METHODS}, not {method!r}"
            f"{did_you_mean(str(method), COUPLING_METHODS)}"
        )
    transform = _DEFAULT_TRANSFORM[method] if transform is None else transform
    if transform not in TRANSFORMS:
        raise FitError(
            f"transform must be one of {tuple(TRANSFORMS)}, not {transform!r}"
            f"{did_you_mean(str(transform), TRANSFORMS)}"
        )
    trend = ("c" if transform in ("logdiff", "diff") else "ct") if trend is None else trend
    if trend not in _TRENDS:
        raise FitError(
            f"trend must be one of {tuple(_TRENDS)} (none, constant, constant and trend, "
            f"and squared trend), not {trend!r}"
        )
    criteria = ("aic", "bic", "hqic", "fpe")
    if ic is not None and ic not in criteria:
        raise FitError(f"ic must be one of {criteria} or None, not {ic!r}")
    if ic is None and maxlags is None:
        raise FitError("ic=None uses exactly maxlags lags: give maxlags too")
    alpha = _check_alpha(alpha)
    frame = _check_frame(data, min_columns=2, what="coupling_test")
    values = _transformed(frame, transform)
    lags = _lag_order(values, trend, maxlags, ic, len(frame))
    run = _granger if method == "granger" else _lr
    statistic, p_value, df, rows = run(values, trend, lags)
    directions = pd.DataFrame(rows, columns=["cause", "effect", "statistic", "p_value", "df"])
    measure = frame.attrs.get("measure")
    return CouplingTest(
        statistic=float(statistic),
        p_value=float(p_value),
        df=df,
        method=method,
        transform=transform,
        trend=trend,
        lags=int(lags),
        n_obs=int(len(values) - lags),
        n_years=len(frame),
        years=f"{_year(frame.index[0])}-{_year(frame.index[-1])}",
        series=tuple(frame.columns),
        directions=directions,
        alpha=alpha,
        measure="military personnel" if measure == "milper" else "spending",
    )
