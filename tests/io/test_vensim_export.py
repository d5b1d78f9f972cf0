"""Export keeps up with import: what ``rd.to_vensim`` writes, ``rd.from_vensim`` reads back
as the same model, and PySD's run of it equals ``rd.simulate(method="euler")`` at PySD's
tolerance ``|a - c| <= 1e-5 + 1e-5 |c|`` (both are Euler at the same TIME STEP)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import richardson as rd

MODELS = Path(__file__).resolve().parents[2] / "models"
SCENARIOS = sorted(p.stem for p in MODELS.glob("*.toml"))
SPANS = {
    "classic_two_nation": (1909.0, 1913.0),
    "confidence_building": (1962.0, 1976.0),
    "russia_ukraine_nato": (2014.0, 2026.0),
    "mutual_defence_trigger": (0.0, 8.0),
}


def within_pysd_tolerance(ours: np.ndarray, theirs: np.ndarray) -> bool:
    return bool(np.all(np.abs(ours - theirs) <= 1e-5 + 1e-5 * np.abs(theirs)))


def _same(a: sp.Expr, b: sp.Expr) -> bool:
    """Equal symbolically, or (a number written 50.0 read back as 50, inside a function
    sympy does not cancel through) to rounding at random points."""
    if sp.expand(a - b) == 0:
        return True
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    if a.free_symbols != b.free_symbols:
        return False
    rng = np.random.default_rng(0)
    for values in rng.uniform(0.5, 2.0, (5, len(symbols))):
        point = dict(zip(symbols, values, strict=True))
        left, right = float(a.evalf(subs=point)), float(b.evalf(subs=point))
        if not np.isclose(left, right, rtol=1e-12, atol=0):
            return False
    return True


@pytest.mark.parametrize("name", SCENARIOS)
def test_bundled_scenario_round_trips_through_mdl(tmp_path, name):
    model = rd.load_model(MODELS / f"{name}.toml")
    back = rd.from_vensim(rd.to_vensim(model, tmp_path / f"{name}.mdl"))
    assert back.states == model.states
    assert all(_same(a, b) for a, b in zip(back.rhs, model.rhs, strict=True))
    assert back.defaults == {k: v for k, v in model.defaults.items() if k in back.params}
    assert sorted(back.interventions, key=repr) == sorted(model.interventions, key=repr)
    assert dict(back.initial) == pytest.approx(dict(model.initial), rel=1e-15)
    assert {k: p.unit for k, p in back.params.items()} == {
        k: model.params[k].unit for k in back.params
    }


@pytest.mark.parametrize("name", sorted(SPANS))
def test_pysd_run_of_the_export_equals_our_euler(name):
    model = rd.load_model(MODELS / f"{name}.toml")
    dt = 1 / 32
    frame = rd.simulate_pysd(model, SPANS[name], time_step=dt)
    times = frame.index.to_numpy(dtype=float)
    ours = rd.simulate(model, SPANS[name], method="euler", dt=dt, t_eval=times)
    assert ours.success
    assert within_pysd_tolerance(ours.values, frame[list(model.states)].to_numpy(dtype=float))


x, y, a, b = sp.symbols("x y a b")
t = rd.TIME
NONLINEAR = rd.Model(
    ["x", "y"],
    {"a": 0.8, "b": 1.5},
    [
        sp.Piecewise((a, t > 2), (b, True)) * sp.tanh(y) - sp.Min(x, 3) + sp.sin(t) ** 2,
        sp.Piecewise((x - y, sp.And(x > 1, t < 6)), (-y / 2, True)) + sp.exp(-t) * sp.Abs(x),
    ],
    initial={"x": 0.5, "y": 1.0},
    observables={
        "pressure": sp.sqrt(x**2 + y**2) + sp.Max(a, y),
        # Not of a conjunction: sympy keeps it (a negated comparison it would flip)
        "regime": sp.Piecewise((1, sp.Or(x > 2, sp.Not(sp.And(y < 0.5, x > 1)))), (0, True)),
        "trend": sp.log(1 + x**2) * sp.cosh(y / 4) - sp.atan(y) + sp.floor(2 * x),
    },
)


def test_export_writes_piecewise_logic_and_functions(tmp_path):
    text = rd.to_vensim(NONLINEAR, tmp_path / "n.mdl").read_text()
    for word in ("IF THEN ELSE", ":AND:", ":OR:", ":NOT:", "TANH", "MIN", "SQRT", "ARCTAN"):
        assert word in text, word
    back = rd.from_vensim(tmp_path / "n.mdl")
    assert set(back.observables) == set(NONLINEAR.observables)
    probe = {x: 1.7, y: 0.3, a: 0.8, b: 1.5, t: 3.0}
    for got, want in zip(back.rhs, NONLINEAR.rhs, strict=True):
        assert float(got.subs(probe)) == pytest.approx(float(want.subs(probe)), rel=1e-12)
    for name, want in NONLINEAR.observables.items():
        got = back.observables[name]
        assert float(got.subs(probe)) == pytest.approx(float(want.subs(probe)), rel=1e-12)


def test_pysd_run_of_a_nonlinear_export_equals_our_euler(tmp_path):
    import pysd

    dt = 1 / 16
    path = rd.to_vensim(NONLINEAR, tmp_path / "n.mdl", t_span=(0, 10), time_step=dt)
    frame = pysd.read_vensim(str(path)).run(
        return_columns=["x", "y", *NONLINEAR.observables], progress=False
    )
    times = frame.index.to_numpy(dtype=float)
    ours = rd.simulate(NONLINEAR, (0, 10), method="euler", dt=dt, t_eval=times)
    assert within_pysd_tolerance(ours.values, frame[["x", "y"]].to_numpy(dtype=float))
    for name in NONLINEAR.observables:
        assert within_pysd_tolerance(ours.observables[name], frame[name].to_numpy(dtype=float))
