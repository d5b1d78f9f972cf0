"""Bundled data, checks and treatments (richardson.data)."""

import tomllib
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import richardson as rd

RAW = resources.files("richardson.data").joinpath("nmc_v6_milex.csv")


@pytest.fixture(scope="module")
def raw():
    """The bundled COW table read directly with pandas (independent of the loader)."""
    with RAW.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, comment="#")


def test_data_is_an_attribute_of_the_package():
    assert rd.data.load is not None
    assert "data" in rd.__all__


def test_cow_check_values_1909_1913():
    # Known values (data README): France + Russia + Germany + Austria-Hungary, thousand GBP.
    expected = [192225, 195262, 203611, 226181, 278028]
    blocs = rd.data.load("pre_wwi_blocs").loc[1909:1913]
    assert_allclose(blocs["Entente"] + blocs["Central Powers"], expected, rtol=0, atol=0)
    actors = rd.data.load("pre_wwi_blocs", level="actor").loc[1909:1913]
    assert list(actors.columns) == ["FRN", "RUS", "GMY", "AUH"]
    assert_allclose(actors.sum(axis=1), expected, rtol=0, atol=0)


def test_provenance_in_attrs():
    df = rd.data.load("pre_wwi_blocs")
    assert "Correlates of War" in df.attrs["source"]
    assert "6.0" in df.attrs["version"]
    assert "Singer" in df.attrs["citation"] and "1972" in df.attrs["citation"]
    assert df.attrs["licence"]
    assert df.attrs["units"] == "thousand current GBP"
    assert df.attrs["unit_break"] is None
    assert rd.data.check(df).ok
    assert rd.data.load("us_ussr").attrs["units"] == "thousand current USD"


def test_available_lists_every_case_and_members_exist(raw):
    with resources.files("richardson.data").joinpath("cases.toml").open("rb") as handle:
        cases = tomllib.load(handle)
    listed = rd.data.available()
    assert set(listed.index) == set(cases)
    assert {"pre_wwi_blocs", "us_ussr", "greece_turkey", "india_pakistan"} <= set(listed.index)
    known = set(raw["stateabb"])
    for case in cases.values():
        for member in case["members"]:
            assert member["actor"] in known
            assert member["from"] <= member["to"]


def test_optional_members_and_membership_dates(raw):
    with_optional = rd.data.load("pre_wwi_blocs", include_optional=True, level="actor")
    assert {"UKG", "ITA"} <= set(with_optional.columns)
    blocs = rd.data.load("pre_wwi_blocs", include_optional=True)
    # Italy joins the Central Powers' total in 1882 (Triple Alliance), not before
    year = raw.set_index(["stateabb", "year"])["milex"]
    assert blocs.loc[1881, "Central Powers"] == year["GMY", 1881] + year["AUH", 1881]
    assert blocs.loc[1882, "Central Powers"] == (
        year["GMY", 1882] + year["AUH", 1882] + year["ITA", 1882]
    )


def test_nato_enlargement_follows_dates(raw):
    nato = rd.data.load("nato_warsaw_pact", start=1981, end=1982)
    members = rd.data.memberships("nato_warsaw_pact")
    year = raw.set_index(["stateabb", "year"])["milex"]
    for y in (1981, 1982):
        active = members[(members.bloc == "NATO") & (members["from"] <= y) & (members["to"] >= y)]
        assert nato.loc[y, "NATO"] == sum(year[a, y] for a in active.actor)
    assert "SPN" in set(members.actor)


def test_pakistan_zero_is_flagged_not_fitted():
    with pytest.warns(rd.RichardsonWarning, match="Pakistan: zero spending in 1947"):
        df = rd.data.load("india_pakistan", start=1947)
    assert df.loc[1947, "Pakistan"] == 0.0
    report = rd.data.check(df)
    assert not report.ok and report.of_kind("zero")[0].years == (1947,)
    with pytest.raises(rd.DataError, match="zero spending in 1947"):
        rd.fit(rd.richardson2(actors=("India", "Pakistan")), df, method="difference")
    assert rd.data.check(rd.data.load("india_pakistan")).ok  # the case starts in 1948


def test_minus_nine_is_missing_and_every_cell_reported(raw):
    with pytest.warns(rd.RichardsonWarning, match="needs a choice"):
        df = rd.data.load("iran_iraq", level="actor")
    rows = raw.stateabb.isin(["IRN", "IRQ"]) & raw.year.between(1950, 2016)
    coded = raw[rows & (raw.milex == -9)]
    expected = {(r.stateabb, int(r.year)) for r in coded.itertuples()}
    reported = {(r["column"], r["year"]) for r in df.attrs["replaced"] if r["value"] == -9}
    assert reported == expected and expected
    assert df.isna().sum().sum() == len(expected)
    missing = rd.data.check(df).of_kind("missing")
    assert {(i.column, y) for i in missing for y in i.years} == expected


def test_unit_break_detected_split_and_converted():
    with pytest.warns(rd.RichardsonWarning, match="unit break in 1914"):
        df = rd.data.load("us_ussr", start=1910, end=1920, level="actor")
    report = rd.data.check(df)
    assert "unit_break" in report.kinds() and not report.ok
    before, after = rd.data.split(df)
    assert before.index.max() == 1913 and after.index.min() == 1914
    assert before.attrs["units"] == "thousand current GBP"
    assert after.attrs["units"] == "thousand current USD"
    assert "unit_break" not in rd.data.check(before).kinds()
    converted = rd.data.convert_units(df, rate=4.8665)
    assert_allclose(converted.loc[:1913], df.loc[:1913] * 4.8665)
    assert_allclose(converted.loc[1914:], df.loc[1914:])
    assert converted.attrs["unit_break"] is None
    assert "4.8665" in converted.attrs["treatments"][-1]
    with pytest.raises(rd.DataError, match="positive"):
        rd.data.convert_units(df, rate=-1)


def test_check_finds_repeats_disorder_gaps_jumps_zeros():
    df = pd.DataFrame(
        {"A": [1.0, 2.0, 2.0, 0.0, 9.0], "B": [1.0, 1.0, 1.0, 1.0, 1.0]},
        index=[1900, 1902, 1901, 1901, 1905],
    )
    report = rd.data.check(df)
    assert report.of_kind("duplicate_year")[0].years == (1901,)
    assert report.of_kind("non_monotonic")[0].years == (1901,)
    assert report.of_kind("gap")[0].years == (1903, 1904)
    assert report.of_kind("zero")[0].years == (1901,)
    assert not report.ok
    assert "BLOCKS FIT" in report.summary() and "Fix:" in report.summary()
    jumps = rd.data.check(pd.DataFrame({"A": [10.0, 11.0, 30.0, 31.0]}, index=[1, 2, 3, 4]))
    assert jumps.of_kind("jump")[0].years == (3,) and jumps.ok


def test_treatments_interpolate_drop_aggregate_deflate():
    df = pd.DataFrame(
        {"A": [1.0, np.nan, 4.0, 8.0], "B": [2.0, 2.0, np.nan, 2.0]}, index=[1900, 1901, 1902, 1904]
    )
    linear = rd.data.interpolate(df)
    assert linear.index.tolist() == [1900, 1901, 1902, 1903, 1904]
    assert_allclose(linear["A"], [1.0, 2.5, 4.0, 6.0, 8.0])
    logged = rd.data.interpolate(df, method="log")
    assert_allclose(logged.loc[1901, "A"], 2.0)  # geometric mean of 1 and 4
    assert_allclose(logged.loc[1903, "A"], np.sqrt(32.0))
    assert "A 1901" in linear.attrs["treatments"][-1]
    dropped = rd.data.drop_missing(df)
    assert dropped.index.tolist() == [1900, 1904]
    assert "1901, 1902" in dropped.attrs["treatments"][-1]
    blocs = rd.data.aggregate(df, {"AB": ["A", "B"]})
    assert_allclose(blocs["AB"], [3.0, np.nan, np.nan, 10.0])
    prices = {1900: 100.0, 1901: 110.0, 1902: 121.0, 1904: 200.0}
    real = rd.data.deflate(df, prices, base_year=1900)
    assert_allclose(real.loc[1904, "A"], 8.0 * 100.0 / 200.0)
    with pytest.raises(rd.DataError, match="1903"):
        rd.data.deflate(df, {**prices, 1904: None} | {1905: 1.0}, base_year=1903)


def test_read_csv_wide_and_long(tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text("# my series\nyear,Aland,Bland\n2000,10,20\n2001,-9,21\n2002,12,22\n")
    with pytest.warns(rd.RichardsonWarning, match="missing"):
        df = rd.data.read_csv(wide, units="million USD", source="test")
    assert df.columns.tolist() == ["Aland", "Bland"]
    assert np.isnan(df.loc[2001, "Aland"]) and df.attrs["units"] == "million USD"
    assert df.attrs["replaced"][0]["reason"].startswith("coded -9")
    long = tmp_path / "long.csv"
    long.write_text("country,yr,spend\nA,2001,2\nA,2000,1\nB,2001,4\nB,2000,3\n")
    with pytest.warns(rd.RichardsonWarning, match="out of order"):
        df = rd.data.read_csv(long, year="yr", actor="country", value="spend")
    assert df.index.tolist() == [2001, 2000]  # kept as given: reported, never re-sorted
    assert df.loc[2000, "B"] == 3
    with pytest.raises(rd.DataError, match="Did you mean 'yr'"):
        rd.data.read_csv(long, year="yrs")


def test_unknown_case_suggests():
    with pytest.raises(rd.DataError, match="Did you mean 'us_ussr'"):
        rd.data.load("us_usr")
