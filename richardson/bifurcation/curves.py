"""Two-parameter continuation of fold, Hopf and flip points: exact regime boundaries.

:func:`continue_bifurcation` starts from a :class:`~richardson.bifurcation.Bifurcation` found
by :func:`~richardson.continuation` and frees a second parameter. The curve is
followed with the same pseudo-arclength tracer on a *standard augmented system*
(Kuznetsov 2004, sec. 10.2):

fold (ODE) / fold or flip (map), unknowns ``(x, v, p1, p2)``
    ``G(x, p) = 0``, ``(A + c I) v = 0``, ``v . v0 = 1`` where ``A = dG/dx`` and ``c = 0``
    (fold; for maps ``A = J - I``) or ``c = 2`` (flip: ``J + I`` singular).
Hopf (ODE), unknowns ``(x, v, kappa, p1, p2)``
    ``G(x, p) = 0``, ``(A^2 + kappa I) v = 0``, ``v . v0 = 1``, ``v . A0 v0 = 0``;
    ``kappa = omega^2`` where the eigenvalues are ``+-i omega``. Where ``kappa < 0`` the curve
    continues as a *neutral saddle* curve (real pair ``+-sqrt(-kappa)``), which is not a Hopf
    curve; the dataset flags those points.

Second derivatives of ``G`` come from central differences of the analytic Jacobian.
Codimension-two points on the curves (ODEs):

* **cusp** on a fold curve: the quadratic normal-form coefficient ``w . B(v, v)`` vanishes
  (test ``(w . B(v, v)) (w . v)`` with unit null vectors, independent of their signs);
* **Bogdanov-Takens** on a fold curve: a second eigenvalue reaches zero (test: the sum of the
  principal ``(n-1)``-minors of ``A``, the product of the other eigenvalues); on a Hopf curve:
  ``kappa = omega^2`` crosses zero.

References
----------
Kuznetsov, Y. A. (2004). *Elements of Applied Bifurcation Theory*, 3rd ed., ch. 8 and 10.
Springer.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from ..errors import ContinuationError, UnknownSymbolError, did_you_mean
from ..model._frozen import FrozenMapping
from ..model.core import Model
from .results import Bifurcation
from .tracing import _Curve, _join, _Point, _System

__all__ = ["BifurcationCurve", "CodimTwoPoint", "continue_bifurcation"]

_CURVE_KINDS = {"fold": ("fold", 0.0), "flip": ("fold", 2.0), "hopf": ("hopf", 0.0)}


@dataclass(frozen=True, eq=False)
class CodimTwoPoint:
    """A codimension-two point on a two-parameter curve.

    Attributes
    ----------
    kind : str
        ``"cusp"`` (two fold curves meet: the bistable region closes) or
        ``"bogdanov_takens"`` (fold and Hopf curves meet: a double zero eigenvalue).
    params : mapping of str to float
        Values of the two parameters at the point (their units).
    state : numpy.ndarray
        The equilibrium there (state units).
    test_values : mapping of str to float
        Test functions at the located point.
    located : bool
        False when the root of the test function did not converge.
    """

    kind: str
    params: Mapping[str, float]
    state: np.ndarray
    test_values: Mapping[str, float]
    located: bool = True

    def __post_init__(self) -> None:
        state = np.array(self.state, dtype=float)
        state.flags.writeable = False
        object.__setattr__(self, "state", state)
        object.__setattr__(self, "params", FrozenMapping(dict(self.params)))
        object.__setattr__(self, "test_values", FrozenMapping(dict(self.test_values)))

    def describe(self) -> str:
        where = ", ".join(f"{k} = {v:.10g}" for k, v in self.params.items())
        text = f"{self.kind.replace('_', '-')} at {where}"
        return text if self.located else text + " [not converged]"

    def __repr__(self) -> str:
        return f"<CodimTwoPoint {self.describe()}>"


@dataclass(frozen=True, eq=False)
class BifurcationCurve:
    """A fold, Hopf or flip curve in a plane of two parameters.

    Attributes
    ----------
    kind : str
        ``"fold"``, ``"hopf"`` or ``"flip"``.
    params : tuple of str
        ``(first, second)``: the original continuation parameter and the freed one.
    points : xarray.Dataset
        Along ``point`` (arclength order): one variable per parameter (named after it),
        ``state`` (``point x actor``), ``arclength``; for Hopf curves ``kappa`` (``omega**2``),
        ``omega`` (NaN where ``kappa < 0``) and ``neutral_saddle`` (True where the curve is a
        neutral-saddle curve, not a Hopf curve).
    special_points : tuple of CodimTwoPoint
        Cusp and Bogdanov-Takens points found on the curve.
    success : bool
        False when a direction stopped because the corrector failed.
    message : str
        How each direction ended.
    origin : Bifurcation
        The codimension-one point the curve was started from.
    """

    kind: str
    params: tuple[str, str]
    points: xr.Dataset
    special_points: tuple[CodimTwoPoint, ...]
    success: bool
    message: str
    origin: Bifurcation = field(repr=False)
    model: Model = field(repr=False)

    def __len__(self) -> int:
        return int(self.points.sizes["point"])

    def values(self, name: str) -> np.ndarray:
        """Values of parameter ``name`` along the curve."""
        return self.points[self.points.attrs["variables"][self.params.index(name)]].values

    def summary(self) -> str:
        """Plain-text account of the curve and its codimension-two points."""
        first, second = self.params
        lines = [
            f"Two-parameter {self.kind} curve of {self.model.name or 'the model'} in "
            f"({first}, {second}), started from: {self.origin.describe()}",
            f"  {len(self)} points; {first} in [{np.min(self.values(first)):.6g}, "
            f"{np.max(self.values(first)):.6g}], {second} in [{np.min(self.values(second)):.6g}, "
            f"{np.max(self.values(second)):.6g}]"
            if len(self)
            else "  no points",
            "  method: pseudo-arclength continuation of the standard augmented system "
            "(Kuznetsov 2004, sec. 10.2)",
            f"  ended: {self.message}",
        ]
        if self.kind == "hopf" and len(self):
            saddle = int(np.sum(self.points["neutral_saddle"].values))
            if saddle:
                lines.append(f"  {saddle} points are neutral saddles (kappa < 0), not Hopf points")
        if self.special_points:
            lines.append("  codimension-two points:")
            lines += [f"    - {p.describe()}" for p in self.special_points]
        else:
            lines.append("  no cusp or Bogdanov-Takens point on the computed part")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"

    def __repr__(self) -> str:
        kinds = ", ".join(p.kind for p in self.special_points) or "none"
        return (
            f"<BifurcationCurve {self.kind} in {self.params}: {len(self)} points, special: {kinds}>"
        )

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the curve in its parameter plane (:func:`richardson.plot.bifurcation_curves`)."""
        from ..plot.bifurcation import bifurcation_curves

        return bifurcation_curves(self, ax=ax, **kwargs)


class _AugmentedCurve(_Curve):
    """Fold/flip (``z = (x, v, p1, p2)``) or Hopf (``z = (x, v, kappa, p1, p2)``) system."""

    def __init__(
        self,
        system: _System,
        free: tuple[int, int],
        kind: str,
        bounds: tuple[tuple[float, float], tuple[float, float]],
        state_limit: float,
    ) -> None:
        self.system, self.free, self.bounds, self.state_limit = system, free, bounds, state_limit
        self.n = system.n
        self.shape, self.shift = _CURVE_KINDS[kind]
        self.kind = kind
        if self.shape == "hopf":
            self.tests = ("bogdanov_takens",)
        elif kind == "fold" and not system.is_map:
            self.tests = ("cusp", "bogdanov_takens")
        else:
            self.tests = ()
        self.v0 = np.zeros(self.n)
        self.l0 = np.zeros(self.n)

    def split(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
        n = self.n
        x, v = z[:n], z[n : 2 * n]
        kappa = float(z[2 * n]) if self.shape == "hopf" else 0.0
        p = self.system.p_base.copy()
        p[list(self.free)] = z[-2:]
        return x, v, kappa, p

    def residual(self, z: np.ndarray) -> np.ndarray:
        x, v, kappa, p = self.split(z)
        a = self.system.state_matrix(x, p) + self.shift * np.eye(self.n)
        parts = [self.system.residual(x, p)]
        if self.shape == "hopf":
            parts += [a @ (a @ v) + kappa * v, [v @ self.v0 - 1.0, v @ self.l0]]
        else:
            parts += [a @ v, [v @ self.v0 - 1.0]]
        return np.concatenate(parts)

    def jacobian(self, z: np.ndarray) -> np.ndarray:
        n, system = self.n, self.system
        x, v, kappa, p = self.split(z)
        matrix, g_p = system.linear(x, p, self.free)
        g_x = matrix - np.eye(n) if system.is_map else matrix
        a = g_x + self.shift * np.eye(n)
        d_v = system.d_state(x, p, v)
        a_p = [system.d_param(x, p, k) for k in self.free]
        extra = 1 if self.shape == "hopf" else 0
        size = 2 * n + extra + 2
        jac = np.zeros((size - 1, size))
        jac[:n, :n] = g_x
        jac[:n, -2:] = g_p
        if self.shape == "hopf":
            av = a @ v
            jac[n : 2 * n, :n] = system.d_state(x, p, av) + a @ d_v
            jac[n : 2 * n, n : 2 * n] = a @ a + kappa * np.eye(n)
            jac[n : 2 * n, 2 * n] = v
            for col, a_k in zip((-2, -1), a_p, strict=True):
                jac[n : 2 * n, col] = a_k @ av + a @ (a_k @ v)
            jac[2 * n, n : 2 * n] = self.v0
            jac[2 * n + 1, n : 2 * n] = self.l0
        else:
            jac[n : 2 * n, :n] = d_v
            jac[n : 2 * n, n : 2 * n] = a
            for col, a_k in zip((-2, -1), a_p, strict=True):
                jac[n : 2 * n, col] = a_k @ v
            jac[2 * n, n : 2 * n] = self.v0
        return jac

    def evaluate(
        self, z: np.ndarray, tangent: np.ndarray
    ) -> tuple[dict[str, float], dict[str, Any]]:
        if not self.tests:
            return {}, {}
        x, v, kappa, p = self.split(z)
        if self.shape == "hopf":
            return {"bogdanov_takens": kappa}, {}
        a = self.system.state_matrix(x, p)
        values = np.linalg.eigvals(a)
        others = [np.prod(np.delete(values, i)) for i in range(values.size)]
        tests = {"bogdanov_takens": float(np.real(np.sum(others)))}
        u, _, _ = np.linalg.svd(a)
        w = u[:, -1]
        unit = v / np.linalg.norm(v)
        quadratic = float(w @ (self.system.d_state(x, p, unit) @ unit))
        alignment = float(w @ unit)
        tests["cusp"] = quadratic * alignment
        return tests, {"alignment": alignment, "quadratic": quadratic, "eigenvalues": values}

    def limits(self, z: np.ndarray) -> np.ndarray:
        (lo1, hi1), (lo2, hi2) = self.bounds
        p1, p2 = z[-2], z[-1]
        return np.array(
            [
                p1 - lo1,
                hi1 - p1,
                p2 - lo2,
                hi2 - p2,
                self.state_limit - float(np.max(np.abs(z[: self.n]))),
            ]
        )

    def describe(self, z: np.ndarray) -> str:
        return f"parameters ({z[-2]:.6g}, {z[-1]:.6g})"


def _genuine(curve: _AugmentedCurve, name: str, point: _Point) -> bool:
    if name == "cusp":
        # (w . B(v, v)) (w . v) also vanishes at a Bogdanov-Takens point (w . v = 0).
        return abs(point.extra["alignment"]) > 1e-4
    if name == "bogdanov_takens" and curve.shape != "hopf":
        values = np.sort(np.abs(point.extra["eigenvalues"]))
        scale = max(1.0, float(np.max(np.abs(point.extra["eigenvalues"]))))
        return values.size > 1 and values[1] < 1e-5 * scale
    return True


def _start(curve: _AugmentedCurve, origin: Bifurcation, p: np.ndarray) -> np.ndarray:
    n = curve.n
    x = np.asarray(origin.state, dtype=float)
    a = curve.system.state_matrix(x, p) + curve.shift * np.eye(n)
    if curve.shape == "hopf":
        values, vectors = np.linalg.eig(a)
        k = int(np.argmax(np.imag(values) - 10.0 * np.abs(np.real(values))))
        omega = float(np.imag(values[k]))
        q = vectors[:, k]
        qr, qi = np.real(q), np.imag(q)
        phi = 0.5 * math.atan2(-2.0 * (qr @ qi), qr @ qr - qi @ qi)
        v = math.cos(phi) * qr - math.sin(phi) * qi  # real part of exp(i phi) q, orthogonal to J v
        v = v / np.linalg.norm(v)
        curve.v0, curve.l0 = v.copy(), a @ v
        return np.concatenate([x, v, [omega**2], p[list(curve.free)]])
    _, _, vt = np.linalg.svd(a)
    v = vt[-1]
    curve.v0 = v.copy()
    return np.concatenate([x, v, p[list(curve.free)]])


def continue_bifurcation(
    bifurcation: Bifurcation,
    second_param: str,
    bounds: tuple[float, float] | None = None,
    first_bounds: tuple[float, float] | None = None,
    step: float | None = None,
    max_points: int = 500,
    *,
    direction: str = "both",
    min_step: float | None = None,
    max_step: float | None = None,
    state_limit: float = 1e8,
) -> BifurcationCurve:
    """Follow a fold, Hopf or flip point as two parameters vary: the exact regime boundary.

    Parameters
    ----------
    bifurcation : Bifurcation
        A ``"fold"`` or ``"hopf"`` point (ODE) or ``"fold"`` or ``"flip"`` point (map, period
        1) from :func:`richardson.continuation`.
    second_param : str
        The parameter freed in addition to the bifurcation's continuation parameter.
    bounds : tuple of float, optional
        ``(lower, upper)`` interval of ``second_param`` (its unit); defaults to its bounds in
        the model when finite.
    first_bounds : tuple of float, optional
        Interval of the first parameter; defaults to the interval of the original branch.
    step : float, optional
        Initial arclength step; default ``1/200`` of the wider interval.
    max_points : int
        Largest number of points in each direction.
    direction : {"both", "forward", "backward"}
        Towards increasing ``second_param``, decreasing, or both.
    min_step, max_step : float, optional
        Step-size limits (default ``1e-9`` and ``1/20`` of the wider interval).
    state_limit : float
        Stop when a state exceeds this magnitude.

    Returns
    -------
    BifurcationCurve
        The curve with its cusp and Bogdanov-Takens points. Corrector failures end a
        direction and are recorded in ``success`` and ``message``.

    Raises
    ------
    ContinuationError
        If the point is of a kind that cannot be continued or the options are unusable.
    UnknownSymbolError
        If ``second_param`` is not a parameter of the model.

    Examples
    --------
    >>> import sympy as sp
    >>> import richardson as rd
    >>> x, a, b = sp.symbols("x a b")
    >>> m = rd.Model(["x"], {"a": 0.0, "b": 1.0}, [a + b * x - x**3])
    >>> fold = rd.continuation(m, "a", start=[1.0], bounds=(-2, 2)).of_kind("fold")[0]
    >>> curve = rd.continue_bifurcation(fold, "b", bounds=(-1, 2))
    >>> [p.kind for p in curve.special_points]
    ['cusp']
    """
    if not isinstance(bifurcation, Bifurcation) or bifurcation.model is None:
        raise ContinuationError(
            "continue_bifurcation needs a Bifurcation from rd.continuation(...).bifurcations"
        )
    model = bifurcation.model
    allowed = ("fold", "flip") if model.kind == "map" else ("fold", "hopf")
    if bifurcation.kind not in allowed:
        raise ContinuationError(
            f"a {bifurcation.kind!r} point cannot be continued in two parameters here; "
            f"for a {model.kind} model continue one of {list(allowed)}"
        )
    if bifurcation.period != 1:
        raise ContinuationError(
            "two-parameter continuation of period-k points (k > 1) is not supported"
        )
    if second_param not in model.param_index:
        raise UnknownSymbolError(
            f"{second_param!r} is not a parameter of this model"
            f"{did_you_mean(str(second_param), model.param_names)}"
        )
    first = bifurcation.param
    if second_param == first:
        raise ContinuationError(
            f"second_param must differ from the continuation parameter {first!r}"
        )
    if direction not in ("both", "forward", "backward"):
        raise ContinuationError(
            f"direction must be 'both', 'forward' or 'backward', not {direction!r}"
        )
    if int(max_points) != max_points or max_points < 2:
        raise ContinuationError(f"max_points must be a whole number >= 2, not {max_points!r}")
    p = model.param_vector(dict(bifurcation.params))
    if bounds is None:
        bounds = model.params[second_param].bounds
    first_bounds = bifurcation.bounds if first_bounds is None else first_bounds
    boxes = []
    for name, box in ((first, first_bounds), (second_param, bounds)):
        try:
            lo, hi = (float(b) for b in box)
        except (TypeError, ValueError) as err:
            raise ContinuationError(f"bounds for {name!r} must be a pair, not {box!r}") from err
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ContinuationError(
                f"bounds ({lo}, {hi}) for {name!r} must be finite with lower < upper; pass "
                "bounds=... (second parameter) or first_bounds=..."
            )
        value = p[model.param_index[name]]
        if not lo <= value <= hi:
            raise ContinuationError(
                f"{name} = {value:g} at the start lies outside ({lo:g}, {hi:g})"
            )
        boxes.append((lo, hi))
    width = max(boxes[0][1] - boxes[0][0], boxes[1][1] - boxes[1][0])
    step = width / 200.0 if step is None else float(step)
    max_step = width / 20.0 if max_step is None else float(max_step)
    min_step = 1e-9 * max(1.0, width) if min_step is None else float(min_step)
    if not 0 < min_step <= step <= max_step:
        raise ContinuationError(
            f"need 0 < min_step ({min_step}) <= step ({step}) <= max_step ({max_step})"
        )
    system = _System(model, p, 1)
    free = (model.param_index[first], model.param_index[second_param])
    curve = _AugmentedCurve(
        system, free, bifurcation.kind, (boxes[0], boxes[1]), float(state_limit)
    )
    z0 = _start(curve, bifurcation, p)
    z0, ok, _ = curve.correct(z0, curve.initial_tangent(z0, -1, 1.0))
    if not ok:
        return _result(
            curve,
            model,
            bifurcation,
            (first, second_param),
            [],
            False,
            "the augmented system did not converge at the start point",
        )
    signs = {"both": (-1.0, 1.0), "forward": (1.0,), "backward": (-1.0,)}[direction]
    pieces, messages, success = [], [], True
    for sign in signs:
        tangent = curve.initial_tangent(z0, -1, sign)
        pts, events, text, ok = curve.trace(z0, tangent, step, min_step, max_step, int(max_points))
        pieces.append((pts, events))
        messages.append(f"{'increasing' if sign > 0 else 'decreasing'} {second_param}: {text}")
        success &= ok
    ordered, events = _join(pieces, None, ())
    special = []
    for name, point, located in events:
        if not _genuine(curve, name, point):
            continue
        x, _, _, p_at = curve.split(point.z)
        special.append(
            CodimTwoPoint(
                kind=name,
                params={first: float(point.z[-2]), second_param: float(point.z[-1])},
                state=x,
                test_values=point.tests,
                located=located,
            )
        )
    return _result(
        curve,
        model,
        bifurcation,
        (first, second_param),
        ordered,
        success,
        "; ".join(messages),
        tuple(special),
    )


def _result(curve, model, origin, names, points, success, message, special=()) -> BifurcationCurve:  # noqa: ANN001
    n, count = curve.n, len(points)
    z = np.array([pt.z for pt in points]).reshape(count, -1)
    variables = tuple(
        name
        if name not in ("state", "arclength", "kappa", "omega", "neutral_saddle")
        else f"param_{name}"
        for name in names
    )
    data = {
        variables[0]: (("point",), z[:, -2] if count else np.zeros(0)),
        variables[1]: (("point",), z[:, -1] if count else np.zeros(0)),
        "state": (
            ("point", "actor"),
            z[:, :n] if count else np.zeros((0, n)),
            {"units": model.state_unit},
        ),
        "arclength": (("point",), np.array([pt.s for pt in points], dtype=float)),
    }
    if curve.shape == "hopf":
        kappa = z[:, 2 * n] if count else np.zeros(0)
        data["kappa"] = (("point",), kappa, {"long_name": "omega squared"})
        with np.errstate(invalid="ignore"):
            data["omega"] = (("point",), np.where(kappa > 0, np.sqrt(np.abs(kappa)), np.nan))
        data["neutral_saddle"] = (("point",), kappa < 0)
    attrs = {
        "model": model.name or "model",
        "kind": origin.kind,
        "params": ", ".join(names),
        "variables": variables,
        "method": "standard augmented system, pseudo-arclength",
    }
    dataset = xr.Dataset(
        data,
        coords={"actor": list(model.actors), "state_name": ("actor", list(model.states))},
        attrs=attrs,
    )
    return BifurcationCurve(
        kind=origin.kind,
        params=tuple(names),
        points=dataset,
        special_points=tuple(special),
        success=success,
        message=message,
        origin=origin,
        model=model,
    )
