"""Showing a service's refusal on the form that caused it; reading an amount typed in a form."""

from __future__ import annotations

from decimal import Decimal

from flask import flash
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from koppontren import money
from koppontren.errors import DomainError


def show_domain_error(form, err: DomainError, field_prefixes: tuple[str, ...] = ("",)) -> None:
    """Put each per-field problem next to its field (trying ``prefix + name`` for each prefix, so
    ``login`` can land on ``admin_login``) and flash the whole message on top."""
    for name, problem in err.fields.items():
        for prefix in field_prefixes:
            field = getattr(form, prefix + name, None)
            if field is not None:
                field.errors = [*list(field.errors or []), str(problem)]
                break
    flash(str(err.message), "danger")


def amount_of(field, decimals: int, *, required: bool = True, blank: Decimal | None = None) -> Decimal | None:
    """The amount typed Indonesian-style in ``field`` ("1.250.000"), or None with the problem put on
    the field in the reader's language. A blank optional field gives ``blank``; check
    ``field.errors`` to tell a refusal from a blank."""
    text = (field.data or "").strip()
    if not text:
        if required:
            field.errors = [*list(field.errors or []), str(_l("Isi jumlahnya."))]
            return None
        return blank
    try:
        return money.parse_amount_id(text, decimals)
    except money.MoneyError as err:
        locale = get_locale()
        field.errors = [*list(field.errors or []), err.message if locale and locale.language == "en" else err.message_id]
        return None
