"""Money in the reader's language and the current cooperative's decimals — for templates (as
filters, see ``shell.templating``) and for pages that put amounts in their messages."""

from __future__ import annotations

from flask import g
from flask_babel import get_locale

from koppontren import money


def reader_language() -> str:
    loc = get_locale()
    return str(loc.language) if loc else "id"


def idr(amount) -> str:
    coop = g.get("coop")
    return money.format_idr(amount, coop.currency_decimals if coop else 0, reader_language())


def sen(amount_sen: int | None, blank_zero: bool = False) -> str:
    """An amount stored in sen as a statement figure: ``1.250.000``, negatives ``(600.000)``, in the
    current cooperative's decimals. ``blank_zero`` leaves empty debit/credit cells empty."""
    if amount_sen is None or (blank_zero and not amount_sen):
        return ""
    coop = g.get("coop")
    return money.format_statement(money.from_sen(amount_sen), coop.currency_decimals if coop else 0, reader_language())


def idr_sen(amount_sen: int | None) -> str:
    """An amount stored in sen in the reader's currency form: ``Rp1.250.000`` / ``IDR 1,250,000``."""
    return idr(money.from_sen(amount_sen or 0))
