"""The result of :func:`richardson.sensitivity`: labelled indices, a ranking in words, a
figure."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import UnknownSymbolError, did_you_mean

__all__ = ["SensitivityResult"]

_HARDLY = 0.01  # an index below this share of the variance "hardly matters"
_WIDE = 0.1  # an interval half-width above this means the estimate has not settled


@dataclass(frozen=True, eq=False)
class SensitivityResult:
    """Global sensitivity indices of escalation outputs to uncertain parameters.

    Attributes
    ----------
    indices : xarray.Dataset
        Dims ``("output", "parameter")``. Sobol and FAST: ``S1`` (first-order index, the
        share of the output's variance due to the parameter alone), ``ST`` (total index,
        including every interaction) and their half-widths ``S1_conf``, ``ST_conf`` at
        ``attrs["conf_level"]``; Sobol with ``second_order=True`` adds ``S2`` and
        ``S2_conf`` over ``("output", "parameter", "parameter_2")`` (symmetric; NaN on the
        diagonal, where there is no pair). Morris: ``mu_star``
        (mean absolute elementary effect, output units per full range of the parameter),
        ``mu_star_conf``, ``mu`` and ``sigma`` (spread: nonlinearity or interactions).
        Coordinates ``mean``, ``variance``, ``n_failed`` along ``output``.
    samples : xarray.Dataset
        ``X`` (the parameter values, dims ``("sample", "parameter")``) and ``Y`` (the
        outputs, dims ``("sample", "output")``).
    method : str
        ``"sobol"``, ``"morris"`` or ``"fast"``.
    attrs : mapping
        Model name, the distributions, the evaluation path, the number of evaluations and
        the seconds they took.
    """

    indices: xr.Dataset
    samples: xr.Dataset
    method: str
    attrs: dict[str, Any]

    @property
    def outputs(self) -> tuple[str, ...]:
        """Names of the outputs, in order."""
        return tuple(str(o) for o in self.indices["output"].values)

    @property
    def parameters(self) -> tuple[str, ...]:
        """Names of the uncertain parameters, in order."""
        return tuple(str(p) for p in self.indices["parameter"].values)

    @property
    def measure(self) -> str:
        """The index that ranks parameters: ``"ST"`` (Sobol, FAST) or ``"mu_star"`` (Morris)."""
        return "mu_star" if self.method == "morris" else "ST"

    def ranking(self, output: str | None = None) -> pd.Series:
        """Parameters from most to least influential on ``output`` (default: the first).

        Returns
        -------
        pandas.Series
            :attr:`measure` of each parameter, sorted descending.
        """
        name = self._output(output)
        values = self.indices[self.measure].sel(output=name).to_series()
        return values.sort_values(ascending=False, kind="stable")

    def _output(self, output: str | None) -> str:
        if output is None:
            return self.outputs[0]
        if output not in self.outputs:
            raise UnknownSymbolError(
                f"{output!r} is not an output of this result (outputs: "
                f"{', '.join(self.outputs)}).{did_you_mean(output, self.outputs)}"
            )
        return output

    def summary(self) -> str:
        """Plain text for an appendix: which parameters drive each output, in words."""
        distributions = "; ".join(self.attrs["distributions"])
        lines = [
            f"Global sensitivity ({self.method}) of {self.attrs['model']}: "
            f"{self.attrs['n_evaluations']} evaluations ({self.attrs['path']}), "
            f"{self.attrs['seconds']:.2f} s.",
            f"Uncertain parameters: {distributions}.",
        ]
        for output in self.outputs:
            lines.append("")
            lines.append(self._output_summary(output))
        return "\n".join(lines)

    def _output_summary(self, output: str) -> str:
        coords = self.indices.sel(output=output)
        failed = int(coords["n_failed"])
        head = (
            f"{output} (mean {float(coords['mean']):.4g}, variance {float(coords['variance']):.4g})"
        )
        if failed:
            return (
                f"{head}: no indices; {failed} of {self.attrs['n_evaluations']} evaluations "
                "gave no finite value (a singular system, a failed run, or a run that crossed "
                "the ceiling and so reached no balance). Narrow the ranges or choose another "
                "output ('runaway' or 'time_to_ceiling' for runs that escalate)."
            )
        if float(coords["variance"]) == 0.0:
            return f"{head}: the same value for every sample; no parameter moves it."
        ranked = self.ranking(output)
        parts = [self._phrase(output, name) for name in ranked.index]
        top = ranked.index[0]
        text = f"{head}: '{top}' matters most ({parts[0]})"
        if len(parts) > 1:
            text += ", then " + ", ".join(
                f"'{name}' ({part})" for name, part in zip(ranked.index[1:], parts[1:], strict=True)
            )
        text += "."
        if self.method != "morris":
            small = [n for n in ranked.index if float(coords["ST"].sel(parameter=n)) < _HARDLY]
            if small:
                text += f" Hardly matters (ST < {_HARDLY}): {', '.join(small)}."
            share = 1.0 - float(coords["S1"].sum())
            if share > 0.05:
                text += (
                    f" About {100 * share:.0f}% of the variance comes from interactions "
                    "(1 - sum of S1)."
                )
            else:
                text += " The effects are nearly additive (sum of S1 close to 1)."
            widest = float(np.nanmax(coords["ST_conf"]))
            if widest > _WIDE or float(np.nanmax(coords["ST"])) > 1.0 + _WIDE:
                text += (
                    f" The estimates have not settled (an interval of +/- {widest:.2g}): "
                    "increase n, or narrow the ranges if the output has heavy tails (a "
                    "balance near the stability boundary grows without bound)."
                )
        else:
            varied = [
                n
                for n in ranked.index
                if float(coords["sigma"].sel(parameter=n))
                >= float(coords["mu_star"].sel(parameter=n))
                > 0.0
            ]
            if varied:
                text += (
                    f" The effect of {', '.join(varied)} changes along the range (sigma >= mu*: "
                    "nonlinear or interacting)."
                )
        if self.method == "fast":
            text += " FAST intervals come from a bootstrap and are indicative only."
        return text

    def _phrase(self, output: str, name: str) -> str:
        row = self.indices.sel(output=output, parameter=name)
        if self.method == "morris":
            return (
                f"mu* {float(row['mu_star']):.3g} +/- {float(row['mu_star_conf']):.2g}, "
                f"sigma {float(row['sigma']):.3g}"
            )
        return (
            f"ST {float(row['ST']):.3f} +/- {float(row['ST_conf']):.3f}, "
            f"S1 {float(row['S1']):.3f} +/- {float(row['S1_conf']):.3f}"
        )

    def plot(self, output: str | None = None, ax: Any = None) -> Any:
        """Bar chart of the indices of ``output`` with their confidence intervals.

        See :func:`richardson.plot.sensitivity_indices`.
        """
        from ..plot.sensitivity import sensitivity_indices

        return sensitivity_indices(self, output=self._output(output), ax=ax)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"

    def __repr__(self) -> str:
        return (
            f"<SensitivityResult {self.method}: {len(self.parameters)} parameters, "
            f"outputs {', '.join(self.outputs)}, {self.attrs['n_evaluations']} evaluations>"
        )


def as_dataset(
    per_output: dict[str, dict[str, np.ndarray]],
    parameters: list[str],
    stats: dict[str, np.ndarray],
    attrs: dict[str, Any],
) -> xr.Dataset:
    """Stack the SALib dictionaries of each output into one labelled dataset."""
    outputs = list(per_output)
    keys = list(next(iter(per_output.values())))
    variables: dict[str, Any] = {}
    for key in keys:
        stacked = np.stack([np.asarray(per_output[o][key], dtype=float) for o in outputs])
        dims = (
            ("output", "parameter", "parameter_2") if stacked.ndim == 3 else ("output", "parameter")
        )
        variables[key] = (dims, stacked)
    coords: dict[str, Any] = {"output": outputs, "parameter": parameters}
    if any(np.ndim(per_output[outputs[0]][k]) == 2 for k in keys):
        coords["parameter_2"] = parameters
    for name, values in stats.items():
        coords[name] = ("output", values)
    return xr.Dataset(variables, coords=coords, attrs=attrs)
