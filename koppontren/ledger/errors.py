"""The ledger's one error type."""

from __future__ import annotations

from koppontren.errors import DomainError


class LedgerError(DomainError):
    """A refused posting, reversal, period or chart change. Stable codes:

    ``unbalanced``, ``too_few_lines``, ``invalid_line`` (both or neither side, or a negative amount),
    ``invalid_amount``, ``unknown_account``, ``not_postable``, ``inactive_account``,
    ``subledger_required``, ``unknown_member``, ``unknown_party``, ``subledger_unavailable``,
    ``module_only_account``, ``invalid_journal_type``, ``invalid_date``, ``period_closed``,
    ``idempotency_conflict``, ``already_reversed``, ``cannot_reverse_reversal``, ``not_found``,
    ``invalid_description``, ``duplicate_code``, ``invalid_code``, ``type_change``,
    ``account_has_lines``, ``account_in_use``, ``previous_year_open``, ``nothing_to_close``, ``opening_exists``, ``invalid_file``,
    ``reversal_would_overdraw`` (raised by a module's reversal guard, e.g. savings).
    """
