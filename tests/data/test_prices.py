"""Bundled price index, constant prices, military personnel and Richardson's own figures."""

from importlib import resources

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import richardson as rd

DATA = resources.files("richardson.data")


def _read_raw(name):
    """A bundled CSV read directly with pandas (independent of the loaders)."""
    with DATA.joinpath(name).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, comment="#")


@pytest.fixture(scope="module")
def cpi_raw():
    return _read_raw("us_cpi_u_annual.csv").set_index("year")["cpi_u"]


@pytest.fixture(scope="module")
def cow_raw():
    return _read_raw("nmc_v6_milex.csv").set_index(["stateabb", "year"])


def test_cpi_published_values_and_shape():
    cpi = rd.data.price_index("us_cpi_u")
    # BLS published annual averages (data README), exact to the published digits.
    published = {1913: 9.9, 1929: 17.1, 1950: 24.1, 1980: 82.4, 2000: 172.2, 2016: 240.007}
    for year, value in published.items():
        assert cpi[year] == pytest.approx(value, rel=0, abs=1e-9), year
    assert cpi.index.name == "year"
    assert cpi.index.dtype == np.int64 and cpi.dtype == np.float64
    assert cpi.index.tolist() == list(range(1913, 2026))  # 113 years, none missing
    assert (cpi > 0).all()


def test_cpi_provenance_attrs_and_fresh_copies():
    cpi = rd.data.price_index()
    attrs = cpi.attrs
    assert attrs["name"] == "us_cpi_u"
    assert attrs["series_id"] == "CUUR0000SA0"
    assert attrs["base"] == "1982-84 = 100"
    assert "Bureau of Labor Statistics" in attrs["source"]
    assert "Public domain" in attrs["licence"]
    assert "CUUR0000SA0" in attrs["citation"] and "Bureau of Labor Statistics" in attrs["citation"]
    assert "cpi 2.1.0" in attrs["obtained"]
    cpi[1950] = -1.0
    cpi.attrs["name"] = "changed"
    again = rd.data.price_index()
    assert again[1950] == 24.1 and again.attrs["name"] == "us_cpi_u"  # the cache is untouched


def test_price_indices_lists_us_cpi_u():
    listed = rd.data.price_indices()
    assert listed.index.name == "name"
    assert list(listed.index) == ["us_cpi_u"]
    row = listed.loc["us_cpi_u"]
    assert row["years"] == "1913-2025"
    assert row["base"] == "1982-84 = 100"
    assert row["series_id"] == "CUUR0000SA0"
    assert "Bureau of Labor Statistics" in row["source"]
    assert "CPI-U" in row["title"]
    assert {"price_index", "price_indices"} <= set(rd.data.__all__)


def test_unknown_price_index_suggests():
    with pytest.raises(rd.DataError, match="Did you mean 'us_cpi_u'") as err:
        rd.data.price_index("us_cpi")
    assert "price_indices()" in str(err.value) and "deflate" in str(err.value)


def test_constant_prices_cell_by_cell(cpi_raw):
    current = rd.data.load("us_ussr", level="actor")
    constant = rd.data.load("us_ussr", level="actor", prices="constant", base_year=2010)
    assert constant.index.tolist() == current.index.tolist() == list(range(1946, 1992))
    assert constant.columns.tolist() == current.columns.tolist() == ["USA", "RUS"]
    for year in current.index:
        for column in current.columns:
            expected = current.loc[year, column] * cpi_raw[2010] / cpi_raw[year]
            assert constant.loc[year, column] == pytest.approx(expected, rel=1e-12, abs=0)
    # 1950: USA 14,559,000 thousand current USD; CPI 2010 = 218.056, 1950 = 24.1
    assert constant.loc[1950, "USA"] == pytest.approx(14559000 * 218.056 / 24.1, rel=1e-12)
    blocs = rd.data.load("us_ussr", prices="constant", base_year=2010)
    assert_allclose(blocs.to_numpy(), constant.to_numpy(), rtol=1e-12, atol=0)


def test_base_year_value_unchanged_and_base_change_scales(cpi_raw):
    kwargs = {"start": 1985, "end": 2016, "level": "actor"}
    current = rd.data.load("us_ussr", **kwargs)
    in_2010 = rd.data.load("us_ussr", prices="constant", base_year=2010, **kwargs)
    assert_allclose(in_2010.loc[2010], current.loc[2010], rtol=1e-15, atol=0)
    assert not np.allclose(in_2010.loc[2005], current.loc[2005], rtol=1e-3)
    assert in_2010.loc[2005, "USA"] > current.loc[2005, "USA"]  # prices rose 2005 -> 2010
    in_1990 = rd.data.load("us_ussr", prices="constant", base_year=1990, **kwargs)
    ratio = cpi_raw[1990] / cpi_raw[2010]
    assert_allclose(in_1990.to_numpy(), in_2010.to_numpy() * ratio, rtol=1e-12, atol=0)
    assert_allclose(in_1990.loc[1990], current.loc[1990], rtol=1e-15, atol=0)


def test_constant_prices_attrs_units_treatments_note():
    current = rd.data.load("us_ussr")
    assert current.attrs["prices"] == "current" and current.attrs["measure"] == "milex"
    assert current.attrs["units"] == "thousand current USD"
    assert current.attrs["base_year"] is None and current.attrs["price_note"] == ""
    df = rd.data.load("us_ussr", prices="constant", base_year=2010)
    assert df.attrs["units"] == "thousand constant 2010 USD (US CPI-U)"
    assert df.attrs["prices"] == "constant" and df.attrs["base_year"] == 2010
    assert df.attrs["measure"] == "milex" and df.attrs["case"] == "us_ussr"
    assert "Correlates of War" in df.attrs["source"]  # provenance of the data kept
    (treatment,) = df.attrs["treatments"]
    assert "constant 2010 prices" in treatment and "CUUR0000SA0" in treatment
    assert "index[2010] / index[year]" in treatment
    note = df.attrs["price_note"]
    assert "exchange rates" in note and "approximation" in note and "(RUS)" in note
    assert rd.data.load("us_ussr", prices="constant", base_year=1990).attrs["units"] == (
        "thousand constant 1990 USD (US CPI-U)"
    )


def test_price_note_names_only_non_us_states():
    us_only = rd.data.load_states(["USA"], start=1950, end=1960, prices="constant")
    assert "CPI-U" in us_only.attrs["price_note"]
    assert "exchange rates" not in us_only.attrs["price_note"]
    allies = rd.data.load("east_asia", start=1960, end=1970, prices="constant")
    note = allies.attrs["price_note"]
    assert "exchange rates" in note and "JPN, ROK, CHN, PRK" in note and "USA," not in note


def test_sterling_era_refuses_constant_prices():
    with pytest.raises(rd.DataError, match="nothing openly licensed") as err:
        rd.data.load("pre_wwi_blocs", prices="constant")
    message = str(err.value)
    assert "rd.data.deflate(df, your_index, base_year=" in message
    assert "measure='milper'" in message and "1880-1913" in message
    # any sterling year in the span is enough, even with dollar years after it
    with pytest.raises(rd.DataError, match="1910-1913"):
        rd.data.load("us_ussr", start=1910, end=1920, prices="constant")
    with pytest.raises(rd.DataError, match="nothing openly licensed"):
        rd.data.load_states(["FRN"], prices="constant")  # all years, from 1816


def test_the_suggested_fix_works():
    df = rd.data.load("pre_wwi_blocs").loc[1909:1913]
    mine = pd.Series({1909: 90.0, 1910: 95.0, 1911: 100.0, 1912: 100.0, 1913: 125.0})
    real = rd.data.deflate(df, mine, base_year=1911)
    assert_allclose(real.loc[1913], df.loc[1913] * 100.0 / 125.0, rtol=1e-12, atol=0)
    assert real.attrs["units"] == "thousand constant 1911 GBP"
    assert "the supplied index" in real.attrs["treatments"][-1]


def test_milper_values_against_raw_csv(cow_raw):
    df = rd.data.load("pre_wwi_blocs", level="actor", measure="milper")
    for actor in ("FRN", "RUS", "GMY", "AUH"):
        for year in (1880, 1900, 1913):
            assert df.loc[year, actor] == cow_raw.loc[(actor, year), "milper"]
    assert df.loc[1913, "GMY"] == 859.0  # COW: Germany 1913, thousand personnel
    assert df.attrs["units"] == "thousand personnel"
    assert df.attrs["unit_break"] is None and df.attrs["measure"] == "milper"
    assert df.attrs["prices"] is None
    blocs = rd.data.load("pre_wwi_blocs", measure="milper")
    assert blocs.loc[1913, "Central Powers"] == (
        cow_raw.loc[("GMY", 1913), "milper"] + cow_raw.loc[("AUH", 1913), "milper"]
    )
    assert rd.data.load("pre_wwi_blocs", variable="milper").equals(blocs)  # older name


def test_milper_across_1914_has_no_unit_break():
    df = rd.data.load_states(["FRN", "GMY"], start=1910, end=1920, measure="milper")
    assert df.notna().all().all() and df.loc[1914:].gt(0).all().all()
    assert df.attrs["unit_break"] is None and df.attrs["units"] == "thousand personnel"
    assert "unit_break" not in rd.data.check(df).kinds()
    with pytest.warns(rd.RichardsonWarning, match="unit break in 1914"):
        rd.data.load_states(["FRN", "GMY"], start=1910, end=1920)  # milex does break


def test_milper_minus_nine_is_missing_and_reported(cow_raw):
    with pytest.warns(rd.RichardsonWarning, match="UKR: 1 missing value"):
        df = rd.data.load("russia_ukraine", level="actor", measure="milper")
    assert cow_raw.loc[("UKR", 1991), "milper"] == -9
    assert np.isnan(df.loc[1991, "UKR"])
    (record,) = [r for r in df.attrs["replaced"] if r["column"] == "UKR"]
    assert record["year"] == 1991 and record["value"] == -9.0
    assert record["reason"] == "coded -9 (missing) in the source"


def test_milper_zero_is_reported_as_personnel():
    with pytest.warns(rd.RichardsonWarning, match="ICE: zero personnel in 1955"):
        rd.data.load("nato_warsaw_pact", level="actor", measure="milper")


def test_non_monetary_measures_refuse_constant_prices():
    with pytest.raises(rd.DataError, match="personnel.*no prices"):
        rd.data.load("us_ussr", measure="milper", prices="constant")
    with pytest.raises(rd.DataError, match="no prices"):
        rd.data.load("us_ussr", measure="cinc", prices="constant")


def test_richardson_figures_totals_and_shape():
    df = rd.data.load("richardson_1909_1913")
    assert df.index.name == "year" and df.index.tolist() == [1909, 1910, 1911, 1912, 1913]
    assert df.columns.tolist() == ["Entente", "Central Powers"]
    assert_allclose(df.sum(axis=1), [199.2, 204.8, 214.9, 238.7, 289.0], rtol=0, atol=1e-9)
    actors = rd.data.load("richardson_1909_1913", level="actor")
    assert actors.columns.tolist() == ["France", "Russia", "Germany", "Austria_Hungary"]
    assert_allclose(actors.sum(axis=1), [199.2, 204.8, 214.9, 238.7, 289.0], rtol=0, atol=1e-9)
    assert actors.loc[1913, "Austria_Hungary"] == 26.9 and actors.loc[1909, "France"] == 48.6
    assert_allclose(actors[["France", "Russia"]].sum(axis=1), df["Entente"], rtol=0, atol=0)
    short = rd.data.load("richardson_1909_1913", start=1911)
    assert short.index.tolist() == [1911, 1912, 1913]
    with pytest.raises(rd.DataError, match="covers 1909-1913"):
        rd.data.load("richardson_1909_1913", end=1914)


def test_richardson_line_slope_and_root():
    totals = rd.data.load("richardson_1909_1913").sum(axis=1).to_numpy()
    slope, intercept = np.polyfit((totals[1:] + totals[:-1]) / 2, np.diff(totals), 1)
    assert slope == pytest.approx(0.731, abs=5e-4)  # Richardson: 0.73 per year
    assert -intercept / slope == pytest.approx(194.9, abs=0.05)  # Richardson: 194


def test_richardson_figures_attrs_and_listing():
    df = rd.data.load("richardson_1909_1913")
    attrs = df.attrs
    assert attrs["case"] == "richardson_1909_1913"
    assert "Richardson" in attrs["source"] and "1960" in attrs["source"]
    assert "Braun" in attrs["source"] and "Braun" in attrs["citation"]
    assert "Arms and Insecurity" in attrs["citation"]
    assert attrs["units"] == "million current GBP" and attrs["prices"] == "current"
    assert attrs["unit_break"] is None and attrs["licence"]
    assert "3.5-5.3% lower" in attrs["note"] and "37.5 vs Richardson 26.9" in attrs["note"]
    listed = rd.data.available()
    assert "richardson_1909_1913" in listed.index
    assert listed.loc["richardson_1909_1913", "years"] == "1909-1913"
    assert rd.data.check(df).ok


def test_richardson_note_matches_the_data(cow_raw):
    # The note's comparison with COW is computed here from the two bundled files.
    mine = rd.data.load("richardson_1909_1913", level="actor")
    codes = {"France": "FRN", "Russia": "RUS", "Germany": "GMY", "Austria_Hungary": "AUH"}
    cow = pd.DataFrame(
        {c: [cow_raw.loc[(a, y), "milex"] / 1000 for y in mine.index] for c, a in codes.items()},
        index=mine.index,
    )
    gap = 100 * (cow.sum(axis=1) / mine.sum(axis=1) - 1)
    assert round(-gap.max(), 1) == 3.5 and round(-gap.min(), 1) == 5.3
    assert (
        (cow[["France", "Russia", "Germany"]] < mine[["France", "Russia", "Germany"]]).all().all()
    )
    higher = cow["Austria_Hungary"] > mine["Austria_Hungary"]
    assert higher[higher].index.tolist() == [1909, 1912, 1913]
    assert round(cow.loc[1913, "Austria_Hungary"], 1) == 37.5


def test_richardson_figures_refuse_constant_prices_and_milper():
    with pytest.raises(rd.DataError, match="nothing openly licensed") as err:
        rd.data.load("richardson_1909_1913", prices="constant")
    assert "deflate" in str(err.value) and "milper" in str(err.value)
    with pytest.raises(rd.DataError, match="military expenditure only"):
        rd.data.load("richardson_1909_1913", measure="milper")


def test_bad_prices_measure_base_year():
    with pytest.raises(rd.DataError, match="'current', 'constant'.*Did you mean 'constant'"):
        rd.data.load("us_ussr", prices="constnt")
    with pytest.raises(rd.DataError, match="'milex', 'milper', 'cinc'.*Did you mean 'milper'"):
        rd.data.load("us_ussr", measure="milpers")
    with pytest.raises(rd.DataError, match=r"outside the years of the US CPI-U \(1913-2025\)"):
        rd.data.load("us_ussr", prices="constant", base_year=1900)
    with pytest.raises(rd.DataError, match="1913-2025"):
        rd.data.load("us_ussr", prices="constant", base_year=2030)
    with pytest.raises(rd.DataError, match="whole year"):
        rd.data.load("us_ussr", prices="constant", base_year="2010")
    with pytest.raises(rd.DataError, match="disagree"):
        rd.data.load("us_ussr", variable="cinc", measure="milper")
    # base_year is irrelevant in current prices
    assert rd.data.load("us_ussr", base_year=1900).equals(rd.data.load("us_ussr"))


def test_deflate_refuses_bad_index_values():
    df = pd.DataFrame({"A": [1.0, 2.0]}, index=[2000, 2001])
    with pytest.raises(rd.DataError, match="positive and finite.*2001"):
        rd.data.deflate(df, {2000: 100.0, 2001: float("nan")}, base_year=2000)
    with pytest.raises(rd.DataError, match="positive and finite.*2000"):
        rd.data.deflate(df, {2000: 0.0, 2001: 100.0}, base_year=2001)
    with pytest.raises(rd.DataError, match="no value for 1999"):
        rd.data.deflate(df, {2000: 100.0, 2001: 110.0}, base_year=1999)
