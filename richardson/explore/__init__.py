"""Interactive exploration in Jupyter: ``rd.explore`` (needs the ``[explore]`` extra)."""

from .explorer import Explorer, Snapshot, explore
from .frame import Frame, FrameSpec, compute_frame

__all__ = ["Explorer", "Snapshot", "explore", "Frame", "FrameSpec", "compute_frame"]
