"""Equilibria, stability conditions, regimes and escalation margins against exact answers."""

import math

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose

import richardson as rd

X, Y = sp.symbols("x y")
A, B, G, H, K, L, M, S, THETA, W = sp.symbols("a b g h k l M s theta w")


def _sigmoid(z):
    return 1 / (1 + sp.exp(-z))


# Constructed cases, built with rd.Model directly. (Once rd.alliance_model exists, the
# trigger case should come from its mutual-defence switch and the saturating case from its
# economic-capacity term.)
def trigger_model(**values):
    """Mutual-defence switch: each side's spending jumps by s once the other's passes theta."""
    params = dict(a=1.0, b=1.0, g=0.2, h=0.2, s=3.0, theta=1.5, w=0.2) | values
    return rd.Model(
        ["x", "y"],
        params,
        [-A * X + G + S * _sigmoid((Y - THETA) / W), -B * Y + H + S * _sigmoid((X - THETA) / W)],
    )


def ceiling_model(**values):
    """Richardson with a logistic ceiling on escalation: reaction k y (1 - x/M)."""
    params = dict(k=1.2, l=1.1, a=1.0, b=1.1, g=0.5, h=0.3, M=10.0) | values
    return rd.Model(
        ["x", "y"], params, [K * Y * (1 - X / M) - A * X + G, L * X * (1 - Y / M) - B * Y + H]
    )


def cycle_model():
    """Hopf normal form (sigma = 0.25 > 0) centred at (2, 2): stable cycle of radius 1/2."""
    sigma, omega = sp.symbols("sigma omega")
    u, v = X - 2, Y - 2
    return rd.Model(
        ["x", "y"],
        {"sigma": 0.25, "omega": 1.0},
        [sigma * u - omega * v - u * (u**2 + v**2), omega * u + sigma * v - v * (u**2 + v**2)],
    )


def quadratic_model(**values):
    """Reactions growing with the square of the rival's spending: a fold at k = 1/(4 g)."""
    params = dict(k=0.5, l=0.5, a=1.0, b=1.0, g=0.2, h=0.2) | values
    return rd.Model(["x", "y"], params, [K * Y**2 - A * X + G, L * X**2 - B * Y + H])


def linear_model(**values):
    params = dict(k=0.9, l=0.8, a=1.0, b=1.1, g=0.5, h=0.3) | values
    return rd.Model(["x", "y"], params, [K * Y - A * X + G, L * X - B * Y + H])


# ---------------------------------------------------------------------- equilibria
def test_two_nation_equilibrium_and_eigenvalues_match_closed_form(rng):
    for _ in range(50):
        k, l, a, b = rng.uniform(0.05, 2.0, 4)
        g, h = rng.uniform(-1, 1, 2)
        if abs(a * b - k * l) < 1e-3:
            continue
        (eq,) = rd.equilibria(rd.richardson2(k=k, l=l, a=a, b=b, g=g, h=h))
        det = a * b - k * l
        assert_allclose(
            eq.state, [(b * g + k * h) / det, (l * g + a * h) / det], rtol=1e-10, atol=1e-12
        )
        root = math.sqrt((a - b) ** 2 + 4 * k * l)
        exact = sorted([(-(a + b) + root) / 2, (-(a + b) - root) / 2], reverse=True)
        assert_allclose(np.real(eq.eigenvalues), exact, rtol=1e-10, atol=1e-12)
        assert eq.stable == (a * b > k * l)
        assert eq.kind == ("stable node" if a * b > k * l else "saddle")
        # eigenvectors really are eigenvectors of J = [[-a, k], [l, -b]]
        J = np.array([[-a, k], [l, -b]])
        assert_allclose(J @ eq.eigenvectors, eq.eigenvectors * eq.eigenvalues, atol=1e-10)


def test_equilibrium_is_immutable():
    (eq,) = rd.equilibria(rd.richardson2())
    with pytest.raises(ValueError):
        eq.state[0] = 1.0
    with pytest.raises(AttributeError):
        eq.kind = "saddle"


def test_singular_linear_model_without_balance_has_none():
    assert rd.equilibria(rd.richardson2(k=1.0, l=1.1, a=1.0, b=1.1, g=0.5, h=0.3)) == []


def test_n_nation_equilibrium_solves_the_linear_system(rng):
    n = 5
    K_ = rng.uniform(0, 0.15, (n, n))
    np.fill_diagonal(K_, 0)
    a, g = rng.uniform(0.8, 1.2, n), rng.uniform(0.1, 1, n)
    (eq,) = rd.equilibria(rd.richardson_n(K_, a, g))
    J = K_ - np.diag(a)
    assert_allclose(eq.state, np.linalg.solve(J, -g), rtol=1e-10)
    assert_allclose(np.sort(eq.eigenvalues.real), np.sort(np.linalg.eigvals(J).real), atol=1e-10)


def test_nonlinear_roots_are_found_once_each():
    # k x^2 - x + g = 0 on the diagonal: x = (1 -+ sqrt(1 - 4 k g)) / (2 k), both positive
    found = rd.equilibria(quadratic_model())
    roots = sorted((1 + s * math.sqrt(1 - 4 * 0.5 * 0.2)) / (2 * 0.5) for s in (-1, 1))
    diagonal = [e for e in found if abs(e.state[0] - e.state[1]) < 1e-9]
    assert_allclose([e.state[0] for e in diagonal], roots, rtol=1e-9)
    assert [e.kind for e in diagonal] == ["stable node", "saddle"]
    states = np.array([e.state for e in found])
    assert len(np.unique(np.round(states, 6), axis=0)) == len(found)


def test_ridge_of_near_balances_keeps_the_saddle_search_bounded(monkeypatch):
    """East Asia with ceilings and fatigue at their bounds (where a margin search takes it) has a
    ridge of near-balances: >100 distinct Newton limits. Saddles are then sought between the
    stable ones only, not along every pair of the hundred (which took hours)."""
    from richardson.analysis import balances as stability

    model = rd.load_model("models/east_asia.toml")
    degenerate = dict.fromkeys(
        ["k_USA_China", "k_Japan_China", "k_China_USA", "k_China_Japan", "chain_Japan", "a_USA"],
        0.0,
    ) | {"M_Japan": 1e-12, "M_China": 1e-12, "M_USA": 1899.0, "a_Japan": 0.1055, "a_China": 0.1055}
    columns = []
    newton = stability._newton
    pairs = stability.MAX_SEGMENT_ENDS * (stability.MAX_SEGMENT_ENDS - 1) // 2

    def counting(compiled, p, y, *args, **kwargs):
        columns.append(y.shape[1])
        assert len(columns) == 1 or y.shape[1] <= 9 * pairs  # fail fast, before the search
        return newton(compiled, p, y, *args, **kwargs)

    monkeypatch.setattr(stability, "_newton", counting)
    found = rd.equilibria(model, degenerate)
    assert len(found) > stability.MAX_SEGMENT_ENDS  # the ridge is there
    assert len(columns) <= 2
    states = np.array([e.state for e in found])
    assert len({tuple(np.round(s, 3)) for s in states}) == len(found)  # each reported once


def test_trigger_model_has_low_and_high_balances_and_a_saddle_between():
    found = rd.equilibria(trigger_model())
    kinds = [e.kind for e in found]
    assert kinds == ["stable node", "saddle", "stable node"]
    model = trigger_model()
    compiled = model.compile()
    for e in found:  # each really is a root
        assert np.max(np.abs(compiled.rhs(0, e.state, model.param_vector()))) < 1e-9


def test_map_fixed_point_and_multipliers():
    # x[n+1] = r x (1 - x): fixed point 1 - 1/r with multiplier 2 - r
    x = sp.Symbol("x")
    r = sp.Symbol("r")
    logistic = rd.Model(["x"], {"r": 2.5}, [r * x * (1 - x)], kind="map")
    found = rd.equilibria(logistic, region=(0.0, 1.0))
    interior = [e for e in found if e.state[0] > 0.01]
    assert_allclose(interior[0].state, [1 - 1 / 2.5], rtol=1e-10)
    assert_allclose(interior[0].eigenvalues, [2 - 2.5], rtol=1e-10)
    # a negative real multiplier flips the deviation each step, but nothing turns: a node
    assert interior[0].stable and interior[0].kind == "stable node"


def test_region_must_be_well_formed():
    with pytest.raises(rd.ModelError, match="region"):
        rd.equilibria(quadratic_model(), region=(5.0, 1.0))
    with pytest.raises(rd.UnknownSymbolError, match="Did you mean 'x'"):
        rd.equilibria(quadratic_model(), region={"xx": (0, 1), "y": (0, 1)})


def test_time_dependent_model_is_refused():
    t = rd.TIME
    model = rd.Model(["x"], {"a": 1.0}, [-A * X + sp.sin(t)])
    with pytest.raises(rd.ModelError, match="depends on time"):
        rd.equilibria(model)


# ---------------------------------------------------------------------- conditions
def test_two_nation_conditions_are_richardsons():
    conditions = rd.stability_conditions(rd.richardson2())
    assert len(conditions) == 2
    assert sp.simplify(conditions[-1].lhs - A * B) == 0
    assert sp.simplify(conditions[-1].rhs - K * L) == 0
    assert str(conditions[-1]) == "a*b > k*l"
    assert conditions.holds({"k": 0.9, "l": 0.8, "a": 1.0, "b": 1.1})
    assert not conditions.holds({"k": 1.2, "l": 1.1, "a": 1.0, "b": 1.1})


def test_n_nation_conditions_agree_with_eigenvalues(rng):
    n = 3
    model = rd.richardson_n(np.zeros((n, n)), np.ones(n), np.ones(n))
    hurwitz = rd.stability_conditions(model, method="routh-hurwitz")
    minors = rd.stability_conditions(model, method="m-matrix")
    for _ in range(40):
        K_ = rng.uniform(0, 0.9, (n, n))
        np.fill_diagonal(K_, 0)
        a = rng.uniform(0.3, 1.2, n)
        values = {f"k_n{i}_n{j}": K_[i, j] for i in range(n) for j in range(n)}
        values |= {f"a_n{i}": a[i] for i in range(n)}
        stable = np.max(np.linalg.eigvals(K_ - np.diag(a)).real) < 0
        assert hurwitz.holds(values) == stable
        assert minors.holds(values) == stable


def test_map_conditions_are_jury():
    # x[n+1] = c x + d y, y[n+1] = e x + f y; stable iff |det| < 1 and |tr| < 1 + det
    c, d, e, f = sp.symbols("c d e f")
    model = rd.Model(
        ["x", "y"], dict(c=0.5, d=0.2, e=0.1, f=0.3), [c * X + d * Y, e * X + f * Y], kind="map"
    )
    conditions = rd.stability_conditions(model)
    assert conditions.method == "jury"
    rng = np.random.default_rng(1)
    for _ in range(60):
        values = dict(zip("cdef", rng.uniform(-1.2, 1.2, 4), strict=True))
        matrix = np.array([[values["c"], values["d"]], [values["e"], values["f"]]])
        stable = np.max(np.abs(np.linalg.eigvals(matrix))) < 1
        assert conditions.holds(values) == stable


# ---------------------------------------------------------------------- regimes
def test_linear_regimes_and_explanations():
    balance = rd.classify(linear_model())
    assert balance.name == "stable_balance"
    assert "a*b = 1.1 > k*l = 0.72" in balance.explanation
    run = rd.classify(linear_model(k=1.2, l=1.1))
    assert run.name == "runaway" and run.is_runaway
    rate = (-(1.0 + 1.1) + math.sqrt((1.0 - 1.1) ** 2 + 4 * 1.32)) / 2
    assert_allclose(run.growth_rate, rate, rtol=1e-12)
    assert_allclose(run.doubling_time, math.log(2) / rate, rtol=1e-12)
    assert f"doubling about every {math.log(2) / rate:.2g} years" in run.explanation
    assert "k*l = 1.32 > a*b = 1.1" in run.explanation


def test_negative_grievances_mean_disarmament():
    regime = rd.classify(linear_model(g=-0.2, h=-0.1))
    assert regime.name == "disarmament"
    assert "g = -0.2, h = -0.1" in regime.explanation
    # mixed grievances: y disarms, x settles at g / a (the floored balance)
    partial = rd.classify(linear_model(g=1.0, h=-5.0))
    assert partial.name == "stable_balance"
    assert "x = 1, y = 0" in partial.explanation


def test_nonlinear_disarmament_with_negative_grievances():
    regime = rd.classify(ceiling_model(k=0.9, l=0.8, g=-0.2, h=-0.1), n_samples=12)
    assert regime.name == "disarmament"
    assert regime.outcomes == {"settle at (x = 0, y = 0)": 1.0}


def test_trigger_case_is_bistable_with_the_saddle_as_threshold():
    regime = rd.classify(trigger_model(), n_samples=12)
    assert regime.name == "bistable"
    assert "saddle at (x = 1.43, y = 1.43)" in regime.explanation
    assert "trigger point" in regime.explanation
    # without the switch the same actors have one balance g / a
    assert rd.classify(trigger_model(s=0.0), n_samples=8).name == "stable_balance"


def test_ceiling_stops_escalation():
    regime = rd.classify(ceiling_model(), n_samples=12)
    assert regime.name == "saturation"
    # the balance solves the model and lies below the ceiling M = 10
    (eq,) = [e for e in regime.equilibria if e.stable]
    assert np.all(eq.state < 10)
    # the same reactions without the ceiling run away
    assert rd.classify(linear_model(k=1.2, l=1.1)).name == "runaway"


def test_limit_cycle_is_oscillatory_with_the_right_period():
    regime = rd.classify(cycle_model(), n_samples=8)
    assert regime.name == "oscillatory"
    # normal form: period 2 pi / omega, radius sqrt(sigma) = 0.5 around (2, 2)
    assert f"period of about {2 * math.pi:.2g} years" in regime.explanation
    assert "x between 1.5 and 2.5" in regime.explanation
    assert regime.equilibria[0].kind == "unstable focus"


def test_nonlinear_runaway_without_balance():
    regime = rd.classify(quadratic_model(g=1.0, h=1.0), n_samples=8)
    assert regime.name == "runaway"
    assert regime.equilibria == ()
    assert "no balance" in regime.explanation


def test_regime_summary_and_html():
    regime = rd.classify(linear_model())
    text = regime.summary()
    assert "Regime: stable balance" in text and "k = 0.9" in text
    assert "stable balance" in regime._repr_html_()
    with pytest.raises(AttributeError):
        regime.name = "runaway"
    with pytest.raises(rd.ModelError, match="regime name"):
        rd.Regime(name="chaos", explanation="", equilibria=(), growth_rate=0.0)


# ---------------------------------------------------------------------- margin
@pytest.mark.parametrize(
    ("over", "exact"),
    [
        (["k"], 1.1 / 0.72 - 1),
        (["k", "l"], math.sqrt(1.1 / 0.72) - 1),
        (["k", "l", "a", "b"], (math.sqrt(1.1 / 0.72) - 1) / (math.sqrt(1.1 / 0.72) + 1)),
    ],
)
def test_linear_margin_matches_closed_form(over, exact):
    margin = rd.escalation_margin(rd.richardson2(k=0.9, l=0.8, a=1.0, b=1.1), over=over)
    assert_allclose(margin.margin, exact, rtol=1e-9)
    assert margin.current_regime == "stable_balance" and margin.target_regime == "runaway"
    boundary = {"k": 0.9, "l": 0.8, "a": 1.0, "b": 1.1} | dict(margin.boundary)
    assert_allclose(boundary["a"] * boundary["b"], boundary["k"] * boundary["l"], rtol=1e-9)
    assert all(math.isclose(abs(d), exact, rel_tol=1e-9) for d in margin.direction.values())
    assert f"{100 * exact:.3g}%" in margin.summary()


def test_margin_out_of_runaway():
    margin = rd.escalation_margin(rd.richardson2(k=1.2, l=1.1, a=1.0, b=1.1), over=["k", "l"])
    assert_allclose(margin.margin, 1 - math.sqrt(1.1 / 1.32), rtol=1e-9)
    assert margin.current_regime == "runaway" and margin.target_regime == "stable_balance"
    assert margin.direction["k"] < 0


def test_margin_is_infinite_when_out_of_reach():
    margin = rd.escalation_margin(rd.richardson2(k=0.1, l=0.1), over=["k"], max_change=1.0)
    assert margin.margin == math.inf  # needs k = 11, far beyond +100%
    assert "none within the search range" in margin.summary()


def test_margin_rejects_unknown_parameters():
    # a parameter at 0 moves in absolute steps: tests/analysis/test_margin_global.py
    with pytest.raises(rd.UnknownSymbolError, match="Did you mean"):
        rd.escalation_margin(rd.richardson2(), over=["kk"])


@pytest.mark.slow
def test_nonlinear_margin_finds_the_fold():
    # k = l, a = b = 1: balances solve k x^2 - x + g = 0, which vanish at k = 1/(4 g) = 1.25
    margin = rd.escalation_margin(quadratic_model(), over=["k", "l"], n_samples=8)
    # one stable balance, and runaway past the saddle: a threshold (not two finite states)
    assert margin.current_regime == "threshold"
    assert margin.method == "bisection"
    assert_allclose(margin.margin, 1.25 / 0.5 - 1, rtol=2e-3)
