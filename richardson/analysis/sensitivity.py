"""Global sensitivity of escalation outputs: :func:`sensitivity` (Sobol, Morris, FAST).

SALib draws the designs and computes the indices; the evaluations go through this toolkit's
batched paths (:mod:`._sensitivity_eval`) in chunks, with a progress bar, on this process,
a :mod:`concurrent.futures` executor or a ``dask.distributed`` client.

SALib samples the unit cube; each parameter's column is mapped through the inverse
distribution function of its distribution (uniform, log-uniform, normal). Sobol and FAST
indices do not change under such a one-to-one map of an input, and Morris elementary effects
are then measured per full range (quantile 0 to 1) of each parameter.
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
from scipy.special import ndtri

from ..errors import InvalidParameterError, ModelError, UnknownSymbolError, did_you_mean
from ..model.core import Model
from ._sensitivity_eval import NAMED_OUTPUTS, EvaluationPlan, evaluate_chunk, needs_runs
from .balances import _check_autonomous
from .sensitivity_result import SensitivityResult, as_dataset
from .sweeps import SweepInterrupted, _PortableModel, _run_tasks

__all__ = ["sensitivity", "METHODS", "DISTRIBUTIONS"]

#: Design and estimator of each method (SALib modules).
METHODS = ("sobol", "morris", "fast")
#: Distributions of an uncertain parameter: ``(lo, hi)`` is uniform.
DISTRIBUTIONS = ("uniform", "loguniform", "normal")
_MORRIS_LEVELS = 4
_FAST_M = 4
_NORMAL_CLIP = 1e-9  # quantiles of a normal parameter stay within about 6 sd
_LINEAR_CHUNK = 16_384
_RUN_CHUNK = 2_048


# ---------------------------------------------------------------------- inputs
def _distribution(name: str, spec: Any) -> tuple[str, float, float]:
    """``(kind, first, second)`` of one entry of ``over``; raises with the fix."""
    example = (
        f"give over={{{name!r}: (lo, hi)}} (uniform), ({name!r}: ('loguniform', lo, hi)) or "
        f"({name!r}: ('normal', mean, sd))"
    )
    if isinstance(spec, (tuple, list)) and len(spec) == 2:
        kind, values = "uniform", spec
    elif isinstance(spec, (tuple, list)) and len(spec) == 3 and isinstance(spec[0], str):
        kind, values = spec[0].lower().replace("-", "").replace("_", ""), spec[1:]
        if kind not in DISTRIBUTIONS:
            raise InvalidParameterError(
                f"distribution {spec[0]!r} of {name!r} is not known; use one of "
                f"{', '.join(DISTRIBUTIONS)}.{did_you_mean(kind, DISTRIBUTIONS)}"
            )
    else:
        raise InvalidParameterError(f"the range of {name!r} is {spec!r}; {example}.")
    try:
        first, second = float(values[0]), float(values[1])
    except (TypeError, ValueError) as err:
        raise InvalidParameterError(
            f"the range of {name!r} must hold numbers, got {spec!r}; {example}."
        ) from err
    if not (math.isfinite(first) and math.isfinite(second)):
        raise InvalidParameterError(f"the range of {name!r} must be finite, got {spec!r}.")
    if kind == "normal":
        if second <= 0.0:
            raise InvalidParameterError(
                f"the normal distribution of {name!r} needs a positive standard deviation, "
                f"got {second:g}."
            )
    elif not first < second:
        raise InvalidParameterError(
            f"the range of {name!r} is [{first:g}, {second:g}]; the lower end must be below "
            "the upper end."
        )
    elif kind == "loguniform" and first <= 0.0:
        raise InvalidParameterError(
            f"the log-uniform range of {name!r} starts at {first:g}; it must start above 0."
        )
    return kind, first, second


def _describe(name: str, kind: str, first: float, second: float) -> str:
    if kind == "normal":
        return f"{name} ~ normal(mean {first:g}, sd {second:g})"
    return f"{name} ~ {kind.replace('log', 'log-')}[{first:g}, {second:g}]"


def _from_unit(unit: np.ndarray, kinds: list[tuple[str, float, float]]) -> np.ndarray:
    """Parameter values from unit-cube samples (inverse distribution functions)."""
    values = np.empty_like(unit)
    for j, (kind, first, second) in enumerate(kinds):
        u = unit[:, j]
        if kind == "uniform":
            values[:, j] = first + u * (second - first)
        elif kind == "loguniform":
            values[:, j] = np.exp(math.log(first) + u * math.log(second / first))
        else:
            values[:, j] = first + second * ndtri(np.clip(u, _NORMAL_CLIP, 1.0 - _NORMAL_CLIP))
    return values


def _outputs(model: Model, outputs: Any) -> tuple[tuple[Any, ...], list[str]]:
    """The outputs to compute and the label of each result row."""
    if isinstance(outputs, str) or callable(outputs):
        outputs = (outputs,)
    outputs = tuple(outputs)
    if not outputs:
        raise ModelError(f"give at least one output: {', '.join(NAMED_OUTPUTS)} or a callable.")
    labels: list[str] = []
    for output in outputs:
        if callable(output):
            labels.append(getattr(output, "__name__", type(output).__name__))
        elif output not in NAMED_OUTPUTS:
            raise ModelError(
                f"output {output!r} is not known; use {', '.join(NAMED_OUTPUTS)} or a callable "
                f"of a Trajectory.{did_you_mean(str(output), NAMED_OUTPUTS)}"
            )
        elif output == "balance":
            labels.extend(f"balance[{actor}]" for actor in model.actors)
        else:
            labels.append(output)
    if len(set(labels)) != len(labels):
        raise ModelError(f"two outputs share a name ({', '.join(labels)}); name them apart.")
    return outputs, labels


def _design(method: str, n: int, d: int, second_order: bool, seed: int) -> np.ndarray:
    """Unit-cube samples of SALib's design for ``method``."""
    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, n, calc_second_order=second_order, seed=seed)
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, n, num_levels=_MORRIS_LEVELS, seed=seed)
    from SALib.sample import fast_sampler

    if n <= 4 * _FAST_M * _FAST_M:
        raise InvalidParameterError(
            f"FAST needs n > {4 * _FAST_M * _FAST_M} samples per parameter (4 M^2 with "
            f"M = {_FAST_M}), got n = {n}."
        )
    return fast_sampler.sample(problem, n, M=_FAST_M, seed=seed)


def _analyse(
    method: str,
    unit: np.ndarray,
    y: np.ndarray,
    second_order: bool,
    conf_level: float,
    seed: int,
) -> dict[str, np.ndarray]:
    d = unit.shape[1]
    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}
    if method == "sobol":
        from SALib.analyze import sobol

        found = sobol.analyze(
            problem, y, calc_second_order=second_order, conf_level=conf_level, seed=seed
        )
        keys = ["S1", "S1_conf", "ST", "ST_conf"] + (["S2", "S2_conf"] if second_order else [])
    elif method == "morris":
        from SALib.analyze import morris

        found = morris.analyze(
            problem, unit, y, conf_level=conf_level, num_levels=_MORRIS_LEVELS, seed=seed
        )
        keys = ["mu_star", "mu_star_conf", "mu", "sigma"]
    else:
        from SALib.analyze import fast

        # SALib warns on every call that bootstrap intervals of FAST are indicative only
        # (SALib issue 649); the result says so in its summary. It also reseeds numpy's
        # global generator, which is restored so the caller's random state is untouched.
        state = np.random.get_state()  # noqa: NPY002 -- SALib uses the legacy global
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings(
                    "ignore", message="FAST confidence intervals", category=UserWarning
                )
                found = fast.analyze(problem, y, M=_FAST_M, conf_level=conf_level, seed=seed)
        finally:
            np.random.set_state(state)  # noqa: NPY002
        keys = ["S1", "S1_conf", "ST", "ST_conf"]
    out = {key: np.asarray(found[key], dtype=float) for key in keys}
    for key in ("S2", "S2_conf"):
        if key in out:  # SALib fills the upper triangle; a pair reads the same both ways
            upper = np.triu(np.nan_to_num(out[key]), 1)
            out[key] = upper + upper.T
            np.fill_diagonal(out[key], np.nan)
    return out


def _blank(method: str, d: int, second_order: bool, fill: float) -> dict[str, np.ndarray]:
    """Indices of an output that cannot be analysed: NaN (failed) or 0 (constant)."""
    if method == "morris":
        keys = ["mu_star", "mu_star_conf", "mu", "sigma"]
    else:
        keys = ["S1", "S1_conf", "ST", "ST_conf"]
    out = {key: np.full(d, fill) for key in keys}
    if method == "sobol" and second_order:
        out["S2"] = np.full((d, d), fill)
        out["S2_conf"] = np.full((d, d), fill)
    return out


# ---------------------------------------------------------------------- the verb
def sensitivity(
    model: Model,
    over: Mapping[str, Any],
    outputs: str | Callable | Sequence[str | Callable] = ("abscissa",),
    method: str = "sobol",
    n: int = 1024,
    seed: int = 0,
    second_order: bool = False,
    conf_level: float = 0.95,
    fixed: Mapping[str, float] | None = None,
    t_span: Sequence[float] | None = None,
    ceiling: float | None = None,
    y0: Any = None,
    executor: Any = None,
    progress: bool | None = None,
    chunk_size: int | None = None,
) -> SensitivityResult:
    """Which uncertain parameter drives escalation: global sensitivity indices.

    Parameters
    ----------
    model : Model
        An autonomous model (linear or not).
    over : mapping
        Uncertain parameter -> distribution: ``(lo, hi)`` (uniform), ``("loguniform", lo,
        hi)`` (``lo > 0``) or ``("normal", mean, sd)``, in the parameter's units (reactions
        and fatigues in 1/time unit). Uniform and log-uniform ranges must lie within the
        parameter's declared bounds; a normal parameter is not cut at them.
    outputs : str, callable or sequence of them
        ``"abscissa"``: largest real part of the eigenvalues at the balance (1/time unit;
        spectral radius minus one for maps; positive = runaway). ``"runaway"``: 1 for a
        runaway or threshold regime, else 0 (linear models, exact); for nonlinear models 1
        when the run from the model's start crosses the ceiling within ``t_span``; its mean
        is P(runaway). ``"balance"``: the balance level of each actor (``-A^-1 b``; for
        nonlinear models the state the run reaches at the end of ``t_span``, undefined
        (a failed evaluation) for a run that crosses the ceiling), one output per actor.
        ``"time_to_ceiling"``: time at which the run first crosses the ceiling (``t_span[1]``
        when it never does), on the ensemble's grid of 201 output times. A callable
        ``f(Trajectory) -> float`` is evaluated on each run.
    method : {"sobol", "morris", "fast"}
        Saltelli's design with Sobol' indices (``n (d + 2)`` evaluations, ``n (2 d + 2)``
        with ``second_order``; ``n`` a power of two), Morris elementary effects (``n``
        trajectories, ``n (d + 1)`` evaluations) or extended FAST (``n d`` evaluations,
        ``n > 64``).
    n : int
        Base sample size.
    seed : int
        Seed of the design and of the bootstrap intervals.
    second_order : bool
        Sobol only: also the pairwise indices ``S2``.
    conf_level : float
        Level of the confidence intervals (bootstrap half-widths), between 0 and 1.
    fixed : mapping, optional
        Values of the other parameters (model defaults otherwise).
    t_span : pair of float, optional
        Time span of runs (nonlinear models, ``time_to_ceiling``, callables); the model
        file's ``[simulation]`` span, else 0 .. 50 time units.
    ceiling : float, optional
        Spending level (state units) that counts as runaway in runs; by default the
        ensemble's guard (a million times the largest start).
    y0 : sequence or mapping, optional
        Start of the runs (state units); the model's initial values by default.
    executor : concurrent.futures.Executor or distributed.Client, optional
        Where the chunks run (a process pool needs picklable callables); same result.
    progress : bool, optional
        Progress bar (default: when there is more than one chunk).
    chunk_size : int, optional
        Parameter sets per chunk (default 16 384 for exact linear outputs, 2 048 for runs).

    Returns
    -------
    SensitivityResult
        ``indices`` (xarray: S1, ST, optional S2 and their intervals; mu_star and sigma for
        Morris), ``samples``, ``.summary()`` and ``.plot()``.

    Raises
    ------
    ModelError
        For unknown parameters or outputs, a bad method, or a time-dependent model.
    InvalidParameterError
        For a malformed distribution or a range outside a parameter's bounds.
    KeyboardInterrupt
        After Ctrl-C, once pending chunks are cancelled (indices need every sample).

    References
    ----------
    Saltelli, A. et al. (2010), Variance based sensitivity analysis of model output,
    Computer Physics Communications 181, 259-270. Herman, J. and Usher, W. (2017), SALib:
    an open-source Python library for sensitivity analysis, JOSS 2(9), 97.

    Examples
    --------
    >>> import richardson as rd
    >>> m = rd.richardson2(k=0.9, l=0.8, a=1.0, b=1.1)
    >>> result = rd.sensitivity(m, {"k": (0.5, 1.5), "a": (0.8, 1.2)}, n=256, progress=False)
    >>> result.ranking("abscissa").index[0]
    'k'
    """
    _check_autonomous(model, "sensitivity")
    if method not in METHODS:
        raise ModelError(
            f"method {method!r} is not known; use one of {', '.join(METHODS)}."
            f"{did_you_mean(str(method), METHODS)}"
        )
    if not isinstance(over, Mapping) or not over:
        raise ModelError(
            "over must be a mapping parameter -> distribution, e.g. over={'k': (0.5, 1.5)}."
        )
    if int(n) != n or n < 2:
        raise InvalidParameterError(f"n must be a whole number of at least 2, got {n!r}.")
    if not 0.0 < conf_level < 1.0:
        raise InvalidParameterError(f"conf_level must lie between 0 and 1, got {conf_level!r}.")
    names = [str(name) for name in over]
    for name in names:
        if name not in model.param_index:
            raise UnknownSymbolError(
                f"over names {name!r}, which is not a parameter of the model."
                f"{did_you_mean(name, model.param_names)}"
            )
    if len(names) < 2 and method != "morris":
        raise ModelError(
            f"{method} indices need at least two uncertain parameters; add one to over=... "
            "or use method='morris'."
        )
    fixed = dict(fixed or {})
    clash = sorted(set(fixed) & set(names))
    if clash:
        raise ModelError(f"{clash[0]!r} is both in over=... and in fixed=...; keep one.")
    kinds = [_distribution(name, over[name]) for name in names]
    for name, (kind, first, second) in zip(names, kinds, strict=True):
        lower, upper = model.params[name].bounds
        if kind != "normal" and (first < lower or second > upper):
            raise InvalidParameterError(
                f"the range [{first:g}, {second:g}] of {name!r} leaves its bounds "
                f"[{lower:g}, {upper:g}] declared in the model; narrow the range."
            )
    outputs, labels = _outputs(model, outputs)
    compiled = model.compile()
    span = _span(model, t_span)
    linear = bool(compiled.is_linear)
    runs = needs_runs(outputs, linear)
    if runs and model.kind != "ode":
        raise ModelError(
            "this model is a map; sensitivity of a nonlinear map or of run outputs "
            "(time_to_ceiling, callables) is not available; use 'abscissa', 'runaway' or "
            "'balance' of a linear map, or rd.sweep."
        )
    start = model.initial_vector(y0) if runs else np.zeros(model.n_states)
    plan = EvaluationPlan(outputs, linear, span, ceiling, start)
    second_order = bool(second_order) and method == "sobol"
    unit = _design(method, int(n), len(names), second_order, seed)
    values = _from_unit(unit, kinds)
    base = model.param_vector(fixed)
    P = np.repeat(base[:, None], values.shape[0], axis=1)
    for j, name in enumerate(names):
        P[model.param_index[name]] = values[:, j]
    started = time.perf_counter()
    Y = _evaluate(model, plan, P, executor, progress, chunk_size)
    seconds = time.perf_counter() - started
    per_output, stats = _indices(method, unit, Y, labels, second_order, conf_level, seed)
    attrs = {
        "model": model.name or "model",
        "distributions": [_describe(name, *kind) for name, kind in zip(names, kinds, strict=True)],
        "path": _path_name(model, plan),
        "n_evaluations": int(P.shape[1]),
        "seconds": seconds,
        "conf_level": conf_level,
        "seed": seed,
        "t_span": list(span),
        "fixed": {k: float(v) for k, v in fixed.items()},
    }
    indices = as_dataset(per_output, names, stats, {"method": method, **attrs})
    samples = xr.Dataset(
        {"X": (("sample", "parameter"), values), "Y": (("sample", "output"), Y.T)},
        coords={"parameter": names, "output": labels},
    )
    return SensitivityResult(indices=indices, samples=samples, method=method, attrs=attrs)


def _span(model: Model, t_span: Sequence[float] | None) -> tuple[float, float]:
    if t_span is None:
        simulation = dict(model.metadata.get("simulation", {}))
        t0 = float(simulation.get("t0", 0.0))
        return t0, float(simulation.get("t1", t0 + 50.0))
    try:
        t0, t1 = (float(v) for v in t_span)
    except (TypeError, ValueError) as err:
        raise ModelError(f"t_span must be a pair of numbers (start, end), got {t_span!r}.") from err
    if not (math.isfinite(t0) and math.isfinite(t1) and t1 > t0):
        raise ModelError(f"t_span must be finite with end after start, got {t_span!r}.")
    return t0, t1


def _path_name(model: Model, plan: EvaluationPlan) -> str:
    if not plan.linear:
        return "batched ensembles of runs"
    exact = "closed form" if model.n_states == 2 and model.kind == "ode" else "batched spectra"
    return f"linear, {exact}" + (" and batched runs" if plan.needs_runs else "")


def _evaluate(
    model: Model,
    plan: EvaluationPlan,
    P: np.ndarray,
    executor: Any,
    progress: bool | None,
    chunk_size: int | None,
) -> np.ndarray:
    """All outputs of every parameter set, in chunks; ``(n_rows, m)``."""
    m = P.shape[1]
    size = int(chunk_size) if chunk_size else (_RUN_CHUNK if plan.needs_runs else _LINEAR_CHUNK)
    if size < 1:
        raise InvalidParameterError(f"chunk_size must be at least 1, got {chunk_size!r}.")
    starts = list(range(0, m, size))
    tasks = [(np.ascontiguousarray(P[:, s : s + size]),) for s in starts]
    function = functools.partial(evaluate_chunk, _PortableModel(model), plan)
    pieces: dict[int, np.ndarray] = {}
    try:
        for index, piece in _run_tasks(
            function, tasks, [t[0].shape[1] for t in tasks], executor, progress, "sensitivity"
        ):
            pieces[index] = piece
    except KeyboardInterrupt:
        done = sum(piece.shape[1] for piece in pieces.values())
        warnings.warn(
            f"sensitivity interrupted after {done} of {m} evaluations; the indices need "
            "every sample, so nothing is returned",
            SweepInterrupted,
            stacklevel=3,
        )
        raise
    return np.hstack([pieces[i] for i in range(len(tasks))])


def _indices(
    method: str,
    unit: np.ndarray,
    Y: np.ndarray,
    labels: list[str],
    second_order: bool,
    conf_level: float,
    seed: int,
) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, np.ndarray]]:
    d = unit.shape[1]
    per_output: dict[str, dict[str, np.ndarray]] = {}
    failed = np.sum(~np.isfinite(Y), axis=1)
    means = np.full(len(labels), np.nan)
    variances = np.full(len(labels), np.nan)
    for row, label in enumerate(labels):
        y = Y[row]
        if failed[row]:
            per_output[label] = _blank(method, d, second_order, math.nan)
            continue
        means[row], variances[row] = float(y.mean()), float(y.var())
        if np.ptp(y) <= 1e-12 * max(float(np.abs(y).max()), 1e-300):
            variances[row] = 0.0
            per_output[label] = _blank(method, d, second_order, 0.0)
            continue
        per_output[label] = _analyse(method, unit, y, second_order, conf_level, seed)
    stats = {"mean": means, "variance": variances, "n_failed": failed.astype(int)}
    return per_output, stats
