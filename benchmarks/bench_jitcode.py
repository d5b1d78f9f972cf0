"""Simulation against JiTCODE (C code generated from symengine and compiled), side by side.

Issue 22, deliverable 3: the same model, tolerances and method family on both sides
(``rd.simulate(method="RK45")`` against JiTCODE's ``dopri5``, both Dormand-Prince 5(4);
``method="LSODA"`` against JiTCODE's ``lsoda``), rtol = 1e-8, atol = 1e-10, 101 output times:

(a) the classic two-nation model (``rd.richardson2``), t = 0..100;
(b) the nonlinear N = 20 alliance model (every nonlinear term), t = 0..100;
(c) 10,000 parameter sets of the mutual-defence trigger scenario
    (``models/mutual_defence_trigger.toml``, three actors): ``rd.simulate_ensemble`` against
    a loop of JiTCODE runs (one compiled module, parameters passed as control parameters;
    a subset of the loop is timed and scaled, stated in the output).

Targets: within 2x of JiTCODE single runs; ahead of the JiTCODE loop for the ensemble.
JiTCODE's compile time (generating and compiling C) is reported, not counted in the runs.
Our compiled path, ``rd.simulate(..., backend="numba")`` (the ``[fast]`` extra; Dormand-Prince
with scipy's RK45 step control in numba), is timed beside the numpy path in the RK45 rows and,
for the ensemble, as one compiled loop over the 10,000 sets
(``richardson.simulation.numba_backend.integrate_numba_many``).

Run: ``python benchmarks/run.py jitcode`` (needs ``jitcode`` from the dev extra and a C compiler)
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

import numpy as np
import symengine as se
from _timing import best_time

import richardson as rd

HERE = Path(__file__).resolve().parent
RTOL, ATOL = 1e-8, 1e-10
PAIRS = (("RK45", "dopri5"), ("LSODA", "lsoda"))
TIMES = np.linspace(0.0, 100.0, 101)


def _load() -> str:
    return f"loaded (load average {os.getloadavg()[0]:.1f})"


def _jitcode(model: rd.Model, control: tuple[str, ...] = ()):  # noqa: ANN202
    """A compiled JiTCODE system from the model's sympy right-hand sides (parameters not in
    ``control`` substituted by their defaults) and the seconds it took."""
    from jitcode import jitcode, y

    started = time.perf_counter()
    states = {se.Symbol(s): y(i) for i, s in enumerate(model.states)}
    values = {se.Symbol(k): v for k, v in model.defaults.items() if k not in control}
    f = [se.sympify(expr).xreplace(states).xreplace(values) for expr in model.rhs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ode = jitcode(f, control_pars=[se.Symbol(c) for c in control], verbose=False)
        ode.compile_C()
    return ode, time.perf_counter() - started


def _run_jitcode(ode, name: str, y0: np.ndarray, params=()) -> np.ndarray:  # noqa: ANN001
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ode.set_integrator(name, rtol=RTOL, atol=ATOL, interpolate=False)
        if len(params):
            ode.set_parameters(*params)
        ode.set_initial_value(y0, 0.0)
        return np.array([y0, *(ode.integrate(t) for t in TIMES[1:])])


def _side_by_side(label: str, model: rd.Model, y0: np.ndarray, exact=None, pairs=PAIRS):  # noqa: ANN001, ANN202
    ode, compile_s = _jitcode(model)
    results = []
    for ours, theirs in pairs:

        def run_ours(ours=ours):  # noqa: ANN202
            return rd.simulate(
                model, (0, 100), y0, t_eval=TIMES, method=ours, rtol=RTOL, atol=ATOL
            ).values

        def run_theirs(theirs=theirs):  # noqa: ANN202
            return _run_jitcode(ode, theirs, y0)

        a, b = run_ours(), run_theirs()
        t_ours = best_time(run_ours, repeat=3, min_time=0.3)
        t_theirs = best_time(run_theirs, repeat=3, min_time=0.3)
        out = {
            "name": f"jitcode {label} {ours} vs {theirs}",
            "ours_ms": round(t_ours * 1e3, 3),
            "jitcode_ms": round(t_theirs * 1e3, 3),
            "jitcode_compile_s": round(compile_s, 2),
            "max_rel_difference": float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))),
            "ratio": round(t_ours / t_theirs, 2),
            "target": "ratio <= 2 (ours / JiTCODE, same method family and tolerances)",
            "machine": _load(),
        }
        if ours == "RK45":  # the compiled backend behind the same call

            def run_numba():  # noqa: ANN202
                return rd.simulate(
                    model,
                    (0, 100),
                    y0,
                    t_eval=TIMES,
                    method="RK45",
                    rtol=RTOL,
                    atol=ATOL,
                    backend="numba",
                ).values

            started = time.perf_counter()
            c = run_numba()
            out["numba_first_call_s"] = round(time.perf_counter() - started, 2)
            t_numba = best_time(run_numba, repeat=3, min_time=0.3)
            out["ours_numba_ms"] = round(t_numba * 1e3, 3)
            out["ratio_numba"] = round(t_numba / t_theirs, 2)
            out["numba_max_rel_difference"] = float(
                np.max(np.abs(c - b) / np.maximum(np.abs(b), 1e-300))
            )
        if exact is not None:
            out["ours_max_rel_error"] = float(np.max(np.abs(a - exact) / np.abs(exact)))
            out["jitcode_max_rel_error"] = float(np.max(np.abs(b - exact) / np.abs(exact)))
        results.append(out)
    return results


def bench_jitcode_classic() -> list[dict]:
    """(a) the classic model, against its closed form."""
    import scipy.linalg

    model = rd.richardson2(k=0.9, l=0.8, a=1.0, b=1.1, g=0.5, h=0.3)
    A, b = np.array([[-1.0, 0.9], [0.8, -1.1]]), np.array([0.5, 0.3])
    augmented = np.zeros((3, 3))
    augmented[:2, :2], augmented[:2, 2] = A, b
    exact = np.array([(scipy.linalg.expm(augmented * t) @ [1.0, 2.0, 1.0])[:2] for t in TIMES])
    return _side_by_side("classic t=0..100", model, np.array([1.0, 2.0]), exact)


def bench_jitcode_alliance_n20() -> list[dict]:
    """(b) the nonlinear N = 20 alliance model."""
    n = 20
    actors = [f"n{i}" for i in range(n)]
    model = rd.alliance_model(
        actors,
        {"West": actors[:10], "East": actors[10:]},
        reaction=0.05,
        grievance=1.0,
        ally_coupling=-0.005,
        distrust=0.2,
        capacity=np.linspace(1.0, 2.0, n),
        asymmetry=0.5,
        defence_commitment=0.5,
        trigger_threshold=2.0,
        abandonment=0.3,
        commitment=0.8,
        chain_ganging=0.1,
        entrapment=0.2,
        ceiling=100.0,
        submissiveness=0.001,
    )
    y0 = np.linspace(1.0, 5.0, n)
    # JiTCODE's lsoda (scipy.integrate.ode) did not finish one run of this model in minutes
    # here (2026-12-01), so only the Dormand-Prince pair is timed at N = 20
    return _side_by_side("alliance N=20 nonlinear t=0..100", model, y0, pairs=(("RK45", "dopri5"),))


def bench_jitcode_trigger_ensemble() -> dict:
    """(c) 10,000 parameter sets of the trigger scenario: ensemble vs a JiTCODE loop."""
    model = rd.load_model(HERE.parent / "models" / "mutual_defence_trigger.toml")
    rng = np.random.default_rng(0)
    m, subset = 10_000, 200
    varied = tuple(name for name in model.param_names if name.startswith(("k_", "theta_")))
    sets = {name: model.defaults[name] * rng.uniform(0.8, 1.2, m) for name in varied}
    y0 = model.initial_vector()
    options = {"t_eval": TIMES, "rtol": RTOL, "atol": ATOL, "progress": False}
    rd.simulate_ensemble(model, {k: v[:10] for k, v in sets.items()}, (0, 100), y0, **options)
    started = time.perf_counter()
    ensemble = rd.simulate_ensemble(
        model, sets, (0, 100), y0, method="RK45", chunk_size=m, **options
    )
    t_ensemble = time.perf_counter() - started
    ode, compile_s = _jitcode(model, varied)
    started = time.perf_counter()
    for j in range(subset):
        last = _run_jitcode(ode, "dopri5", y0, [sets[name][j] for name in varied])
    t_loop = (time.perf_counter() - started) / subset
    from richardson.simulation.numba_backend import integrate_numba_many

    table = np.tile(model.param_vector(), (m, 1))
    for name in varied:
        table[:, model.param_index[name]] = sets[name]
    integrate_numba_many(model, y0, table[:2], (0.0, 100.0), TIMES, RTOL, ATOL)  # compile
    started = time.perf_counter()
    compiled_values, status = integrate_numba_many(
        model, y0, table, (0.0, 100.0), TIMES, RTOL, ATOL
    )
    t_numba = time.perf_counter() - started
    member = ensemble.member(subset - 1).values
    return {
        "numba_loop_s": round(t_numba, 3),
        "numba_failed_runs": int(np.sum(status != 0)),
        "numba_max_abs_difference_member": float(
            np.max(np.abs(compiled_values[subset - 1] - last))
        ),
        "ratio_numba": round(t_loop * m / t_numba, 2),
        "name": "jitcode trigger scenario ensemble of 10000 (RK45 ensemble vs dopri5 loop)",
        "ours_ensemble_s": round(t_ensemble, 3),
        "jitcode_single_ms": round(t_loop * 1e3, 3),
        "jitcode_loop_s_scaled": round(t_loop * m, 3),
        "loop_timed": f"{subset} of {m} runs timed, scaled by {m // subset}",
        "jitcode_compile_s": round(compile_s, 2),
        "max_abs_difference_member": float(np.max(np.abs(member - last))),
        "ratio": round(t_loop * m / t_ensemble, 2),
        "target": "ratio >= 1 (JiTCODE loop time / ours)",
        "machine": _load(),
    }
