"""Vensim/PySD interop: exported scenarios run in PySD and agree with our simulator to within
PySD's Euler integration error; Richardson-type .mdl files import to symbolic models.

Tolerance. PySD integrates with explicit Euler at TIME STEP dt = 1/64 (our runs use LSODA at
rtol = 1e-10, effectively exact). Euler's global error is first order, |e| ~ C dt, with C of
order T max|lambda| |x| over a horizon T; for the horizons below that is a few per cent of
each state's range at most. We require agreement within 2 % of each state's range, and check
that the difference IS Euler's error by halving the step: it must halve (ratio 2 +/- 0.3).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sympy as sp

import richardson as rd

MODELS = Path(__file__).resolve().parents[2] / "models"
DT = 1 / 64
RTOL = 0.02

CASES = [
    ("classic_two_nation", (0.0, 4.0)),  # runaway, linear
    ("confidence_building", (1962.0, 1976.0)),  # STEP + RAMP interventions
    ("mutual_defence_trigger", (0.0, 8.0)),  # nonlinear trigger (TANH)
    ("russia_ukraine_nato", (2014.0, 2026.0)),  # PULSE shock + STEP enlargement
]


def deviation(model: rd.Model, t_span, dt: float) -> float:
    """Largest |PySD - ours| over time, relative to each state's range."""
    frame = rd.simulate_pysd(model, t_span, time_step=dt)
    times = frame.index.to_numpy(dtype=float)
    ours = rd.simulate(model, t_span, t_eval=times, rtol=1e-10, atol=1e-12)
    assert ours.success and ours.runaway is None
    theirs = frame[list(model.states)].to_numpy(dtype=float)
    scale = np.maximum(np.abs(ours.values).max(axis=0), 1e-12)
    return float(np.max(np.abs(theirs - ours.values) / scale))


@pytest.mark.parametrize("name, t_span", CASES, ids=[c[0] for c in CASES])
def test_scenario_agrees_with_pysd(name, t_span):
    model = rd.load_model(MODELS / f"{name}.toml")
    assert deviation(model, t_span, DT) < RTOL


def test_difference_is_first_order_euler_error():
    model = rd.load_model(MODELS / "confidence_building.toml")
    coarse = deviation(model, (1962.0, 1976.0), 2 * DT)
    fine = deviation(model, (1962.0, 1976.0), DT)
    assert 1.7 < coarse / fine < 2.3


def test_export_writes_interventions_as_vensim_functions(tmp_path):
    model = rd.richardson2().with_interventions(
        rd.step("k", 10, 0.5), rd.pulse("g", 2, 1, 0.3), rd.ramp("a", 5, 8, 2.0)
    )
    text = rd.to_vensim(model, tmp_path / "m.mdl", y0=[1, 2]).read_text()
    assert "x = INTEG (" in text
    assert "k = k_base + STEP(0.5 - (k_base), 10.0)" in text
    assert "g = g_base + 0.3 * PULSE(2.0, 1.0)" in text
    assert "a = a_base + RAMP((2.0 - (a_base)) / 3.0, 5.0, 8.0)" in text
    assert "TIME STEP = 0.015625" in text


def test_export_then_import_gives_the_same_equations(tmp_path):
    model = rd.load_model(MODELS / "mutual_defence_trigger.toml")
    back = rd.from_vensim(rd.to_vensim(model, tmp_path / "trigger.mdl"))
    assert back.states == model.states
    assert all(sp.expand(a - b) == 0 for a, b in zip(back.rhs, model.rhs, strict=True))
    assert back.defaults == {k: v for k, v in model.defaults.items() if k in back.params}
    assert dict(back.initial) == dict(model.initial)
    assert back.metadata["vensim"]["time_step"] == DT


HAND_WRITTEN = """{UTF-8}
Arms of X = INTEG (
\tgrowth of X,
\t\t1)
\t~\tbillion USD
\t~\tMilitary spending of X.
\t|

Arms of Y= INTEG (growth of Y, 2)
\t~\tbillion USD
\t~\t
\t|

growth of X = reaction of X * Arms of Y - fatigue of X * Arms of X + grievance of X
\t~\tbillion USD/year
\t~\tA flow.
\t|

growth of Y = reaction of Y * Arms of X - fatigue of Y * Arms of Y + grievance of Y
\t~\tbillion USD/year
\t~\t
\t|

threat to Y = Arms of X
\t~\tbillion USD
\t~\tAn auxiliary used by a flow.
\t|

reaction of X = 0.9 ~ 1/year ~ k |
reaction of Y = 0.8 ~ 1/year ~ l |
fatigue of X = 1 ~ 1/year ~ a |
fatigue of Y = 1.1 ~ 1/year ~ b |
grievance of X = 0.5 ~ billion USD/year ~ g |
grievance of Y = 0.3 ~ billion USD/year ~ h |
unused constant = 42 ~ ~ |

********************************************************
\t.Control
********************************************************~
\t\tSimulation Control Parameters
\t|

FINAL TIME  = 50 ~ year ~ |
INITIAL TIME  = 0 ~ year ~ |
SAVEPER  = TIME STEP ~ year [0,?] ~ |
TIME STEP  = 0.0625 ~ year [0,?] ~ |

\\\\\\---/// Sketch information - do not modify anything except names
V300  Do not put anything below this section - it will be ignored
*View 1
"""


def test_import_hand_written_richardson_model(tmp_path):
    path = tmp_path / "arms.mdl"
    path.write_text(HAND_WRITTEN.replace("growth of Y, 2", "growth of Y, 2"), encoding="utf-8")
    model = rd.from_vensim(path)
    assert model.states == ("Arms_of_X", "Arms_of_Y")
    assert model.actors == ("Arms of X", "Arms of Y")
    assert set(model.params) == {
        "reaction_of_X",
        "reaction_of_Y",
        "fatigue_of_X",
        "fatigue_of_Y",
        "grievance_of_X",
        "grievance_of_Y",
    }
    assert model.params["reaction_of_X"].unit == "1/year"
    assert model.state_unit == "billion USD"
    x, y = sp.symbols("Arms_of_X Arms_of_Y")
    k, a, g = sp.symbols("reaction_of_X fatigue_of_X grievance_of_X")
    assert sp.expand(model.rhs[0] - (k * y - a * x + g)) == 0
    end = rd.simulate(model, (0, 120)).values[-1]
    exact = np.array([1.1 * 0.5 + 0.9 * 0.3, 0.8 * 0.5 + 1.0 * 0.3]) / (1.1 - 0.72)
    np.testing.assert_allclose(end, exact, rtol=1e-7)


@pytest.mark.parametrize(
    "definition, message",
    [
        ("growth of X = DELAY FIXED(Arms of Y, 2, 0)", "DELAY FIXED"),
        ("growth of X = SAMPLE IF TRUE(Time > 2, Arms of Y, 0)", "SAMPLE IF TRUE"),
        ("growth of X = DELAY N(Arms of Y, Time + 1, 0, 3)", "DELAY N with a time-varying"),
        ("growth of X = GET XLS DATA('a.xlsx', 'tab', '1', 'B2')", "GET XLS/DIRECT DATA"),
        ("growth of X = GET XLS CONSTANTS('a.xlsx', 'tab', 'B2')", "GET XLS/DIRECT CONSTANTS"),
        ("growth of X = RANDOM UNIFORM(0, 1, 3)", "RANDOM_UNIFORM"),
        ("growth of X = table(Arms of Y)", "TABLE, which this importer does not translate"),
        ("growth of X = threat to Y + loop a\n~~|\nloop a = loop b ~~|\nloop b = loop a", "itself"),
        ("growth of X = growth of X", "depends on itself"),
        ("growth of X = Arms of Y[region]", "which the file does not define"),
        ("growth of X = :NA:", ":NA:"),
    ],
)
def test_constructs_outside_odes_are_refused_naming_variable_and_construct(
    tmp_path, definition, message
):
    text = HAND_WRITTEN.replace(
        "growth of X = reaction of X * Arms of Y - fatigue of X * Arms of X + grievance of X",
        definition,
    )
    path = tmp_path / "bad.mdl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(rd.ModelFileError) as info:
        rd.from_vensim(path)
    text = str(info.value)
    assert "bad.mdl" in text and message in text, text
    assert "growth of X" in text or "loop a" in text, text


def test_unparseable_equation_is_refused_naming_the_file(tmp_path):
    text = HAND_WRITTEN.replace("reaction of X * Arms of Y", "reaction of X ** Arms of Y")
    path = tmp_path / "bad.mdl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(rd.ModelFileError, match="'bad.mdl': PySD could not parse"):
        rd.from_vensim(path)


def test_dynamic_final_time_is_refused(tmp_path):
    path = tmp_path / "dynamic.mdl"
    path.write_text(HAND_WRITTEN.replace("FINAL TIME  = 50", "FINAL TIME  = 50 + Arms of X"))
    with pytest.raises(rd.ModelFileError, match="dynamic INITIAL TIME, FINAL TIME"):
        rd.from_vensim(path)


def test_file_with_only_auxiliaries_is_a_model_of_observables(tmp_path):
    path = tmp_path / "flat.mdl"
    path.write_text(
        "a = 1 ~ ~ |\nb = a * 2 + Time ~ ~ |\nINITIAL TIME = 0 ~~|\nFINAL TIME = 4 ~~|\n"
        "TIME STEP = 1 ~~|\nSAVEPER = TIME STEP ~~|\n",
        encoding="utf-8",
    )
    model = rd.from_vensim(path)
    assert model.n_states == 0 and set(model.observables) == {"b"}
    for method in ("euler", "LSODA"):
        run = rd.simulate(model, method=method, t_eval=[0, 1, 2, 3, 4])
        np.testing.assert_allclose(run.observables["b"], [2, 3, 4, 5, 6])
    assert list(run.to_dataframe().columns) == ["b"]


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.mdl"
    path.write_text("INITIAL TIME = 0 ~~|\nFINAL TIME = 4 ~~|\nTIME STEP = 1 ~~|\n")
    with pytest.raises(rd.ModelFileError, match="neither stocks nor auxiliaries"):
        rd.from_vensim(path)


def test_pysd_is_imported_lazily():
    code = "import sys, richardson; assert 'pysd' not in sys.modules, 'pysd imported eagerly'"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", ["confidence_building", "russia_ukraine_nato"])
def test_exported_interventions_import_back(tmp_path, name):
    model = rd.load_model(MODELS / f"{name}.toml")
    back = rd.from_vensim(rd.to_vensim(model, tmp_path / f"{name}.mdl"))
    assert sorted(back.interventions, key=repr) == sorted(model.interventions, key=repr)
    assert all(sp.expand(a - b) == 0 for a, b in zip(back.rhs, model.rhs, strict=True))
    assert back.defaults == model.defaults


MACRO_MODEL = """{UTF-8}
:MACRO: FIRST ORDER(input, tau)
FIRST ORDER = INTEG((input - FIRST ORDER) / tau, input)
\t~\tunits
\t~\ta first-order smooth written as a macro, with a stock inside
\t|
:END OF MACRO:
signal = 1 + STEP(2, 3) + RAMP(0.5, 5, 8) ~~|
fast = FIRST ORDER(signal, 1) ~~|
slow = FIRST ORDER(signal * 2, 4) ~~|
lagged = DELAY3(signal, 2) + SMOOTH3(signal, 3) + TREND(signal, 2, 0) ~~|
seen = WITH LOOKUP(Time, ([(0,0)-(10,1)],(0,0),(4,1),(10,0.5))) ~~|
start = INITIAL(fast + slow) ~~|
INITIAL TIME = 0 ~~|
FINAL TIME = 10 ~~|
TIME STEP = 0.125 ~~|
SAVEPER = 0.5 ~~|
"""


def test_macros_delays_schedules_and_lookups_agree_with_pysd(tmp_path):
    import pysd

    path = tmp_path / "macro.mdl"
    path.write_text(MACRO_MODEL, encoding="utf-8")
    model = rd.from_vensim(path)
    # two macro stocks, three stages each for DELAY3 and SMOOTH3, TREND's, and INITIAL's hold
    assert model.n_states == 2 + 3 + 3 + 1 + 1
    kinds = sorted(type(i).__name__ for i in model.interventions)
    assert kinds == ["Ramp", "Step"]  # constant times: interventions, not Piecewise
    ours = rd.simulate(model, method="euler").to_dataframe()
    columns = ["fast", "slow", "lagged", "seen", "start"]
    theirs = pysd.read_vensim(str(path)).run(return_columns=columns, progress=False)
    np.testing.assert_allclose(ours.index, theirs.index.to_numpy(dtype=float))
    for column in columns:
        got, want = ours[column].to_numpy(), theirs[column].to_numpy(dtype=float)
        assert np.all(np.abs(got - want) <= 1e-5 + 1e-5 * np.abs(want)), column


def test_from_xmile_reads_the_teacup():
    folder = Path(__file__).resolve().parent / "vensim_suite" / "samples" / "teacup"
    model = rd.from_xmile(folder / "teacup.xmile")
    assert model.n_states == 1 and model.metadata["format"] == "xmile"
    run = rd.simulate(model, method="euler")
    expected = pd.read_csv(folder / "output.csv")
    np.testing.assert_allclose(run.time, expected["Time"], atol=1e-9)
    want = expected["Teacup Temperature"].to_numpy()
    got = run.to_dataframe()["Teacup Temperature"].to_numpy()
    assert np.all(np.abs(got - want) <= 1e-5 + 1e-5 * np.abs(want))


def test_subscripted_stocks_are_grouped_back_in_the_trajectory():
    folder = Path(__file__).resolve().parent / "vensim_suite" / "tests" / "subscript_2d_arrays"
    model = rd.from_vensim(folder / "test_subscript_2d_arrays.mdl")
    assert "Stock A[Entry 1,Column 2]" in model.actors
    run = rd.simulate(model, method="euler")
    stock = run.variable("Stock A")
    assert stock.dims == ("time", "One Dimensional Subscript", "Second Dimension Subscript")
    assert stock.shape == (len(run.time), 3, 2)
    column = run.to_dataframe()["Stock A[Entry 2,Column 1]"].to_numpy()
    np.testing.assert_array_equal(stock.sel({"One Dimensional Subscript": "Entry 2"})[:, 0], column)
    inflow = run.variable("Inflow A")  # an observable
    assert inflow.shape == (len(run.time), 3, 2)
    with pytest.raises(KeyError, match="no subscripted variable"):
        run.variable("Nothing")


def test_toml_refuses_observables_instead_of_dropping_them(tmp_path):
    path = tmp_path / "arms.mdl"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    model = rd.from_vensim(path)
    assert "threat to Y" in model.observables
    with pytest.raises(rd.ModelFileError, match="observables"):
        rd.save_model(model, tmp_path / "arms.toml")
