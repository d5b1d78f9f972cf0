"""quantile_bands: the shaded bands are the ensemble's quantiles."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from numpy.testing import assert_allclose

import richardson as rd
from richardson.errors import UnknownSymbolError


@pytest.fixture
def paths(classic):
    return rd.simulate_sde(
        classic, (0, 4), [1, 1], noise=0.3, n_paths=400, seed=0, t_eval=np.arange(5.0)
    )


def test_bands_are_the_quantiles(paths):
    ax = rd.plot.quantile_bands(paths, actors=["x"], levels=(0.1,))
    (median,) = ax.get_lines()
    exact = np.quantile(paths.data["spending"].values[:, :, 0], [0.1, 0.5, 0.9], axis=0)
    assert_allclose(median.get_ydata(), exact[1])
    (band,) = ax.collections
    outline = band.get_paths()[0].vertices[:, 1]
    assert_allclose(outline.min(), exact[0].min())
    assert_allclose(outline.max(), exact[2].max())
    assert ax.get_title() == "400 paths: median and 10-90% bands"
    plt.close(ax.figure)


def test_bad_levels_and_actors(paths):
    with pytest.raises(ValueError, match=r"\(0, 0.5\)"):
        rd.plot.quantile_bands(paths, levels=(0.7,))
    with pytest.raises(UnknownSymbolError, match="Did you mean"):
        rd.plot.quantile_bands(paths, actors=["xx"])
    plt.close("all")
