"""The one dry run and the one commit of every import: all or nothing.

``run_import`` checks the whole file first (``prepare``: reads only, or writes what a preview may
write, such as the numbers a sequence would give); a dry run then rolls back and returns the plan,
a real import writes it (``write``) and commits once. Any error rolls everything back: a refused
file, a dry run or a failure half-way leaves the database as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from koppontren.extensions import db

P = TypeVar("P")
R = TypeVar("R")


def run_import(prepare: Callable[[], P], write: Callable[[P], R], *, dry_run: bool,
               conflict: Callable[[], Exception] | None = None) -> P | R:
    """The plan (``dry_run``: nothing is stored) or what ``write`` returns, committed once.

    ``conflict`` makes the error raised when the database refuses the rows as duplicates (another
    user stored the same number or code while the file was checked); otherwise the IntegrityError
    itself propagates. Either way nothing is stored."""
    try:
        plan = prepare()
        if dry_run:
            db.session.rollback()
            return plan
        result = write(plan)
        db.session.commit()
        return result
    except IntegrityError:
        db.session.rollback()
        if conflict is None:
            raise
        raise conflict() from None
    except BaseException:
        db.session.rollback()
        raise
