"""The alliance model family: N actors in blocs, every seed concept an optional term.

.. math::

    \\dot x_i = \\underbrace{\\Big[P_i + \\sum_{j \\in A(i)} u_{ij} c_{ij} x_j
        + f_i (1 - \\kappa_i) P_i + (1 - e_i) \\sum_{j \\in A(i)} u_{ij} \\Big(h_i P_j
        + s_i\\,\\sigma\\!\\Big(\\frac{P_j - \\theta_j}{w_j}\\Big)\\Big)\\Big]}_{\\text{escalation}}
        \\max\\Big(0, 1 - \\frac{x_i}{M_i}\\Big) - a_i x_i + g_i - \\sum_j q_{ij} x_i x_j

with the perceived threat
:math:`P_i = (1 + d_i) \\sum_{j \\in R(i)} (E_j/E_i)^{\\gamma} k_{ij} x_j`.
Every bracketed term is optional; without them this is Richardson's N-nation model. The term
builders live in :mod:`richardson.model.terms` (each cites its source and states its sign);
one documentation page per term is in ``docs/terms/``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

from ..errors import DimensionMismatchError, ModelError, UnknownSymbolError, did_you_mean
from . import _term_layout
from . import terms as _terms
from ._deferred import DeferredRhs
from .core import Model
from .families import state_name

__all__ = ["alliance_model"]

PerActor = float | Sequence[float] | np.ndarray | Mapping[str, float]
PerPair = float | Sequence[Sequence[float]] | np.ndarray | Mapping[tuple[str, str], float]


def alliance_model(
    actors: Sequence[str],
    blocs: Mapping[str, Sequence[str]],
    *,
    reaction: PerPair = 0.5,
    fatigue: PerActor = 1.0,
    grievance: PerActor = 0.0,
    rivalries: Sequence[tuple[str, str]] | None = None,
    ally_coupling: PerPair | None = None,
    distrust: PerActor | None = None,
    capacity: PerActor | None = None,
    asymmetry: float = 0.0,
    symbolic_asymmetry: bool = False,
    defence_commitment: PerActor | None = None,
    trigger_threshold: PerActor = 1.0,
    trigger_width: PerActor = 0.1,
    abandonment: PerActor | None = None,
    commitment: PerActor = 1.0,
    chain_ganging: PerActor | None = None,
    entrapment: PerActor | None = None,
    ceiling: PerActor | None = None,
    submissiveness: PerPair | None = None,
    enlargement: Mapping[str, str] | None = None,
    initial: PerActor | None = None,
    state_unit: str = "",
    name: str = "",
    description: str = "",
    metadata: Mapping[str, Any] | None = None,
) -> Model:
    """Build an N-actor alliance model; each mechanism is an optional term.

    Notation: ``x_i`` spending of actor i; ``R(i)`` its rivals (actors it has a reaction
    coefficient towards); ``A(i)`` its allies (same bloc, plus prospective members weighted by
    their membership parameter ``u_ij = join_<actor>``);
    ``P_i = (1 + d_i) sum_{j in R(i)} (E_j/E_i)**gamma k_ij x_j`` the threat i perceives.

    Parameters
    ----------
    actors : sequence of str
        Display names (``"Austria-Hungary"``); state names are derived from them
        (``"Austria_Hungary"``).
    blocs : mapping of str to sequence of str
        Alliance membership: bloc name -> members (display or state names). An actor in no
        bloc forms a bloc of its own. An actor may belong to one bloc only (use
        ``enlargement`` for a prospective member).
    reaction : float, (N, N) array or mapping {(actor, rival): value}
        Adversary reaction ``k_ij >= 0``, 1/year: growth of i's spending per unit of rival j's
        spending. A scalar or matrix sets every pair of actors in rival blocs (see
        ``rivalries``), leaving out a prospective member (``enlargement``) and the bloc it may
        join, which are allies weighted by ``join_<actor>``; a mapping creates exactly the
        listed pairs (and so defines who is whose rival). Term: ``+ P_i``.
    fatigue : float, sequence or mapping
        Fatigue (economic cost of arms) ``a_i >= 0``, 1/year. Term: ``- a_i x_i``.
    grievance : float, sequence or mapping
        Grievance ``g_i``, spending/year (negative = goodwill); crises are pulses in it.
        Term: ``+ g_i``.
    rivalries : sequence of (bloc, bloc), optional
        Which blocs are rivals when ``reaction`` is a scalar or matrix; every pair of distinct
        blocs by default.
    ally_coupling : float, (N, N) array or mapping, optional
        ``c_ij``, 1/year, between allies: negative = burden sharing / free riding, positive =
        distrust among allies (intra-alliance rivalry). A scalar applies to every ally pair,
        a mapping to the listed pairs. Term: ``+ sum_{j in A(i)} u_ij c_ij x_j``.
    distrust : float, sequence or mapping, optional
        Distrust / misperception ``d_i >= -1`` (dimensionless): perceived threat is
        ``(1 + d_i)`` times the actual. Enters ``P_i``.
    capacity : sequence or mapping, optional
        Economic capacity ``E_i > 0`` (GDP, or COW's CINC share) for power asymmetry.
    asymmetry : float
        ``gamma`` (dimensionless): reactions are scaled by ``(E_j/E_i)**gamma``; 0 = no
        asymmetry. By default the weights are computed here as numbers, so the reaction stays
        linear and compiles in matrix form.
    symbolic_asymmetry : bool
        Keep ``E_i`` and ``gamma`` as parameters (to sweep or fit them); the reaction terms are
        then nonlinear and compiled as scalar code (fine for a dozen actors, slow at hundreds).
    defence_commitment : float, sequence or mapping, optional
        Mutual-defence clause: ``s_i >= 0`` spending/year that i commits once an ally's threat
        passes its threshold. Term: ``+ s_i sum_{j in A(i)} u_ij sigma((P_j - theta_j)/w_j)``
        with the logistic ``sigma(z) = (1 + tanh(z/2))/2``.
    trigger_threshold, trigger_width : float, sequence or mapping
        ``theta_j`` and ``w_j > 0`` (spending/year, the unit of ``P_j``): where ally j's clause
        triggers and how sharp the switch is.
    abandonment : float, sequence or mapping, optional
        Fear of abandonment (Snyder 1984) ``f_i >= 0`` (dimensionless). Term:
        ``+ f_i (1 - kappa_i) P_i``: raises i's spending as the commitment it perceives falls.
    commitment : float, sequence or mapping
        ``kappa_i`` in [0, 1]: commitment i perceives from its allies (used with
        ``abandonment``); lower it with an intervention to model an ally wavering.
    chain_ganging : float, sequence or mapping, optional
        Chain-ganging (Christensen and Snyder 1990) ``h_i >= 0`` (dimensionless, parameter
        ``chain_<i>``): share of the threats facing its allies that i reacts to, as if they
        were its own. Term: ``+ h_i sum_{j in A(i)} u_ij P_j``; raises i's spending as its
        allies' rivals arm. (Called ``entrapment`` before issue 16.)
    entrapment : float, sequence or mapping, optional
        Fear of entrapment (Snyder 1984) ``0 <= e_i <= 1`` (dimensionless, parameter
        ``e_<i>``): share of its alliance-mediated reaction (the ``chain_ganging`` and
        ``defence_commitment`` terms) that i withholds, holding back from its allies'
        quarrels. Term: ``- e_i`` times those terms; lowers i's reaction to its allies'
        rivals, never below zero. Needs ``chain_ganging`` or ``defence_commitment``.
        **Changed in issue 16:** this keyword used to build the chain-ganging term (``+ e_i
        sum_j P_j``); pass ``chain_ganging=`` for that.
    ceiling : float, sequence or mapping, optional
        Economic capacity ``M_i > 0`` (spending units): the escalation is multiplied by
        a smooth ``max(0, 1 - x_i/M_i)`` (``terms.ceiling_factor``), so escalation saturates
        below ``M_i`` instead of diverging, and above ``M_i`` no rival's arming can lower i's
        spending (Richardson 1960).
    submissiveness : float, (N, N) array or mapping, optional
        Richardson's ``q_ij >= 0``, 1/(spending year), between rivals. Term:
        ``- q_ij x_i x_j``.
    enlargement : mapping of str to str, optional
        Prospective members: actor -> bloc it may join. Creates ``join_<actor>`` in [0, 1]
        (default 0) weighting every ally term between the actor and the bloc's members;
        enlargement at a date is ``rd.step("join_<actor>", at=year, to=1)``.
    initial : float, sequence or mapping, optional
        Default initial spending (state units).
    state_unit : str
        Unit of spending, e.g. ``"billion constant 2015 USD"``.
    name, description : str
        Title and one sentence on what the model represents.
    metadata : mapping, optional
        Provenance (sources, the regime the author claims, notes); the terms used are
        added under ``"terms"``.

    Returns
    -------
    Model
        Parameters are named ``k_<i>_<j>``, ``a_<i>``, ``g_<i>``, ``c_<i>_<j>``, ``d_<i>``,
        ``E_<i>``/``gamma``, ``s_<i>``/``theta_<i>``/``w_<i>``, ``f_<i>``/``kappa_<i>``,
        ``chain_<i>``, ``e_<i>``, ``M_<i>``, ``q_<i>_<j>``, ``join_<i>`` with ``<i>`` the state
        names.

    Raises
    ------
    ModelError
        For an actor in two blocs, an unknown actor or bloc, couplings between the wrong kind
        of pair (reaction between allies, ally coupling between rivals), ``entrapment``
        without an alliance-mediated term to restrain, or bad shapes.

    References
    ----------
    Richardson (1960), *Arms and Insecurity*; Olson and Zeckhauser (1966), Review of Economics
    and Statistics 48(3); Jervis (1978), World Politics 30(2); Snyder (1984), World Politics
    36(4); Christensen and Snyder (1990), International Organization 44(2). Full entries in
    :mod:`richardson.model.terms`.

    Examples
    --------
    >>> import richardson as rd
    >>> m = rd.alliance_model(["A1", "A2", "R"], {"West": ["A1", "A2"], "East": ["R"]},
    ...                       reaction=0.4, fatigue=1.0, grievance=0.1, ally_coupling=-0.2)
    >>> m.rhs[0]
    -A1*a_A1 + A2*c_A1_A2 + R*k_A1_R + g_A1
    """
    actors = [str(a) for a in actors]
    if not actors:
        raise ModelError("alliance_model needs at least one actor")
    states = [state_name(a) for a in actors]
    if len(set(states)) != len(states):
        raise ModelError(f"actor names {actors} do not give distinct identifiers; rename them")
    lookup = _Lookup(actors, states)
    bloc_of = _bloc_assignment(blocs, lookup)
    prospective = {}
    for actor, bloc in dict(enlargement or {}).items():
        i = lookup.index(actor, "enlargement")
        if bloc not in set(bloc_of):
            raise UnknownSymbolError(
                f"enlargement names bloc {bloc!r}, which is not a bloc"
                f"{did_you_mean(bloc, set(bloc_of))}"
            )
        if bloc_of[i] == bloc:
            raise ModelError(
                f"{actors[i]!r} is already a member of {bloc!r}; remove it from "
                "enlargement or from the bloc"
            )
        prospective[i] = (bloc, sp.Symbol(f"join_{states[i]}"))
    allies = _allies(bloc_of, prospective)
    structure = _terms.Structure(tuple(states), tuple(actors), tuple(bloc_of), allies, state_unit)
    n = len(actors)
    ally_pairs = {(i, j) for i in range(n) for j, _ in allies[i]}

    # reaction and perceived threat
    rival_blocs = _rival_blocs(rivalries, bloc_of)
    default_rivals = [  # a prospective member is an ally (weighted by join_), not a rival
        (i, j)
        for i in range(n)
        for j in range(n)
        if i != j
        and frozenset((bloc_of[i], bloc_of[j])) in rival_blocs
        and (i, j) not in ally_pairs
    ]
    k_pairs = _per_pair(reaction, lookup, default_rivals, "reaction")
    for pair in k_pairs:
        if pair in ally_pairs or pair[0] == pair[1]:
            raise ModelError(
                f"reaction given between {actors[pair[0]]!r} and {actors[pair[1]]!r}, "
                "which are allies (or the same actor); use ally_coupling for allies"
            )
    plan: dict[str, Any] = {"k_pairs": k_pairs, "prospective": prospective}
    if capacity is not None:
        E = _per_actor(capacity, lookup, "capacity", missing=None)
        if np.any(E <= 0):
            raise ModelError("capacity values must be positive (GDP, CINC share)")
        plan["capacity"] = (E, float(asymmetry), bool(symbolic_asymmetry))
    elif symbolic_asymmetry or asymmetry:
        raise ModelError("power asymmetry needs capacity=... (E_i per actor, e.g. CINC shares)")
    if distrust is not None:
        plan["distrust"] = _per_actor(distrust, lookup, "distrust", 0.0)
    if ally_coupling is not None:
        c_pairs = _per_pair(ally_coupling, lookup, sorted(ally_pairs), "ally_coupling")
        for pair in c_pairs:
            if pair not in ally_pairs:
                raise ModelError(
                    f"ally_coupling given between {actors[pair[0]]!r} and "
                    f"{actors[pair[1]]!r}, which are not allies; use reaction for "
                    "rivals"
                )
        plan["ally_coupling"] = c_pairs
    if defence_commitment is not None:
        plan["mutual_defence"] = (
            _per_actor(defence_commitment, lookup, "defence_commitment", 0.0),
            _per_actor(trigger_threshold, lookup, "trigger_threshold", None),
            _per_actor(trigger_width, lookup, "trigger_width", None),
        )
    if abandonment is not None:
        plan["abandonment"] = (
            _per_actor(abandonment, lookup, "abandonment", 0.0),
            _per_actor(commitment, lookup, "commitment", 1.0),
        )
    if chain_ganging is not None:
        plan["chain_ganging"] = _per_actor(chain_ganging, lookup, "chain_ganging", 0.0)
    if entrapment is not None:
        if chain_ganging is None and defence_commitment is None:
            raise ModelError(
                "entrapment (Snyder's fear of entrapment) withholds part of the reaction to "
                "threats facing allies, which chain_ganging=... or defence_commitment=... "
                "creates; give one of them. Before issue 16 entrapment=... built the "
                "chain-ganging term itself: for that meaning pass chain_ganging=..."
            )
        plan["entrapment"] = _per_actor(entrapment, lookup, "entrapment", 0.0)
    if ceiling is not None:
        plan["ceiling"] = _per_actor(ceiling, lookup, "ceiling", None)
    plan["fatigue"] = _per_actor(fatigue, lookup, "fatigue", None)
    plan["grievance"] = _per_actor(grievance, lookup, "grievance", 0.0)
    if submissiveness is not None:
        plan["submissiveness"] = _per_pair(submissiveness, lookup, default_rivals, "submissiveness")
    # the parameters come from the term builders themselves, run without building the
    # sympy terms; the terms as index arrays go to the compiler, the expressions are built
    # on first use of model.rhs (by the same builders)
    declared = _term_layout.DeclaringBuilder(structure)
    _run_terms(declared, plan)
    params = _ordered(declared.params)
    layout = _term_layout.layout(structure, plan, tuple(params))
    rhs = DeferredRhs(n, _symbolic_rhs, (structure, plan), layout.digest(), layout)
    info = dict(metadata or {})
    info.setdefault("family", "alliance")
    info["terms"] = [t for t in _terms.TERMS if t in declared.used]
    return Model(
        states=states,
        params=params,
        rhs=rhs,
        actors=actors,
        blocs={
            bloc: tuple(states[i] for i in range(n) if bloc_of[i] == bloc)
            for bloc in dict.fromkeys(bloc_of)
        },
        name=name or f"alliance model ({n} actors)",
        description=description
        or "Richardson arms race with alliance terms: " + ", ".join(info["terms"]),
        state_unit=state_unit,
        initial={}
        if initial is None
        else dict(zip(states, _per_actor(initial, lookup, "initial", None).tolist(), strict=True)),
        metadata=info,
    )


# ---------------------------------------------------------------------- input helpers
class _Lookup:
    def __init__(self, actors: list[str], states: list[str]) -> None:
        self.actors, self.states = actors, states
        self.map = {**{s: i for i, s in enumerate(states)}, **{a: i for i, a in enumerate(actors)}}

    def index(self, name: Any, what: str) -> int:
        try:
            return self.map[str(name)]
        except KeyError:
            raise UnknownSymbolError(
                f"{what} names {name!r}, which is not an actor{did_you_mean(str(name), self.map)}"
            ) from None


def _bloc_assignment(blocs: Mapping[str, Sequence[str]], lookup: _Lookup) -> list[str]:
    if not isinstance(blocs, Mapping):
        raise ModelError(
            "blocs must be a mapping bloc name -> members, e.g. {'Entente': ['France', 'Russia']}"
        )
    bloc_of: list[str | None] = [None] * len(lookup.actors)
    for bloc, members in blocs.items():
        for member in [members] if isinstance(members, str) else members:
            i = lookup.index(member, f"bloc {bloc!r}")
            if bloc_of[i] is not None and bloc_of[i] != bloc:
                raise ModelError(
                    f"{lookup.actors[i]!r} is in two blocs ({bloc_of[i]!r} and "
                    f"{bloc!r}); an actor belongs to one bloc (use enlargement for a "
                    "prospective member)"
                )
            bloc_of[i] = str(bloc)
    return [b if b is not None else lookup.actors[i] for i, b in enumerate(bloc_of)]


def _allies(bloc_of: list[str], prospective: dict[int, tuple[str, sp.Symbol]]):
    n = len(bloc_of)
    allies: list[list[tuple[int, sp.Expr]]] = [
        [(j, sp.S.One) for j in range(n) if j != i and bloc_of[j] == bloc_of[i]] for i in range(n)
    ]
    for i, (bloc, join) in prospective.items():
        for j in range(n):
            if bloc_of[j] == bloc and j not in prospective:
                allies[i].append((j, join))
                allies[j].append((i, join))
    return tuple(tuple(sorted(a, key=lambda item: item[0])) for a in allies)


def _rival_blocs(rivalries, bloc_of: list[str]) -> set[frozenset]:  # noqa: ANN001
    names = list(dict.fromkeys(bloc_of))
    if rivalries is None:
        return {frozenset(pair) for pair in itertools.combinations(names, 2)}
    pairs = set()
    for pair in rivalries:
        if len(pair) != 2:
            raise ModelError(f"rivalries must be pairs of bloc names, got {pair!r}")
        for bloc in pair:
            if bloc not in names:
                raise UnknownSymbolError(
                    f"rivalries name {bloc!r}, which is not a bloc{did_you_mean(str(bloc), names)}"
                )
        pairs.add(frozenset(pair))
    return pairs


def _per_actor(value: Any, lookup: _Lookup, what: str, missing: float | None) -> np.ndarray:
    n = len(lookup.actors)
    if isinstance(value, Mapping):
        out = np.full(n, np.nan if missing is None else float(missing))
        for name, v in value.items():
            out[lookup.index(name, what)] = float(v)
        if np.any(np.isnan(out)):
            absent = [lookup.actors[i] for i in np.nonzero(np.isnan(out))[0]]
            raise ModelError(f"{what} has no value for {absent}; give one per actor")
        return out
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return np.full(n, float(array))
    if array.shape != (n,):
        raise DimensionMismatchError(
            f"{what} needs one value per actor ({n}), got shape {array.shape}"
        )
    return array.copy()


def _per_pair(
    value: Any, lookup: _Lookup, default_pairs, what: str
) -> dict[tuple[int, int], float]:  # noqa: ANN001
    n = len(lookup.actors)
    if isinstance(value, Mapping):
        out = {}
        for key, v in value.items():
            if not isinstance(key, tuple) or len(key) != 2:
                raise ModelError(f"{what} keys must be (actor, other) pairs, got {key!r}")
            out[lookup.index(key[0], what), lookup.index(key[1], what)] = float(v)
        return dict(sorted(out.items()))
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return {pair: float(array) for pair in default_pairs}
    if array.shape != (n, n):
        raise DimensionMismatchError(f"{what} matrix must be {n}x{n}, got shape {array.shape}")
    chosen = set(default_pairs)
    stray = [
        (i, j)
        for i in range(n)
        for j in range(n)
        if array[i, j] != 0 and (i, j) not in chosen and i != j
    ]
    if stray:
        i, j = stray[0]
        raise ModelError(
            f"{what}[{lookup.actors[i]!r}, {lookup.actors[j]!r}] = {array[i, j]} "
            "but that pair is not eligible for this term; set it to 0 or use the "
            "other coupling"
        )
    return {pair: float(array[pair]) for pair in sorted(chosen)}


def _ordered(params: dict) -> dict:
    """Parameters grouped in the order they were declared (row-major per kind)."""
    return dict(params)


def _run_terms(builder: _terms.TermBuilder, plan: dict[str, Any]) -> None:
    """Call the term builders in the order that fixes the parameter vector."""
    k_syms = _terms.reaction(builder, plan["k_pairs"])
    weights = symbolic = None
    if "capacity" in plan:
        E, asymmetry, symbolic_asymmetry = plan["capacity"]
        s = builder.structure
        if symbolic_asymmetry:
            E_syms = [
                builder.parameter(
                    f"E_{state}",
                    E[i],
                    (1e-300, np.inf),
                    "capacity units",
                    f"economic capacity of {s.actors[i]}",
                )
                for i, state in enumerate(s.states)
            ]
            gamma = builder.parameter(
                "gamma",
                asymmetry,
                unit="1",
                description="power-asymmetry exponent: reactions scale with (E_j/E_i)**gamma",
            )
            symbolic = (E_syms, gamma)
        else:
            weights = (E[None, :] / E[:, None]) ** asymmetry
        builder.used.append("power_asymmetry")
    _terms.threat(builder, k_syms, plan.get("distrust"), weights, symbolic)
    if "ally_coupling" in plan:
        _terms.ally_coupling(builder, plan["ally_coupling"])
    if "mutual_defence" in plan:
        _terms.mutual_defence(builder, *plan["mutual_defence"])
    if "abandonment" in plan:
        _terms.abandonment(builder, *plan["abandonment"])
    if "chain_ganging" in plan:
        _terms.chain_ganging(builder, plan["chain_ganging"])
    if "entrapment" in plan:
        _terms.entrapment(builder, plan["entrapment"])
    if "ceiling" in plan:
        _terms.ceiling(builder, plan["ceiling"])
    _terms.fatigue(builder, plan["fatigue"])
    _terms.grievance(builder, plan["grievance"])
    if "submissiveness" in plan:
        _terms.submissiveness(builder, plan["submissiveness"])
    actors = builder.structure.actors
    for i, (bloc, join) in plan["prospective"].items():
        builder.parameter(
            join.name,
            0.0,
            (0.0, 1.0),
            "1",
            f"membership of {actors[i]} in {bloc} (0 = outside, 1 = member); "
            "enlargement is a step of this parameter",
        )
    if plan["prospective"]:
        builder.used.append("enlargement")


def _symbolic_rhs(structure: _terms.Structure, plan: dict[str, Any]) -> list[sp.Expr]:
    """The right-hand sides as sympy expressions (what ``model.rhs`` reads, built once)."""
    builder = _terms.TermBuilder(structure)
    _run_terms(builder, plan)
    return [_terms.canonical_sum(terms) for terms in builder.rows]
