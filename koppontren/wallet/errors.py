"""The wallet's refusals."""

from __future__ import annotations

from koppontren.errors import DomainError


class WalletError(DomainError):
    """A refused wallet operation. Codes: ``invalid_field``, ``invalid_amount``, ``invalid_date``,
    ``invalid_method``, ``duplicate_nis``, ``not_found``, ``not_active``, ``card_refused`` (unknown,
    blocked or another cooperative's card, or an inactive santri: one answer for all),
    ``card_exists``, ``insufficient_balance``, ``limit_exceeded``, ``limit_too_high``,
    ``not_wali``, ``bulk_refused``, ``duplicate_reference``, ``already_cleared``, ``return_unknown``,
    and LedgerError codes (``period_closed`` …) passed through."""


class BulkRefusedError(WalletError):
    """A bulk top-up refused whole; ``problems`` names every row that blocks it (nothing is stored)."""

    def __init__(self, message, problems: list):
        super().__init__("bulk_refused", message, {f"rows.{p.row}": p.problem for p in problems[:200]})
        self.problems = problems
