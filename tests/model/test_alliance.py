"""The alliance model family: each term does what its equation says.

Right-hand sides are checked against the equations written out by hand with numpy (not
through the code under test), equilibria against closed forms or independent root finding,
and regimes by simulation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.optimize
from numpy.testing import assert_allclose

import richardson as rd

MODELS = Path(__file__).resolve().parents[2] / "models"
TRIANGLE = (["A1", "A2", "R"], {"West": ["A1", "A2"], "East": ["R"]})


def rhs(model: rd.Model, y, **params) -> np.ndarray:
    return model.compile().rhs(0.0, np.asarray(y, dtype=float), model.param_vector(params))


def final(model: rd.Model, y0, t=200.0, **kwargs) -> np.ndarray:
    run = rd.simulate(model, (0, t), y0=y0, **kwargs)
    assert run.success and run.runaway is None
    return run.values[-1]


def sigma(z):
    return 1.0 / (1.0 + np.exp(-z))


# ---------------------------------------------------------------------- base terms
def test_base_terms_equal_richardson_n(rng):
    """Reaction + fatigue + grievance is Richardson's N-nation model with K zero between allies."""
    actors = ["a", "b", "c", "d"]
    K = rng.uniform(0.1, 0.5, (4, 4))
    allied = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]], bool)
    K[allied] = 0.0
    a, g = rng.uniform(0.5, 1.5, 4), rng.uniform(-0.2, 0.2, 4)
    model = rd.alliance_model(
        actors, {"X": ["a", "b"], "Y": ["c", "d"]}, reaction=K, fatigue=a, grievance=g
    )
    y = rng.uniform(0, 3, 4)
    assert_allclose(rhs(model, y), K @ y - a * y + g, rtol=1e-13)
    assert model.metadata["terms"] == ["reaction", "fatigue", "grievance"]
    assert {"k_a_c", "k_c_b"} <= set(model.params) and "k_a_b" not in model.params


def test_two_nation_closed_form_equilibrium():
    """x* = (b g + k h)/(a b - k l), y* = (l g + a h)/(a b - k l) (Richardson 1960)."""
    k, l, a, b, g, h = 0.9, 0.8, 1.0, 1.1, 0.5, 0.3
    model = rd.alliance_model(
        ["x", "y"],
        {"X": ["x"], "Y": ["y"]},
        reaction={("x", "y"): k, ("y", "x"): l},
        fatigue=[a, b],
        grievance=[g, h],
    )
    exact = np.array([b * g + k * h, l * g + a * h]) / (a * b - k * l)
    assert_allclose(final(model, [0.0, 0.0], t=120), exact, rtol=1e-7)


# ---------------------------------------------------------------------- ally coupling
def triangle(**kwargs) -> rd.Model:
    return rd.alliance_model(
        *TRIANGLE, **{"reaction": 0.4, "fatigue": 1.0, "grievance": 0.1, **kwargs}
    )


def linear_equilibrium(c: float, k=0.4, a=1.0, g=0.1) -> np.ndarray:
    matrix = np.array([[-a, c, k], [c, -a, k], [k, k, -a]])
    return np.linalg.solve(matrix, -np.full(3, g))


@pytest.mark.parametrize("c", [-0.3, -0.1, 0.2])
def test_ally_coupling_equation_and_equilibrium(c):
    model = triangle(ally_coupling=c)
    y = np.array([0.7, 1.3, 0.4])
    expected = np.array([c * y[1] + 0.4 * y[2], c * y[0] + 0.4 * y[2], 0.4 * (y[0] + y[1])])
    assert_allclose(rhs(model, y), expected - y + 0.1, rtol=1e-13)
    assert_allclose(final(model, [0, 0, 0]), linear_equilibrium(c), rtol=1e-7)


def test_burden_sharing_lowers_and_distrust_raises_ally_spending():
    """c < 0 (free riding) lowers the ally's balance; c > 0 (distrust among allies) raises it."""
    none = final(triangle(ally_coupling=0.0), [0, 0, 0])
    sharing = final(triangle(ally_coupling=-0.3), [0, 0, 0])
    rivalry = final(triangle(ally_coupling=0.3), [0, 0, 0])
    assert sharing[0] < none[0] < rivalry[0]
    # closed form of the symmetric balance: x_A = g (a + k) / (a (a - c) - 2 k^2)
    for c, run in ((-0.3, sharing), (0.0, none), (0.3, rivalry)):
        assert_allclose(run[0], 0.1 * 1.4 / (1.0 * (1.0 - c) - 2 * 0.16), rtol=1e-7)


def test_ally_coupling_between_rivals_is_rejected():
    with pytest.raises(rd.ModelError, match="not allies"):
        triangle(ally_coupling={("A1", "R"): -0.1})


# ---------------------------------------------------------------------- distrust and asymmetry
def test_distrust_multiplies_perceived_threat():
    model = triangle(distrust={"A1": 0.5})
    y = np.array([0.7, 1.3, 0.4])
    assert_allclose(rhs(model, y)[0], 1.5 * 0.4 * y[2] - y[0] + 0.1, rtol=1e-13)
    assert_allclose(rhs(model, y)[1], 0.4 * y[2] - y[1] + 0.1, rtol=1e-13)
    # two nations: distrust scales the reaction, x* = (a g + (1+d) k g) / (a^2 - (1+d) k^2)
    pair = rd.alliance_model(["x", "y"], {}, reaction=0.5, fatigue=1.0, grievance=0.2, distrust=0.4)
    x_star = 0.2 * (1 + 1.4 * 0.5) / (1 - 1.4**2 * 0.25)
    assert_allclose(final(pair, [0, 0], t=150), [x_star, x_star], rtol=1e-7)


@pytest.mark.parametrize("symbolic", [False, True])
def test_power_asymmetry_scales_reaction_by_capacity_ratio(symbolic):
    E = np.array([1.0, 4.0, 9.0])
    model = triangle(capacity=E, asymmetry=0.5, symbolic_asymmetry=symbolic)
    y = np.array([0.7, 1.3, 0.4])
    weights = (E[None, :] / E[:, None]) ** 0.5
    expected = np.array(
        [
            0.4 * weights[0, 2] * y[2],
            0.4 * weights[1, 2] * y[2],
            0.4 * (weights[2, 0] * y[0] + weights[2, 1] * y[1]),
        ]
    )
    assert_allclose(rhs(model, y), expected - y + 0.1, rtol=1e-12)
    assert ("gamma" in model.params) is symbolic


def test_asymmetry_needs_capacity():
    with pytest.raises(rd.ModelError, match="capacity"):
        triangle(asymmetry=0.5)


# ---------------------------------------------------------------------- mutual defence
TRIGGER = dict(defence_commitment=2.0, trigger_threshold=0.5, trigger_width=0.05)


def test_trigger_term_equation():
    model = triangle(**TRIGGER)
    y = np.array([0.3, 0.6, 1.1])
    switch = 2.0 * sigma((0.4 * y[2] - 0.5) / 0.05)
    expected = np.array(
        [
            0.4 * y[2] - y[0] + 0.1 + switch,
            0.4 * y[2] - y[1] + 0.1 + switch,
            0.4 * (y[0] + y[1]) - y[2] + 0.1,
        ]
    )
    assert_allclose(rhs(model, y), expected, rtol=1e-12)
    assert "s_R" not in model.params  # the rival has no allies, so no clause


def test_trigger_makes_two_stable_equilibria():
    """Documented parameters (docs/terms/mutual_defence.md): k=0.4, a=1, g=0.1, s=2,
    theta=0.5, w=0.05. The symmetric balance solves 0.85 x_R - 0.225 = 2 sigma((0.4 x_R -
    0.5)/0.05), which has three roots: two stable balances and a saddle between them."""
    model = triangle(**TRIGGER)
    compiled, p = model.compile(), model.param_vector()

    def condition(x_r):
        return 0.85 * x_r - 0.225 - 2.0 * sigma((0.4 * x_r - 0.5) / 0.05)

    roots = [
        scipy.optimize.brentq(condition, lo, hi, xtol=1e-14)
        for lo, hi in ((0.0, 1.0), (1.0, 1.5), (1.5, 4.0))
    ]
    low_run = final(model, [0.0, 0.0, 0.0], t=80)
    high_run = final(model, [4.0, 4.0, 4.0], t=80)
    assert_allclose([low_run[2], high_run[2]], [roots[0], roots[2]], rtol=1e-6)
    kinds = []
    for x_r in roots:
        x_a = (x_r - 0.1) / 0.8
        guess = np.array([x_a, x_a, x_r])
        solution = scipy.optimize.root(
            lambda y: compiled.rhs(0.0, y, p),
            guess,
            jac=lambda y: compiled.jac(0.0, y, p),
            tol=1e-13,
        )
        assert solution.success
        assert_allclose(solution.x, guess, rtol=1e-9)
        kinds.append(np.sort(np.linalg.eigvals(compiled.jac(0.0, solution.x, p)).real))
    assert kinds[0].max() < 0 and kinds[2].max() < 0  # two stable balances
    assert kinds[1].max() > 0 > kinds[1].min()  # the trigger point is a saddle
    assert roots[0] < 0.5 / 0.4 < roots[2]  # the threshold separates them


def test_trigger_scenario_file_is_bistable():
    model = rd.load_model(MODELS / "mutual_defence_trigger.toml")
    assert model.metadata["regime"] == "bistable"
    low = final(model, [0, 0, 0], t=80)
    high = final(model, [4, 4, 4], t=80)
    assert high[2] > 2.5 > 0.3 > low[2]


# ------------------------------------------------------- abandonment, chain-ganging, entrapment
def test_abandonment_equation_and_effect():
    y = np.array([0.7, 1.3, 0.4])
    full = triangle(abandonment=0.8, commitment=1.0)
    assert_allclose(rhs(full, y), rhs(triangle(), y), rtol=1e-13)  # full commitment: no fear
    wavering = triangle(abandonment=0.8, commitment={"A1": 0.25, "A2": 1.0})
    extra = 0.8 * (1 - 0.25) * 0.4 * y[2]
    assert_allclose(rhs(wavering, y) - rhs(triangle(), y), [extra, 0, 0], atol=1e-14)
    assert final(wavering, [0, 0, 0])[0] > final(full, [0, 0, 0])[0]
    assert "f_R" not in wavering.params  # no allies, nothing to fear


def four_actors(**terms) -> rd.Model:
    return rd.alliance_model(
        ["A1", "A2", "R1", "R2"],
        {"W": ["A1", "A2"], "E": ["R1", "R2"]},
        reaction={("A2", "R2"): 0.5, ("R2", "A2"): 0.3, ("A1", "R1"): 0.2, ("R1", "A1"): 0.2},
        fatigue=1.0,
        grievance=0.1,
        **terms,
    )


def test_chain_ganging_reacts_to_threat_facing_allies():
    model = four_actors(chain_ganging={"A1": 0.4})
    y = np.array([0.3, 0.9, 1.2, 0.8])
    # A1 faces R1 itself (0.2 x_R1) and is drawn into A2's threat from R2 (0.4 * 0.5 x_R2)
    assert_allclose(rhs(model, y)[0], 0.2 * y[2] + 0.4 * 0.5 * y[3] - y[0] + 0.1, rtol=1e-13)
    assert_allclose(rhs(model, y)[1], 0.5 * y[3] - y[1] + 0.1, rtol=1e-13)
    assert model.params["chain_A1"].bounds == (0.0, np.inf)
    assert "chain_ganging" in model.metadata["terms"] and "e_A1" not in model.params


def test_entrapment_withholds_a_share_of_the_alliance_mediated_reaction():
    """Snyder's fear of entrapment: A1 reacts to (1 - e) of what chain-ganging gives."""
    model = four_actors(chain_ganging={"A1": 0.4}, entrapment={"A1": 0.25})
    y = np.array([0.3, 0.9, 1.2, 0.8])
    expected = 0.2 * y[2] + (1 - 0.25) * 0.4 * 0.5 * y[3] - y[0] + 0.1
    assert_allclose(rhs(model, y)[0], expected, rtol=1e-13)
    assert model.params["e_A1"].bounds == (0.0, 1.0)
    # e = 1: the allies' quarrel is ignored, A1's own rivalry with R1 is untouched
    assert_allclose(rhs(model, y, e_A1=1.0)[0], 0.2 * y[2] - y[0] + 0.1, rtol=1e-13)


def test_entrapment_without_an_alliance_mediated_term_is_rejected():
    """The old keyword meant chain-ganging: alone it now fails loudly instead of flipping sign."""
    with pytest.raises(rd.ModelError, match="chain_ganging"):
        four_actors(entrapment={"A1": 0.4})


# ---------------------------------------------------------------------- ceiling and submissiveness
def test_ceiling_saturates_a_runaway():
    runaway = rd.alliance_model(["x", "y"], {}, reaction=1.5, fatigue=1.0, grievance=0.2)
    run = rd.simulate(runaway, (0, 60), y0=[1, 1], ceiling=1e3)
    assert run.has_runaway
    capped = rd.alliance_model(
        ["x", "y"], {}, reaction=1.5, fatigue=1.0, grievance=0.2, ceiling=10.0
    )
    y = np.array([2.0, 3.0])
    assert_allclose(rhs(capped, y), 1.5 * y[::-1] * (1 - y / 10) - y + 0.2, rtol=1e-13)
    end = final(capped, [1, 1], t=60)
    # symmetric balance: 1.5 x (1 - x/10) - x + 0.2 = 0  ->  0.15 x^2 - 0.5 x - 0.2 = 0
    x_star = (0.5 + np.sqrt(0.25 + 4 * 0.15 * 0.2)) / 0.3
    assert_allclose(end, [x_star, x_star], rtol=1e-7)
    assert np.all(end < 10.0)


def test_submissiveness_equation():
    model = rd.alliance_model(
        ["x", "y"], {}, reaction=0.5, fatigue=1.0, grievance=0.3, submissiveness={("x", "y"): 0.2}
    )
    y = np.array([1.5, 2.0])
    assert_allclose(
        rhs(model, y), [0.5 * 2 - 1.5 + 0.3 - 0.2 * 1.5 * 2, 0.5 * 1.5 - 2 + 0.3], rtol=1e-13
    )


# ---------------------------------------------------------------------- enlargement
def test_enlargement_switches_on_ally_terms():
    actors = ["A1", "A2", "C", "R"]
    kwargs = dict(
        reaction={("A1", "R"): 0.3, ("C", "R"): 0.3, ("R", "A1"): 0.3},
        ally_coupling=-0.2,
        fatigue=1.0,
        grievance=0.1,
    )
    model = rd.alliance_model(
        actors, {"W": ["A1", "A2"], "E": ["R"]}, enlargement={"C": "W"}, **kwargs
    )
    member = rd.alliance_model(actors, {"W": ["A1", "A2", "C"], "E": ["R"]}, **kwargs)
    y = np.array([0.4, 0.6, 0.9, 1.1])
    outside = rhs(model, y)
    assert_allclose(outside[2], 0.3 * y[3] - y[2] + 0.1, rtol=1e-13)
    assert_allclose(rhs(model, y, join_C=1.0), rhs(member, y), rtol=1e-13)
    joined = rd.simulate(model, (0, 30), y0=y, interventions=[rd.step("join_C", 10, 1.0)])
    stays = rd.simulate(model, (0, 30), y0=y)
    assert_allclose(joined.values[:60], stays.values[:60], rtol=1e-9)
    assert joined.values[-1][2] < stays.values[-1][2]  # burden sharing once inside


# ---------------------------------------------------------------------- codegen layout
@pytest.mark.slow
def test_structured_and_scalar_code_agree_with_every_term(rng):
    n = 5
    actors = [f"n{i}" for i in range(n)]
    model = rd.alliance_model(
        actors,
        {"W": actors[:3], "E": actors[3:]},
        reaction=0.2,
        ally_coupling=-0.05,
        distrust=0.3,
        capacity=rng.uniform(1, 3, n),
        asymmetry=0.5,
        defence_commitment=0.5,
        abandonment=0.2,
        commitment=0.7,
        chain_ganging=0.1,
        entrapment=0.2,
        ceiling=20.0,
        submissiveness=0.01,
        grievance=0.1,
        enlargement=None,
    )
    scalar = rd.compile_model(model, strategy="scalar")
    structured = rd.compile_model(model, strategy="structured")
    y = rng.uniform(0, 3, (n, 5))
    p = np.repeat(model.param_vector()[:, None], 5, axis=1)
    assert_allclose(structured.rhs(0, y, p), scalar.rhs(0, y, p), rtol=1e-11)
    assert_allclose(structured.jac(0, y, p), scalar.jac(0, y, p), rtol=1e-10, atol=1e-13)


# ---------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(blocs={"X": ["a", "b"], "Y": ["b"]}), "two blocs"),
        (dict(blocs={"X": ["a", "zz"]}), "not an actor"),
        (dict(reaction={("a", "b"): 0.3}), "allies"),
        (dict(fatigue=[1.0, 2.0]), "one value per actor"),
        (dict(ceiling={"a": 1.0}), "no value"),
        (dict(rivalries=[("X", "Q")]), "not a bloc"),
        (dict(enlargement={"c": "Nowhere"}), "not a bloc"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_error(kwargs, match):
    args = {"blocs": {"X": ["a", "b"], "Y": ["c"]}, **kwargs}
    with pytest.raises(rd.ModelError, match=match):
        rd.alliance_model(["a", "b", "c"], **args)


def test_unknown_actor_suggests_the_spelling():
    with pytest.raises(rd.ModelError, match="Did you mean 'France'"):
        rd.alliance_model(["France", "Russia"], {"E": ["Frence"]})


# ---------------------------------------------------------------------- scenario library
SCENARIOS = sorted(MODELS.glob("*.toml"))


def test_library_has_the_eight_scenarios():
    names = {p.stem for p in SCENARIOS}
    assert {
        "classic_two_nation",
        "pre_1914_entente_triple_alliance",
        "nato_warsaw_pact",
        "greece_turkey_nato",
        "east_asia",
        "russia_ukraine_nato",
        "mutual_defence_trigger",
        "confidence_building",
    } <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_is_in_the_regime_it_claims(path):
    model = rd.load_model(path)
    text = path.read_text()
    assert text.startswith("#") and "Regime:" in text and "Sources:" in text
    assert all(p.source for p in model.params.values())
    regime = model.metadata["regime"]
    compiled, p = model.compile(), model.param_vector()
    zero = np.zeros(model.n_states)
    growth = np.linalg.eigvals(compiled.jac(0.0, zero, p)).real.max()
    if regime == "runaway":
        assert growth > 0
        run = rd.simulate(
            model,
            (0, 80),
            interventions=[],
            ceiling=1e9,
            params={i.param: model.params[i.param].value for i in model.interventions},
        )
        assert run.has_runaway or run.values[-1].max() > 1e3 * max(model.initial.values())
    elif regime == "threshold":
        # Richardson's unstable case with goodwill: a positive saddle, and the initial values
        # beyond it run away
        assert growth > 0
        balance = np.linalg.solve(compiled.jac(0.0, zero, p), -compiled.rhs(0.0, zero, p))
        assert np.all(balance > 0) and np.all(
            p[[model.param_index[f"g_{s}"] for s in model.states]] < 0
        )
        start = [model.initial[s] for s in model.states]
        verdict = rd.classify(model, y0=start)
        assert verdict.name == "threshold" and verdict.fate == model.metadata["fate"] == "runaway"
        run = rd.simulate(model, (0, 80), ceiling=1e9)
        assert run.has_runaway or run.values[-1].max() > 1e3 * max(start)
    elif regime == "stable_balance":
        assert growth < 0
        balance = np.linalg.solve(compiled.jac(0.0, zero, p), -compiled.rhs(0.0, zero, p))
        assert np.all(balance > 0)
    elif regime == "saturation":
        assert growth > 0  # would run away without the ceiling
        end = final(model, None, t=400)
        ceilings = np.array([model.params[f"M_{s}"].value for s in model.states])
        # the smooth ceiling lets spending pass M by about 0.02 ln(E / (a M)): 7% for DPRK
        assert np.all(end < 1.1 * ceilings) and np.max(end / ceilings) > 0.8
        assert_allclose(compiled.rhs(0.0, end, p), 0.0, atol=1e-5 * ceilings.max())
    else:
        assert regime == "bistable"
    if "regime_after_interventions" in model.metadata:
        after = model.param_vector({i.param: i.to for i in model.interventions})
        assert np.linalg.eigvals(compiled.jac(0.0, zero, after)).real.max() < 0
