"""Fuzz of the model-file reader: mutated and random TOML; only ModelFileError may escape.

Random slices of a valid model file are replaced by hostile snippets (wrong types, huge
numbers, nan and inf, nested tables, non-ASCII names, broken quoting); 10,000 examples when
``CI`` is set (``FUZZ_EXAMPLES`` overrides), a few hundred locally.
"""

from __future__ import annotations

import os

import hypothesis.strategies as st
from hypothesis import HealthCheck, event, given, settings

import richardson as rd
from richardson.io.model_files import dumps_model, loads_model

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 10_000 if os.environ.get("CI") else 200))

VALID = """format_version = 1

[model]
name = "two nations"
kind = "ode"
regime = "stable_balance"

[[actors]]
state = "x"
initial = 1.0

[[actors]]
state = "y"
initial = 2.0

[blocs]
West = ["x"]

[parameters.k]
value = 0.9
bounds = [0.0, inf]
unit = "1/year"

[parameters.a]
value = 1.0

[equations]
x = "k*y - a*x"
y = "k*x - a*y"

[[interventions]]
type = "step"
param = "k"
at = 10.0
to = 0.5

[metadata]
sources = ["Richardson (1960)"]
"""

SNIPPETS = [
    "", "=", "[", "]", "[[", "]]", '"', "'", "#", "\n", "{", "}", ",", ".", "nan", "inf",
    "-inf", "true", "1e999", "1" + "0" * 400, "-1", "0", "[]", "{}", '"x"', '"q"', '"t"',
    '"__class__"', '"ｋ"', '"ﬁ"', '"Türkiye"', '"lambda"', "[parameters.t]", "[equations]",
    "[[actors]]", "[model]", 'type = "pulse"', "width = -1.0", 'x = "exp(exp(exp(10)))"',
    'x = "x # y"', 'x = "sqrt(-1)"', 'x = "abs(exp(x))"', "value = nan", "bounds = [1, 0]",
    "state = 3", "1979-05-27", "07:32:00", "[[interventions]]", 'param = "a"', "\x00",
]  # fmt: skip


@st.composite
def mutated(draw) -> str:
    text = VALID
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        text = text[:start] + draw(st.sampled_from(SNIPPETS)) + text[end:]
    return text


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def check(text: str) -> None:
    try:
        model = loads_model(text, source="fuzz.toml")
    except rd.ModelFileError as err:
        assert "fuzz.toml" in str(err)
        event("refused")
        return
    event("accepted")
    # what is accepted is written and read back
    assert loads_model(dumps_model(model)) == model


@given(mutated())
@FUZZ
def test_mutated_model_files(text):
    check(text)


@given(st.text(max_size=300))
@FUZZ
def test_arbitrary_text_as_a_model_file(text):
    check(text)
