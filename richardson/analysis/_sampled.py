"""Regime verdicts of nonlinear models: balances plus simulation from sampled initial states.

Each sampled start ends in one outcome: ``"runaway"`` (crossed a ceiling far above the
region), ``"cycle"`` (keeps swinging), a resting point (a balance, or zero spending for an
actor pushed against the floor) or ``"unsettled"`` (still moving slowly at the horizon).
The set of outcomes decides the regime.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..errors import SimulationError
from ..model.core import Model
from ._explain import fate_text, half_life_text, names_list, plural, state_text
from .results import REGIMES, Equilibrium, Regime

__all__ = ["classify_sampled"]

_TAIL = 0.25  # share of the run inspected for settling and cycles


def _horizon(found: list[Equilibrium], horizon: float | None, discrete: bool) -> float:
    if horizon is not None:
        horizon = float(horizon)
        if not math.isfinite(horizon) or horizon <= 0:
            from ..errors import ModelError

            raise ModelError(f"horizon must be a positive number of time units, not {horizon}")
        return horizon
    if discrete:
        return 2000.0
    rates = [abs(float(z.real)) for e in found for z in e.eigenvalues if abs(float(z.real)) > 1e-6]
    slowest = min(rates) if rates else 0.1
    return float(np.clip(40.0 / slowest, 50.0, 2000.0))


#: ``max |Re(eigenvalue)| * horizon`` above which the sampled runs use an implicit solver:
#: an explicit one would need more steps than this just to stay stable.
STIFFNESS_THRESHOLD = 3000.0


def _stiffness(found: list[Equilibrium], T: float) -> float:
    """``max |Re(eigenvalue)| * T`` over the balances: how fast the fastest motion near a
    balance is on the scale of the whole run."""
    fastest = max((abs(float(z.real)) for e in found for z in e.eigenvalues), default=0.0)
    return fastest * T


def iterate_columns(
    compiled: Any,
    p: np.ndarray,
    starts: np.ndarray,
    steps: int,
    ceiling: Any,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Orbits of a map from every column of ``starts`` ``(n, m)``; ``p`` is ``(P,)`` or
    ``(P, m)`` (one parameter set per column) and ``ceiling`` a number or one per column.

    Returns the tail times ``(t,)`` (the last :data:`_TAIL` of the steps and every later
    one: all the verdict reads), states ``(m, t, n)``, runaway and collapse flags ``(m,)``
    (a collapse: an orbit driven below ``-ceiling``, spending negative without bound, which
    is not escalation)."""
    m = starts.shape[1]
    ceiling = np.broadcast_to(np.asarray(ceiling, dtype=float), (m,))
    times = np.arange(steps + 1.0)
    cut = int(np.argmax(times >= (1.0 - _TAIL) * times[-1]))
    states = np.empty((steps + 1 - cut, starts.shape[0], m))
    if cut == 0:
        states[0] = starts
    escaped = np.zeros(m, dtype=bool)
    collapsed = np.zeros(m, dtype=bool)
    y = starts.copy()
    stopped = np.empty(0, dtype=int)
    with np.errstate(all="ignore"):
        for k in range(steps):
            y = compiled.rhs(float(k), y, p)
            # below -ceiling: spending driven negative without bound (a collapse); NaN is
            # never below it, and never below the ceiling either (so it escapes)
            lowest, largest = _column_extremes(y)
            falling = lowest <= -ceiling
            bad = ~(largest < ceiling)
            if falling.any() or bad.any():  # (the update is idempotent on stopped orbits)
                falling &= ~escaped
                collapsed |= falling
                escaped |= bad & ~collapsed
                stopped = np.nonzero(escaped | collapsed)[0]
            y[:, stopped] = 0.0
            if k + 1 >= cut:
                states[k + 1 - cut] = y
    return times[cut:], np.transpose(states, (2, 0, 1)), escaped, collapsed


def _column_extremes(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smallest entry and largest magnitude of each column of ``(n, m)`` (NaN where the
    column has one), row by row: faster than reductions across the few rows of a state."""
    lowest = y[0].copy()
    largest = np.abs(y[0])
    for row in y[1:]:
        np.minimum(lowest, row, out=lowest)
        np.maximum(largest, np.abs(row), out=largest)
    return lowest, largest


def _simulate(
    model: Model,
    compiled: Any,
    p: np.ndarray,
    starts: np.ndarray,
    T: float,
    ceiling: float,
    floor: float | None,
    stiff: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Runs from every start: times ``(t,)``, states ``(m, t, n)``, runaway flags ``(m,)``,
    collapse flags ``(m,)`` (maps only, see :func:`iterate_columns`) and failure flags.

    ``stiff`` selects BDF (with the compiled, block-diagonal Jacobian) instead of RK45."""
    m = starts.shape[1]
    if model.kind == "map":
        times, states, escaped, collapsed = iterate_columns(compiled, p, starts, int(T), ceiling)
        return times, states, escaped, collapsed, np.zeros(m, dtype=bool)
    from ..simulation.ensemble import simulate_ensemble

    times = np.linspace(0.0, T, 801)
    ensemble = simulate_ensemble(
        model,
        np.tile(p, (m, 1)),
        (0.0, T),
        y0=starts.T,
        t_eval=times,
        method="BDF" if stiff else "RK45",
        ceiling=ceiling,
        floor=floor,
        rtol=1e-7,
        atol=1e-9,
        progress=False,
    )
    spending = ensemble.data["spending"].values
    escaped = np.isfinite(ensemble.data["runaway_time"].values)
    status = ensemble.data["status"].values if "status" in ensemble.data else np.zeros(m)
    # a member stopped because its rate is not finite (NaN) or its steps ran out: failed,
    # never counted as escalation
    failed = (np.asarray(status) < 0) & ~escaped
    spending = np.where(failed[:, None, None], np.nan, spending)
    return times, spending, escaped, np.zeros(m, dtype=bool), failed


class Plan(NamedTuple):
    """What the runs of one parameter set are: starts ``(n, m)`` (the first ``n_random``
    sampled), horizon, ceiling, floor and stiffness (whether an implicit solver is needed)."""

    starts: np.ndarray
    n_random: int
    horizon: float
    ceiling: float
    floor: float | None
    stiffness: float  # max |Re(eigenvalue)| * horizon over the balances

    @property
    def stiff(self) -> bool:
        """Whether the runs need an implicit solver (:data:`STIFFNESS_THRESHOLD`)."""
        return self.stiffness > STIFFNESS_THRESHOLD


def plan_runs(
    model: Model,
    found: list[Equilibrium],
    lower: np.ndarray,
    upper: np.ndarray,
    n_samples: int,
    horizon: float | None,
    seed: int,
    start: np.ndarray | None = None,
) -> Plan:
    """The sampled starts of one parameter set (and the seeds near its stable balances)."""
    n = model.n_states
    discrete = model.kind == "map"
    scale = float(np.max(upper - lower))
    rng = np.random.default_rng(seed)
    starts = lower[:, None] + (upper - lower)[:, None] * rng.random((n, max(int(n_samples), 2)))
    if model.initial and len(model.initial) == n:
        starts = np.concatenate([model.initial_vector()[:, None], starts], axis=1)
    n_random = starts.shape[1]
    # every stable balance found is an outcome even if no random start falls into its basin
    seeds = [e.state + 1e-4 * max(1.0, scale) * rng.standard_normal(n) for e in found if e.stable]
    if np.all(lower >= 0):  # a balance on the boundary (an actor at 0): its seeds stay inside
        seeds = [np.maximum(seed_state, lower) for seed_state in seeds]
    if seeds:
        starts = np.concatenate([starts, np.array(seeds).T], axis=1)
    if start is not None:
        starts = np.concatenate([starts, np.asarray(start, dtype=float)[:, None]], axis=1)
    T = _horizon(found, horizon, discrete)
    ceiling = 10.0 * float(np.max(np.abs(upper)))
    floor = 0.0 if np.all(lower >= 0) else None
    return Plan(starts, n_random, T, ceiling, floor, _stiffness(found, T))


def classify_sampled(
    model: Model,
    compiled: Any,
    p: np.ndarray,
    found: list[Equilibrium],
    lower: np.ndarray,
    upper: np.ndarray,
    n_samples: int,
    horizon: float | None,
    seed: int,
    start: np.ndarray | None = None,
) -> Regime:
    """The verdict from balances and sampled runs (see :func:`richardson.classify`).

    ``start`` (optional) is simulated with the sampled starts; its outcome is the fate."""
    plan = plan_runs(model, found, lower, upper, n_samples, horizon, seed, start)
    runs = _simulate(
        model, compiled, p, plan.starts, plan.horizon, plan.ceiling, plan.floor, plan.stiff
    )
    return judge(model, compiled, p, found, lower, upper, plan, runs, start)


def judge(
    model: Model,
    compiled: Any,
    p: np.ndarray,
    found: list[Equilibrium],
    lower: np.ndarray,
    upper: np.ndarray,
    plan: Plan,
    runs_out: tuple,
    start: np.ndarray | None = None,
    lyapunov: float | None = None,
    explain: bool = True,
) -> Regime | np.ndarray:
    """The regime from the runs of :func:`plan_runs` (``runs_out`` as :func:`_simulate`
    returns it).

    A map whose orbits keep moving needs its largest Lyapunov exponent (chaos or cycle): it
    is computed here unless given; with ``lyapunov=math.inf`` standing for "not known yet"
    the function returns instead the state the exponent is computed from, when it is needed
    (batched callers compute it for many points at once and call again).
    ``explain=False`` leaves the explanation (and the outcome shares) out."""
    times, runs, escaped, collapsed, failed = runs_out
    n_random = plan.n_random
    ceiling = plan.ceiling
    discrete = model.kind == "map"
    scale = float(np.max(upper - lower))
    tail = runs[:, times >= (1.0 - _TAIL) * times[-1], :]
    amplitude = np.max(np.ptp(tail, axis=1), axis=1)
    final = runs[:, -1, :]
    settle_tol = 1e-4 * max(1.0, scale)
    finite_final = np.all(np.isfinite(final), axis=1)
    rising = np.any(np.all(np.diff(tail, axis=1) >= 0, axis=1) & (final > upper), axis=1)
    outcome = np.select(
        [failed, collapsed, escaped | ~finite_final, amplitude > 100 * settle_tol],
        ["failed", "collapse", "runaway", np.where(rising, "runaway", "cycle")],
        np.where(amplitude > settle_tol, "unsettled", ""),
    ).astype(object)
    # the settled runs, each with the first rest (in the order found) within 1e-3 of the
    # region of its end: the first run not taken yet founds the next rest and takes all the
    # runs left that are that close to it
    rests: list[np.ndarray] = []
    members: list[list[int]] = []
    left = np.nonzero(outcome == "")[0]
    while left.size:
        rest = final[left[0]].copy()
        close = np.max(np.abs(rest - final[left]), axis=1) <= 1e-3 * max(1.0, scale)
        outcome[left[close]] = f"rest{len(rests)}"
        rests.append(rest)
        members.append(left[close].tolist())
        left = left[~close]
    outcomes: list[str] = outcome.tolist()
    rests = [np.mean(final[idx], axis=0) for idx in members]
    sampled = outcomes[:n_random]
    # the given start is judged, not counted: the regime is the parameters' alone
    judged = outcomes[:-1] if start is not None else outcomes
    counts = {label: sampled.count(label) / n_random for label in dict.fromkeys(judged)}
    attractors = [label for label in counts if label not in ("unsettled", "collapse", "failed")]
    stable = [e for e in found if e.stable]
    growth = max((e.growth_rate for e in found), default=math.nan)
    at_floor = [np.all(np.abs(r) <= 1e-6 * max(1.0, scale)) for r in rests]
    low_growth = _growth_at(compiled, p, lower)
    finite = [label for label in attractors if label != "runaway"]
    if "runaway" in attractors and len(finite) == 1:
        name = "threshold"
    elif len(attractors) >= 2:
        name = "bistable"
    elif not attractors and "collapse" in counts:
        name = "disarmament"  # every orbit drives spending below zero: it collapses
    elif not attractors and "failed" in counts and "runaway" not in counts:
        raise SimulationError(
            "no verdict: the runs from the sampled starts could not be integrated (the rates "
            "are not finite numbers there, e.g. a square root or log of a negative quantity); "
            "give region=... where the model is defined."
        )
    elif not attractors:
        name = "stable_balance" if stable else "runaway"
    elif attractors[0] == "runaway":
        name = "runaway"
    elif attractors[0] == "cycle":
        name = "oscillatory"
        if discrete:  # a bounded map orbit that never repeats: chaos, not a cycle
            if lyapunov is None:
                lyapunov = _largest_lyapunov(model, p, runs, outcomes)
            elif lyapunov == math.inf:
                return chaos_start(runs, outcomes)  # the caller computes it, calls again
            name = "chaotic" if lyapunov > CHAOS_EXPONENT else name
    else:
        rest_index = int(attractors[0][4:])
        if at_floor[rest_index]:
            name = "disarmament"
        elif low_growth > 1e-9:
            name = "saturation"
        else:
            name = "stable_balance"
    assert name in REGIMES
    if lyapunov is None:
        lyapunov = math.nan
    if not explain:
        return Regime(
            name=name,
            explanation="",
            equilibria=tuple(found),
            growth_rate=growth,
            doubling_time=math.inf,
            params=dict(zip(model.param_names, p.tolist(), strict=True)),
            method="sampled",
            time_unit=model.time_unit if not discrete else "step",
        )
    readable = {}
    for label, share in counts.items():
        if label.startswith("rest"):
            readable[f"settle at ({state_text(model, rests[int(label[4:])])})"] = share
        else:
            readable[label] = share
    explanation = _explain(
        model,
        name,
        found,
        rests,
        counts,
        runs,
        times,
        escaped[:n_random],
        outcomes,
        ceiling,
        low_growth,
        discrete,
        lyapunov,
    )
    if "failed" in counts:
        explanation += (
            f" {_share(counts['failed'])} of the sampled starts could not be integrated (a rate "
            "that is not a finite number there, or a solver that ran out of steps); they are "
            "left out of the verdict."
        )
    if "collapse" in counts:
        explanation += (
            f" {_share(counts['collapse'])} of the sampled starts drive spending below zero "
            "without bound: the map leaves the range where it means spending, and those starts "
            "are not counted as escalation"
            + (" (read as a collapse of spending to zero)." if name == "disarmament" else ".")
        )
    fate = side = None
    if start is not None:
        fate = _fate(outcomes[-1], at_floor)
        side = _side(name, fate)
        explanation += " " + fate_text(model, start, fate, side)
    doubling = math.inf
    return Regime(
        name=name,
        explanation=explanation,
        equilibria=tuple(found),
        growth_rate=growth,
        doubling_time=doubling,
        params=dict(zip(model.param_names, p.tolist(), strict=True)),
        method="sampled",
        outcomes=readable,
        time_unit=model.time_unit if not discrete else "step",
        fate=fate,
        start=None if start is None else dict(zip(model.states, start.tolist(), strict=True)),
        region={
            s: (float(lo), float(hi)) for s, lo, hi in zip(model.states, lower, upper, strict=True)
        },
    )


#: Largest Lyapunov exponent (nats per step) above which a bounded map orbit is chaotic; the
#: finite-time estimate of a periodic orbit is negative or within about 1e-3 of zero.
CHAOS_EXPONENT = 0.01


def chaos_start(runs: np.ndarray, outcomes: list[str]) -> np.ndarray:
    """Where the chaos test of a map starts: the last state of its first cycling run."""
    return runs[outcomes.index("cycle"), -1]


def _largest_lyapunov(model: Model, p: np.ndarray, runs: np.ndarray, outcomes: list[str]) -> float:
    """Largest Lyapunov exponent (per step) from the end of the first cycling run of a map."""
    from ..bifurcation.maps import lyapunov_exponents

    params = dict(zip(model.param_names, p.tolist(), strict=True))
    exponents = lyapunov_exponents(
        model, x0=chaos_start(runs, outcomes), transient=200, steps=4000, params=params
    )
    value = float(np.asarray(exponents)[0])
    return value if math.isfinite(value) else -math.inf


def _doubling(growth: float, discrete: bool) -> float:
    """Doubling time of growth at ``growth`` per time unit (maps: multiplier ``1 + growth``)."""
    return math.log(2) / (math.log1p(growth) if discrete else growth)


def _fate(outcome: str, at_floor: list[bool]) -> str | None:
    """Regime name of one run's outcome (None while it has not settled)."""
    if outcome == "runaway":
        return "runaway"
    if outcome == "cycle":
        return "oscillatory"
    if outcome == "collapse":
        return "disarmament"  # spending driven below zero: it collapses
    if outcome.startswith("rest"):
        return "disarmament" if at_floor[int(outcome[4:])] else "stable_balance"
    return None


def _side(name: str, fate: str | None) -> str | None:
    """Which side of the threshold a start with this fate lies on (threshold regimes only)."""
    if name != "threshold" or fate is None:
        return None
    return "above" if fate == "runaway" else "below"


def _growth_at(compiled: Any, p: np.ndarray, state: np.ndarray) -> float:
    """Largest growth rate of the linearisation at ``state`` (maps: spectral radius - 1)."""
    with np.errstate(all="ignore"):
        J = compiled.jac(0.0, state, p)
    if not np.all(np.isfinite(J)):
        return math.nan
    eigenvalues = np.linalg.eigvals(J)
    if compiled.kind == "map":
        return float(np.max(np.abs(eigenvalues)) - 1.0)
    return float(np.max(eigenvalues.real))


def _match(found: list[Equilibrium], state: np.ndarray) -> Equilibrium | None:
    if not found:
        return None
    distances = [float(np.max(np.abs(e.state - state))) for e in found]
    best = int(np.argmin(distances))
    return found[best] if distances[best] <= 1e-2 * max(1.0, float(np.max(np.abs(state)))) else None


def _share(value: float) -> str:
    return f"{100 * value:.0f}%"


def _explain(
    model,
    name,
    found,
    rests,
    counts,
    runs,
    times,
    escaped,
    outcomes,
    ceiling,  # noqa: ANN001, ANN202
    low_growth,
    discrete,
    lyapunov=math.nan,
):
    unit = "step" if discrete else (model.time_unit or "time unit")
    n_runs = len(escaped)
    sentences: list[str] = []
    saddles = [e for e in found if e.kind == "saddle"]
    if name == "threshold":
        finite = next(
            label for label in counts if label not in ("runaway", "unsettled", "collapse", "failed")
        )
        if finite == "cycle":
            settled = "sustained cycles"
        else:
            settled = f"a stable balance ({state_text(model, rests[int(finite[4:])])}"
        unstable = saddles or [e for e in found if not e.stable]
        through = (
            f" through the {unstable[0].kind} at ("
            + "), (".join(state_text(model, e.state) for e in unstable)
            + ")"
            if unstable
            else ""
        )
        sentences.append(
            f"There is {settled}{'; ' if finite != 'cycle' else ' ('}"
            f"{_share(counts[finite])} of the sampled starts of the region searched end "
            f"there), but beyond a threshold{through} spending escalates without bound "
            f"({_share(counts.get('runaway', 0.0))} of them). A crisis that pushes spending past "
            "the threshold starts a race that does not stop by itself."
        )
        return " ".join(sentences)
    if name == "bistable":
        parts = []
        ordered = sorted(range(len(rests)), key=lambda i: float(np.sum(rests[i])))
        for rank, index in enumerate(ordered):
            if len(ordered) == 1:
                label = "a balance"
            else:
                label = (
                    "a low balance"
                    if rank == 0
                    else "a high balance"
                    if rank == len(ordered) - 1
                    else "an intermediate balance"
                )
            parts.append(
                f"{label} ({state_text(model, rests[index])}; "
                f"{_share(counts[f'rest{index}'])} of sampled starts)"
            )
        if "runaway" in counts:
            parts.append(f"runaway escalation ({_share(counts['runaway'])})")
        if "cycle" in counts:
            parts.append(f"sustained cycles ({_share(counts['cycle'])})")
        sentences.append("The outcome depends on where spending starts: " + names_list(parts) + ".")
        if saddles:
            sentences.append(
                "They are separated by a threshold through the saddle at ("
                + "), (".join(state_text(model, s.state) for s in saddles)
                + "): a trigger point. A crisis that pushes spending past it tips the system into "
                "the other state, and it stays there after the crisis is over."
            )
        else:
            sentences.append(
                "A threshold separates them: a trigger point that a crisis can push "
                "the system across."
            )
        return " ".join(sentences)
    if name == "runaway":
        hit = np.sum(escaped)
        sentences.append(
            f"Spending escalates without bound from {_share(hit / n_runs)} of the sampled starts, "
            f"passing {ceiling:.3g} (ten times the top of the region searched)"
        )
        if not found:
            sentences[-1] += "; there is no balance at which the race could stop."
        elif not any(e.stable for e in found):
            sentences[-1] += (
                "; the only balance"
                + ("s are" if len(found) > 1 else " is")
                + " unstable ("
                + ", ".join(e.kind for e in found)
                + ")."
            )
        else:
            sentences[-1] += "."
        if math.isfinite(low_growth) and low_growth > 0 and not discrete:
            sentences.append(
                f"At low spending the escalation grows at {low_growth:.3g} per {unit}, "
                f"doubling about every {_doubling(low_growth, discrete):.2g} {plural(unit)}."
            )
        return " ".join(sentences)
    if name == "chaotic":
        cycling = [i for i, o in enumerate(outcomes) if o == "cycle"]
        tail = runs[cycling[0]][times >= (1.0 - _TAIL) * times[-1]]
        ranges = ", ".join(
            f"{model.actors[j]} between {tail[:, j].min():.3g} and {tail[:, j].max():.3g}"
            for j in range(min(model.n_states, 4))
        )
        sentences.append(
            f"Spending never settles and never repeats ({ranges}): the orbit is chaotic. Its "
            f"largest Lyapunov exponent is {lyapunov:.3g} per step (> 0), so two nearby starts "
            f"drift apart by a factor e about every {1 / lyapunov:.2g} steps and no forecast "
            "holds for long, although spending stays bounded."
        )
        return " ".join(sentences)
    if name == "oscillatory":
        cycling = [i for i, o in enumerate(outcomes) if o == "cycle"]
        run = runs[cycling[0]]
        tail = run[times >= (1.0 - _TAIL) * times[-1]]
        tail_times = times[times >= (1.0 - _TAIL) * times[-1]]
        period = _period(tail_times, tail[:, 0])
        ranges = ", ".join(
            f"{model.actors[j]} between {tail[:, j].min():.3g} and {tail[:, j].max():.3g}"
            for j in range(min(model.n_states, 4))
        )
        text = "Spending never settles: it keeps cycling"
        if math.isfinite(period):
            text += f" with a period of about {period:.2g} {plural(unit)}"
        sentences.append(text + f", {ranges}.")
        unstable = [e for e in found if not e.stable]
        if unstable:
            sentences.append(
                f"The balance at ({state_text(model, unstable[0].state)}) is an "
                f"{unstable[0].kind}: small deviations grow until they reach this cycle, "
                "and large ones shrink onto it."
            )
        return " ".join(sentences)
    rest = rests[0] if rests else None
    match = _match(found, rest) if rest is not None else None
    damping = half_life_text(match.growth_rate, unit) if match is not None and not discrete else ""
    if name == "disarmament":
        sentences.append(
            "Spending falls to zero from every sampled start: the system disarms"
            + (f"; {damping}." if damping else ".")
        )
        return " ".join(sentences)
    if name == "saturation":
        sentences.append(
            f"Low spending escalates (growth rate {low_growth:.3g} per {unit} at the bottom of the "
            f"region, doubling about every {_doubling(low_growth, discrete):.2g} {plural(unit)}), "
            "but the "
            f"escalation stops at an economic ceiling: spending settles at "
            f"({state_text(model, rest)})" + (f"; {damping}." if damping else ".")
        )
        return " ".join(sentences)
    sentences.append(
        f"Spending settles at a single stable balance ({state_text(model, rest)}) from "
        "every sampled start" + (f"; {damping}." if damping else ".")
    )
    return " ".join(sentences)


def _period(times: np.ndarray, series: np.ndarray) -> float:
    centred = series - series.mean()
    ups = np.nonzero((centred[:-1] < 0) & (centred[1:] >= 0))[0]
    if len(ups) < 2:
        return math.nan
    crossings = times[ups] - centred[ups] * (times[ups + 1] - times[ups]) / (
        centred[ups + 1] - centred[ups]
    )
    return float(np.mean(np.diff(crossings)))
