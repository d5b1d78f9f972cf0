"""Ceilings refitted through their reciprocal, the batched solver's stiff members, and the
bootstrap of the 2-actor ceiling model (the weakly identified case of issue 15, item 7)."""

import math
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.linalg
import sympy as sp
from numpy.testing import assert_allclose

import richardson as rd
from richardson.fitting.ode import TrajectoryProblem
from richardson.fitting.reciprocal import ReciprocalProblem, limit_model, reciprocal_parameters

bootstrap_module = sys.modules["richardson.fitting.resampling"]


def ceiling_model() -> rd.Model:
    return rd.alliance_model(
        ["A", "B"],
        {"A": ["A"], "B": ["B"]},
        reaction=0.4,
        fatigue=0.2,
        grievance=1.0,
        ceiling=[30.0, 25.0],
        initial=[2.0, 3.0],
    )


@pytest.fixture(scope="module")
def ceiling_fit():
    model = ceiling_model()
    clean = rd.simulate(model, (0, 30), y0=[2.0, 3.0], t_eval=np.arange(31.0)).values
    rng = np.random.default_rng(0)
    data = pd.DataFrame(
        clean * np.exp(rng.normal(0, 0.05, clean.shape)), index=np.arange(31), columns=["A", "B"]
    )
    data.attrs["units"] = "spending index"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rd.RichardsonWarning)  # a_B ends on its bound 0
        return rd.fit(model, data, ci="wald")


def test_only_parameters_seen_through_their_reciprocal_qualify():
    model = ceiling_model()
    names = model.param_names
    positive = np.zeros(len(names)), np.full(len(names), math.inf)
    mask = reciprocal_parameters(model, names, *positive)
    assert [n for n, m in zip(names, mask, strict=True) if m] == ["M_A", "M_B"]
    # a negative lower bound, or a finite upper bound, is not a ceiling
    lower = np.where(np.array(names) == "M_A", -1.0, 0.0)
    assert not reciprocal_parameters(model, names, lower, positive[1])[names.index("M_A")]
    x, M, k = sp.symbols("x M k")
    # M / x is M only through (x / M)**-1 in sympy's tree, but infinite as M -> inf
    flipped = rd.Model(["x"], {"M": {"value": 2.0, "bounds": (0, math.inf)}}, [1 / (x / M) - x])
    assert not reciprocal_parameters(flipped, ("M",), np.zeros(1), np.full(1, math.inf))[0]
    mixed = rd.Model(["x"], {"M": 2.0, "k": 1.0}, [k * x * (1 - x / M) - x + M / 10])
    assert not reciprocal_parameters(mixed, ("M",), np.zeros(1), np.full(1, math.inf))[0]
    saturating = rd.Model(["x"], {"K": 5.0}, [1 / (1 + x / sp.Symbol("K")) - x])
    assert reciprocal_parameters(saturating, ("K",), np.zeros(1), np.full(1, math.inf))[0]


def test_the_limit_model_drops_the_ceiling_terms():
    model = ceiling_model()
    A, B = sp.symbols("A B")
    k_ab, k_ba, a_a, a_b, g_a, g_b = sp.symbols("k_A_B k_B_A a_A a_B g_A g_B")
    limit = limit_model(model, ("M_A",))
    assert sp.simplify(limit.rhs[0] - (k_ab * B - a_a * A + g_a)) == 0
    assert limit.rhs[1] == model.rhs[1]  # M_B untouched
    both = limit_model(model, ("M_A", "M_B"))
    assert sp.simplify(both.rhs[1] - (k_ba * A - a_b * B + g_b)) == 0
    assert limit_model(model, ()) is model


def test_reciprocal_jacobian_matches_central_differences(ceiling_fit):
    inner = ceiling_fit._problem
    view = ReciprocalProblem(
        inner, reciprocal_parameters(ceiling_fit.model, inner.names, inner.lower, inner.upper)
    )
    c = view.to_internal(ceiling_fit._theta)
    assert_allclose(view.to_external(c), ceiling_fit._theta, rtol=1e-12)
    target = inner.target()
    residual, jac, ok = view.residuals(c[:, None], target)
    assert ok[0]
    for j in range(len(c)):
        step = 1e-6 * max(abs(c[j]), 1e-3)
        up, down = c.copy(), c.copy()
        up[j] += step
        down[j] -= step
        r_up = view.residuals(up[:, None], target, False)[0][:, 0]
        r_down = view.residuals(down[:, None], target, False)[0][:, 0]
        numeric = (r_up - r_down) / (2 * step)
        # the ceiling bends within 2% of M: the solved sensitivities carry ~1e-6 absolute error
        assert_allclose(jac[:, j, 0], numeric, rtol=2e-4, atol=1e-5 * np.abs(numeric).max())
    # c = 0 is the model without the ceiling: residuals equal those of the limit model
    zero = c.copy()
    zero[view.mask] = 0.0
    assert np.all(np.isinf(view.to_external(zero)[view.mask]))
    r0, j0, ok0 = view.residuals(zero[:, None], target)
    assert ok0[0] and np.all(np.isfinite(j0))


def _linear_problem(params: np.ndarray, exact: bool, max_rate: float = math.inf):
    model = rd.richardson2()
    times = np.arange(0.0, 21.0)
    observed = rd.simulate(model, (0, 20), y0=[1.0, 3.0], t_eval=times, method="exact").values
    names = model.param_names
    problem = TrajectoryProblem(
        compiled=model.compile(),
        times=times,
        observed=observed,
        p_base=model.param_vector(),
        free_params=np.arange(len(names)),
        fit_initial=False,
        y0=np.array([1.0, 3.0]),
        log=False,
        names=names,
        lower=np.full(len(names), -math.inf),
        upper=np.full(len(names), math.inf),
        exact_linear=exact,
        max_rate=max_rate,
    )
    return problem, params


def test_a_stiff_member_is_solved_alone_and_the_batch_stays_exact():
    model = rd.richardson2()
    base = model.param_vector()
    stiff = base.copy()
    stiff[model.param_index["b"]] = 400.0  # fatigue 400 per year: stiff for RK45
    theta = np.column_stack([base, stiff, base * 1.1])
    problem, _ = _linear_problem(theta, exact=False)
    rates = problem._fastest_rates(theta)
    assert rates[1] * 20 / 3 > 300 > rates[0] * 20 / 3
    states, sens, ok = problem.solve(theta)
    exact, exact_sens, _ = _linear_problem(theta, exact=True)[0].solve(theta)
    assert ok.all()
    # matrix-exponential solution (exact to rounding) against RK45 / LSODA at rtol 1e-8
    assert_allclose(states, exact, rtol=1e-5, atol=1e-7)
    assert_allclose(sens, exact_sens, rtol=1e-4, atol=1e-6)
    x0 = np.array([1.0, 3.0])
    A = np.array([[-base[2], base[0]], [base[1], -stiff[3]]])
    g = base[4:6]
    at_5 = scipy.linalg.expm(A * 5) @ (x0 + np.linalg.solve(A, g)) - np.linalg.solve(A, g)
    assert_allclose(states[5, :, 1], at_5, rtol=1e-6)


def test_members_faster_than_the_rate_limit_fail_without_being_solved():
    model = rd.richardson2()
    base = model.param_vector()
    fast = base.copy()
    fast[model.param_index["a"]] = 1e4
    problem, theta = _linear_problem(np.column_stack([base, fast]), exact=False, max_rate=100.0)
    _, _, ok = problem.solve(theta)
    assert ok.tolist() == [True, False]


@pytest.mark.slow
def test_ceiling_bootstrap_finishes_and_reports_infinite_ceilings(ceiling_fit):
    boot = ceiling_fit.bootstrap(24, seed=1)
    assert boot.margins is None  # nonlinear: margins only on request
    assert boot.n == 24 and boot.converged.sum() >= 18  # measured 24 of 24
    intervals = boot.intervals()
    assert not intervals.isna().any().any()
    good = boot.samples[boot.converged]
    region = bootstrap_module._verdict_region(ceiling_fit)
    # every converged resample's verdict is classify's on the fit's region, the ceiling at
    # infinity judged on the model without it
    for i in np.flatnonzero(boot.converged)[:4]:
        row = boot.samples.iloc[i]
        infinite = tuple(n for n in ("M_A", "M_B") if math.isinf(row[n]))
        params = {n: row[n] for n in ceiling_fit.model.param_names if n not in infinite}
        judged = limit_model(ceiling_fit.model, infinite)
        assert boot.regimes.iloc[i] == rd.classify(judged, params, region=region).name
    # B's fatigue sits near its bound 0, so in some resamples grievance carries spending past
    # the ceiling (runaway) or a second balance appears beyond it (threshold, bistable)
    assert set(boot.regimes[boot.converged]) <= {
        "saturation",
        "stable_balance",
        "runaway",
        "threshold",
        "bistable",
    }
    assert np.all((good["M_A"] > 0) & (good["M_B"] > 0))
    assert "P(runaway)" in boot.summary()
