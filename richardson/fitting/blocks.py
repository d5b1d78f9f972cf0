"""Which years a residual bootstrap draws: one by one, or in moving blocks when the residuals
are autocorrelated.

Resampling single years treats them as independent. Yearly residuals of arms-race fits are
usually autocorrelated (Durbin-Watson well below 2), and independent draws then understate the
spread of the estimates and make ``P(runaway)`` overconfident. The moving-block bootstrap
(Kuensch 1989) draws blocks of consecutive years instead, keeping the dependence inside each
block.

The rule, stated once: ``scheme="auto"`` uses blocks when any series' lag-1 residual
autocorrelation exceeds ``2 / sqrt(T)`` (the usual 95% band of a white-noise autocorrelation),
with block length ``max(2, round(T ** (1/3)))`` years, the order ``T^(1/3)`` that minimises the
error of block-bootstrap variance estimates (Hall, Horowitz and Jing 1995).

References
----------
Kuensch, H. R. (1989). The jackknife and the bootstrap for general stationary observations.
*Annals of Statistics* 17: 1217-1241.
Hall, P., Horowitz, J. L., and Jing, B.-Y. (1995). On blocking rules for the bootstrap with
dependent data. *Biometrika* 82: 561-574.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import FitError

__all__ = ["SCHEMES", "ResamplingScheme", "choose_scheme", "resampled_rows"]

#: Resampling schemes of the residual bootstrap.
SCHEMES = ("auto", "iid", "block")


@dataclass(frozen=True)
class ResamplingScheme:
    """How the years of a residual bootstrap are drawn.

    Attributes
    ----------
    kind : str
        ``"iid"`` (single years), ``"block"`` (moving blocks of consecutive years) or
        ``"parametric"`` (series simulated from a fitted noise model, ``method="var"``).
    block_length : int
        Years per block (1 for ``"iid"``).
    reason : str
        One sentence: why this scheme (the measured autocorrelation, or the user's choice).
    """

    kind: str
    block_length: int
    reason: str

    def describe(self) -> str:
        what = {
            "iid": "single years",
            "parametric": "parametric: series simulated from the fitted model",
        }.get(self.kind, f"moving blocks of {self.block_length} consecutive years")
        return f"{what} ({self.reason})"


def choose_scheme(
    residuals: np.ndarray, scheme: str = "auto", block_length: int | None = None
) -> ResamplingScheme:
    """Pick the resampling scheme from the residuals' autocorrelation.

    Parameters
    ----------
    residuals : numpy.ndarray
        Residuals, shape ``(T, s)``: years by series.
    scheme : {"auto", "iid", "block"}
        ``"auto"`` applies the rule of the module docstring.
    block_length : int, optional
        Years per block for ``"block"`` (and ``"auto"`` when it picks blocks); by default
        ``max(2, round(T ** (1/3)))``.

    Returns
    -------
    ResamplingScheme

    Raises
    ------
    FitError
        For an unknown scheme or a block length outside ``1 .. T``.
    """
    if scheme not in SCHEMES:
        raise FitError(f"scheme must be one of {SCHEMES}, not {scheme!r}")
    matrix = np.asarray(residuals, dtype=float)
    matrix = matrix.reshape(len(matrix), -1)
    n_times = matrix.shape[0]
    if block_length is not None and not (
        int(block_length) == block_length and 1 <= block_length <= n_times
    ):
        raise FitError(f"block_length must be a whole number of years in 1..{n_times}")
    length = int(block_length) if block_length else max(2, round(n_times ** (1.0 / 3.0)))
    centred = matrix - matrix.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.sum(centred[1:] * centred[:-1], axis=0) / np.sum(centred**2, axis=0)
    rho = np.nan_to_num(rho)
    band = 2.0 / math.sqrt(max(n_times, 1))
    strongest = float(np.max(np.abs(rho))) if rho.size else 0.0
    if scheme == "iid":
        return ResamplingScheme("iid", 1, "asked for")
    if scheme == "block":
        return ResamplingScheme("block", length, "asked for")
    if strongest > band:
        return ResamplingScheme(
            "block",
            length,
            f"lag-1 residual autocorrelation up to {strongest:.2f} exceeds 2/sqrt(T) = {band:.2f}",
        )
    return ResamplingScheme(
        "iid",
        1,
        f"lag-1 residual autocorrelation at most {strongest:.2f} <= 2/sqrt(T) = {band:.2f}",
    )


def resampled_rows(
    n_times: int, n: int, scheme: ResamplingScheme, rng: np.random.Generator
) -> np.ndarray:
    """Row indices of ``n`` resamples of ``n_times`` years, shape ``(n, n_times)``.

    ``"iid"`` draws each year independently; ``"block"`` concatenates blocks of
    ``block_length`` consecutive years starting at uniformly drawn years ``0 .. T - L`` and
    cuts the result to ``T`` years.
    """
    if scheme.kind == "iid" or scheme.block_length <= 1:
        return rng.integers(0, n_times, size=(n, n_times))
    length = min(scheme.block_length, n_times)
    blocks = math.ceil(n_times / length)
    starts = rng.integers(0, n_times - length + 1, size=(n, blocks))
    rows = (starts[:, :, None] + np.arange(length)).reshape(n, blocks * length)
    return rows[:, :n_times]
