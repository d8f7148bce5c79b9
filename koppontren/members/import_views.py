"""The member import page and its downloadable templates (routes on the members blueprint).

The page runs ``importer.import_members`` through the import framework's upload handler and shows
its answer with the one import macro: every bad row of a refused file, the plan of a dry run, or —
after a real import, redirected so a reload cannot import twice — the count and the opening
entry's voucher.
"""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from koppontren.auth.permissions import permission_required
from koppontren.clock import today
from koppontren.imports.pages import Done, handle_upload, template_download
from koppontren.members import importer
from koppontren.members.forms import MemberImportForm
from koppontren.members.views import coop_bp
from koppontren.savings import services as savings
from koppontren.tenancy.scoping import current_coop

RESULT_KEY = "member_import_result"


def _stored(outcome: importer.ImportResult) -> Done:
    return Done(_("%(n)s anggota diimpor.", n=outcome.count),
                {"count": outcome.count, "first": outcome.numbers[0], "last": outcome.numbers[-1], "voucher": outcome.entry_number,
                 "entry_id": outcome.entry_id})


@coop_bp.route("/members/import", methods=["GET", "POST"])
@permission_required("members.manage")
def import_members():
    coop = current_coop()
    form = MemberImportForm()
    form.account.choices = [(a.id, f"{a.code} — {a.name_id}") for a in importer.counter_accounts(coop)]
    if request.method == "GET":
        form.date.data = today()
        form.account.data = savings.get_settings(coop).default_account_id
    answer = handle_upload(
        form, lambda data, filename, dry_run: importer.import_members(coop, data, filename, entry_date=form.date.data, account=form.account.data,
                                                                    actor=current_user, dry_run=dry_run),
        checked=lambda plan: _("Berkas lolos pemeriksaan: %(n)s anggota siap diimpor. Belum ada yang disimpan.", n=plan.count),
        done=_stored, result_key=RESULT_KEY)
    if answer.response is not None:
        return answer.response
    return render_template("members/import.html", form=form, answer=answer, spec=importer.SPEC, max_rows=importer.MAX_ROWS), answer.status


@coop_bp.get("/members/import/template.csv")
@permission_required("members.manage")
def import_template_csv():
    return template_download(importer.SPEC, importer.template_rows(current_coop()), "csv")


@coop_bp.get("/members/import/template.xlsx")
@permission_required("members.manage")
def import_template_xlsx():
    return template_download(importer.SPEC, importer.template_rows(current_coop()), "xlsx")
