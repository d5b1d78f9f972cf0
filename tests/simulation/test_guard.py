"""Stress cases of the guard: every blow-up stops promptly, with a verdict that is true.

Each case runs in a worker subprocess; the test sends it the case, waits until the model is
built and compiled, then gives the run itself ``BOUND`` seconds of wall time and kills the
worker when it does not answer in time. One worker serves all cases (a Python start with
scipy and sympy costs seconds on a shared machine); a hung case kills it and the next case
starts a fresh one.
"""

import json
import math
import os
import select
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import scipy.optimize

import richardson as rd

#: The directory holding the package under test.
SOURCE = Path(rd.__file__).resolve().parents[1]

#: Wall-clock bound of one run (seconds), from issue 18.
BOUND = 2.0

WORKER = r"""
import json, sys, time
import numpy as np, sympy as sp
import richardson as rd
assert rd.__file__.startswith(sys.argv[1]), rd.__file__
x, y, c = sp.symbols("x y c")
for line in sys.stdin:
    case = json.loads(line)
    scope = {"rd": rd, "sp": sp, "np": np, "x": x, "y": y, "c": c}
    exec(case["setup"], scope)  # the test's own code, never user input
    scope["model"].compile()
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.perf_counter()
    try:
        result = eval(case["call"], scope)
        if isinstance(result, rd.Ensemble):
            data = result.data
            answer = {
                "status": data["status"].values.tolist(),
                "runaway": np.nan_to_num(data["runaway_time"].values, nan=-1.0).tolist(),
                "complete": result.complete,
                "collapse": np.nan_to_num(data["collapse_time"].values, nan=-1.0).tolist(),
                "message": result.message,
                "last": np.nan_to_num(data["spending"].values[:, -1], nan=-1.0).tolist(),
            }
        else:
            answer = {
                "status": result.status,
                "runaway": list(result.runaway) if result.runaway else None,
                "message": result.message,
                "last": result.values[-1].tolist(),
                "finite": bool(np.all(np.isfinite(result.values))),
            }
    except rd.RichardsonError as err:
        answer = {"error": type(err).__name__, "message": str(err)}
    answer["seconds"] = time.perf_counter() - start
    print(json.dumps(answer), flush=True)
"""


class Worker:
    """A Python process that runs stress cases on request."""

    def __init__(self) -> None:
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONWARNINGS": "error"}
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(SOURCE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=SOURCE,  # the worker imports the richardson under test, whatever the cwd
        )

    def _line(self, timeout: float) -> str | None:
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        return self.process.stdout.readline() if ready else None

    def run(self, setup: str, call: str, bound: float) -> dict | None:
        """The case's answer, or None when the run took longer than ``bound`` seconds."""
        self.process.stdin.write(json.dumps({"setup": setup, "call": call}) + "\n")
        self.process.stdin.flush()
        assert self._line(120) == "ready\n", "worker did not build the model"
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        line = self._line(bound)
        return json.loads(line) if line else None

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        self.process.stdin.close()
        self.process.stdout.close()


@pytest.fixture(scope="module")
def worker():
    holder = {"worker": Worker()}
    yield holder
    holder["worker"].close()


def run_bounded(worker, setup: str, call: str, bound: float = BOUND) -> dict:
    answer = worker["worker"].run(setup, call, bound)
    if answer is None:
        worker["worker"].close()
        worker["worker"] = Worker()
        pytest.fail(f"the run did not finish within {bound} s: {call}")
    assert answer["seconds"] < bound
    return answer


ONE = "model = rd.Model(['x'], {{'c': 1.0}}, [{rhs}])"

# name, setup, call, expected runaway time (None: no runaway), relative tolerance, fragment
RUNAWAY_CASES = [
    # x' = exp(x), x(0) = 1: x = -log(e^-1 - t) blows up at t = e^-1; the rate overflows
    # (x ~ 710) long before x reaches the guard 1e6
    (
        "exp",
        ONE.format(rhs="sp.exp(x)"),
        "rd.simulate(model, (0, 5), [1.0])",
        math.exp(-1),
        1e-6,
        "overflowed",
    ),
    (
        "exp_ceiling",
        ONE.format(rhs="sp.exp(x)"),
        "rd.simulate(model, (0, 5), [1.0], ceiling=1e300)",
        math.exp(-1),
        1e-6,
        "overflowed",
    ),
    # x' = x**64, x(0) = 1: x = (1 - 63 t)^(-1/63) blows up at t = 1/63
    ("x64", ONE.format(rhs="x**64"), "rd.simulate(model, (0, 5), [1.0])", 1 / 63, 1e-5, ""),
    (
        "x64_rk45",
        ONE.format(rhs="x**64"),
        "rd.simulate(model, (0, 5), [1.0], method='RK45')",
        1 / 63,
        1e-5,
        "",
    ),
    # x' = c x^3, c = 1e300: x = (1 - 2 c t)^(-1/2) blows up at t = 1 / (2 c) = 5e-301
    (
        "huge_c",
        ONE.format(rhs="c * x**3"),
        "rd.simulate(model, (0, 5), [1.0], params={'c': 1e300})",
        5e-301,
        1e-3,
        "",
    ),
    # k = 1e200: x' ~ 1e200 y with y ~ 1, so x reaches the guard 1e6 at t = (1e6 - 1) / 1e200
    (
        "huge_k",
        "model = rd.richardson2(k=1e200)",
        "rd.simulate(model, (0, 20), [1, 1])",
        (1e6 - 1) / 1e200,
        1e-6,
        "guard",
    ),
    (
        "huge_k_bdf",
        "model = rd.richardson2(k=1e200)",
        "rd.simulate(model, (0, 20), [1, 1], method='BDF')",
        (1e6 - 1) / 1e200,
        1e-6,
        "guard",
    ),
    (
        "huge_k_exact",
        "model = rd.richardson2(k=1e200)",
        "rd.simulate(model, (0, 20), [1, 1], method='exact')",
        (1e6 - 1) / 1e200,
        1e-6,
        "guard",
    ),
]


@pytest.mark.parametrize(
    "setup, call, exact, rtol, fragment",
    [case[1:] for case in RUNAWAY_CASES],
    ids=[case[0] for case in RUNAWAY_CASES],
)
def test_blow_up_stops_promptly_at_the_right_time(worker, setup, call, exact, rtol, fragment):
    answer = run_bounded(worker, setup, call)
    assert answer["status"] == 1, answer["message"]
    assert answer["runaway"][0] == "x"
    assert answer["runaway"][1] == pytest.approx(exact, rel=rtol)
    assert fragment in answer["message"]
    assert answer["finite"]


@pytest.mark.parametrize("method", ["LSODA", "RK45"])
def test_downward_blow_up_is_caught_by_the_guard_on_the_magnitude(worker, method):
    # x' = -x^2 from -1: x = -1 / (1 - t) runs to minus infinity at t = 1; |x| = 1e6 at
    # t = 1 - 1e-6 (the solution is so steep there that 5e-7 is half the distance to t = 1)
    answer = run_bounded(
        worker,
        ONE.format(rhs="-x**2"),
        f"rd.simulate(model, (0, 5), [-1.0], method={method!r})",
    )
    # a collapse (spending driven negative without bound), not runaway
    assert answer["status"] == 1 and answer["runaway"] is None
    assert "collapse" in answer["message"]
    at = float(answer["message"].split("at t = ")[1].split(":")[0])
    assert at == pytest.approx(1 - 1e-6, abs=5e-7)
    assert answer["last"] == [-1e6]


def test_huge_stable_parameter_fails_promptly_with_advice(worker):
    # a = 1e200: time scale 1e-200 years, beyond what a solver can follow over 20 years
    answer = run_bounded(
        worker, "model = rd.richardson2(k=0.1, a=1e200)", "rd.simulate(model, (0, 20), [1, 1])"
    )
    assert answer["status"] == -1 and answer["runaway"] is None
    assert "rescale" in answer["message"] or "stiff" in answer["message"]


def test_start_near_the_largest_double(worker):
    refused = run_bounded(
        worker, "model = rd.richardson2()", "rd.simulate(model, (0, 20), [1.7e308, 1])"
    )
    assert refused["error"] == "SimulationError" and "largest double" in refused["message"]
    ceiling = run_bounded(
        worker,
        "model = rd.richardson2()",
        "rd.simulate(model, (0, 20), [1.7e308, 1], ceiling=1.79e308)",
    )
    assert ceiling["status"] in (-1, 1) and "rescale" in ceiling["message"]


def test_floor_zero_under_lsoda_finishes_promptly(worker):
    answer = run_bounded(
        worker,
        "model = rd.richardson2(g=-0.5, h=-0.5)",
        "rd.simulate(model, (0, 20), [1, 1], floor=0)",
    )
    assert answer["status"] == 0 and answer["last"] == [0.0, 0.0]


# ------------------------------------------------------------ ensembles
#: Ensembles must not hang; their bound is looser than one run's (a chunk that crawls is
#: stopped by its step budget, here lowered to keep the suite fast).
ENSEMBLE_BOUND = 5.0


def test_ensemble_with_a_stiff_member_finishes_the_others(worker):
    # a = 1e8 makes member 1 stiff for RK45 (steps of ~3e-8 over 20 years)
    answer = run_bounded(
        worker,
        "model = rd.richardson2()",
        "rd.simulate_ensemble(model, {'a': [1.0, 1e8, 1.2]}, (0, 20), [1, 1], max_steps=2000)",
        ENSEMBLE_BOUND,
    )
    assert answer["status"] == [0, -1, 0]
    assert answer["complete"] is False
    assert "member 1 stopped" in answer["message"] and "1 of 3 members failed" in answer["message"]
    single = rd.simulate(rd.richardson2(), (0, 20), [1, 1], method="exact")
    np.testing.assert_allclose(answer["last"][0], single.values[-1], rtol=1e-6)


def test_ensemble_with_blow_ups_up_and_down_and_a_nan_member(worker):
    # x' = c x^2 + sqrt(d) - 1 from 1: with d = 1 it blows up at t = 1/c; d = -1 makes the
    # rate of member 3 NaN; from x0 = -1, c = -1 drives x to minus infinity at t = 1
    answer = run_bounded(
        worker,
        "model = rd.Model(['x'], {'c': 1.0, 'd': 1.0}, [c * x**2 + sp.sqrt(sp.Symbol('d')) - 1])",
        "rd.simulate_ensemble(model, {'c': [0.0, 1.0, 0.5, 0.0], 'd': [1, 1, 1, -1]}, (0, 5), "
        "[1.0])",
        ENSEMBLE_BOUND,
    )
    assert answer["status"] == [0, 1, 1, -1]
    assert answer["runaway"][1] == pytest.approx(1 - 1e-6, abs=5e-7)
    assert answer["runaway"][2] == pytest.approx(2 * (1 - 1e-6), abs=1e-6)
    assert answer["last"][0] == [1.0]
    assert answer["complete"] is False and "member 3 stopped" in answer["message"]
    down = run_bounded(
        worker,
        ONE.format(rhs="c * x**2"),
        "rd.simulate_ensemble(model, {'c': [0.0, -1.0]}, (0, 5), [-1.0])",
        ENSEMBLE_BOUND,
    )
    # member 1 collapses (status 2), the guard watching |x|; no runaway time
    assert down["status"] == [0, 2] and down["last"] == [[-1.0], [-1e6]]
    assert down["runaway"] == [-1.0, -1.0] and down["complete"]
    assert down["collapse"][1] == pytest.approx(1 - 1e-6, abs=5e-7)


# ------------------------------------------------------------ floors, exactly
def _expm(A, b, y0, t):
    n = len(y0)
    augmented = np.zeros((n + 1, n + 1))
    augmented[:n, :n], augmented[:n, n] = A, b
    return (scipy.linalg.expm(augmented * t) @ np.append(y0, 1.0))[:n]


@pytest.mark.parametrize("method", ["LSODA", "RK45", "BDF"])
def test_floor_pins_spending_exactly_where_the_closed_form_reaches_it(method):
    model = rd.richardson2(g=-0.5, h=-0.5)
    A, b = np.array([[-1.0, 0.9], [0.8, -1.1]]), np.array([-0.5, -0.5])
    times = np.linspace(0, 20, 401)
    tr = rd.simulate(
        model, (0, 20), [1, 1], floor=0, t_eval=times, method=method, rtol=1e-10, atol=1e-12
    )
    assert tr.status == 0 and tr.values.min() >= 0.0
    # first hit: y (the faster decay) reaches 0 at tau, found on the matrix exponential
    tau = scipy.optimize.brentq(lambda t: _expm(A, b, [1, 1], t)[1], 0, 5, xtol=1e-14)
    before = times < tau
    exact = np.array([_expm(A, b, [1, 1], t) for t in times[before]])
    np.testing.assert_allclose(tr.values[before], exact, rtol=1e-7, atol=1e-9)
    # then y stays at 0 and x follows x' = -x - 0.5: x = (x_tau + 0.5) e^{-(t - tau)} - 0.5
    x_tau = _expm(A, b, [1, 1], tau)[0]
    tau_x = math.log(1 + 2 * x_tau)
    pinned_y = (times > tau) & (times < tau + tau_x)
    np.testing.assert_array_equal(tr.values[times > tau, 1], 0.0)
    follow = (x_tau + 0.5) * np.exp(-(times[pinned_y] - tau)) - 0.5
    np.testing.assert_allclose(tr.values[pinned_y, 0], follow, rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(tr.values[times > tau + tau_x + 1e-6], 0.0)


def test_a_floored_state_is_released_when_its_rate_turns_positive():
    # y is pushed to the floor by goodwill h < 0, then a step in h to +1 at t = 5 lifts it
    model = rd.richardson2(k=0.0, l=0.0, a=1.0, b=1.0, g=0.5, h=-1.0)
    times = np.linspace(0, 10, 201)
    tr = rd.simulate(
        model,
        (0, 10),
        [1, 1],
        floor=0,
        t_eval=times,
        interventions=[rd.step("h", 5, 1.0)],
        rtol=1e-10,
        atol=1e-12,
    )
    # y = 2 e^{-t} - 1 hits 0 at ln 2, stays there until 5, then y = 1 - e^{-(t - 5)}
    np.testing.assert_array_equal(tr.values[(times > math.log(2)) & (times <= 5), 1], 0.0)
    after = times > 5
    np.testing.assert_allclose(tr.values[after, 1], 1 - np.exp(-(times[after] - 5)), rtol=1e-7)
