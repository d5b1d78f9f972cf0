"""Stage 2, code generation: a symbolic model in, fast batched numpy functions out.

:func:`compile_model` (:mod:`.compiled`) chooses between the scalar emitter (:mod:`.scalar`)
and the structured emitter for large models (:mod:`.structured`); what both share is in
:mod:`.emitter`. No modelling and no analysis happens here.
"""

from .compiled import STRATEGIES, BoundSystem, CompiledModel, compile_model

__all__ = ["STRATEGIES", "BoundSystem", "CompiledModel", "compile_model"]
