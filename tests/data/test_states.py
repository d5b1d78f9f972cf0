"""States by name or code (rd.data.load_states, state_code) and price indices as tables."""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import richardson as rd
from richardson.data._loaders import _cow_table


def test_the_state_list_pairs_codes_as_the_nmc_table_does():
    names = rd.data.state_names()
    nmc = _cow_table()[["stateabb", "ccode"]].drop_duplicates().set_index("stateabb")
    assert sorted(names.index) == sorted(nmc.index)  # every NMC state has a name, no extra
    assert (names.loc[nmc.index, "ccode"] == nmc["ccode"]).all()
    # COW's own codes (State System Membership List): Greece 350, Turkey 640, USA 2
    assert names.loc["GRC", "statenme"] == "Greece" and names.loc["GRC", "ccode"] == 350
    assert names.loc["TUR", "ccode"] == 640 and names.loc["USA", "ccode"] == 2


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("GRC", "GRC"),
        ("grc", "GRC"),
        ("Greece", "GRC"),
        ("  greece ", "GRC"),
        ("TURKEY", "TUR"),
        ("United States", "USA"),  # begins only one COW name
        ("united states of america", "USA"),
        ("Antigua and Barbuda", "AAB"),  # COW writes '&'
        ("Congo", "CON"),  # an exact name wins over a longer one containing it
        ("Soviet Union", "RUS"),
        ("West Germany", "GFR"),
    ],
)
def test_state_code_reads_codes_and_names(text, code):
    assert rd.data.state_code(text) == code


def test_an_unknown_state_names_the_closest_ones():
    with pytest.raises(rd.DataError, match=r"'Greece' \(GRC\)"):
        rd.data.state_code("Grece")
    with pytest.raises(rd.DataError) as err:
        rd.data.state_code("United")  # begins three names: no guess
    assert all(code in str(err.value) for code in ("(UAE)", "(UKG)", "(USA)"))
    with pytest.raises(rd.DataError, match="state_names"):
        rd.data.state_code("Atlantis")
    with pytest.raises(rd.DataError, match="COW code or name"):
        rd.data.state_code("")


def test_load_states_by_name_equals_by_code():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rd.RichardsonWarning)  # the 1913/1914 unit break
        by_code = rd.data.load_states(["GRC", "TUR"], 1950, 1990)
        by_name = rd.data.load_states(["Greece", "turkey"], 1950, 1990)
    pd.testing.assert_frame_equal(by_name, by_code)
    assert list(by_name.columns) == ["GRC", "TUR"]
    with pytest.raises(rd.DataError, match="Did you mean 'Turkey'"):
        rd.data.load_states(["Greece", "Turky"], 1950, 1990)


def test_deflate_takes_a_one_column_table_as_the_index():
    df = pd.DataFrame({"A": [10.0, 22.0, 36.0]}, index=[2000, 2001, 2002])
    exact = [10.0, 20.0, 30.0]  # value * 100 / index
    series = pd.Series([100.0, 110.0, 120.0], index=[2000, 2001, 2002])
    for index in (
        series,
        series.to_dict(),
        series.to_frame("cpi"),
        pd.DataFrame({"year": [2000, 2001, 2002], "cpi": [100.0, 110.0, 120.0]}),
    ):
        assert_allclose(rd.data.deflate(df, index, base_year=2000)["A"], exact, rtol=1e-15)
    cpi = rd.data.price_index("us_cpi_u")
    frame = cpi.to_frame("cpi")
    frame.attrs = dict(cpi.attrs)
    nominal = pd.DataFrame({"A": [1.0, 1.0]}, index=[1990, 2010])
    a, b = (rd.data.deflate(nominal, i, base_year=2010) for i in (cpi, frame))
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs["units"] == b.attrs["units"] and "CPI-U" in b.attrs["price_index"]
    assert_allclose(a["A"], [cpi[2010] / cpi[1990], 1.0], rtol=1e-15)


def test_deflate_refuses_a_table_of_several_columns():
    df = pd.DataFrame({"A": [1.0]}, index=[2000])
    two = pd.DataFrame({"cpi": [100.0], "ppi": [90.0]}, index=[2000])
    with pytest.raises(rd.DataError, match=r"2 value columns \['cpi', 'ppi'\]"):
        rd.data.deflate(df, two, base_year=2000)
    with pytest.raises(rd.DataError, match="numbers by year"):
        rd.data.deflate(df, {2000: "high"}, base_year=2000)
    assert np.isfinite(rd.data.deflate(df, two[["cpi"]], base_year=2000)["A"]).all()
