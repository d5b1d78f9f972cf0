"""Shared fixtures."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import richardson as rd  # noqa: E402


@pytest.fixture
def classic():
    """The classic stable two-nation model of the README (a b = 1.1 > k l = 0.72)."""
    return rd.richardson2(k=0.9, l=0.8, a=1.0, b=1.1, g=0.5, h=0.3)


@pytest.fixture
def rng():
    return np.random.default_rng(20261126)
