"""The tenancy package's error type (its own module, so that the packages that guard a change to a
cooperative — the ledger for the books start — can raise it without importing the services)."""

from __future__ import annotations

from koppontren.errors import DomainError


class TenancyError(DomainError):
    """A refused change to a cooperative (codes: invalid_slug, slug_taken, invalid_field,
    books_start_locked)."""
