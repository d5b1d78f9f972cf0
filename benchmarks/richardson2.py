"""
Python model 'richardson2.py'
Translated using PySD
"""

from pathlib import Path

from pysd.py_backend.statefuls import Integ
from pysd import Component

__pysd_version__ = "3.14.3"

__data = {"scope": None, "time": lambda: 0}

_root = Path(__file__).parent


component = Component()

#######################################################################
#                          CONTROL VARIABLES                          #
#######################################################################

_control_vars = {
    "initial_time": lambda: 0,
    "final_time": lambda: 100,
    "time_step": lambda: 0.0625,
    "saveper": lambda: 1,
}


def _init_outer_references(data):
    for key in data:
        __data[key] = data[key]


@component.add(name="Time")
def time():
    """
    Current time of the model.
    """
    return __data["time"]()


@component.add(
    name="FINAL TIME", units="year", comp_type="Constant", comp_subtype="Normal"
)
def final_time():
    """
    The final time for the simulation.
    """
    return __data["time"].final_time()


@component.add(
    name="INITIAL TIME", units="year", comp_type="Constant", comp_subtype="Normal"
)
def initial_time():
    """
    The initial time for the simulation.
    """
    return __data["time"].initial_time()


@component.add(
    name="SAVEPER", units="year", comp_type="Constant", comp_subtype="Normal"
)
def saveper():
    """
    The frequency with which output is stored.
    """
    return __data["time"].saveper()


@component.add(
    name="TIME STEP", units="year", comp_type="Constant", comp_subtype="Normal"
)
def time_step():
    """
    The time step for the simulation.
    """
    return __data["time"].time_step()


#######################################################################
#                           MODEL VARIABLES                           #
#######################################################################


@component.add(
    name="x",
    units="spending",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_x": 1},
    other_deps={
        "_integ_x": {"initial": {}, "step": {"k": 1, "y": 1, "a": 1, "x": 1, "g": 1}}
    },
)
def x():
    """
    Spending of nation X.
    """
    return _integ_x()


_integ_x = Integ(lambda: k() * y() - a() * x() + g(), lambda: 1, "_integ_x")


@component.add(
    name="y",
    units="spending",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_y": 1},
    other_deps={
        "_integ_y": {"initial": {}, "step": {"l": 1, "x": 1, "b": 1, "y": 1, "h": 1}}
    },
)
def y():
    """
    Spending of nation Y.
    """
    return _integ_y()


_integ_y = Integ(lambda: l() * x() - b() * y() + h(), lambda: 2, "_integ_y")


@component.add(name="k", units="1/year", comp_type="Constant", comp_subtype="Normal")
def k():
    """
    Reaction of X to Y.
    """
    return 0.9


@component.add(name="l", units="1/year", comp_type="Constant", comp_subtype="Normal")
def l():
    """
    Reaction of Y to X.
    """
    return 0.8


@component.add(name="a", units="1/year", comp_type="Constant", comp_subtype="Normal")
def a():
    """
    Fatigue of X.
    """
    return 1


@component.add(name="b", units="1/year", comp_type="Constant", comp_subtype="Normal")
def b():
    """
    Fatigue of Y.
    """
    return 1.1


@component.add(
    name="g", units="spending/year", comp_type="Constant", comp_subtype="Normal"
)
def g():
    """
    Grievance of X.
    """
    return 0.5


@component.add(
    name="h", units="spending/year", comp_type="Constant", comp_subtype="Normal"
)
def h():
    """
    Grievance of Y.
    """
    return 0.3
