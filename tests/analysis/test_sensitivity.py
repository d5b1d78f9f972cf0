"""Global sensitivity (rd.sensitivity) against exact indices: the Ishigami function (published
analytic S1/ST), an additive linear model (closed form for uniform, log-uniform and normal
inputs) and the two-nation spectral abscissa (brute-force double-loop estimate)."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose

import richardson as rd
from richardson.analysis.sweeps import SweepInterrupted
from richardson.app.cli import main

MODELS = Path(__file__).resolve().parents[2] / "models"

# ---------------------------------------------------------------------- Ishigami
# Ishigami and Homma (1990); analytic indices e.g. Saltelli et al. (2008), Global Sensitivity
# Analysis: The Primer, section 4.9: a = 7, b = 0.1, x_i ~ U(-pi, pi).
_A, _B = 7.0, 0.1
_V = _A**2 / 8 + _B * np.pi**4 / 5 + _B**2 * np.pi**8 / 18 + 0.5
_V1 = 0.5 * (1 + _B * np.pi**4 / 5) ** 2
_V2 = _A**2 / 8
_V13 = _B**2 * np.pi**8 * (1 / 18 - 1 / 50)
ISHIGAMI_S1 = np.array([_V1, _V2, 0.0]) / _V  # 0.3139, 0.4424, 0
ISHIGAMI_ST = np.array([_V1 + _V13, _V2, _V13]) / _V  # 0.5576, 0.4424, 0.2437
ISHIGAMI_OVER = {name: (-np.pi, np.pi) for name in ("x1", "x2", "x3")}


def _ishigami(relax: bool) -> rd.Model:
    """``dy/dt = f(x) - y`` (balance y* = f(x), the linear path) or ``dy/dt = f(x)`` (a run
    over one time unit from 0 ends at f(x))."""
    x1, x2, x3, y = sp.symbols("x1 x2 x3 y")
    f = sp.sin(x1) + _A * sp.sin(x2) ** 2 + sp.Rational(1, 10) * x3**4 * sp.sin(x1)
    rhs = f - y if relax else f
    return rd.Model(["y"], {"x1": 0.0, "x2": 0.0, "x3": 0.0}, [rhs], initial={"y": 0.0})


def test_ishigami_sobol_indices_match_the_analytic_values():
    result = rd.sensitivity(
        _ishigami(True), ISHIGAMI_OVER, outputs="balance", n=2048, seed=1, progress=False
    )
    got = result.indices.sel(output="balance[y]")
    # Saltelli's estimators at N = 2048 (10 240 evaluations): errors of about 0.01
    assert_allclose(got["S1"], ISHIGAMI_S1, atol=0.03)
    assert_allclose(got["ST"], ISHIGAMI_ST, atol=0.03)
    assert list(result.ranking("balance[y]").index) == ["x1", "x2", "x3"]


def test_ishigami_through_runs_and_a_callable_of_the_trajectory():
    def final_level(trajectory):
        return trajectory.values[-1, 0]

    result = rd.sensitivity(
        _ishigami(False),
        ISHIGAMI_OVER,
        outputs=final_level,
        n=1024,
        seed=2,
        t_span=(0.0, 1.0),
        progress=False,
    )
    got = result.indices.sel(output="final_level")
    assert "runs" in result.attrs["path"]
    # N = 1024 runs per column: errors of a few hundredths
    assert_allclose(got["S1"], ISHIGAMI_S1, atol=0.06)
    assert_allclose(got["ST"], ISHIGAMI_ST, atol=0.06)


def test_ishigami_fast_indices():
    result = rd.sensitivity(
        _ishigami(True), ISHIGAMI_OVER, outputs="balance", method="fast", n=1000, progress=False
    )
    got = result.indices.sel(output="balance[y]")
    assert_allclose(got["S1"], ISHIGAMI_S1, atol=0.03)
    assert_allclose(got["ST"], ISHIGAMI_ST, atol=0.05)
    assert "indicative only" in result.summary()


# ---------------------------------------------------------------------- additive linear model
def _additive() -> rd.Model:
    """Balance of ``z`` is ``2 g1 + 3 g2 + g3`` (y_i settle at g_i): additive in the g's."""
    y1, y2, z, g1, g2, g3 = sp.symbols("y1 y2 z g1 g2 g3")
    return rd.Model(
        ["y1", "y2", "z"],
        {"g1": 0.5, "g2": 2.0, "g3": 0.0},
        [g1 - y1, g2 - y2, 2 * y1 + 3 * y2 + g3 - z],
    )


def test_additive_linear_model_has_its_closed_form_indices():
    lo, hi = 1.0, math.e**2  # log-uniform: log g2 ~ U(0, 2)
    span = math.log(hi / lo)
    log_variance = (hi**2 - lo**2) / (2 * span) - ((hi - lo) / span) ** 2
    parts = np.array([2**2 * 1.0 / 12, 3**2 * log_variance, 0.5**2])  # U(0, 1), logU, N(0, .5)
    exact = parts / parts.sum()
    result = rd.sensitivity(
        _additive(),
        {"g1": (0.0, 1.0), "g2": ("loguniform", lo, hi), "g3": ("normal", 0.0, 0.5)},
        outputs="balance",
        n=4096,
        seed=3,
        progress=False,
    )
    got = result.indices.sel(output="balance[z]")
    assert_allclose(got["S1"], exact, atol=0.02)
    assert_allclose(got["ST"], exact, atol=0.02)
    assert_allclose(float(got["variance"]), parts.sum(), rtol=0.03)
    assert "nearly additive" in result.summary()
    # y1 settles at g1 alone: all of its variance is g1's
    assert_allclose(result.indices["ST"].sel(output="balance[y1]"), [1.0, 0.0, 0.0], atol=0.02)


# ---------------------------------------------------------------------- two-nation abscissa
_TWO_NATION = {"k": (0.5, 1.5), "l": (0.5, 1.5), "a": (0.8, 1.2), "b": (0.9, 1.3)}


def _abscissa_by_eigvals(columns: dict[str, np.ndarray]) -> np.ndarray:
    k, l, a, b = (columns[name] for name in ("k", "l", "a", "b"))
    J = np.stack([np.stack([-a, k], -1), np.stack([l, -b], -1)], -2)
    return np.linalg.eigvals(J).real.max(axis=-1)


def _brute_force_indices(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """S1 by the double loop Var(E[Y | X_i]) / Var(Y) (X_i on a midpoint grid, the inner
    means' own noise subtracted), ST by E[Var(Y | X_~i)] / Var(Y)."""
    names = list(_TWO_NATION)

    def draw(size: int) -> dict[str, np.ndarray]:
        return {n: rng.uniform(*_TWO_NATION[n], size=size) for n in names}

    variance = _abscissa_by_eigvals(draw(200_000)).var()
    s1, st = [], []
    for name in names:
        outer, inner = 50, 2000
        lo, hi = _TWO_NATION[name]
        columns = draw(outer * inner)
        columns[name] = np.repeat(lo + (hi - lo) * (np.arange(outer) + 0.5) / outer, inner)
        values = _abscissa_by_eigvals(columns).reshape(outer, inner)
        noise = values.var(axis=1, ddof=1).mean() / inner
        s1.append((values.mean(axis=1).var() - noise) / variance)
        outer, inner = 1000, 40
        columns = {n: np.repeat(rng.uniform(*_TWO_NATION[n], size=outer), inner) for n in names}
        columns[name] = rng.uniform(*_TWO_NATION[name], size=outer * inner)
        spread = _abscissa_by_eigvals(columns).reshape(outer, inner).var(axis=1, ddof=1)
        st.append(spread.mean() / variance)
    return np.array(s1), np.array(st)


def test_two_nation_abscissa_indices_match_a_brute_force_estimate():
    model = rd.richardson2(k=0.9, l=0.8, a=1.0, b=1.1)
    result = rd.sensitivity(model, _TWO_NATION, n=4096, seed=4, progress=False)
    s1, st = _brute_force_indices(np.random.default_rng(5))
    got = result.indices.sel(output="abscissa")
    # Saltelli at N = 4096 and the double loop each carry errors below 0.01
    assert_allclose(got["S1"], s1, atol=0.02)
    assert_allclose(got["ST"], st, atol=0.02)
    assert result.attrs["path"] == "linear, closed form"
    # the outputs are the batched ones: each sample's abscissa is its eigenvalues' max real part
    X = result.samples["X"].to_pandas()
    direct = _abscissa_by_eigvals({n: X[n].to_numpy() for n in X.columns})
    assert_allclose(result.samples["Y"].sel(output="abscissa"), direct, atol=1e-12)


def test_runaway_indicator_mean_is_the_share_of_runaway_samples():
    model = rd.richardson2(k=0.9, l=0.8, a=1.0, b=1.1)
    result = rd.sensitivity(
        model, _TWO_NATION, outputs=("abscissa", "runaway"), n=512, progress=False
    )
    Y = result.samples["Y"]
    assert_allclose(Y.sel(output="runaway"), (Y.sel(output="abscissa") > 0) * 1.0)
    p_runaway = float(result.indices["mean"].sel(output="runaway"))
    assert 0.05 < p_runaway < 0.95


def test_nonlinear_runaway_comes_from_runs_and_matches_single_simulations():
    model = rd.load_model(MODELS / "mutual_defence_trigger.toml")
    over = {"k_Rival_Ally_1": (0.0, 0.6), "s_Ally_1": (0.0, 2.0)}
    result = rd.sensitivity(
        model, over, outputs="runaway", method="morris", n=8, ceiling=1e3, progress=False
    )
    assert result.attrs["path"] == "batched ensembles of runs"
    X, Y = result.samples["X"].to_pandas(), result.samples["Y"].sel(output="runaway").values
    span = tuple(result.attrs["t_span"])
    for j in (0, len(X) - 1):
        run = rd.simulate(model, span, params=dict(X.iloc[j]), ceiling=1e3)
        assert Y[j] == float(run.has_runaway)


def test_linear_map_outputs_are_spectral_radius_and_fixed_point():
    x, y, k, l, g = sp.symbols("x y k l g")
    model = rd.Model(
        ["x", "y"],
        {"k": 0.3, "l": 0.4, "g": 1.0},
        [0.5 * x + k * y + g, l * x + 0.5 * y + g],
        kind="map",
    )
    over = {"k": (0.1, 0.5), "l": (0.1, 0.5)}
    result = rd.sensitivity(model, over, outputs=("abscissa", "balance"), n=16, progress=False)
    X, Y = result.samples["X"].values, result.samples["Y"]
    for j in (0, 17, 40):
        A = np.array([[0.5, X[j, 0]], [X[j, 1], 0.5]])
        radius = np.abs(np.linalg.eigvals(A)).max()
        assert_allclose(float(Y.sel(output="abscissa")[j]), radius - 1.0, atol=1e-12)
        fixed_point = np.linalg.solve(np.eye(2) - A, [1.0, 1.0])
        assert_allclose(Y.sel(output=["balance[x]", "balance[y]"])[j], fixed_point, rtol=1e-12)
    with pytest.raises(rd.ModelError, match="this model is a map"):
        rd.sensitivity(model, over, outputs="time_to_ceiling", n=8)


def test_time_to_ceiling_of_exponential_growth_is_log_ratio_over_rate():
    x, k, a = sp.symbols("x k a")
    model = rd.Model(["x"], {"k": 1.0, "a": 0.1}, [(k - a) * x], initial={"x": 1.0})
    result = rd.sensitivity(
        model,
        {"k": (0.5, 1.5), "a": (0.0, 0.2)},
        outputs="time_to_ceiling",
        method="morris",
        n=8,
        ceiling=10.0,
        t_span=(0.0, 10.0),
        progress=False,
    )
    X = result.samples["X"].to_pandas()
    exact = np.log(10.0) / (X["k"] - X["a"]).to_numpy()
    # the ensemble finds the crossing on its output grid (201 points over 10 years): within
    # one step of 0.05 after the exact time
    got = result.samples["Y"].sel(output="time_to_ceiling").values
    assert np.all(got >= exact - 1e-6)
    assert np.all(got <= exact + 0.05 + 1e-6)


def test_runs_that_escalate_have_no_balance():
    x, k = sp.symbols("x k")
    model = rd.Model(["x"], {"k": 1.0, "q": 0.01}, [k * x + sp.Symbol("q") * x**2])
    result = rd.sensitivity(
        model,
        {"k": (0.5, 1.5), "q": (0.0, 0.02)},
        outputs=("runaway", "balance"),
        method="morris",
        n=4,
        y0=[1.0],
        ceiling=10.0,
        t_span=(0.0, 10.0),
        progress=False,
    )
    assert float(result.indices["mean"].sel(output="runaway")) == 1.0
    assert int(result.indices["n_failed"].sel(output="balance[x]")) == 4 * 3
    assert "reached no balance" in result.summary()


# ---------------------------------------------------------------------- result, execution
def test_result_is_immutable_and_summary_ranks_in_words():
    model = rd.richardson2(k=0.9, l=0.8, a=1.0, b=1.1)
    result = rd.sensitivity(model, {"k": (0.5, 1.5), "a": (0.95, 1.05)}, n=256, progress=False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.method = "morris"
    text = result.summary()
    assert "'k' matters most" in text
    assert "k ~ uniform[0.5, 1.5]" in text
    assert result.ranking().index[0] == "k"
    assert "matters most" in result._repr_html_() and "<pre>" in result._repr_html_()
    assert repr(result).startswith("<SensitivityResult sobol: 2 parameters")
    with pytest.raises(rd.UnknownSymbolError, match="Did you mean 'abscissa'"):
        result.ranking("abscisa")
    ax = result.plot()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "k"]
    assert len(ax.patches) == 4  # S1 and ST bars of two parameters


def test_morris_ranks_by_mean_absolute_elementary_effect():
    model = rd.richardson2(k=0.9, l=0.8, a=1.0, b=1.1)
    result = rd.sensitivity(
        model, {"k": (0.5, 1.5), "a": (0.95, 1.05)}, method="morris", n=32, progress=False
    )
    assert result.measure == "mu_star"
    assert result.attrs["n_evaluations"] == 32 * 3
    # the abscissa is increasing in k and decreasing in a: |mean effect| equals mu*
    row = result.indices.sel(output="abscissa")
    assert_allclose(np.abs(row["mu"]), row["mu_star"], rtol=1e-12)
    assert list(result.ranking().index) == ["k", "a"]
    assert "'k' matters most (mu*" in result.summary()


def test_second_order_indices_are_symmetric():
    model = rd.richardson2(k=0.9, l=0.8, a=1.0, b=1.1)
    result = rd.sensitivity(model, _TWO_NATION, n=512, second_order=True, progress=False)
    S2 = result.indices["S2"].sel(output="abscissa").values
    assert result.attrs["n_evaluations"] == 512 * (2 * 4 + 2)
    assert_allclose(S2, S2.T)
    assert np.isnan(np.diag(S2)).all()
    # k and l interact (the abscissa depends on k l): their pair index stands out
    assert S2[0, 1] == np.nanmax(S2)


def test_executor_gives_the_same_indices():
    model = rd.richardson2(k=0.9, l=0.8, a=1.0, b=1.1)
    here = rd.sensitivity(model, _TWO_NATION, n=256, progress=False)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        there = rd.sensitivity(model, _TWO_NATION, n=256, executor=pool, chunk_size=500)
    assert_allclose(there.indices["ST"], here.indices["ST"])


def test_process_pool_runs_the_ensemble_chunks_with_the_same_outputs():
    model = rd.load_model(MODELS / "mutual_defence_trigger.toml")
    over = {"k_Rival_Ally_1": (0.0, 0.6), "s_Ally_1": (0.0, 2.0)}
    options = {"outputs": ("runaway", "balance"), "method": "morris", "n": 8, "ceiling": 1e3}
    here = rd.sensitivity(model, over, progress=False, **options)
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        there = rd.sensitivity(model, over, executor=pool, chunk_size=12, **options)
    assert_allclose(there.samples["Y"], here.samples["Y"])


def test_each_sample_equals_classify_of_its_parameters():
    model = rd.load_model(MODELS / "greece_turkey_nato.toml")
    over = {"c_Greece_Turkey": (0.1, 0.9), "a_Greece": (0.3, 0.7), "d_Turkey": (0.0, 1.0)}
    result = rd.sensitivity(model, over, outputs=("abscissa", "runaway"), n=8, progress=False)
    X, Y = result.samples["X"].to_pandas(), result.samples["Y"]
    for j in range(0, len(X), 7):
        regime = rd.classify(model, dict(X.iloc[j]))
        assert_allclose(float(Y.sel(output="abscissa")[j]), regime.growth_rate, atol=1e-12)
        escalates = regime.name in ("runaway", "threshold")
        assert float(Y.sel(output="runaway")[j]) == float(escalates)


def test_constant_and_failed_outputs_are_reported_not_hidden():
    model = rd.richardson2(k=0.1, l=0.1, a=1.0, b=1.1)

    def fails_above_half(trajectory):
        if trajectory.attrs["params"]["k"] > 0.15:
            raise RuntimeError("a failure the callable did not foresee")
        return trajectory.values[-1, 0]

    result = rd.sensitivity(
        model,
        {"k": (0.1, 0.2), "a": (0.9, 1.1)},
        outputs=("runaway", fails_above_half),
        n=64,
        y0=[1.0, 1.0],
        t_span=(0.0, 5.0),
        progress=False,
    )
    assert float(result.indices["variance"].sel(output="runaway")) == 0.0
    assert_allclose(result.indices["ST"].sel(output="runaway"), 0.0)
    assert int(result.indices["n_failed"].sel(output="fails_above_half")) > 0
    assert np.isnan(result.indices["ST"].sel(output="fails_above_half")).all()
    text = result.summary()
    assert "no parameter moves it" in text
    assert "gave no finite value" in text


def test_fast_leaves_numpy_global_random_state_alone():
    before = np.random.get_state()[1].copy()  # noqa: NPY002 -- the state SALib reseeds
    rd.sensitivity(
        rd.richardson2(), {"k": (0.5, 1.5), "a": (0.8, 1.2)}, method="fast", n=128, seed=7
    )
    assert (np.random.get_state()[1] == before).all()  # noqa: NPY002


def test_interrupt_warns_and_propagates():
    def interrupt(trajectory):
        raise KeyboardInterrupt

    with pytest.warns(SweepInterrupted, match="interrupted after 0 of"):
        with pytest.raises(KeyboardInterrupt):
            rd.sensitivity(
                rd.richardson2(),
                {"k": (0.5, 1.5), "a": (0.8, 1.2)},
                outputs=interrupt,
                n=8,
                y0=[1.0, 1.0],
                progress=False,
            )


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("over", "kwargs", "error", "match"),
    [
        ({"kk": (0, 1), "a": (0, 1)}, {}, rd.UnknownSymbolError, "Did you mean 'k'"),
        ({"k": (1, 0), "a": (0, 1)}, {}, rd.InvalidParameterError, "lower end must be below"),
        ({"k": ("loguniform", 0, 1), "a": (0, 1)}, {}, rd.InvalidParameterError, "above 0"),
        ({"k": ("normal", 1, -1), "a": (0, 1)}, {}, rd.InvalidParameterError, "positive standard"),
        ({"k": ("gauss", 1, 1), "a": (0, 1)}, {}, rd.InvalidParameterError, "not known"),
        ({"k": (0, math.inf), "a": (0, 1)}, {}, rd.InvalidParameterError, "finite"),
        ({"k": (0, 1)}, {}, rd.ModelError, "at least two uncertain parameters"),
        ({"k": (0, 1), "a": (0, 1)}, {"outputs": "abscisa"}, rd.ModelError, "'abscissa'"),
        ({"k": (0, 1), "a": (0, 1)}, {"method": "sobel"}, rd.ModelError, "'sobol'"),
        ({"k": (0, 1), "a": (0, 1)}, {"method": "fast", "n": 32}, rd.InvalidParameterError, "64"),
        ({"k": (0, 1), "a": (0, 1)}, {"fixed": {"k": 1.0}}, rd.ModelError, "both in over"),
        ({"k": (-1, 1), "a": (0, 1)}, {}, rd.InvalidParameterError, "leaves its bounds"),
    ],
)
def test_bad_input_raises_a_clear_error(over, kwargs, error, match):
    with pytest.raises(error, match=match):
        rd.sensitivity(rd.richardson2(), over, progress=False, **kwargs)


def test_runs_without_a_start_say_how_to_give_one():
    with pytest.raises(rd.ModelError, match="y0"):
        rd.sensitivity(rd.richardson2(), {"k": (0, 1), "a": (0.5, 1)}, outputs="time_to_ceiling")


# ---------------------------------------------------------------------- command line
def test_cli_prints_the_ranking_and_writes_the_figure(tmp_path, capsys):
    figure = tmp_path / "gt.png"
    code = main(
        [
            "sensitivity",
            str(MODELS / "greece_turkey_nato.toml"),
            "--over",
            "c_Greece_Turkey=0.1:0.7",
            "--over",
            "a_Greece=0.3:0.7",
            "--over",
            "k_USA_Soviet_Union=log:0.05:0.2",
            "--output",
            "abscissa",
            "-n",
            "256",
            "--figure",
            str(figure),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "'c_Greece_Turkey' matters most" in out
    assert figure.stat().st_size > 1000


def test_cli_rejects_a_malformed_range_in_one_line(capsys):
    path = str(MODELS / "classic_two_nation.toml")
    assert main(["sensitivity", path, "--over", "k_Entente_Central_Powers=1"]) == 2
    assert "--over expects NAME=LO:HI" in capsys.readouterr().err
    assert (
        main(
            [
                "sensitivity",
                path,
                "--over",
                "k_Entente_Central_Power=0:1",
                "--over",
                "a_Entente=1:2",
            ]
        )
        == 2  # a user error (issue 18): exit code 2, one line
    )
    assert "Did you mean 'k_Entente_Central_Powers'" in capsys.readouterr().err
