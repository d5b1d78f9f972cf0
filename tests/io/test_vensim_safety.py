"""Hostile Vensim and XMILE files: PySD's grammar hands matched literals to Python's
``eval``; through ``rd.from_vensim``/``rd.from_xmile`` only numbers and strings may be
evaluated, and every hostile file fails with a ``ModelFileError`` naming it."""

from __future__ import annotations

import sys

import pytest

import richardson as rd
from richardson.io import vensim

STOCK = "x = INTEG(rate, 1) ~~|\n"
CONTROL = "INITIAL TIME = 0 ~~|\nFINAL TIME = 2 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = TIME STEP ~~|\n"


def _mdl(tmp_path, body: str):
    path = tmp_path / "hostile.mdl"
    path.write_text("{UTF-8}\n" + STOCK + body + CONTROL, encoding="utf-8")
    return path


def _payload(sentinel) -> str:
    return f"__import__('pathlib').Path({str(sentinel)!r}).touch()"


@pytest.mark.parametrize(
    "body",
    [
        # the limits of a lookup table are evaluated by PySD
        "tab([({payload},0)-(1,1)],(0,0),(1,1)) ~~|\nrate = tab(x) ~~|\n",
        # the limits of WITH LOOKUP
        "rate = WITH LOOKUP(x, ([({payload},0)-(1,1)],(0,0),(1,1))) ~~|\n",
        # the points of a lookup
        "tab((0,{payload}),(1,1)) ~~|\nrate = tab(x) ~~|\n",
    ],
)
def test_code_in_literals_is_never_evaluated(tmp_path, body):
    sentinel = tmp_path / "pwned"
    path = _mdl(tmp_path, body.replace("{payload}", _payload(sentinel)))
    with pytest.raises(rd.ModelFileError) as info:
        rd.from_vensim(path)
    assert not sentinel.exists()
    text = str(info.value)
    assert "hostile.mdl" in text
    assert "refused to evaluate" in text or "could not parse" in text, text
    if "[(" in body:  # the limits reach PySD's eval: refused there
        assert "refused to evaluate" in text, text


def test_pysd_modules_get_their_eval_back(tmp_path):
    rd.from_vensim(_mdl(tmp_path, "rate = 1 ~~|\n"))
    for module in (
        "pysd.translators.vensim.vensim_element",
        "pysd.translators.xmile.xmile_element",
    ):
        assert "eval" not in vars(sys.modules[module])


@pytest.mark.parametrize(
    "text, message",
    [
        ("1", None),
        ("-2.5e3", None),
        ("'file.xlsx'", None),
        ("(0,0),(1,1)", None),
        ("__import__('os')", "not a literal"),
        ("(1).__class__", "not a literal"),
        ("[x for x in ()]", "not a literal"),
        ("1+2j", "not a literal"),
        ("{'a': 1}", "not a literal"),
        ("True", "not a number"),
        ("b'x'", "not a number or string"),
    ],
)
def test_literal_evaluator_accepts_only_numbers_and_strings(text, message):
    if message is None:
        assert vensim._literal(text) is not None
    else:
        with pytest.raises(vensim._Refusal, match=message):
            vensim._literal(text)


def test_large_file_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(vensim, "MAX_FILE_SIZE", 1000)
    path = _mdl(tmp_path, "rate = 1 ~~|\n" + "c = 1 ~~|\n" * 200)
    with pytest.raises(rd.ModelFileError, match="1000 bytes"):
        rd.from_vensim(path)


def test_deep_nesting_fails_cleanly(tmp_path):
    path = _mdl(tmp_path, "rate = " + "(" * 3000 + "1" + ")" * 3000 + " ~~|\n")
    with pytest.raises(rd.ModelFileError, match="hostile.mdl"):
        rd.from_vensim(path)


def test_long_chain_of_auxiliaries_fails_cleanly_or_imports(tmp_path):
    chain = "".join(f"a{i} = a{i + 1} + 1 ~~|\n" for i in range(5000)) + "a5000 = 1 ~~|\n"
    path = _mdl(tmp_path, "rate = a0 ~~|\n" + chain)
    try:
        model = rd.from_vensim(path)
    except rd.ModelFileError as err:
        assert "nested too deeply" in str(err)
    else:
        assert float(model.rhs[0]) == 5001


def test_infinite_number_is_refused(tmp_path):
    with pytest.raises(rd.ModelFileError, match="not finite"):
        rd.from_vensim(_mdl(tmp_path, "rate = 1e999 ~~|\n"))


def test_names_cannot_shadow_generated_code(tmp_path):
    body = "rate = numpy * t + select ~~|\nnumpy = 2 ~~|\nt = 3 ~~|\nselect = 1 ~~|\n"
    model = rd.from_vensim(_mdl(tmp_path, body))
    assert not {"numpy", "t", "select"} & set(model.params)
    run = rd.simulate(model, method="euler")
    assert run.values[:, 0].tolist() == [1.0, 8.0, 15.0]


def test_xmile_with_entities_is_refused(tmp_path):
    path = tmp_path / "entity.xmile"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
        '<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">'
        "<model><variables><aux name='a'><eqn>&e;</eqn></aux></variables></model></xmile>",
        encoding="utf-8",
    )
    with pytest.raises(rd.ModelFileError, match="document type"):
        rd.from_xmile(path)


@pytest.mark.parametrize("suffix, reader", [(".txt", rd.from_vensim), (".mdl", rd.from_xmile)])
def test_wrong_suffix_is_refused(tmp_path, suffix, reader):
    path = tmp_path / f"m{suffix}"
    path.write_text("x = 1 ~~|\n")
    with pytest.raises(rd.ModelFileError, match="is not a"):
        reader(path)


def test_missing_file_is_a_model_file_error(tmp_path):
    with pytest.raises(rd.ModelFileError, match="cannot read"):
        rd.from_vensim(tmp_path / "absent.mdl")
