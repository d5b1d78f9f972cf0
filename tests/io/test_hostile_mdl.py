"""A corpus of hostile and broken Vensim files (issue 18): each is refused with a
``ModelFileError`` that names the construct, or (names that look like generated code) imported
harmlessly; none runs code, crashes, or hangs. Kinds of file that are not regular files are
refused without blocking."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import richardson as rd

CONTROL = """INITIAL TIME = 0
\t~\tMonth
\t~\t
\t|
FINAL TIME = 10
\t~\tMonth
\t~\t
\t|
TIME STEP = 1
\t~\tMonth
\t~\t
\t|
SAVEPER = TIME STEP
\t~\tMonth
\t~\t
\t|
"""


def eq(name, text, unit=""):
    return f"{name} = {text}\n\t~\t{unit}\n\t~\t\n\t|\n"


def mdl(*eqs, control=CONTROL):
    return "{UTF-8}\n" + "".join(eqs) + control


TEXTS = {
    "lookup_range_code": mdl(
        eq("s", "INTEG(f(Time), 1)"),
        "f([(__import__('os').system('true'),0)-(10,10)],(0,0),(10,10))\n\t~\t\n\t~\t\n\t|\n",
    ),
    "lookup_points_code": mdl(
        eq("s", "INTEG(f(Time), 1)"),
        "f([(0,0)-(10,10)],(0,__import__('os').getcwd()),(10,10))\n\t~\t\n\t~\t\n\t|\n",
    ),
    "lookup_dunder": mdl(
        eq("s", "INTEG(f(Time), 1)"),
        "f([(0,0)-(10,10)],(0,().__class__),(10,10))\n\t~\t\n\t~\t\n\t|\n",
    ),
    "duplicate_space_underscore": mdl(
        eq("s", "INTEG(growth rate, 1)"), eq("growth rate", "0.1"), eq("growth_rate", "0.2")
    ),
    "duplicate_case": mdl(eq("s", "INTEG(kk, 1)"), eq("kk", "0.1"), eq("KK", "0.2")),
    "delay_fixed": mdl(eq("s", "INTEG(d, 1)"), eq("d", "DELAY FIXED(s, 2, 0)")),
    "sample_if_true": mdl(eq("s", "INTEG(d, 1)"), eq("d", "SAMPLE IF TRUE(Time > 2, s, 0)")),
    "get_xls_data": mdl(
        eq("s", "INTEG(d, 1)"), eq("d", "GET XLS DATA('data.xlsx', 'Sheet1', 'A', 'B2')")
    ),
    "get_direct_constants": mdl(
        eq("s", "INTEG(d, 1)"), eq("d", "GET DIRECT CONSTANTS('data.csv', ',', 'B2')")
    ),
    "dynamic_final_time": mdl(
        eq("s", "INTEG(1, 1)"), control=CONTROL.replace("FINAL TIME = 10", "FINAL TIME = s")
    ),
    "allocate_by_priority": mdl(
        eq("s", "INTEG(d, 1)"), eq("d", "ALLOCATE BY PRIORITY(s, 1, 1, 1, 10)")
    ),
    "delay_n_varying": mdl(eq("s", "INTEG(d, 1)"), eq("d", "DELAY N(s, s + 1, 0, 3)")),
    "undefined_name": mdl(eq("s", "INTEG(nowhere, 1)")),
    "circular_auxiliaries": mdl(eq("s", "INTEG(a, 1)"), eq("a", "b"), eq("b", "a")),
    "empty_file": "",
    "only_header": "{UTF-8}\n",
    "binary_garbage": "\x00\x01\x02\xff" * 100,
    "unbalanced_parentheses": mdl(eq("s", "INTEG((1 + (2, 1)")),
    "missing_integ_initial": mdl(eq("s", "INTEG(1)")),
    "unknown_function": mdl(eq("s", "INTEG(FROBNICATE(1), 1)")),
    "division_by_zero_constant": mdl(eq("s", "INTEG(c, 1)"), eq("c", "1/0")),
    "infinite_literal": mdl(eq("s", "INTEG(c, 1)"), eq("c", "1e999")),
    "deep_nesting": mdl(eq("s", "INTEG(" + "(" * 400 + "1" + ")" * 400 + ", 1)")),
    "name_numpy": mdl(eq("s", "INTEG(numpy, 1)"), eq("numpy", "1")),
    "name_builtins": mdl(eq("s", "INTEG(__builtins__, 1)"), eq("__builtins__", "1")),
    "macro_recursion": "{UTF-8}\n:MACRO: M(x)\nM = M(x)\n\t~\t\n\t~\t\n\t|\n:END OF MACRO:\n"
    + mdl(eq("s", "INTEG(M(1), 1)"))[len("{UTF-8}\n") :],
    "huge_subscript_range": "{UTF-8}\nbig: (b1-b10000000)\n\t~\t\n\t~\t\n\t|\n"
    + mdl(eq("s[big]", "INTEG(1, 1)"))[len("{UTF-8}\n") :],
    "time_step_zero": mdl(
        eq("s", "INTEG(1, 1)"), control=CONTROL.replace("TIME STEP = 1", "TIME STEP = 0")
    ),
    "final_before_initial": mdl(
        eq("s", "INTEG(1, 1)"), control=CONTROL.replace("FINAL TIME = 10", "FINAL TIME = -5")
    ),
    "string_in_equation": mdl(eq("s", "INTEG(c, 1)"), eq("c", "'text'")),
    "eval_in_name": mdl(eq("s", "INTEG(c, 1)"), eq("c", "eval(1)")),
}


#: Case -> message fragment of the ModelFileError it must raise.
REFUSED = {
    "lookup_range_code": "refused to evaluate",
    "lookup_points_code": "PySD could not parse",
    "lookup_dunder": "PySD could not parse",
    "duplicate_space_underscore": "'growth rate' is defined twice",
    "duplicate_case": "'kk' is defined twice",
    "delay_fixed": "uses DELAY FIXED",
    "sample_if_true": "uses SAMPLE IF TRUE",
    "get_xls_data": "GET XLS/DIRECT DATA (external file)",
    "get_direct_constants": "GET XLS/DIRECT CONSTANTS (external file)",
    "dynamic_final_time": "FINAL TIME changes during the run",
    "allocate_by_priority": "uses ALLOCATE BY PRIORITY",
    "delay_n_varying": "DELAY N with a time-varying delay time",
    "undefined_name": "uses 'nowhere', which the file does not define",
    "circular_auxiliaries": "depends on itself through auxiliaries",
    "empty_file": "PySD could not parse",
    "only_header": "PySD could not parse",
    "binary_garbage": "PySD could not parse",
    "unbalanced_parentheses": "PySD could not parse",
    "missing_integ_initial": "PySD could not parse",
    "unknown_function": "uses the function FROBNICATE",
    "division_by_zero_constant": "not a finite real number",
    "infinite_literal": "is :NA: or not finite",
    "deep_nesting": "PySD could not parse",
    "macro_recursion": "nested more than 20 deep",
    "huge_subscript_range": "has 10000000 elements",
    "time_step_zero": "TIME STEP must be positive",
    "final_before_initial": "FINAL TIME after INITIAL TIME",
    "string_in_equation": "PySD could not parse",
    "eval_in_name": "uses the function EVAL",
}


def write(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.mdl"
    path.write_text(TEXTS[name], encoding="utf-8", errors="surrogateescape")
    return path


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_hostile_file_is_refused_with_the_construct_named(tmp_path, name):
    with pytest.raises(rd.ModelFileError) as caught:
        rd.from_vensim(write(tmp_path, name))
    assert REFUSED[name] in str(caught.value)
    assert f"{name}.mdl" in str(caught.value)  # the file is named


def test_code_in_a_lookup_never_runs(tmp_path):
    marker = tmp_path / "ran"
    text = TEXTS["lookup_range_code"].replace("system('true')", f"system('touch {marker}')")
    path = tmp_path / "code.mdl"
    path.write_text(text)
    with pytest.raises(rd.ModelFileError):
        rd.from_vensim(path)
    assert not marker.exists()


@pytest.mark.parametrize("name", ["name_numpy", "name_builtins"])
def test_names_like_generated_code_import_and_run(tmp_path, name):
    model = rd.from_vensim(write(tmp_path, name))
    run = rd.simulate(model, (0, 10), method="euler")
    assert run.success and run.values[-1, 0] == pytest.approx(11.0)


def test_a_huge_subscript_range_is_refused_promptly(tmp_path):
    path = write(tmp_path, "huge_subscript_range")
    code = (
        "import richardson as rd\n"
        f"try:\n    rd.from_vensim({str(path)!r})\n"
        "except rd.ModelFileError as err:\n    print(err)"
    )
    root = Path(rd.__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert "has 10000000 elements" in done.stdout


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.mdl"
    os.mkfifo(fifo)
    with pytest.raises(rd.ModelFileError, match="FIFO"):
        rd.from_vensim(fifo)


def test_a_directory_and_a_device_are_refused(tmp_path):
    folder = tmp_path / "folder.mdl"
    folder.mkdir()
    with pytest.raises(rd.ModelFileError, match="directory"):
        rd.from_vensim(folder)
    device = tmp_path / "zero.mdl"
    device.symlink_to("/dev/zero")
    with pytest.raises(rd.ModelFileError, match="character device"):
        rd.from_vensim(device)


def test_a_file_over_the_limit_is_refused(tmp_path, monkeypatch):
    import richardson.io.vensim as vensim

    monkeypatch.setattr(vensim, "MAX_FILE_SIZE", 1000)
    path = tmp_path / "big.mdl"
    path.write_text(TEXTS["undefined_name"] + " " * 2000)
    with pytest.raises(rd.ModelFileError, match="1000"):
        rd.from_vensim(path)


def test_text_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin.mdl"
    path.write_bytes(TEXTS["undefined_name"].encode() + b"\xff\xfe caf\xe9")
    with pytest.raises(rd.ModelFileError):
        rd.from_vensim(path)


def test_the_corpus_is_large_enough():
    assert len(TEXTS) >= 30
