"""The one unit of work: begin, commit once, or roll everything back.

Every state-changing service runs inside :func:`unit_of_work`. Units nest: an inner unit (a service
calling another, ``post_entry`` inside a sale) joins the outer one, and only the outermost commits.
An error anywhere rolls the whole operation back — the sale, its stock moves, its journal entry and
its operation key are stored together or not at all. Nothing else in the application commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from koppontren.extensions import db

_DEPTH = "koppontren.unit_depth"
_FAILED = "koppontren.unit_failed"


class UnitOfWorkError(RuntimeError):
    """A programming error: an inner step failed and its error was swallowed, so the unit can't commit."""


def in_unit() -> bool:
    """True inside a unit of work (an inner step then joins it instead of committing)."""
    return db.session.info.get(_DEPTH, 0) > 0


def mark_failed() -> None:
    """Record that a step of the current unit failed after writing: the unit will not commit, even if
    a caller catches the error and carries on (its earlier writes may be half done)."""
    if in_unit():
        db.session.info[_FAILED] = True


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Run the block as one unit of work (or as part of the enclosing one) and yield the session.

    The outermost unit commits when the block ends normally and rolls back on any exception, which
    it re-raises. Raises :class:`UnitOfWorkError` when an inner step failed but its error was caught
    inside the block (the unit is rolled back instead of committing half an operation).
    """
    session = db.session
    depth = session.info.get(_DEPTH, 0)
    if depth == 0:
        session.info[_FAILED] = False
    session.info[_DEPTH] = depth + 1
    try:
        yield session
    except BaseException:
        session.info[_DEPTH] = depth
        if depth == 0:
            session.rollback()
        else:
            session.info[_FAILED] = True
        raise
    session.info[_DEPTH] = depth
    if depth == 0:
        if session.info.pop(_FAILED, False):
            session.rollback()
            raise UnitOfWorkError("a step of this unit of work failed; nothing was stored")
        try:
            session.commit()
        except BaseException:
            session.rollback()
            raise
