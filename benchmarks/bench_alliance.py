"""Build and compile time of ``rd.alliance_model``, and its right-hand side against numpy
written by hand.

Targets (issue 22): build + compile <= 3 s at N = 200 actors with every linear term and at
N = 50 with every nonlinear term; the bound nonlinear right-hand side within 1.5x of
hand-written numpy at N = 20 and N = 50, for one state (m = 1) and 1000 states side by side
(m = 1000). Since issue 22 the model carries its terms as index arrays and compiles to
vectorised numpy (``strategy="vectorised"``); the sympy right-hand sides are built only when
read (``model.rhs``), which ``..._symbolic`` measures.

Run: ``python benchmarks/run.py alliance``
"""

from __future__ import annotations

import os
import time

import numpy as np
from _timing import best_time

import richardson as rd
from richardson.codegen import compiled as compiled_module
from richardson.model.terms import CEILING_WIDTH

TARGET_S = 3.0
RHS_TARGET = 1.5


def _load() -> str:
    return f"loaded (load average {os.getloadavg()[0]:.1f})"


#: every nonlinear term (and the linear ones around them), numeric power asymmetry
def _nonlinear(n: int) -> dict:
    return {
        "ally_coupling": -0.005,
        "distrust": 0.2,
        "capacity": np.linspace(1.0, 2.0, n),
        "asymmetry": 0.5,
        "defence_commitment": 0.5,
        "abandonment": 0.3,
        "commitment": 0.8,
        "chain_ganging": 0.1,
        "entrapment": 0.2,
        "ceiling": 100.0,
        "submissiveness": 0.001,
    }


def _measure(n: int, label: str, **terms) -> dict:
    actors = [f"n{i}" for i in range(n)]
    blocs = {"West": actors[: n // 2], "East": actors[n // 2 :]}
    started = time.perf_counter()
    model = rd.alliance_model(actors, blocs, reaction=0.01, fatigue=1.0, grievance=0.1, **terms)
    built = time.perf_counter()
    compiled_module._cache.clear()  # measure generation, not the cache
    compiled = model.compile()
    done = time.perf_counter()
    y, p = np.ones(n), model.param_vector()
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 0.2:
        compiled.rhs(0.0, y, p)
        calls += 1
    rhs_us = 1e6 * (time.perf_counter() - t0) / calls
    total = done - started
    return {
        "name": f"alliance_model N={n} {label}",
        "n_params": len(model.params),
        "build_s": round(built - started, 3),
        "compile_s": round(done - built, 3),
        "rhs_us": round(rhs_us, 1),
        "strategy": compiled.strategy,
        "target": f"build + compile <= {TARGET_S} s",
        "ratio": round(total / TARGET_S, 3),
        "machine": _load(),
    }


def bench_alliance_core_n200() -> dict:
    """Reaction, fatigue, grievance."""
    return _measure(200, "reaction+fatigue+grievance")


def bench_alliance_linear_n200() -> dict:
    """Plus burden sharing, distrust and numeric power asymmetry."""
    return _measure(
        200,
        "+ally_coupling+distrust+asymmetry",
        ally_coupling=-0.005,
        distrust=0.2,
        capacity=np.linspace(1.0, 2.0, 200),
        asymmetry=0.5,
    )


def bench_alliance_all_linear_n200() -> dict:
    """Every linear term, including fear of abandonment."""
    return _measure(
        200,
        "+abandonment (all linear terms)",
        ally_coupling=-0.005,
        distrust=0.2,
        capacity=np.linspace(1.0, 2.0, 200),
        asymmetry=0.5,
        abandonment=0.3,
        commitment=0.8,
    )


def bench_alliance_nonlinear_n20() -> dict:
    """Every nonlinear term at N = 20."""
    return _measure(20, "every nonlinear term", **_nonlinear(20))


def bench_alliance_nonlinear_n50() -> dict:
    """Every nonlinear term at N = 50."""
    return _measure(50, "every nonlinear term", **_nonlinear(50))


def bench_alliance_nonlinear_n20_symbolic() -> dict:
    """What reading ``model.rhs`` costs: the sympy right-hand sides, built on first use (the
    structured code generated from them, which ``jac_p`` compiles on its first call, takes
    minutes more at this size under load)."""
    n = 20
    actors = [f"n{i}" for i in range(n)]
    model = rd.alliance_model(
        actors, {"West": actors[:10], "East": actors[10:]}, reaction=0.01, **_nonlinear(n)
    )
    started = time.perf_counter()
    model.rhs[0]
    return {
        "name": "alliance_model N=20 every nonlinear term: sympy rhs on first use",
        "rhs_build_s": round(time.perf_counter() - started, 3),
        "target": "reference (not on the path of compile or simulate)",
        "machine": _load(),
    }


def _hand_rhs(model: rd.Model, n: int):  # noqa: ANN202
    """The nonlinear alliance model in numpy written by hand from the equations of
    ``docs/model_family.md``, parameters read by name and laid out as dense matrices."""
    v, s = model.defaults, model.states
    W = CEILING_WIDTH

    def vec(prefix: str, missing: float = 0.0) -> np.ndarray:
        return np.array([v.get(f"{prefix}_{x}", missing) for x in s])

    def mat(prefix: str) -> np.ndarray:
        return np.array([[v.get(f"{prefix}_{x}_{y}", 0.0) for y in s] for x in s])

    E = np.linspace(1.0, 2.0, n)
    K = mat("k") * (E[None, :] / E[:, None]) ** 0.5
    DK = (1 + vec("d"))[:, None] * K
    C = mat("c")
    blocs = np.array([0] * (n // 2) + [1] * (n - n // 2))
    U = (blocs[:, None] == blocs[None, :]).astype(float) - np.eye(n)
    own = 1 + vec("f") * (1 - vec("kappa", 1.0))
    h, e, sd = vec("chain"), vec("e"), vec("s")
    theta, w, M, a, g, Q = vec("theta"), vec("w", 1.0), vec("M"), vec("a"), vec("g"), mat("q")

    def hand(t, x):  # noqa: ANN001, ANN202
        col = (slice(None), None) if x.ndim == 2 else slice(None)
        P = DK @ x
        switch = 0.5 * (1 + np.tanh((P - theta[col]) / (2 * w[col])))
        mediated = h[col] * (U @ P) + sd[col] * (U @ switch)
        esc = own[col] * P + C @ x + (1 - e[col]) * mediated
        esc *= W * np.logaddexp(0, (1 - x / M[col]) / W)
        return esc - a[col] * x + g[col] - x * (Q @ x)

    return hand


def bench_alliance_nonlinear_rhs_vs_hand() -> list[dict]:
    """Bound right-hand side of the nonlinear model against hand-written numpy."""
    results = []
    rng = np.random.default_rng(0)
    for n in (20, 50):
        actors = [f"n{i}" for i in range(n)]
        blocs = {"West": actors[: n // 2], "East": actors[n // 2 :]}
        model = rd.alliance_model(
            actors, blocs, reaction=0.01, fatigue=1.0, grievance=0.1, **_nonlinear(n)
        )
        compiled, p = model.compile(), model.param_vector()
        hand, bound = _hand_rhs(model, n), compiled.bind(p).rhs
        for m in (1, 1000):
            y = rng.uniform(0, 150, n) if m == 1 else rng.uniform(0, 150, (n, m))
            expected = hand(0.0, y)
            scale = np.abs(expected).max()
            np.testing.assert_allclose(bound(0.0, y), expected, rtol=1e-12, atol=1e-12 * scale)
            t_hand = best_time(lambda y=y, hand=hand: hand(0.0, y))
            t_bound = best_time(lambda y=y, bound=bound: bound(0.0, y))
            pm = p if m == 1 else np.repeat(p[:, None], m, axis=1)
            f = compiled.rhs
            t_unbound = best_time(lambda y=y, pm=pm, f=f: f(0.0, y, pm), repeat=3)
            results.append(
                {
                    "name": f"alliance nonlinear rhs vs hand numpy N={n} m={m}",
                    "hand_us": round(t_hand * 1e6, 2),
                    "compiled_bound_us": round(t_bound * 1e6, 2),
                    "compiled_unbound_us": round(t_unbound * 1e6, 2),
                    "ratio": round(t_bound / t_hand, 3),
                    "target": f"bound ratio <= {RHS_TARGET}",
                    "machine": _load(),
                }
            )
    return results


def bench_richardson_n_n200_baseline() -> dict:
    """Baseline measured in the same run: ``rd.richardson_n`` with a dense 200 x 200 K."""
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    model = rd.richardson_n(rng.uniform(0, 0.01, (200, 200)), np.ones(200), np.ones(200))
    built = time.perf_counter()
    compiled_module._cache.clear()
    model.compile()
    done = time.perf_counter()
    return {
        "name": "richardson_n N=200 (baseline, dense K)",
        "n_params": len(model.params),
        "build_s": round(built - started, 3),
        "compile_s": round(done - built, 3),
        "target": f"build + compile <= {TARGET_S} s",
        "ratio": round((done - started) / TARGET_S, 3),
    }
