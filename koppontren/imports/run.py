"""The one dry run and the one commit of every import: all or nothing.

``run_import`` runs the import as one unit of work (``koppontren.operations``). It checks the whole
file first (``prepare``: reads only, or writes what a preview may write, such as the numbers a
sequence would give); a dry run then rolls the unit back and returns the plan, a real import writes
it (``write``) and the unit commits once. Any error rolls everything back: a refused file, a dry run
or a failure half-way leaves the database as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from koppontren.operations.unit import unit_of_work

P = TypeVar("P")
R = TypeVar("R")


class _DryRunDone(Exception):  # noqa: N818 - not an error: it carries the plan out of the unit, which rolls back
    def __init__(self, plan):
        super().__init__("dry run")
        self.plan = plan


def run_import(prepare: Callable[[], P], write: Callable[[P], R], *, dry_run: bool,
               conflict: Callable[[], Exception] | None = None) -> P | R:
    """The plan (``dry_run``: nothing is stored) or what ``write`` returns, committed once.

    ``conflict`` makes the error raised when the database refuses the rows as duplicates (another
    user stored the same number or code while the file was checked); otherwise the IntegrityError
    itself propagates. Either way nothing is stored. A dry run inside an enclosing unit of work
    makes that unit roll back too: what the preview wrote must not be stored."""
    try:
        with unit_of_work():
            plan = prepare()
            if dry_run:
                raise _DryRunDone(plan)
            return write(plan)
    except _DryRunDone as done:
        return done.plan
    except IntegrityError:
        if conflict is None:
            raise
        raise conflict() from None
