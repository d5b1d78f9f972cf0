"""``rd.fit`` on frames that did not come through ``rd.data``: the same checks, the fix named.

Each case of ``BAD_FRAMES`` is a frame a careless user could hand to ``fit``; each must be
refused with a :class:`~richardson.DataError` naming the problem, under both methods. The
count of cases is the "tried" figure of the issue's data area (all rejected, none crashed).
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import richardson as rd

YEARS = np.arange(1950, 1970)


def _clean() -> pd.DataFrame:
    """Two growing series of a stable pair, no attrs (as a user builds them)."""
    model = rd.richardson2(k=0.3, l=0.2, a=0.5, b=0.6, g=5.0, h=4.0, actors=("A", "B"))
    run = rd.simulate(model, (1950, 1969), [10.0, 12.0], t_eval=YEARS)
    return pd.DataFrame(run.values, index=YEARS, columns=["A", "B"])


def _with(change):
    frame = _clean()
    change(frame)
    return frame


def _set(row, column, value):
    def change(frame):
        frame.iloc[row, frame.columns.get_loc(column)] = value

    return change


BAD_FRAMES = {
    "cow code -9": (lambda: _with(_set(3, "A", -9.0)), "missing-value code"),
    "code -99": (lambda: _with(_set(5, "B", -99.0)), "missing-value code"),
    "code -999": (lambda: _with(_set(0, "A", -999.0)), "missing-value code"),
    "negative": (lambda: _with(_set(7, "B", -3.5)), "negative values in 1957"),
    "all negative": (lambda: -_clean(), "negative values"),
    "constant": (lambda: _clean().assign(A=42.0), "the same value 42 in every year"),
    "constant zero": (lambda: _clean().assign(B=0.0), "zero spending"),
    "zero": (lambda: _with(_set(2, "A", 0.0)), "zero spending in 1952"),
    "nan": (lambda: _with(_set(4, "A", np.nan)), "missing value"),
    "inf": (lambda: _with(_set(4, "B", np.inf)), "missing value"),
    "duplicated year": (lambda: _clean().iloc[[0, 1, 2, 2, 3, 4, 5, 6]], "years repeated: 1952"),
    "unsorted years": (lambda: _clean().iloc[::-1], "sort the years"),
    "shuffled years": (lambda: _clean().iloc[[0, 2, 1, 3, 4, 5]], "out of order"),
    "text column": (lambda: _clean().astype({"A": str}), "not numeric"),
    "unit column changes": (
        lambda: _clean().assign(unit=["GBP"] * 10 + ["USD"] * 10),
        "unit break in 1960",
    ),
    "units argument changes": (
        lambda: (_clean(), {"units": {y: "GBP" if y < 1965 else "USD" for y in YEARS}}),
        "unit break in 1965",
    ),
    "units series misses a year": (
        lambda: (_clean(), {"units": pd.Series("USD", index=YEARS[1:])}),
        "no unit is stated for 1 year",
    ),
    "attrs break after concat": (
        lambda: pd.concat([_clean().iloc[:8], _clean().iloc[8:]]).pipe(_attrs_break),
        "unit break in 1955",
    ),
    "datetime index, two rows a year": (
        lambda: _clean().set_axis(pd.date_range("1950-01-01", periods=20, freq="6MS")),
        "years repeated",
    ),
    "string years": (
        lambda: _clean().set_axis([f"y{y}" for y in YEARS]),
        "the index must hold years",
    ),
    "missing year in index": (
        lambda: _clean().set_axis([*YEARS[:-1].astype(float), np.nan]),
        "missing or infinite year",
    ),
    "two year columns": (
        lambda: _clean().reset_index(drop=True).assign(year=YEARS, Year=YEARS),
        "several year columns",
    ),
    "multiindex": (
        lambda: _clean().set_axis(pd.MultiIndex.from_arrays([YEARS, YEARS])),
        "several levels",
    ),
    "bool index": (lambda: _clean().iloc[:2].set_axis([True, False]), "index must hold years"),
    "two unit columns": (
        lambda: _clean().assign(unit="USD", currency="USD"),
        "several unit columns",
    ),
    "not a frame": (lambda: [1.0, 2.0, 3.0], "must be a pandas DataFrame"),
}


#: The fix each refusal must name.
FIXES = {
    "cow code -9": "df.replace(-9",
    "code -99": "df.replace(-9",
    "code -999": "df.replace(-9",
    "negative": "df.mask(df < 0)",
    "all negative": "df.mask(df < 0)",
    "constant": "fit the other actors",
    "constant zero": "treat it as missing",
    "zero": "treat it as missing",
    "nan": "drop_missing",
    "inf": "drop_missing",
    "duplicated year": "df.index.duplicated",
    "unsorted years": "df.sort_index()",
    "shuffled years": "df.sort_index()",
    "text column": "pandas.to_numeric",
    "unit column changes": "richardson.data.split",
    "units argument changes": "richardson.data.split",
    "units series misses a year": "give a unit",
    "attrs break after concat": "convert_units",
    "datetime index, two rows a year": "df.index.duplicated",
    "string years": "df.set_index('year')",
    "missing year in index": "df[df.index.notna()]",
    "two year columns": "set it as the index",
    "multiindex": "df.reset_index()",
    "bool index": "df.set_index('year')",
    "two unit columns": "keep one",
    "not a frame": "one column per actor",
}


def _attrs_break(frame):
    frame.attrs = {"unit_break": 1955, "unit_before": "GBP", "unit_after": "USD"}
    return frame


@pytest.mark.parametrize("method", ["difference", "ode"])
@pytest.mark.parametrize("case", sorted(BAD_FRAMES))
def test_a_bad_frame_is_refused_with_the_fix(case, method):
    make, fragment = BAD_FRAMES[case]
    made = make()
    frame, options = made if isinstance(made, tuple) else (made, {})
    model = rd.richardson2(actors=("A", "B"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rd.RichardsonWarning)
        with pytest.raises(rd.DataError, match=fragment) as err:
            rd.fit(model, frame, method=method, verdict=False, **options)
    message = str(err.value)
    assert FIXES[case] in message, message
    assert message.rstrip().endswith((".", "?")), message


def test_the_corpus_of_bad_frames_is_large_enough():
    assert len(BAD_FRAMES) >= 25 and set(FIXES) == set(BAD_FRAMES)


def test_check_reports_what_fit_refuses():
    report = rd.data.check(_with(_set(3, "A", -9.0)))
    assert not report.ok and report.of_kind("missing_code")[0].years == (1953,)
    report = rd.data.check(_clean().assign(A=1.0))
    assert report.of_kind("constant")[0].column == "A" and not report.ok
    assert rd.data.check(_clean()).ok


def test_a_datetime_index_gives_its_years_and_the_same_fit():
    plain = _clean()
    dated = plain.set_axis(pd.date_range("1950", periods=20, freq="YS"))
    report = rd.data.check(dated)  # once tried to allocate 230 TiB for the "gaps"
    assert report.ok and report.n_years == 20
    model = rd.richardson2(actors=("A", "B"))
    by_year = rd.fit(model, plain, method="difference", verdict=False)
    by_date = rd.fit(model, dated, method="difference", verdict=False)
    assert list(by_date.data.index) == list(YEARS)
    assert_allclose(list(by_date.params.values()), list(by_year.params.values()), rtol=1e-12)
    periods = plain.set_axis(pd.period_range("1950", periods=20, freq="Y"))
    assert list(rd.fit(model, periods, method="difference", verdict=False).data.index) == list(
        YEARS
    )


def test_years_in_a_column_are_the_years_not_row_numbers():
    plain = _clean()
    as_column = plain.reset_index(names="year")
    model = rd.richardson2(actors=("A", "B"))
    result = rd.fit(model, as_column, method="ode", verdict=False)
    assert list(result.data.index) == list(YEARS)
    # the ODE fit reads the times: the same fit as with the years as index
    by_index = rd.fit(model, plain, method="ode", verdict=False)
    assert_allclose(list(result.params.values()), list(by_index.params.values()), rtol=1e-8)


def test_a_gap_of_absurd_years_is_counted_not_listed():
    frame = _clean().iloc[:3].set_axis([0.0, 1.0, 1e15])
    gap = rd.data.check(frame).of_kind("gap")[0]
    assert len(gap.years) <= 1000 and "999999999999998 years" in gap.message


def test_the_unit_break_survives_pandas_operations_in_a_unit_column():
    frame = _clean()
    frame["unit"] = ["thousand current GBP"] * 10 + ["thousand current USD"] * 10
    # ordinary pandas steps keep a column, whatever they do to attrs
    rebuilt = pd.DataFrame(frame.to_dict())
    stacked = pd.concat([frame.iloc[:12], frame.iloc[12:]])
    for variant in (frame.copy(), frame.loc[1955:1966], rebuilt, stacked):
        variant.attrs = {}
        with pytest.raises(rd.DataError, match="unit break in 1960"):
            rd.fit(rd.richardson2(actors=("A", "B")), variant, method="difference")
        assert "unit_break" in rd.data.check(variant).kinds()
    # one side of the break fits, labelled in the data's unit
    with pytest.warns(rd.RichardsonWarning, match="current prices"):
        result = rd.fit(rd.richardson2(actors=("A", "B")), frame.loc[1960:], method="difference")
    assert result.price_basis == "current"
    assert "thousand current USD/year" in result.summary()


def test_units_by_year_reads_the_loaders_attrs():
    with pytest.warns(rd.RichardsonWarning, match="unit break in 1914"):
        df = rd.data.load("pre_wwi_blocs", start=1905, end=1913 + 7)
    units = rd.data.units_by_year(df)
    assert units.loc[1913] == "thousand current GBP" and units.loc[1914] == "thousand current USD"
    df["unit"] = units
    df.attrs = {}
    report = rd.data.check(df)
    assert report.of_kind("unit_break")[0].years == (1914,)


def test_an_explicit_unit_labels_the_estimates_not_the_model_file():
    model = rd.load_model(
        __import__("pathlib").Path(__file__).resolve().parents[2]
        / "models"
        / "classic_two_nation.toml"
    )
    frame = _clean().set_axis(["Entente", "Central Powers"], axis=1)
    result = rd.fit(
        model,
        frame,
        method="difference",
        units="thousand constant 2010 USD",
        verdict=False,
    )
    text = result.summary()
    assert "thousand constant 2010 USD/year" in text
    assert "million GBP (current)/year" not in text
    assert result.fitted_model.state_unit == "thousand constant 2010 USD"
    assert result.price_basis == "constant"
    assert any("is not the data's" in note for note in result.notes)
