"""Property: whatever table a user hands over, ``rd.data.check`` and ``rd.fit`` either work or
refuse with a :class:`~richardson.DataError` (a fit also with a :class:`~richardson.FitError`
when too few years remain for the method); nothing else escapes, nothing allocates for the
"gaps" of dates in nanoseconds, and a fit that runs reports finite estimates of real years."""

import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import richardson as rd

VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([-9.0, -99.0, 0.0, 1.0, 1e300, -1e-300]),
    st.floats(min_value=1.0, max_value=1e6),
)


@st.composite
def tables(draw):
    n = draw(st.integers(min_value=0, max_value=12))
    kinds = ["years"] * 4 + ["ints", "floats", "dates", "periods", "text", "column", "rows"]
    kind = draw(st.sampled_from(kinds))
    consecutive = np.arange(draw(st.integers(1800, 2100)), 2200)[:n]
    if kind == "years":
        index = consecutive
    elif kind == "ints":
        first = draw(st.integers(-(10**12), 10**12))
        steps = st.one_of(st.just(1), st.integers(-(10**12), 10**12))
        index = np.cumsum([first, *draw(st.lists(steps, min_size=n, max_size=n))])[:n]
    elif kind == "floats":
        index = draw(
            st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=n, max_size=n)
        )
    elif kind == "dates":
        start = draw(st.sampled_from(["1900-01-01", "1950-06-30", "2000-01-01"]))
        freq = draw(st.sampled_from(["YS", "MS", "D", "6MS"]))
        index = pd.date_range(start, periods=n, freq=freq)
    elif kind == "periods":
        index = pd.period_range("1950", periods=n, freq=draw(st.sampled_from(["Y", "M"])))
    elif kind == "text":
        index = draw(
            st.lists(
                st.one_of(st.integers(1800, 2100).map(str), st.text(max_size=4)),
                min_size=n,
                max_size=n,
            )
        )
    else:
        index = pd.RangeIndex(n)
    values = st.floats(min_value=1.0, max_value=1e6) if draw(st.booleans()) else VALUES
    columns = {name: draw(st.lists(values, min_size=n, max_size=n)) for name in ("A", "B")}
    frame = pd.DataFrame(columns, index=index)
    if kind == "column":
        frame["year"] = draw(
            st.one_of(
                st.just(list(consecutive)),
                st.lists(st.integers(1800, 2100), min_size=n, max_size=n),
            )
        )
    units = st.lists(st.sampled_from(["GBP", "USD", ""]), min_size=n, max_size=n)
    frame["unit"] = draw(st.one_of(st.just(["constant USD"] * n), units))
    if draw(st.booleans()):
        frame = frame.drop(columns="unit")
    return frame


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_check_reports_or_refuses_any_table(frame):
    try:
        report = rd.data.check(frame)
    except rd.DataError as err:
        assert str(err).endswith((".", "?"))
        return
    assert report.n_years == len(frame)
    for issue in report.issues:
        assert len(issue.years) <= 1000


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_fit_fits_or_refuses_any_table(frame):
    model = rd.richardson2(actors=("A", "B"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = rd.fit(model, frame, method="difference", verdict=False)
        except (rd.DataError, rd.FitError) as err:  # the data, or too few years for the method
            event(f"refused: {type(err).__name__}")
            assert str(err).endswith((".", "?"))
            return
    event("fitted")
    assert np.isfinite(np.asarray(result.data.index, dtype=float)).all()
    assert np.isfinite(result.data.to_numpy(dtype=float)).all()
    assert (result.data.to_numpy(dtype=float) > 0).all()
