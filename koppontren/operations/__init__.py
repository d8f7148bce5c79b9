"""The command layer's one door: a unit of work for every state-changing operation, and one table of
operation keys that recognises a repeated request whichever face (page, POS, API, CLI) sent it."""

from koppontren.operations.keys import OperationConflict, canonical, claim, command, fingerprint
from koppontren.operations.unit import UnitOfWorkError, in_unit, mark_failed, unit_of_work

__all__ = ["OperationConflict", "UnitOfWorkError", "canonical", "claim", "command", "fingerprint", "in_unit", "mark_failed",
           "unit_of_work"]
