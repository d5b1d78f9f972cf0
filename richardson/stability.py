"""Stability analysis: equilibria, symbolic stability conditions and regime verdicts.

The verbs are :func:`equilibria` (balances and their eigenvalues) and :func:`classify` (a
:class:`Regime` with a plain-language explanation). The symbolic stability conditions live in
:mod:`richardson.conditions`, the escalation margin in :mod:`richardson.margin`, stability
maps and sweeps in :mod:`richardson.sweep`.

Linear models (``CompiledModel.is_linear``: the Richardson family) are handled exactly with
linear algebra. Nonlinear models get numeric roots from many starts (batched Newton, each
root reported once) and, where the eigenvalues do not settle the question (trigger points,
cycles, ceilings), simulation from sampled initial states.

References
----------
Richardson, L. F. (1960). *Arms and Insecurity*. Pittsburgh: Boxwood Press.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import scipy.spatial

from ._abscissa import few_entry_abscissa
from ._spectral import is_metzler, metzler_perron
from .errors import ModelError, UnknownSymbolError, did_you_mean
from .model import Model

__all__ = [
    "REGIMES",
    "KINDS",
    "Equilibrium",
    "Regime",
    "equilibria",
    "classify",
    "linear_verdicts",
    "verdict_codes",
]

#: The closed set of regime names (see the design notes).
REGIMES = ("stable_balance", "runaway", "disarmament", "bistable", "oscillatory", "saturation")
#: With more balances than this, saddles are searched between the stable ones only.
MAX_SEGMENT_ENDS = 8
#: The closed set of equilibrium kinds.
KINDS = (
    "stable node",
    "stable focus",
    "unstable node",
    "unstable focus",
    "saddle",
    "centre",
    "degenerate",
)


# ---------------------------------------------------------------------- input checks
def _check_autonomous(model: Model, what: str) -> None:
    if not isinstance(model, Model):
        raise ModelError(f"{what} needs a richardson Model, not {type(model).__name__}")
    if not model.is_autonomous:
        raise ModelError(
            f"{what}: the model's right-hand side depends on time t, so it has no fixed "
            "equilibria; replace t by a constant (sympy .subs) to analyse a frozen moment"
        )


def _param_vector(model: Model, params: Mapping[str, float] | None) -> np.ndarray:
    if params is not None and not isinstance(params, Mapping):
        raise ModelError(f"params must be a mapping name -> value, not {type(params).__name__}")
    vector = model.param_vector(params)
    if not np.all(np.isfinite(vector)):
        raise ModelError("parameter values must be finite")
    return vector


def _region(model: Model, region: Any, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Box ``(lower, upper)`` per state where equilibria and initial states are sought."""
    n = model.n_states
    if region is None:
        scale = max([1.0, *np.abs(p).tolist(), *np.abs(list(model.initial.values())).tolist()])
        return np.zeros(n), np.full(n, 10.0 * scale)
    if isinstance(region, Mapping):
        lower, upper = np.zeros(n), np.full(n, np.nan)
        for state, bounds in region.items():
            if state not in model.states:
                raise UnknownSymbolError(
                    f"region names {state!r}, which is not a state"
                    f"{did_you_mean(state, model.states)}"
                )
            i = model.states.index(state)
            lower[i], upper[i] = (float(b) for b in bounds)
        if np.any(np.isnan(upper)):
            missing = [s for s, u in zip(model.states, upper, strict=True) if np.isnan(u)]
            raise ModelError(
                f"region gives no bounds for {missing}; give (lower, upper) for every state"
            )
    else:
        try:
            lo, hi = (float(b) for b in region)
        except (TypeError, ValueError) as err:
            raise ModelError(
                "region must be a pair (lower, upper) for all states or a mapping "
                "state -> (lower, upper), in spending units"
            ) from err
        lower, upper = np.full(n, lo), np.full(n, hi)
    if not (np.all(np.isfinite(lower)) and np.all(np.isfinite(upper)) and np.all(upper > lower)):
        raise ModelError(f"region bounds must be finite with upper > lower, got {lower}, {upper}")
    return lower, upper


# ---------------------------------------------------------------------- equilibria
def _kind(eigenvalues: np.ndarray, discrete: bool, scale: float) -> tuple[str, bool]:
    """Kind and stability of an equilibrium from its eigenvalues (or multipliers, for maps)."""
    tol = 1e-9 * max(1.0, scale)
    if discrete:
        growth = np.abs(eigenvalues) - 1.0
        oscillating = np.any(np.abs(eigenvalues.imag) > tol) or np.any(eigenvalues.real < -tol)
    else:
        growth = eigenvalues.real
        oscillating = np.any(np.abs(eigenvalues.imag) > tol)
    if np.all(growth < -tol):
        return ("stable focus" if oscillating else "stable node"), True
    if np.any(growth > tol) and np.any(growth < -tol):
        return "saddle", False
    if np.all(growth > tol):
        return ("unstable focus" if oscillating else "unstable node"), False
    near = np.abs(growth) <= tol
    zero = np.abs(eigenvalues - 1.0) <= tol if discrete else np.abs(eigenvalues) <= tol
    if np.any(near) and not np.any(zero) and not np.any(growth > tol):
        return "centre", False
    return "degenerate", False


@dataclass(frozen=True, eq=False)
class Equilibrium:
    """A balance (ODE: ``f(x*) = 0``; map: fixed point ``f(x*) = x*``) and its linearisation.

    Attributes
    ----------
    state : numpy.ndarray
        Spending of each actor at the balance, shape ``(n,)`` (state units).
    eigenvalues : numpy.ndarray
        Eigenvalues of the Jacobian at the balance (1/time unit); for maps the multipliers
        (dimensionless).
    eigenvectors : numpy.ndarray
        Matching right eigenvectors as columns, shape ``(n, n)``.
    kind : str
        One of ``"stable node"``, ``"stable focus"``, ``"unstable node"``,
        ``"unstable focus"``, ``"saddle"``, ``"centre"``, ``"degenerate"``.
    stable : bool
        True when every eigenvalue has negative real part (maps: modulus below one).
    states : tuple of str
        State names, in the order of ``state``.
    """

    state: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    kind: str
    stable: bool
    states: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("state", "eigenvalues", "eigenvectors"):
            array = np.array(getattr(self, name), copy=True)
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    @property
    def growth_rate(self) -> float:
        """Largest real part of the eigenvalues (1/time unit; maps: largest modulus)."""
        if self.eigenvalues.size == 0:
            return math.nan
        return float(np.max(self.eigenvalues.real))

    def as_dict(self) -> dict[str, float]:
        """State name -> spending at the balance."""
        names = self.states or tuple(f"x{i}" for i in range(len(self.state)))
        return dict(zip(names, self.state.tolist(), strict=True))

    def summary(self) -> str:
        where = ", ".join(f"{k} = {v:.4g}" for k, v in self.as_dict().items())
        eigs = ", ".join(_format_complex(z) for z in self.eigenvalues)
        return f"{self.kind} at ({where}); eigenvalues {eigs}"

    def __repr__(self) -> str:
        return f"<Equilibrium {self.summary()}>"

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


def _format_complex(z: complex, digits: int = 4) -> str:
    z = complex(z)
    if abs(z.imag) <= 1e-12 * max(1.0, abs(z.real)):
        return f"{z.real:.{digits}g}"
    sign = "+" if z.imag >= 0 else "-"
    return f"{z.real:.{digits}g} {sign} {abs(z.imag):.{digits}g}i"


def _make_equilibrium(model: Model, state: np.ndarray, jacobian: np.ndarray) -> Equilibrium:
    eigenvalues, eigenvectors = np.linalg.eig(jacobian)
    order = np.lexsort((-eigenvalues.imag, -eigenvalues.real))
    eigenvalues, eigenvectors = eigenvalues[order], eigenvectors[:, order]
    if np.all(np.abs(eigenvalues.imag) == 0):
        eigenvalues, eigenvectors = eigenvalues.real, eigenvectors.real
    kind, stable = _kind(
        np.asarray(eigenvalues, dtype=complex),
        model.kind == "map",
        float(np.max(np.abs(jacobian))) if jacobian.size else 1.0,
    )
    return Equilibrium(
        state=np.asarray(state, dtype=float),
        eigenvalues=eigenvalues,
        eigenvectors=eigenvectors,
        kind=kind,
        stable=stable,
        states=model.states,
    )


def _linear_parts(compiled: Any, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``A`` and ``b`` of ``f(x) = A x + b`` (p may be ``(P,)`` or ``(P, m)``)."""
    n = compiled.n_states
    zero = np.zeros(n)
    return compiled.jac(0.0, zero, p), compiled.rhs(0.0, zero, p)


def equilibria(
    model: Model,
    params: Mapping[str, float] | None = None,
    region: Any = None,
    n_starts: int = 200,
    seed: int = 0,
    tol: float = 1e-10,
) -> list[Equilibrium]:
    """Find the balances of a model and linearise around each.

    Linear models (the Richardson family) are solved exactly: ``A x* = -b`` for an ODE
    ``dx/dt = A x + b``, ``(I - A) x* = b`` for a map. Nonlinear models are solved by damped
    Newton iterations from ``n_starts`` points spread over ``region`` (all at once, through
    the compiled Jacobian); roots closer than ``1e-6`` of the region size are merged, so each
    balance is reported once.

    Parameters
    ----------
    model : Model
        An autonomous model (``kind="ode"`` or ``"map"``).
    params : mapping, optional
        Parameter values (name -> value) overriding the model defaults; reaction and
        fatigue coefficients in 1/time unit, grievances in spending units per time unit.
    region : pair or mapping, optional
        Where to look, in spending units: ``(lower, upper)`` for every state, or
        ``{state: (lower, upper)}``. Default for nonlinear models: non-negative spending up
        to ten times the largest of 1, the parameter magnitudes and the initial values.
        Linear models report their unique balance wherever it is unless a region is given.
    n_starts : int
        Number of Newton starts (nonlinear models).
    seed : int
        Seed of the random starts (results are reproducible).
    tol : float
        Residual ``max|f(x*)|`` (maps: ``max|f(x*) - x*|``) below which a root is accepted,
        relative to the scale of the region.

    Returns
    -------
    list of Equilibrium
        Sorted by total spending. Empty when there is none (e.g. ``a b = k l`` with
        non-zero grievances: no balance at all).

    Raises
    ------
    ModelError
        If the model depends on time, a parameter name is unknown or the region is malformed.

    Examples
    --------
    >>> import richardson as rd
    >>> (eq,) = rd.equilibria(rd.richardson2(k=0.9, l=0.8, a=1.0, b=1.1, g=0.5, h=0.3))
    >>> eq.kind, [round(v, 4) for v in eq.state.tolist()]
    ('stable node', [2.1579, 1.8421])
    """
    _check_autonomous(model, "equilibria")
    p = _param_vector(model, params)
    compiled = model.compile()
    if compiled.is_linear:
        found = _linear_equilibria(model, compiled, p)
        if region is not None:
            lower, upper = _region(model, region, p)
            found = [e for e in found if np.all(e.state >= lower) and np.all(e.state <= upper)]
        return found
    lower, upper = _region(model, region, p)
    return _nonlinear_equilibria(model, compiled, p, lower, upper, int(n_starts), seed, tol)


def _linear_equilibria(model: Model, compiled: Any, p: np.ndarray) -> list[Equilibrium]:
    A, b = _linear_parts(compiled, p)
    n = model.n_states
    system = A - np.eye(n) if model.kind == "map" else A
    try:
        if np.linalg.cond(system) > 1e12:
            raise np.linalg.LinAlgError
        state = np.linalg.solve(system, -b)
    except np.linalg.LinAlgError:
        state, *_ = np.linalg.lstsq(system, -b, rcond=None)
        if np.max(np.abs(system @ state + b)) > 1e-9 * max(1.0, np.max(np.abs(b))):
            return []  # singular and inconsistent: no balance at all
    return [_make_equilibrium(model, state, A)]


def _nonlinear_equilibria(model, compiled, p, lower, upper, n_starts, seed, tol):  # noqa: ANN001, ANN202
    n = model.n_states
    span = upper - lower
    scale = float(np.max(span))
    rng = np.random.default_rng(seed)
    starts = lower[:, None] + span[:, None] * rng.random((n, max(n_starts, 1)))
    corners = (
        np.array(
            np.meshgrid(*[[lo, hi] for lo, hi in zip(lower, upper, strict=True)], indexing="ij")
        ).reshape(n, -1)
        if n <= 6
        else np.empty((n, 0))
    )
    starts = np.concatenate([starts, corners, ((lower + upper) / 2)[:, None]], axis=1)
    discrete = model.kind == "map"
    unique = _accepted_roots(compiled, p, starts, discrete, lower, upper, tol, scale, [])
    if len(unique) >= 2:
        # thresholds (saddles) lie between balances: start again along the connecting segments
        # (between the stable ones when there are many: a ridge of near-balances would
        # otherwise give thousands of segments)
        anchors = unique
        if len(unique) > MAX_SEGMENT_ENDS:
            anchors = [u for u in unique if _is_stable(compiled.jac(0.0, u, p), discrete)]
            anchors = anchors[:MAX_SEGMENT_ENDS]
        pairs = [(u, v) for i, u in enumerate(anchors) for v in anchors[i + 1 :]]
        fractions = np.linspace(0.1, 0.9, 9)
        if pairs:
            between = np.concatenate(
                [u[:, None] + (v - u)[:, None] * fractions for u, v in pairs], axis=1
            )
            unique = _accepted_roots(
                compiled, p, between, discrete, lower, upper, tol, scale, unique
            )
    unique.sort(key=lambda r: (float(np.sum(r)), tuple(r)))
    found = []
    for root in unique:
        jacobian = compiled.jac(0.0, root, p)
        found.append(_make_equilibrium(model, root, jacobian))
    return found


def _accepted_roots(compiled, p, starts, discrete, lower, upper, tol, scale, known):  # noqa: ANN001, ANN202
    """Newton from ``starts``; keep converged roots inside the region, each once."""
    roots = _newton(compiled, p, starts, discrete, step_limit=0.1 * scale)
    residual = _residual(compiled, p, roots, discrete)
    ok = np.all(np.isfinite(roots), axis=0) & (residual <= tol * max(1.0, scale))
    slack = 1e-9 * scale
    ok &= np.all(roots >= lower[:, None] - slack, axis=0) & np.all(
        roots <= upper[:, None] + slack, axis=0
    )
    return _merge_close(list(known), roots[:, ok].T, 1e-6 * max(1.0, scale))


def _merge_close(known: list[np.ndarray], candidates: np.ndarray, radius: float) -> list:
    """``known`` plus each candidate farther than ``radius`` (max norm) from all kept ones."""
    if not len(candidates):
        return known
    tree = scipy.spatial.cKDTree(candidates)
    taken = np.zeros(len(candidates), dtype=bool)
    if known:
        for hits in tree.query_ball_point(np.array(known), radius, p=np.inf):
            taken[hits] = True
    unique = list(known)
    for i, hits in enumerate(tree.query_ball_point(candidates, radius, p=np.inf)):
        if not taken[i]:
            unique.append(candidates[i])
            taken[hits] = True
    return unique


def _is_stable(jacobian: np.ndarray, discrete: bool) -> bool:
    eigenvalues = np.linalg.eigvals(jacobian)
    if discrete:
        return bool(np.all(np.abs(eigenvalues) < 1.0))
    return bool(np.all(eigenvalues.real < 0.0))


def _residual(compiled, p, y, discrete):  # noqa: ANN001, ANN202
    with np.errstate(all="ignore"):
        f = compiled.rhs(0.0, y, p)
        if discrete:
            f = f - y
        return np.max(np.abs(f), axis=0)


def _newton(compiled, p, y, discrete, step_limit, maxiter=60):  # noqa: ANN001, ANN202
    """Damped Newton on every column of ``y`` at once; non-converging columns become NaN."""
    n, m = y.shape
    y = y.copy()
    identity = np.eye(n)
    with np.errstate(all="ignore"):
        for _ in range(maxiter):
            active = np.all(np.isfinite(y), axis=0)
            if not np.any(active):
                break
            f = compiled.rhs(0.0, y[:, active], p)
            J = np.moveaxis(compiled.jac(0.0, y[:, active], p).reshape(n, n, -1), -1, 0)
            if discrete:
                f = f - y[:, active]
                J = J - identity
            bad = ~np.all(np.isfinite(J), axis=(1, 2)) | ~np.all(np.isfinite(f), axis=0)
            J[bad] = identity
            step = -np.einsum("mij,jm->im", np.linalg.pinv(J), np.nan_to_num(f))
            size = np.max(np.abs(step), axis=0)
            step *= np.minimum(1.0, step_limit / np.maximum(size, 1e-300))
            new = y[:, active] + step
            new[:, bad] = np.nan
            y[:, active] = new
            if np.all(size[~bad] < 1e-13 * max(1.0, step_limit)):
                break
    return y


# ---------------------------------------------------------------------- regimes
@dataclass(frozen=True, eq=False)
class Regime:
    """The verdict on a parameter set: which regime, why, and the numbers behind it.

    Attributes
    ----------
    name : str
        One of ``"stable_balance"``, ``"runaway"``, ``"disarmament"``, ``"bistable"``,
        ``"oscillatory"``, ``"saturation"``.
    explanation : str
        One paragraph in plain language, with the numbers.
    equilibria : tuple of Equilibrium
        The balances found (see :func:`equilibria`).
    growth_rate : float
        The number behind the verdict, 1/time unit: for linear models the largest real part
        of the eigenvalues of ``J = K - diag(a)`` (positive means runaway); for nonlinear
        models the largest real part over the balances found (NaN if there is none).
    doubling_time : float
        ``ln 2 / growth_rate`` in time units when spending runs away exponentially, else inf.
    params : mapping
        The full parameter set analysed.
    method : str
        ``"linear"`` (exact linear algebra) or ``"sampled"`` (equilibria plus simulation
        from sampled initial states).
    outcomes : mapping
        For ``"sampled"``: share of sampled starts ending in each outcome.
    time_unit : str
        The model's time unit.
    """

    name: str
    explanation: str
    equilibria: tuple[Equilibrium, ...]
    growth_rate: float
    doubling_time: float = math.inf
    params: Mapping[str, float] = field(default_factory=dict)
    method: str = "linear"
    outcomes: Mapping[str, float] = field(default_factory=dict)
    time_unit: str = "year"

    def __post_init__(self) -> None:
        if self.name not in REGIMES:
            raise ModelError(f"regime name must be one of {REGIMES}, not {self.name!r}")
        object.__setattr__(self, "equilibria", tuple(self.equilibria))
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        object.__setattr__(self, "outcomes", MappingProxyType(dict(self.outcomes)))

    @property
    def is_runaway(self) -> bool:
        """True for the runaway regime."""
        return self.name == "runaway"

    def summary(self) -> str:
        """Plain text for an appendix: verdict, explanation, balances and parameters."""
        lines = [f"Regime: {self.name.replace('_', ' ')}", "", _wrap(self.explanation), ""]
        if self.equilibria:
            lines.append("Balances:")
            lines += [f"  {eq.summary()}" for eq in self.equilibria]
        else:
            lines.append("Balances: none")
        if math.isfinite(self.growth_rate):
            lines.append(f"Largest growth rate: {self.growth_rate:+.4g} per {self.time_unit}")
        if self.outcomes:
            lines.append(
                "Outcomes of sampled starts: "
                + ", ".join(f"{k} {100 * v:.0f}%" for k, v in self.outcomes.items())
            )
        lines.append(
            "Parameters: "
            + ", ".join(f"{k} = {v:.4g}" for k, v in list(self.params.items())[:30])
            + (" ..." if len(self.params) > 30 else "")
        )
        lines.append(f"Method: {self.method}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Regime {self.name!r}: {self.explanation[:90]}...>"

    def _repr_html_(self) -> str:
        colour = _REGIME_COLOURS[self.name]
        rows = "".join(f"<li>{html.escape(eq.summary())}</li>" for eq in self.equilibria)
        return (
            f"<div><b style='color:{colour}'>{html.escape(self.name.replace('_', ' '))}</b>"
            f"<p>{html.escape(self.explanation)}</p>"
            f"<details><summary>balances and parameters</summary><ul>{rows or '<li>none</li>'}</ul>"
            f"<pre>{html.escape(self.summary())}</pre></details></div>"
        )


_REGIME_COLOURS = {
    "stable_balance": "#2e7d32",
    "runaway": "#c62828",
    "disarmament": "#1565c0",
    "bistable": "#6a1b9a",
    "oscillatory": "#ef6c00",
    "saturation": "#8d6e63",
}


def _wrap(text: str, width: int = 92) -> str:
    import textwrap

    return textwrap.fill(text, width=width)


def classify(
    model: Model,
    params: Mapping[str, float] | None = None,
    region: Any = None,
    n_samples: int = 48,
    horizon: float | None = None,
    seed: int = 0,
) -> Regime:
    """Give the regime of a parameter set, with a plain-language explanation.

    Linear models are decided exactly: the largest real part ``s`` of the eigenvalues of
    ``J = K - diag(a)`` decides between runaway (``s > 0``: spending grows without bound,
    doubling about every ``ln 2 / s``) and a stable balance; a stable system whose actors
    all have non-positive grievances (so that spending at zero is not pushed up) disarms.

    Nonlinear models combine the balances and their eigenvalues with simulations from
    ``n_samples`` initial states spread over ``region``: two or more distinct outcomes mean
    a trigger point (``bistable``); sustained swings mean ``oscillatory``; a stable balance
    reached although low spending escalates (the Jacobian at the lower corner of the
    region has an eigenvalue with positive real part) means ``saturation``.

    Parameters
    ----------
    model : Model
        An autonomous ODE or map.
    params : mapping, optional
        Parameter values overriding the defaults (reaction and fatigue in 1/time unit).
    region : pair or mapping, optional
        Spending box (state units) for balances and sampled starts; see :func:`equilibria`.
    n_samples : int
        Initial states simulated for nonlinear models.
    horizon : float, optional
        Simulated time (time units); by default 40 times the slowest time scale of the
        balances, between 50 and 2000.
    seed : int
        Seed of the sampled starts.

    Returns
    -------
    Regime

    Raises
    ------
    ModelError
        For a time-dependent model or unknown parameter names.

    Examples
    --------
    >>> import richardson as rd
    >>> rd.classify(rd.richardson2(k=1.2, l=1.1, a=1.0, b=1.1)).name
    'runaway'
    """
    _check_autonomous(model, "classify")
    p = _param_vector(model, params)
    compiled = model.compile()
    if compiled.is_linear:
        return _classify_linear(model, compiled, p)
    from ._sampled import classify_sampled

    lower, upper = _region(model, region, p)
    found = _nonlinear_equilibria(model, compiled, p, lower, upper, 200, seed, 1e-10)
    return classify_sampled(model, compiled, p, found, lower, upper, int(n_samples), horizon, seed)


def linear_verdicts(
    A: np.ndarray, b: np.ndarray, discrete: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Regime codes and growth rates of many linear systems ``f(x) = A x + b`` at once.

    Parameters
    ----------
    A : numpy.ndarray
        Jacobians in the layout of ``CompiledModel.jac``: shape ``(n, n, m)``.
    b : numpy.ndarray
        Constant terms (grievances), shape ``(n, m)``.
    discrete : bool
        True for maps: the growth measure is the spectral radius minus one.

    Returns
    -------
    codes : numpy.ndarray of int8
        Index into :data:`REGIMES` for each system.
    growth : numpy.ndarray
        Largest real part of the eigenvalues (ODE) or spectral radius minus one (map),
        shape ``(m,)``.

    Notes
    -----
    Two-state ODEs use the closed form. Larger ODEs whose Jacobians are all Metzler
    (off-diagonal entries >= 0, as for every Richardson model with non-negative reactions)
    get the Perron root, which is the largest real part and a real eigenvalue
    (:func:`richardson._spectral.metzler_perron`): from the characteristic polynomial when the
    batch differs in a few entries only (a map over two reaction coefficients), by batched
    Noda iteration otherwise, with ``numpy.linalg.eigvals`` for matrices where neither
    settles. Other ODE batches that differ in a few entries get the rightmost root of the
    characteristic polynomial certified by Routh's test (:mod:`richardson._abscissa`); all
    the rest use ``numpy.linalg.eigvals``.

    Examples
    --------
    >>> import numpy as np
    >>> J = np.array([[-1.0, 0.5, 0.2], [0.4, -1.0, 0.3], [0.1, 0.6, -1.0]])
    >>> codes, growth = linear_verdicts(J[..., None], np.ones((3, 1)))
    >>> REGIMES[codes[0]], bool(np.isclose(growth[0], max(np.linalg.eigvals(J).real)))
    ('stable_balance', True)
    """
    n, _, m = A.shape
    leading_imag = np.zeros(m)
    if n == 2 and not discrete:  # closed form: lambda = tr/2 +- sqrt(tr^2/4 - det)
        a00, a01, a10, a11 = A[0, 0], A[0, 1], A[1, 0], A[1, 1]
        half_trace = 0.5 * (a00 + a11)
        disc = half_trace * half_trace - (a00 * a11 - a01 * a10)
        root = np.sqrt(np.abs(disc))
        real_roots = disc >= 0
        growth = half_trace + np.where(real_roots, root, 0.0)
        leading_imag = np.where(real_roots, 0.0, root)
        scale = np.maximum(
            np.maximum(np.abs(a00), np.abs(a01)), np.maximum(np.abs(a10), np.abs(a11))
        )
    elif n > 2 and not discrete and is_metzler(A):
        # Perron root (real, the spectral abscissa); see richardson._spectral
        scale = np.maximum(A.max(axis=(0, 1)), -A.min(axis=(0, 1)))
        growth = metzler_perron(A, scale)
    else:
        scale = np.max(np.abs(A), axis=(0, 1))
        # a batch differing in a few entries: certified rightmost roots (richardson._abscissa)
        found = few_entry_abscissa(A, scale) if n > 2 and not discrete else None
        growth = np.empty(m)
        if found is not None:
            growth, leading_imag, certified = found
        rest = np.arange(m) if found is None else np.flatnonzero(~certified)
        if rest.size:
            eigenvalues = np.linalg.eigvals(np.moveaxis(A[:, :, rest], -1, 0))
            if discrete:
                growth[rest] = np.max(np.abs(eigenvalues), axis=-1) - 1.0
            else:
                leading = np.argmax(eigenvalues.real, axis=-1)
                picked = np.take_along_axis(eigenvalues, leading[:, None], axis=-1)[:, 0]
                growth[rest], leading_imag[rest] = picked.real, np.abs(picked.imag)
    return verdict_codes(growth, leading_imag, np.all(b <= 0.0, axis=0), scale, discrete), growth


def verdict_codes(
    growth: np.ndarray,
    leading_imag: np.ndarray,
    no_grievance: np.ndarray,
    scale: np.ndarray,
    discrete: bool = False,
) -> np.ndarray:
    """Regime codes (indices into :data:`REGIMES`) of linear systems from their growth rates.

    Parameters
    ----------
    growth : numpy.ndarray
        Largest real part of the eigenvalues (ODE, 1/time unit) or spectral radius minus
        one (map), shape ``(m,)``.
    leading_imag : numpy.ndarray or float
        ``|imaginary part|`` of the leading eigenvalue (0 when it is real).
    no_grievance : numpy.ndarray of bool
        True where every constant term (grievance) is <= 0.
    scale : numpy.ndarray
        Magnitude of each Jacobian (``max |J_ij|``); a growth rate within ``1e-12`` of it
        counts as zero.
    discrete : bool
        True for maps.
    """
    tol = 1e-12 * np.maximum(scale, 1.0)
    codes = np.zeros(growth.shape, dtype=np.int8)  # stable_balance
    if not discrete:
        codes[no_grievance] = REGIMES.index("disarmament")
    codes[growth > -tol] = REGIMES.index("runaway")
    if not discrete:
        # exactly on the boundary with a purely imaginary leading pair: neutral cycles
        codes[(np.abs(growth) <= tol) & (leading_imag > tol)] = REGIMES.index("oscillatory")
    return codes


def _floored_balance(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Balance of ``dx/dt = A x + b`` with spending kept non-negative (x_i = 0 where pushed down).

    Solves the complementarity problem ``x >= 0, A x + b <= 0, x_i (A x + b)_i = 0`` by
    active-set iteration (exact for the stable Richardson case, where ``-A`` is an M-matrix).
    """
    n = len(b)
    support = np.ones(n, dtype=bool)
    x = np.zeros(n)
    for _ in range(2 * n + 2):
        x = np.zeros(n)
        if np.any(support):
            sub = A[np.ix_(support, support)]
            x[support] = np.linalg.lstsq(sub, -b[support], rcond=None)[0]
        negative = support & (x < 0)
        if np.any(negative):
            support &= ~negative
            continue
        rate = A @ x + b
        pushed = ~support & (rate > 1e-12 * max(1.0, float(np.max(np.abs(b)))))
        if not np.any(pushed):
            break
        support |= pushed
    return np.maximum(x, 0.0)


def _classify_linear(model: Model, compiled: Any, p: np.ndarray) -> Regime:
    from ._explain import explain_linear

    A, b = _linear_parts(compiled, p)
    discrete = model.kind == "map"
    codes, growth = linear_verdicts(A[..., None], b[:, None], discrete)
    name = REGIMES[int(codes[0])]
    found = _linear_equilibria(model, compiled, p)
    rate = float(growth[0])
    doubling = math.log(2.0) / rate if name == "runaway" and rate > 0 and not discrete else math.inf
    if discrete and name == "runaway":
        radius = rate + 1.0
        doubling = math.log(2.0) / math.log(radius) if radius > 1 else math.inf
    floored = _floored_balance(A, b) if not discrete else None
    explanation = explain_linear(model, A, b, name, rate, doubling, found, floored)
    return Regime(
        name=name,
        explanation=explanation,
        equilibria=tuple(found),
        growth_rate=rate,
        doubling_time=doubling,
        params=dict(zip(model.param_names, p.tolist(), strict=True)),
        method="linear",
        time_unit=model.time_unit,
    )
