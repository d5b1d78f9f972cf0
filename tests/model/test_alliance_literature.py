"""Each alliance term moves the balance the way the literature it comes from says.

Signs are checked on exact balances: for a model affine in the states, ``x* = -A^{-1} g`` is
solved with sympy with every parameter but one set to its (rational) value, so ``dx*/dtheta``
is an exact rational function of ``theta``; where a closed form exists it is written out by
hand and compared. Sources: Richardson (1960) for reaction, fatigue, grievance, submissiveness
and the ceiling; Jervis (1978) for the security dilemma (reaction, distrust); Olson and
Zeckhauser (1966) for free riding; Snyder (1984) for abandonment and entrapment; Christensen
and Snyder (1990) for chain-ganging. The last section checks the parameter combinations that
``docs/model_family.md`` says a fit cannot tell apart.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose

import richardson as rd
from richardson.fitting.reciprocal import reciprocal_parameters
from richardson.model.terms import CEILING_WIDTH

TRIANGLE = (["A1", "A2", "R"], {"West": ["A1", "A2"], "East": ["R"]})
TRIO = (["Japan", "ROK", "DPRK"], {"US alliances": ["Japan", "ROK"]})
TRIO_REACTION = {("ROK", "DPRK"): 0.4, ("DPRK", "ROK"): 0.3}


def exact(value: float) -> sp.Rational:
    return sp.Rational(repr(float(value)))


def balance(model: rd.Model, free: str | None = None, **values: float) -> sp.Matrix:
    """Exact ``x* = -A^{-1} g`` of an affine model, every parameter but ``free`` numeric."""
    defaults = model.defaults | values
    subs = {sp.Symbol(n): exact(v) for n, v in defaults.items() if n != free}
    f = sp.Matrix([expr.subs(subs) for expr in model.rhs])
    x = sp.Matrix(model.state_symbols)
    A = f.jacobian(x)
    assert not A.free_symbols & set(x), "the model must be affine in the states"
    g = f.subs(dict.fromkeys(x, 0))
    return sp.simplify(-A.LUsolve(g))


def slope(model: rd.Model, name: str, **values: float) -> np.ndarray:
    """``dx*/d name`` at the model's value of ``name``, exact then as floats."""
    theta = sp.Symbol(name)
    x_star = balance(model, name, **values)
    at = exact((model.defaults | values)[name])
    return np.array([float(sp.diff(xi, theta).subs(theta, at)) for xi in x_star])


def rhs(model: rd.Model, y, **params) -> np.ndarray:
    return model.compile().rhs(0.0, np.asarray(y, dtype=float), model.param_vector(params))


def trio(**terms) -> rd.Model:
    return rd.alliance_model(*TRIO, reaction=TRIO_REACTION, fatigue=1.0, grievance=0.1, **terms)


X_DPRK = 0.1 * (1 + 0.3) / (1 - 0.4 * 0.3)  # DPRK's balance: g (1 + k_DK) / (1 - k_KD k_DK)


# ---------------------------------------------------------------------- Richardson (1960)
def two_nations(**kwargs) -> rd.Model:
    return rd.alliance_model(
        ["x", "y"],
        {"X": ["x"], "Y": ["y"]},
        reaction={("x", "y"): 0.9, ("y", "x"): 0.8},
        fatigue=[1.0, 1.1],
        grievance=[0.5, 0.3],
        **kwargs,
    )


def test_two_nation_balance_is_richardsons_closed_form():
    """x* = (b g + k h)/(a b - k l), y* = (l g + a h)/(a b - k l) (Richardson 1960), exactly."""
    model = two_nations()
    k, l, a, b, g, h = sp.symbols("k_x_y k_y_x a_x a_y g_x g_y")
    x = sp.Matrix(model.state_symbols)
    f = sp.Matrix(model.rhs)
    x_star = -f.jacobian(x).LUsolve(f.subs(dict.fromkeys(x, 0)))
    closed = sp.Matrix([b * g + k * h, l * g + a * h]) / (a * b - k * l)
    assert sp.simplify(x_star - closed) == sp.zeros(2, 1)


def test_reaction_and_grievance_raise_and_fatigue_lowers_the_balance():
    """In the stable region (a b = 1.1 > k l = 0.72): dx*/dk > 0 (the spiral of the security
    dilemma, Jervis 1978), dx*/dg > 0, dx*/da < 0 (Richardson 1960)."""
    model = two_nations()
    assert np.all(slope(model, "k_x_y") > 0)
    assert np.all(slope(model, "g_x") > 0)
    assert np.all(slope(model, "a_x") < 0)
    # closed forms of two of them: dx*/dg = b / D, dy*/da = h / D - (l g + a h) b / D^2
    assert_allclose(slope(model, "g_x")[0], 1.1 / (1.1 - 0.72), rtol=1e-12)
    D = 1.1 - 0.72
    assert_allclose(slope(model, "a_x")[1], -(0.8 * 0.5 + 0.3) * 1.1 / D**2 + 0.3 / D, rtol=1e-12)


def test_submissiveness_lowers_the_balance():
    """k x - a x + g - q x^2 = 0: x* = (k - a + sqrt((k - a)^2 + 4 q g)) / (2 q), falling in q."""
    k, a, g = 1.2, 1.0, 0.3
    balances = []
    for q in (0.1, 0.2, 0.4):
        model = rd.alliance_model(
            ["x", "y"],
            {},
            reaction=k,
            fatigue=a,
            grievance=g,
            submissiveness={("x", "y"): q, ("y", "x"): q},
        )
        run = rd.simulate(model, (0, 200), y0=[0.5, 0.5], rtol=1e-10, atol=1e-12)
        closed = (k - a + np.sqrt((k - a) ** 2 + 4 * q * g)) / (2 * q)
        assert_allclose(run.values[-1], [closed, closed], rtol=1e-7)
        balances.append(closed)
    assert balances[0] > balances[1] > balances[2]


# ---------------------------------------------------------------------- Jervis (1978)
def test_distrust_raises_the_perceived_threat_and_the_balance():
    model = rd.alliance_model(
        *TRIANGLE, reaction=0.4, fatigue=1.0, grievance=0.1, distrust={"A1": 0.5}
    )
    assert np.all(slope(model, "d_A1") > 0)
    # two symmetric nations: x* = g (1 + (1+d) k) / (1 - (1+d)^2 k^2) with a = 1
    pair = rd.alliance_model(["x", "y"], {}, reaction=0.5, fatigue=1.0, grievance=0.2, distrust=0.4)
    d = sp.Symbol("d")
    closed = 0.2 * (1 + (1 + d) * 0.5) / (1 - (1 + d) ** 2 * 0.25)
    got = [float(xi) for xi in balance(pair)]
    assert_allclose(got, [float(closed.subs(d, 0.4))] * 2, rtol=1e-12)


# ---------------------------------------------------------------------- Olson and Zeckhauser (1966)
def allies_facing_a_threat(c: float) -> rd.Model:
    """Two allies facing a rival that does not react: the public-good setting of the theory."""
    return rd.alliance_model(
        *TRIANGLE,
        reaction={("A1", "R"): 0.4, ("A2", "R"): 0.4},
        fatigue=1.0,
        grievance=0.1,
        ally_coupling=c,
    )


@pytest.mark.parametrize("c", [-0.3, 0.3])
def test_free_riding_lowers_own_spending_when_allies_spend_more(c):
    """c < 0 (free riding): an exogenous rise in the ally's spending (its grievance) lowers
    own spending; dx*_A1/dg_A2 = c / (a^2 - c^2) exactly. c > 0 (distrust among allies)
    reverses the sign."""
    model = allies_facing_a_threat(c)
    got = slope(model, "g_A2")
    assert_allclose(got[0], c / (1.0 - c**2), rtol=1e-12)
    assert np.sign(got[0]) == np.sign(c)
    assert got[2] == 0.0  # the rival does not react
    # the reaction curve of A1 (its balance for a given x_A2) slopes as c / a
    x_a2 = sp.Symbol("A2")
    row = model.rhs[0].subs({sp.Symbol(n): exact(v) for n, v in model.defaults.items()})
    best = sp.solve(row, sp.Symbol("A1"))[0]
    assert_allclose(float(sp.diff(best, x_a2)), c, rtol=1e-12)


def test_burden_sharing_lowers_the_balance_of_a_bloc_under_threat():
    """The symmetric balance x_A* = g (a + k) / (a (a - c) - 2 k^2) rises with c."""
    model = rd.alliance_model(
        *TRIANGLE, reaction=0.4, fatigue=1.0, grievance=0.1, ally_coupling=-0.2
    )
    c = sp.Symbol("c")
    closed = 0.1 * 1.4 / (1.0 - c - 0.32)
    assert_allclose(float(balance(model)[0]), float(closed.subs(c, -0.2)), rtol=1e-12)
    assert slope(model, "c_A1_A2")[0] > 0  # less free riding (c up), more own spending


# ---------------------------------------------------------------------- Snyder (1984): abandonment
def test_fear_of_abandonment_raises_spending_as_perceived_commitment_falls():
    model = rd.alliance_model(
        *TRIANGLE,
        reaction=0.4,
        fatigue=1.0,
        grievance=0.1,
        abandonment=0.8,
        commitment={"A1": 0.5, "A2": 1.0},
    )
    assert slope(model, "kappa_A1")[0] < 0
    assert slope(model, "f_A1")[0] > 0
    # full commitment: the fear has nothing to act on
    assert slope(model, "f_A1", kappa_A1=1.0)[0] == 0.0


# ------------------------------------------------------------- Christensen and Snyder (1990)
def test_chain_ganging_raises_the_balance():
    """x_J* = g + h k_KD x_D*: Japan arms against the rival of its ally."""
    model = trio(chain_ganging={"Japan": 0.5})
    x_star = balance(model)
    assert_allclose(float(x_star[0]), 0.1 + 0.5 * 0.4 * X_DPRK, rtol=1e-12)
    assert_allclose(float(x_star[2]), X_DPRK, rtol=1e-12)
    got = slope(model, "chain_Japan")
    assert_allclose(got[0], 0.4 * X_DPRK, rtol=1e-12)
    assert got[1] == got[2] == 0.0  # DPRK does not react to Japan


def test_chain_ganging_spreads_a_local_spiral():
    """A1 chain-gangs into A2's quarrel with R2; R1, which reacts to A1, arms too, while the
    A2-R2 dyad is untouched."""
    model = rd.alliance_model(
        ["A1", "A2", "R1", "R2"],
        {"W": ["A1", "A2"], "E": ["R1", "R2"]},
        reaction={("A2", "R2"): 0.5, ("R2", "A2"): 0.3, ("A1", "R1"): 0.2, ("R1", "A1"): 0.2},
        chain_ganging={"A1": 0.4},
        fatigue=1.0,
        grievance=0.1,
    )
    got = slope(model, "chain_A1")
    assert got[0] > 0 and got[2] > 0
    assert got[1] == 0.0 and got[3] == 0.0


# ---------------------------------------------------------------------- Snyder (1984): entrapment
def test_entrapment_lowers_the_response_to_the_rivals_of_allies():
    """d(dx_J/dt)/dx_D = k_JD + h (1 - e) k_KD: falling in e, never below Japan's own k_JD."""
    reaction = TRIO_REACTION | {("Japan", "DPRK"): 0.1}
    model = rd.alliance_model(
        *TRIO,
        reaction=reaction,
        fatigue=1.0,
        grievance=0.1,
        chain_ganging={"Japan": 0.5},
        entrapment={"Japan": 0.0},
    )
    y = np.array([0.3, 0.4, 0.5])
    responses = []
    for e in np.linspace(0.0, 1.0, 11):
        jac = model.compile().jac(0.0, y, model.param_vector({"e_Japan": e}))
        assert_allclose(jac[0, 2], 0.1 + 0.5 * (1 - e) * 0.4, rtol=1e-13)
        responses.append(jac[0, 2])
    assert np.all(np.diff(responses) < 0)
    assert_allclose(responses[-1], 0.1, rtol=1e-13)  # its own quarrel is untouched
    assert model.params["e_Japan"].bounds == (0.0, 1.0)


def test_entrapment_lowers_the_balance():
    """x_J* = g + h (1 - e) k_KD x_D*, so dx_J*/de = -h k_KD x_D* < 0."""
    model = trio(chain_ganging={"Japan": 0.5}, entrapment={"Japan": 0.3})
    assert_allclose(float(balance(model)[0]), 0.1 + 0.5 * 0.7 * 0.4 * X_DPRK, rtol=1e-12)
    got = slope(model, "e_Japan")
    assert_allclose(got[0], -0.5 * 0.4 * X_DPRK, rtol=1e-12)
    assert got[1] == got[2] == 0.0


def test_entrapment_holds_back_the_defence_commitment():
    """With a defence clause, fear of entrapment scales the committed spending by (1 - e)."""
    kwargs = dict(
        reaction=0.4,
        fatigue=1.0,
        grievance=0.1,
        defence_commitment=2.0,
        trigger_threshold=0.5,
        trigger_width=0.05,
    )
    bare = rd.alliance_model(*TRIANGLE, **kwargs)
    held = rd.alliance_model(*TRIANGLE, entrapment={"A1": 0.25, "A2": 0.0}, **kwargs)
    y = np.array([0.3, 0.6, 1.1])
    switch = 2.0 / (1.0 + np.exp(-(0.4 * y[2] - 0.5) / 0.05))
    assert_allclose(rhs(held, y) - rhs(bare, y), [-0.25 * switch, 0.0, 0.0], atol=1e-13)
    # the high balance of the bistable case (docs/terms/mutual_defence.md) falls for A1
    high = rd.simulate(bare, (0, 80), y0=[4, 4, 4]).values[-1]
    lower = rd.simulate(held, (0, 80), y0=[4, 4, 4]).values[-1]
    assert lower[0] < high[0] - 0.1


# ---------------------------------------------------------------------- the ceiling
def escalation_only(M: float = 10.0) -> rd.Model:
    """Two nations with nothing but the damped reaction: dx/dt = 1.5 y phi(1 - x/M)."""
    return rd.alliance_model(["x", "y"], {}, reaction=1.5, fatigue=0.0, grievance=0.0, ceiling=M)


def softplus(u: np.ndarray, w: float = CEILING_WIDTH) -> np.ndarray:
    """phi(u) = w log(1 + exp(u/w)), evaluated without overflow."""
    return w * np.logaddexp(0.0, u / w)


def test_ceiling_reaction_is_the_bare_factor_below_M_and_never_negative_above():
    model = escalation_only()
    compiled, p = model.compile(), model.param_vector()
    x, y = np.meshgrid(np.linspace(0.0, 30.0, 61), np.linspace(0.0, 30.0, 31))
    states = np.vstack([x.ravel(), y.ravel()])
    u = 1 - states[0] / 10.0
    got = compiled.rhs(0.0, states, p)[0]
    assert_allclose(got, 1.5 * states[1] * softplus(u), rtol=1e-12, atol=1e-300)
    # below M it is k y (1 - x/M) up to k y w exp(-u/w): 3e-9 of the factor at x = 0.7 M
    bare = 1.5 * states[1] * u
    below = u >= 0.3
    gap = np.abs(got[below] - bare[below])
    assert np.all(
        gap <= 1.5 * states[1, below] * CEILING_WIDTH * np.exp(-u[below] / CEILING_WIDTH) + 1e-14
    )
    assert np.max(gap / np.maximum(bare[below], 1e-300)) < 1e-7
    # above M the escalation fades out and never turns negative
    assert np.all(got >= 0.0)
    above = u <= -0.1
    assert np.all(got[above] <= 1.5 * states[1, above] * 1.4e-4)
    # more rival spending never lowers own growth: d(dx/dt)/dy = k phi >= 0 everywhere
    jac = compiled.jac(0.0, states, p)
    assert np.all(jac[0, 1] >= 0.0)
    assert_allclose(jac[0, 1], 1.5 * softplus(u), rtol=1e-12, atol=1e-15)


def test_the_bare_logistic_factor_would_cut_spending_above_M():
    """Why saturate: with k y (1 - x/M), rival arming lowers own growth once x > M."""
    x, y, M = sp.symbols("x y M")
    old = 1.5 * y * (1 - x / M)
    assert float(sp.diff(old, y).subs({x: 20.0, M: 10.0})) < 0
    model = escalation_only()
    jac = model.compile().jac(0.0, np.array([20.0, 3.0]), model.param_vector())
    assert 0.0 <= jac[0, 1] < 1e-20  # phi(-1) = w log(1 + exp(-50))


def test_above_the_ceiling_spending_decays_by_fatigue_alone():
    """Above M only -a x + g acts: x(t) = g/a + (x0 - g/a) exp(-a t) until x reaches M."""
    model = rd.alliance_model(
        ["x", "y"], {}, reaction=1.5, fatigue=0.5, grievance=0.2, ceiling=10.0
    )
    times = np.linspace(0.0, 1.0, 11)  # x falls from 30 to 18.3 > M
    run = rd.simulate(model, (0, 1), y0=[30.0, 30.0], t_eval=times, rtol=1e-10, atol=1e-10)
    closed = 0.4 + (30.0 - 0.4) * np.exp(-0.5 * times)
    assert_allclose(run.values[:, 0], closed, rtol=1e-8)
    assert_allclose(run.values[:, 1], closed, rtol=1e-8)


def hand_written_ceiling(k: float, l: float, g: float, h: float, M: float = 10.0) -> rd.Model:
    """The ceiling as written before issue 16: k y (1 - x/M), which turns negative above M."""
    x, y, K, L, A, B, G, H, MX, MY = sp.symbols("x y k_x_y k_y_x a_x a_y g_x g_y M_x M_y")
    params = dict(k_x_y=k, k_y_x=l, a_x=1.0, a_y=1.0, g_x=g, g_y=h, M_x=M, M_y=M)
    return rd.Model(
        ["x", "y"], params, [K * y * (1 - x / MX) - A * x + G, L * x * (1 - y / MY) - B * y + H]
    )


@pytest.mark.parametrize(
    "k, l, g, h, t_end",
    [
        (1.5, 1.5, 0.2, 0.2, 40.0),
        (0.6, 0.5, 0.3, 0.1, 40.0),
        (0.9, 0.8, -0.2, -0.1, 5.0),  # spending reaches 0 near t = 6
        (1.2, 1.1, 0.5, 0.3, 40.0),
    ],
    ids=["saturation", "stable", "disarmament", "asymmetric"],
)
def test_ceiling_models_classify_and_simulate_as_before_below_M(k, l, g, h, t_end):
    new = rd.alliance_model(
        ["x", "y"],
        {"X": ["x"], "Y": ["y"]},
        reaction={("x", "y"): k, ("y", "x"): l},
        fatigue=1.0,
        grievance=[g, h],
        ceiling=10.0,
    )
    old = hand_written_ceiling(k, l, g, h)
    before, after = rd.classify(old, n_samples=12), rd.classify(new, n_samples=12)
    assert after.name == before.name
    stable = [e.state for e in after.equilibria if e.stable and np.all(e.state < 10)]
    stable_before = [e.state for e in before.equilibria if e.stable and np.all(e.state < 10)]
    assert_allclose(stable, stable_before, rtol=1e-8, atol=1e-12)
    runs = [rd.simulate(m, (0, t_end), y0=[1.0, 2.0], rtol=1e-10, atol=1e-12) for m in (old, new)]
    assert np.all((runs[1].values >= 0.0) & (runs[1].values < 10.0))
    assert_allclose(runs[1].values, runs[0].values, rtol=1e-7, atol=1e-10)


def test_ceiling_enters_only_through_its_reciprocal():
    model = rd.alliance_model(
        ["A1", "A2", "R1", "R2"],
        {"W": ["A1", "A2"], "E": ["R1", "R2"]},
        reaction=0.4,
        fatigue=1.0,
        grievance=0.1,
        ally_coupling=-0.1,
        distrust=0.2,
        abandonment=0.3,
        commitment=0.5,
        chain_ganging=0.2,
        entrapment=0.4,
        ceiling=[20.0, 25.0, 30.0, 35.0],
        submissiveness=0.01,
    )
    names = model.param_names
    lower = np.array([model.params[n].bounds[0] for n in names])
    upper = np.array([model.params[n].bounds[1] for n in names])
    mask = reciprocal_parameters(model, names, np.maximum(lower, 0.0), upper)
    assert sorted(n for n, m in zip(names, mask, strict=True) if m) == [
        "M_A1",
        "M_A2",
        "M_R1",
        "M_R2",
    ]
    for state, expr in zip(model.states, model.rhs, strict=True):
        M = sp.Symbol(f"M_{state}")
        assert expr.has(sp.log)  # the smooth positive part w log(1 + exp(u/w))
        assert M not in expr.subs(sp.Pow(M, -1), sp.Dummy()).free_symbols


@pytest.mark.parametrize("strategy", ["scalar", "structured"])
def test_ceiling_compiles_to_the_symbolic_equations_on_both_sides_of_M(rng, strategy):
    n = 6
    actors = [f"n{i}" for i in range(n)]
    model = rd.alliance_model(
        actors,
        {"W": actors[:3], "E": actors[3:]},
        reaction=0.3,
        fatigue=1.0,
        grievance=0.1,
        ally_coupling=-0.1,
        chain_ganging=0.2,
        entrapment=0.3,
        defence_commitment=0.5,
        ceiling=5.0,
        submissiveness=0.01,
    )
    compiled = rd.compile_model(model, strategy=strategy)
    x = sp.Matrix(model.state_symbols)
    f = sp.Matrix(model.rhs).subs({sp.Symbol(k): v for k, v in model.defaults.items()})
    jac = f.jacobian(x)
    p = model.param_vector()
    for y in rng.uniform(0.0, 10.0, (4, n)):  # each state below or above M = 5
        values = dict(zip(x, y, strict=True))
        assert_allclose(
            compiled.rhs(0.0, y, p), np.array(f.subs(values), float).ravel(), rtol=1e-11
        )
        assert_allclose(
            compiled.jac(0.0, y, p), np.array(jac.subs(values), float), rtol=1e-10, atol=1e-13
        )


# -------------------------------------------------------------- what a fit cannot tell apart
def test_reaction_distrust_and_abandonment_enter_as_one_product(rng):
    """(1 + d_i) (1 + f_i (1 - kappa_i)) k_il: scaling k_i. by lam and (1 + d_i) by 1/lam, or
    moving f_i against kappa_i at fixed f_i (1 - kappa_i), changes no right-hand side (with
    chain-ganging, so P_i also enters the ally's row)."""
    model = rd.alliance_model(
        *TRIANGLE,
        reaction=0.4,
        fatigue=1.0,
        grievance=0.1,
        distrust=0.2,
        abandonment=0.5,
        commitment=0.6,
        chain_ganging=0.3,
    )
    y = rng.uniform(0, 3, 3)
    base = rhs(model, y)
    lam = 1.7
    moved = dict(k_A1_R=0.4 * lam, d_A1=1.2 / lam - 1, f_A1=0.5 * 0.4 / 0.2, kappa_A1=0.8)
    assert_allclose(rhs(model, y, **moved), base, rtol=1e-13)
    # each change alone does move the equations (the test can fail)
    assert not np.allclose(rhs(model, y, k_A1_R=0.4 * lam), base)
    assert not np.allclose(rhs(model, y, kappa_A1=0.8), base)


def test_chain_ganging_entrapment_and_commitment_enter_as_products(rng):
    """h_i (1 - e_i) and s_i (1 - e_i): e -> e' with h, s scaled by (1 - e)/(1 - e')."""
    model = rd.alliance_model(
        *TRIANGLE,
        reaction=0.4,
        fatigue=1.0,
        grievance=0.1,
        chain_ganging=0.3,
        defence_commitment=1.0,
        entrapment=0.2,
    )
    y = rng.uniform(0, 3, 3)
    scale = (1 - 0.2) / (1 - 0.6)
    moved = dict(e_A1=0.6, chain_A1=0.3 * scale, s_A1=1.0 * scale)
    assert_allclose(rhs(model, y, **moved), rhs(model, y), rtol=1e-13)
    assert not np.allclose(rhs(model, y, e_A1=0.6), rhs(model, y))


def test_fatigue_and_free_riding_are_one_number_when_allies_move_together(rng):
    """On x_A1 = x_A2, -a x_A1 + c x_A2 = -(a - c) x_A1: only a - c is seen."""

    def model(a_ally: float, c: float) -> rd.Model:
        return rd.alliance_model(
            *TRIANGLE,
            reaction=0.4,
            fatigue={"A1": a_ally, "A2": a_ally, "R": 1.0},
            grievance=0.1,
            ally_coupling=c,
        )

    one, other = model(1.0, -0.2), model(1.3, 0.1)
    for _ in range(3):
        x_a, x_r = rng.uniform(0, 3, 2)
        assert_allclose(rhs(other, [x_a, x_a, x_r]), rhs(one, [x_a, x_a, x_r]), rtol=1e-13)
    assert_allclose(np.array(balance(other), float), np.array(balance(one), float), rtol=1e-13)
    assert not np.allclose(rhs(other, [0.5, 2.0, 1.0]), rhs(one, [0.5, 2.0, 1.0]))


def test_ceiling_and_submissiveness_share_one_coefficient_for_a_single_rival(rng):
    """Row x below M: k y - (k/M + q) x y - a x + g: (M, q) -> (M', q + k (1/M - 1/M')),
    exactly for the bare factor and to w exp(-(1 - x/M)/w) (3e-13 at x = M/2) for the smooth
    one."""

    def model(M: float, q: float) -> rd.Model:
        return rd.alliance_model(
            ["x", "y"],
            {},
            reaction=0.8,
            fatigue=1.0,
            grievance=0.2,
            ceiling={"x": M, "y": 50.0},
            submissiveness={("x", "y"): q, ("y", "x"): 0.0},
        )

    one, other = model(10.0, 0.05), model(20.0, 0.05 + 0.8 * (1 / 10.0 - 1 / 20.0))
    for y in rng.uniform(0, 5, (4, 2)):
        assert_allclose(rhs(other, y), rhs(one, y), rtol=1e-10)
    assert not np.allclose(rhs(other, [15.0, 3.0]), rhs(one, [15.0, 3.0]))  # above M they differ
