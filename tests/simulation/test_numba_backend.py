"""``rd.simulate(..., backend="numba")``: the compiled Dormand-Prince integrator against the
closed form of the classic model, against the numpy RK45 path on the nonlinear trigger
scenario, many parameter sets against single runs, and its refusals."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg

import richardson as rd
from richardson.errors import SimulationError
from richardson.simulation import numba_backend

MODELS = Path(__file__).resolve().parents[2] / "models"
TIMES = np.linspace(0.0, 30.0, 31)


def test_classic_model_matches_the_closed_form() -> None:
    model = rd.richardson2(k=0.9, l=0.8, a=1.0, b=1.1, g=0.5, h=0.3)
    run = rd.simulate(
        model,
        (0, 30),
        [1.0, 2.0],
        t_eval=TIMES,
        method="RK45",
        rtol=1e-10,
        atol=1e-12,
        backend="numba",
    )
    augmented = np.zeros((3, 3))
    augmented[:2, :2] = [[-1.0, 0.9], [0.8, -1.1]]
    augmented[:2, 2] = [0.5, 0.3]
    exact = np.array([(scipy.linalg.expm(augmented * t) @ [1.0, 2.0, 1.0])[:2] for t in TIMES])
    np.testing.assert_allclose(run.values, exact, rtol=1e-8)
    assert run.status == 0 and run.attrs["backend"] == "numba"
    np.testing.assert_array_equal(run.time, TIMES)


def test_trigger_scenario_matches_the_numpy_rk45_path() -> None:
    model = rd.load_model(MODELS / "mutual_defence_trigger.toml")
    ours = rd.simulate(model, (0, 30), t_eval=TIMES, method="RK45", backend="numba")
    reference = rd.simulate(model, (0, 30), t_eval=TIMES, method="RK45")
    # the same algorithm at rtol 1e-8: equal within the tolerance (not bit for bit)
    np.testing.assert_allclose(ours.values, reference.values, rtol=1e-7, atol=1e-9)


def test_many_parameter_sets_equal_single_runs() -> None:
    model = rd.load_model(MODELS / "mutual_defence_trigger.toml")
    rng = np.random.default_rng(0)
    table = np.tile(model.param_vector(), (5, 1))
    k = model.param_index["k_Rival_Ally_1"]
    table[:, k] *= rng.uniform(0.8, 1.2, 5)
    y0 = model.initial_vector()
    values, status = numba_backend.integrate_numba_many(
        model, y0, table, (0.0, 30.0), TIMES, 1e-8, 1e-10
    )
    assert np.all(status == 0)
    for row in range(5):
        single = rd.simulate(
            model,
            (0, 30),
            t_eval=TIMES,
            params={"k_Rival_Ally_1": table[row, k]},
            method="RK45",
            backend="numba",
        )
        np.testing.assert_array_equal(values[row], single.values)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"method": "LSODA"}, "RK45"),
        ({"ceiling": 100.0}, "ceiling"),
        ({"interventions": [rd.step("g", at=5.0, to=1.0)]}, "interventions"),
        ({"backend": "fortran"}, "backend must be one of"),
    ],
)
def test_unsupported_options_are_refused(options: dict, match: str) -> None:
    model = rd.richardson2(actors=("x", "y"))
    options = {"method": "RK45", "backend": "numba", **options}
    with pytest.raises(SimulationError, match=match):
        rd.simulate(model, (0, 10), [1.0, 2.0], **options)


def test_missing_numba_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "numba", None)
    model = rd.richardson2(k=0.5)  # not compiled before in this process
    with pytest.raises(SimulationError, match=r"richardson\[fast\]"):
        rd.simulate(model, (0, 10), [1.0, 2.0], method="RK45", backend="numba")


def test_alliance_model_runs_from_its_term_layout() -> None:
    """Every alliance term, compiled as loops over the layout (no sympy right-hand sides)."""
    actors = [f"n{i}" for i in range(9)]
    blocs = {"West": actors[:3], "East": actors[3:6], "South": actors[6:7]}
    model = rd.alliance_model(
        actors,
        blocs,
        reaction=0.3,
        grievance=0.1,
        ally_coupling=-0.05,
        distrust=0.2,
        capacity=np.linspace(1.0, 2.0, 9),
        asymmetry=0.5,
        defence_commitment=0.5,
        trigger_threshold=0.6,
        abandonment=0.3,
        commitment=0.7,
        chain_ganging=0.1,
        entrapment=0.2,
        ceiling=6.0,
        submissiveness=0.01,
        enlargement={"n8": "West"},
    )
    y0 = np.linspace(0.5, 4.0, 9)
    params = {"join_n8": 0.6, "theta_n1": 0.4}
    options = {"t_eval": TIMES, "method": "RK45", "params": params}
    ours = rd.simulate(model, (0, 30), y0, backend="numba", **options)
    reference = rd.simulate(model, (0, 30), y0, **options)
    assert not model.rhs.is_built
    np.testing.assert_allclose(ours.values, reference.values, rtol=1e-7, atol=1e-9)
