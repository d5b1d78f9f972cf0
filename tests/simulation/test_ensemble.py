"""rd.simulate_ensemble: one batched system equals a loop of single runs."""

import math

import numpy as np
import pandas as pd
import pytest

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
