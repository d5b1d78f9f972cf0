"""simulate_sde: exact moments of the linear model (Ornstein-Uhlenbeck), strong and weak order
on geometric Brownian motion, reproducibility whatever the chunking, guards and bad input."""

import numpy as np
import pytest
import scipy.linalg
import sympy as sp
from numpy.testing import assert_allclose

import richardson as rd
from richardson.errors import ModelError, SimulationError, UnknownSymbolError
from richardson.simulation import _sde_steps, stochastic
from richardson.simulation._sde_steps import advance


@pytest.fixture
def stable():
    """Linear two-nation model, stable (a b = 0.8 > k l = 0.15): an OU process under noise."""
    return rd.richardson2(k=0.5, l=0.3, a=1.0, b=0.8, g=0.2, h=0.1)


def _linear(model):
    compiled = model.compile()
    p = model.param_vector()
    zero = np.zeros(model.n_states)
    return compiled.jac(0.0, zero, p), compiled.rhs(0.0, zero, p)


def _van_loan(A, Q, t):
    """Covariance at time t of dx = A x dt + dW (cov Q dt) from a fixed start (Van Loan 1978):
    exp([[-A, Q], [0, A^T]] t) = [[., F12], [0, F22]], P(t) = F22^T F12."""
    n = len(A)
    block = np.zeros((2 * n, 2 * n))
    block[:n, :n], block[:n, n:], block[n:, n:] = -A, Q, A.T
    F = scipy.linalg.expm(block * t)
    return F[n:, n:].T @ F[:n, n:]


@pytest.mark.slow  # 1.3 s on an idle core, 5 s under a load of 10
def test_ornstein_uhlenbeck_mean_and_covariance(stable):
    A, b = _linear(stable)
    sigma = np.array([0.3, 0.2])
    Q = np.diag(sigma**2)
    y0 = np.array([2.0, 0.0])
    times = np.array([0.0, 0.5, 1.0, 6.0])
    n = 20_000
    paths = rd.simulate_sde(
        stable, (0, 6), y0, noise=sigma, n_paths=n, seed=7, t_eval=times, dt=0.01
    )
    x = paths.data["spending"].values  # (member, time, actor)
    balance = np.linalg.solve(A, -b)
    stationary = scipy.linalg.solve_continuous_lyapunov(A, -Q)
    for k, t in enumerate(times[1:], start=1):
        mean = balance + scipy.linalg.expm(A * t) @ (y0 - balance)
        cov = _van_loan(A, Q, t)
        got_mean, got_cov = x[:, k].mean(axis=0), np.cov(x[:, k].T)
        # Tolerance: 4 standard errors of the sample mean and covariance (sample sd of a
        # covariance entry sqrt((P_ii P_jj + P_ij^2) / n)), plus the Euler-Maruyama bias of
        # the covariance, O(dt |A|) = 1% here (we allow 1.5% of the largest entry).
        se_mean = np.sqrt(np.diag(cov) / n)
        assert np.all(np.abs(got_mean - mean) < 4 * se_mean), (t, got_mean, mean)
        se_cov = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
        assert np.all(np.abs(got_cov - cov) < 4 * se_cov + 0.015 * np.abs(cov).max()), (t,)
    # by t = 6 the covariance is the Lyapunov solution up to the transient exp(2 s t) = e^-6,
    # s = -0.5 the slowest eigenvalue
    assert_allclose(_van_loan(A, Q, 6.0), stationary, rtol=5e-3)
    assert np.all(np.abs(np.cov(x[:, -1].T) - stationary) < 0.03 * np.abs(stationary).max())


def test_strong_order_on_geometric_brownian_motion():
    """E|X_T - exact| on the same Brownian path: order 1/2 (Euler-Maruyama), 1 (Milstein)."""
    mu_, sig, T, m = 0.5, 0.8, 1.0, 4000
    mu = sp.Symbol("mu")
    x = sp.Symbol("x")
    compiled = rd.Model(["x"], {"mu": mu_}, [mu * x]).compile()
    p = np.array([mu_])
    rng = np.random.default_rng(11)
    fine = 2**10
    dW = rng.standard_normal((fine, 1, m)) * np.sqrt(T / fine)
    exact = np.exp((mu_ - 0.5 * sig**2) * T + sig * dW.sum(axis=0))
    orders = {}
    for milstein in (False, True):
        errors, steps = [], [2**k for k in range(3, 9)]
        for count in steps:
            h = T / count
            increments = dW.reshape(count, fine // count, 1, m).sum(axis=1)
            y = np.ones((1, m))
            for i in range(count):
                drift = compiled.rhs(i * h, y, p)
                y = advance(y, drift, np.array([[sig]]), True, milstein, h, increments[i])
            errors.append(np.mean(np.abs(y - exact)))
        orders[milstein] = np.polyfit(np.log(T / np.array(steps)), np.log(errors), 1)[0]
    # measured (seed 11): 0.49 (Euler-Maruyama), 0.97 (Milstein)
    assert 0.4 < orders[False] < 0.65, orders
    assert 0.85 < orders[True] < 1.15, orders


def test_weak_order_on_geometric_brownian_motion():
    """The Euler-Maruyama mean of GBM is exactly X0 (1 + mu h)^N; its error against
    X0 exp(mu T) halves with h (weak order 1)."""
    mu_, T, n = 1.0, 1.0, 40_000
    model = rd.Model(["x"], {"mu": mu_}, [sp.Symbol("mu") * sp.Symbol("x")])
    errors = []
    for count in (10, 20, 40):
        h = T / count
        paths = rd.simulate_sde(
            model,
            (0, T),
            [1.0],
            noise=0.3,
            n_paths=n,
            seed=3,
            t_eval=[0, T],
            dt=h,
            kind="multiplicative",
        )
        final = paths.final()["x"].to_numpy()
        se = final.std() / np.sqrt(n)
        assert abs(final.mean() - (1 + mu_ * h) ** count) < 4 * se
        errors.append(np.exp(mu_ * T) - final.mean())
    order = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    # exact scheme values give 0.94 and 0.97
    assert np.all((order > 0.8) & (order < 1.2)), order


def test_milstein_equals_euler_maruyama_for_additive_noise(stable):
    a = rd.simulate_sde(stable, (0, 3), [1, 1], noise=0.2, n_paths=50, seed=1)
    b = rd.simulate_sde(stable, (0, 3), [1, 1], noise=0.2, n_paths=50, seed=1, method="milstein")
    assert_allclose(a.data["spending"].values, b.data["spending"].values, rtol=0, atol=0)


def test_seeded_runs_do_not_depend_on_chunking(stable):
    runs = [
        rd.simulate_sde(
            stable, (0, 2), [1, 1], noise=0.3, n_paths=2500, seed=5, chunk=c, t_eval=[0, 1, 2]
        )
        for c in (1, 3000, 100_000)
    ]
    for run in runs[1:]:
        assert np.array_equal(runs[0].data["spending"].values, run.data["spending"].values)
    # path i sees the same shocks whatever the number of paths (blocks have their own seeds)
    fewer = rd.simulate_sde(
        stable, (0, 2), [1, 1], noise=0.3, n_paths=1100, seed=5, t_eval=[0, 1, 2]
    )
    assert np.array_equal(fewer.data["spending"].values, runs[0].data["spending"].values[:1100])
    other = rd.simulate_sde(
        stable, (0, 2), [1, 1], noise=0.3, n_paths=100, seed=6, t_eval=[0, 1, 2]
    )
    assert not np.allclose(other.data["spending"].values, runs[0].data["spending"].values[:100])


def test_runaway_guard_and_crossing_time():
    """Without noise, x' = r x from 1 crosses the ceiling 10 at ln(10)/r."""
    r = 0.5
    model = rd.Model(["x"], {"r": r}, [sp.Symbol("r") * sp.Symbol("x")])
    paths = rd.simulate_sde(
        model, (0, 10), [1.0], noise=0.0, n_paths=3, seed=0, ceiling=10.0, dt=1e-3
    )
    assert np.all(paths.data["status"].values == 1)
    assert_allclose(paths.data["runaway_time"].values, np.log(10) / r, rtol=1e-3)
    assert np.all(paths.final()["x"] == 10.0)
    assert paths.runaway_fraction == 1.0


def test_floor_keeps_spending_above_it(stable):
    paths = rd.simulate_sde(stable, (0, 5), [0.01, 0.01], noise=1.0, n_paths=200, seed=2, floor=0)
    assert paths.data["spending"].min() >= 0


def test_quantiles_and_final(stable):
    paths = rd.simulate_sde(stable, (0, 2), [1, 1], noise=0.3, n_paths=300, seed=4)
    bands = paths.quantiles([0.1, 0.5, 0.9])
    assert bands.dims == ("quantile", "time", "actor")
    values = paths.data["spending"].values
    assert_allclose(bands.values, np.quantile(values, [0.1, 0.5, 0.9], axis=0))
    final = paths.final()
    assert final.shape == (300, 2) and list(final.columns) == ["x", "y"]
    assert_allclose(final.to_numpy(), values[:, -1])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        paths.quantiles(1.5)


def test_interrupt_returns_finished_chunks(stable, monkeypatch):
    calls = []
    original = stochastic.run_chunk

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(stochastic, "run_chunk", interrupted)
    with pytest.warns(RuntimeWarning, match="interrupted after 1024 of 3000"):
        paths = rd.simulate_sde(
            stable, (0, 1), [1, 1], noise=0.1, n_paths=3000, seed=0, chunk=1024, progress=False
        )
    assert not paths.complete and paths.data.sizes["member"] == 1024


def test_bad_input(stable):
    with pytest.raises(SimulationError, match="kind"):
        rd.simulate_sde(stable, (0, 1), [1, 1], kind="mult")
    with pytest.raises(SimulationError, match="method"):
        rd.simulate_sde(stable, (0, 1), [1, 1], method="heun")
    with pytest.raises(SimulationError, match="non-negative"):
        rd.simulate_sde(stable, (0, 1), [1, 1], noise=-1)
    with pytest.raises(SimulationError, match="one intensity per state"):
        rd.simulate_sde(stable, (0, 1), [1, 1], noise=[1, 2, 3])
    with pytest.raises(UnknownSymbolError, match="Did you mean 'x'"):
        rd.simulate_sde(stable, (0, 1), [1, 1], noise={"xx": 0.1})
    with pytest.raises(SimulationError, match="n_paths"):
        rd.simulate_sde(stable, (0, 1), [1, 1], n_paths=0)
    with pytest.raises(SimulationError, match="dt"):
        rd.simulate_sde(stable, (0, 1), [1, 1], dt=-0.1)
    with pytest.raises(SimulationError, match="chunk"):
        rd.simulate_sde(stable, (0, 1), [1, 1], chunk=0)
    with pytest.raises(SimulationError, match="seed"):
        rd.simulate_sde(stable, (0, 1), [1, 1], seed=-3)
    logistic = rd.Model(["x"], {"r": 1.0}, [sp.Symbol("r") * sp.Symbol("x")], kind="map")
    with pytest.raises(ModelError, match="map"):
        rd.simulate_sde(logistic, (0, 1), [1.0])


def test_noise_per_actor(stable):
    sigma = stochastic.noise_vector(stable, {"y": 0.4})
    assert_allclose(sigma, [0.0, 0.4])
    paths = rd.simulate_sde(stable, (0, 1), [1, 1], noise={"y": 0.4}, n_paths=20, seed=0)
    exact = rd.simulate(stable, (0, 1), [1, 1], t_eval=paths.data["time"].values)
    # x gets no shocks of its own, but y's shocks reach it through the reaction k y
    assert np.ptp(paths.data["spending"].values[:, -1, 0]) > 0
    assert_allclose(paths.data["spending"].values[:, 0], np.repeat(exact.values[:1], 20, axis=0))
    assert _sde_steps.BLOCK == 1024


@pytest.mark.parametrize(
    "intervention",
    [rd.step("g", at=1.0, to=1.0), rd.ramp("g", start=0.5, end=2.5, to=1.0)],
    ids=["step", "ramp"],
)
def test_interventions_without_noise_follow_the_ode(stable, intervention):
    """With zero noise the scheme is Euler's method: within O(dt) of the exact ODE solution,
    for a step (two bound parameter vectors) and a ramp (more than 64: the general rhs)."""
    times = np.linspace(0, 3, 7)
    paths = rd.simulate_sde(
        stable, (0, 3), [1, 1], noise=0.0, n_paths=2, seed=0, t_eval=times, dt=1e-3,
        interventions=[intervention],
    )  # fmt: skip
    exact = rd.simulate(stable, (0, 3), [1, 1], t_eval=times, interventions=[intervention])
    assert_allclose(paths.data["spending"].values[0], exact.values, atol=2e-3)
    assert_allclose(paths.data["spending"].values[1], exact.values, atol=2e-3)
