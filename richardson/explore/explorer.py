"""``rd.explore``: sliders that redraw the phase portrait, the trajectory and the verdict live.

The widgets (ipywidgets, the optional extra ``[explore]``) only hold values; each change
calls :meth:`Explorer.update`, which computes a :class:`~.frame.Frame` from the compiled model
(never recompiled), updates the figure's artists in place and puts the rendered PNG into an
``Image`` widget, so the explorer works in any Jupyter front end without an interactive
matplotlib backend. Sliders update on release (``continuous_update=False``): a drag costs one
redraw, not one per pixel.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..errors import ModelError, RichardsonError, UnknownSymbolError, did_you_mean
from ..model.core import Model
from .figure import ExplorerFigure
from .frame import Frame, FrameSpec, compute_frame, default_window

__all__ = ["Explorer", "Snapshot", "explore"]

#: Decades each side of the value spanned by a logarithmic slider.
LOG_DECADES = 1.5


@dataclass(frozen=True, eq=False)
class Snapshot:
    """A moment of an exploration.

    Attributes
    ----------
    params : mapping
        The parameter set shown (name -> value).
    model : Model
        The model with those values as its defaults.
    start : mapping
        The start of the time series (state -> value).
    figure : pathlib.Path or None
        Where the figure was saved.
    """

    params: Mapping[str, float]
    model: Model
    start: Mapping[str, float]
    figure: Path | None = None

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v:.4g}" for k, v in list(self.params.items())[:6])
        return f"<Snapshot {shown}{' ...' if len(self.params) > 6 else ''}; figure {self.figure}>"


class SliderRange(NamedTuple):
    """Range of one slider: ``low`` to ``high`` (parameter units), logarithmic or not."""

    low: float
    high: float
    log: bool = False


def slider_range(
    value: float, bounds: tuple[float, float], factor: float, log: bool
) -> SliderRange:
    """The slider's range for a parameter.

    Both bounds finite: the bounds. Otherwise ``value -+ factor |value|`` (``-+ factor`` for a
    value of 0), clipped to the bounds. ``log`` (only for a positive value): from
    ``value / 10**LOG_DECADES`` to ``value * 10**LOG_DECADES`` within the bounds.
    """
    low, high = (float(b) for b in bounds)
    if log and value > 0:
        spread = 10.0**LOG_DECADES
        return SliderRange(max(low, value / spread, 1e-300), min(high, value * spread), True)
    if math.isfinite(low) and math.isfinite(high):
        return SliderRange(low, high)
    span = factor * abs(value) if value != 0 else factor
    return SliderRange(max(low, value - span), min(high, value + span))


class Explorer:
    """Live panels for one model; build it with :func:`explore`.

    Attributes
    ----------
    widget : ipywidgets.Widget
        The layout to display (``display(explorer.widget)``, or let the notebook show the
        explorer itself).
    figure : matplotlib.figure.Figure
        The figure (phase plane and time series), updated in place.
    frame : Frame
        What is shown now.
    """

    def __init__(
        self,
        model: Model,
        params: Mapping[str, float] | None = None,
        y0: Any = None,
        over: Sequence[str] | None = None,
        x: str | None = None,
        y: str | None = None,
        factor: float = 3.0,
        log: Sequence[str] | None = None,
        t_end: float | None = None,
        margin: bool | None = None,
    ) -> None:
        import ipywidgets as widgets

        if not model.is_autonomous:
            raise ModelError(
                "rd.explore needs an autonomous model (time enters only through interventions)"
            )
        self.model = model
        compiled = model.compile()
        values = model.defaults | dict(params or {})
        _check_parameters(model, values, " (in params=)")
        names = list(over) if over is not None else _used_parameters(model)
        _check_parameters(model, names, " (in over=)")
        if not (math.isfinite(factor) and factor > 0):
            raise ModelError(f"factor must be a positive number, not {factor}")
        logs = set(log) if log is not None else _default_log(model, values, names)
        self._values = dict(values)
        self._start = _default_start(model, compiled, self._values, y0)
        plane = _plane(model, x, y)
        regime_now = compute_frame(
            FrameSpec(model, compiled, plane, (0.0, 1.0), (0.0, 1.0), 1.0, margin=False),
            self._values,
            self._start,
        )
        xlim, ylim = default_window(model, regime_now.balances, self._start, plane)
        horizon = t_end if t_end is not None else (40.0 if model.kind == "map" else 30.0)
        self.spec = FrameSpec(
            model,
            compiled,
            plane,
            xlim,
            ylim,
            float(horizon),
            margin=compiled.is_linear if margin is None else bool(margin),
        )
        self._figure = ExplorerFigure(self.spec)
        self._suspended = False
        self.sliders: dict[str, Any] = {}
        for name in names:
            value = float(self._values[name])
            rng = slider_range(value, model.params[name].bounds, factor, name in logs)
            common = dict(
                description=name,
                continuous_update=False,
                style={"description_width": "initial"},
                layout=widgets.Layout(width="320px"),
                readout_format=".3g",
            )
            if rng.log:
                slider = widgets.FloatLogSlider(
                    value=value,
                    base=10,
                    min=math.log10(rng.low),
                    max=math.log10(rng.high),
                    step=0.01,
                    **common,
                )
            else:
                step = (rng.high - rng.low) / 200 if rng.high > rng.low else 0.01
                slider = widgets.FloatSlider(
                    value=value, min=rng.low, max=rng.high, step=step, **common
                )
            unit = model.params[name].unit
            slider.tooltip = f"{model.params[name].description} ({unit})" if unit else name
            slider.observe(self._on_slider, names="value")
            self.sliders[name] = slider
        self.start_box = widgets.Text(
            value=", ".join(f"{v:.4g}" for v in self._start),
            description="start",
            continuous_update=False,
            layout=widgets.Layout(width="320px"),
        )
        self.start_box.observe(self._on_start, names="value")
        self.margin_box = widgets.Checkbox(value=self.spec.margin, description="margin")
        self.margin_box.observe(self._on_margin, names="value")
        self.snapshot_button = widgets.Button(description="snapshot", icon="camera")
        self.snapshot_button.on_click(lambda _: self.snapshot())
        self.image = widgets.Image(format="png")
        self.verdict_html = widgets.HTML()
        self.status = widgets.HTML()
        controls = widgets.VBox(
            [
                *self.sliders.values(),
                self.start_box,
                widgets.HBox([self.margin_box, self.snapshot_button]),
                self.status,
            ]
        )
        self.widget = widgets.VBox(
            [widgets.HBox([controls, self.image]), self.verdict_html],
            layout=widgets.Layout(width="100%"),
        )
        self.update()

    # ------------------------------------------------------------------ state
    @property
    def params(self) -> dict[str, float]:
        """The current parameter set (name -> value)."""
        return dict(self._values)

    @property
    def start(self) -> dict[str, float]:
        """The current start of the time series (state -> value)."""
        return dict(zip(self.model.states, self._start.tolist(), strict=True))

    @property
    def verdict(self) -> Any:
        """The current :class:`~richardson.Regime` (judged with the current start)."""
        return self.frame.regime

    @property
    def figure(self) -> Any:
        return self._figure.figure

    # ------------------------------------------------------------------ driving
    def set(self, y0: Any = None, **values: float) -> Explorer:
        """Move sliders (``k=1.3``) and/or the start (``y0=[1, 2]``), then redraw once.

        Values outside a slider's range widen the range. Returns the explorer.
        """
        _check_parameters(self.model, values)
        self._suspended = True
        try:
            for name, value in values.items():
                value = float(value)
                if not math.isfinite(value):
                    raise ModelError(f"{name} = {value}: give a finite number")
                self._values[name] = value
                slider = self.sliders.get(name)
                if slider is not None:
                    _widen(slider, value)
                    slider.value = value
            if y0 is not None:
                self._start = self.model.initial_vector(y0)
                self.start_box.value = ", ".join(f"{v:.4g}" for v in self._start)
        finally:
            self._suspended = False
        self.update()
        return self

    def update(self) -> Frame:
        """Recompute the frame for the current values and redraw the panels."""
        self.frame = self.compute()
        self._figure.draw(self.frame)
        self.image.value = self._figure.png()
        self.verdict_html.value = _verdict_html(self.frame)
        return self.frame

    def compute(self) -> Frame:
        """The frame of the current values, without drawing (what the benchmark times)."""
        return compute_frame(self.spec, self._values, self._start)

    def show(self, dpi: int = 100) -> Any:
        """The current figure as an ``IPython.display.Image`` (a static picture that a page
        built without a kernel shows, unlike the widgets)."""
        from IPython.display import Image

        return Image(data=self._figure.png(dpi=dpi))

    def snapshot(self, path: str | Path | None = "richardson-snapshot.png") -> Snapshot:
        """The current parameter set, the model with those defaults, and the figure saved to
        ``path`` (PNG; None: not saved)."""
        saved = None
        if path is not None:
            saved = Path(path)
            self.figure.savefig(saved, dpi=150)
            self.status.value = f"saved {html.escape(str(saved))}"
        return Snapshot(
            params=self.params,
            model=self.model.with_params(self._values),
            start=self.start,
            figure=saved,
        )

    # ------------------------------------------------------------------ callbacks
    def _on_slider(self, change: dict) -> None:
        if self._suspended:
            return
        name = change["owner"].description
        self._values[name] = float(change["new"])
        self._guarded_update()

    def _on_start(self, change: dict) -> None:
        try:
            numbers = [float(part) for part in change["new"].replace(";", ",").split(",")]
            self._start = self.model.initial_vector(numbers)
        except (ValueError, RichardsonError) as err:
            self.status.value = html.escape(
                f"start: give {self.model.n_states} numbers separated by commas ({err})"
            )
            return
        if not self._suspended:
            self._guarded_update()

    def _on_margin(self, change: dict) -> None:
        from dataclasses import replace

        self.spec = replace(self.spec, margin=bool(change["new"]))
        self._figure.spec = self.spec
        self._guarded_update()

    def _guarded_update(self) -> None:
        try:
            self.update()
            self.status.value = ""
        except RichardsonError as err:
            self.status.value = f"<span style='color:#c62828'>{html.escape(str(err))}</span>"

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def __repr__(self) -> str:
        return f"<Explorer of {self.model.name or 'model'}: {self.verdict.name}>"


def explore(
    model: Model,
    params: Mapping[str, float] | None = None,
    y0: Any = None,
    over: Sequence[str] | None = None,
    x: str | None = None,
    y: str | None = None,
    factor: float = 3.0,
    log: Sequence[str] | None = None,
    t_end: float | None = None,
    margin: bool | None = None,
) -> Explorer:
    """Explore a model in Jupyter: sliders that redraw the panels on every change.

    Panels: the phase plane of two states (vector field, nullclines, balances by type, the
    threshold between basins, the orbit from the start; a cobweb for one-state maps), the
    time series from the start with the model's interventions marked, the regime verdict with
    its explanation, and the escalation margin.

    Parameters
    ----------
    model : Model
        An autonomous ODE or map.
    params : mapping, optional
        Starting values overriding the model defaults.
    y0 : array-like or mapping, optional
        Start of the time series (state units); the model's initial state by default. Type
        another one in the ``start`` box, or pass ``y0=`` to :meth:`Explorer.set`.
    over : sequence of str, optional
        Parameters with a slider; by default every parameter the equations use.
    x, y : str, optional
        States (or actor names) drawn in the phase plane; the first two by default. The
        others are held at the first stable non-negative balance (else the start).
    factor : float
        Slider range for a parameter without two finite bounds: ``value -+ factor |value|``
        within its bounds.
    log : sequence of str, optional
        Parameters with a logarithmic slider (``10**-1.5`` to ``10**1.5`` times the value);
        by default those with a positive value and a positive lower bound (ceilings).
    t_end : float, optional
        Length of the time series (time units; steps for maps). 30 (40 steps) by default.
    margin : bool, optional
        Compute the escalation margin on every update: by default for linear models only
        (a nonlinear margin is a search of up to a second); a checkbox turns it on or off.

    Returns
    -------
    Explorer
        Display it (last expression of a cell); drive it with :meth:`Explorer.set`.

    Raises
    ------
    ImportError
        When ipywidgets is not installed: ``pip install "richardson[explore]"``.
    UnknownSymbolError
        For names in ``params``, ``over`` or ``x``/``y`` that the model does not have.

    Examples
    --------
    >>> import richardson as rd
    >>> explorer = rd.explore(rd.richardson2())  # doctest: +SKIP
    >>> explorer.set(k=1.3).verdict.name  # doctest: +SKIP
    'runaway'
    """
    try:
        import ipywidgets  # noqa: F401
    except ImportError as err:  # pragma: no cover - the extra is part of make test
        raise ImportError('rd.explore needs ipywidgets: pip install "richardson[explore]"') from err
    return Explorer(model, params, y0, over, x, y, factor, log, t_end, margin)


def _default_start(model: Model, compiled: Any, values: Mapping[str, float], y0: Any):  # noqa: ANN202
    """``y0``, else the model's initial state, else half its first non-negative balance
    (one in every state when there is none)."""
    if y0 is not None or (model.initial and len(model.initial) == model.n_states):
        return model.initial_vector(y0)
    from ..analysis.balances import equilibria

    try:
        found = equilibria(model, values) if compiled.is_linear else []
    except RichardsonError:
        found = []
    for eq in found:
        if np.all(eq.state >= 0) and np.any(eq.state > 0) and np.all(np.isfinite(eq.state)):
            return 0.5 * eq.state
    return np.ones(model.n_states)


def _used_parameters(model: Model) -> list[str]:
    used = set().union(*(expr.free_symbols for expr in model.rhs))
    return [n for n, s in zip(model.param_names, model.param_symbols, strict=True) if s in used]


def _check_parameters(model: Model, names: Iterable[str], where: str = "") -> None:
    """Raise UnknownSymbolError for the first name that is not a parameter of the model."""
    for name in names:
        if name not in model.params:
            raise UnknownSymbolError(
                f"{name!r}{where} is not a parameter of the model{did_you_mean(name, model.params)}"
            )


def _default_log(model: Model, values: Mapping[str, float], names: Sequence[str]) -> set[str]:
    return {n for n in names if values[n] > 0 and float(model.params[n].bounds[0]) > 0}


def _plane(model: Model, x: str | None, y: str | None) -> tuple[int, ...]:
    def index(name: str) -> int:
        if name in model.states:
            return model.states.index(name)
        if model.actors and name in model.actors:
            return list(model.actors).index(name)
        raise UnknownSymbolError(
            f"{name!r} is not a state or actor of the model"
            f"{did_you_mean(name, list(model.states) + list(model.actors or ()))}"
        )

    if model.n_states == 1:
        return (0,)
    i = index(x) if x is not None else 0
    j = index(y) if y is not None else (1 if i != 1 else 0)
    if i == j:
        raise ModelError(f"x and y must be two different states, not {x!r} twice")
    return (i, j)


def _widen(slider: Any, value: float) -> None:
    """Widen a slider's range so that it holds ``value``."""
    if type(slider).__name__ == "FloatLogSlider":
        if value > 0:
            exponent = math.log10(value)
            slider.min, slider.max = min(slider.min, exponent), max(slider.max, exponent)
        return
    slider.min, slider.max = min(slider.min, value), max(slider.max, value)


def _verdict_html(frame: Frame) -> str:
    from ..plot.maps import REGIME_COLOURS

    regime = frame.regime
    colour = REGIME_COLOURS.get(regime.name, "black")
    parts = [
        f"<b style='color:{colour}'>{html.escape(regime.name.replace('_', ' '))}</b>: "
        f"{html.escape(regime.explanation)}"
    ]
    if frame.margin is not None:
        first = frame.margin.summary().split("\n")[0]
        parts.append(f"<br><b>Escalation margin.</b> {html.escape(first)}")
    for note in frame.notes:
        parts.append(f"<br><i>{html.escape(note)}</i>")
    return "<div style='max-width:1000px'>" + "".join(parts) + "</div>"
