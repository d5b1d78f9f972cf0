"""Ensembles drawn: members light under a quantile fan chart."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

import richardson as rd


def classic():
    return rd.richardson2(a=1.0, b=1.1, g=0.3, h=0.2)


def test_ensemble_plot_draws_members_light_under_the_fan_chart():
    ens = rd.simulate_ensemble(
        classic(), rd.grid(k=np.linspace(0.2, 0.9, 6), l=[0.5, 0.9]), (0, 5),
        y0=[1.0, 1.0], progress=False,
    )  # fmt: skip
    ax = ens.plot(members=5)
    try:
        medians = [line for line in ax.get_lines() if line.get_label().endswith("(median)")]
        assert [m.get_label() for m in medians] == ["x (median)", "y (median)"]
        median_x = ens.quantiles((0.5,)).sel(actor="x").values[0]
        np.testing.assert_allclose(medians[0].get_ydata(), median_x)
        light = [line for line in ax.get_lines() if line.get_alpha() == 0.15]
        assert len(light) == 2 * 5  # five members of each actor
        assert len(ax.collections) == 4  # outer and inner band of each actor
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert "5-95% of members" in labels and "members (5 of 12 drawn)" in labels
        # the same figure through rd.plot.time_series, one actor
        other = rd.plot.time_series(ens, actors=["y"], members=0)
        assert [line.get_label() for line in other.get_lines()] == ["y (median)"]
        with pytest.raises(rd.UnknownSymbolError, match="Did you mean 'y'"):
            rd.plot.time_series(ens, actors=["yy"])
    finally:
        plt.close("all")
