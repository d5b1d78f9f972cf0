"""Every user error on the command line: one line on stderr, exit code 2, no traceback.

``BAD_COMMANDS`` is the table of bad command lines (the "tried" count of the issue's command
line area); each runs through :func:`richardson.app.cli.console` as the installed command
does, and must end with exit code 2 and exactly one line on stderr naming the problem. The
pipe given as CSV also runs in a real subprocess, to show the same from outside under a
wall-clock bound.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from richardson.app.cli import EXIT_NO_RESULT, EXIT_USER_ERROR, console

MODELS = Path(__file__).resolve().parents[2] / "models"
CLASSIC = str(MODELS / "classic_two_nation.toml")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Broken inputs a careless user has lying around."""
    return make_inputs(tmp_path_factory.mktemp("cli_inputs"))


def make_inputs(folder):
    """Write the broken inputs into ``folder``; name -> path."""
    made = {}

    def write(name, text, mode="w"):
        path = folder / name
        if mode == "wb":
            path.write_bytes(text)
        else:
            path.write_text(text)
        made[name] = str(path)

    years = np.arange(1950, 1960)
    good = pd.DataFrame(
        {"year": years, "Entente": 100 + 3.0 * np.arange(10), "Central Powers": 80 + np.arange(10)}
    )
    write("empty.csv", "")
    write("header_only.csv", "year,Entente,Central Powers\n")
    write("malformed.csv", 'year,Entente\n1950,"12\n1951,13,14,15\n')
    write("binary.csv", bytes(range(256)) * 8, mode="wb")
    write("no_year.csv", good.rename(columns={"year": "yr"}).to_csv(index=False))
    write("text_years.csv", good.assign(year=[f"y{y}" for y in years]).to_csv(index=False))
    write("coded.csv", good.assign(Entente=[-9.0, *good["Entente"][1:]]).to_csv(index=False))
    write("text_values.csv", good.assign(Entente="many").to_csv(index=False))
    write(
        "unit_break.csv",
        good.assign(unit=["GBP"] * 5 + ["USD"] * 5).to_csv(index=False),
    )
    write("constant.csv", good.assign(Entente=7.0).to_csv(index=False))
    write("wrong_columns.csv", good.rename(columns={"Entente": "France"}).to_csv(index=False))
    write("blank_year.csv", "year,Entente,Central Powers\n1950,1,2\n,3,4\n1952,5,6\n")
    fifo = folder / "pipe.csv"
    os.mkfifo(fifo)
    made["pipe.csv"] = str(fifo)
    (folder / "folder.csv").mkdir()
    made["folder.csv"] = str(folder / "folder.csv")
    classic = Path(CLASSIC).read_text()
    write("bad_t0.toml", classic.replace("[metadata]", '[metadata]\nsimulation = {t0 = "abc"}'))
    write("bad_sim.toml", classic.replace("[metadata]", '[metadata]\nsimulation = "soon"'))
    write("nan_t1.toml", classic.replace("[metadata]", "[metadata]\nsimulation = {t1 = nan}"))
    write("broken.toml", "[model\nname = 1\n")
    return made


def _sim(*flags):
    return ["simulate", CLASSIC, *flags]


#: name -> (command line, fragment of the one stderr line); ``{name}`` is a file of ``files``.
BAD_COMMANDS = {
    "t1 not a number": (_sim("--t1", "soon"), "argument --t1: invalid finite number value"),
    "t0 nan": (_sim("--t0", "nan"), "--t0: invalid finite number"),
    "t1 inf": (_sim("--t1", "inf"), "--t1: invalid finite number"),
    "ceiling nan": (_sim("--ceiling", "nan"), "--ceiling: invalid finite number"),
    "floor text": (_sim("--floor", "zero"), "--floor: invalid finite number"),
    "t1 before t0": (_sim("--t0", "10", "--t1", "5"), "must lie after the start time"),
    "set nan": (_sim("--set", "a_Entente=nan"), "must be a finite number"),
    "set inf": (_sim("--set", "a_Entente=1e999"), "must be a finite number"),
    "set text": (_sim("--set", "a_Entente=high"), "--set expects NAME=VALUE"),
    "set no value": (_sim("--set", "a_Entente"), "--set expects NAME=VALUE"),
    "set unknown name": (_sim("--set", "kk=1"), "'kk' is not a parameter"),
    "unknown solver": (_sim("--method", "RK99", "--t1", "1"), "RK99"),
    "missing model": (["simulate", "{nowhere.toml}"], "nowhere.toml"),
    "broken model file": (["simulate", "{broken.toml}"], "broken.toml"),
    "metadata t0 text": (["simulate", "{bad_t0.toml}"], "simulation.t0 is 'abc'"),
    "metadata simulation text": (["simulate", "{bad_sim.toml}"], "must be a table"),
    "metadata t1 nan": (["simulate", "{nan_t1.toml}"], "simulation.t1 is nan"),
    "y0 text": (["analyze", CLASSIC, "--y0", "1,x"], "--y0 expects 2"),
    "y0 nan": (["analyze", CLASSIC, "--y0", "nan,1"], "--y0 expects 2"),
    "y0 too few": (["analyze", CLASSIC, "--y0", "1"], "--y0 expects 2"),
    "over unknown": (["analyze", CLASSIC, "--over", "kk"], "kk"),
    "portrait unknown state": (
        ["portrait", CLASSIC, "--x", "Frence", "-o", "{out.png}"],
        "Frence",
    ),
    "portrait unknown format": (["portrait", CLASSIC, "-o", "{out.xyz}"], "ending in one of"),
    "csv into a missing folder": (
        _sim("--t1", "1", "--csv", "/nonexistent/folder/run.csv"),
        "non-existent directory",
    ),
    "export into a missing folder": (
        ["export", CLASSIC, "-o", "/nonexistent/folder/m.mdl"],
        "No such file or directory",
    ),
    "demo into a file": (["demo", "--out", "{empty.csv}"], "empty.csv"),
    "sweep no param": (["sweep", CLASSIC], "at least one --param"),
    "sweep bad spec": (["sweep", CLASSIC, "--param", "k=0:2"], "NAME=START:STOP:COUNT"),
    "sweep nan stop": (["sweep", CLASSIC, "--param", "a_Entente=0:nan:5"], "finite numbers"),
    "sweep count text": (["sweep", CLASSIC, "--param", "a_Entente=0:1:many"], "whole number"),
    "sweep count 1": (["sweep", CLASSIC, "--param", "a_Entente=0:1:1"], "at least 2"),
    "sweep huge grid": (
        ["sweep", CLASSIC, "--param", "a_Entente=0:1:2000", "--param", "a_Central_Powers=0:1:2000"],
        "more than 1000000",
    ),
    "sweep unknown param": (["sweep", CLASSIC, "--param", "kk=0:1:3"], "kk"),
    "fit years reversed": (
        ["fit", CLASSIC, "--data", "pre_wwi_blocs", "--years", "1913:1880"],
        "STOP comes before START",
    ),
    "fit years text": (
        ["fit", CLASSIC, "--data", "pre_wwi_blocs", "--years", "early:late"],
        "--years expects START:STOP",
    ),
    "fit no such case": (["fit", CLASSIC, "--data", "pre_wwi_bloc"], "Did you mean"),
    "fit bootstrap negative": (
        ["fit", CLASSIC, "--data", "pre_wwi_blocs", "--bootstrap", "-5"],
        "--bootstrap: invalid whole number",
    ),
    "fit base year text": (
        ["fit", CLASSIC, "--data", "pre_wwi_blocs", "--base-year", "then"],
        "--base-year: invalid int value",
    ),
    "fit years outside the data": (
        ["fit", CLASSIC, "--data", "{constant.csv}", "--years", "1800:1810"],
        "no rows in the years asked for",
    ),
    "fit empty csv": (["fit", CLASSIC, "--data", "{empty.csv}"], "the file has no columns"),
    "fit header-only csv": (["fit", CLASSIC, "--data", "{header_only.csv}"], "no rows of data"),
    "fit malformed csv": (["fit", CLASSIC, "--data", "{malformed.csv}"], "cannot read"),
    "fit binary csv": (["fit", CLASSIC, "--data", "{binary.csv}"], "no year column"),
    "fit csv without year": (["fit", CLASSIC, "--data", "{no_year.csv}"], "no year column"),
    "fit csv text years": (["fit", CLASSIC, "--data", "{text_years.csv}"], "'y1950'"),
    "fit csv blank year": (["fit", CLASSIC, "--data", "{blank_year.csv}"], "missing or infinite"),
    "fit csv code -9": (["fit", CLASSIC, "--data", "{coded.csv}"], "missing"),
    "fit csv text values": (["fit", CLASSIC, "--data", "{text_values.csv}"], "missing value"),
    "fit csv unit break": (["fit", CLASSIC, "--data", "{unit_break.csv}"], "unit break in 1955"),
    "fit csv constant": (["fit", CLASSIC, "--data", "{constant.csv}"], "the same value 7"),
    "fit csv wrong columns": (
        ["fit", CLASSIC, "--data", "{wrong_columns.csv}"],
        "no column for 'Entente'",
    ),
    "fit csv fifo": (["fit", CLASSIC, "--data", "{pipe.csv}"], "not a regular file"),
    "fit csv folder": (["fit", CLASSIC, "--data", "{folder.csv}"], "it is a folder"),
    "fit csv missing": (["fit", CLASSIC, "--data", "{nowhere.csv}"], "nowhere.csv"),
    "fit bad method": (["fit", CLASSIC, "--data", "x", "--method", "guess"], "invalid choice"),
    "unknown verb": (["fly"], "invalid choice: 'fly'"),
    "unknown flag": (_sim("--fast"), "unrecognized arguments: --fast"),
    "export to unknown": (["export", CLASSIC, "--to", "xmile"], "invalid choice: 'xmile'"),
}


def _argv(command, files, tmp_path):
    out = []
    for part in command:
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            part = files.get(name, str(tmp_path / name))
        out.append(part)
    return out


def test_the_table_of_bad_command_lines_is_large_enough():
    assert len(BAD_COMMANDS) >= 30


@pytest.mark.parametrize("case", list(BAD_COMMANDS))
def test_a_user_error_is_one_line_and_exit_code_2(case, files, tmp_path, capsys):
    command, fragment = BAD_COMMANDS[case]
    status = console(_argv(command, files, tmp_path))
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert status == EXIT_USER_ERROR, captured.err
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err + captured.out
    assert lines[0].startswith(("richardson: error: ", "richardson: usage error: ")), lines[0]
    assert fragment in lines[0], lines[0]
    assert lines[0].endswith((".", "?")), lines[0]


def test_a_nan_run_does_not_exit_0(tmp_path, capsys):
    # sqrt(c - x) with c = 0 from x = 1: not a number from the first step on
    model = tmp_path / "nan.toml"
    model.write_text(
        "format_version = 1\n[model]\nname = 'nan'\n[[actors]]\nstate = 'x'\ninitial = 1.0\n"
        "[parameters.c]\nvalue = 0.0\n[equations]\nx = 'sqrt(c - x)'\n"
    )
    csv = tmp_path / "run.csv"
    status = console(["simulate", str(model), "--t1", "2", "--csv", str(csv)])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    # refused at load or at simulate (exit 2), or found non-finite after the run (exit 1)
    assert status in (EXIT_NO_RESULT, EXIT_USER_ERROR), captured.out
    assert not csv.exists()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err


def test_fit_labels_estimates_in_the_units_of_the_data(files, capsys, tmp_path):
    years = np.arange(1950, 1962)
    frame = pd.DataFrame(
        {
            "year": years,
            "Entente": 100 * 1.02 ** np.arange(12),
            "Central Powers": 90 * 1.015 ** np.arange(12),
        }
    )
    path = tmp_path / "thousands.csv"
    frame.to_csv(path, index=False)
    status = console(
        [
            "fit",
            CLASSIC,
            "--data",
            str(path),
            "--method",
            "difference",
            "--units",
            "thousand constant 2010 GBP",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert "data: " + str(path) + ", 1950-1961, thousand constant 2010 GBP" in out
    assert "thousand constant 2010 GBP/year" in out  # the grievances
    assert "million GBP (current)/year" not in out  # the model file's unit


def test_from_outside_the_command_fails_in_one_line_within_the_bound(files, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    for case in ("fit csv fifo",):  # a pipe must be refused, not waited on
        command, fragment = BAD_COMMANDS[case]
        done = subprocess.run(
            [sys.executable, "-m", "richardson.app.cli", *_argv(command, files, tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            cwd=tmp_path,
        )
        lines = done.stderr.strip().splitlines()
        assert done.returncode == EXIT_USER_ERROR, done.stderr
        assert len(lines) == 1 and fragment in lines[0], done.stderr
        assert "Traceback" not in done.stderr
