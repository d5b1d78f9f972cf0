"""Fitting (richardson.fit), uncertainty and the bootstrap (richardson.bootstrap)."""

import concurrent.futures
import functools
import math
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.linalg
import scipy.stats
import sympy as sp
from numpy.testing import assert_allclose

import richardson as rd
from richardson.fitting.ode import batched_expm, batched_least_squares, least_squares

# ``rd.bootstrap`` is the function; its module (shadowed by it) is reached through sys.modules
bootstrap_module = sys.modules["richardson.fitting.resampling"]

TRUE = {"k": 0.3, "l": 0.25, "a": 0.5, "b": 0.6, "g": 2.0, "h": 1.5}
YEARS = np.arange(0, 21)


@functools.cache
def _clean() -> np.ndarray:
    model = rd.richardson2(**TRUE)
    return rd.simulate(
        model, (0, 20), y0=[1.0, 3.0], t_eval=YEARS.astype(float), method="exact"
    ).values


def synthetic(noise: float, seed: int) -> pd.DataFrame:
    """Exact (matrix-exponential) trajectory of the true model plus Gaussian noise."""
    clean = _clean()
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        clean + rng.normal(0.0, noise, clean.shape), index=YEARS, columns=["x", "y"]
    )


@pytest.fixture(scope="module")
def pre_wwi():
    return rd.data.load("pre_wwi_blocs")


# ---------------------------------------------------------------------- difference method
def test_pre1914_total_line_matches_polyfit(pre_wwi):
    """Richardson (1960): yearly change of the two blocs' total against the total, 1909-1913."""
    blocs = pre_wwi.loc[1909:1913]
    total = (blocs["Entente"] + blocs["Central Powers"]).to_numpy(dtype=float)
    change = np.diff(total)
    middle = 0.5 * (total[1:] + total[:-1])
    slope, intercept = np.polyfit(middle, change, 1)
    data = rd.data.aggregate(blocs, {"total": ["Entente", "Central Powers"]})
    # Richardson's own reading, on his current-price series (five years: asked for explicitly)
    result = rd.fit(
        rd.richardson_total(), data, method="difference", level_at="midpoint", allow_nominal=True
    )
    assert_allclose(result.params["growth"], slope, rtol=1e-10)
    assert_allclose(result.params["grievance"], intercept, rtol=1e-10)
    # levels at the start of each year: another independent polyfit
    start = rd.fit(
        rd.richardson_total(), data, method="difference", level_at="start", verdict=False
    )
    assert_allclose(
        np.polyfit(total[:-1], change, 1),
        [start.params["growth"], start.params["grievance"]],
        rtol=1e-10,
    )
    # OLS standard error of the slope, by the textbook formula
    residual = change - (slope * middle + intercept)
    s2 = residual @ residual / (len(change) - 2)
    se_slope = math.sqrt(s2 / np.sum((middle - middle.mean()) ** 2))
    assert_allclose(result.stderr["growth"], se_slope, rtol=1e-10)
    t = scipy.stats.t.ppf(0.975, len(change) - 2)
    assert_allclose(
        result.intervals.loc["growth"], [slope - t * se_slope, slope + t * se_slope], rtol=1e-10
    )
    # a positive slope means totals above the root grow without bound: Richardson's reading
    # with a negative intercept (goodwill) that root is a threshold: Richardson's reading,
    # and the 1913 total lies above it
    assert slope > 0 and intercept < 0 and result.regime.name == "threshold"
    assert result.regime.fate == "runaway" and -intercept / slope < total[-1]
    assert "runaway" in result.summary() and "growth" in result.summary()


def test_difference_fit_equals_per_equation_least_squares(pre_wwi):
    model = rd.richardson2(actors=("Entente", "Central Powers"))
    result = rd.fit(model, pre_wwi, method="difference", level_at="midpoint", verdict=False)
    values = pre_wwi.to_numpy(dtype=float)
    dy = np.diff(values, axis=0)
    mid = 0.5 * (values[1:] + values[:-1])
    ones = np.ones(len(dy))
    # dx = k y - a x + g ; dy = l x - b y + h
    kx = np.linalg.lstsq(np.column_stack([mid[:, 1], -mid[:, 0], ones]), dy[:, 0], rcond=None)[0]
    ly = np.linalg.lstsq(np.column_stack([mid[:, 0], -mid[:, 1], ones]), dy[:, 1], rcond=None)[0]
    got = [result.params[n] for n in ("k", "a", "g", "l", "b", "h")]
    assert_allclose(got, [*kx, *ly], rtol=1e-9)
    assert len(result.regressions) == 2
    hac = rd.fit(model, pre_wwi, method="difference", level_at="midpoint", hac=True, verdict=False)
    assert_allclose(hac.params["k"], result.params["k"], rtol=1e-12)  # same estimates
    assert hac.stderr["k"] != result.stderr["k"]  # other standard errors
    assert hac.diagnostics["Entente"]["cov_type"] == "HAC"
    # the default evaluates the levels at the start of each year: another lstsq
    start = rd.fit(model, pre_wwi, method="difference", verdict=False)
    lag = values[:-1]
    kx = np.linalg.lstsq(np.column_stack([lag[:, 1], -lag[:, 0], ones]), dy[:, 0], rcond=None)[0]
    assert_allclose([start.params[n] for n in ("k", "a", "g")], kx, rtol=1e-9)


def test_midpoint_levels_lose_the_fatigue_of_a_stationary_series():
    """Cov(x[t+1] - x[t], (x[t] + x[t+1]) / 2) = 0 for a stationary series: on a long AR(1)
    x[t+1] = 0.6 x[t] + e (fatigue 0.4 per year) the midpoint slope is near zero while the
    start-of-year slope recovers -0.4. Measured: midpoint -0.003, start -0.401 (20,000 years)."""
    rng = np.random.default_rng(7)
    x = np.zeros(20_000)
    for t in range(1, x.size):
        x[t] = 0.6 * x[t - 1] + rng.normal()
    frame = pd.DataFrame({"x": x + 10.0}, index=np.arange(x.size))
    state, a, g = sp.symbols("x a g")
    model = rd.Model(["x"], {"a": 0.1, "g": 1.0}, [-a * state + g])
    start = rd.fit(model, frame, method="difference", verdict=False)
    middle = rd.fit(model, frame, method="difference", level_at="midpoint", verdict=False)
    assert abs(start.params["a"] - 0.4) < 0.02  # about 3 standard errors (0.006)
    assert abs(middle.params["a"]) < 0.02  # the fatigue is gone


def test_difference_fixed_parameter_and_map_model():
    data = synthetic(0.0, 0)
    fixed = rd.fit(rd.richardson2(), data, method="difference", fixed={"g": 2.0}, verdict=False)
    assert fixed.params["g"] == 2.0 and "g" not in fixed.free and np.isnan(fixed.stderr["g"])
    # a map x[n+1] = c x[n] + d is recovered exactly from noise-free data
    x, c, d = sp.symbols("x c d")
    mapping = rd.Model(["x"], {"c": 0.8, "d": 1.0}, [c * x + d], kind="map")
    series = [2.0]
    for _ in range(10):
        series.append(0.8 * series[-1] + 1.0)
    frame = pd.DataFrame({"x": series}, index=range(11))
    result = rd.fit(mapping, frame, method="difference", verdict=False)
    assert_allclose([result.params["c"], result.params["d"]], [0.8, 1.0], rtol=1e-10)


def test_difference_needs_linear_in_parameters():
    x, y, k = sp.symbols("x y k")
    model = rd.Model(["x", "y"], {"k": 0.5}, [-(k**2) * x, -y])
    with pytest.raises(rd.FitError, match="linear in"):
        rd.fit(model, synthetic(0.1, 0), method="difference")


# ---------------------------------------------------------------------- ODE method
def test_ode_fit_recovers_noise_free_parameters():
    model = rd.richardson2(k=0.5, l=0.5, a=0.8, b=0.8, g=1.0, h=1.0)  # wrong on purpose
    result = rd.fit(model, synthetic(0.0, 0), verdict=False, ci="wald")
    got = [result.params[n] for n in TRUE] + [result.params["x(t0)"], result.params["y(t0)"]]
    assert_allclose(got, [*TRUE.values(), 1.0, 3.0], rtol=1e-6)
    assert result.rss < 1e-12 and result.success


def test_sensitivities_exact_vs_rk45_vs_finite_differences():
    result = rd.fit(rd.richardson2(**TRUE), synthetic(0.1, 1), verdict=False, ci="wald")
    problem = result._problem
    theta = result._theta[:, None]
    _, exact, _ = problem.solve(theta)
    problem.exact_linear = False
    predicted, numeric, _ = problem.solve(theta)
    problem.exact_linear = True
    assert_allclose(numeric, exact, rtol=1e-5, atol=1e-6)
    for q in range(problem.q):
        step = 1e-6 * max(1.0, abs(theta[q, 0]))
        up, down = theta.copy(), theta.copy()
        up[q] += step
        down[q] -= step
        fd = (problem.solve(up, False)[0] - problem.solve(down, False)[0]) / (2 * step)
        assert_allclose(exact[:, :, q, 0], fd[:, :, 0], rtol=1e-5, atol=1e-6)


def test_batched_expm_matches_scipy(rng):
    stack = rng.normal(0.0, 0.6, size=(50, 9, 9))
    stack[:, :, -1] *= 300.0  # grievance-sized forcing column
    stack[:, -1, :] = 0.0
    assert_allclose(batched_expm(stack), scipy.linalg.expm(stack), rtol=1e-10, atol=1e-8)


def test_profile_equals_t_interval_when_trajectory_is_linear_in_parameters():
    # dx/dt = g gives x(t) = x0 + g t: linear in (g, x0), so the profile-likelihood limits
    # (F form) coincide with the t intervals exactly.
    x, g = sp.symbols("x g")
    model = rd.Model(["x"], {"g": 1.0}, [g + 0 * x])
    rng = np.random.default_rng(3)
    data = pd.DataFrame({"x": 5.0 + 0.7 * YEARS + rng.normal(0, 0.3, YEARS.size)}, index=YEARS)
    result = rd.fit(model, data, verdict=False, ci="profile")
    wald = result.conf_int(method="wald")
    assert result.intervals.attrs["method"] == "profile"
    assert_allclose(result.intervals.loc["g"], wald.loc["g"], rtol=1e-6)
    slope, _ = np.polyfit(YEARS, data["x"], 1)
    assert_allclose(result.params["g"], slope, rtol=1e-8)


@pytest.mark.slow
def test_synthetic_recovery_coverage():
    """95% profile intervals cover the true values in about 95% of seeded repetitions.

    40 repetitions x 6 parameters = 240 coverage events. If the intervals were exact, the
    pooled count would be about Binomial(240, 0.95): mean 228, sd 3.4; we accept >= 216
    (90%; a lower-tail probability near 2e-4) and <= 239 (intervals that always cover are too
    wide), and >= 32/40 per parameter (P(X <= 31 | 40, 0.95) ~ 1e-4).
    """
    model = rd.richardson2(**TRUE)
    hits = []
    for rep in range(40):
        result = rd.fit(model, synthetic(0.1, 1000 + rep), verdict=False)
        ci = result.intervals
        hits.append([ci.loc[n, "lower"] <= v <= ci.loc[n, "upper"] for n, v in TRUE.items()])
    hits = np.array(hits)
    assert 216 <= hits.sum() <= 239
    assert np.all(hits.sum(axis=0) >= 32)


def test_fixed_bounds_starts_log_and_information_criteria():
    data = synthetic(0.05, 2)
    model = rd.richardson2(**TRUE)
    free = rd.fit(model, data, verdict=False, ci="wald", n_starts=3, seed=1, search="local")
    assert len(free.diagnostics["starts"]) == 3
    coupled_off = rd.fit(model, data, fixed={"k": 0.0, "l": 0.0}, verdict=False, ci="wald")
    assert coupled_off.params["k"] == 0.0 and "k" not in coupled_off.free
    n = free.n_obs
    loglike = -0.5 * n * (math.log(2 * math.pi * free.rss / n) + 1)
    assert_allclose(free.loglike, loglike, rtol=1e-12)
    assert_allclose(free.aic, -2 * loglike + 2 * len(free.free), rtol=1e-12)
    assert_allclose(free.bic, -2 * loglike + len(free.free) * math.log(n), rtol=1e-12)
    assert free.aic < coupled_off.aic  # the true model has coupling
    with pytest.warns(rd.RichardsonWarning, match="fit at a bound"):
        bounded = rd.fit(model, data, bounds={"k": (0.0, 0.2)}, verdict=False, ci="wald")
    assert_allclose(bounded.params["k"], 0.2)
    logged = rd.fit(model, data, log=True, verdict=False, ci="wald")
    assert_allclose([logged.params[n] for n in "klab"], [TRUE[n] for n in "klab"], rtol=0.25)
    assert "log(spending)" in logged.summary()


def test_batched_least_squares_agrees_with_scipy():
    result = rd.fit(rd.richardson2(**TRUE), synthetic(0.1, 4), verdict=False, ci="wald")
    problem = result._problem
    rng = np.random.default_rng(0)
    targets = problem.target() + rng.normal(0, 0.1, (problem.target().shape[0], 6))
    batched = batched_least_squares(problem, np.repeat(result._theta[:, None], 6, axis=1), targets)
    assert batched.converged.all()
    for j in range(6):
        single = least_squares(problem, result._theta, targets[:, j : j + 1])
        assert_allclose(batched.cost[j], 2 * single.cost, rtol=1e-7)
        # same optimum to the precision the cost tolerance allows along the flat (k, g) valley
        assert_allclose(batched.theta[:, j], single.x, rtol=1e-3, atol=1e-6)


def test_data_problems_are_refused(pre_wwi):
    model = rd.richardson2(actors=("Entente", "Central Powers"))
    with pytest.warns(rd.RichardsonWarning):
        broken = rd.data.load("pre_wwi_blocs", end=1920)
    with pytest.raises(rd.DataError, match="unit break") as info:
        rd.fit(model, broken)
    assert "missing" in str(info.value)
    gappy = pre_wwi.drop(index=[1890])
    with pytest.raises(rd.DataError, match="1890"):
        rd.fit(model, gappy, method="difference")
    with pytest.raises(rd.DataError, match="no column for 'x'"):
        rd.fit(rd.richardson2(), pre_wwi)
    with pytest.raises(rd.FitError, match="Did you mean 'ode'"):
        rd.fit(model, pre_wwi, method="odes")
    with pytest.raises(rd.FitError, match="Did you mean 'k'"):
        rd.fit(model, pre_wwi, fixed=["kk"])
    with pytest.raises(rd.FitError, match="'log'"):
        rd.fit(model, pre_wwi, method="difference", log=True)
    with pytest.raises(rd.FitError, match="hac applies"):
        rd.fit(model, pre_wwi, hac=True)


# ---------------------------------------------------------------------- real cases
def _eigen_regime(params: dict) -> str:
    """Independent verdict for the two-nation model: runaway iff an eigenvalue of
    [[-a, k], [l, -b]] has a positive real part."""
    A = np.array([[-params["a"], params["k"]], [params["l"], -params["b"]]])
    return "runaway" if np.max(np.linalg.eigvals(A).real) > 0 else "not runaway"


CONSTANT = {"prices": "constant", "base_year": 2010}
PERSONNEL = {"measure": "milper"}


@pytest.mark.slow
@pytest.mark.parametrize(
    "case, actors, years, basis, method, options",
    [
        ("pre_wwi_blocs", ("Entente", "Central Powers"), (None, None), PERSONNEL, "ode", {}),
        ("us_ussr", ("USA", "USSR"), (1950, 1988), CONSTANT, "ode", {}),
        ("greece_turkey", ("Greece", "Turkey"), (None, None), CONSTANT, "ode", {"log": True}),
        ("nato_warsaw_pact", ("NATO", "Warsaw Pact"), (1957, 1989), CONSTANT, "ode", {"log": True}),
        ("india_pakistan", ("India", "Pakistan"), (1949, None), CONSTANT, "difference", {}),
    ],
)
def test_real_dyads_end_to_end(case, actors, years, basis, method, options):
    """Real dyads in constant prices (personnel before 1914) fit end to end with a verdict."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rd.RichardsonWarning)  # data notes (jumps), not fits
        data = rd.data.load(case, start=years[0], end=years[1], **basis)
    model = rd.richardson2(actors=actors, state_unit=data.attrs["units"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", rd.RichardsonWarning)
        result = rd.fit(model, data, method=method, **options)
    assert all(
        "fit at a bound" in str(w.message) or "No regime verdict" in str(w.message) for w in caught
    )
    for name in result.free:
        lower, upper = result.intervals.loc[name]
        assert lower <= result.params[name] <= upper
        assert np.isfinite(result.stderr[name])
    report = result.summary()
    assert "Singer" in report
    if result.problems:  # estimates on bounds or with the wrong sign: no verdict, and why
        assert result.regime is None and result.escalation is None
        assert all(problem in result.withheld for problem in result.problems)
        assert "Regime: withheld" in report
        assert any(f"{w.message}" == result.withheld for w in caught)
        return
    assert result.regime.name in rd.REGIMES
    assert (result.regime.name == "runaway") == (_eigen_regime(result.params) == "runaway")
    assert result.escalation.current_regime == result.regime.name
    assert f"Regime: {result.regime.name}" in report
    assert all(0 < r <= 1 for r in result.r_squared.values() if method == "ode")


# ---------------------------------------------------------------------- bootstrap
@pytest.fixture(scope="module")
def small_fit():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rd.RichardsonWarning)
        return rd.fit(rd.richardson2(**TRUE), synthetic(0.1, 5), ci="wald", margin_over=("k", "l"))


def test_bootstrap_seeded_and_executor_independent(small_fit):
    serial = small_fit.bootstrap(60, seed=11, margins=False)
    again = small_fit.bootstrap(60, seed=11, margins=False, chunk_size=25)
    assert_allclose(again.samples, serial.samples, rtol=1e-8, atol=1e-10)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        threaded = small_fit.bootstrap(60, seed=11, margins=False, executor=pool, chunk_size=20)
    assert_allclose(threaded.samples, serial.samples, rtol=1e-8, atol=1e-10)
    assert threaded.complete and threaded.n == 60
    other = small_fit.bootstrap(60, seed=12, margins=False)
    assert not np.allclose(other.samples, serial.samples)


@pytest.mark.slow
def test_bootstrap_in_processes_and_dask(small_fit):
    serial = small_fit.bootstrap(40, seed=3, margins=True)
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        parallel = small_fit.bootstrap(40, seed=3, executor=pool, chunk_size=20)
    assert_allclose(parallel.samples, serial.samples, rtol=1e-8, atol=1e-10)
    assert_allclose(parallel.margins, serial.margins, rtol=1e-8)
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        on_dask = small_fit.bootstrap(40, seed=3, executor=client, chunk_size=20)
    assert_allclose(on_dask.samples, serial.samples, rtol=1e-8, atol=1e-10)


def test_bootstrap_verdicts_follow_classify_and_margin(small_fit):
    boot = small_fit.bootstrap(30, seed=2)
    params = [n for n in small_fit.free if n in small_fit.model.param_index]
    names, margins = [], []
    for _, row in boot.samples.iterrows():
        values = {n: row[n] for n in params}
        names.append(rd.classify(small_fit.model, values).name)
        margins.append(rd.escalation_margin(small_fit.model, values, over=["k", "l"]).margin)
    assert boot.regimes.tolist() == names
    assert_allclose(boot.margins, margins, rtol=1e-9)
    assert boot.p_runaway == np.mean(np.array(names) == "runaway")
    # two-nation closed form: margin over (k, l) is sqrt(ab/(kl)) - 1 for a stable balance
    row = boot.samples.iloc[0]
    assert_allclose(boot.margins[0], math.sqrt(row.a * row.b / (row.k * row.l)) - 1, rtol=1e-8)
    text = boot.summary()
    assert "P(runaway)" in text and "Escalation margin" in text


def test_bootstrap_difference_matches_ols_spread():
    data = synthetic(0.1, 6)
    result = rd.fit(rd.richardson2(**TRUE), data, method="difference", verdict=False)
    boot = result.bootstrap(2000, seed=0, verdicts=False, margins=False)
    spread = boot.samples.std()
    # fixed-design residual bootstrap of OLS: spread ~ the OLS standard error
    for name in TRUE:
        assert_allclose(spread[name], result.stderr[name], rtol=0.1)


def test_bootstrap_interrupt_returns_finished_part(small_fit, monkeypatch):
    real = bootstrap_module._run_chunk
    calls = []

    def interrupted(chunk):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(chunk)

    monkeypatch.setattr(bootstrap_module, "_run_chunk", interrupted)
    with pytest.warns(rd.RichardsonWarning, match="interrupted after 10 of 30"):
        partial = small_fit.bootstrap(30, seed=0, chunk_size=10, margins=False, progress=False)
    assert not partial.complete and partial.n == 10
    assert "INTERRUPTED" in partial.summary()


# ---------------------------------------------------------------------- plots and reports
def test_plots_and_html(small_fit):
    import matplotlib.pyplot as plt

    boot = small_fit.bootstrap(40, seed=0)
    ax = rd.plot.fit(small_fit, bootstrap=boot)
    assert len(ax.lines) == 4 and len(ax.collections) == 2  # data + fit per actor, 2 bands
    band = small_fit.band(n_samples=200)
    inside = (band["lower"] <= band["center"] + 1e-9) & (band["center"] <= band["upper"] + 1e-9)
    assert inside.to_numpy().mean() > 0.95
    ax2 = boot.plot()
    assert ax2.get_xlabel().startswith("escalation margin")
    plt.close("all")
    assert "<pre>" in small_fit._repr_html_() and "Estimates" in small_fit.summary()
    assert repr(small_fit).startswith("<FitResult ode")


# ---------------------------------------------------------------------- what cannot be estimated
def test_too_few_residual_degrees_of_freedom_are_refused():
    data = synthetic(0.1, 1).iloc[:4]  # 8 observations for 8 estimates (6 params + 2 starts)
    with pytest.raises(rd.FitError, match="8 observations for 8 free estimates leave 0"):
        rd.fit(rd.richardson2(), data, start={"k": 0.5}, verdict=False)
    five = synthetic(0.1, 1).iloc[:5]  # 4 yearly changes for 3 coefficients per equation
    with pytest.raises(rd.FitError, match="4 observations for 3 free estimates leave 1"):
        rd.fit(rd.richardson2(), five, method="difference", verdict=False)
    rd.fit(rd.richardson2(), synthetic(0.1, 1).iloc[:6], method="difference", verdict=False)


@pytest.mark.filterwarnings("ignore:fit at a bound:richardson.errors.RichardsonWarning")
def test_a_verdict_that_rests_on_a_bound_is_withheld_and_one_that_does_not_stands():
    """A runaway race (k l = 0.3 > a b = 0.225) fitted with reactions held below 0.2 and
    fatigues above 0.3, bounds under which no runaway is possible: the estimates sit on them,
    the constrained fit says stable, the fit without the bounds says runaway, so the verdict
    rests on the constraints and is withheld. A stable race whose
    y *lowers* its spending when x arms (l = -0.3) fitted with l >= 0: l sits on 0, but
    without the bound the fit is just as stable, so that verdict stands, with a note."""
    x, y, k, l_, a, b, g, h = sp.symbols("x y k l a b g h")
    times = np.arange(0.0, 30.0)

    def data_of(values, y0):
        truth = rd.Model(["x", "y"], values, [k * y - a * x + g, l_ * x - b * y + h])
        clean = rd.simulate(truth, (0, 29), y0=y0, t_eval=times).values
        noisy = clean * np.exp(np.random.default_rng(3).normal(0.0, 0.01, clean.shape))
        return pd.DataFrame(noisy, index=np.arange(30), columns=["x", "y"])

    runaway = data_of({"k": 0.6, "l": 0.5, "a": 0.5, "b": 0.45, "g": 1.0, "h": 1.0}, [5, 4])
    with pytest.warns(rd.RichardsonWarning, match="No regime verdict") as caught:
        boxed = {"k": (0.0, 0.2), "l": (0.0, 0.2), "a": (0.3, 5.0), "b": (0.3, 5.0)}
        result = rd.fit(rd.richardson2(), runaway, bounds=boxed, margin_over=["g"])
    assert result.params["k"] == pytest.approx(0.2, abs=1e-6)  # the number is kept
    assert rd.classify(result.fitted_model).name == "stable_balance"  # what the bound says
    assert result.regime is None and result.escalation is None
    assert "sit on their bounds" in result.withheld and "'k'" in result.withheld
    assert "fixed=" in result.withheld
    assert any(str(w.message) == result.withheld for w in caught)
    assert any("regime runaway" in note for note in result.notes)  # what the data say

    stable = data_of({"k": 0.3, "l": -0.3, "a": 0.6, "b": 0.5, "g": 2.0, "h": 3.0}, [1, 8])
    result = rd.fit(rd.richardson2(), stable, margin_over=["k"])
    assert result.params["l"] == pytest.approx(0.0, abs=1e-6)
    assert result.regime is not None and result.regime.name == "stable_balance"
    assert any("the constraint does not decide it" in note for note in result.notes)


def test_coefficients_of_the_same_term_are_not_identifiable():
    """Two reactions on the same term (k y + c y) cannot be told apart: the Jacobian's null
    space names both, and the verdict is withheld."""
    x, y, k, c, a, b, g, h, l_ = sp.symbols("x y k c a b g h l")
    model = rd.Model(
        ["x", "y"],
        {"k": 0.2, "c": 0.1, "a": 0.6, "l": 0.2, "b": 0.5, "g": 1.0, "h": 1.0},
        [k * y + c * y - a * x + g, l_ * x - b * y + h],
    )
    data = synthetic(0.05, 2)
    with pytest.warns(rd.RichardsonWarning, match="not identifiable"):
        result = rd.fit(model, data, ci="wald", start={"k": 0.2, "c": 0.1}, margin_over=["k"])
    assert result.regime is None
    assert "['k', 'c'] are not identifiable" in result.withheld


@pytest.mark.slow
def test_global_search_finds_the_better_optimum_of_greece_turkey():
    """Greece-Turkey in constant prices, log fit: a local fit from the difference estimates
    stops at RSS 13.63 (Greece does not react, Turkey does); the global screen finds 13.00
    with the reactions reversed, the optimum of 40 random starts (measured)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rd.RichardsonWarning)
        data = rd.data.load("greece_turkey", prices="constant")
        model = rd.richardson2(actors=("Greece", "Turkey"), state_unit=data.attrs["units"])
        local = rd.fit(model, data, log=True, search="local", ci="wald", verdict=False)
        default = rd.fit(model, data, log=True, ci="wald", verdict=False)
        many = rd.fit(model, data, log=True, n_starts=40, ci="wald", verdict=False)
    assert default.rss <= many.rss * (1 + 1e-6)
    assert local.rss > default.rss * 1.03  # the local fit really is stuck
    with pytest.raises(rd.FitError, match="search must be"):
        rd.fit(model, data, search="everywhere")


@pytest.mark.slow
def test_collapsed_profiles_fall_back_to_wald_and_lower_objectives_warn(monkeypatch):
    """A profile refit that does not move gives lower = upper = estimate although the
    standard error is positive: that is a failed profile, not certainty, and the interval
    falls back to Wald. A profile refit below the optimum's RSS means a local optimum."""
    import richardson.fitting.result as result_module

    data = synthetic(0.1, 4)
    honest = rd.fit(rd.richardson2(**TRUE), data, verdict=False)
    wald = rd.fit(rd.richardson2(**TRUE), data, verdict=False, ci="wald")

    def collapsed(problem, theta, stderr, covariance, rss, n_obs, level, which):
        return theta[which].copy(), theta[which].copy(), rss

    monkeypatch.setattr(result_module, "profile_intervals", collapsed)
    fallback = rd.fit(rd.richardson2(**TRUE), data, verdict=False)
    model_params = ["k", "l", "a", "b", "g", "h"]
    assert_allclose(fallback.intervals.loc[model_params], wald.intervals.loc[model_params])
    assert any("zero width" in note for note in fallback.notes)
    assert not np.allclose(honest.intervals.loc[model_params], wald.intervals.loc[model_params])

    def lower(problem, theta, stderr, covariance, rss, n_obs, level, which):
        return theta[which] - 1.0, theta[which] + 1.0, 0.5 * rss

    monkeypatch.setattr(result_module, "profile_intervals", lower)
    with pytest.warns(rd.RichardsonWarning, match="local minimum"):
        stuck = rd.fit(rd.richardson2(**TRUE), data, verdict=False)
    assert any("local minimum" in note for note in stuck.notes)


def test_an_exact_fit_says_the_likelihood_is_unbounded_instead_of_warning():
    # Spending that grows by exactly g and h a year is the noise-free output of x' = g, y' = h:
    # both regressions pass through every point, the Gaussian log-likelihood is +inf and the
    # information criteria are undefined (NaN with a note, never -inf or a numpy warning).
    years = np.arange(1900, 1910)
    data = pd.DataFrame({"x": 1.0 + np.arange(10.0), "y": 2.0 + 2 * np.arange(10.0)}, index=years)
    model = rd.richardson2(k=0.0, l=0.0, a=0.0, b=0.0, g=1.5, h=1.0)
    for method in ("difference", "ode"):
        result = rd.fit(model, data, fixed=["k", "l", "a", "b"], method=method, verdict=False)
        assert_allclose([result.params["g"], result.params["h"]], [1.0, 2.0], rtol=1e-9)
        if method == "difference":
            assert result.loglike == math.inf
            assert math.isnan(result.aic) and math.isnan(result.bic)
            assert any("passes through every observation exactly" in n for n in result.notes)
        assert "AIC = -inf" not in result.summary()
