"""The web side of every import page: one upload handler and one template download.

A page's view builds its form and calls ``handle_upload`` with the importer to run; the answer
holds what ``templates/_import.html`` shows — the problems of a refused file (HTTP 422), the plan
of a dry run, or, after a real import, the redirect back to the page (so a reload cannot import
twice), where the summary of what was stored is shown once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask import Response, flash, redirect, request, session, url_for
from flask_babel import gettext as _

from koppontren.errors import DomainError
from koppontren.imports.problems import RowProblem, RowsRefusedError
from koppontren.imports.spec import ImportSpec
from koppontren.site.formhelpers import show_domain_error

MIMETYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class Done:
    """What a real import tells the user: the flashed ``message``, and either the ``summary`` the
    page shows once after the redirect, or another ``location`` to go to (such as the entry posted)."""

    message: str
    summary: dict | None = None
    location: str | None = None


@dataclass
class UploadAnswer:
    problems: list[RowProblem] | None = None
    plan: object = None
    result: dict | None = None
    status: int = 200
    response: Response | None = None


def _first_error(form) -> str:
    return next(iter(e for errors in form.errors.values() for e in errors), _("Periksa isian."))


def handle_upload(form, run: Callable[[bytes, str, bool], object], *, checked: Callable[[object], str],
                  done: Callable[[object], Done], result_key: str, submitted: bool | None = None) -> UploadAnswer:
    """Run the import when ``form`` (file, dry_run) was submitted and is valid.

    ``run(data, filename, dry_run)`` calls the importer; ``checked(plan)`` is the message of a
    clean dry run, ``done(result)`` says what a real import stored. ``submitted`` tells a page
    with two forms whether this one was sent (default: the request is a POST)."""
    answer = UploadAnswer()
    if submitted is None:
        submitted = form.is_submitted()
    if not submitted:
        answer.result = session.pop(result_key, None) if request.method == "GET" else None
        return answer
    if not form.validate():
        flash(_first_error(form), "danger")
        answer.status = 422
        return answer
    upload = form.file.data
    dry_run = bool(form.dry_run.data)
    try:
        outcome = run(upload.read(), upload.filename, dry_run)
    except RowsRefusedError as err:
        answer.problems, answer.status = err.problems, 422
        flash(str(err.message), "danger")
    except DomainError as err:
        show_domain_error(form, err)
        answer.status = 422
    else:
        if dry_run:
            answer.plan = outcome
            flash(checked(outcome), "info")
        else:
            said = done(outcome)
            flash(said.message, "success")
            if said.location is None:
                session[result_key] = said.summary
            answer.response = redirect(said.location or url_for(request.endpoint, **(request.view_args or {})))
    return answer


def template_download(spec: ImportSpec, examples: Sequence[Sequence[object]], fmt: str) -> Response:
    """The import's template (header and example rows) as an attachment, CSV or XLSX."""
    data = spec.template_xlsx(examples) if fmt == "xlsx" else spec.template_csv(examples)
    return Response(data, mimetype=MIMETYPES[fmt], headers={"Content-Disposition": f"attachment; filename={spec.name}.{fmt}"})
