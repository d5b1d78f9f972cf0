"""Model files: exact round trips, and hostile or broken files that must fail cleanly."""

from __future__ import annotations

import builtins
import math
from pathlib import Path

import hypothesis.strategies as st
import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings

import richardson as rd
from richardson.model.expressions import MAX_DEPTH, format_expression, parse_expression

MODELS = Path(__file__).resolve().parents[2] / "models"

TEMPLATE = """# a small two-nation model
format_version = 1

[model]
name = "two nations"
kind = "ode"

[[actors]]
state = "x"
initial = 1.0

[[actors]]
state = "y"
initial = 2.0

[parameters.k]
value = 0.9
bounds = [0.0, inf]

[parameters.a]
value = 1.0

[equations]
x = {x_equation}
y = "k*x - a*y"
"""


def write(tmp_path: Path, text: str, name: str = "m.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def with_equation(tmp_path: Path, equation: str) -> Path:
    return write(tmp_path, TEMPLATE.replace("{x_equation}", _toml_string(equation)))


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c >= " " or c == "\t" else f"\\u{ord(c):04x}" for c in escaped) + '"'


def full_model() -> rd.Model:
    model = rd.alliance_model(
        ["Ally One", "Ally-2", "Rival"],
        {"West": ["Ally One", "Ally-2"], "East": ["Rival"]},
        reaction=0.4,
        fatigue=1.0,
        grievance=0.1,
        ally_coupling=-0.2,
        distrust=0.3,
        capacity=[1.0, 2.0, 3.0],
        asymmetry=0.5,
        defence_commitment=1.0,
        abandonment=0.5,
        chain_ganging=0.2,
        entrapment=0.3,
        ceiling=10.0,
        submissiveness=0.01,
        initial=[0.1, 0.2, 1 / 3],
        state_unit="bn USD",
        name="all terms",
        description='quotes " and \\ and ünïcode',
        metadata={
            "regime": "stable_balance",
            "sources": ["a", "b"],
            "fit": {"rate": 0.1 + 0.2, "n": 5, "ok": True},
        },
    )
    return model.with_interventions(
        rd.step("k_Ally_One_Rival", 3, 0.1),
        rd.pulse("g_Rival", 1, 2, 0.5),
        rd.ramp("d_Ally_One", 2, 5, 0),
    )


# ---------------------------------------------------------------------- round trips
def assert_same(loaded: rd.Model, model: rd.Model) -> None:
    assert loaded == model
    assert dict(loaded.metadata) == dict(model.metadata)
    assert all(sp.srepr(a) == sp.srepr(b) for a, b in zip(loaded.rhs, model.rhs, strict=True))
    for name, p in model.params.items():
        assert loaded.params[name] == p  # value, bounds, unit, description, source


def test_round_trip_of_every_term_is_exact(tmp_path):
    model = full_model()
    path = rd.save_model(model, tmp_path / "all.toml")
    assert_same(rd.load_model(path), model)
    assert rd.load_model(path).initial["Rival"] == 1 / 3  # floats written exactly


@pytest.mark.parametrize("path", sorted(MODELS.glob("*.toml")), ids=lambda p: p.stem)
def test_scenario_files_load_simulate_and_round_trip(path, tmp_path):
    model = rd.load_model(path)
    again = rd.load_model(rd.save_model(model, tmp_path / path.name))
    assert_same(again, model)
    start = min((i.breakpoints()[0] for i in model.interventions), default=0.0)
    run = rd.simulate(model, (start, start + 5))
    assert run.success


def test_loading_never_evaluates_text(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("file text reached an evaluator")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(sp, "sympify", forbidden)
    monkeypatch.setattr(sp, "parse_expr", forbidden)
    for path in sorted(MODELS.glob("*.toml")):
        assert rd.load_model(path).n_states >= 2


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    k=finite,
    lower=st.floats(-1e7, -1e6),
    unit=texts,
    description=texts,
    source=texts,
    x0=finite,
    step_to=finite,
)
def test_round_trip_property(tmp_path, k, lower, unit, description, source, x0, step_to):
    x, y, kk = sp.symbols("x y k")
    model = rd.Model(
        ["x", "y"],
        {"k": rd.Parameter("k", k, (lower, math.inf), unit, description, source)},
        [kk * y - x, 1.5 * x - y / 3],
        initial={"x": x0, "y": 0.0},
        interventions=[rd.step("k", 1.0, step_to)],
        name=description,
        metadata={"note": source},
    )
    path = rd.save_model(model, tmp_path / "p.toml")
    assert_same(rd.load_model(path), model)


@given(
    st.recursive(
        st.sampled_from(["x", "y", "k", "2", "0.5", "1e-3"]),
        lambda inner: (
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            )
            | inner.map(lambda e: f"tanh({e})")
            | inner.map(lambda e: f"-{e}")
        ),
        max_leaves=12,
    )
)
@settings(max_examples=60, deadline=None)
def test_expression_text_round_trip(text):
    names = {"x", "y", "k"}
    try:
        expr = parse_expression(text, names)
    except rd.ModelFileError:
        return  # e.g. a literal division by zero
    assert parse_expression(format_expression(expr), names) == expr


# ---------------------------------------------------------------------- hostile equations
HOSTILE = [
    ("__import__('os').system('echo pwned')", "not allowed"),
    ("os.system('ls')", "attribute access"),
    ("x.__class__", "attribute access"),
    ("().__class__.__bases__[0].__subclasses__()", "attribute access"),
    ("(lambda: 1)()", "not allowed"),
    ("[i for i in range(10)]", "comprehension"),
    ("{i: i for i in x}", "comprehension"),
    ("sum(i for i in x)", "not allowed"),
    ("x[0]", "subscript"),
    ("'abc'", "constant"),
    ("b'abc'", "constant"),
    ("10**10**10", "too large"),
    ("2**1000", "too large"),
    ("x**100000", "too large"),
    ("q * x", "'q' is not declared"),
    ("k*x; import os", "not a valid expression"),
    ("import os", "not a valid expression"),
    ("exp(" * 100 + "x" + ")" * 100, "nested"),
    ("-" * 500 + "x", "nested"),
    ("x if k else y", "conditional"),
    ("x < y", "comparison"),
    ("x and y", "boolean"),
    ("(z := 3)", "assignment"),
    ("f'{x}'", "f-string"),
    ("x ^ 2", "write '**'"),
    ("x // 2", "floor division"),
    ("1j * x", "constant"),
    ("True * x", "constant"),
    ("exp(x, y)", "takes 1 argument"),
    ("exp(x=1)", "keyword"),
    ("eval('1')", "not allowed"),
    ("getattr(x, 'y')", "not allowed"),
    ("1e400 * x", "not finite"),
    ("x / 0", "division by zero"),
    ("1" + "0" * 310 + " * x", "does not fit a double"),
    ("", "empty"),
    ("x +", "not a valid expression"),
    ("x" * 10 + "\x00", "NUL"),
    ("*x", "not a valid expression"),
    ("[x, y]", "list"),
]


@pytest.mark.parametrize("equation, message", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_equation_is_rejected_naming_file_line_and_construct(tmp_path, equation, message):
    path = with_equation(tmp_path, equation)
    with pytest.raises(rd.ModelFileError) as info:
        rd.load_model(path)
    text = str(info.value)
    assert "m.toml" in text
    assert "line 24" in text  # the x = ... line of TEMPLATE
    assert message in text, text


def test_depth_limit_is_stated():
    nested = "exp(" * (MAX_DEPTH + 5) + "x" + ")" * (MAX_DEPTH + 5)
    with pytest.raises(rd.ModelFileError, match=f"deeper than {MAX_DEPTH}"):
        parse_expression(nested, {"x"})
    flat = " + ".join(["x"] * 5000)  # a long flat sum is fine
    assert parse_expression(flat, {"x"}) == 5000 * sp.Symbol("x")


# ---------------------------------------------------------------------- broken files
BROKEN = [
    ("[model\nname = 1", "not valid TOML"),
    ("format_version = 2", "not supported"),
    ("extra = 1\n" + TEMPLATE.replace("{x_equation}", '"x"'), "unknown key 'extra'"),
    (TEMPLATE.replace("{x_equation}", '"x"').replace('kind = "ode"', 'kind = "pde"'), "kind"),
    (TEMPLATE.replace("{x_equation}", "3"), "must be a string"),
    (
        TEMPLATE.replace("{x_equation}", '"x"').replace("value = 0.9", 'value = "0.9"'),
        "must be a number",
    ),
    (TEMPLATE.replace("{x_equation}", '"x"').replace("value = 0.9", "value = nan"), "nan"),
    (
        TEMPLATE.replace("{x_equation}", '"x"').replace(
            "bounds = [0.0, inf]", "bounds = [1.0, 0.0]"
        ),
        "lower bound",
    ),
    (TEMPLATE.replace("{x_equation}", '"x"').replace("value = 0.9", "value = -1.0"), "outside"),
    (
        TEMPLATE.replace("{x_equation}", '"x"').replace('state = "x"', 'state = "__x"'),
        "not a valid identifier",
    ),
    (TEMPLATE.replace("{x_equation}", '"x"').replace('state = "y"', 'state = "x"'), "twice"),
    (TEMPLATE.replace("x = {x_equation}\n", ""), "no equation"),
    (TEMPLATE.replace("{x_equation}", '"x"') + 'z = "x"\n', "not a state"),
    (
        TEMPLATE.replace("{x_equation}", '"x"') + '\n[[interventions]]\ntype = "eval"\n',
        "'step', 'pulse' or 'ramp'",
    ),
    (
        TEMPLATE.replace("{x_equation}", '"x"')
        + '\n[[interventions]]\ntype = "step"\nparam = "q"\n'
        "at = 1.0\nto = 2.0\n",
        "not a parameter",
    ),
    (
        TEMPLATE.replace("{x_equation}", '"x"')
        + '\n[[interventions]]\ntype = "pulse"\nparam = "k"\n'
        "start = 1.0\nwidth = -1.0\nsize = 1.0\n",
        "width",
    ),
    (TEMPLATE.replace("{x_equation}", '"x"') + '\n[blocs]\nW = ["x", "nobody"]\n', "not a state"),
    (
        TEMPLATE.replace("{x_equation}", '"x"').replace(
            "[parameters.a]\nvalue = 1.0", "[parameters.a]\nbounds = [0, 1]"
        ),
        "no 'value'",
    ),
    ("actors = 3", "array of tables"),
    ("[[actors]]\nstate = 't'\n[equations]\nt = \"1\"", "reserved"),
]


@pytest.mark.parametrize("text, message", BROKEN, ids=range(len(BROKEN)))
def test_broken_file_raises_model_file_error(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(rd.ModelFileError) as info:
        rd.load_model(path)
    assert "m.toml" in str(info.value) and message in str(info.value), str(info.value)


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(rd.ModelFileError, match="cannot read"):
        rd.load_model(tmp_path / "absent.toml")
    path = tmp_path / "latin.toml"
    path.write_bytes(b"name = '\xe9'\n")
    with pytest.raises(rd.ModelFileError, match="not UTF-8"):
        rd.load_model(path)


def test_errors_are_value_errors_too(tmp_path):
    with pytest.raises(ValueError):
        rd.load_model(with_equation(tmp_path, "x.y"))


# ---------------------------------------------------------------------- fuzzing
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.text(
        alphabet=st.sampled_from(list("xyka0123456789.+-*/()e_ ,[]{}'\"=:;lambdxpsqrtnhio\\\n")),
        max_size=60,
    )
)
def test_fuzzed_equation_gives_model_or_model_file_error(tmp_path, equation):
    path = with_equation(tmp_path, equation)
    try:
        model = rd.load_model(path)
    except rd.ModelFileError:
        return
    assert isinstance(model, rd.Model) and model.states == ("x", "y")
    values = model.compile().rhs(0.0, np.array([1.0, 2.0]), model.param_vector())
    assert values.shape == (2,)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=400) | st.text(max_size=400).map(lambda t: t.encode("utf-8", "replace")))
def test_fuzzed_file_gives_model_or_model_file_error(tmp_path, content):
    path = tmp_path / "f.toml"
    path.write_bytes(content)
    try:
        model = rd.load_model(path)
    except rd.ModelFileError:
        return
    assert isinstance(model, rd.Model)
