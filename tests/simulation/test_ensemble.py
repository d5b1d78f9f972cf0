"""rd.simulate_ensemble: one batched system equals a loop of single runs."""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.linalg
import scipy.optimize

import richardson as rd


@pytest.mark.parametrize("method", ["RK45", "DOP853", "BDF"])
def test_ensemble_equals_loop_of_single_runs(classic, rng, method):
    m = 12
    sets = pd.DataFrame({"k": rng.uniform(0.1, 0.9, m), "g": rng.uniform(0, 1, m)})
    times = np.linspace(0, 15, 31)
    ensemble = rd.simulate_ensemble(
        classic, sets, (0, 15), [1.0, 2.0], t_eval=times, method=method, rtol=1e-10, atol=1e-12
    )
    assert ensemble.data["spending"].shape == (m, 31, 2)
    for j in range(m):
        single = rd.simulate(
            classic,
            (0, 15),
            [1.0, 2.0],
            params=sets.iloc[j].to_dict(),
            t_eval=times,
            method="exact",
        )
        np.testing.assert_allclose(ensemble.member(j).values, single.values, rtol=2e-7, atol=1e-9)
    np.testing.assert_allclose(ensemble.data["k"].values, sets["k"].values)


def test_ensemble_accepts_every_parameter_format(classic):
    times = np.linspace(0, 5, 11)
    as_frame = rd.simulate_ensemble(
        classic, pd.DataFrame({"k": [0.1, 0.5]}), (0, 5), [1, 1], t_eval=times
    )
    as_dict = rd.simulate_ensemble(classic, {"k": [0.1, 0.5]}, (0, 5), [1, 1], t_eval=times)
    as_list = rd.simulate_ensemble(classic, [{"k": 0.1}, {"k": 0.5}], (0, 5), [1, 1], t_eval=times)
    full = np.tile(classic.param_vector(), (2, 1))
    full[:, 0] = [0.1, 0.5]
    as_array = rd.simulate_ensemble(classic, full, (0, 5), [1, 1], t_eval=times)
    for other in (as_dict, as_list, as_array):
        np.testing.assert_array_equal(
            other.data["spending"].values, as_frame.data["spending"].values
        )


def test_ensemble_records_runaway_members_and_times(classic):
    k_values = np.array([0.5, 1.3, 0.9, 1.6])
    ceiling, x0 = 100.0, 1.0
    # symmetric races: k = l, a = b = 1, g = h = 0.2
    sets = {
        "k": k_values,
        "l": k_values,
        "b": np.ones(4),
        "g": np.full(4, 0.2),
        "h": np.full(4, 0.2),
    }
    times = np.linspace(0, 60, 6001)
    ens = rd.simulate_ensemble(classic, sets, (0, 60), [x0, x0], t_eval=times, ceiling=ceiling)
    runaway = np.isfinite(ens.data["runaway_time"].values)
    np.testing.assert_array_equal(runaway, k_values > 1.0)
    for j in np.nonzero(runaway)[0]:
        r = k_values[j] - 1.0
        exact = math.log((ceiling + 0.2 / r) / (x0 + 0.2 / r)) / r
        assert ens.data["runaway_time"].values[j] == pytest.approx(
            exact, abs=0.01
        )  # output grid 0.01
    assert ens.runaway_fraction == 0.5
    assert "runaway in 50.0% of runs" in ens.summary()


def test_ensemble_errors(classic):
    with pytest.raises(rd.SimulationError, match="not available for ensembles"):
        rd.simulate_ensemble(classic, {"k": [0.1]}, (0, 1), [1, 1], method="LSODA")
    with pytest.raises(rd.UnknownSymbolError, match="'kk'"):
        rd.simulate_ensemble(classic, {"kk": [0.1]}, (0, 1), [1, 1])
    with pytest.raises(rd.SimulationError, match="different lengths"):
        rd.simulate_ensemble(classic, {"k": [0.1, 0.2], "l": [0.1]}, (0, 1), [1, 1])
    with pytest.raises(rd.SimulationError, match=r"shape \(2,\) or \(2, 2\)"):
        rd.simulate_ensemble(classic, {"k": [0.1, 0.2]}, (0, 1), np.ones((3, 2)))


def test_ensemble_chunks_give_identical_results(classic, rng):
    sets = {"k": rng.uniform(0.1, 0.9, 10)}
    whole = rd.simulate_ensemble(
        classic, sets, (0, 5), [1, 1], chunk_size=10, rtol=1e-10, atol=1e-12
    )
    chunked = rd.simulate_ensemble(
        classic, sets, (0, 5), [1, 1], chunk_size=3, progress=False, rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(
        chunked.data["spending"].values, whole.data["spending"].values, rtol=1e-7
    )


def _expm_state(A, b, y0, t):
    n = len(y0)
    augmented = np.zeros((n + 1, n + 1))
    augmented[:n, :n], augmented[:n, n] = A, b
    return (scipy.linalg.expm(augmented * t) @ np.append(y0, 1.0))[:n]


def test_ensemble_runaway_times_are_located_exactly_between_output_times(rng):
    # asymmetric unstable races on a coarse output grid (steps of 10 years): the crossing
    # of max|y| = ceiling is found on the matrix exponential by root finding
    m, ceiling, y0 = 30, 50.0, [1.0, 0.5]
    sets = {
        "k": rng.uniform(1.2, 2.0, m),
        "l": rng.uniform(1.2, 2.0, m),
        "a": rng.uniform(0.5, 1.0, m),
        "b": rng.uniform(0.5, 1.0, m),
        "g": rng.uniform(0.0, 0.5, m),
        "h": rng.uniform(0.0, 0.5, m),
    }
    model = rd.richardson2()
    ens = rd.simulate_ensemble(
        model,
        sets,
        (0, 40),
        y0,
        t_eval=np.linspace(0, 40, 5),
        ceiling=ceiling,
        rtol=1e-10,
        atol=1e-12,
    )
    assert np.all(ens.data["status"].values == 1) and ens.complete
    for j in range(m):
        k, l, a, b, g, h = (sets[name][j] for name in "klabgh")
        A, offset = np.array([[-a, k], [l, -b]]), np.array([g, h])
        exact = scipy.optimize.brentq(
            lambda t, A=A, offset=offset: np.max(np.abs(_expm_state(A, offset, y0, t))) - ceiling,
            0,
            40,
            xtol=1e-14,
        )
        # rtol 1e-10 of the solver gives the crossing to about 1e-8 relative
        assert ens.data["runaway_time"].values[j] == pytest.approx(exact, rel=1e-7)
        after = ens.data["time"].values > exact
        np.testing.assert_allclose(
            np.abs(ens.member(j).values[after]).max(axis=1), ceiling, rtol=1e-7
        )


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"param_sets": {"k": [0.1, math.nan]}}, rd.InvalidParameterError, "'k' of member 1"),
        ({"param_sets": {"k": [0.1]}, "floor": math.nan}, rd.SimulationError, "floor is nan"),
        ({"param_sets": {"k": [0.1]}, "t_eval": [0, math.nan]}, rd.SimulationError, r"t_eval\[1\]"),
        ({"param_sets": {"k": [0.1]}, "ceiling": math.nan}, rd.SimulationError, "ceiling is nan"),
        (
            {"param_sets": {"k": [0.1, 0.2]}, "y0": [[1, 1], [math.nan, 1]]},
            rd.SimulationError,
            "'y' of member 1|'x' of member 1",
        ),
    ],
)
def test_ensemble_refuses_nan_inputs_naming_the_culprit(classic, kwargs, error, match):
    kwargs = {"t_span": (0, 1), "y0": [1, 1], **kwargs}
    with pytest.raises(error, match=match):
        rd.simulate_ensemble(classic, **kwargs)
