"""Ensembles over a Cartesian grid, members, quantiles, and maps iterated over a step span."""

import numpy as np
import pytest
import sympy as sp
from scipy.linalg import expm

import richardson as rd


def classic():
    return rd.richardson2(a=1.0, b=1.1, g=0.3, h=0.2)


def exact(k, l, t, y0=(1.0, 1.0)):
    """x(t) of dx/dt = A x + c by the matrix exponential of the augmented system."""
    A = np.array([[-1.0, k, 0.3], [l, -1.1, 0.2], [0.0, 0.0, 0.0]])
    return (expm(A * t) @ np.array([*y0, 1.0]))[:2]


def test_grid_is_every_combination_first_name_slowest():
    table = rd.grid(k=[0.5, 1.0, 1.5], l=[0.8, 1.2])
    assert table.attrs["grid"] == ["k", "l"]
    assert table.to_numpy().tolist() == [
        [0.5, 0.8], [0.5, 1.2], [1.0, 0.8], [1.0, 1.2], [1.5, 0.8], [1.5, 1.2]
    ]  # fmt: skip


@pytest.mark.parametrize(
    "axes, words",
    [({}, "at least one axis"), ({"k": []}, "non-empty"), ({"k": [0.1, np.nan]}, "finite")],
)
def test_grid_refuses_malformed_axes(axes, words):
    with pytest.raises(rd.SimulationError, match=words):
        rd.grid(**axes)


def test_ensemble_over_a_grid_selects_members_by_parameter():
    ks, ls = [0.3, 0.6, 0.9], [0.4, 0.8]
    ens = rd.simulate_ensemble(
        classic(), rd.grid(k=ks, l=ls), (0, 5), y0=[1.0, 1.0], t_eval=[0, 2.5, 5], progress=False
    )
    assert ens.data.sizes["member"] == 6
    for k in ks:
        for l in ls:
            run = ens.data["spending"].sel(k=k, l=l)
            np.testing.assert_allclose(run.sel(time=5.0).values, exact(k, l, 5.0), rtol=1e-6)
    # member(i) is the i-th row of the grid, its parameters as coordinates
    third = ens.member(3)
    assert third.dims == ("time", "actor")
    assert (float(third["k"]), float(third["l"])) == (0.6, 0.8)
    np.testing.assert_allclose(third.sel(time=2.5).values, exact(0.6, 0.8, 2.5), rtol=1e-6)
    # one dimension per axis after unstacking
    assert ens.data.unstack("member")["spending"].sizes == {"time": 3, "actor": 2, "k": 3, "l": 2}
    # an axis of one value is still a coordinate
    single = rd.simulate_ensemble(
        classic(), rd.grid(k=[0.5], l=ls), (0, 1), y0=[1.0, 1.0], progress=False
    )
    assert single.data["spending"].sel(k=0.5, l=0.8).dims == ("time", "actor")


def test_final_and_quantiles_over_a_grid():
    ens = rd.simulate_ensemble(
        classic(), rd.grid(k=np.linspace(0.1, 0.9, 9)), (0, 3), y0=[1.0, 1.0], progress=False
    )
    final = ens.final()  # one row per member, indexed by the grid's axis
    assert final.index.names == ["k"] and list(final.columns) == ["x", "y"]
    np.testing.assert_allclose(final.to_numpy(), ens.data["spending"].values[:, -1, :])
    np.testing.assert_allclose(final.loc[0.5].to_numpy(), exact(0.5, 0.8, 3.0), rtol=1e-6)
    bands = ens.quantiles((0.1, 0.5, 0.9))
    assert bands.dims == ("quantile", "time", "actor")
    np.testing.assert_allclose(
        bands.values, np.quantile(ens.data["spending"].values, [0.1, 0.5, 0.9], axis=0)
    )
    # the median of nine increasing reactions is the run of the fifth (k = 0.5)
    np.testing.assert_allclose(bands.sel(quantile=0.5).values[-1], exact(0.5, 0.8, 3.0), rtol=1e-6)


def logistic(r=2.0):
    x, rr = sp.symbols("x r")
    return rd.Model(["x"], {"r": r}, [rr * x * (1 - x)], kind="map", initial={"x": 0.1})


def test_iterate_takes_a_step_span_like_simulate():
    by_count = rd.iterate(logistic(), 50)
    by_span = rd.iterate(logistic(), (0, 50))
    np.testing.assert_array_equal(by_span.values, by_count.values)
    np.testing.assert_array_equal(by_span.time, np.arange(51.0))
    assert by_span.values[-1, 0] == pytest.approx(0.5, abs=1e-12)  # fixed point 1 - 1/r
    later = rd.iterate(logistic(), (10, 20))
    np.testing.assert_array_equal(later.time, np.arange(10.0, 21.0))
    # the span starts from the model's initial state: (10, 20) is 10 steps from x0 = 0.1,
    # and for r = 2 the closed form is x_n = (1 - (1 - 2 x0)^(2^n)) / 2
    assert later.values[-1, 0] == pytest.approx((1 - (1 - 2 * 0.1) ** (2**10)) / 2, abs=1e-12)


@pytest.mark.parametrize("span", [(0,), (5, 5), (0, 2.5), "50", 0, (0, 1, 2)])
def test_iterate_says_which_step_forms_it_takes(span):
    with pytest.raises(rd.SimulationError, match=r"step span \(first, last\)"):
        rd.iterate(logistic(), span)
