"""Plain-language explanations of regime verdicts (the words a political scientist reads)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

if TYPE_CHECKING:
    from ..model.core import Model
    from .results import Equilibrium


def plural(unit: str) -> str:
    """``"year"`` -> ``"years"``."""
    return unit if not unit or unit.endswith("s") else unit + "s"


def names_list(names: list[str]) -> str:
    """``["A", "B", "C"]`` -> ``"A, B and C"``."""
    names = list(names)
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def state_text(model: Model, state: np.ndarray, limit: int = 6) -> str:
    """``"x = 2.16, y = 2.32"`` (the largest entries first when there are many actors)."""
    order = np.arange(len(state))
    if len(state) > limit:
        order = np.argsort(-np.abs(state))[:limit]
    text = ", ".join(f"{model.actors[i]} = {state[i]:.3g}" for i in order)
    return text + (", ..." if len(state) > limit else "")


def _symbolic_entry(model: Model, i: int, j: int | None) -> str | None:
    """Name of a Jacobian entry (or constant term, ``j=None``) when it is a single parameter."""
    expr = model.rhs[i]
    if j is None:
        entry = expr.subs({s: 0 for s in model.state_symbols})
    else:
        entry = sp.diff(expr, model.state_symbols[j])
    if entry.free_symbols & set(model.state_symbols):
        return None
    entry = -entry if (j == i) else entry
    if isinstance(entry, sp.Symbol):
        return entry.name
    return None


def _time_phrase(rate: float, unit: str) -> str:
    return f"{abs(rate):.3g} per {unit}"


def half_life_text(rate: float, unit: str) -> str:
    """How fast shocks die out, from the slowest decay rate."""
    if rate >= 0 or not math.isfinite(rate):
        return ""
    return (
        f"a shock (a crisis, a burst of grievance) dies out with a half-life of about "
        f"{math.log(2) / -rate:.2g} {plural(unit)} (slowest decay rate {_time_phrase(rate, unit)})"
    )


def _leading_actors(model: Model, A: np.ndarray) -> str:
    eigenvalues, vectors = np.linalg.eig(A)
    leading = np.abs(vectors[:, int(np.argmax(eigenvalues.real))])
    order = np.argsort(-leading)
    share = leading / max(leading.sum(), 1e-300)
    top = [model.actors[i] for i in order[: min(3, len(order))] if share[i] > 0.05]
    return names_list(top)


def explain_linear(
    model: Model,
    A: np.ndarray,
    b: np.ndarray,
    name: str,
    rate: float,
    doubling: float,
    found: list[Equilibrium],
    floored: np.ndarray | None,
) -> str:
    """The explanation of a linear (Richardson-family) verdict."""
    unit = model.time_unit or "time unit"
    if model.kind == "map":
        return _explain_linear_map(model, A, b, name, rate, doubling, found)
    n = model.n_states
    sentences: list[str] = []
    if n == 2:
        k_name = _symbolic_entry(model, 0, 1) or "reaction of " + model.actors[0]
        l_name = _symbolic_entry(model, 1, 0) or "reaction of " + model.actors[1]
        a_name = _symbolic_entry(model, 0, 0) or "fatigue of " + model.actors[0]
        b_name = _symbolic_entry(model, 1, 1) or "fatigue of " + model.actors[1]
        reaction = A[0, 1] * A[1, 0]
        restraint = A[0, 0] * A[1, 1]
        mutual = f"{k_name}*{l_name} = {reaction:.3g}"
        brake = f"{a_name}*{b_name} = {restraint:.3g}"
        if name == "marginal":
            sentences.append(
                f"Restraint exactly balances mutual reaction: {brake} = {mutual} (to rounding)."
            )
        elif name in ("runaway", "threshold"):
            if reaction > restraint:
                sentences.append(f"Mutual reaction outweighs restraint: {mutual} > {brake}.")
            else:
                sentences.append(
                    f"The system is unstable although {brake} >= {mutual}: a "
                    "self-reinforcing term (negative fatigue) drives it."
                )
        else:
            sentences.append(f"Restraint outweighs mutual reaction: {brake} > {mutual}.")
    else:
        sentences.append(
            f"The reaction-minus-fatigue matrix (K - diag(a)) has its largest eigenvalue at "
            f"{rate:+.3g} per {unit}: "
            + (
                "the combined feedback of reactions balances the restraint of costs exactly."
                if name == "marginal"
                else "the combined feedback of reactions, including indirect loops through "
                "allies and rivals, outweighs the restraint of costs."
                if name in ("runaway", "threshold")
                else "the restraint of costs outweighs the combined feedback of reactions, "
                "including "
                "indirect loops through allies and rivals."
            )
        )
    balance = found[0] if found else None
    if name == "marginal":
        sentences.append(
            "The growth rate is zero and the grievances do not push spending along the neutral "
            "direction: spending neither escalates nor returns to one balance. There is a line "
            "of balances, and each start comes to rest where it meets it; any shock moves the "
            "resting point for good."
        )
        return " ".join(sentences)
    if name == "threshold":
        from .verdicts import threshold_balance

        balance_state, _ = threshold_balance(A, b)
        negative = [i for i in range(len(b)) if b[i] < 0]
        grievances = ", ".join(
            f"{_symbolic_entry(model, i, None) or 'grievance of ' + model.actors[i]} = {b[i]:.3g}"
            for i in negative[:6]
        ) + (", ..." if len(negative) > 6 else "")
        below = "falls to zero: the system disarms" if np.all(b <= 0) else "falls back"
        sentences.append(
            f"But goodwill (negative grievances: {grievances}) creates a balance at "
            f"({state_text(model, balance_state)}) that is a threshold (a saddle): starting "
            f"below it, spending {below}; starting above it, the excess of spending over the "
            "threshold grows without bound"
            + (
                f", doubling about every {doubling:.2g} {plural(unit)} (growth rate "
                f"{rate:.3g} per {unit})."
                if math.isfinite(doubling)
                else "."
            )
            + " This is Richardson's unstable case with goodwill: a crisis that lifts spending "
            "past the threshold starts a race that does not stop by itself."
        )
        return " ".join(sentences)
    if name == "runaway":
        who = "both" if n == 2 else "every actor"
        if math.isfinite(doubling):
            sentences.append(
                f"Spending of {who} grows without bound, doubling about every "
                f"{doubling:.2g} {plural(unit)} (growth rate {rate:.3g} per {unit})."
            )
        else:
            sentences.append(
                f"The system sits on the stability boundary: spending of {who} keeps "
                "growing, linearly rather than exponentially."
            )
        if n > 2:
            sentences.append(f"The escalation is led by {_leading_actors(model, A)}.")
        if balance is not None and np.all(balance.state >= 0):
            sentences.append(
                f"The balance at ({state_text(model, balance.state)}) is unstable (a "
                f"{balance.kind}) and offers no refuge: spending leaves it from every side "
                "that can be reached."
            )
        elif balance is not None:
            sentences.append(
                f"The formal balance lies at negative spending "
                f"({state_text(model, balance.state)}), which cannot be reached: no "
                "level of spending stops the race."
            )
        else:
            sentences.append("There is no balance at all.")
        return " ".join(sentences)
    damping = half_life_text(rate, unit)
    if name == "oscillatory":
        sentences.append(
            "The system sits exactly on the boundary with purely imaginary "
            "eigenvalues: spending swings around the balance without damping."
        )
        return " ".join(sentences)
    if name == "disarmament":
        grievances = _grievance_text(model, b)
        sentences.append(
            f"No actor has a standing grievance that pushes spending up from zero ({grievances}): "
            "spending falls until it reaches zero and the system disarms"
            + (f"; {damping}." if damping else ".")
        )
        if balance is not None and np.any(balance.state < 0):
            sentences.append(
                f"(The formal balance lies at negative spending: "
                f"{state_text(model, balance.state)}.)"
            )
        return " ".join(sentences)
    assert balance is not None or floored is not None
    if balance is not None and np.all(balance.state >= 0):
        leading = balance.eigenvalues[0] if balance.eigenvalues.size else 0.0
        swings = " with damped swings" if abs(complex(leading).imag) > 1e-12 else ""
        sentences.append(
            f"Spending settles{swings} at a stable balance "
            f"({state_text(model, balance.state)}) whatever the starting point"
            + (f"; {damping}." if damping else ".")
        )
    else:
        zero = [model.actors[i] for i in range(n) if floored is not None and floored[i] <= 0]
        sentences.append(
            f"The formal balance would need negative spending by {names_list(zero)}, so "
            f"{'that actor disarms' if len(zero) == 1 else 'those actors disarm'} while the others "
            f"settle at ({state_text(model, floored)})" + (f"; {damping}." if damping else ".")
        )
    return " ".join(sentences)


def fate_text(model: Model, start: np.ndarray, fate: str | None, side: str | None) -> str:
    """The sentence on where a given start goes (``side``: of the threshold, if any)."""
    where = f"From the start given ({state_text(model, start)})"
    if fate is None:
        return f"{where}, spending had not settled by the end of the simulated horizon."
    if side is not None:
        verb = "runs away" if fate == "runaway" else f"falls back ({fate.replace('_', ' ')})"
        return f"{where}, spending lies {side} the threshold and {verb}."
    words = {
        "runaway": "spending runs away",
        "disarmament": "spending falls to zero",
        "stable_balance": "spending settles at a stable balance",
        "saturation": "spending settles at the ceiling balance",
        "oscillatory": "spending keeps cycling",
        "marginal": "spending comes to rest on the line of balances",
    }
    return f"{where}, {words.get(fate, fate.replace('_', ' '))}."


def _grievance_text(model: Model, b: np.ndarray) -> str:
    parts = []
    for i in range(min(len(b), 6)):
        label = _symbolic_entry(model, i, None) or f"grievance of {model.actors[i]}"
        parts.append(f"{label} = {b[i]:.3g}")
    return ", ".join(parts) + (", ..." if len(b) > 6 else "")


def _explain_linear_map(
    model: Model,
    A: np.ndarray,
    b: np.ndarray,
    name: str,
    rate: float,
    doubling: float,
    found: list[Any],
) -> str:
    radius = rate + 1.0
    if name == "threshold":
        from .verdicts import threshold_balance

        balance_state, _ = threshold_balance(A - np.eye(len(b)), b)
        below = "falls to zero: the system disarms" if np.all(b <= 0) else "falls back"
        return (
            f"One multiplier, {radius:.3g} > 1, is real, and goodwill (negative grievances) puts "
            f"the fixed point at ({state_text(model, balance_state)}): a threshold. Starting "
            f"below it, spending {below}; starting above it, the excess of spending over the "
            f"threshold is multiplied by {radius:.3g} each step, doubling about every "
            f"{doubling:.2g} steps."
        )
    if name == "runaway":
        text = (
            f"The largest multiplier has modulus {radius:.3g} > 1: each step amplifies the "
            f"escalation, so spending grows without bound, doubling about every "
            f"{doubling:.2g} steps."
        )
    else:
        text = (
            f"Every multiplier has modulus below one (largest {radius:.3g}): deviations shrink "
            "from step to step"
        )
        if found:
            text += f" and spending settles at ({state_text(model, found[0].state)})."
        else:
            text += "."
    return text


def explain_delayed(
    model: Model, base: Any, name: str, balance: Equilibrium, root: complex, criticals: list
) -> str:
    """The explanation of a delay model's verdict: the undelayed verdict, then what the
    delays do to the balance (rightmost characteristic root, critical delay, period)."""
    unit = model.time_unit or "time unit"
    units = plural(unit)
    lags = sorted({str(d.lag) for d in model.delays})
    values = ", ".join(
        f"{lag} = {base.params[lag]:.3g} {units}" if lag in base.params else lag for lag in lags
    )
    where = state_text(model, np.asarray(balance.state))
    swing = f"{root.real:.3g} {'+' if root.imag >= 0 else '-'} {abs(root.imag):.3g}i"
    sentences = []
    if name == "oscillatory" and base.name != "oscillatory":
        sentences.append(
            f"Without the delays the balance at {where} is stable, but the delays "
            f"({values}) destabilise it: the rightmost characteristic root is {swing} per "
            f"{unit}, so spending swings around the balance with growing amplitude "
            f"(period about {2 * math.pi / abs(root.imag):.3g} {units})."
            if abs(root.imag) > 0
            else f"The delays ({values}) destabilise the balance at {where}."
        )
        sentences.append(
            "Delay-induced swings need delayed negative feedback: a budget that corrects its "
            "own spending with a lag, or allies that cut back when partners spend."
        )
    else:
        sentences.append(base.explanation)
        if balance.stable:
            sentences.append(
                f"With the delays ({values}) the balance stays stable: the rightmost "
                f"root of the characteristic equation is {swing} per {unit}."
            )
        elif math.isfinite(root.real):
            sentences.append(
                f"With the delays ({values}) the rightmost root of the "
                f"characteristic equation is {swing} per {unit}."
            )
    for critical in criticals:
        sentences.append(_critical_text(critical, units, unit))
    return " ".join(sentences)


def _critical_text(critical: Any, units: str, unit: str) -> str:
    if not critical.stable_without_delay:
        return f"The balance is unstable even without the delay {critical.parameter}."
    if math.isinf(critical.delay):
        why = (
            " (reactions are non-negative and fatigue acts without delay: a positive, "
            "Metzler system, whose stability does not depend on delays)"
            if critical.metzler
            else ""
        )
        return f"No value of the delay {critical.parameter} destabilises the balance{why}."
    tense = "was" if critical.current > critical.delay else "would be"
    return (
        f"The critical delay is {critical.parameter} = {critical.delay:.3g} {units}: there a "
        f"delay-induced Hopf bifurcation {tense} crossed and swings of period "
        f"{critical.period:.3g} {units} (frequency {critical.frequency:.3g} per {unit}) are born."
    )
