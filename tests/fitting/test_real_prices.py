"""Verdicts on real data: no verdict from nominal series unless asked, Richardson's own numbers.

The known truth behind the guard: a stable system whose spending is inflated by 4% a year is
judged "runaway" by a constant-coefficient fit; deflated by the same index it is judged
stable (measured below on seeded synthetic data).
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import richardson as rd
from richardson.fitting.price_basis import price_basis

YEARS = np.arange(1960, 2000)


def stable_with_shocks(seed: int) -> pd.DataFrame:
    """A stable two-nation race (a b = 0.225 > k l = 0.075) hit by yearly shocks, real terms."""
    rng = np.random.default_rng(seed)
    jacobian = np.array([[-0.5, 0.3], [0.25, -0.45]])
    grievance = np.array([20.0, 15.0])
    x, rows = np.array([60.0, 55.0]), []
    for _ in YEARS:
        rows.append(x.copy())
        x = x + (jacobian @ x + grievance) + rng.normal(0.0, 3.0, 2)
    return pd.DataFrame(rows, index=YEARS, columns=["x", "y"])


def inflated(real: pd.DataFrame, rate: float = 0.04) -> tuple[pd.DataFrame, pd.Series]:
    index = pd.Series(100.0 * (1.0 + rate) ** (YEARS - YEARS[0]), index=YEARS)
    nominal = real.mul(index / 100.0, axis=0)
    nominal.attrs["units"] = "million current USD"
    return nominal, index


@pytest.fixture(scope="module")
def us_ussr_current():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rd.RichardsonWarning)  # the 1989 revaluation jump
        return rd.data.load("us_ussr", start=1950, end=1988)


@pytest.fixture(scope="module")
def us_ussr_constant():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rd.RichardsonWarning)
        return rd.data.load("us_ussr", start=1950, end=1988, prices="constant")


def cold_war_model(frame):
    return rd.richardson2(actors=("USA", "USSR"), state_unit=frame.attrs["units"])


# ---------------------------------------------------------------------- the guard
def test_nominal_series_give_no_verdict_and_one_warning(us_ussr_current):
    with pytest.warns(rd.RichardsonWarning) as caught:
        result = rd.fit(cold_war_model(us_ussr_current), us_ussr_current, method="difference")
    ours = [w for w in caught if "regime verdict" in str(w.message)]
    assert len(ours) == 1
    message = str(ours[0].message)
    assert "current prices (thousand current USD)" in message
    assert "inflation" in message
    assert 'prices="constant"' in message and "rd.data.deflate" in message
    assert "allow_nominal=True" in message
    assert result.regime is None and result.escalation is None
    assert result.withheld == message
    assert result.price_basis == "current"
    assert "Regime: withheld" in result.summary()


def test_bootstrap_of_a_nominal_fit_gives_no_p_runaway(us_ussr_current):
    with pytest.warns(rd.RichardsonWarning, match="regime verdict"):
        result = rd.fit(cold_war_model(us_ussr_current), us_ussr_current, method="difference")
    boot = result.bootstrap(40, seed=3)
    assert boot.regimes is None and boot.margins is None
    with pytest.raises(rd.FitError, match="no P\\(runaway\\).*current prices"):
        _ = boot.p_runaway
    with pytest.raises(rd.FitError, match="current prices"):
        boot.regime_shares()
    with pytest.raises(rd.FitError, match="current prices"):
        boot.margin_quantiles()
    assert "P(runaway) and escalation margins: withheld" in boot.summary()
    assert "P(runaway)" not in repr(boot)
    assert len(boot.intervals()) == len(result.free)  # the estimates still have intervals


def test_allow_nominal_gives_the_verdict_with_its_caveat():
    nominal, _ = inflated(stable_with_shocks(0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", rd.RichardsonWarning)  # no guard warning
        result = rd.fit(
            rd.richardson2(), nominal, method="difference", allow_nominal=True, margin_over=["k"]
        )
    assert result.regime is not None and result.withheld is None
    assert result.regime.name == "runaway"  # what inflation does to a stable system
    assert any("allow_nominal=True" in note and "nominal" in note for note in result.notes)
    assert "allow_nominal=True" in result.summary()


def test_constant_prices_give_a_verdict_without_warning(us_ussr_constant):
    assert "constant 2010 USD" in us_ussr_constant.attrs["units"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", rd.RichardsonWarning)
        result = rd.fit(
            cold_war_model(us_ussr_constant),
            us_ussr_constant,
            method="difference",
            margin_over=["k"],
        )
    assert result.withheld is None and result.price_basis == "constant"
    assert result.regime is not None and result.regime.name in rd.REGIMES


@pytest.mark.parametrize(
    ("attrs", "index", "kind", "supports"),
    [
        ({"units": "thousand constant 2010 USD (US CPI-U)"}, YEARS, "constant", True),
        ({"prices": "constant", "units": "million USD"}, YEARS, "constant", True),
        ({"units": "thousand personnel"}, YEARS, "non-monetary", True),
        ({"units": "share of system capability (0-1)"}, YEARS, "non-monetary", True),
        ({"units": "thousand current GBP"}, YEARS[:5], "current", False),
        ({"units": "billion nominal dollars"}, YEARS, "current", False),
        ({"units": "million USD"}, YEARS, "unknown money", False),
        ({"units": "£ million"}, YEARS, "unknown money", False),
        ({}, YEARS, "unknown", False),  # 39 calendar years, no units
        ({}, YEARS[:8], "short", True),  # a few years: inflation cannot build up
        ({}, np.arange(0, 40), "short", True),  # synthetic time axis, not calendar years
    ],
)
def test_price_basis_read_from_attrs_and_index(attrs, index, kind, supports):
    frame = pd.DataFrame({"x": np.ones(len(index))}, index=index)
    frame.attrs.update(attrs)
    basis = price_basis(frame)
    assert basis.kind == kind
    assert basis.supports_verdict is supports


def test_series_without_units_over_decades_are_withheld_with_the_fix():
    real = stable_with_shocks(0)
    with pytest.warns(rd.RichardsonWarning, match="state no units over 39 years") as caught:
        result = rd.fit(rd.richardson2(), real, method="difference", margin_over=["k"])
    assert "df.attrs['units']" in str(caught[0].message)
    assert result.regime is None
    real.attrs["units"] = "million constant 1960 USD"
    result = rd.fit(rd.richardson2(), real, method="difference", margin_over=["k"])
    assert result.regime is not None


# ---------------------------------------------------------------------- known truth
@pytest.mark.filterwarnings("ignore:fit at a bound:richardson.errors.RichardsonWarning")
@pytest.mark.parametrize("method", ["difference", "ode"])
def test_inflation_reads_as_runaway_and_deflation_removes_it(method):
    """Six seeded stable systems inflated by 4% a year: the nominal fit calls every one
    runaway; deflated by the same index, every one is a stable balance. Measured on 10
    seeds per method: 10 of 10 both ways."""
    options = {"level_at": "start"} if method == "difference" else {}
    nominal_verdicts, deflated_verdicts = [], []
    for seed in range(6):
        nominal, index = inflated(stable_with_shocks(seed))
        deflated = rd.data.deflate(nominal, index, base_year=1960)
        assert_allclose(deflated.to_numpy(), stable_with_shocks(seed).to_numpy(), rtol=1e-12)
        # the regime of each fitted model (a fit with an estimate at a bound withholds its own
        # verdict; the estimator's reading of inflation is what is measured here)
        fitted = rd.fit(rd.richardson2(), nominal, method=method, verdict=False, **options)
        nominal_verdicts.append(rd.classify(fitted.fitted_model).name)
        fitted = rd.fit(rd.richardson2(), deflated, method=method, verdict=False, **options)
        deflated_verdicts.append(rd.classify(fitted.fitted_model).name)
    assert nominal_verdicts == ["runaway"] * 6
    assert deflated_verdicts == ["stable_balance"] * 6


# ---------------------------------------------------------------------- Richardson's numbers
def test_richardsons_own_line_from_his_table():
    """Richardson (1960), as retold by Braun: the yearly increase of the four-power total
    against the mean of consecutive totals is a line of slope 0.73 per year crossing zero at
    194 million pounds (read off his graph; the least-squares line gives 194.9)."""
    table = rd.data.load("richardson_1909_1913")
    total = rd.data.aggregate(table, {"total": ["Entente", "Central Powers"]})
    assert_allclose(total["total"].to_numpy(), [199.2, 204.8, 214.9, 238.7, 289.0], rtol=1e-12)
    model = rd.richardson_total(state_unit=total.attrs["units"])
    result = rd.fit(model, total, method="difference", level_at="midpoint", verdict=False)
    slope = result.params["growth"]
    root = -result.params["grievance"] / slope
    assert round(slope, 2) == 0.73
    assert_allclose(root, 194.0, rtol=0.005)
    # against numpy's own least squares on the same pairs (exact)
    values = total["total"].to_numpy()
    exact_slope, exact_intercept = np.polyfit(0.5 * (values[1:] + values[:-1]), np.diff(values), 1)
    assert_allclose([slope, root], [exact_slope, -exact_intercept / exact_slope], rtol=1e-10)


def test_cow_gives_a_steeper_line_than_richardsons_table():
    """COW's figures for the same four states: slope 0.832, root 189 (the data notes)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rd.RichardsonWarning)
        cow = rd.data.load("pre_wwi_blocs", start=1909, end=1913)
    total = rd.data.aggregate(cow, {"total": ["Entente", "Central Powers"]}) / 1000.0
    total.attrs["units"] = "million current GBP"
    result = rd.fit(
        rd.richardson_total(), total, method="difference", level_at="midpoint", verdict=False
    )
    slope = result.params["growth"]
    assert_allclose(slope, 0.832, atol=5e-4)
    assert_allclose(-result.params["grievance"] / slope, 189.3, atol=0.05)
