"""
Python model 'Single_Pendulum.py'
Translated using PySD
"""

from pathlib import Path
import numpy as np

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
    "time_step": lambda: 0.0078125,
    "saveper": lambda: 0.1,
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
    name="FINAL TIME", units="Second", comp_type="Constant", comp_subtype="Normal"
)
def final_time():
    """
    The final time for the simulation.
    """
    return __data["time"].final_time()


@component.add(
    name="INITIAL TIME", units="Second", comp_type="Constant", comp_subtype="Normal"
)
def initial_time():
    """
    The initial time for the simulation.
    """
    return __data["time"].initial_time()


@component.add(
    name="SAVEPER",
    units="Second",
    limits=(0.0, np.nan),
    comp_type="Constant",
    comp_subtype="Normal",
)
def saveper():
    """
    The frequency with which output is stored.
    """
    return __data["time"].saveper()


@component.add(
    name="TIME STEP",
    units="Second",
    limits=(0.0, np.nan),
    comp_type="Constant",
    comp_subtype="Normal",
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
    name="Damping Coefficient",
    limits=(-100.0, 100.0, 1.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def damping_coefficient():
    return 0


@component.add(
    name="Change in Angular Velocity",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"torque": 1, "pendulum_moment_of_inertia": 1},
)
def change_in_angular_velocity():
    return torque() / pendulum_moment_of_inertia()


@component.add(
    name="Torque",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "angular_component_of_gravity": 1,
        "length_of_pendulum": 1,
        "damping_coefficient": 1,
        "angular_velocity": 1,
    },
)
def torque():
    return (
        angular_component_of_gravity() * length_of_pendulum()
        - angular_velocity() * damping_coefficient()
    )


@component.add(
    name="Acceleration due to Gravity",
    units="Meters/Second/Second",
    comp_type="Constant",
    comp_subtype="Normal",
)
def acceleration_due_to_gravity():
    return -9.8


@component.add(
    name="Angular component of Gravity",
    units="Kilograms*Meters/Second/Second",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"force_of_gravity": 1, "angular_position": 1},
)
def angular_component_of_gravity():
    return force_of_gravity() * float(np.sin(angular_position()))


@component.add(
    name="Angular Position",
    units="radians",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_angular_position": 1},
    other_deps={
        "_integ_angular_position": {
            "initial": {},
            "step": {"change_in_angular_position": 1},
        }
    },
)
def angular_position():
    """
    Angle between the pendulum and vertical
    """
    return _integ_angular_position()


_integ_angular_position = Integ(
    lambda: change_in_angular_position(), lambda: 1, "_integ_angular_position"
)


@component.add(
    name="Angular Velocity",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_angular_velocity": 1},
    other_deps={
        "_integ_angular_velocity": {
            "initial": {},
            "step": {"change_in_angular_velocity": 1},
        }
    },
)
def angular_velocity():
    return _integ_angular_velocity()


_integ_angular_velocity = Integ(
    lambda: change_in_angular_velocity(), lambda: 0, "_integ_angular_velocity"
)


@component.add(
    name="Change in Angular Position",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"angular_velocity": 1},
)
def change_in_angular_position():
    return angular_velocity()


@component.add(
    name="Force of Gravity",
    units="Meters*Kilograms/(Second*Second)",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"acceleration_due_to_gravity": 1, "mass_of_pendulum": 1},
)
def force_of_gravity():
    return acceleration_due_to_gravity() * mass_of_pendulum()


@component.add(
    name="Length of Pendulum",
    units="Meter",
    comp_type="Constant",
    comp_subtype="Normal",
)
def length_of_pendulum():
    return 10


@component.add(
    name="Mass of Pendulum",
    units="Kilogram",
    comp_type="Constant",
    comp_subtype="Normal",
)
def mass_of_pendulum():
    return 10


@component.add(
    name="Pendulum Moment of Inertia",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"mass_of_pendulum": 1, "length_of_pendulum": 1},
)
def pendulum_moment_of_inertia():
    return mass_of_pendulum() * length_of_pendulum() ** 2
