"""The explorer's figure: a phase plane (or a cobweb for one-state maps) and a time series,
whose artists are updated in place from a :class:`~.frame.Frame`."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure

from ..plot.maps import REGIME_COLOURS
from .frame import ARROWS, Frame, FrameSpec

__all__ = ["ExplorerFigure"]

_MARKERS = {
    "stable": dict(marker="o", color="black", markersize=8, linestyle="none"),
    "saddle": dict(marker="X", color="crimson", markersize=9, linestyle="none"),
    "unstable": dict(
        marker="o", markerfacecolor="white", color="black", markersize=8, linestyle="none"
    ),
}


class ExplorerFigure:
    """A matplotlib figure (no pyplot: nothing is shown by itself) with the explorer's panels.

    Parameters
    ----------
    spec : FrameSpec
        The model and the view.
    size : tuple of float
        Figure size in inches.
    """

    def __init__(self, spec: FrameSpec, size: tuple[float, float] = (10.0, 4.0)) -> None:
        self.spec = spec
        model = spec.model
        self.figure = Figure(figsize=size)
        self.figure.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.9, wspace=0.25)
        self.phase, self.series = self.figure.subplots(1, 2)
        i = spec.plane[0]
        j = spec.plane[1] if len(spec.plane) > 1 else None
        self.cobweb = model.kind == "map" and j is None
        names = model.actors or model.states
        unit = f" ({model.state_unit})" if model.state_unit else ""
        self.phase.set_xlim(*spec.xlim)
        self.phase.set_ylim(*(spec.xlim if self.cobweb else spec.ylim))
        if self.cobweb:
            self.phase.set(xlabel=f"{names[i]} now{unit}", ylabel=f"{names[i]} next{unit}")
            self.phase.plot(spec.xlim, spec.xlim, color="0.6", lw=0.8)
            (self.map_curve,) = self.phase.plot([], [], color="C0", lw=1.5, label="map")
            (self.web,) = self.phase.plot([], [], color="C3", lw=0.8, label="cobweb")
            self.quiver = None
        else:
            self.phase.set(xlabel=f"{names[i]}{unit}", ylabel=f"{names[j]}{unit}")
            gx, gy = np.meshgrid(np.linspace(*spec.xlim, ARROWS), np.linspace(*spec.ylim, ARROWS))
            zeros = np.zeros_like(gx)
            self.quiver = self.phase.quiver(
                gx, gy, zeros, zeros, color="0.65", angles="xy", pivot="mid", width=0.004
            )
            (self.orbit,) = self.phase.plot([], [], color="C3", lw=1.4, label="from the start")
            (self.separatrix,) = self.phase.plot(
                [], [], color="crimson", ls="--", lw=1.4, label="threshold between basins"
            )
        self.markers = {
            kind: self.phase.plot([], [], label=f"{kind} balance", **style)[0]
            for kind, style in _MARKERS.items()
        }
        (self.start_marker,) = self.phase.plot([], [], "s", color="C3", markersize=6)
        self.nullclines: list = []
        self.lines = [
            self.series.plot([], [], label=names[k])[0] for k in range(min(model.n_states, 8))
        ]
        self.series.set(xlabel=f"time ({'step' if model.kind == 'map' else model.time_unit})")
        self.series.set_ylabel(f"spending{unit}")
        for intervention in model.interventions:
            for when in intervention.breakpoints():
                self.series.axvline(when, color="0.5", ls=":", lw=1)
        if model.interventions:
            self.series.plot([], [], color="0.5", ls=":", lw=1, label="intervention")
        self.series.legend(fontsize=7, loc="upper left")
        self.phase.legend(fontsize=7, loc="upper right")

    def draw(self, frame: Frame) -> None:
        """Update every artist from ``frame`` (no rendering: call :meth:`png` or let the
        canvas draw)."""
        spec = self.spec
        i = spec.plane[0]
        j = spec.plane[1] if len(spec.plane) > 1 else None
        for artist in self.nullclines:
            artist.remove()
        self.nullclines = []
        if self.cobweb:
            xs = np.linspace(*spec.xlim, 200)
            points = np.repeat(frame.slice_[:, None], xs.size, axis=1)
            points[i] = xs
            with np.errstate(all="ignore"):
                image = spec.compiled.rhs(0.0, points, spec.model.param_vector(frame.params))[i]
            self.map_curve.set_data(xs, image)
            # (x0, 0) -> (x0, x1) -> (x1, x1) -> (x1, x2) -> ...
            orbit = frame.states[: min(len(frame.states), 60), i]
            web_x = np.repeat(orbit[:-1], 2)
            web_y = np.empty_like(web_x)
            web_y[0::2] = np.concatenate([[0.0], orbit[1:-1]])
            web_y[1::2] = orbit[1:]
            self.web.set_data(web_x, web_y)
        else:
            self.quiver.set_UVC(frame.u.ravel(), frame.v.ravel())
            for rates, colour in ((frame.fx, "C0"), (frame.fy, "C1")):
                if np.nanmin(rates) < 0 < np.nanmax(rates):
                    contour = self.phase.contour(
                        frame.field_x, frame.field_y, rates, levels=[0.0], colors=colour
                    )
                    self.nullclines.append(contour)
            self.separatrix.set_data(frame.separatrix[:, 0], frame.separatrix[:, 1])
            self.orbit.set_data(frame.states[:, i], frame.states[:, j])
        groups: dict[str, list[tuple[float, float]]] = {k: [] for k in _MARKERS}
        for eq in frame.balances:
            kind = "stable" if eq.stable else "saddle" if eq.kind == "saddle" else "unstable"
            y = eq.state[i] if self.cobweb else eq.state[j]
            groups[kind].append((eq.state[i], y))
        for kind, points in groups.items():
            xs, ys = (list(v) for v in zip(*points, strict=True)) if points else ([], [])
            self.markers[kind].set_data(xs, ys)
        if self.cobweb:
            self.start_marker.set_data([frame.start[i]], [0.0])
        else:
            self.start_marker.set_data([frame.start[i]], [frame.start[j]])
        for k, line in enumerate(self.lines):
            line.set_data(frame.times, frame.states[:, k])
        finite = frame.states[np.isfinite(frame.states)]
        top = float(np.max(np.abs(finite))) if finite.size else 1.0
        self.series.set_xlim(float(frame.times[0]), float(frame.times[-1]))
        # escalation over orders of magnitude reads on a log axis
        growing = frame.regime.fate == "runaway" and finite.size and float(np.min(finite)) > 0
        if growing and top / float(np.min(finite)) > 100:
            self.series.set_yscale("log")
            self.series.set_ylim(float(np.min(finite)) / 1.5, 1.5 * top)
        else:
            self.series.set_yscale("linear")
            low = min(0.0, float(np.min(finite))) if finite.size else 0.0
            self.series.set_ylim(low, 1.05 * top if top > 0 else 1.0)
        colour = REGIME_COLOURS.get(frame.regime.name, "black")
        self.phase.set_title(frame.regime.name.replace("_", " "), color=colour, fontsize=11)
        fate = frame.regime.fate
        self.series.set_title(
            f"from the start: {fate.replace('_', ' ')}" if fate else "from the start", fontsize=10
        )

    def png(self, dpi: int = 80) -> bytes:
        """The figure rendered as PNG bytes."""
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=dpi)
        return buffer.getvalue()
