"""Vensim's arithmetic through the importer: a unary minus before ``^`` (``-2^2 = -4``, which
PySD's parser reads as ``(-2)^2``) and INTEGER/MODULO/QUANTUM of arguments evaluated in the
file's order in doubles (sympy's rewriting ``(t/10 - 10)/3 -> t/30 - 10/3`` lands one
rounding below a whole number).

Expected values are exact: the powers are small integers, and the rounded quantities are
what Python's own double arithmetic gives for the same operations in the same order (which is
what Vensim computes; e.g. ``-1/(1/93) = -92.99999999999999``, so INTEGER gives -92).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

import richardson as rd
from richardson.codegen import compile_model
from richardson.io.vensim_ordered import Divide, Minus, Plus, Power, Times

CONTROL = "INITIAL TIME = 0 ~~|\nFINAL TIME = {final} ~~|\nTIME STEP = 1 ~~|\nSAVEPER = 1 ~~|\n"

#: equation -> its value in Vensim (x = 3)
POWERS = {
    "-2^2": -4,
    "(-2)^2": 4,
    "-(2)^2": -4,
    "-(-2)^2": -4,
    "- -2^2": 4,
    "+-2^2": -4,
    "-2^3^2": -(2**9),
    "2^-1": 0.5,
    "2^-1^2": 0.5,
    "2^(-2)^2": 16,
    "3 * -2^2": -12,
    "2 * (-2^2)": -8,
    "-2^2 + 1": -3,
    "3 - 2^2": -1,
    "-2.5^2": -6.25,
    "-x^2": -9,
    "(-x)^2": 9,
    "-(2 + 1)^2": -9,
    "MAX(-2^2, -5)": -4,
    "-2 * x": -6,
}


def _mdl(tmp_path, equations: dict[str, str], final: int = 1):
    lines = ["s = INTEG(0, 0) ~~|", "x = 3 ~~|"]
    lines += [f"{name} = {text} + 0 * Time ~~|" for name, text in equations.items()]
    path = tmp_path / "arithmetic.mdl"
    path.write_text("\n".join(lines) + "\n" + CONTROL.format(final=final))
    return path


def _first_row(model: rd.Model) -> dict[str, float]:
    frame = rd.simulate(model, method="euler").to_dataframe()
    return {name: float(frame[name].iloc[0]) for name in frame.columns}


def test_unary_minus_before_power_is_vensim_s(tmp_path):
    names = {f"p{i}": text for i, text in enumerate(POWERS)}
    row = _first_row(rd.from_vensim(_mdl(tmp_path, names)))
    got = {text: row[name] for name, text in names.items()}
    assert got == {text: float(value) for text, value in POWERS.items()}


def test_unary_minus_before_power_in_xmile(tmp_path):
    equations = {"p0": "-2^2", "p1": "(-2)^2", "p2": "-x^2", "p3": "2^-1"}
    auxes = "".join(
        f'<aux name="{name}"><eqn>{text} + 0 * TIME</eqn></aux>' for name, text in equations.items()
    )
    path = tmp_path / "arithmetic.xmile"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8" ?>'
        '<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">'
        '<header><vendor>test</vendor><product version="1">test</product></header>'
        "<sim_specs><start>0</start><stop>1</stop><dt>1</dt></sim_specs>"
        '<model><variables><aux name="x"><eqn>3</eqn></aux>'
        f"{auxes}</variables></model></xmile>"
    )
    row = _first_row(rd.from_xmile(path))
    assert [row[n] for n in equations] == [-4.0, 4.0, -9.0, 0.5]


#: equation -> value at each Time, computed in Python doubles in the file's order
ROUNDED = {
    "MODULO(-10 + Time/10, 3)": lambda t: _modulo(-10 + t / 10, 3),
    "INTEGER((Time/10 - 10)/3)": lambda t: math.trunc((t / 10 - 10) / 3),
    "INTEGER(ZIDZ(-1, 1/(Time + 1)))": lambda t: math.trunc(-1 / (1 / (t + 1))),
    "QUANTUM(Time/10 - 10, 3)": lambda t: 3 * math.trunc((t / 10 - 10) / 3),
    "INTEGER(near / 3)": lambda t: math.trunc((-10 + t / 10) / 3),
}


def _modulo(x: float, m: float) -> float:
    return x - m * math.trunc(x / m)


def test_integer_modulo_quantum_follow_the_file_s_order(tmp_path):
    names = {f"r{i}": text for i, text in enumerate(ROUNDED)}
    equations = {"near": "-10 + Time/10", **names}
    model = rd.from_vensim(_mdl(tmp_path, equations, final=200))
    frame = rd.simulate(model, method="euler").to_dataframe()
    times = frame.index.to_numpy(dtype=float)
    for name, text in names.items():
        expected = np.array([ROUNDED[text](t) for t in times], dtype=float)
        assert np.array_equal(frame[name].to_numpy(dtype=float), expected), text
    # the whole numbers where sympy's rewritten form gave the neighbour: all in the grid
    assert frame.loc[130.0, "r0"] == 0.0 and frame.loc[92.0, "r2"] == -92.0


def test_the_plain_sympy_form_would_miss():
    """The reason for the in-order operations: sympy's form of the same argument rounds the
    other way at these times (so the test above can fail)."""
    t = sp.Symbol("t")
    assert str((t / 10 - 10) / 3) == "t/30 - 10/3"
    assert math.floor(130 / 30 - 10 / 3) == 0 and math.floor((130 / 10 - 10) / 3) == 1
    assert (-1 / (1 / (t + 1))) == -(t + 1)
    assert math.trunc(-(92 + 1)) == -93 and math.trunc(-1 / (1 / (92 + 1))) == -92


def test_in_order_operations_evaluate_in_doubles_and_differentiate():
    x, y = sp.symbols("x y")
    assert Divide(sp.Integer(1), sp.Integer(3)) == sp.Float(1 / 3)
    assert Plus(sp.Float(0.1), sp.Float(0.2)) == sp.Float(0.1 + 0.2)
    assert [float(Minus(3, 1)), float(Times(2, 4)), float(Power(2, 10))] == [2.0, 8.0, 1024.0]
    assert Divide(x, 0).func is Divide  # no division by zero at build time
    assert Divide(x, y).diff(x) == 1 / y and Divide(x, y).diff(y) == -x / y**2
    assert Power(x, 3).diff(x) == 3 * x**2
    assert str(Divide(Minus(x, 10), 3)) == "((x - 10) / 3)"


def test_model_with_in_order_argument_compiles_with_its_jacobian(tmp_path):
    path = tmp_path / "stock.mdl"
    path.write_text(
        "s = INTEG(growth, 1) ~~|\ngrowth = 0.1 * s + MODULO(s / 2 - 1, 3) * 0.01 ~~|\n"
        + CONTROL.format(final=5)
    )
    model = rd.from_vensim(path)
    compiled = compile_model(model)
    p = np.array([model.params[n].value for n in model.params], dtype=float)
    y = np.array([7.0])
    expected = 0.1 * 7 + _modulo(7 / 2 - 1, 3) * 0.01
    assert compiled.rhs(0.0, y, p)[0] == pytest.approx(expected, rel=1e-15)
    # MODULO(u, 3) = u - 3 INTEGER(u / 3): derivative 0.1 + 0.01 * (1/2) almost everywhere
    assert compiled.jac(0.0, y, p)[0, 0] == pytest.approx(0.1 + 0.005, rel=1e-12)


def test_in_order_argument_exports_and_reads_back(tmp_path):
    path = _mdl(tmp_path, {"r": "INTEGER(ZIDZ(-1, 1/(Time + 1)))"}, final=100)
    model = rd.from_vensim(path)
    assert model.observables["r"].atoms(Divide)
    state = rd.Model(
        states=["s"],
        params={},
        rhs=[model.observables["r"]],
        initial={"s": 0.0},
        name="exported",
    )
    out = rd.to_vensim(state, tmp_path / "out.mdl", (0, 100), time_step=1)
    assert "/ (1 / (Time + 1))" in out.read_text() or "(1 / (Time + 1))" in out.read_text()
    back = rd.simulate(rd.from_vensim(out), method="euler").to_dataframe()
    ours = rd.simulate(state, (0, 100), method="euler", dt=1).to_dataframe()
    assert np.array_equal(back["s"].to_numpy(), ours["s"].to_numpy())
    # the stock sums INTEGER(-1/(1/(t+1))) over t = 0..92: -92 at t = 92, not -93
    assert back.loc[93.0, "s"] == sum(math.trunc(-1 / (1 / (t + 1))) for t in range(93))


def test_pysd_s_own_visitors_are_back_after_a_read(tmp_path):
    from pysd.translators.vensim import vensim_element
    from pysd.translators.xmile import xmile_element

    originals = (vensim_element.EquationVisitor, xmile_element.EquationVisitor)
    rd.from_vensim(_mdl(tmp_path, {"p": "-2^2"}))
    broken = tmp_path / "broken.mdl"
    broken.write_text("s = INTEG(1, 0) ~~|\ny = (((2 ~~|\n" + CONTROL.format(final=1))
    with pytest.raises(rd.ModelFileError, match="broken.mdl"):
        rd.from_vensim(broken)
    assert (vensim_element.EquationVisitor, xmile_element.EquationVisitor) == originals
