"""Where a table's years and units are (richardson.data._frames) and how read_csv reads them."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import richardson as rd
from richardson.data._user_files import _read_bounded

ROOT = Path(__file__).resolve().parents[2]
YEARS = np.arange(1990, 2000)


def _table():
    return pd.DataFrame({"A": np.linspace(10, 20, 10), "B": np.linspace(5, 9, 10)}, index=YEARS)


@pytest.mark.parametrize(
    "make",
    [
        lambda t: t,
        lambda t: t.set_axis(pd.date_range("1990-01-01", periods=10, freq="YS")),
        lambda t: t.set_axis(pd.date_range("1990-12-31", periods=10, freq="YE")),
        lambda t: t.set_axis(pd.period_range("1990", periods=10, freq="Y")),
        lambda t: t.reset_index(names="year"),
        lambda t: t.reset_index(names="Year"),
        lambda t: t.set_axis([str(y) for y in YEARS]),
        lambda t: t.set_axis(YEARS.astype(float)),
    ],
    ids=["ints", "dates", "year-ends", "periods", "year", "Year", "text", "floats"],
)
def test_every_way_of_giving_years_gives_the_same_years(make):
    frame = make(_table())
    indexed = rd.data.year_indexed(frame)
    assert list(indexed.index) == list(YEARS)
    assert list(indexed.columns) == ["A", "B"]
    assert rd.data.check(frame).ok


def test_row_numbers_without_a_year_column_stay_row_numbers():
    frame = _table().reset_index(drop=True)
    assert list(rd.data.year_indexed(frame).index) == list(range(10))


def test_attrs_are_kept_when_years_move_to_the_index():
    frame = _table().reset_index(names="year")
    frame.attrs = {"units": "million USD"}
    assert rd.data.year_indexed(frame).attrs["units"] == "million USD"


def test_a_unit_column_in_a_csv_becomes_the_unit_break(tmp_path):
    path = tmp_path / "mixed.csv"
    table = _table().assign(unit=["GBP"] * 4 + ["USD"] * 6)
    table.to_csv(path, index_label="year")
    with pytest.warns(rd.RichardsonWarning, match="unit break in 1994"):
        frame = rd.data.read_csv(path)
    assert list(frame.columns) == ["A", "B"]
    assert frame.attrs["unit_break"] == 1994
    assert frame.attrs["unit_before"] == "GBP" and frame.attrs["unit_after"] == "USD"
    before, after = rd.data.split(frame)
    assert before.attrs["units"] == "GBP" and after.attrs["units"] == "USD"
    assert rd.data.check(after).ok


def test_a_csv_with_one_unit_in_its_column_states_it(tmp_path):
    path = tmp_path / "one.csv"
    _table().assign(currency="million constant 2015 USD").to_csv(path, index_label="year")
    frame = rd.data.read_csv(path)
    assert frame.attrs["units"] == "million constant 2015 USD" and frame.attrs["unit_break"] is None


def test_units_by_year_takes_an_explicit_statement():
    frame = _table()
    assert set(rd.data.units_by_year(frame, "USD")) == {"USD"}
    per_year = rd.data.units_by_year(frame, {int(y): "X" if y < 1995 else "Y" for y in YEARS})
    assert per_year.loc[1994] == "X" and per_year.loc[1995] == "Y"
    assert rd.data.units_by_year(frame) is None
    with pytest.raises(rd.DataError, match="must be a string"):
        rd.data.units_by_year(frame, 3)
    with pytest.raises(rd.DataError, match="must name a unit"):
        rd.data.units_by_year(frame, " ")


def test_read_csv_refuses_a_pipe_without_blocking(tmp_path):
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    code = (
        "import richardson as rd\n"
        "try:\n"
        f"    rd.data.read_csv({str(pipe)!r})\n"
        "except rd.DataError as err:\n"
        "    print(err)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert "not a regular file" in done.stdout, done.stderr


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_read_csv_refuses_devices(device):
    if not Path(device).exists():
        pytest.fail(f"{device} is missing on this machine")
    with pytest.raises(rd.DataError, match="not a regular file"):
        rd.data.read_csv(device)


def test_the_byte_limit_does_not_trust_the_size_it_is_told(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("year,A\n" + "1990,1\n" * 200)
    assert len(_read_bounded(path, limit=10_000)) == path.stat().st_size
    with pytest.raises(rd.DataError, match="larger than"):
        _read_bounded(path, limit=100)
    if Path("/proc/self/status").exists():  # st_size 0, content non-empty
        assert _read_bounded(Path("/proc/self/status"), limit=1_000_000)


def test_a_numeric_column_named_units_is_a_series_not_units():
    frame = _table().rename(columns={"B": "units"})
    assert rd.data.units_by_year(frame) is None
    assert list(rd.data.check(frame).columns) == ["A", "units"]


def test_treatments_read_a_unit_column_as_check_does():
    frame = _table().assign(unit=["GBP"] * 4 + ["USD"] * 6)
    frame.iloc[6, 0] = np.nan
    converted = rd.data.convert_units(frame, 4.8665)
    assert "unit" not in converted.columns and converted.attrs["units"] == "USD"
    assert np.allclose(converted["B"].iloc[:4], 4.8665 * frame["B"].iloc[:4])
    before, after = rd.data.split(frame)
    assert list(after.index) == list(YEARS[4:]) and after.attrs["units"] == "USD"
    filled = rd.data.interpolate(frame)
    assert np.isfinite(filled["A"]).all() and filled.attrs["unit_break"] == 1994
    assert len(rd.data.drop_missing(frame)) == 9
    deflated = rd.data.deflate(converted, {int(y): 100.0 for y in YEARS}, base_year=1990)
    assert np.allclose(deflated["B"], converted["B"])
