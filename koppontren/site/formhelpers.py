"""Showing a service's refusal on the form that caused it."""

from __future__ import annotations

from flask import flash

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
