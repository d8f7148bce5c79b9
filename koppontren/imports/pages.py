"""The web side of every import page: one upload handler, one page, one template download.

A page's view builds its form and calls ``ImportPage.respond`` (or, on a page with more on it,
``handle_upload``) with the importer to run; the answer holds what ``templates/_import.html``
shows — the problems of a refused file (HTTP 422), the plan of a dry run, or, after a real import,
the redirect back to the page (so a reload cannot import twice), where the summary of what was
stored is shown once. ``add_template_routes`` gives an import its template downloads, one route a
format.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from koppontren.auth.permissions import permission_required
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
    """What the page shows: the ``problems`` of a refused file, the ``plan`` of a clean dry run, the
    ``result`` summary of the import just stored (after its redirect), the HTTP ``status``; or the
    ``response`` to send instead of the page (the redirect after a real import)."""

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


@dataclass(frozen=True)
class ImportPage:
    """One import page: its ``template`` (which calls the macro ``import_section``), the importer's
    ``spec`` and row limit, the message of a clean dry run (``checked(plan)``), what a real import
    says it stored (``done(result)``) and where that summary waits in the session for the redirect."""

    template: str
    spec: ImportSpec
    max_rows: int
    checked: Callable[[object], str]
    done: Callable[[object], Done]
    result_key: str

    def handle(self, form, run: Callable[[bytes, str, bool], object]) -> UploadAnswer:
        return handle_upload(form, run, checked=self.checked, done=self.done, result_key=self.result_key)

    def render(self, form, answer: UploadAnswer):
        return render_template(self.template, form=form, answer=answer, spec=self.spec, max_rows=self.max_rows), answer.status

    def respond(self, form, run: Callable[[bytes, str, bool], object]):
        """The whole page: the upload handled, then the redirect after a real import or the page."""
        answer = self.handle(form, run)
        return answer.response or self.render(form, answer)


def add_template_routes(bp: Blueprint, rule: str, spec: ImportSpec, examples: Callable[[], Sequence[Sequence[object]]], *,
                        permission: str, endpoints: dict[str, str]) -> None:
    """GET ``rule``.csv / .xlsx (each of ``spec.formats``) on ``bp``: the template download, with
    the example rows ``examples()`` gives, guarded by ``permission``; ``endpoints`` names each."""
    for fmt in spec.formats:
        def download(fmt: str = fmt) -> Response:
            return template_download(spec, examples(), fmt)

        download.__name__ = endpoints[fmt]
        bp.add_url_rule(f"{rule}.{fmt}", endpoint=endpoints[fmt], view_func=permission_required(permission)(download), methods=["GET"])


def template_download(spec: ImportSpec, examples: Sequence[Sequence[object]], fmt: str) -> Response:
    """The import's template (header and example rows) as an attachment, CSV or XLSX."""
    data = spec.template_xlsx(examples) if fmt == "xlsx" else spec.template_csv(examples)
    return Response(data, mimetype=MIMETYPES[fmt], headers={"Content-Disposition": f"attachment; filename={spec.name}.{fmt}"})
