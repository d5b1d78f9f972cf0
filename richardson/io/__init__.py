"""Model files in and out: the project's TOML format (:mod:`.model_files`) and Vensim
(:mod:`.vensim`, with PySD for running Vensim models side by side)."""

from .model_files import FORMAT_VERSION, dumps_model, load_model, loads_model, save_model
from .vensim import from_vensim, from_xmile, simulate_pysd, to_vensim

__all__ = [
    "FORMAT_VERSION",
    "dumps_model",
    "from_vensim",
    "from_xmile",
    "load_model",
    "loads_model",
    "save_model",
    "simulate_pysd",
    "to_vensim",
]
