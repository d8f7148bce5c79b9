"""The base of every domain error: a stable ``code`` and a message in the user's language.

Services raise a subclass (TenancyError, AuthError, later LedgerError, …); views turn it into a
flashed message or form error, the API into ``{"error": {"code", "message", "fields"}}``.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refusal by a service. ``message`` is usually a lazy gettext string, rendered in the locale of
    the request; ``fields`` maps a field name to its problem."""

    def __init__(self, code: str, message: object, fields: dict[str, object] | None = None):
        super().__init__(code)
        self.code = code
        self.message = message
        self.fields = fields or {}

    def __str__(self) -> str:
        return str(self.message)
