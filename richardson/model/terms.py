"""Term builders of the alliance model family, one per concept of the background texts.

Each builder adds parameters and right-hand-side terms for one mechanism to a
:class:`TermBuilder`; :func:`richardson.alliance_model` decides which ones to call. Notation
(see ``docs/model_family.md``): ``x_i`` is actor i's military spending, ``R(i)`` its rivals
(actors it has a reaction coefficient ``k_ij`` towards), ``A(i)`` its allies (same bloc, or a
prospective member weighted by its membership parameter ``u_ij``), and

.. math::

    P_i = (1 + d_i) \\sum_{j \\in R(i)} \\omega_{ij} k_{ij} x_j

the threat actor i perceives (``d_i`` distrust, ``omega_ij = (E_j/E_i)^gamma`` the power
asymmetry weight).

Each builder's docstring names the publication its concept comes from and the sign of its
effect on spending (``docs/model_family.md`` has the table): Richardson (1960) for reaction,
fatigue, grievance and submissiveness; Jervis (1978) for the security dilemma behind reaction
and distrust; Olson and Zeckhauser (1966) for free riding; Snyder (1984) for abandonment and
entrapment; Christensen and Snyder (1990) for chain-ganging and buck-passing.

The builders build sympy terms (monomials ``coef * (product of parameters) * x_j`` wherever
possible) only when ``model.rhs`` is read; :func:`richardson.alliance_model` first runs them
with a declaring builder (:mod:`._term_layout`) that fixes the parameters, and the compiler
reads the terms as index arrays (:mod:`richardson.codegen.vectorised`), so the mutual-defence
trigger, the capacity ceiling (a smooth ``max(0, 1 - x_i/M_i)`` factor on the escalation) and
symbolic power asymmetry compile as vectorised numpy over the actors like the linear terms
(see ``docs/model_family.md``).

References
----------
Richardson, L. F. (1960). *Arms and Insecurity*. Pittsburgh: Boxwood Press.
Olson, M. and Zeckhauser, R. (1966). An Economic Theory of Alliances. *Review of Economics and
Statistics* 48(3), 266-279.
Jervis, R. (1978). Cooperation under the Security Dilemma. *World Politics* 30(2), 167-214.
Snyder, G. H. (1984). The Security Dilemma in Alliance Politics. *World Politics* 36(4),
461-495.
Christensen, T. J. and Snyder, J. (1990). Chain Gangs and Passed Bucks: Predicting Alliance
Patterns in Multipolarity. *International Organization* 44(2), 137-168.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy as sp
from sympy.core.basic import Basic, ordering_of_classes

from ..errors import DuplicateNameError
from .core import Parameter

__all__ = ["Structure", "TermBuilder", "TERMS", "canonical_sum"]

_RATE = "1/year"

#: Term names accepted by ``alliance_model(..., terms=...)`` metadata, in build order.
TERMS = (
    "reaction",
    "fatigue",
    "grievance",
    "ally_coupling",
    "distrust",
    "power_asymmetry",
    "mutual_defence",
    "abandonment",
    "chain_ganging",
    "entrapment",
    "ceiling",
    "submissiveness",
    "enlargement",
)


@dataclass(frozen=True)
class Structure:
    """Who is whom: states, display names, blocs, allies and prospective members.

    Attributes
    ----------
    states, actors : tuple of str
        State identifiers and display names, in order.
    bloc_of : tuple of str
        Bloc of each actor (an unaffiliated actor is a bloc of its own).
    allies : tuple of tuple of (int, sympy.Expr)
        For each actor, its allies ``j`` with the membership weight ``u_ij`` (``1`` for
        members of the same bloc, the symbol ``join_<actor>`` for a prospective member).
    state_unit : str
        Unit of spending.
    """

    states: tuple[str, ...]
    actors: tuple[str, ...]
    bloc_of: tuple[str, ...]
    allies: tuple[tuple[tuple[int, sp.Expr], ...], ...]
    state_unit: str = ""

    @property
    def n(self) -> int:
        return len(self.states)

    @property
    def spending(self) -> str:
        return self.state_unit or "spending"


_CLASS_RANK = {name: i for i, name in enumerate(ordering_of_classes)}
_UNKNOWN = len(ordering_of_classes) + 1
_SYMBOL_KEYS: dict[sp.Symbol, tuple] = {}


def _sort_key(expr: Basic) -> tuple:
    """A tuple key that orders expressions exactly as ``Basic.compare`` does (class rank or
    name, then length of the hashable content, then the content item by item), so a sum can
    be sorted with cheap tuple comparisons instead of millions of ``compare`` calls."""
    if expr.is_Symbol:
        key = _SYMBOL_KEYS.get(expr)
        if key is None:
            key = _SYMBOL_KEYS[expr] = _content_key(expr)
        return key
    return _content_key(expr)


def _content_key(expr: Basic) -> tuple:
    name = type(expr).__name__
    rank = _CLASS_RANK.get(name, _UNKNOWN)
    content = expr._hashable_content()
    items = tuple(_sort_key(c) if isinstance(c, Basic) else c for c in content)
    return (rank, name if rank == _UNKNOWN else ""), len(content), items


def canonical_sum(terms: list[sp.Expr]) -> sp.Expr:
    """Sum of terms in sympy's canonical form, fast for many distinct monomials.

    Falls back to ``sympy.Add`` when terms could combine (equal up to a numeric coefficient),
    are numbers or sums themselves.
    """
    terms = [t for t in terms if t != 0]
    if not terms:
        return sp.S.Zero
    if len(terms) == 1:
        return terms[0]
    distinct = len({t.as_coeff_Mul()[1] for t in terms}) == len(terms)
    if not distinct or any(t.is_Number or t.is_Add for t in terms):
        return sp.Add(*terms)
    try:
        ordered = sorted(terms, key=_sort_key)
    except TypeError:  # content of unexpected shape: let sympy order it
        return sp.Add(*terms)
    return sp.Add._from_args(ordered)


_NUMBERS: dict[float, sp.Number] = {}


def _number(value: float) -> sp.Number:
    """sympy number for ``value`` (Integer when whole), cached: building Floats is slow."""
    value = float(value)
    number = _NUMBERS.get(value)
    if number is None:
        number = sp.Integer(int(value)) if value.is_integer() else sp.Float(value)
        if len(_NUMBERS) < 100_000:
            _NUMBERS[value] = number
    return number


def _monomial(coef: float, factors: Sequence[sp.Expr]) -> sp.Expr:
    """``coef * prod(factors)`` in sympy's canonical form, built without ``Mul.flatten``
    when every factor is a plain symbol (the fast path that keeps N = 200 builds quick)."""
    counts: dict[sp.Expr, int] = {}
    for factor in factors:
        if not isinstance(factor, sp.Symbol):
            return sp.Mul(sp.Float(coef) if coef != int(coef) else sp.Integer(int(coef)), *factors)
        counts[factor] = counts.get(factor, 0) + 1
    if all(e == 1 for e in counts.values()):
        # plain symbols without assumptions compare by name in sympy's canonical order
        args = sorted(counts, key=lambda symbol: symbol.name)
    else:
        args = sorted(
            (base if e == 1 else sp.Pow(base, e) for base, e in counts.items()), key=_sort_key
        )
    number = _number(coef)
    if number == 0:
        return sp.S.Zero
    if number == 1:
        return sp.Mul._from_args(args) if len(args) > 1 else args[0]
    return sp.Mul._from_args([number, *args])


@dataclass
class TermBuilder:
    """Collects parameters and right-hand-side terms while a model is built.

    ``threat[i]`` holds the monomials of the perceived threat ``P_i`` as
    ``(coef, factors, state_index)``; ``rows[i]`` the finished terms of ``dx_i/dt``;
    ``escalation[i]`` the interaction terms that the capacity ceiling damps;
    ``alliance_mediated[i]`` the terms by which i reacts to the threats facing its allies
    (chain-ganging, defence commitments), which fear of entrapment restrains.
    """

    structure: Structure
    params: dict[str, Parameter] = field(default_factory=dict)
    rows: list[list[sp.Expr]] = field(default_factory=list)
    escalation: list[list[sp.Expr]] = field(default_factory=list)
    threat: list[list[tuple[float, tuple[sp.Expr, ...], int]]] = field(default_factory=list)
    threat_general: list[list[sp.Expr]] = field(default_factory=list)
    alliance_mediated: list[list[sp.Expr]] = field(default_factory=list)
    used: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = self.structure.n
        self.rows = [[] for _ in range(n)]
        self.escalation = [[] for _ in range(n)]
        self.threat = [[] for _ in range(n)]
        self.threat_general = [[] for _ in range(n)]
        self.alliance_mediated = [[] for _ in range(n)]
        self.x = [sp.Symbol(s) for s in self.structure.states]

    def parameter(
        self,
        name: str,
        value: float,
        bounds=(-np.inf, np.inf),
        unit: str = "",  # noqa: ANN001
        description: str = "",
    ) -> sp.Symbol:
        if name in self.params or name in self.structure.states:
            raise DuplicateNameError(
                f"two alliance-model quantities are both named {name!r} (actor names that differ "
                "only in underscores can collide); rename one of the actors"
            )
        self.params[name] = Parameter(name, float(value), bounds, unit, description)
        return self.symbol(name)

    symbol = staticmethod(sp.Symbol)  # a declaring pass (model/_term_layout.py) skips these

    # ------------------------------------------------------------------ helpers
    monomial = staticmethod(_monomial)
    product = staticmethod(sp.Mul)

    def add(
        self, i: int, term: sp.Expr, escalating: bool = True, alliance_mediated: bool = False
    ) -> None:
        for part in sp.Add.make_args(term):
            if part == 0:
                continue
            self.rows[i].append(part)
            if escalating:
                self.escalation[i].append(part)
            if alliance_mediated:
                self.alliance_mediated[i].append(part)

    def perceived_threat_terms(self, i: int, extra: Sequence[sp.Expr] = (), coef: float = 1.0):
        """Terms of ``coef * prod(extra) * P_i`` (monomials where possible)."""
        terms = [
            _monomial(coef * c, [*extra, *factors, self.x[j]]) for c, factors, j in self.threat[i]
        ]
        terms += [sp.Mul(coef, *extra, t) for t in self.threat_general[i]]
        return terms

    def perceived_threat(self, i: int) -> sp.Expr:
        return sp.Add(*self.perceived_threat_terms(i))


def _ensure(builder: TermBuilder, term: str) -> None:
    if term not in builder.used:
        builder.used.append(term)


# ---------------------------------------------------------------------- the terms
def reaction(
    builder: TermBuilder, pairs: dict[tuple[int, int], float]
) -> dict[tuple[int, int], sp.Symbol]:
    """Adversary reaction ``+ k_ij x_j`` with ``k_ij >= 0`` (1/year): i arms in response to
    rival j.

    Richardson's (1960) defence coefficient; the spiral it drives is the security dilemma
    (Jervis 1978): one state's arming lowers its rival's security, which arms in turn. Sign:
    ``d(dx_i/dt)/dx_j = k_ij >= 0``, so more rival spending never lowers own growth.
    Declares the parameters; the terms enter through the perceived threat ``P_i``.
    """
    s = builder.structure
    symbols = {}
    for (i, j), value in pairs.items():
        symbols[i, j] = builder.parameter(
            f"k_{s.states[i]}_{s.states[j]}",
            value,
            (0.0, np.inf),
            _RATE,
            f"reaction of {s.actors[i]} to the spending of its rival {s.actors[j]}",
        )
    _ensure(builder, "reaction")
    return symbols


def threat(
    builder: TermBuilder,
    k: dict[tuple[int, int], sp.Symbol],
    distrust: np.ndarray | None,
    weights: np.ndarray | None,
    symbolic_asymmetry: tuple[list[sp.Symbol], sp.Symbol] | None,
) -> None:
    """Assemble ``P_i = (1 + d_i) sum_j omega_ij k_ij x_j`` and add it to ``dx_i/dt``.

    Distrust / misperception ``d_i >= -1`` (dimensionless) scales the perceived threat: the
    security dilemma's uncertainty about intentions (Jervis 1978) read as overestimating
    (``d_i > 0``) or discounting (``-1 <= d_i < 0``) the rivals' threat. Sign:
    ``dP_i/dd_i = sum_j omega_ij k_ij x_j >= 0``, more distrust, more perceived threat.
    """
    s = builder.structure
    d_syms = None
    if distrust is not None:
        d_syms = [
            builder.parameter(
                f"d_{s.states[i]}",
                distrust[i],
                (-1.0, np.inf),
                "1",
                f"distrust / misperception of {s.actors[i]}: perceived threat is (1 + d) times the "
                "rivals' reaction-weighted spending",
            )
            for i in range(s.n)
        ]
        _ensure(builder, "distrust")
    for (i, j), k_ij in k.items():
        multipliers = [()] if d_syms is None else [(), (d_syms[i],)]
        for extra in multipliers:
            if symbolic_asymmetry is not None:
                capacity, gamma = symbolic_asymmetry
                omega = capacity[j] ** gamma * capacity[i] ** (-gamma)
                builder.threat_general[i].append(sp.Mul(omega, *extra, k_ij, builder.x[j]))
            else:
                w = 1.0 if weights is None else float(weights[i, j])
                builder.threat[i].append((w, (*extra, k_ij), j))
    for i in range(s.n):
        for term in builder.perceived_threat_terms(i):
            builder.add(i, term)


def fatigue(builder: TermBuilder, values: np.ndarray) -> None:
    """Fatigue (cost of arms) ``- a_i x_i`` (``a_i >= 0`` in 1/year).

    Richardson's (1960) "fatigue and expense" coefficient. Sign: own spending lowers own
    growth, ``d(dx_i/dt)/dx_i = -a_i <= 0``.
    """
    s = builder.structure
    for i in range(s.n):
        a = builder.parameter(
            f"a_{s.states[i]}",
            values[i],
            (0.0, np.inf),
            _RATE,
            f"fatigue (economic cost of arms) of {s.actors[i]}",
        )
        builder.add(i, builder.monomial(-1.0, [a, builder.x[i]]), escalating=False)
    _ensure(builder, "fatigue")


def grievance(builder: TermBuilder, values: np.ndarray) -> None:
    """Grievance ``+ g_i`` (spending/year; negative = goodwill). Crises are pulses in ``g``.

    Richardson's (1960) constant term of "grievances and ambitions"; ``g_i > 0`` raises i's
    spending whatever the others do, ``g_i < 0`` (goodwill) lowers it.
    """
    s = builder.structure
    for i in range(s.n):
        g = builder.parameter(
            f"g_{s.states[i]}",
            values[i],
            unit=f"{s.spending}/year",
            description=f"grievance of {s.actors[i]} (standing hostility; crises are pulses in it)",
        )
        builder.add(i, g, escalating=False)
    _ensure(builder, "grievance")


def ally_coupling(builder: TermBuilder, pairs: dict[tuple[int, int], float]) -> None:
    """Ally coupling ``sum_{j in A(i)} u_ij c_ij x_j`` (``c_ij`` in 1/year, either sign).

    ``c_ij < 0``: burden sharing / free riding. Deterrence is a public good of the alliance,
    so an ally's spending substitutes for one's own (Olson and Zeckhauser 1966: own spending
    falls as allies spend more); passing the burden of balancing to allies that arm is
    buck-passing (Christensen and Snyder 1990). ``c_ij > 0``: distrust among allies, the
    security dilemma inside an alliance (an ally's arms read as a potential threat, Jervis
    1978; Greece-Turkey in NATO). Sign: ``d(dx_i/dt)/dx_j = u_ij c_ij``.
    """
    s = builder.structure
    weight = {(i, j): u for i in range(s.n) for j, u in s.allies[i]}
    for (i, j), value in pairs.items():
        c = builder.parameter(
            f"c_{s.states[i]}_{s.states[j]}",
            value,
            unit=_RATE,
            description=f"ally coupling of {s.actors[i]} to {s.actors[j]} (<0 burden sharing, "
            ">0 distrust among allies)",
        )
        builder.add(i, builder.monomial(1.0, [c, *_weight(weight[i, j]), builder.x[j]]))
    _ensure(builder, "ally_coupling")


def _weight(u: sp.Expr) -> tuple[sp.Expr, ...]:
    return () if u == 1 else (u,)


def mutual_defence(
    builder: TermBuilder, strength: np.ndarray, threshold: np.ndarray, width: np.ndarray
) -> None:
    """Mutual-defence clause as a trigger point.

    ``+ s_i sum_{j in A(i)} u_ij sigma((P_j - theta_j) / w_j)`` with
    ``sigma(z) = (1 + tanh(z/2)) / 2`` the logistic function: once the threat ``P_j`` perceived by
    ally ``j`` passes its threshold ``theta_j`` (within a width ``w_j``), actor ``i`` commits up
    to ``s_i`` spending/year to ``j``'s defence. A sharp switch makes the system bistable.
    Sign: ``s_i >= 0`` and the switch rises with ``P_j``, so a growing threat to an ally never
    lowers i's spending. The terms are alliance-mediated: fear of entrapment scales them by
    ``(1 - e_i)`` (:func:`entrapment`).
    """
    s = builder.structure
    unit = f"{s.spending}/year"
    protected = sorted({j for i in range(s.n) for j, _ in s.allies[i]})
    s_syms = {
        i: builder.parameter(
            f"s_{s.states[i]}",
            strength[i],
            (0.0, np.inf),
            unit,
            f"spending/year {s.actors[i]} commits when an ally's defence clause triggers",
        )
        for i in range(s.n)
        if s.allies[i]
    }
    theta = {
        j: builder.parameter(
            f"theta_{s.states[j]}",
            threshold[j],
            unit=unit,
            description=f"threat to {s.actors[j]} (perceived, spending/year) at "
            "which its allies' defence clause triggers",
        )
        for j in protected
    }
    width_syms = {
        j: builder.parameter(
            f"w_{s.states[j]}",
            width[j],
            (1e-12, np.inf),
            unit,
            f"width of the trigger around theta_{s.states[j]} (smaller = sharper switch)",
        )
        for j in protected
    }
    switches = {}
    for i in range(s.n):
        for j, u in s.allies[i]:
            if j not in switches:
                # sigma(z) = (1 + tanh(z/2))/2; the tanh is built once per protected ally and
                # its argument is left unexpanded so common-subexpression elimination shares it
                z = sp.Mul(
                    sp.Rational(1, 2),
                    sp.Pow(width_syms[j], -1),
                    builder.perceived_threat(j) - theta[j],
                )
                switches[j] = sp.tanh(z)
            half = sp.Rational(1, 2)
            builder.add(i, builder.product(half, s_syms[i], *_weight(u)), alliance_mediated=True)
            builder.add(
                i,
                builder.product(half, s_syms[i], *_weight(u), switches[j]),
                alliance_mediated=True,
            )
    _ensure(builder, "mutual_defence")


def abandonment(builder: TermBuilder, fear: np.ndarray, commitment: np.ndarray) -> None:
    """Fear of abandonment ``+ f_i (1 - kappa_i) P_i``.

    Abandonment is the ally's defection, failing to give the support expected (Snyder 1984,
    p. 466). ``kappa_i`` in [0, 1] is the commitment actor i perceives from its allies; as it
    falls (an intervention), i covers a share ``f_i >= 0`` (dimensionless) of its perceived
    threat itself. This models the self-help (arming) response to the fear; Snyder's other
    response, a firmer commitment to the ally, is a larger ``chain_ganging`` share. Sign:
    ``d(dx_i/dt)/dkappa_i = -f_i P_i <= 0``, less trust in the allies, more own spending.
    """
    s = builder.structure
    for i in range(s.n):
        if not s.allies[i]:
            continue
        f = builder.parameter(
            f"f_{s.states[i]}", fear[i], (0.0, np.inf), "1", f"fear of abandonment of {s.actors[i]}"
        )
        kappa = builder.parameter(
            f"kappa_{s.states[i]}",
            commitment[i],
            (0.0, 1.0),
            "1",
            f"commitment {s.actors[i]} perceives from its allies (1 = full)",
        )
        for term in builder.perceived_threat_terms(i, (f,)):
            builder.add(i, term)
        for term in builder.perceived_threat_terms(i, (f, kappa), coef=-1.0):
            builder.add(i, term)
    _ensure(builder, "abandonment")


def chain_ganging(builder: TermBuilder, values: np.ndarray) -> None:
    """Chain-ganging ``+ h_i sum_{j in A(i)} u_ij P_j``: reacting to the threats facing allies.

    Christensen and Snyder (1990): a state that sees its allies' survival as its own ties
    itself to them and arms against their rivals as against its own. ``h_i >= 0``
    (dimensionless, parameter ``chain_<i>``) is the share of each ally's perceived threat
    ``P_j`` that i reacts to. Sign: raises i's spending as its allies' rivals arm,
    ``d(dx_i/dt)/dx_l = h_i sum_j u_ij (1 + d_j) omega_jl k_jl >= 0``. Fear of entrapment
    scales it by ``(1 - e_i)`` (:func:`entrapment`).

    This term was called ``entrapment`` (keyword and ``e_<i>``) before issue 16: being drawn
    into an ally's quarrel is the outcome Snyder (1984) calls entrapment, but the *fear* of it
    works the other way, which :func:`entrapment` now models.
    """
    s = builder.structure
    for i in range(s.n):
        if not s.allies[i]:
            continue
        h = builder.parameter(
            f"chain_{s.states[i]}",
            values[i],
            (0.0, np.inf),
            "1",
            f"chain-ganging of {s.actors[i]}: share of its allies' perceived threat it reacts to",
        )
        for j, u in s.allies[i]:
            for term in builder.perceived_threat_terms(j, (h, *_weight(u))):
                builder.add(i, term, alliance_mediated=True)
    _ensure(builder, "chain_ganging")


def entrapment(builder: TermBuilder, values: np.ndarray) -> None:
    """Fear of entrapment: ``- e_i`` times i's alliance-mediated terms, ``0 <= e_i <= 1``.

    Entrapment is being dragged into a conflict over an ally's interests that one does not
    share, or shares only partly (Snyder 1984, p. 467); fearing it, a state holds back from its
    allies' quarrels (weaker commitment, restraint of the ally). Here i withholds a share
    ``e_i`` (dimensionless, parameter ``e_<i>``) of every reaction it has to the threats
    facing its allies, the chain-ganging and the defence-clause terms:

        h_i (1 - e_i) sum_{j in A(i)} u_ij P_j + s_i (1 - e_i) sum_{j in A(i)} u_ij sigma_j.

    Sign: ``d(dx_i/dt)/de_i = -(alliance-mediated terms) <= 0``; it lowers i's reaction to
    its allies' rivals and, bounded by 1, never turns it into a cut (at ``e_i = 1`` i ignores
    its allies' quarrels). Its reaction ``k_il`` to its own rivals is its own quarrel and is
    not touched. Only actors with alliance-mediated terms get ``e_<i>``.

    Before issue 16 the keyword ``entrapment`` built what is now :func:`chain_ganging`.
    """
    s = builder.structure
    for i in range(s.n):
        mediated = list(builder.alliance_mediated[i])
        if not mediated:
            continue
        e = builder.parameter(
            f"e_{s.states[i]}",
            values[i],
            (0.0, 1.0),
            "1",
            f"fear of entrapment of {s.actors[i]}: share of its reaction to threats facing its "
            "allies that it withholds (0 = none, 1 = all)",
        )
        for term in mediated:
            builder.add(i, _restrained(term, e))
    _ensure(builder, "entrapment")


def _restrained(term: sp.Expr, e: sp.Symbol) -> sp.Expr:
    """``- e * term``, a monomial when ``term`` is one (matrix-form code)."""
    coef, factors = term.as_coeff_mul()
    if (coef.is_Integer or coef.is_Float) and all(isinstance(f, sp.Symbol) for f in factors):
        return _monomial(-float(coef), [e, *factors])
    return sp.Mul(sp.S.NegativeOne, e, term)


def submissiveness(builder: TermBuilder, pairs: dict[tuple[int, int], float]) -> None:
    """Richardson's submissiveness ``- q_ij x_i x_j`` (``q_ij >= 0``, 1/(spending year)).

    Richardson (1960): at high levels of both, i gives way to rival j rather than keep up.
    Sign: ``d(dx_i/dt)/dx_j = -q_ij x_i <= 0``, a brake growing with own spending.
    """
    s = builder.structure
    for (i, j), value in pairs.items():
        q = builder.parameter(
            f"q_{s.states[i]}_{s.states[j]}",
            value,
            (0.0, np.inf),
            f"1/({s.spending} year)",
            f"submissiveness of {s.actors[i]} towards {s.actors[j]}",
        )
        builder.add(i, builder.monomial(-1.0, [q, builder.x[i], builder.x[j]]), escalating=False)
    _ensure(builder, "submissiveness")


#: Width ``w`` of the ceiling's smooth saturation, as a fraction of the ceiling: the factor
#: ``w log(1 + exp((1 - x/M) / w))`` is ``1 - x/M`` to within ``w exp(-(1 - x/M)/w)`` (3e-9 at
#: 0.7 M, 1e-4 at 0.9 M), ``w ln 2 = 0.014`` at ``M`` and below ``1e-4`` beyond ``1.1 M``.
CEILING_WIDTH = 0.02


def ceiling_factor(x: sp.Expr, m: sp.Expr, width: float = CEILING_WIDTH) -> sp.Expr:
    """The ceiling's factor ``w log(1 + exp((1 - x/M)/w))``: a smooth positive part of
    ``1 - x/M`` (a softplus of width ``w`` times ``M``), positive for every ``x``."""
    w = sp.Float(width)
    return w * sp.log(1 + sp.exp((1 - x * sp.Pow(m, -1)) / w))


def ceiling(builder: TermBuilder, values: np.ndarray) -> None:
    """Economic capacity ceiling: the escalation is multiplied by a smooth ``max(0, 1 - x_i/M_i)``.

    The escalation ``E_i`` collected so far (reaction, distrust, ally coupling, trigger,
    abandonment, chain-ganging and entrapment's restraint) becomes ``E_i * phi(1 - x_i/M_i)``
    with ``phi(u) = w log(1 + exp(u / w))``, ``w = CEILING_WIDTH``: Richardson's (1960) limit
    of what an economy can bear, written as a logistic factor that saturates. Well below
    ``M_i`` the factor is ``1 - x_i/M_i`` (to ``3e-9`` at ``0.7 M_i``); around ``M_i`` it
    bends smoothly to 0 within a few per cent of ``M_i``, so above ``M_i`` the interaction
    terms fade out (the bare ``1 - x_i/M_i`` would turn negative and make a rival's arming
    *cut* i's spending). Sign: ``phi > 0``, so the reaction part ``k_ij x_j phi >= 0`` for every
    ``x``. The bend is smooth rather than a kink (``max(0, .)``) so that fits and their
    sensitivities stay differentiable where a trajectory meets its ceiling. ``M_i`` enters only
    as ``M_i**-1``.
    """
    s = builder.structure
    for i in range(s.n):
        m = builder.parameter(
            f"M_{s.states[i]}",
            values[i],
            (1e-12, np.inf),
            s.spending,
            f"economic capacity ceiling of {s.actors[i]} (spending at which escalation stops)",
        )
        escalation = builder.escalation[i]
        if not escalation:
            continue
        damped = Counter(escalation)
        kept = []
        for term in builder.rows[i]:
            if damped[term]:
                damped[term] -= 1
            else:
                kept.append(term)
        factor = ceiling_factor(builder.x[i], m)
        builder.rows[i] = [*kept, sp.Mul(canonical_sum(list(escalation)), factor)]
    _ensure(builder, "ceiling")
