"""The compiled integrator of ``backend="numba"`` (imported only when it is asked for).

Dormand-Prince 5(4) with the step control of scipy's ``RK45`` (tableau, RMS error norm,
initial step, safety 0.9, factors 0.2-10) and its quartic dense output, compiled once and
cached on disk by numba; the model's right-hand side comes in as a compiled ``cfunc``
``f(t, y, p, out)`` (a first-class function), so a new model compiles only its own function.
"""

from __future__ import annotations

import math

import numba
import numpy as np

SIGNATURE = numba.types.void(
    numba.float64, numba.float64[::1], numba.float64[::1], numba.float64[::1]
)

_C = np.array([0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1])
_A = np.array(
    [
        [0, 0, 0, 0, 0],
        [1 / 5, 0, 0, 0, 0],
        [3 / 40, 9 / 40, 0, 0, 0],
        [44 / 45, -56 / 15, 32 / 9, 0, 0],
        [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729, 0],
        [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    ]
)
_B = np.array([35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84])
_E = np.array([-71 / 57600, 0, 71 / 16695, -71 / 1920, 17253 / 339200, -22 / 525, 1 / 40])
_P = np.array(
    [
        [1, -8048581381 / 2820520608, 8663915743 / 2820520608, -12715105075 / 11282082432],
        [0, 0, 0, 0],
        [
            0,
            131558114200 / 32700410799,
            -68118460800 / 10900136933,
            87487479700 / 32700410799,
        ],
        [0, -1754552775 / 470086768, 14199869525 / 1410260304, -10690763975 / 1880347072],
        [
            0,
            127303824393 / 49829197408,
            -318862633887 / 49829197408,
            701980252875 / 199316789632,
        ],
        [0, -282668133 / 205662961, 2019193451 / 616988883, -1453857185 / 822651844],
        [0, 40617522 / 29380423, -110615467 / 29380423, 69997945 / 29380423],
    ]
)


@numba.njit(cache=True)
def norm(x):  # noqa: ANN001, ANN201
    """RMS norm, as scipy's ``solve_ivp``."""
    return math.sqrt(np.sum(x * x) / x.size)


@numba.njit(cache=True)
def integrate(f, y0, p, t0, t1, t_eval, rtol, atol, max_steps):  # noqa: ANN001, ANN201
    """One run of Dormand-Prince 5(4) with scipy's RK45 step control: (values at
    ``t_eval``, status 0 or -1, how many rows are filled)."""
    n = y0.size
    out = np.empty((t_eval.size, n))
    done = 0
    while done < t_eval.size and t_eval[done] <= t0:
        out[done] = y0
        done += 1
    y = y0.copy()
    K = np.empty((7, n))
    f(t0, y, p, K[0])
    # initial step (scipy.integrate._ivp.common.select_initial_step, order 4)
    interval = abs(t1 - t0)
    if interval == 0.0:
        return out, 0, done
    scale = atol + np.abs(y) * rtol
    d0, d1 = norm(y / scale), norm(K[0] / scale)
    h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
    h0 = min(h0, interval)
    f1 = np.empty(n)
    f(t0 + h0, y + h0 * K[0], p, f1)
    d2 = norm((f1 - K[0]) / scale) / h0
    if d1 <= 1e-15 and d2 <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** 0.2
    h_abs = min(100 * h0, h1, interval)
    t, steps = t0, 0
    y_new = np.empty(n)
    while t < t1:
        if steps >= max_steps:
            return out, -1, done
        min_step = 10 * abs(np.nextafter(t, np.inf) - t)
        if h_abs < min_step:
            h_abs = min_step
        rejected = False
        while True:
            if h_abs < min_step:
                return out, -1, done
            t_new = min(t + h_abs, t1)
            h = t_new - t
            h_abs = abs(h)
            for s in range(1, 6):
                dy = np.zeros(n)
                for j in range(s):
                    dy += _A[s, j] * K[j]
                f(t + _C[s] * h, y + h * dy, p, K[s])
            y_new[:] = y
            for j in range(6):
                y_new += h * _B[j] * K[j]
            f(t + h, y_new, p, K[6])
            scale = atol + np.maximum(np.abs(y), np.abs(y_new)) * rtol
            err = np.zeros(n)
            for j in range(7):
                err += _E[j] * K[j]
            error_norm = norm(err * h / scale)
            if error_norm < 1:
                factor = 10.0 if error_norm == 0 else min(10.0, 0.9 * error_norm**-0.2)
                if rejected:
                    factor = min(1.0, factor)
                h_abs *= factor
                break
            h_abs *= max(0.2, 0.9 * error_norm**-0.2)
            rejected = True
        # dense output at the requested times inside (t, t_new]
        while done < t_eval.size and t_eval[done] <= t_new:
            x = (t_eval[done] - t) / h
            value = y.copy()
            for j in range(7):
                weight = x * (_P[j, 0] + x * (_P[j, 1] + x * (_P[j, 2] + x * _P[j, 3])))
                value += h * weight * K[j]
            out[done] = y_new if t_eval[done] == t_new else value
            done += 1
        t = t_new
        y[:] = y_new
        K[0] = K[6]
        steps += 1
        if not np.all(np.isfinite(y)):
            return out, -1, done
    return out, 0, done


@numba.njit(cache=True)
def integrate_many(f, y0, params, t0, t1, t_eval, rtol, atol, max_steps):  # noqa: ANN001, ANN201
    """One run per row of ``params``: (values ``(m, len(t_eval), n)``, status per run)."""
    m = params.shape[0]
    out = np.empty((m, t_eval.size, y0.size))
    status = np.zeros(m, dtype=np.int64)
    for k in range(m):
        values, code, _ = integrate(f, y0, params[k], t0, t1, t_eval, rtol, atol, max_steps)
        out[k] = values
        status[k] = code
    return out, status


@numba.njit(cache=True)
def _value(p, k):  # noqa: ANN001, ANN202
    """Entry ``k`` of the parameter vector extended by 0 (at ``P``) and 1 (at ``P + 1``)."""
    if k < p.size:
        return p[k]
    return 0.0 if k == p.size else 1.0


@numba.njit(cache=True)
def alliance_rhs(y, p, pairs, weights, actors, gamma, ceiling_width, out):  # noqa: ANN001, ANN201
    """The alliance model's right-hand side from its term layout, in loops.

    ``pairs`` rows: rival (row, col, k), ally (row, col, u), coupling (row, col, c, u) and
    submissive (row, col, q) pairs stacked with a kind code in column 0 (0, 1, 2, 3);
    ``weights`` the numeric asymmetry weight per rival pair; ``actors`` rows per actor:
    d, f, kappa, chain, e, s, theta, w, M, a, g, E (positions in the extended vector; M and E
    -1 when absent); ``gamma`` the position of gamma or -1.
    """
    n = y.size
    threat = np.zeros(n)
    escalation = np.zeros(n)
    mediated = np.zeros(n)
    switch = np.empty(n)
    r = 0
    for row in range(pairs.shape[0]):
        if pairs[row, 0] != 0:
            continue
        i, j, k = pairs[row, 1], pairs[row, 2], pairs[row, 3]
        w = weights[r]
        if gamma >= 0:
            w = w * (p[actors[j, 11]] / p[actors[i, 11]]) ** p[gamma]
        threat[i] += _value(p, k) * w * y[j]
        r += 1
    for i in range(n):
        threat[i] *= 1.0 + _value(p, actors[i, 0])
        own = 1.0 + _value(p, actors[i, 1]) * (1.0 - _value(p, actors[i, 2]))
        escalation[i] = threat[i] * own
        half_inv_width = 0.5 / _value(p, actors[i, 7])
        switch[i] = 0.5 * (1.0 + math.tanh((threat[i] - _value(p, actors[i, 6])) * half_inv_width))
    for row in range(pairs.shape[0]):
        kind, i, j = pairs[row, 0], pairs[row, 1], pairs[row, 2]
        if kind == 1:
            u = _value(p, pairs[row, 3])
            mediated[i] += u * (
                _value(p, actors[i, 3]) * threat[j] + _value(p, actors[i, 5]) * switch[j]
            )
        elif kind == 2:
            escalation[i] += _value(p, pairs[row, 3]) * _value(p, pairs[row, 4]) * y[j]
    for i in range(n):
        escalation[i] += (1.0 - _value(p, actors[i, 4])) * mediated[i]
        if actors[i, 8] >= 0:
            v = (1.0 - y[i] / p[actors[i, 8]]) / ceiling_width
            escalation[i] *= ceiling_width * (max(v, 0.0) + math.log1p(math.exp(-abs(v))))
        out[i] = escalation[i] - _value(p, actors[i, 9]) * y[i] + _value(p, actors[i, 10])
    for row in range(pairs.shape[0]):
        if pairs[row, 0] == 3:
            i, j = pairs[row, 1], pairs[row, 2]
            out[i] -= _value(p, pairs[row, 3]) * y[i] * y[j]
