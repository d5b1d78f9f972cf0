"""Residual bootstrap of a fit: distributions of the parameters, the regime verdict,
``P(runaway)`` and the escalation margin.

Resampled data sets are drawn up front from one seeded generator (so the result does not
depend on how the work is split), then refitted in chunks. Within a chunk, all resamples of
an ODE fit are fitted together by the batched Levenberg-Marquardt of
:func:`richardson.fitting.ode.batched_least_squares` (one batched integration per iteration);
difference fits are refitted in closed form. Chunks run in the calling process, in a
``concurrent.futures`` executor or on a dask ``Client`` (``executor=``), with a progress bar;
Ctrl-C returns the finished chunks flagged as incomplete.
"""

from __future__ import annotations

import html
import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..errors import FitError, RichardsonWarning
from .blocks import ResamplingScheme, choose_scheme, resampled_rows
from .refits import (
    REFIT_ITERATIONS,
    _Chunk,
    _portable,
    _problem_fields,
    _refit_rate_limit,
    _run_chunk,
    _verdict_region,
)
from .result import last_observed_state
from .var import var_resamples

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .result import FitResult

__all__ = ["BootstrapResult", "bootstrap"]


@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """Distribution of a fit's estimates and verdicts over residual-bootstrap resamples.

    Attributes
    ----------
    fit : FitResult
        The fit that was resampled.
    samples : pandas.DataFrame
        One row per finished resample, one column per free estimate.
    converged : numpy.ndarray of bool
        Whether each resample's refit converged (non-converged rows are excluded from the
        verdict shares and intervals).
    regimes : pandas.Series or None
        Regime name of each resample's fitted model (None when verdicts were not asked for;
        empty string when the verdict failed).
    margins : numpy.ndarray or None
        Escalation margin of each resample (relative change; ``inf`` when none was found).
    n_requested : int
        Number of resamples asked for.
    complete : bool
        False when the run was interrupted (the finished part is returned).
    seed : int or None
        Seed of the resampling.
    elapsed : float
        Wall time, seconds.
    notes : tuple of str
        Failures recorded during the verdicts.
    scheme : ResamplingScheme
        How the years were drawn (single years or moving blocks) and why.
    fates : pandas.Series or None
        Where the last observed state goes under each resample's model (``"runaway"``,
        ``"below"`` the threshold, or the regime reached).
    withheld : str or None
        Why the resamples were not classified although verdicts were asked for (the fit's
        own ``withheld``: e.g. series in current prices); there is then no ``P(runaway)``.
    """

    fit: Any
    samples: pd.DataFrame
    converged: np.ndarray
    regimes: pd.Series | None
    margins: np.ndarray | None
    n_requested: int
    complete: bool
    seed: int | None
    elapsed: float
    notes: tuple[str, ...] = field(default=())
    withheld: str | None = None
    scheme: ResamplingScheme | None = None
    fates: pd.Series | None = None

    @property
    def n(self) -> int:
        """Number of finished resamples."""
        return len(self.samples)

    @property
    def failed_share(self) -> float:
        """Share of finished resamples whose refit did not converge (left out of the shares)."""
        return float(np.mean(~self.converged)) if self.n else math.nan

    @property
    def heading_for_runaway(self) -> np.ndarray:
        """Per resample: classified ``"runaway"``, or ``"threshold"`` with the last observed
        state beyond the threshold (the observed system is heading for runaway)."""
        self._require_verdicts()
        names = self.regimes.to_numpy()
        fates = self.fates.to_numpy() if self.fates is not None else np.full(len(names), "")
        return (names == "runaway") | ((names == "threshold") & (fates == "runaway"))

    @property
    def p_runaway(self) -> float:
        """Share of converged resamples heading for runaway (:attr:`heading_for_runaway`)."""
        self._require_verdicts()
        valid = self.converged & (self.regimes.to_numpy() != "")
        return float(np.mean(self.heading_for_runaway[valid])) if valid.any() else math.nan

    def p_runaway_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Wilson interval of ``P(runaway)`` for the Monte-Carlo error of ``n`` resamples."""
        import scipy.stats

        self._require_verdicts()
        valid = self.converged & (self.regimes.to_numpy() != "")
        count = int(valid.sum())
        if count == 0:
            return math.nan, math.nan
        p = self.p_runaway
        z = scipy.stats.norm.ppf(0.5 + level / 2)
        centre = (p + z**2 / (2 * count)) / (1 + z**2 / count)
        half = z * math.sqrt(p * (1 - p) / count + z**2 / (4 * count**2)) / (1 + z**2 / count)
        return max(0.0, centre - half), min(1.0, centre + half)

    def regime_shares(self) -> pd.Series:
        """Share of each regime among the converged resamples."""
        self._require_verdicts()
        valid = self.regimes[self.converged]
        return valid.replace("", "unclassified").value_counts(normalize=True)

    def _require_verdicts(self) -> None:
        if self.withheld:
            raise FitError(f"no P(runaway) from this bootstrap. {self.withheld}")
        if self.regimes is None:
            raise FitError("this bootstrap ran without verdicts; call bootstrap(verdicts=True)")

    def intervals(self, level: float = 0.95) -> pd.DataFrame:
        """Percentile intervals of the free estimates (converged resamples).

        Order statistics (no interpolation), so that an estimate at infinity (a ceiling a
        resample does not reach) is an ``inf`` limit rather than NaN.
        """
        alpha = (1.0 - level) / 2.0
        good = self.samples[self.converged]
        quantile = lambda p: good.quantile(p, interpolation="nearest")  # noqa: E731
        return pd.DataFrame(
            {"lower": quantile(alpha), "median": quantile(0.5), "upper": quantile(1.0 - alpha)}
        )

    def margin_quantiles(self, q: Sequence[float] = (0.025, 0.5, 0.975)) -> pd.Series:
        """Quantiles of the escalation margin (``inf`` counts as larger than any number)."""
        if self.withheld:
            raise FitError(f"no escalation margins from this bootstrap. {self.withheld}")
        if self.margins is None:
            raise FitError("this bootstrap ran without margins; call bootstrap(margins=True)")
        values = np.sort(self.margins[self.converged & ~np.isnan(self.margins)])
        if values.size == 0:
            return pd.Series(np.nan, index=list(q))
        positions = [min(int(math.floor(p * values.size)), values.size - 1) for p in q]
        return pd.Series(values[positions], index=list(q))

    def summary(self) -> str:
        """Plain-text report."""
        fit = self.fit
        lines = [
            f"Residual bootstrap of the {fit.method} fit of {fit.model.name or 'model'}: "
            f"{self.n} of {self.n_requested} resamples"
            + ("" if self.complete else " (INTERRUPTED: partial result)")
            + f", {int(self.converged.sum())} converged ({self.failed_share:.0%} failed), seed "
            f"{self.seed}, {self.elapsed:.1f} s",
        ]
        if self.scheme is not None:
            lines.append(f"Resampled: {self.scheme.describe()}")
        lines += [
            "",
            "Percentile intervals (95%):",
            f"  {'name':<18}{'estimate':>12}{'2.5%':>12}{'median':>12}{'97.5%':>12}",
        ]
        intervals = self.intervals()
        for name, row in intervals.iterrows():
            lines.append(
                f"  {name:<18}{fit.params[name]:>12.5g}{row['lower']:>12.5g}"
                f"{row['median']:>12.5g}{row['upper']:>12.5g}"
            )
        if self.regimes is not None:
            low, high = self.p_runaway_interval()
            lines += [
                "",
                f"P(runaway) = {self.p_runaway:.3f} (Monte-Carlo 95% interval "
                f"{low:.3f}-{high:.3f}; runaway, or a threshold that the last observed state "
                "lies beyond)",
                "Regimes: " + ", ".join(f"{k} {v:.1%}" for k, v in self.regime_shares().items()),
            ]
        if self.withheld:
            lines += ["", "P(runaway) and escalation margins: withheld", f"  {self.withheld}"]
        if self.margins is not None:
            finite = self.margins[self.converged & np.isfinite(self.margins)]
            quantiles = self.margin_quantiles()
            share = finite.size / max(int(self.converged.sum()), 1)
            lines.append(
                f"Escalation margin: median {quantiles.iloc[1]:.3g}, 95% range "
                f"{quantiles.iloc[0]:.3g} to {quantiles.iloc[2]:.3g}; {share:.1%} of resamples "
                "have a finite margin"
            )
        notes = list(self.notes)
        if self.failed_share > 0.05:
            notes.insert(
                0,
                f"{self.failed_share:.0%} of the refits did not converge within their limit "
                f"({REFIT_ITERATIONS} batched iterations): the model is weakly identified from "
                "these data (estimates drift along flat directions); the shares and intervals "
                "above are over the converged resamples only. Fixing or bounding parameters "
                "makes the model identifiable.",
            )
        if notes:
            lines += ["", "Notes:"] + [f"  - {note}" for note in notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Histogram of the escalation margin (see :func:`richardson.plot.bootstrap_margin`)."""
        from .. import plot

        return plot.bootstrap_margin(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        p = f", P(runaway)={self.p_runaway:.3f}" if self.regimes is not None else ""
        return (
            f"<BootstrapResult {self.n}/{self.n_requested} resamples{p}, complete={self.complete}>"
        )


# ---------------------------------------------------------------------- entry point
def bootstrap(
    result: FitResult,
    n: int = 1000,
    seed: int | None = 0,
    executor: Any = None,
    chunk_size: int | None = None,
    batched: bool = True,
    progress: bool | None = None,
    verdicts: bool = True,
    margins: bool | None = None,
    margin_over: Sequence[str] | None = None,
    scheme: str = "auto",
    block_length: int | None = None,
) -> BootstrapResult:
    """Residual bootstrap of a fit.

    The fitted values plus residuals resampled with replacement (whole years at once, so
    the correlation between the series is kept; centred and inflated by
    ``sqrt(N / (N - q))`` for the degrees of freedom used by the fit) give ``n`` synthetic
    data sets. Each is refitted starting from the original estimate, and each refitted
    model is classified and its escalation margin measured.

    Parameters
    ----------
    result : FitResult
        A fit from :func:`richardson.fit`.
    n : int
        Number of resamples.
    seed : int, optional
        Seed of the resampling: the same seed gives the same resamples however the work is
        split or parallelised.
    executor : concurrent.futures.Executor or dask.distributed.Client, optional
        Runs the chunks in parallel (anything with ``submit(fn, arg)`` returning futures
        with ``result()``); the calling process by default.
    chunk_size : int, optional
        Resamples per chunk; by default ``n`` split into about 8 chunks (at least 50 each)
        for an executor, one chunk otherwise.
    batched : bool
        Fit all resamples of a chunk together (batched Levenberg-Marquardt, at most
        :data:`REFIT_ITERATIONS` iterations each: a refit still improving then counts as not
        converged); False fits them one by one with ``scipy.optimize.least_squares`` (for
        comparison). Ceilings are refitted through their reciprocal (see
        :mod:`.reciprocal`), so a resample that does not reach one gets ``inf``.
    progress : bool, optional
        Show a tqdm progress bar; by default when there is more than one chunk.
    verdicts : bool
        Classify every resample (:func:`richardson.classify`) for the regime shares and
        ``P(runaway)``. Ignored (no verdicts, no margins) when the fit withheld its own
        verdict (``result.withheld``, e.g. series in current prices).
    margins : bool, optional
        Measure every resample's escalation margin (:func:`richardson.escalation_margin`).
        By default for linear models only (exact and cheap); for a nonlinear model each
        margin is a bisection over sampled verdicts (seconds per resample), so ask for it.
    margin_over : sequence of str, optional
        Parameters over which the margin is searched; the fit's choice by default.
    scheme : {"auto", "iid", "block"}
        Which years are drawn: single years, or moving blocks of consecutive years that keep
        the residuals' autocorrelation. ``"auto"`` picks blocks when any series' lag-1
        residual autocorrelation exceeds ``2 / sqrt(T)`` (see :mod:`.blocks`); the summary
        names the scheme and why.
    block_length : int, optional
        Years per block; by default ``max(2, round(T ** (1/3)))``.

    Returns
    -------
    BootstrapResult

    Raises
    ------
    FitError
        For a bad ``n`` or ``chunk_size``.
    """
    if int(n) != n or n < 1:
        raise FitError(f"n must be a positive whole number, not {n}")
    n = int(n)
    if margins is None:
        margins = result.model.compile().is_linear
    withheld = result.withheld if (verdicts or margins) else None
    if result.withheld:
        verdicts = margins = False
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    margin_over = (
        tuple(margin_over) if margin_over is not None else result.options.get("margin_over")
    )
    portable = _portable(result.model)
    free = tuple(result.free)
    if chunk_size is None:
        chunk_size = n if executor is None else max(50, math.ceil(n / 8))
    if int(chunk_size) != chunk_size or chunk_size < 1:
        raise FitError(f"chunk_size must be a positive whole number, not {chunk_size}")
    chunk_size = int(chunk_size)
    chunks: list[_Chunk] = []
    if result.method == "ode":
        problem = result._problem
        residual = _residuals(result)
        resampling = choose_scheme(
            residual.reshape(len(problem.times), problem.n), scheme, block_length
        )
        rows = resampled_rows(len(problem.times), n, resampling, rng)
        target = problem.target()[:, 0]
        fitted_scale = target - residual
        residuals = _resampled_residuals(residual, len(problem.times), problem.n, len(free), rows)
        targets = fitted_scale[:, None] + residuals
        for start in range(0, n, chunk_size):
            stop = min(start + chunk_size, n)
            chunks.append(
                _Chunk(
                    portable,
                    "ode",
                    None,
                    {**_problem_fields(problem), "max_rate": _refit_rate_limit(problem, result)},
                    result._theta,
                    targets[:, start:stop],
                    batched,
                    free,
                    verdicts,
                    margins,
                    margin_over,
                    _verdict_region(result),
                    last_observed_state(result),
                )
            )
    else:
        if result.method == "var":  # parametric: new shocks from the fitted noise model
            resampling = ResamplingScheme("parametric", 0, "new Gaussian shocks from the fit")
            theta = var_resamples(result, n, rng)
        else:
            resampling = choose_scheme(_difference_residuals(result), scheme, block_length)
            rows = resampled_rows(len(result.data) - 1, n, resampling, rng)
            theta = _difference_resamples(result, rows)
        for start in range(0, n, chunk_size):
            stop = min(start + chunk_size, n)
            chunks.append(
                _Chunk(
                    portable,
                    "difference",
                    theta[:, start:stop],
                    None,
                    None,
                    None,
                    batched,
                    free,
                    verdicts,
                    margins,
                    margin_over,
                    last=last_observed_state(result),
                )
            )
    show = len(chunks) > 1 if progress is None else bool(progress)
    outputs: list[Any] = [None] * len(chunks)
    complete = True
    bar = tqdm(total=n, desc="bootstrap", unit="fit", disable=not show)
    try:
        if executor is None:
            for index, chunk in enumerate(chunks):
                outputs[index] = _run_chunk(chunk)
                bar.update(outputs[index][0].shape[1])
        else:
            futures = [executor.submit(_run_chunk, chunk) for chunk in chunks]
            for index, future in enumerate(futures):
                outputs[index] = future.result()
                bar.update(outputs[index][0].shape[1])
    except KeyboardInterrupt:
        complete = False
        if executor is not None:
            for future in futures:
                future.cancel()
        done = sum(o[0].shape[1] for o in outputs if o is not None)
        warnings.warn(
            f"bootstrap interrupted after {done} of {n} resamples; returning the "
            "finished ones (complete=False)",
            RichardsonWarning,
            stacklevel=2,
        )
    finally:
        bar.close()
    finished = [o for o in outputs if o is not None]
    finished = finished[: next((i for i, o in enumerate(outputs) if o is None), len(outputs))]
    if not finished:
        raise FitError("the bootstrap was interrupted before the first chunk finished")
    theta = np.concatenate([o[0] for o in finished], axis=1)
    converged = np.concatenate([o[1] for o in finished])
    regimes = pd.Series(sum((o[2] for o in finished), []), name="regime") if verdicts else None
    fates = pd.Series(sum((o[3] for o in finished), []), name="fate") if verdicts else None
    margin_values = np.concatenate([o[4] for o in finished]) if margins else None
    notes = tuple(dict.fromkeys(note for o in finished for note in o[5]))
    samples = pd.DataFrame(theta.T, columns=list(free))
    return BootstrapResult(
        fit=result,
        samples=samples,
        converged=converged,
        regimes=regimes,
        fates=fates,
        margins=margin_values,
        n_requested=n,
        complete=complete,
        seed=seed,
        elapsed=time.perf_counter() - started,
        notes=notes,
        withheld=withheld,
        scheme=resampling,
    )


def _residuals(result: FitResult) -> np.ndarray:
    problem = result._problem
    residual, _, _ = problem.residuals(result._theta[:, None], problem.target(), jacobian=False)
    return residual[:, 0]


def _resampled_residuals(
    residual: np.ndarray, n_times: int, n_series: int, q: int, rows: np.ndarray
) -> np.ndarray:
    """``(N, n)`` residual draws: whole years (``rows``, shape ``(n, T)``, from
    :func:`.blocks.resampled_rows`), centred per series, dof-inflated."""
    matrix = residual.reshape(n_times, n_series)
    matrix = matrix - matrix.mean(axis=0)
    matrix *= math.sqrt(residual.size / max(residual.size - q, 1))
    draws = matrix[rows]  # (n, T, n_series)
    return draws.reshape(rows.shape[0], n_times * n_series).T


def _difference_residuals(result: FitResult) -> np.ndarray:
    """Residuals of the difference regressions as ``(T - 1, s)``: yearly changes by equation
    (stacked regressions are split back into their equations)."""
    n_changes = len(result.data) - 1
    columns = []
    for regression in result._problem.regressions:
        resid = np.asarray(regression.resid)
        columns += list(resid.reshape(-1, n_changes)) if resid.size % n_changes == 0 else []
    return np.array(columns).T if columns else np.zeros((n_changes, 0))


def _difference_resamples(result: FitResult, rows: np.ndarray) -> np.ndarray:
    """Closed-form OLS refits of all resamples: ``(Q, n)`` in ``result.free`` order. The same
    resampled years (``rows``, shape ``(n, T - 1)``) serve every equation, so the correlation
    between the equations' shocks is kept."""
    raw = result._problem
    n = rows.shape[0]
    n_changes = len(result.data) - 1
    theta = np.empty((len(result.free), n))
    position = {name: i for i, name in enumerate(result.free)}
    for regression, names in zip(raw.regressions, raw.columns, strict=True):
        X = regression.model.exog
        resid = np.asarray(regression.resid)
        k = X.shape[1]
        scale = math.sqrt(len(resid) / max(len(resid) - k, 1))
        centred = ((resid - resid.mean()) * scale).reshape(-1, n_changes)  # (equations, T-1)
        draws = centred[:, rows].transpose(1, 0, 2).reshape(n, -1)  # equation-major, as X
        response = np.asarray(regression.fittedvalues)[:, None] + draws.T
        beta = np.linalg.lstsq(X, response, rcond=None)[0]  # (k, n)
        for row, name in enumerate(names):
            theta[position[name]] = beta[row]
    return theta
