"""Model constructors: Richardson's classic two-nation and N-nation arms-race models.

References
----------
Richardson, L. F. (1960). *Arms and Insecurity: A Mathematical Study of the Causes and
Origins of War*. Pittsburgh: Boxwood Press.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import sympy as sp
from sympy.core.add import _addsort
from sympy.core.mul import _mulsort

from ..errors import DimensionMismatchError, ModelError
from .core import Model, Parameter

__all__ = ["richardson2", "richardson_n", "state_name"]

_RATE = "1/year"


def _canonical_product(coefficient: sp.Expr, *symbols: sp.Symbol) -> sp.Expr:
    """``coefficient * symbols`` in sympy's canonical argument order, without the general
    ``Mul.flatten`` (which dominates build time at N = 200). Symbols must be distinct;
    tests check the result is identical to ``sympy.Mul(coefficient, *symbols)``."""
    factors = list(symbols)
    _mulsort(factors)
    if coefficient == 1:
        return sp.Mul._from_args(factors) if len(factors) > 1 else factors[0]
    return sp.Mul._from_args([coefficient, *factors])


def _canonical_sum(terms: list[sp.Expr]) -> sp.Expr:
    """Sum of distinct non-numeric terms in canonical order (see ``_canonical_product``)."""
    ordered = list(terms)
    _addsort(ordered)
    return sp.Add._from_args(ordered)


def state_name(actor: str) -> str:
    """A valid state identifier for an actor's display name (``"Austria-Hungary"`` ->
    ``"Austria_Hungary"``)."""
    name = re.sub(r"\W", "_", str(actor).strip())
    if not name or name[0].isdigit():
        name = "x_" + name
    return name


def richardson2(
    k: float = 0.9,
    l: float = 0.8,
    a: float = 1.0,
    b: float = 1.1,
    g: float = 0.5,
    h: float = 0.3,
    actors: Sequence[str] = ("x", "y"),
    state_unit: str = "",
) -> Model:
    """Richardson's classic two-nation arms race.

    .. math::

        \\dot x = k y - a x + g, \\qquad \\dot y = l x - b y + h

    Stable iff ``a b > k l``; then the balance is ``x* = (b g + k h)/(a b - k l)``,
    ``y* = (l g + a h)/(a b - k l)``.

    Parameters
    ----------
    k, l : float
        Reaction (defence) coefficients, 1/year: how strongly x reacts to y's spending and
        y to x's.
    a, b : float
        Fatigue (cost) coefficients, 1/year: the brake that a nation's own spending puts on
        further growth.
    g, h : float
        Grievances, spending units per year: standing ambitions or hostility independent of
        the rival (negative values mean goodwill).
    actors : pair of str
        Display names of the two nations (``("Entente", "Central Powers")``).
    state_unit : str
        Unit of spending (e.g. ``"thousand GBP"``).

    Returns
    -------
    Model

    References
    ----------
    Richardson (1960), *Arms and Insecurity*, ch. 2.

    Examples
    --------
    >>> import richardson as rd
    >>> rd.richardson2(k=0.9, l=0.8, a=1.0, b=1.1, g=0.5, h=0.3).param_names
    ('k', 'l', 'a', 'b', 'g', 'h')
    """
    if len(actors) != 2:
        raise DimensionMismatchError(
            f"richardson2 models two actors, got {len(actors)}: {list(actors)}"
        )
    x, y = sp.symbols("x y")
    K, L, A, B, G, H = sp.symbols("k l a b g h")
    names = list(actors)
    params = {
        "k": Parameter(
            "k", k, (0.0, np.inf), _RATE, f"reaction of {names[0]} to {names[1]}'s spending"
        ),
        "l": Parameter(
            "l", l, (0.0, np.inf), _RATE, f"reaction of {names[1]} to {names[0]}'s spending"
        ),
        "a": Parameter("a", a, (0.0, np.inf), _RATE, f"fatigue (cost of arms) of {names[0]}"),
        "b": Parameter("b", b, (0.0, np.inf), _RATE, f"fatigue (cost of arms) of {names[1]}"),
        "g": Parameter(
            "g", g, unit=f"{state_unit or 'spending'}/year", description=f"grievance of {names[0]}"
        ),
        "h": Parameter(
            "h", h, unit=f"{state_unit or 'spending'}/year", description=f"grievance of {names[1]}"
        ),
    }
    return Model(
        states=["x", "y"],
        params=params,
        rhs=[K * y - A * x + G, L * x - B * y + H],
        actors=names,
        name="Richardson two-nation arms race",
        description="dx/dt = k y - a x + g, dy/dt = l x - b y + h (Richardson 1960)",
        state_unit=state_unit,
    )


def richardson_n(
    K: Sequence[Sequence[float]] | np.ndarray,
    a: Sequence[float] | np.ndarray,
    g: Sequence[float] | np.ndarray,
    actors: Sequence[str] | None = None,
    state_unit: str = "",
) -> Model:
    """Richardson's N-nation arms race, ``dx/dt = K x - diag(a) x + g``.

    Every entry of ``K`` becomes a parameter ``k_<i>_<j>`` (reaction of actor i to actor
    j, 1/year), laid out row-major so that compiled code multiplies the whole block as a
    matrix; the diagonal ``k_<i>_<i>`` (self-reaction, normally 0) is kept for that layout.

    Parameters
    ----------
    K : array_like, shape (N, N)
        Reaction coefficients, 1/year.
    a : array_like, shape (N,)
        Fatigue (cost) coefficients, 1/year.
    g : array_like, shape (N,)
        Grievances, spending units per year.
    actors : sequence of str, optional
        Display names; ``"n0" .. "n<N-1>"`` by default.
    state_unit : str
        Unit of spending.

    Returns
    -------
    Model

    Raises
    ------
    DimensionMismatchError
        If the shapes of ``K``, ``a``, ``g`` and ``actors`` do not agree.

    Examples
    --------
    >>> import numpy as np, richardson as rd
    >>> m = rd.richardson_n(np.array([[0, 0.9], [0.8, 0]]), [1.0, 1.1], [0.5, 0.3],
    ...                     actors=["France", "Germany"])
    >>> m.states
    ('France', 'Germany')
    """
    K = np.asarray(K, dtype=float)
    a = np.asarray(a, dtype=float).ravel()
    g = np.asarray(g, dtype=float).ravel()
    if K.ndim != 2 or K.shape[0] != K.shape[1]:
        raise DimensionMismatchError(f"K must be a square matrix, got shape {K.shape}")
    n = K.shape[0]
    if a.shape != (n,) or g.shape != (n,):
        raise DimensionMismatchError(
            f"K is {n}x{n}, so a and g need {n} entries each; got {a.size} and {g.size}"
        )
    actors = [f"n{i}" for i in range(n)] if actors is None else [str(x) for x in actors]
    if len(actors) != n:
        raise DimensionMismatchError(f"{len(actors)} actor names for a {n}x{n} K")
    states = [state_name(x) for x in actors]
    if len(set(states)) != n:
        raise ModelError(f"actor names {actors} do not give distinct identifiers; rename them")
    xs = [sp.Symbol(s) for s in states]
    k_names = [[f"k_{si}_{sj}" for sj in states] for si in states]
    k_syms = [[sp.Symbol(name) for name in row] for row in k_names]
    a_syms = [sp.Symbol(f"a_{s}") for s in states]
    g_syms = [sp.Symbol(f"g_{s}") for s in states]
    params: dict[str, Parameter] = {}
    for i in range(n):
        for j in range(n):
            what = (
                "self-reaction (normally 0)"
                if i == j
                else f"reaction of {actors[i]} to {actors[j]}"
            )
            params[k_names[i][j]] = Parameter(k_names[i][j], K[i, j], unit=_RATE, description=what)
    for i, s in enumerate(states):
        params[f"a_{s}"] = Parameter(
            f"a_{s}", a[i], unit=_RATE, description=f"fatigue (cost of arms) of {actors[i]}"
        )
    for i, s in enumerate(states):
        params[f"g_{s}"] = Parameter(
            f"g_{s}",
            g[i],
            unit=f"{state_unit or 'spending'}/year",
            description=f"grievance of {actors[i]}",
        )
    rhs = [
        _canonical_sum(
            [_canonical_product(sp.S.One, k_syms[i][j], xs[j]) for j in range(n)]
            + [_canonical_product(sp.S.NegativeOne, a_syms[i], xs[i]), g_syms[i]]
        )
        for i in range(n)
    ]
    return Model(
        states=states,
        params=params,
        rhs=rhs,
        actors=actors,
        name=f"Richardson {n}-nation arms race",
        description="dx/dt = K x - diag(a) x + g (Richardson 1960)",
        state_unit=state_unit,
    )


#: What ``richardson2_delayed`` delays: the name -> which terms read the past.
DELAYED_TERMS = ("reaction", "budget", "both")


def richardson2_delayed(
    k: float = 0.9,
    l: float = 0.8,
    a: float = 1.0,
    b: float = 1.1,
    g: float = 0.5,
    h: float = 0.3,
    tau: float = 1.0,
    delayed: str = "reaction",
    actors: Sequence[str] = ("x", "y"),
    state_unit: str = "",
) -> Model:
    """Richardson's two-nation model with a delay ``tau`` in the reactions or the budgets.

    ``delayed="reaction"``: each nation reacts to the rival's spending of ``tau`` years ago
    (last year's intelligence),

    .. math::

        \\dot x = k y(t - \\tau) - a x + g, \\qquad \\dot y = l x(t - \\tau) - b y + h;

    with non-negative reactions this is a positive (Metzler) system, whose stability does not
    depend on ``tau``. ``delayed="budget"``: each nation corrects its own spending with a lag
    (the fatigue term reads ``x(t - tau)``), delayed negative feedback, which turns the stable
    balance into growing swings beyond a critical delay (:func:`richardson.critical_delay`).
    ``delayed="both"``: both. The balance is the one of :func:`richardson2` in every case.

    Parameters
    ----------
    k, l, a, b, g, h : float
        As in :func:`richardson2` (reactions and fatigue in 1/year, grievances in spending
        units per year).
    tau : float
        The delay, in years (positive).
    delayed : {"reaction", "budget", "both"}
        Which terms read the past.
    actors : pair of str
        Display names of the two nations.
    state_unit : str
        Unit of spending.

    Returns
    -------
    Model

    Raises
    ------
    ModelError
        For an unknown ``delayed`` or a delay that is not positive.

    Examples
    --------
    >>> import richardson as rd
    >>> m = rd.richardson2_delayed(tau=1.5, delayed="budget")
    >>> [str(d) for d in m.delays]
    ['delayed(x, tau)', 'delayed(y, tau)']
    """
    from .delays import delayed as lagged

    if delayed not in DELAYED_TERMS:
        raise ModelError(f"delayed must be one of {DELAYED_TERMS}, not {delayed!r}")
    base = richardson2(k, l, a, b, g, h, actors=actors, state_unit=state_unit)
    x, y, K, L, A, B, G, H, T = sp.symbols("x y k l a b g h tau")
    react = delayed in ("reaction", "both")
    correct = delayed in ("budget", "both")
    rhs = [
        K * (lagged(y, T) if react else y) - A * (lagged(x, T) if correct else x) + G,
        L * (lagged(x, T) if react else x) - B * (lagged(y, T) if correct else y) + H,
    ]
    what = {
        "reaction": "reactions",
        "budget": "budget corrections",
        "both": "reactions and budgets",
    }
    params = dict(base.params)
    params["tau"] = Parameter("tau", tau, (0.0, np.inf), "year", f"delay of the {what[delayed]}")
    return replace(
        base,
        params=params,
        rhs=rhs,
        name=f"Richardson two-nation model, delayed {what[delayed]}",
        description=f"{base.description} The {what[delayed]} act with a delay tau.",
    )
