"""The member import page and its downloadable templates (routes on the members blueprint).

The page runs ``importer.import_members`` through the import framework (``imports.pages``) and
shows its answer with the one import macro: every bad row of a refused file, the plan of a dry run,
or — after a real import, redirected so a reload cannot import twice — the count and the opening
entry's voucher.
"""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from koppontren.auth.permissions import permission_required
from koppontren.clock import today
from koppontren.imports.pages import Done, ImportPage, add_template_routes
from koppontren.members.forms import MemberImportForm
from koppontren.membership import importer
from koppontren.membership.views import coop_bp
from koppontren.savings import services as savings
from koppontren.tenancy.scoping import current_coop


def _stored(result: importer.ImportResult) -> Done:
    return Done(_("%(n)s anggota diimpor.", n=result.count),
                {"count": result.count, "first": result.numbers[0], "last": result.numbers[-1], "voucher": result.entry_number,
                 "entry_id": result.entry_id})


@coop_bp.route("/members/import", methods=["GET", "POST"])
@permission_required("members.manage")
def import_members():
    coop = current_coop()
    form = MemberImportForm()
    form.account.choices = [(a.id, f"{a.code} — {a.name_id}") for a in importer.counter_accounts(coop)]
    if request.method == "GET":
        form.date.data = today()
        form.account.data = savings.get_settings(coop).default_account_id

    def run(data: bytes, filename: str, dry_run: bool):
        return importer.import_members(coop, data, filename, entry_date=form.date.data, account=form.account.data, actor=current_user,
                                       dry_run=dry_run)

    return PAGE.respond(form, run)


PAGE = ImportPage(
    "members/import.html", importer.SPEC, importer.MAX_ROWS, result_key="member_import_result", done=_stored,
    checked=lambda plan: _("Berkas lolos pemeriksaan: %(n)s anggota siap diimpor. Belum ada yang disimpan.", n=plan.count),
)


add_template_routes(coop_bp, "/members/import/template", importer.SPEC, lambda: importer.template_rows(current_coop()), permission="members.manage",
                    endpoints={"csv": "import_template_csv", "xlsx": "import_template_xlsx"})
